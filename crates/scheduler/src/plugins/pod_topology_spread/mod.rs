//! PodTopologySpread (kube-scheduler's `plugins/podtopologyspread`): spreads pods that match a
//! label selector evenly over topology domains (`spec.topologySpreadConstraints`, or the
//! cluster defaults for pods that set none).
//!
//! Hard constraints (`whenUnsatisfiable: DoNotSchedule`) are checked in Filter against counts
//! PreFilter takes per domain over every eligible node: placing the pod must keep
//! `matching pods in the node's domain + 1 (if it matches itself) - global minimum <= maxSkew`.
//! Soft constraints (`ScheduleAnyway`) score nodes in inverse proportion to the matching pods
//! in their domains, weighted by `log(number of domains + 2)` so small topologies count.
//!
//! Counting walks every pod of the cluster; each node's count is remembered across cycles
//! while the node keeps the same pods ([`node_memo`]), so a workload's next pod only recounts
//! the nodes that changed.

pub mod node_memo;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Pod, Toleration, TopologySpreadConstraint};
use kube::core::{Expression, Selector, SelectorExt};

use crate::framework::types::labels;
use crate::framework::{
    ClusterObjects, CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, PreFilterPlugin,
    PreFilterResult, PreScorePlugin, ScorePlugin, Snapshot, Status, MAX_NODE_SCORE,
};
use crate::plugins::node_affinity::selector::RequiredNodeAffinity;
use crate::plugins::taint_toleration::{find_matching_untolerated_taint, is_do_not_schedule_taint};
use node_memo::{Entries, NodeMemo};

pub const NAME: &str = "PodTopologySpread";

/// Weight of this plugin's score in kube-scheduler's default profile.
pub const DEFAULT_WEIGHT: i64 = 2;

pub const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints";
pub const ERR_REASON_NODE_LABEL_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
pub const LABEL_TOPOLOGY_ZONE: &str = "topology.kubernetes.io/zone";

const DO_NOT_SCHEDULE: &str = "DoNotSchedule";
const SCHEDULE_ANYWAY: &str = "ScheduleAnyway";
const HONOR: &str = "Honor";

/// Score returned for a node that lacks a topology key: NormalizeScore turns it into 0.
const INVALID_SCORE: i64 = -1;

/// kube-scheduler's built-in defaults (`DefaultingType: System`): soft spreading over hosts
/// and zones, for pods without constraints of their own.
pub fn system_default_constraints() -> Vec<TopologySpreadConstraint> {
    [(LABEL_HOSTNAME, 3), (LABEL_TOPOLOGY_ZONE, 5)]
        .into_iter()
        .map(|(key, max_skew)| TopologySpreadConstraint {
            max_skew,
            topology_key: key.to_string(),
            when_unsatisfiable: SCHEDULE_ANYWAY.to_string(),
            ..Default::default()
        })
        .collect()
}

/// The plugin, with `PodTopologySpreadArgs`.
#[derive(Debug)]
pub struct PodTopologySpread {
    /// Constraints for pods that set none; their selector is built from the pod's Services
    /// and controller.
    pub default_constraints: Vec<TopologySpreadConstraint>,
    /// The defaults are the system ones: scoring then tolerates nodes without a zone label.
    pub system_defaulted: bool,
    counts: NodeMemo<i64>,
}

impl PodTopologySpread {
    /// With `DefaultingType: List` and these default constraints.
    pub fn with_default_constraints(default_constraints: Vec<TopologySpreadConstraint>) -> Self {
        PodTopologySpread {
            default_constraints,
            system_defaulted: false,
            counts: NodeMemo::default(),
        }
    }
}

impl Default for PodTopologySpread {
    fn default() -> Self {
        PodTopologySpread {
            default_constraints: system_default_constraints(),
            system_defaulted: true,
            counts: NodeMemo::default(),
        }
    }
}

impl Plugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        NAME
    }
}

/// A spread constraint with its selector parsed and the defaults of unset fields applied.
#[derive(Clone, Debug)]
struct Constraint {
    max_skew: i32,
    topology_key: String,
    /// `None`: no `labelSelector`, which selects no pod.
    selector: Option<Selector>,
    min_domains: i32,
    honor_node_affinity: bool,
    honor_node_taints: bool,
}

