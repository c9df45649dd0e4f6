//! What the scheduler knows about pods and nodes, precomputed once per object: a pod's
//! resource requests and parsed affinity terms ([`PodInfo`]), a node's allocatable, requested
//! resources, host ports, images and pods ([`NodeInfo`]). Mirrors kube-scheduler's
//! `framework/types.go`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{
    Container, Node, Pod, PodAffinityTerm, ResourceRequirements, Taint,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use krust_runtime::quantity;
use kube::core::{Selector, SelectorExt};

/// CPU (millicores) and memory (bytes) counted for a container that requests none, so that
/// spreading scores still see it (kube-scheduler's `DefaultMilliCPURequest`/`DefaultMemoryRequest`).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// Resource amounts: CPU in millicores, memory and storage in bytes, pods as a count, and
/// extended/hugepages resources by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resource {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    pub allowed_pod_number: i64,
    pub scalar_resources: BTreeMap<String, i64>,
}

impl Resource {
    pub fn from_list(list: Option<&BTreeMap<String, Quantity>>) -> Resource {
        let mut r = Resource::default();
        for (name, q) in list.into_iter().flatten() {
            r.set(name, q);
        }
        r
    }

    fn set(&mut self, name: &str, q: &Quantity) {
        match name {
            "cpu" => self.milli_cpu = quantity::milli_value(q),
            "memory" => self.memory = quantity::value(q),
            "ephemeral-storage" => self.ephemeral_storage = quantity::value(q),
            "pods" => self.allowed_pod_number = quantity::value(q),
            n if is_scalar_resource(n) => {
                self.scalar_resources.insert(n.to_string(), quantity::value(q));
            }
            _ => {}
        }
    }

    pub fn add(&mut self, other: &Resource) {
        self.milli_cpu += other.milli_cpu;
        self.memory += other.memory;
        self.ephemeral_storage += other.ephemeral_storage;
        self.allowed_pod_number += other.allowed_pod_number;
        for (k, v) in &other.scalar_resources {
            *self.scalar_resources.entry(k.clone()).or_insert(0) += v;
        }
    }

    pub fn sub(&mut self, other: &Resource) {
        self.milli_cpu -= other.milli_cpu;
        self.memory -= other.memory;
        self.ephemeral_storage -= other.ephemeral_storage;
        self.allowed_pod_number -= other.allowed_pod_number;
        for (k, v) in &other.scalar_resources {
            *self.scalar_resources.entry(k.clone()).or_insert(0) -= v;
        }
    }

    /// Each field becomes the larger of the two.
    pub fn set_max(&mut self, other: &Resource) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        self.allowed_pod_number = self.allowed_pod_number.max(other.allowed_pod_number);
        for (k, v) in &other.scalar_resources {
            let e = self.scalar_resources.entry(k.clone()).or_insert(0);
            *e = (*e).max(*v);
        }
    }

    /// Amount of a named resource (`cpu` in millicores).
    pub fn get(&self, name: &str) -> i64 {
        match name {
            "cpu" => self.milli_cpu,
            "memory" => self.memory,
            "ephemeral-storage" => self.ephemeral_storage,
            "pods" => self.allowed_pod_number,
            n => self.scalar_resources.get(n).copied().unwrap_or(0),
        }
    }
}

/// Extended resources (`example.com/gpu`), prefixed native ones (`kubernetes.io/...`),
/// hugepages and attachable-volume counts: the ones kept by name (`IsScalarResourceName`).
pub fn is_scalar_resource(name: &str) -> bool {
    name.starts_with("hugepages-") || name.starts_with("attachable-volumes-") || name.contains('/')
}

fn container_requests(c: &Container) -> Resource {
    Resource::from_list(
        c.resources.as_ref().and_then(|r: &ResourceRequirements| r.requests.as_ref()),
    )
}

