//! The extension points (kube-scheduler's `framework/interface.go`). A plugin implements the
//! traits for the points it uses and is registered once per point in a [`super::Framework`].
//!
//! Filter and score run inside the synchronous scheduling cycle and must not do IO; they see
//! the cycle's [`Snapshot`] through their arguments. Binding-cycle points (pre_bind, bind) are
//! async and may call the API server.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::core::v1::Pod;

use super::cycle_state::CycleState;
use super::snapshot::Snapshot;
use super::status::Status;
use super::types::{NodeInfo, PodInfo};

/// Highest score a Score plugin may return after normalization.
pub const MAX_NODE_SCORE: i64 = 100;
pub const MIN_NODE_SCORE: i64 = 0;

pub trait Plugin: Send + Sync {
    fn name(&self) -> &'static str;
}

/// Decides whether a pod may enter the active queue at all (SchedulingGates).
pub trait PreEnqueuePlugin: Plugin {
    fn pre_enqueue(&self, pod: &Pod) -> Status;
}

/// What PreFilter can narrow the candidate nodes to (`None` = every node).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreFilterResult {
    pub node_names: Option<HashSet<String>>,
}

impl PreFilterResult {
    pub fn all_nodes() -> Self {
        PreFilterResult { node_names: None }
    }
    /// Intersection of two results.
    pub fn merge(self, other: PreFilterResult) -> PreFilterResult {
        match (self.node_names, other.node_names) {
            (None, n) | (n, None) => PreFilterResult { node_names: n },
            (Some(a), Some(b)) => {
                PreFilterResult { node_names: Some(a.intersection(&b).cloned().collect()) }
            }
        }
    }
}

pub trait PreFilterPlugin: Plugin {
    /// Computes per-pod state once. `Skip` means this plugin's Filter is not run for the pod.
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
    ) -> (PreFilterResult, Status);

    /// Whether the plugin keeps state that `add_pod`/`remove_pod` must update (used when
    /// evaluating nominated pods and preemption victims).
    fn has_extensions(&self) -> bool {
        false
    }
    /// Updates this plugin's state as if `to_add` were running on `node`.
    fn add_pod(
        &self,
        _state: &mut CycleState,
        _pod: &PodInfo,
        _to_add: &Arc<PodInfo>,
        _node: &NodeInfo,
        _snapshot: &Snapshot,
    ) -> Status {
        Status::success()
    }
    /// Updates this plugin's state as if `to_remove` were gone from `node`.
    fn remove_pod(
        &self,
        _state: &mut CycleState,
        _pod: &PodInfo,
        _to_remove: &Arc<PodInfo>,
        _node: &NodeInfo,
        _snapshot: &Snapshot,
    ) -> Status {
        Status::success()
    }
}

pub trait FilterPlugin: Plugin {
    fn filter(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status;
}

pub trait PreScorePlugin: Plugin {
    /// Computes state for Score over the feasible `nodes`; `Skip` skips this plugin's Score.
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        nodes: &[Arc<NodeInfo>],
        snapshot: &Snapshot,
    ) -> Status;
}

pub trait ScorePlugin: Plugin {
    fn score(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> (i64, Status);
    /// Rescales the raw scores (one per feasible node, in order) into
    /// [`MIN_NODE_SCORE`, `MAX_NODE_SCORE`]. Plugins that already score in range keep the default.
    fn normalize_score(&self, _state: &CycleState, _pod: &PodInfo, _scores: &mut [i64]) -> Status {
        Status::success()
    }
}

pub trait ReservePlugin: Plugin {
    fn reserve(&self, state: &mut CycleState, pod: &PodInfo, node: &str) -> Status;
    fn unreserve(&self, state: &mut CycleState, pod: &PodInfo, node: &str);
}

pub trait PermitPlugin: Plugin {
    /// `Wait` holds the pod in the binding cycle for up to the returned duration, until some
    /// plugin allows or rejects it through the framework's waiting-pods map.
    fn permit(&self, state: &CycleState, pod: &PodInfo, node: &str) -> (Status, Duration);
}

#[async_trait]
pub trait PreBindPlugin: Plugin {
    async fn pre_bind(&self, state: &CycleState, pod: &PodInfo, node: &str) -> Status;
}

#[async_trait]
pub trait BindPlugin: Plugin {
    /// `Skip` passes the pod to the next bind plugin.
    async fn bind(&self, state: &CycleState, pod: &PodInfo, node: &str) -> Status;
}

/// Per-node statuses from a failed filter pass, for PostFilter and the failure message.
pub type NodeToStatus = std::collections::HashMap<String, Status>;

/// What PostFilter (preemption) decided.
#[derive(Clone, Debug, Default)]
pub struct PostFilterResult {
    /// The node the pod should go to once the victims are gone.
    pub nominated_node: Option<String>,
    /// Pods to delete to make room.
    pub victims: Vec<Arc<PodInfo>>,
    /// Lower-priority pods nominated to the same node whose nomination must be cleared.
    pub clear_nominations: Vec<Arc<Pod>>,
}

/// Runs after a pod failed filtering everywhere. Decides only; the scheduler's async shell
/// deletes victims and records the nomination.
pub trait PostFilterPlugin: Plugin {
    fn post_filter(
        &self,
        fw: &super::Framework,
        state: &CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
        statuses: &NodeToStatus,
    ) -> (PostFilterResult, Status);
}