impl Constraint {
    fn selects(&self, pod_labels: &BTreeMap<String, String>) -> bool {
        self.selector.as_ref().is_some_and(|s| s.matches(pod_labels))
    }

    fn is_hostname(&self) -> bool {
        self.topology_key == LABEL_HOSTNAME
    }

    /// What the matching-pod count of a node depends on besides its pods; `None` when the
    /// count is always 0.
    fn memo_key(&self, ns: &str) -> Option<String> {
        let sel = self.selector.as_ref().filter(|s| !s.selects_all())?;
        Some(format!("{ns}\0{sel:?}"))
    }

    /// Matching pods among `pods` in namespace `ns`, terminating ones excluded. An empty
    /// selector counts nothing (`countPodsMatchSelector`), though the pod itself and pods
    /// added through PreFilter extensions still "match" it.
    fn count_matching(&self, pods: &[Arc<PodInfo>], ns: &str) -> i64 {
        let Some(sel) = self.selector.as_ref().filter(|s| !s.selects_all()) else { return 0 };
        let n = pods
            .iter()
            .filter(|p| {
                p.pod.metadata.deletion_timestamp.is_none()
                    && p.namespace() == ns
                    && sel.matches(labels(&p.pod))
            })
            .count();
        n as i64
    }
}

/// The node has every constraint's topology key.
fn has_all_keys(node_labels: &BTreeMap<String, String>, constraints: &[Constraint]) -> bool {
    constraints.iter().all(|c| node_labels.contains_key(&c.topology_key))
}

/// The constraints of `action` among `list`, parsed; `matchLabelKeys` are merged into the
/// selector with the pod's values. (Since v1.34 the API server already merges them at pod
/// creation; the scheduler still does, for older pods, and a repeated requirement is
/// harmless.)
fn parse_constraints(
    list: &[TopologySpreadConstraint],
    pod_labels: &BTreeMap<String, String>,
    action: &str,
) -> Result<Vec<Constraint>, String> {
    let mut out = Vec::new();
    for c in list.iter().filter(|c| c.when_unsatisfiable == action) {
        let mut selector = match &c.label_selector {
            None => None,
            Some(ls) => Some(Selector::try_from(ls.clone()).map_err(|e| e.to_string())?),
        };
        let match_labels: Vec<(String, String)> = c
            .match_label_keys
            .iter()
            .flatten()
            .filter_map(|k| pod_labels.get(k).map(|v| (k.clone(), v.clone())))
            .collect();
        // A missing selector selects nothing, with or without extra requirements.
        if let Some(sel) = selector.as_mut().filter(|_| !match_labels.is_empty()) {
            let mut merged: Selector = match_labels.into_iter().collect();
            merged.extend(std::mem::take(sel));
            *sel = merged;
        }
        out.push(Constraint {
            max_skew: c.max_skew,
            topology_key: c.topology_key.clone(),
            selector,
            min_domains: c.min_domains.unwrap_or(1),
            honor_node_affinity: c.node_affinity_policy.as_deref().is_none_or(|p| p == HONOR),
            honor_node_taints: c.node_taints_policy.as_deref() == Some(HONOR),
        });
    }
    Ok(out)
}