fn is_restartable_init(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// A pod's effective request (`resourcehelper.PodRequests`): app containers plus sidecars
/// (restartable init containers) summed, or the largest init-container phase if larger, plus
/// pod overhead; pod-level `resources.requests` win for the resources they name. With
/// `non_zero`, CPU and memory a container leaves unset count as the defaults above.
pub fn pod_requests(pod: &Pod, non_zero: bool) -> Resource {
    let Some(spec) = pod.spec.as_ref() else { return Resource::default() };
    let req = |c: &Container| {
        let mut r = container_requests(c);
        if non_zero {
            let has = |n: &str| {
                c.resources
                    .as_ref()
                    .and_then(|r| r.requests.as_ref())
                    .is_some_and(|m| m.contains_key(n))
            };
            if !has("cpu") {
                r.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
            }
            if !has("memory") {
                r.memory = DEFAULT_MEMORY_REQUEST;
            }
        }
        r
    };
    let mut total = Resource::default();
    for c in &spec.containers {
        total.add(&req(c));
    }
    let mut sidecars = Resource::default();
    let mut init_max = Resource::default();
    for c in spec.init_containers.iter().flatten() {
        let r = req(c);
        if is_restartable_init(c) {
            sidecars.add(&r);
            init_max.set_max(&sidecars);
        } else {
            let mut phase = r;
            phase.add(&sidecars);
            init_max.set_max(&phase);
        }
    }
    total.add(&sidecars);
    total.set_max(&init_max);
    if let Some(pod_level) = spec.resources.as_ref().and_then(|r| r.requests.as_ref()) {
        for name in ["cpu", "memory"] {
            if let Some(q) = pod_level.get(name) {
                total.set(name, q);
            }
        }
    }
    if let Some(overhead) = spec.overhead.as_ref() {
        total.add(&Resource::from_list(Some(overhead)));
    }
    total
}

/// Namespaces and a label selector over pods, within a topology domain.
#[derive(Clone, Debug)]
pub struct AffinityTerm {
    /// Namespaces named in the term (or the pod's own when the term names none and has no
    /// namespace selector).
    pub namespaces: HashSet<String>,
    /// `None` for a missing selector: matches no pod.
    pub selector: Option<Selector>,
    /// `None` for a missing namespace selector: selects no namespace; an empty one selects all.
    pub namespace_selector: Option<Selector>,
    pub topology_key: String,
}

#[derive(Clone, Debug)]
pub struct WeightedAffinityTerm {
    pub term: AffinityTerm,
    pub weight: i32,
}

fn selector(ls: Option<&LabelSelector>) -> Result<Option<Selector>, String> {
    match ls {
        None => Ok(None),
        Some(ls) => Selector::try_from(ls.clone()).map(Some).map_err(|e| e.to_string()),
    }
}

impl AffinityTerm {
    pub fn new(pod_namespace: &str, t: &PodAffinityTerm) -> Result<AffinityTerm, String> {
        let mut namespaces: HashSet<String> = t.namespaces.iter().flatten().cloned().collect();
        let namespace_selector = selector(t.namespace_selector.as_ref())?;
        if namespaces.is_empty() && namespace_selector.is_none() {
            namespaces.insert(pod_namespace.to_string());
        }
        Ok(AffinityTerm {
            namespaces,
            selector: selector(t.label_selector.as_ref())?,
            namespace_selector,
            topology_key: t.topology_key.clone(),
        })
    }

    /// Whether `pod` (whose namespace has labels `ns_labels`) is one this term selects.
    pub fn matches(&self, pod: &Pod, ns_labels: Option<&BTreeMap<String, String>>) -> bool {
        let ns = pod.metadata.namespace.as_deref().unwrap_or("");
        let in_ns = self.namespaces.contains(ns)
            || match (&self.namespace_selector, ns_labels) {
                (Some(sel), Some(labels)) => sel.matches(labels),
                (Some(sel), None) => sel.selects_all(),
                (None, _) => false,
            };
        in_ns && self.selector.as_ref().is_some_and(|s| s.matches(labels(pod)))
    }
}

static EMPTY_LABELS: BTreeMap<String, String> = BTreeMap::new();

/// A pod's (or any object's) labels, empty when it has none.
pub fn labels(pod: &Pod) -> &BTreeMap<String, String> {
    pod.metadata.labels.as_ref().unwrap_or(&EMPTY_LABELS)
}

/// `namespace/name`.
pub fn pod_key(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or(""),
        pod.metadata.name.as_deref().unwrap_or("")
    )
}

