//! InterPodAffinity (kube-scheduler's `plugins/interpodaffinity`): a pod's required and
//! preferred affinity and anti-affinity to other pods within topology domains, and the
//! existing pods' terms towards it (symmetry).
//!
//! PreFilter counts, per topology pair (a node label key and value), the existing pods whose
//! required anti-affinity selects the incoming pod and the existing pods that match the
//! incoming pod's required (anti-)affinity terms; Filter is then a few label and map lookups
//! per node. PreScore sums the preferred terms' weights per topology pair over the whole
//! cluster; Score adds up the pairs a node is in, and NormalizeScore rescales min..max to
//! 0..100.
//!
//! Those walks visit every pod of the cluster; what a node's pods contribute is remembered
//! across cycles while the node keeps the same pods (PodTopologySpread's `node_memo`), so pods
//! of one workload in a row only re-examine the nodes that changed.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use kube::core::SelectorExt;

use crate::framework::types::{labels, AffinityTerm, WeightedAffinityTerm};
use crate::framework::{
    CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, PreFilterPlugin, PreFilterResult,
    PreScorePlugin, ScorePlugin, Snapshot, Status, MAX_NODE_SCORE,
};
use crate::plugins::pod_topology_spread::node_memo::NodeMemo;

pub const NAME: &str = "InterPodAffinity";

/// Weight of this plugin's score in kube-scheduler's default profile.
pub const DEFAULT_WEIGHT: i64 = 2;

/// Score weight of an existing pod's *required* affinity term that the incoming pod matches
/// (`InterPodAffinityArgs.hardPodAffinityWeight`'s default).
pub const DEFAULT_HARD_POD_AFFINITY_WEIGHT: i32 = 1;

pub const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
pub const ERR_REASON_AFFINITY_RULES_NOT_MATCH: &str = "node(s) didn't match pod affinity rules";
pub const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't match pod anti-affinity rules";

/// The plugin, with `InterPodAffinityArgs`.
#[derive(Debug)]
pub struct InterPodAffinity {
    pub hard_pod_affinity_weight: i32,
    /// Score only the incoming pod's preferred terms, not the existing pods' terms towards it.
    pub ignore_preferred_terms_of_existing_pods: bool,
    /// Per node, remembered across cycles (see [`NodeMemo`]): what existing pods' required
    /// anti-affinity terms say about pods like the incoming one,
    existing_memo: NodeMemo<Vec<(String, i64)>>,
    /// how many pods match the incoming pod's required terms,
    incoming_memo: NodeMemo<IncomingMatches>,
    /// and the preferred terms' weights per topology key.
    score_memo: NodeMemo<Vec<(String, i64)>>,
}

impl InterPodAffinity {
    pub fn new(
        hard_pod_affinity_weight: i32,
        ignore_preferred_terms_of_existing_pods: bool,
    ) -> Self {
        InterPodAffinity {
            hard_pod_affinity_weight,
            ignore_preferred_terms_of_existing_pods,
            existing_memo: NodeMemo::default(),
            incoming_memo: NodeMemo::default(),
            score_memo: NodeMemo::default(),
        }
    }
}

impl Default for InterPodAffinity {
    fn default() -> Self {
        InterPodAffinity::new(DEFAULT_HARD_POD_AFFINITY_WEIGHT, false)
    }
}

impl Plugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        NAME
    }
}

/// Topology key → topology value → count (or summed weight). The few keys are scanned
/// linearly and the values hashed, so lookups by a node's `&str` labels need no allocation.
#[derive(Clone, Debug, Default, PartialEq)]
struct TopologyCounts(Vec<(String, HashMap<String, i64>)>);

impl TopologyCounts {
    fn values(&self, key: &str) -> Option<&HashMap<String, i64>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, values)| values)
    }

    fn get(&self, key: &str, value: &str) -> i64 {
        self.values(key).and_then(|values| values.get(value)).copied().unwrap_or(0)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds `delta` to the pair (`key`, the node's value for `key`); nothing when the node
    /// lacks the label. With `drop_zero`, a pair that reaches zero is removed, as the filter
    /// counts treat "no entry" and "zero" alike and emptiness matters.
    fn add_at(
        &mut self,
        node_labels: &BTreeMap<String, String>,
        key: &str,
        delta: i64,
        drop_zero: bool,
    ) {
        let Some(value) = node_labels.get(key) else { return };
        let i = match self.0.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                self.0.push((key.to_string(), HashMap::new()));
                self.0.len() - 1
            }
        };
        let Some((_, values)) = self.0.get_mut(i) else { return };
        match values.get_mut(value.as_str()) {
            Some(n) => {
                *n += delta;
                if drop_zero && *n == 0 {
                    values.remove(value.as_str());
                }
            }
            None if drop_zero && delta == 0 => {}
            None => {
                values.insert(value.clone(), delta);
            }
        }
        if values.is_empty() {
            self.0.swap_remove(i);
        }
    }
}