/// The selector the pod's Services, ReplicationController, ReplicaSet or StatefulSet agree on
/// (`helper.DefaultSelector`); empty when nothing selects the pod.
fn default_selector(pod: &Pod, objects: &ClusterObjects) -> Selector {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("");
    let pod_labels = labels(pod);
    let in_ns = |meta_ns: &Option<String>| meta_ns.as_deref().unwrap_or("") == ns;
    let mut set: BTreeMap<String, String> = BTreeMap::new();
    for svc in objects.services.iter().filter(|s| in_ns(&s.metadata.namespace)) {
        // A Service without a selector selects nothing, not everything.
        let Some(sel) = svc.spec.as_ref().and_then(|s| s.selector.as_ref()) else { continue };
        if sel.iter().all(|(k, v)| pod_labels.get(k) == Some(v)) {
            set.extend(sel.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    let mut extra: Vec<Expression> = Vec::new();
    let owner = pod.metadata.owner_references.iter().flatten().find(|o| o.controller == Some(true));
    if let Some(owner) = owner {
        let named = |name: &Option<String>, meta_ns: &Option<String>| {
            name.as_deref() == Some(owner.name.as_str()) && in_ns(meta_ns)
        };
        match (owner.api_version.as_str(), owner.kind.as_str()) {
            ("v1", "ReplicationController") => {
                let rc = objects
                    .replication_controllers
                    .iter()
                    .find(|rc| named(&rc.metadata.name, &rc.metadata.namespace));
                if let Some(sel) =
                    rc.and_then(|rc| rc.spec.as_ref()).and_then(|s| s.selector.as_ref())
                {
                    set.extend(sel.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
            ("apps/v1", "ReplicaSet") => {
                let rs = objects
                    .replica_sets
                    .iter()
                    .find(|rs| named(&rs.metadata.name, &rs.metadata.namespace));
                if let Some(Ok(sel)) = rs
                    .and_then(|rs| rs.spec.as_ref())
                    .map(|s| Selector::try_from(s.selector.clone()))
                {
                    extra.extend(sel);
                }
            }
            ("apps/v1", "StatefulSet") => {
                let ss = objects
                    .stateful_sets
                    .iter()
                    .find(|ss| named(&ss.metadata.name, &ss.metadata.namespace));
                if let Some(Ok(sel)) = ss
                    .and_then(|ss| ss.spec.as_ref())
                    .map(|s| Selector::try_from(s.selector.clone()))
                {
                    extra.extend(sel);
                }
            }
            _ => {}
        }
    }
    let mut selector: Selector = set.into_iter().collect();
    selector.extend(extra);
    selector
}

impl PodTopologySpread {
    /// The remembered counts for each constraint (`None` where it counts nothing). Two
    /// constraints with one selector get separate (and then the second a fresh) copy.
    fn take_counts(
        &self,
        constraints: &[Constraint],
        ns: &str,
    ) -> Vec<Option<(String, Entries<i64>)>> {
        constraints
            .iter()
            .map(|c| {
                c.memo_key(ns).map(|k| {
                    let counts = self.counts.take(&k);
                    (k, counts)
                })
            })
            .collect()
    }

    fn put_counts(&self, memos: Vec<Option<(String, Entries<i64>)>>) {
        for (k, counts) in memos.into_iter().flatten() {
            self.counts.put(k, counts);
        }
    }

    /// The pod's constraints of `action`, or the default ones when it sets none.
    fn constraints(
        &self,
        pod: &PodInfo,
        objects: &ClusterObjects,
        action: &str,
    ) -> Result<Vec<Constraint>, String> {
        let own = pod.pod.spec.as_ref().and_then(|s| s.topology_spread_constraints.as_deref());
        let pod_labels = labels(&pod.pod);
        if let Some(own) = own.filter(|c| !c.is_empty()) {
            return parse_constraints(own, pod_labels, action);
        }
        let mut defaults = parse_constraints(&self.default_constraints, pod_labels, action)?;
        if defaults.is_empty() {
            return Ok(defaults);
        }
        let selector = default_selector(&pod.pod, objects);
        if selector.selects_all() {
            return Ok(Vec::new());
        }
        for c in &mut defaults {
            c.selector = Some(selector.clone());
        }
        Ok(defaults)
    }

    fn has_own_constraints(pod: &PodInfo) -> bool {
        pod.pod
            .spec
            .as_ref()
            .and_then(|s| s.topology_spread_constraints.as_ref())
            .is_some_and(|c| !c.is_empty())
    }
}

/// Which nodes count as domains under the constraints' inclusion policies.
struct Inclusion<'a> {
    affinity: RequiredNodeAffinity,
    tolerations: &'a [Toleration],
}

impl<'a> Inclusion<'a> {
    fn of(pod: &'a Pod) -> Self {
        let tolerations = pod.spec.as_ref().and_then(|s| s.tolerations.as_deref()).unwrap_or(&[]);
        Inclusion { affinity: RequiredNodeAffinity::from_pod(pod), tolerations }
    }

    fn includes(&self, c: &Constraint, node: &NodeInfo) -> bool {
        let Some(n) = node.node() else { return false };
        (!c.honor_node_affinity || self.affinity.matches_node(n))
            && (!c.honor_node_taints
                || find_matching_untolerated_taint(
                    node.taints(),
                    self.tolerations,
                    is_do_not_schedule_taint,
                )
                .is_none())
    }
}

/// The two domains with the fewest matching pods of one constraint; `[0]` holds the minimum.
/// Two suffice because preemption only removes pods from one node per evaluation.
#[derive(Clone, Debug, PartialEq)]
struct CriticalPaths([(String, i64); 2]);

impl CriticalPaths {
    fn new() -> Self {
        let unset = (String::new(), i64::from(i32::MAX));
        CriticalPaths([unset.clone(), unset])
    }

    fn min(&self) -> i64 {
        self.0[0].1
    }

    fn update(&mut self, value: &str, num: i64) {
        let p = &mut self.0;
        let existing = if value == p[0].0 {
            Some(0)
        } else if value == p[1].0 {
            Some(1)
        } else {
            None
        };
        match existing {
            Some(i) => {
                p[i].1 = num;
                if p[0].1 > p[1].1 {
                    p.swap(0, 1);
                }
            }
            None if num < p[0].1 => {
                p[1] = std::mem::replace(&mut p[0], (value.to_string(), num));
            }
            None if num < p[1].1 => p[1] = (value.to_string(), num),
            None => {}
        }
    }
}

/// What PreFilter computes for Filter, per hard constraint (kube-scheduler's
/// `preFilterState`).
#[derive(Clone, Debug)]
struct PreFilterState {
    constraints: Arc<[Constraint]>,
    /// The incoming pod matches the constraint's selector (it adds one to its domain).
    self_match: Arc<[bool]>,
    critical_paths: Vec<CriticalPaths>,
    /// Topology value → matching pods, per constraint; every eligible domain has an entry.
    tp_value_to_match_num: Vec<HashMap<String, i64>>,
}

impl PreFilterState {
    /// The global minimum, or 0 while fewer than `minDomains` domains are eligible.
    fn min_match_num(paths: &CriticalPaths, domains: usize, min_domains: i32) -> i64 {
        if (domains as i64) < i64::from(min_domains) {
            0
        } else {
            paths.min()
        }
    }

    fn update_with_pod(&mut self, preemptor: &Pod, updated: &Pod, node: &NodeInfo, delta: i64) {
        if updated.metadata.namespace != preemptor.metadata.namespace || node.node.is_none() {
            return;
        }
        let node_labels = node.labels();
        if !has_all_keys(node_labels, &self.constraints) {
            return;
        }
        let inclusion = Inclusion::of(preemptor);
        let updated_labels = labels(updated);
        let per_constraint = self
            .constraints
            .iter()
            .zip(self.tp_value_to_match_num.iter_mut())
            .zip(self.critical_paths.iter_mut());
        for ((c, counts), paths) in per_constraint {
            if !c.selects(updated_labels) || !inclusion.includes(c, node) {
                continue;
            }
            let Some(value) = node_labels.get(&c.topology_key) else { continue };
            let n = counts.entry(value.clone()).or_insert(0);
            *n += delta;
            paths.update(value, *n);
        }
    }
}

fn missing_state(point: &str) -> Status {
    Status::error(format!("reading \"{point}{NAME}\" from cycleState: not found"))
}

impl PreFilterPlugin for PodTopologySpread {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
    ) -> (PreFilterResult, Status) {
        let constraints = match self.constraints(pod, &snapshot.objects, DO_NOT_SCHEDULE) {
            Ok(c) => c,
            Err(e) => {
                let msg = format!("get constraints from pod: {e}");
                return (PreFilterResult::all_nodes(), Status::error(msg));
            }
        };
        if constraints.is_empty() {
            return (PreFilterResult::all_nodes(), Status::skip());
        }
        let ns = pod.namespace();
        let inclusion = Inclusion::of(&pod.pod);
        let mut counts: Vec<HashMap<String, i64>> = constraints
            .iter()
            .map(|c| HashMap::with_capacity(if c.is_hostname() { snapshot.num_nodes() } else { 0 }))
            .collect();
        let mut memos = self.take_counts(&constraints, ns);
        for (index, node) in snapshot.node_info_list.iter().enumerate() {
            let node_labels = node.labels();
            if node.node.is_none() || !has_all_keys(node_labels, &constraints) {
                continue;
            }
            let per_constraint = constraints.iter().zip(counts.iter_mut()).zip(memos.iter_mut());
            for ((c, counts), memo) in per_constraint {
                if !inclusion.includes(c, node) {
                    continue;
                }
                let Some(value) = node_labels.get(&c.topology_key) else { continue };
                let n = match memo {
                    Some((_, memo)) => {
                        *memo.get(index, &node.pods, || c.count_matching(&node.pods, ns))
                    }
                    None => 0,
                };
                match counts.get_mut(value.as_str()) {
                    Some(total) => *total += n,
                    None => {
                        counts.insert(value.clone(), n);
                    }
                }
            }
        }
        self.put_counts(memos);
        let critical_paths = counts
            .iter()
            .map(|m| {
                let mut paths = CriticalPaths::new();
                for (value, &n) in m {
                    paths.update(value, n);
                }
                paths
            })
            .collect();
        let pod_labels = labels(&pod.pod);
        state.write(PreFilterState {
            self_match: constraints.iter().map(|c| c.selects(pod_labels)).collect(),
            constraints: constraints.into(),
            critical_paths,
            tp_value_to_match_num: counts,
        });
        (PreFilterResult::all_nodes(), Status::success())
    }

    fn has_extensions(&self) -> bool {
        true
    }

    fn add_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        to_add: &Arc<PodInfo>,
        node: &NodeInfo,
        _snapshot: &Snapshot,
    ) -> Status {
        let Some(s) = state.get_mut::<PreFilterState>() else { return missing_state("PreFilter") };
        s.update_with_pod(&pod.pod, &to_add.pod, node, 1);
        Status::success()
    }

    fn remove_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        to_remove: &Arc<PodInfo>,
        node: &NodeInfo,
        _snapshot: &Snapshot,
    ) -> Status {
        let Some(s) = state.get_mut::<PreFilterState>() else { return missing_state("PreFilter") };
        s.update_with_pod(&pod.pod, &to_remove.pod, node, -1);
        Status::success()
    }
}

impl FilterPlugin for PodTopologySpread {
    fn filter(&self, state: &CycleState, _pod: &PodInfo, node: &NodeInfo) -> Status {
        let Some(s) = state.read::<PreFilterState>() else { return missing_state("PreFilter") };
        let node_labels = node.labels();
        let per_constraint = s
            .constraints
            .iter()
            .zip(s.self_match.iter())
            .zip(s.tp_value_to_match_num.iter().zip(s.critical_paths.iter()));
        for ((c, &self_match), (counts, paths)) in per_constraint {
            let Some(value) = node_labels.get(&c.topology_key) else {
                // No label, no domain: no eviction can change that.
                return Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
            };
            let min_match = PreFilterState::min_match_num(paths, counts.len(), c.min_domains);
            let match_num = counts.get(value.as_str()).copied().unwrap_or(0);
            let skew = match_num + i64::from(self_match) - min_match;
            if skew > i64::from(c.max_skew) {
                return Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
            }
        }
        Status::success()
    }
}

/// What PreScore computes for Score, per soft constraint (kube-scheduler's `preScoreState`).
#[derive(Debug)]
struct PreScoreState {
    constraints: Vec<Constraint>,
    /// Nodes without every topology key are not scored (unless the constraints are the
    /// system defaults, so that nodes without a zone still get hostname spreading).
    require_all_topologies: bool,
    /// Topology value → matching pods, per constraint; only the domains of candidate nodes,
    /// and none for hostname constraints, which Score counts on the node itself.
    topology_value_to_pod_counts: Vec<HashMap<String, i64>>,
    topology_normalizing_weight: Vec<f64>,
}

/// `log(size + 2)`: more domains make each matching pod weigh more.
fn topology_normalizing_weight(size: usize) -> f64 {
    (size as f64 + 2.0).ln()
}

impl PreScorePlugin for PodTopologySpread {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        nodes: &[Arc<NodeInfo>],
        snapshot: &Snapshot,
    ) -> Status {
        if snapshot.node_info_list.is_empty() {
            return Status::skip();
        }
        let constraints = match self.constraints(pod, &snapshot.objects, SCHEDULE_ANYWAY) {
            Ok(c) => c,
            Err(e) => return Status::error(format!("calculating preScoreState: {e}")),
        };
        if constraints.is_empty() {
            return Status::skip();
        }
        let require_all = Self::has_own_constraints(pod) || !self.system_defaulted;

        // The domains of the candidate nodes. Kubernetes also registers the domain "" for
        // candidates that lack a key: it counts towards the number of domains, but only a node
        // labelled with an empty value reads it, so it is registered only for such a node.
        let mut counts: Vec<HashMap<String, i64>> = vec![HashMap::new(); constraints.len()];
        let mut unlabelled = vec![false; constraints.len()];
        let mut ignored = 0usize;
        for node in nodes {
            let node_labels = node.labels();
            if require_all && !has_all_keys(node_labels, &constraints) {
                ignored += 1;
                continue;
            }
            let per_constraint =
                constraints.iter().zip(counts.iter_mut()).zip(unlabelled.iter_mut());
            for ((c, counts), unlabelled) in per_constraint {
                if c.is_hostname() {
                    continue;
                }
                match node_labels.get(&c.topology_key) {
                    Some(v) => {
                        if !counts.contains_key(v.as_str()) {
                            counts.insert(v.clone(), 0);
                        }
                    }
                    None => *unlabelled = true,
                }
            }
        }
        let topology_normalizing_weight = constraints
            .iter()
            .zip(counts.iter().zip(&unlabelled))
            .map(|(c, (counts, &unlabelled))| {
                let size = if c.is_hostname() {
                    nodes.len() - ignored
                } else {
                    counts.len() + usize::from(unlabelled && !counts.contains_key(""))
                };
                topology_normalizing_weight(size)
            })
            .collect();

        // Matching pods per registered domain, over every node in the cluster.
        if constraints.iter().any(|c| !c.is_hostname()) {
            let ns = pod.namespace();
            let inclusion = Inclusion::of(&pod.pod);
            let mut memos = self.take_counts(&constraints, ns);
            for (index, node) in snapshot.node_info_list.iter().enumerate() {
                let node_labels = node.labels();
                if node.node.is_none() || (require_all && !has_all_keys(node_labels, &constraints))
                {
                    continue;
                }
                let per_constraint =
                    constraints.iter().zip(counts.iter_mut()).zip(memos.iter_mut());
                for ((c, counts), memo) in per_constraint {
                    if c.is_hostname() {
                        continue;
                    }
                    let value = node_labels.get(&c.topology_key).map_or("", String::as_str);
                    let Some(total) = counts.get_mut(value) else { continue };
                    if let (true, Some((_, memo))) = (inclusion.includes(c, node), memo) {
                        *total += memo.get(index, &node.pods, || c.count_matching(&node.pods, ns));
                    }
                }
            }
            self.put_counts(memos);
        }

        state.write(PreScoreState {
            constraints,
            require_all_topologies: require_all,
            topology_value_to_pod_counts: counts,
            topology_normalizing_weight,
        });
        Status::success()
    }
}

impl ScorePlugin for PodTopologySpread {
    /// The weighted matching pods in the node's domains (more is worse); a node missing a
    /// required key gets [`INVALID_SCORE`], which NormalizeScore turns into 0.
    fn score(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> (i64, Status) {
        let Some(s) = state.read::<PreScoreState>() else { return (0, missing_state("PreScore")) };
        let node_labels = node.labels();
        if s.require_all_topologies && !has_all_keys(node_labels, &s.constraints) {
            return (INVALID_SCORE, Status::success());
        }
        let per_constraint = s
            .constraints
            .iter()
            .zip(s.topology_value_to_pod_counts.iter().zip(&s.topology_normalizing_weight));
        let mut score = 0.0;
        for (c, (counts, &weight)) in per_constraint {
            let Some(value) = node_labels.get(&c.topology_key) else { continue };
            let count = if c.is_hostname() {
                c.count_matching(&node.pods, pod.namespace())
            } else {
                counts.get(value.as_str()).copied().unwrap_or(0)
            };
            // maxSkew - 1 waters down differences, so a larger skew is tolerated more.
            score += count as f64 * weight + f64::from(c.max_skew - 1);
        }
        (score.round() as i64, Status::success())
    }

    /// Reverses the scores: the fewest matching pods get 100.
    fn normalize_score(&self, state: &CycleState, _pod: &PodInfo, scores: &mut [i64]) -> Status {
        if state.read::<PreScoreState>().is_none() {
            return missing_state("PreScore");
        }
        let valid = scores.iter().copied().filter(|&s| s != INVALID_SCORE);
        let min = valid.clone().min().unwrap_or(i64::MAX);
        let max = valid.max().unwrap_or(0).max(0);
        for score in scores.iter_mut() {
            *score = if *score == INVALID_SCORE {
                0
            } else if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - *score) / max
            };
        }
        Status::success()
    }
}

#[cfg(test)]
mod tests;
