//! Per-node results remembered across scheduling cycles, for a few questions (keys). PreFilter
//! and PreScore of PodTopologySpread and InterPodAffinity look at every pod on every node;
//! consecutive pods of one workload ask the same question, and between two of their cycles
//! only the nodes that gained or lost pods have changed.
//!
//! A node's result is reused while the pods it was computed from are the very same pods (the
//! same `Arc`s, in the same order). Pods are immutable behind their `Arc`, and the memo keeps
//! its clones of them, so a matching list cannot be other pods at recycled addresses: the
//! check needs no cooperation from the cache that builds the snapshot. A result must depend
//! only on the key and the pods (never on the node's labels), so that even a position that
//! now holds another node can only hit with that node's own pods.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::framework::{NodeInfo, PodInfo, Snapshot};

/// How many keys are remembered; the least recently used goes first.
const REMEMBERED_KEYS: usize = 8;

pub struct NodeMemo<V> {
    inner: Mutex<Inner<V>>,
}

impl<V> Default for NodeMemo<V> {
    fn default() -> Self {
        NodeMemo { inner: Mutex::new(Inner { tick: 0, keys: HashMap::new() }) }
    }
}

impl<V> std::fmt::Debug for NodeMemo<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeMemo").field("keys", &self.inner.lock().keys.len()).finish()
    }
}

struct Inner<V> {
    tick: u64,
    keys: HashMap<String, Entries<V>>,
}

/// The results for one key, by the node's position in the snapshot.
pub struct Entries<V> {
    last_used: u64,
    nodes: Vec<Option<(Vec<Arc<PodInfo>>, V)>>,
}

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries { last_used: 0, nodes: Vec::new() }
    }
}

fn same_pods(a: &[Arc<PodInfo>], b: &[Arc<PodInfo>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| Arc::ptr_eq(x, y))
}

impl<V> Entries<V> {
    /// The result for the node at `index` computed from `pods`: remembered if they are the
    /// same pods as last time, else `compute()` (and remembered).
    pub fn get(&mut self, index: usize, pods: &[Arc<PodInfo>], compute: impl FnOnce() -> V) -> &V {
        if index >= self.nodes.len() {
            self.nodes.resize_with(index + 1, || None);
        }
        // In bounds: just resized.
        let slot = &mut self.nodes[index];
        if !matches!(slot, Some((seen, _)) if same_pods(seen, pods)) {
            *slot = None;
        }
        &slot.get_or_insert_with(|| (pods.to_vec(), compute())).1
    }
}

impl<V> NodeMemo<V> {
    /// Calls `visit` for every node of `subset` (the snapshot's nodes, or a sublist of them
    /// such as those with affinity pods) whose `pods_of` are not empty, with `compute` of
    /// those pods, remembered under `key`. A small subset is walked directly: visiting every
    /// node to find it in the memo would cost more.
    pub fn for_each(
        &self,
        key: String,
        snapshot: &Snapshot,
        subset: &[Arc<NodeInfo>],
        pods_of: impl Fn(&NodeInfo) -> &[Arc<PodInfo>],
        compute: impl Fn(&[Arc<PodInfo>]) -> V,
        mut visit: impl FnMut(&NodeInfo, &V),
    ) {
        let wanted = |node: &NodeInfo| node.node.is_some() && !pods_of(node).is_empty();
        if subset.len() * 4 < snapshot.node_info_list.len() {
            for node in subset.iter().filter(|n| wanted(n)) {
                visit(node, &compute(pods_of(node)));
            }
            return;
        }
        let mut entries = self.take(&key);
        for (index, node) in snapshot.node_info_list.iter().enumerate() {
            if wanted(node) {
                let pods = pods_of(node);
                visit(node, entries.get(index, pods, || compute(pods)));
            }
        }
        self.put(key, entries);
    }

    /// Takes the results for `key` out of the memo (empty ones if there are none); hand them
    /// back with [`NodeMemo::put`]. Cycles running at once each work on their own copy.
    pub fn take(&self, key: &str) -> Entries<V> {
        self.inner.lock().keys.remove(key).unwrap_or_default()
    }

    pub fn put(&self, key: String, mut entries: Entries<V>) {
        let mut inner = self.inner.lock();
        inner.tick += 1;
        entries.last_used = inner.tick;
        if inner.keys.len() >= REMEMBERED_KEYS && !inner.keys.contains_key(&key) {
            let oldest = inner.keys.iter().min_by_key(|(_, e)| e.last_used).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                inner.keys.remove(&oldest);
            }
        }
        inner.keys.insert(key, entries);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Pod;

    fn pod_info(name: &str) -> Arc<PodInfo> {
        let mut p = Pod::default();
        p.metadata.name = Some(name.to_string());
        Arc::new(PodInfo::new(Arc::new(p)))
    }

    #[test]
    fn results_are_reused_only_for_the_same_pods() {
        let memo = NodeMemo::<i64>::default();
        let (a, b) = (pod_info("a"), pod_info("b"));
        let mut e = memo.take("k");
        assert_eq!(*e.get(3, std::slice::from_ref(&a), || 1), 1);
        memo.put("k".into(), e);
        let mut e = memo.take("k");
        assert_eq!(*e.get(3, std::slice::from_ref(&a), || 7), 1);
        // Same names, different pods: recomputed.
        assert_eq!(*e.get(3, &[pod_info("a")], || 7), 7);
        assert_eq!(*e.get(3, &[a.clone(), b.clone()], || 2), 2);
        assert_eq!(*e.get(3, &[b, a], || 9), 9);
        assert_eq!(*e.get(0, &[], || 0), 0);
    }

    #[test]
    fn the_least_recently_used_key_is_forgotten() {
        let memo = NodeMemo::<usize>::default();
        for i in 0..=REMEMBERED_KEYS {
            let mut e = memo.take(&i.to_string());
            e.get(0, &[], || i);
            memo.put(i.to_string(), e);
        }
        assert_eq!(*memo.take("0").get(0, &[], || 99), 99);
        assert_eq!(*memo.take("1").get(0, &[], || 99), 1);
    }
}
