//! krust's scheduler: watches pods without a node, and for each one filters the nodes it could
//! run on, scores the feasible ones and binds it to the best through `pods/binding` — the shape
//! of kube-scheduler, with its plugins' semantics.
//!
//! Start reading at [`framework`] (statuses, cycle state, the extension points), then
//! [`plugins`] (one module per plugin, as in `pkg/scheduler/framework/plugins`).

pub mod cache;
pub mod cycle;
pub mod framework;
pub mod plugins;
pub mod profile;
pub mod queue;
pub mod scheduler;
