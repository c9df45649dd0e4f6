//! NodeResourcesBalancedAllocation (kube-scheduler's `noderesources/balanced_allocation.go`):
//! favours nodes where, with the pod placed, the requested fractions of CPU and memory (or the
//! configured resources) are close to each other, so no resource runs out while others idle.
//! Score = `(1 - std) * 100` over those fractions.
//!
//! Unlike NodeResourcesFit's strategies it reads the plain requests (a container without
//! requests adds nothing), and it skips best-effort pods entirely: scoring them would pile
//! them onto whichever node looks balanced (kubernetes/kubernetes#129138).

use std::sync::Arc;

use crate::framework::types::{NodeInfo, PodInfo};
use crate::framework::{CycleState, Plugin, PreScorePlugin, ScorePlugin, Snapshot, Status};

use super::resource_allocation::{
    balanced_resource_score, default_resources, validate_resources, ResourceAllocationScorer,
    ResourceSpec,
};

pub const NAME: &str = "NodeResourcesBalancedAllocation";
/// The plugin's weight in the default profile.
pub const DEFAULT_WEIGHT: i64 = 1;

/// `config.NodeResourcesBalancedAllocationArgs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeResourcesBalancedAllocationArgs {
    pub resources: Vec<ResourceSpec>,
}

impl Default for NodeResourcesBalancedAllocationArgs {
    fn default() -> Self {
        NodeResourcesBalancedAllocationArgs { resources: default_resources() }
    }
}

pub struct NodeResourcesBalancedAllocation {
    allocation: ResourceAllocationScorer,
}

impl Default for NodeResourcesBalancedAllocation {
    fn default() -> Self {
        NodeResourcesBalancedAllocation {
            allocation: ResourceAllocationScorer::new(&default_resources(), true),
        }
    }
}

impl NodeResourcesBalancedAllocation {
    pub fn new(
        args: NodeResourcesBalancedAllocationArgs,
    ) -> Result<NodeResourcesBalancedAllocation, String> {
        validate_resources(&args.resources, "resources")?;
        Ok(NodeResourcesBalancedAllocation {
            allocation: ResourceAllocationScorer::new(&args.resources, true),
        })
    }

    fn score_node(&self, node: &NodeInfo, pod_requests: &[i64]) -> (i64, Status) {
        if self.allocation.is_empty() {
            return (0, Status::error("resources not found"));
        }
        (balanced_resource_score(&self.allocation, node, pod_requests), Status::success())
    }
}

fn is_best_effort(pod_requests: &[i64]) -> bool {
    pod_requests.iter().all(|&r| r == 0)
}

/// The pod's request for each configured resource, in spec order.
#[derive(Clone, Debug)]
struct PreScoreState {
    pod_requests: Vec<i64>,
}

impl Plugin for NodeResourcesBalancedAllocation {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl PreScorePlugin for NodeResourcesBalancedAllocation {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _nodes: &[Arc<NodeInfo>],
        _snapshot: &Snapshot,
    ) -> Status {
        let pod_requests = self.allocation.pod_requests(pod);
        if is_best_effort(&pod_requests) {
            return Status::skip();
        }
        state.write(PreScoreState { pod_requests });
        Status::success()
    }
}