/// `spec.priority`, 0 when unset (the Priority admission sets it from the PriorityClass).
pub fn pod_priority(pod: &Pod) -> i32 {
    pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)
}

/// A pod with what the scheduler derives from it, computed once.
#[derive(Clone, Debug)]
pub struct PodInfo {
    pub pod: Arc<Pod>,
    pub requests: Resource,
    /// Requests with CPU/memory defaults for containers that set none (for scoring).
    pub non_zero_requests: Resource,
    pub required_affinity_terms: Vec<AffinityTerm>,
    pub required_anti_affinity_terms: Vec<AffinityTerm>,
    pub preferred_affinity_terms: Vec<WeightedAffinityTerm>,
    pub preferred_anti_affinity_terms: Vec<WeightedAffinityTerm>,
    /// A term whose selector does not parse; the pod is unschedulable with this message.
    pub parse_error: Option<String>,
}

impl PodInfo {
    pub fn new(pod: Arc<Pod>) -> PodInfo {
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let mut errors = Vec::new();
        let mut required = |terms: Option<&Vec<PodAffinityTerm>>| -> Vec<AffinityTerm> {
            terms
                .into_iter()
                .flatten()
                .filter_map(|t| AffinityTerm::new(&ns, t).map_err(|e| errors.push(e)).ok())
                .collect()
        };
        let affinity = pod.spec.as_ref().and_then(|s| s.affinity.as_ref());
        let pa = affinity.and_then(|a| a.pod_affinity.as_ref());
        let paa = affinity.and_then(|a| a.pod_anti_affinity.as_ref());
        let required_affinity_terms = required(
            pa.and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref()),
        );
        let required_anti_affinity_terms = required(
            paa.and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref()),
        );
        let mut preferred =
            |terms: Option<&Vec<k8s_openapi::api::core::v1::WeightedPodAffinityTerm>>| {
                terms
                    .into_iter()
                    .flatten()
                    .filter_map(|w| {
                        AffinityTerm::new(&ns, &w.pod_affinity_term)
                            .map(|term| WeightedAffinityTerm { term, weight: w.weight })
                            .map_err(|e| errors.push(e))
                            .ok()
                    })
                    .collect::<Vec<_>>()
            };
        let preferred_affinity_terms = preferred(
            pa.and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_ref()),
        );
        let preferred_anti_affinity_terms = preferred(
            paa.and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_ref()),
        );
        PodInfo {
            requests: pod_requests(&pod, false),
            non_zero_requests: pod_requests(&pod, true),
            required_affinity_terms,
            required_anti_affinity_terms,
            preferred_affinity_terms,
            preferred_anti_affinity_terms,
            parse_error: (!errors.is_empty()).then(|| errors.join("; ")),
            pod,
        }
    }

    pub fn name(&self) -> &str {
        self.pod.metadata.name.as_deref().unwrap_or("")
    }
    pub fn namespace(&self) -> &str {
        self.pod.metadata.namespace.as_deref().unwrap_or("")
    }
    pub fn uid(&self) -> &str {
        self.pod.metadata.uid.as_deref().unwrap_or("")
    }
    pub fn priority(&self) -> i32 {
        pod_priority(&self.pod)
    }
    pub fn has_affinity(&self) -> bool {
        !self.required_affinity_terms.is_empty()
            || !self.required_anti_affinity_terms.is_empty()
            || !self.preferred_affinity_terms.is_empty()
            || !self.preferred_anti_affinity_terms.is_empty()
    }
    /// Host ports the pod's containers (and sidecars) ask for: (ip, protocol, port).
    pub fn host_ports(&self) -> Vec<(String, String, i32)> {
        let Some(spec) = self.pod.spec.as_ref() else { return Vec::new() };
        let sidecars = spec.init_containers.iter().flatten().filter(|c| is_restartable_init(c));
        spec.containers
            .iter()
            .chain(sidecars)
            .flat_map(|c| c.ports.iter().flatten())
            .filter(|p| p.host_port.is_some_and(|hp| hp > 0))
            .map(|p| {
                (
                    p.host_ip
                        .clone()
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| DEFAULT_BIND_ALL_HOST_IP.into()),
                    p.protocol.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "TCP".into()),
                    p.host_port.unwrap_or(0),
                )
            })
            .collect()
    }
}

