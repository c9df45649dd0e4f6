//! kube-scheduler's framework in Rust: statuses, typed cycle state, the extension-point traits,
//! the cluster snapshot and the runner that calls plugins in order.

pub mod cycle_state;
pub mod interface;
pub mod runtime;
pub mod snapshot;
pub mod status;
pub mod types;

pub use cycle_state::CycleState;
pub use interface::*;
pub use runtime::{Framework, WeightedScore};
pub use snapshot::{ClusterObjects, Snapshot};
pub use status::{Code, Status};
pub use types::{NodeInfo, PodInfo, Resource};
