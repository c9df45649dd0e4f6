//! The scheduler's view of nodes and the pods on them (kube-scheduler's `internal/cache`).
//!
//! Pods the scheduler has just placed are *assumed*: they count against their node at once,
//! before the binding is written and long before the watch shows it, so the next cycle does
//! not place a second pod into the same room. A failed binding *forgets* the pod again; the
//! watch *confirms* it. Each cycle takes a [`Snapshot`]; only nodes changed since the last one
//! are copied.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};

use crate::framework::{NodeInfo, PodInfo, Snapshot};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CacheError {
    #[error("pod {0} is already in the cache")]
    AlreadyCached(String),
    #[error("pod {0} is not assumed")]
    NotAssumed(String),
}

struct PodState {
    info: Arc<PodInfo>,
    node: String,
    assumed: bool,
}

#[derive(Default)]
pub struct Cache {
    nodes: HashMap<String, NodeInfo>,
    pods: HashMap<String, PodState>,
    /// image name → (size, nodes that have it)
    images: HashMap<String, (i64, HashSet<String>)>,
    /// Nodes changed since the last snapshot.
    dirty: HashSet<String>,
    /// The set of nodes (not just their contents) changed: rebuild the snapshot's list.
    membership_changed: bool,
    generation: u64,
}

fn node_name(pod: &Pod) -> &str {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).unwrap_or("")
}

fn uid(pod: &Pod) -> &str {
    pod.metadata.uid.as_deref().unwrap_or("")
}

/// Every name of every image a node reports, with its size.
fn node_images(node: &Node) -> Vec<(String, i64)> {
    node.status
        .as_ref()
        .and_then(|s| s.images.as_ref())
        .into_iter()
        .flatten()
        .flat_map(|img| {
            let size = img.size_bytes.unwrap_or(0);
            img.names.iter().flatten().map(move |n| (n.clone(), size))
        })
        .collect()
}

impl Cache {
    pub fn new() -> Self {
        Cache { membership_changed: true, ..Default::default() }
    }

    fn touch(&mut self, node: &str) {
        self.generation += 1;
        if let Some(n) = self.nodes.get_mut(node) {
            n.generation = self.generation;
        }
        self.dirty.insert(node.to_string());
    }

    fn node_entry(&mut self, name: &str) -> &mut NodeInfo {
        self.nodes
            .entry(name.to_string())
            .or_insert_with(|| NodeInfo { name: name.to_string(), ..Default::default() })
    }

    pub fn node_count(&self) -> usize {
        self.nodes.values().filter(|n| n.node.is_some()).count()
    }

    pub fn pod_count(&self) -> usize {
        self.pods.len()
    }

    pub fn is_assumed(&self, pod_uid: &str) -> bool {
        self.pods.get(pod_uid).is_some_and(|p| p.assumed)
    }

    /// Whether the cache knows this pod on some node (assumed or confirmed).
    pub fn contains_pod(&self, pod_uid: &str) -> bool {
        self.pods.contains_key(pod_uid)
    }

    /// Places a pod on `node` before the binding exists.
    pub fn assume_pod(&mut self, info: Arc<PodInfo>, node: &str) -> Result<(), CacheError> {
        let id = info.uid().to_string();
        if self.pods.contains_key(&id) {
            return Err(CacheError::AlreadyCached(id));
        }
        self.node_entry(node).add_pod(info.clone());
        self.touch(node);
        self.pods.insert(id, PodState { info, node: node.to_string(), assumed: true });
        Ok(())
    }

    /// Undoes [`Cache::assume_pod`] after a failed binding.
    pub fn forget_pod(&mut self, pod_uid: &str) -> Result<(), CacheError> {
        match self.pods.get(pod_uid) {
            Some(p) if p.assumed => {}
            _ => return Err(CacheError::NotAssumed(pod_uid.to_string())),
        }
        if let Some(p) = self.pods.remove(pod_uid) {
            self.remove_from_node(&p.node, pod_uid);
        }
        Ok(())
    }

    fn remove_from_node(&mut self, node: &str, pod_uid: &str) {
        let gone = match self.nodes.get_mut(node) {
            Some(n) => {
                n.remove_pod(pod_uid);
                n.node.is_none() && n.pods.is_empty()
            }
            None => false,
        };
        if gone {
            self.nodes.remove(node);
        }
        self.touch(node);
    }