impl ScorePlugin for NodeResourcesBalancedAllocation {
    fn score(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> (i64, Status) {
        match state.read::<PreScoreState>() {
            Some(s) => self.score_node(node, &s.pod_requests),
            None => {
                let pod_requests = self.allocation.pod_requests(pod);
                if is_best_effort(&pod_requests) {
                    return (0, Status::success());
                }
                self.score_node(node, &pod_requests)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Node, Pod};
    use serde_json::{json, Value};

    fn req_pod(reqs: &[Value]) -> PodInfo {
        let containers: Vec<Value> =
            reqs.iter().map(|r| json!({"name": "c", "resources": {"requests": r}})).collect();
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "default", "uid": "p"},
            "spec": {"containers": containers}
        }))
        .expect("test pod");
        PodInfo::new(Arc::new(pod))
    }

    fn node(resources: Value, existing: &[PodInfo]) -> NodeInfo {
        let n: Node = serde_json::from_value(json!({
            "metadata": {"name": "n"},
            "status": {"allocatable": resources, "capacity": resources}
        }))
        .expect("test node");
        let mut ni = NodeInfo::new(Arc::new(n));
        for p in existing {
            ni.add_pod(Arc::new(p.clone()));
        }
        ni
    }

    fn score(plugin: &NodeResourcesBalancedAllocation, p: &PodInfo, n: &NodeInfo) -> i64 {
        let mut state = CycleState::new();
        let s = plugin.pre_score(&mut state, p, &[], &Snapshot::default());
        assert!(s.is_success(), "{s:?}");
        let (score, s) = plugin.score(&state, p, n);
        assert!(s.is_success(), "{s:?}");
        score
    }

    #[test]
    fn balanced_scores() {
        let plugin = NodeResourcesBalancedAllocation::default();
        let cap = json!({"cpu": "4000", "memory": "10000"});
        // cpu 0.75, memory 0.5: std 0.125 → 87.
        let p = req_pod(&[json!({"cpu": "3000", "memory": "5000"})]);
        assert_eq!(score(&plugin, &p, &node(cap.clone(), &[])), 87);
        // Equal fractions are perfectly balanced.
        let p2 = req_pod(&[json!({"cpu": "2000", "memory": "5000"})]);
        assert_eq!(score(&plugin, &p2, &node(cap.clone(), &[])), 100);
        // Scheduled pods count: cpu (1000+2000)/4000 = 0.75, memory (0+5000)/10000 = 0.5.
        let existing = req_pod(&[json!({"cpu": "1000", "memory": "0"})]);
        assert_eq!(score(&plugin, &p2, &node(cap.clone(), &[existing])), 87);
        // Request-less pods add nothing here (plain requests, not the non-zero defaults).
        let best_effort = req_pod(&[json!({})]);
        assert_eq!(score(&plugin, &p, &node(cap.clone(), &[best_effort])), 87);
        // Fractions are capped at 1: cpu 6000/4000 → 1, memory 0.5 → std 0.25 → 75.
        let over = req_pod(&[json!({"cpu": "6000", "memory": "5000"})]);
        assert_eq!(score(&plugin, &over, &node(cap, &[])), 75);
        // A single resource the node has gives std 0.
        assert_eq!(score(&plugin, &p, &node(json!({"cpu": "4000"}), &[])), 100);
    }

    #[test]
    fn more_than_two_resources_use_the_standard_deviation() {
        let plugin = NodeResourcesBalancedAllocation::new(NodeResourcesBalancedAllocationArgs {
            resources: vec![
                ResourceSpec::new("cpu", 1),
                ResourceSpec::new("memory", 1),
                ResourceSpec::new("nvidia.com/gpu", 1),
            ],
        })
        .expect("valid args");
        let n = node(json!({"cpu": "10", "memory": "10000", "nvidia.com/gpu": "10"}), &[]);
        // Fractions 0.6, 0.4, 0.2: mean 0.4, std sqrt(0.08/3) ≈ 0.163 → 83.
        let p = req_pod(&[json!({"cpu": "6", "memory": "4000", "nvidia.com/gpu": "2"})]);
        assert_eq!(score(&plugin, &p, &n), 83);
        // Not requesting the gpu leaves it out: 0.6 and 0.4 → std 0.1 → 90.
        let p = req_pod(&[json!({"cpu": "6", "memory": "4000"})]);
        assert_eq!(score(&plugin, &p, &n), 90);
    }

    #[test]
    fn best_effort_pods_are_skipped() {
        let plugin = NodeResourcesBalancedAllocation::default();
        let p = req_pod(&[json!({})]);
        let mut state = CycleState::new();
        assert!(plugin.pre_score(&mut state, &p, &[], &Snapshot::default()).is_skip());
        let n = node(json!({"cpu": "4", "memory": "4Gi"}), &[]);
        assert_eq!(plugin.score(&CycleState::new(), &p, &n), (0, Status::success()));
    }

    #[test]
    fn invalid_weights_are_rejected() {
        let args =
            NodeResourcesBalancedAllocationArgs { resources: vec![ResourceSpec::new("cpu", 0)] };
        assert!(NodeResourcesBalancedAllocation::new(args).is_err());
    }
}