pub const DEFAULT_BIND_ALL_HOST_IP: &str = "0.0.0.0";

/// Host ports in use on a node: ip → {(protocol, port)}.
#[derive(Clone, Debug, Default)]
pub struct HostPortInfo(HashMap<String, HashSet<(String, i32)>>);

impl HostPortInfo {
    pub fn add(&mut self, ip: &str, protocol: &str, port: i32) {
        self.0.entry(ip.to_string()).or_default().insert((protocol.to_string(), port));
    }
    pub fn remove(&mut self, ip: &str, protocol: &str, port: i32) {
        if let Some(set) = self.0.get_mut(ip) {
            set.remove(&(protocol.to_string(), port));
            if set.is_empty() {
                self.0.remove(ip);
            }
        }
    }
    /// Whether `(ip, protocol, port)` clashes with a port in use; `0.0.0.0` clashes with every
    /// address.
    pub fn check_conflict(&self, ip: &str, protocol: &str, port: i32) -> bool {
        let key = (protocol.to_string(), port);
        if ip == DEFAULT_BIND_ALL_HOST_IP {
            return self.0.values().any(|s| s.contains(&key));
        }
        [ip, DEFAULT_BIND_ALL_HOST_IP]
            .iter()
            .any(|i| self.0.get(*i).is_some_and(|s| s.contains(&key)))
    }
    pub fn len(&self) -> usize {
        self.0.values().map(HashSet::len).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An image on a node, with cluster-wide spread (for ImageLocality).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageStateSummary {
    pub size: i64,
    pub num_nodes: usize,
}

/// Everything about one node the plugins look at.
#[derive(Clone, Debug, Default)]
pub struct NodeInfo {
    /// `None` while pods are known on a node the scheduler has not seen (yet or any more).
    pub node: Option<Arc<Node>>,
    pub name: String,
    pub pods: Vec<Arc<PodInfo>>,
    pub pods_with_affinity: Vec<Arc<PodInfo>>,
    pub pods_with_required_anti_affinity: Vec<Arc<PodInfo>>,
    pub used_ports: HostPortInfo,
    pub requested: Resource,
    pub non_zero_requested: Resource,
    pub allocatable: Resource,
    /// Image name (every name the node reports) → size and how many nodes have it.
    pub image_states: HashMap<String, ImageStateSummary>,
    /// Bumped on every change; the cache copies only changed nodes into a snapshot.
    pub generation: u64,
}

impl NodeInfo {
    pub fn new(node: Arc<Node>) -> NodeInfo {
        let mut ni = NodeInfo::default();
        ni.set_node(node);
        ni
    }

    pub fn set_node(&mut self, node: Arc<Node>) {
        self.name = node.metadata.name.clone().unwrap_or_default();
        self.allocatable =
            Resource::from_list(node.status.as_ref().and_then(|s| s.allocatable.as_ref()));
        self.node = Some(node);
    }

    pub fn node(&self) -> Option<&Node> {
        self.node.as_deref()
    }

    pub fn labels(&self) -> &BTreeMap<String, String> {
        self.node().and_then(|n| n.metadata.labels.as_ref()).unwrap_or(&EMPTY_LABELS)
    }

    pub fn taints(&self) -> &[Taint] {
        self.node().and_then(|n| n.spec.as_ref()).and_then(|s| s.taints.as_deref()).unwrap_or(&[])
    }

    pub fn add_pod(&mut self, pi: Arc<PodInfo>) {
        self.requested.add(&pi.requests);
        self.non_zero_requested.add(&pi.non_zero_requests);
        for (ip, proto, port) in pi.host_ports() {
            self.used_ports.add(&ip, &proto, port);
        }
        if pi.has_affinity() {
            self.pods_with_affinity.push(pi.clone());
        }
        if !pi.required_anti_affinity_terms.is_empty() {
            self.pods_with_required_anti_affinity.push(pi.clone());
        }
        self.pods.push(pi);
    }

    /// Removes the pod with `uid`; false when it is not on this node.
    pub fn remove_pod(&mut self, uid: &str) -> bool {
        let Some(i) = self.pods.iter().position(|p| p.uid() == uid) else { return false };
        let pi = self.pods.swap_remove(i);
        self.pods_with_affinity.retain(|p| p.uid() != uid);
        self.pods_with_required_anti_affinity.retain(|p| p.uid() != uid);
        self.requested.sub(&pi.requests);
        self.non_zero_requested.sub(&pi.non_zero_requests);
        for (ip, proto, port) in pi.host_ports() {
            self.used_ports.remove(&ip, &proto, port);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).expect("test pod")
    }

    #[test]
    fn requests_take_the_largest_init_phase_and_add_sidecars_and_overhead() {
        let p = pod(json!({
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {
                "containers": [
                    {"name": "a", "resources": {"requests": {"cpu": "100m", "memory": "100Mi"}}},
                    {"name": "b", "resources": {"requests": {"cpu": "200m", "example.com/gpu": "1"}}}
                ],
                "initContainers": [
                    {"name": "i1", "resources": {"requests": {"cpu": "1", "memory": "10Mi"}}},
                    {"name": "side", "restartPolicy": "Always", "resources": {"requests": {"cpu": "50m"}}},
                    {"name": "i2", "resources": {"requests": {"cpu": "100m", "memory": "1Gi"}}}
                ],
                "overhead": {"cpu": "10m"}
            }
        }));
        let r = pod_requests(&p, false);
        // cpu: max(300 + 50, 1000, 100 + 50) + 10
        assert_eq!(r.milli_cpu, 1010);
        // memory: max(100Mi, 10Mi, 1Gi)
        assert_eq!(r.memory, 1 << 30);
        assert_eq!(r.scalar_resources.get("example.com/gpu"), Some(&1));
        let nz = pod_requests(&p, true);
        // the sidecar sets no memory and counts 200Mi, also during i2's phase
        assert_eq!(nz.memory, (1 << 30) + 200 * 1024 * 1024);
        let empty =
            pod(json!({"metadata": {"name": "e"}, "spec": {"containers": [{"name": "a"}]}}));
        assert_eq!(pod_requests(&empty, false), Resource::default());
        let nz = pod_requests(&empty, true);
        assert_eq!((nz.milli_cpu, nz.memory), (100, 200 * 1024 * 1024));
    }

    #[test]
    fn host_port_conflicts_treat_any_address_as_every_address() {
        let mut h = HostPortInfo::default();
        h.add("127.0.0.1", "TCP", 80);
        assert!(h.check_conflict("0.0.0.0", "TCP", 80));
        assert!(h.check_conflict("127.0.0.1", "TCP", 80));
        assert!(!h.check_conflict("127.0.0.2", "TCP", 80));
        assert!(!h.check_conflict("127.0.0.1", "UDP", 80));
        h.add("0.0.0.0", "UDP", 53);
        assert!(h.check_conflict("10.0.0.1", "UDP", 53));
    }

    #[test]
    fn affinity_terms_default_to_the_pods_namespace() {
        let t: PodAffinityTerm = serde_json::from_value(json!({
            "labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone"
        }))
        .expect("term");
        let term = AffinityTerm::new("prod", &t).expect("parses");
        let web = |ns: &str| {
            pod(json!({"metadata": {"name": "w", "namespace": ns, "labels": {"app": "web"}}}))
        };
        assert!(term.matches(&web("prod"), None));
        assert!(!term.matches(&web("dev"), None));
        let all: PodAffinityTerm = serde_json::from_value(json!({
            "labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone", "namespaceSelector": {}
        }))
        .expect("term");
        let term = AffinityTerm::new("prod", &all).expect("parses");
        assert!(term.matches(&web("dev"), Some(&BTreeMap::new())));
    }
}