    /// A bound pod seen through the watch: confirms an assumed pod or adds it.
    pub fn add_pod(&mut self, pod: Arc<Pod>) {
        let node = node_name(&pod).to_string();
        if node.is_empty() {
            return;
        }
        let id = uid(&pod).to_string();
        if let Some(state) = self.pods.get(&id) {
            if state.node == node {
                // Confirmed where we assumed it: keep the room, take the server's copy.
                let info = Arc::new(PodInfo::new(pod));
                self.replace_on_node(&id, info);
                return;
            }
            // Bound elsewhere than assumed (another scheduler won): move it.
            let old = state.node.clone();
            self.pods.remove(&id);
            self.remove_from_node(&old, &id);
        }
        let info = Arc::new(PodInfo::new(pod));
        self.node_entry(&node).add_pod(info.clone());
        self.touch(&node);
        self.pods.insert(id, PodState { info, node, assumed: false });
    }

    fn replace_on_node(&mut self, id: &str, info: Arc<PodInfo>) {
        let Some(state) = self.pods.get_mut(id) else { return };
        state.assumed = false;
        let node = state.node.clone();
        let unchanged = state.info.requests == info.requests
            && state.info.host_ports() == info.host_ports()
            && labels_equal(&state.info.pod, &info.pod)
            && !state.info.has_affinity()
            && !info.has_affinity();
        state.info = info.clone();
        if unchanged {
            // Nothing a plugin reads changed; spare the snapshot a copy of this node.
            if let Some(n) = self.nodes.get_mut(&node) {
                if let Some(slot) = n.pods.iter_mut().find(|p| p.uid() == id) {
                    *slot = info;
                }
            }
            return;
        }
        if let Some(n) = self.nodes.get_mut(&node) {
            n.remove_pod(id);
            n.add_pod(info);
        }
        self.touch(&node);
    }

    pub fn update_pod(&mut self, pod: Arc<Pod>) {
        let id = uid(&pod).to_string();
        match self.pods.get(&id) {
            Some(state) if state.node == node_name(&pod) => {
                self.replace_on_node(&id, Arc::new(PodInfo::new(pod)));
            }
            _ => self.add_pod(pod),
        }
    }

    pub fn remove_pod(&mut self, pod_uid: &str) {
        if let Some(p) = self.pods.remove(pod_uid) {
            self.remove_from_node(&p.node, pod_uid);
        }
    }

    pub fn add_or_update_node(&mut self, node: Arc<Node>) {
        let name = node.metadata.name.clone().unwrap_or_default();
        let new_images = node_images(&node);
        let entry = self.node_entry(&name);
        let existed = entry.node.is_some();
        entry.set_node(node);
        if !existed {
            self.membership_changed = true;
        }
        self.set_node_images(&name, new_images);
        self.touch(&name);
    }

    pub fn remove_node(&mut self, name: &str) {
        self.set_node_images(name, Vec::new());
        let drop_it = match self.nodes.get_mut(name) {
            Some(n) => {
                n.node = None;
                n.pods.is_empty()
            }
            None => false,
        };
        if drop_it {
            self.nodes.remove(name);
        }
        self.membership_changed = true;
        self.touch(name);
    }

    /// Updates the cluster-wide image spread; every node holding an image whose spread changed
    /// gets its summary updated.
    fn set_node_images(&mut self, node: &str, images: Vec<(String, i64)>) {
        let new: HashMap<String, i64> = images.into_iter().collect();
        let mut changed = Vec::new();
        self.images.retain(|name, (_, holders)| {
            if !new.contains_key(name) && holders.remove(node) {
                changed.push(name.clone());
            }
            !holders.is_empty()
        });
        for (name, size) in &new {
            let e = self.images.entry(name.clone()).or_insert((*size, HashSet::new()));
            e.0 = *size;
            if e.1.insert(node.to_string()) {
                changed.push(name.clone());
            }
        }
        if let Some(n) = self.nodes.get_mut(node) {
            n.image_states.retain(|k, _| new.contains_key(k));
        }
        let mut touched = HashSet::new();
        for name in changed {
            let (size, holders) = match self.images.get(&name) {
                Some((s, h)) => (*s, h.clone()),
                None => continue,
            };
            for h in &holders {
                if let Some(n) = self.nodes.get_mut(h) {
                    n.image_states.insert(
                        name.clone(),
                        crate::framework::types::ImageStateSummary {
                            size,
                            num_nodes: holders.len(),
                        },
                    );
                    touched.insert(h.clone());
                }
            }
        }
        for t in touched {
            self.touch(&t);
        }
    }