/// [`AffinityTerm::matches`], scanning a small namespace list (usually just the pod's own)
/// instead of hashing into it: PreFilter runs this for every pod in the cluster.
fn term_matches(t: &AffinityTerm, pod: &Pod, ns_labels: Option<&BTreeMap<String, String>>) -> bool {
    let ns = pod.metadata.namespace.as_deref().unwrap_or("");
    let listed = if t.namespaces.len() <= 8 {
        t.namespaces.iter().any(|n| n == ns)
    } else {
        t.namespaces.contains(ns)
    };
    if listed {
        return t.selector.as_ref().is_some_and(|s| s.matches(labels(pod)));
    }
    t.namespace_selector.is_some() && t.matches(pod, ns_labels)
}

/// Labels of the incoming pod's namespace; a namespace the snapshot does not know has none.
fn namespace_labels(snapshot: &Snapshot, ns: &str) -> BTreeMap<String, String> {
    snapshot.namespace_labels(ns).cloned().unwrap_or_default()
}

/// The incoming pod's term with its namespace selector resolved into namespace names
/// (`mergeAffinityTermNamespacesIfNotEmpty`), so matching existing pods needs no namespace
/// label lookup. An empty selector (all namespaces) is kept as it is.
fn resolve_namespaces(term: &AffinityTerm, snapshot: &Snapshot) -> AffinityTerm {
    let mut t = term.clone();
    if let Some(sel) = term.namespace_selector.as_ref().filter(|s| !s.selects_all()) {
        for (ns, labels) in &snapshot.objects.namespace_labels {
            if sel.matches(labels) {
                t.namespaces.insert(ns.clone());
            }
        }
        t.namespace_selector = None;
    }
    t
}

/// Whether `pod` matches every term (false for no terms). Terms are the incoming pod's, with
/// namespace selectors resolved.
fn matches_all_terms(terms: &[AffinityTerm], pod: &Pod) -> bool {
    !terms.is_empty() && terms.iter().all(|t| term_matches(t, pod, None))
}

/// Adds `weight` to `key`'s entry of a small per-node tally (kept even at zero: a matched
/// term counts as something to score).
fn tally(out: &mut Vec<(String, i64)>, key: &str, weight: i64) {
    match out.iter_mut().find(|(k, _)| k == key) {
        Some((_, w)) => *w += weight,
        None => out.push((key.to_string(), weight)),
    }
}

/// A canonical text of terms (namespaces sorted), naming what a memo entry depends on.
fn terms_key(out: &mut String, terms: &[AffinityTerm]) {
    for t in terms {
        let mut namespaces: Vec<&String> = t.namespaces.iter().collect();
        namespaces.sort();
        let _ = write!(
            out,
            "{namespaces:?}|{:?}|{:?}|{};",
            t.namespace_selector, t.selector, t.topology_key
        );
    }
}

/// The topology keys of existing `pods`' required anti-affinity terms that select `incoming`,
/// each with the number of terms.
fn existing_anti_affinity_matches(
    incoming: &Pod,
    ns_labels: &BTreeMap<String, String>,
    pods: &[Arc<PodInfo>],
) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for t in pods.iter().flat_map(|p| &p.required_anti_affinity_terms) {
        if term_matches(t, incoming, Some(ns_labels)) {
            tally(&mut out, &t.topology_key, 1);
        }
    }
    out
}

/// How many of a node's pods match all the incoming pod's affinity terms, and each of its
/// anti-affinity terms.
#[derive(Debug, Default)]
struct IncomingMatches {
    affinity: i64,
    anti_affinity: Vec<i64>,
}

fn incoming_matches(
    affinity_terms: &[AffinityTerm],
    anti_affinity_terms: &[AffinityTerm],
    pods: &[Arc<PodInfo>],
) -> IncomingMatches {
    let mut m = IncomingMatches { affinity: 0, anti_affinity: vec![0; anti_affinity_terms.len()] };
    for p in pods {
        if matches_all_terms(affinity_terms, &p.pod) {
            m.affinity += 1;
        }
        for (t, n) in anti_affinity_terms.iter().zip(m.anti_affinity.iter_mut()) {
            if term_matches(t, &p.pod, None) {
                *n += 1;
            }
        }
    }
    m
}

