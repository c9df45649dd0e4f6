//! An immutable view of the cluster for one scheduling cycle, taken from the cache at the
//! start of the cycle (kube-scheduler's `internal/cache/snapshot.go`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{ReplicationController, Service};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;

use super::types::{NodeInfo, PodInfo};

/// Objects other than pods and nodes that plugins consult, as of the cycle's start (the
/// listers of kube-scheduler's plugins).
#[derive(Clone, Debug, Default)]
pub struct ClusterObjects {
    /// Namespace name → labels, for affinity terms with a namespace selector.
    pub namespace_labels: HashMap<String, BTreeMap<String, String>>,
    /// For preemption (victims whose eviction would violate a budget are avoided).
    pub pdbs: Vec<Arc<PodDisruptionBudget>>,
    /// For PodTopologySpread's default constraints (selectors of the pod's owners/services).
    pub services: Vec<Arc<Service>>,
    pub replica_sets: Vec<Arc<ReplicaSet>>,
    pub stateful_sets: Vec<Arc<StatefulSet>>,
    pub replication_controllers: Vec<Arc<ReplicationController>>,
}

#[derive(Clone, Default)]
pub struct Snapshot {
    /// Every node, in a stable order.
    pub node_info_list: Vec<Arc<NodeInfo>>,
    /// Nodes with at least one pod that has (anti-)affinity terms.
    pub have_pods_with_affinity: Vec<Arc<NodeInfo>>,
    /// Nodes with at least one pod that has required anti-affinity terms.
    pub have_pods_with_required_anti_affinity: Vec<Arc<NodeInfo>>,
    pub objects: Arc<ClusterObjects>,
    /// Node name → pods nominated to run there (waiting for preemption victims to go).
    pub nominated: Arc<HashMap<String, Vec<Arc<PodInfo>>>>,
    index: HashMap<String, usize>,
}

impl Snapshot {
    pub fn new(
        nodes: Vec<Arc<NodeInfo>>,
        objects: Arc<ClusterObjects>,
        nominated: Arc<HashMap<String, Vec<Arc<PodInfo>>>>,
    ) -> Snapshot {
        let index = nodes.iter().enumerate().map(|(i, n)| (n.name.clone(), i)).collect();
        let have_pods_with_affinity =
            nodes.iter().filter(|n| !n.pods_with_affinity.is_empty()).cloned().collect();
        let have_pods_with_required_anti_affinity = nodes
            .iter()
            .filter(|n| !n.pods_with_required_anti_affinity.is_empty())
            .cloned()
            .collect();
        Snapshot {
            node_info_list: nodes,
            have_pods_with_affinity,
            have_pods_with_required_anti_affinity,
            objects,
            nominated,
            index,
        }
    }

    pub fn get(&self, node: &str) -> Option<&Arc<NodeInfo>> {
        self.index.get(node).map(|&i| &self.node_info_list[i])
    }

    pub fn num_nodes(&self) -> usize {
        self.node_info_list.len()
    }

    pub fn namespace_labels(&self, ns: &str) -> Option<&BTreeMap<String, String>> {
        self.objects.namespace_labels.get(ns)
    }

    /// Replaces a node already in the snapshot (same name); false when it is not there.
    pub fn replace_node(&mut self, info: Arc<NodeInfo>) -> bool {
        let Some(&i) = self.index.get(&info.name) else { return false };
        let had = !self.node_info_list[i].pods_with_affinity.is_empty()
            || !self.node_info_list[i].pods_with_required_anti_affinity.is_empty();
        let has = !info.pods_with_affinity.is_empty()
            || !info.pods_with_required_anti_affinity.is_empty();
        self.node_info_list[i] = info;
        if had || has {
            self.refresh_affinity_lists();
        }
        true
    }

    fn refresh_affinity_lists(&mut self) {
        self.have_pods_with_affinity = self
            .node_info_list
            .iter()
            .filter(|n| !n.pods_with_affinity.is_empty())
            .cloned()
            .collect();
        self.have_pods_with_required_anti_affinity = self
            .node_info_list
            .iter()
            .filter(|n| !n.pods_with_required_anti_affinity.is_empty())
            .cloned()
            .collect();
    }

    /// Pods nominated to `node`.
    pub fn nominated_pods(&self, node: &str) -> &[Arc<PodInfo>] {
        self.nominated.get(node).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A snapshot of just these nodes, for tests and benchmarks.
    pub fn from_nodes(nodes: Vec<NodeInfo>) -> Snapshot {
        Snapshot::new(nodes.into_iter().map(Arc::new).collect(), Arc::default(), Arc::default())
    }
}