    /// Brings `snapshot` up to date: copies only nodes changed since the last call.
    pub fn update_snapshot(&mut self, snapshot: &mut Snapshot) {
        if self.membership_changed {
            let mut names: Vec<&String> =
                self.nodes.iter().filter(|(_, n)| n.node.is_some()).map(|(k, _)| k).collect();
            names.sort();
            let list = names.into_iter().map(|n| Arc::new(self.nodes[n].clone())).collect();
            *snapshot = Snapshot::new(list, snapshot.objects.clone(), snapshot.nominated.clone());
            self.membership_changed = false;
            self.dirty.clear();
            return;
        }
        for name in std::mem::take(&mut self.dirty) {
            if let Some(n) = self.nodes.get(&name).filter(|n| n.node.is_some()) {
                snapshot.replace_node(Arc::new(n.clone()));
            }
        }
    }
}

fn labels_equal(a: &Pod, b: &Pod) -> bool {
    a.metadata.labels == b.metadata.labels && a.metadata.namespace == b.metadata.namespace
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(name: &str, cpu: &str) -> Arc<Node> {
        Arc::new(
            serde_json::from_value(json!({
                "metadata": {"name": name},
                "status": {"allocatable": {"cpu": cpu, "memory": "1Gi", "pods": "110"}}
            }))
            .expect("node"),
        )
    }

    fn pod(name: &str, node: &str, cpu: &str) -> Arc<Pod> {
        Arc::new(
            serde_json::from_value(json!({
                "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}")},
                "spec": {"nodeName": node, "containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}]}
            }))
            .expect("pod"),
        )
    }

    #[test]
    fn assumed_pods_count_until_confirmed_or_forgotten() {
        let mut cache = Cache::new();
        cache.add_or_update_node(node("n1", "2"));
        let mut snap = Snapshot::default();
        cache.update_snapshot(&mut snap);
        assert_eq!(snap.num_nodes(), 1);

        let p = Arc::new(PodInfo::new(pod("a", "", "500m")));
        cache.assume_pod(p.clone(), "n1").expect("assume");
        assert_eq!(cache.assume_pod(p, "n1"), Err(CacheError::AlreadyCached("uid-a".into())));
        cache.update_snapshot(&mut snap);
        assert_eq!(snap.get("n1").map(|n| n.requested.milli_cpu), Some(500));

        // The watch confirms it: still counted once.
        cache.add_pod(pod("a", "n1", "500m"));
        assert!(!cache.is_assumed("uid-a"));
        cache.update_snapshot(&mut snap);
        assert_eq!(snap.get("n1").map(|n| (n.requested.milli_cpu, n.pods.len())), Some((500, 1)));
        assert_eq!(cache.forget_pod("uid-a"), Err(CacheError::NotAssumed("uid-a".into())));

        let b = Arc::new(PodInfo::new(pod("b", "", "1")));
        cache.assume_pod(b, "n1").expect("assume");
        cache.forget_pod("uid-b").expect("forget");
        cache.remove_pod("uid-a");
        cache.update_snapshot(&mut snap);
        assert_eq!(snap.get("n1").map(|n| (n.requested.milli_cpu, n.pods.len())), Some((0, 0)));
    }

    #[test]
    fn pods_seen_before_their_node_and_node_removal() {
        let mut cache = Cache::new();
        cache.add_pod(pod("a", "n1", "1"));
        let mut snap = Snapshot::default();
        cache.update_snapshot(&mut snap);
        // The node itself is not known yet: not schedulable.
        assert_eq!(snap.num_nodes(), 0);
        cache.add_or_update_node(node("n1", "4"));
        cache.update_snapshot(&mut snap);
        assert_eq!(snap.get("n1").map(|n| n.requested.milli_cpu), Some(1000));
        cache.remove_node("n1");
        cache.update_snapshot(&mut snap);
        assert_eq!(snap.num_nodes(), 0);
        assert_eq!(cache.pod_count(), 1);
    }

    #[test]
    fn image_spread_is_shared_across_nodes() {
        let mut cache = Cache::new();
        let with_image = |name: &str| -> Arc<Node> {
            Arc::new(
                serde_json::from_value(json!({
                    "metadata": {"name": name},
                    "status": {"images": [{"names": ["busybox:1", "docker.io/library/busybox:1"], "sizeBytes": 1000}]}
                }))
                .expect("node"),
            )
        };
        cache.add_or_update_node(with_image("n1"));
        cache.add_or_update_node(with_image("n2"));
        let mut snap = Snapshot::default();
        cache.update_snapshot(&mut snap);
        let summary = snap.get("n1").and_then(|n| n.image_states.get("busybox:1").cloned());
        assert_eq!(summary.map(|s| (s.size, s.num_nodes)), Some((1000, 2)));
        cache.remove_node("n2");
        cache.update_snapshot(&mut snap);
        let summary = snap.get("n1").and_then(|n| n.image_states.get("busybox:1").cloned());
        assert_eq!(summary.map(|s| s.num_nodes), Some(1));
    }
}