/// What PreFilter computes for Filter (kube-scheduler's `preFilterState`).
#[derive(Clone, Debug)]
struct PreFilterState {
    /// Pairs where existing pods' required anti-affinity terms select the incoming pod.
    existing_anti_affinity_counts: TopologyCounts,
    /// Pairs with existing pods matching all of the incoming pod's required affinity terms.
    affinity_counts: TopologyCounts,
    /// Pairs with existing pods matching any of the incoming pod's required anti-affinity terms.
    anti_affinity_counts: TopologyCounts,
    affinity_terms: Arc<[AffinityTerm]>,
    anti_affinity_terms: Arc<[AffinityTerm]>,
    /// The incoming pod matches all its own affinity terms (it may start a group).
    matches_own_affinity: bool,
    namespace_labels: Arc<BTreeMap<String, String>>,
}

impl PreFilterState {
    /// Counts `other` (added with +1, removed with -1) on a node with `node_labels`.
    fn update_with_pod(
        &mut self,
        incoming: &Pod,
        other: &PodInfo,
        node_labels: &BTreeMap<String, String>,
        delta: i64,
    ) {
        for t in &other.required_anti_affinity_terms {
            if term_matches(t, incoming, Some(&self.namespace_labels)) {
                self.existing_anti_affinity_counts.add_at(
                    node_labels,
                    &t.topology_key,
                    delta,
                    true,
                );
            }
        }
        if matches_all_terms(&self.affinity_terms, &other.pod) {
            for t in self.affinity_terms.iter() {
                self.affinity_counts.add_at(node_labels, &t.topology_key, delta, true);
            }
        }
        for t in self.anti_affinity_terms.iter() {
            if term_matches(t, &other.pod, None) {
                self.anti_affinity_counts.add_at(node_labels, &t.topology_key, delta, true);
            }
        }
    }

    /// Every affinity topology key is on the node and each pair has a matching pod, or no
    /// pod anywhere matches and the pod matches its own terms (the first of a group).
    fn satisfies_pod_affinity(&self, node_labels: &BTreeMap<String, String>) -> bool {
        let mut pods_exist = true;
        for t in self.affinity_terms.iter() {
            match node_labels.get(&t.topology_key) {
                Some(v) => {
                    if self.affinity_counts.get(&t.topology_key, v) <= 0 {
                        pods_exist = false;
                    }
                }
                None => return false,
            }
        }
        pods_exist || (self.affinity_counts.is_empty() && self.matches_own_affinity)
    }

    fn satisfies_pod_anti_affinity(&self, node_labels: &BTreeMap<String, String>) -> bool {
        if self.anti_affinity_counts.is_empty() {
            return true;
        }
        !self.anti_affinity_terms.iter().any(|t| {
            node_labels
                .get(&t.topology_key)
                .is_some_and(|v| self.anti_affinity_counts.get(&t.topology_key, v) > 0)
        })
    }

    /// No pair of the node is one where an existing pod's anti-affinity selects the pod.
    /// (Kubernetes walks the node's labels; walking the few counted keys is the same test.)
    fn satisfies_existing_pods_anti_affinity(
        &self,
        node_labels: &BTreeMap<String, String>,
    ) -> bool {
        !self.existing_anti_affinity_counts.0.iter().any(|(key, values)| {
            node_labels.get(key).and_then(|v| values.get(v)).is_some_and(|&n| n > 0)
        })
    }
}

