//! The node-resources plugins (kube-scheduler's `pkg/scheduler/framework/plugins/noderesources`):
//! [`fit::NodeResourcesFit`] filters out nodes without room for the pod's requests and ranks the
//! rest by a scoring strategy, [`balanced_allocation::NodeResourcesBalancedAllocation`] ranks
//! nodes by how evenly their resources would be used. [`resource_allocation`] holds the scoring
//! formulas both share.

pub mod balanced_allocation;
pub mod fit;
pub mod resource_allocation;

pub use balanced_allocation::NodeResourcesBalancedAllocation;
pub use fit::NodeResourcesFit;