impl PreFilterPlugin for InterPodAffinity {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
    ) -> (PreFilterResult, Status) {
        if let Some(e) = &pod.parse_error {
            return (
                PreFilterResult::all_nodes(),
                Status::unresolvable(format!("parsing pod: {e}")),
            );
        }
        let affinity_terms: Arc<[AffinityTerm]> =
            pod.required_affinity_terms.iter().map(|t| resolve_namespaces(t, snapshot)).collect();
        let anti_affinity_terms: Arc<[AffinityTerm]> = pod
            .required_anti_affinity_terms
            .iter()
            .map(|t| resolve_namespaces(t, snapshot))
            .collect();
        let ns_labels = namespace_labels(snapshot, pod.namespace());

        let mut existing = TopologyCounts::default();
        if !snapshot.have_pods_with_required_anti_affinity.is_empty() {
            // What the terms match depends on the incoming pod's namespace (and its labels)
            // and labels only.
            let key = format!("{}\0{:?}\0{:?}", pod.namespace(), labels(&pod.pod), ns_labels);
            self.existing_memo.for_each(
                key,
                snapshot,
                &snapshot.have_pods_with_required_anti_affinity,
                |node| &node.pods_with_required_anti_affinity,
                |pods| existing_anti_affinity_matches(&pod.pod, &ns_labels, pods),
                |node, matches| {
                    for (key, n) in matches {
                        existing.add_at(node.labels(), key, *n, true);
                    }
                },
            );
        }

        if existing.is_empty() && affinity_terms.is_empty() && anti_affinity_terms.is_empty() {
            return (PreFilterResult::all_nodes(), Status::skip());
        }

        let mut affinity = TopologyCounts::default();
        let mut anti_affinity = TopologyCounts::default();
        if !affinity_terms.is_empty() || !anti_affinity_terms.is_empty() {
            let mut key = String::from("affinity:");
            terms_key(&mut key, &affinity_terms);
            key.push_str("anti-affinity:");
            terms_key(&mut key, &anti_affinity_terms);
            self.incoming_memo.for_each(
                key,
                snapshot,
                &snapshot.node_info_list,
                |node| &node.pods,
                |pods| incoming_matches(&affinity_terms, &anti_affinity_terms, pods),
                |node, m| {
                    let labels = node.labels();
                    if m.affinity > 0 {
                        for t in affinity_terms.iter() {
                            affinity.add_at(labels, &t.topology_key, m.affinity, true);
                        }
                    }
                    for (t, &n) in anti_affinity_terms.iter().zip(&m.anti_affinity) {
                        if n > 0 {
                            anti_affinity.add_at(labels, &t.topology_key, n, true);
                        }
                    }
                },
            );
        }

        state.write(PreFilterState {
            existing_anti_affinity_counts: existing,
            affinity_counts: affinity,
            anti_affinity_counts: anti_affinity,
            matches_own_affinity: matches_all_terms(&affinity_terms, &pod.pod),
            affinity_terms,
            anti_affinity_terms,
            namespace_labels: Arc::new(ns_labels),
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
        s.update_with_pod(&pod.pod, to_add, node.labels(), 1);
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
        s.update_with_pod(&pod.pod, to_remove, node.labels(), -1);
        Status::success()
    }
}

fn missing_state(point: &str) -> Status {
    Status::error(format!("reading \"{point}{NAME}\" from cycleState: not found"))
}

impl FilterPlugin for InterPodAffinity {
    fn filter(&self, state: &CycleState, _pod: &PodInfo, node: &NodeInfo) -> Status {
        let Some(s) = state.read::<PreFilterState>() else { return missing_state("PreFilter") };
        let labels = node.labels();
        if !s.satisfies_pod_affinity(labels) {
            // No pod to be near exists in the node's domain; evicting pods cannot create one.
            return Status::unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
        }
        if !s.satisfies_pod_anti_affinity(labels) {
            return Status::unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
        }
        if !s.satisfies_existing_pods_anti_affinity(labels) {
            return Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
        }
        Status::success()
    }
}

/// Summed term weights per topology pair, for Score (kube-scheduler's `preScoreState`).
#[derive(Debug)]
struct PreScoreState {
    topology_score: TopologyCounts,
}

/// What PreScore weighs existing pods against: the incoming pod and its preferred terms.
struct Scoring<'a> {
    incoming: &'a Pod,
    ns_labels: &'a BTreeMap<String, String>,
    preferred_affinity: &'a [WeightedAffinityTerm],
    preferred_anti_affinity: &'a [WeightedAffinityTerm],
    hard_pod_affinity_weight: i32,
}

impl Scoring<'_> {
    /// What existing `pods` on one node contribute, per topology key: the incoming pod's
    /// preferred terms they match, and their own required (with the hard weight) and preferred
    /// terms the incoming pod matches. Keys whose weights cancel out stay, at zero: a matched
    /// term means PreScore has something to score.
    fn contributions(&self, pods: &[Arc<PodInfo>]) -> Vec<(String, i64)> {
        let mut out = Vec::new();
        let incoming = self.incoming;
        let ns_labels = Some(self.ns_labels);
        for existing in pods {
            for w in self.preferred_affinity {
                if term_matches(&w.term, &existing.pod, None) {
                    tally(&mut out, &w.term.topology_key, i64::from(w.weight));
                }
            }
            for w in self.preferred_anti_affinity {
                if term_matches(&w.term, &existing.pod, None) {
                    tally(&mut out, &w.term.topology_key, -i64::from(w.weight));
                }
            }
            if self.hard_pod_affinity_weight > 0 {
                for t in &existing.required_affinity_terms {
                    if term_matches(t, incoming, ns_labels) {
                        tally(&mut out, &t.topology_key, i64::from(self.hard_pod_affinity_weight));
                    }
                }
            }
            for w in &existing.preferred_affinity_terms {
                if term_matches(&w.term, incoming, ns_labels) {
                    tally(&mut out, &w.term.topology_key, i64::from(w.weight));
                }
            }
            for w in &existing.preferred_anti_affinity_terms {
                if term_matches(&w.term, incoming, ns_labels) {
                    tally(&mut out, &w.term.topology_key, -i64::from(w.weight));
                }
            }
        }
        out
    }

    /// Everything [`Scoring::contributions`] depends on besides the pods.
    fn key(&self, only_pods_with_affinity: bool) -> String {
        let mut key = format!(
            "{}\0{:?}\0{:?}\0{}\0{only_pods_with_affinity}\0",
            self.incoming.metadata.namespace.as_deref().unwrap_or(""),
            labels(self.incoming),
            self.ns_labels,
            self.hard_pod_affinity_weight,
        );
        for (sign, terms) in [("+", self.preferred_affinity), ("-", self.preferred_anti_affinity)] {
            for w in terms {
                key.push_str(sign);
                let _ = write!(key, "{}", w.weight);
                terms_key(&mut key, std::slice::from_ref(&w.term));
            }
        }
        key
    }
}

impl PreScorePlugin for InterPodAffinity {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _nodes: &[Arc<NodeInfo>],
        snapshot: &Snapshot,
    ) -> Status {
        if let Some(e) = &pod.parse_error {
            return Status::error(format!("failed to parse pod: {e}"));
        }
        let has_constraints = !pod.preferred_affinity_terms.is_empty()
            || !pod.preferred_anti_affinity_terms.is_empty();
        if self.ignore_preferred_terms_of_existing_pods && !has_constraints {
            return Status::skip();
        }
        let resolve = |terms: &[WeightedAffinityTerm]| -> Vec<WeightedAffinityTerm> {
            terms
                .iter()
                .map(|w| WeightedAffinityTerm {
                    term: resolve_namespaces(&w.term, snapshot),
                    weight: w.weight,
                })
                .collect()
        };
        let preferred_affinity = resolve(&pod.preferred_affinity_terms);
        let preferred_anti_affinity = resolve(&pod.preferred_anti_affinity_terms);
        let ns_labels = namespace_labels(snapshot, pod.namespace());
        let scoring = Scoring {
            incoming: &pod.pod,
            ns_labels: &ns_labels,
            preferred_affinity: &preferred_affinity,
            preferred_anti_affinity: &preferred_anti_affinity,
            hard_pod_affinity_weight: self.hard_pod_affinity_weight,
        };

        // Without preferred terms of its own, only existing pods with terms can contribute.
        let nodes = if has_constraints {
            &snapshot.node_info_list
        } else {
            &snapshot.have_pods_with_affinity
        };
        let mut scores = TopologyCounts::default();
        self.score_memo.for_each(
            scoring.key(!has_constraints),
            snapshot,
            nodes,
            |node| if has_constraints { &node.pods } else { &node.pods_with_affinity },
            |pods| scoring.contributions(pods),
            |node, contributions| {
                let labels = node.labels();
                for (key, weight) in contributions {
                    scores.add_at(labels, key, *weight, false);
                }
            },
        );
        if scores.is_empty() {
            return Status::skip();
        }
        state.write(PreScoreState { topology_score: scores });
        Status::success()
    }
}

impl ScorePlugin for InterPodAffinity {
    /// The summed weights of the node's topology pairs: positive for affinity, negative for
    /// anti-affinity; normalized afterwards.
    fn score(&self, state: &CycleState, _pod: &PodInfo, node: &NodeInfo) -> (i64, Status) {
        let Some(s) = state.read::<PreScoreState>() else { return (0, missing_state("PreScore")) };
        let labels = node.labels();
        let score = s
            .topology_score
            .0
            .iter()
            .filter_map(|(key, values)| {
                labels.get(key).map(|v| values.get(v).copied().unwrap_or(0))
            })
            .sum();
        (score, Status::success())
    }

    fn normalize_score(&self, state: &CycleState, _pod: &PodInfo, scores: &mut [i64]) -> Status {
        let Some(s) = state.read::<PreScoreState>() else { return missing_state("PreScore") };
        if s.topology_score.is_empty() {
            return Status::success();
        }
        let min = scores.iter().copied().min().unwrap_or(0);
        let max = scores.iter().copied().max().unwrap_or(0);
        let diff = max - min;
        for score in scores.iter_mut() {
            *score = if diff > 0 {
                (MAX_NODE_SCORE as f64 * ((*score - min) as f64 / diff as f64)) as i64
            } else {
                0
            };
        }
        Status::success()
    }
}

#[cfg(test)]
mod tests;
