//! NodeAffinity: a pod goes only to nodes matching its `spec.nodeSelector` and required node
//! affinity (Filter; PreFilter narrows to the named nodes when every required term pins
//! `metadata.name`), and prefers nodes matching its weighted preferred terms (Score).
//!
//! The selector parsing and matching live in [`selector`] for reuse outside the scheduler.
//! [`default_normalize_score`] is kube-scheduler's shared `helper.DefaultNormalizeScore`.

pub mod selector;

use std::collections::HashSet;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{NodeAffinity as ApiNodeAffinity, Pod};

pub use selector::{
    match_node_selector_terms, pod_matches_node_selector_and_affinity, required_node_selector,
    NodeSelector, PreferredSchedulingTerms, RequiredNodeAffinity, OBJECT_NAME_FIELD,
};

use crate::framework::{
    CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, PreFilterPlugin, PreFilterResult,
    PreScorePlugin, ScorePlugin, Snapshot, Status, MAX_NODE_SCORE,
};

pub const NAME: &str = "NodeAffinity";
/// Weight in the default profile.
pub const DEFAULT_WEIGHT: i64 = 2;

/// The pod's node selector or required node affinity does not match the node.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";
/// The node does not match the affinity the scheduler profile adds to every pod.
pub const ERR_REASON_ENFORCED: &str = "node(s) didn't match scheduler-enforced node affinity";
/// Every required term pins `metadata.name`, and no name satisfies all of a term's pins.
pub const ERR_REASON_CONFLICT: &str = "pod affinity terms conflict";

/// Scales raw scores from `[0, max(scores)]` to `[0, max_priority]`, reversed
/// (`max_priority - score`) when `reverse`. All-zero scores stay 0, or become `max_priority`
/// when reversed. Scores are assumed non-negative.
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [i64]) {
    let max = scores.iter().copied().max().unwrap_or(0).max(0);
    if max == 0 {
        if reverse {
            scores.fill(max_priority);
        }
        return;
    }
    for s in scores.iter_mut() {
        let scaled = max_priority * *s / max;
        *s = if reverse { max_priority - scaled } else { scaled };
    }
}

/// The plugin's configuration (`NodeAffinityArgs`): affinity added to every pod of the profile.
#[derive(Clone, Debug, Default)]
pub struct NodeAffinityArgs {
    pub added_affinity: Option<ApiNodeAffinity>,
}

#[derive(Clone, Debug, Default)]
pub struct NodeAffinity {
    added_node_selector: Option<NodeSelector>,
    added_pref_sched_terms: Option<PreferredSchedulingTerms>,
}

impl NodeAffinity {
    /// Fails when the added affinity does not parse.
    pub fn new(args: &NodeAffinityArgs) -> Result<NodeAffinity, String> {
        let mut pl = NodeAffinity::default();
        let Some(added) = &args.added_affinity else { return Ok(pl) };
        if let Some(ns) = &added.required_during_scheduling_ignored_during_execution {
            pl.added_node_selector = Some(NodeSelector::parse(ns).map_err(|e| {
                format!("parsing addedAffinity.requiredDuringSchedulingIgnoredDuringExecution: {e}")
            })?);
        }
        if let Some(terms) = added
            .preferred_during_scheduling_ignored_during_execution
            .as_ref()
            .filter(|t| !t.is_empty())
        {
            pl.added_pref_sched_terms = Some(PreferredSchedulingTerms::new(terms).map_err(|e| {
                format!("parsing addedAffinity.preferredDuringSchedulingIgnoredDuringExecution: {e}")
            })?);
        }
        Ok(pl)
    }
}

/// The pod's required constraints, parsed once per cycle.
#[derive(Clone, Debug)]
struct PreFilterState {
    required: RequiredNodeAffinity,
}

/// The pod's preferred terms, parsed once per cycle.
#[derive(Clone, Debug)]
struct PreScoreState {
    preferred: Option<PreferredSchedulingTerms>,
}

/// The pod's preferred terms; `None` when it has none. An empty list counts as none: the API
/// server drops empty lists, so Kubernetes never sees one.
fn pod_preferred_node_affinity(pod: &Pod) -> Result<Option<PreferredSchedulingTerms>, String> {
    let terms = pod
        .spec
        .as_ref()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| na.preferred_during_scheduling_ignored_during_execution.as_ref())
        .filter(|t| !t.is_empty());
    terms.map(|t| PreferredSchedulingTerms::new(t)).transpose()
}

/// The node names every required term pins with `metadata.name In [...]`: `Ok(None)` when some
/// term pins none (any node may match it), `Err` when the pins leave no name at all.
fn pinned_node_names(pod: &Pod) -> Result<Option<HashSet<String>>, ()> {
    let Some(terms) = required_node_selector(pod).map(|ns| &ns.node_selector_terms) else {
        return Ok(None);
    };
    if terms.is_empty() {
        return Ok(None);
    }
    let mut names = HashSet::new();
    for term in terms {
        // The term's pins are ANDed: intersect them.
        let mut term_names: Option<HashSet<String>> = None;
        for r in term.match_fields.iter().flatten() {
            if r.key == OBJECT_NAME_FIELD && r.operator == "In" {
                let values: HashSet<String> = r.values.iter().flatten().cloned().collect();
                term_names = Some(match term_names {
                    None => values,
                    Some(prev) => prev.intersection(&values).cloned().collect(),
                });
            }
        }
        // Terms are ORed: one unpinned term lets every node through.
        let Some(term_names) = term_names else { return Ok(None) };
        names.extend(term_names);
    }
    if names.is_empty() {
        Err(())
    } else {
        Ok(Some(names))
    }
}

impl Plugin for NodeAffinity {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl PreFilterPlugin for NodeAffinity {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _snapshot: &Snapshot,
    ) -> (PreFilterResult, Status) {
        let has_required = required_node_selector(&pod.pod).is_some();
        // An empty nodeSelector counts as none (the API server drops empty maps).
        let has_node_selector = pod
            .pod
            .spec
            .as_ref()
            .and_then(|s| s.node_selector.as_ref())
            .is_some_and(|m| !m.is_empty());
        if !has_required && !has_node_selector && self.added_node_selector.is_none() {
            return (PreFilterResult::all_nodes(), Status::skip());
        }
        state.write(PreFilterState { required: RequiredNodeAffinity::from_pod(&pod.pod) });
        match pinned_node_names(&pod.pod) {
            Ok(node_names) => (PreFilterResult { node_names }, Status::success()),
            Err(()) => (PreFilterResult::all_nodes(), Status::unresolvable(ERR_REASON_CONFLICT)),
        }
    }
}

impl FilterPlugin for NodeAffinity {
    fn filter(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        if node.node().is_none() {
            return Status::error("node not found");
        }
        let (name, labels) = (node.name.as_str(), node.labels());
        if self.added_node_selector.as_ref().is_some_and(|s| !s.matches(name, labels)) {
            return Status::unresolvable(ERR_REASON_ENFORCED);
        }
        let matched = match state.read::<PreFilterState>() {
            Some(s) => s.required.matches(name, labels),
            // PreFilter did not run (e.g. disabled): parse here.
            None => RequiredNodeAffinity::from_pod(&pod.pod).matches(name, labels),
        };
        if matched {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON_POD)
        }
    }
}

impl PreScorePlugin for NodeAffinity {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _nodes: &[Arc<NodeInfo>],
        _snapshot: &Snapshot,
    ) -> Status {
        let preferred = match pod_preferred_node_affinity(&pod.pod) {
            Ok(p) => p,
            Err(e) => return Status::error(e),
        };
        if preferred.is_none() && self.added_pref_sched_terms.is_none() {
            return Status::skip();
        }
        state.write(PreScoreState { preferred });
        Status::success()
    }
}

impl ScorePlugin for NodeAffinity {
    /// The sum of the weights of the preferred terms (the pod's and the profile's) the node
    /// matches.
    fn score(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> (i64, Status) {
        if node.node().is_none() {
            return (0, Status::error("node not found"));
        }
        let (name, labels) = (node.name.as_str(), node.labels());
        let mut count = self.added_pref_sched_terms.as_ref().map_or(0, |t| t.score(name, labels));
        match state.read::<PreScoreState>() {
            Some(s) => count += s.preferred.as_ref().map_or(0, |t| t.score(name, labels)),
            // PreScore did not run: parse here.
            None => match pod_preferred_node_affinity(&pod.pod) {
                Ok(p) => count += p.map_or(0, |t| t.score(name, labels)),
                Err(e) => return (0, Status::error(e)),
            },
        }
        (count, Status::success())
    }

    fn normalize_score(&self, _state: &CycleState, _pod: &PodInfo, scores: &mut [i64]) -> Status {
        default_normalize_score(MAX_NODE_SCORE, false, scores);
        Status::success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Code;
    use k8s_openapi::api::core::v1::Node;
    use serde_json::{json, Value};

    fn pod_info(spec: Value) -> PodInfo {
        let mut spec = spec;
        spec["containers"] = json!([]);
        let pod: Pod = serde_json::from_value(json!({"metadata": {"name": "p"}, "spec": spec}))
            .expect("test pod");
        PodInfo::new(Arc::new(pod))
    }

    fn node_info(name: &str, labels: Value) -> NodeInfo {
        let node: Node =
            serde_json::from_value(json!({"metadata": {"name": name, "labels": labels}}))
                .expect("test node");
        NodeInfo::new(Arc::new(node))
    }

    fn required(terms: Value) -> Value {
        json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}})
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> Value {
        json!({"key": key, "operator": op, "values": values})
    }

    fn name_in(values: &[&str]) -> Value {
        json!({"key": "metadata.name", "operator": "In", "values": values})
    }

    struct Case {
        name: &'static str,
        spec: Value,
        node_name: &'static str,
        labels: Value,
        /// Expected filter verdict: `None` = fits.
        want: Option<&'static str>,
        want_pre_filter: Option<(Code, &'static str)>,
        want_node_names: Option<&'static [&'static str]>,
        run_pre_filter: bool,
    }

    impl Default for Case {
        fn default() -> Self {
            Case {
                name: "",
                spec: json!({}),
                node_name: "node1",
                labels: json!({}),
                want: None,
                want_pre_filter: None,
                want_node_names: None,
                run_pre_filter: true,
            }
        }
    }

    fn run(pl: &NodeAffinity, c: Case) {
        let pod = pod_info(c.spec);
        let node = node_info(c.node_name, c.labels);
        let snapshot = Snapshot::default();
        let mut state = CycleState::new();
        if c.run_pre_filter {
            let (result, status) = pl.pre_filter(&mut state, &pod, &snapshot);
            match c.want_pre_filter {
                None => assert!(status.is_success(), "{}: prefilter {status:?}", c.name),
                Some((code, msg)) => {
                    assert_eq!(status.code, code, "{}", c.name);
                    assert_eq!(status.message(), msg, "{}", c.name);
                }
            }
            let want: Option<HashSet<String>> =
                c.want_node_names.map(|n| n.iter().map(|s| s.to_string()).collect());
            assert_eq!(result.node_names, want, "{}: prefilter result", c.name);
        }
        let status = pl.filter(&state, &pod, &node);
        match c.want {
            None => assert!(status.is_success(), "{}: {status:?}", c.name),
            Some(msg) => {
                assert_eq!(status.code, Code::UnschedulableAndUnresolvable, "{}", c.name);
                assert_eq!(status.message(), msg, "{}", c.name);
            }
        }
    }

    const SKIP: Option<(Code, &str)> = Some((Code::Skip, ""));

    #[test]
    fn filter_cases_from_kubernetes() {
        let pl = NodeAffinity::default();
        let cases = vec![
            Case {
                name: "missing labels",
                spec: json!({"nodeSelector": {"foo": "bar"}}),
                want: Some(ERR_REASON_POD),
                ..Default::default()
            },
            Case {
                name: "same labels",
                spec: json!({"nodeSelector": {"foo": "bar"}}),
                labels: json!({"foo": "bar"}),
                ..Default::default()
            },
            Case {
                name: "node labels are superset",
                spec: json!({"nodeSelector": {"foo": "bar"}}),
                labels: json!({"foo": "bar", "baz": "blah"}),
                ..Default::default()
            },
            Case {
                name: "node labels are subset",
                spec: json!({"nodeSelector": {"foo": "bar", "baz": "blah"}}),
                labels: json!({"foo": "bar"}),
                want: Some(ERR_REASON_POD),
                ..Default::default()
            },
            Case {
                name: "In matches",
                spec: required(
                    json!([{"matchExpressions": [expr("foo", "In", &["bar", "value2"])]}]),
                ),
                labels: json!({"foo": "bar"}),
                ..Default::default()
            },
            Case {
                name: "Gt matches",
                spec: required(
                    json!([{"matchExpressions": [expr("kernel-version", "Gt", &["0204"])]}]),
                ),
                labels: json!({"kernel-version": "0206"}),
                ..Default::default()
            },
            Case {
                name: "NotIn matches",
                spec: required(
                    json!([{"matchExpressions": [expr("mem-type", "NotIn", &["DDR", "DDR2"])]}]),
                ),
                labels: json!({"mem-type": "DDR3"}),
                ..Default::default()
            },
            Case {
                name: "Exists matches",
                spec: required(
                    json!([{"matchExpressions": [{"key": "GPU", "operator": "Exists"}]}]),
                ),
                labels: json!({"GPU": "NVIDIA-GRID-K1"}),
                ..Default::default()
            },
            Case {
                name: "affinity that doesn't match",
                spec: required(
                    json!([{"matchExpressions": [expr("foo", "In", &["value1", "value2"])]}]),
                ),
                labels: json!({"foo": "bar"}),
                want: Some(ERR_REASON_POD),
                ..Default::default()
            },
            Case {
                name: "empty matchExpressions match no objects",
                spec: required(json!([{"matchExpressions": []}])),
                labels: json!({"foo": "bar"}),
                want: Some(ERR_REASON_POD),
                ..Default::default()
            },
            Case {
                name: "no affinity",
                labels: json!({"foo": "bar"}),
                want_pre_filter: SKIP,
                ..Default::default()
            },
            Case {
                name: "affinity but nil node selector",
                spec: json!({"affinity": {"nodeAffinity": {}}}),
                labels: json!({"foo": "bar"}),
                want_pre_filter: SKIP,
                ..Default::default()
            },
            Case {
                name: "multiple matchExpressions ANDed that match",
                spec: required(json!([{"matchExpressions": [
                    {"key": "GPU", "operator": "Exists"}, expr("GPU", "NotIn", &["AMD", "INTER"])
                ]}])),
                labels: json!({"GPU": "NVIDIA-GRID-K1"}),
                ..Default::default()
            },
            Case {
                name: "multiple matchExpressions ANDed that don't match",
                spec: required(json!([{"matchExpressions": [
                    {"key": "GPU", "operator": "Exists"}, expr("GPU", "In", &["AMD", "INTER"])
                ]}])),
                labels: json!({"GPU": "NVIDIA-GRID-K1"}),
                want: Some(ERR_REASON_POD),
                ..Default::default()
            },
            Case {
                name: "multiple terms ORed",
                spec: required(json!([
                    {"matchExpressions": [expr("foo", "In", &["bar", "value2"])]},
                    {"matchExpressions": [expr("diffkey", "In", &["wrong", "value2"])]}
                ])),
                labels: json!({"foo": "bar"}),
                ..Default::default()
            },
            Case {
                name: "affinity and nodeSelector both satisfied",
                spec: {
                    let mut s = required(
                        json!([{"matchExpressions": [{"key": "foo", "operator": "Exists"}]}]),
                    );
                    s["nodeSelector"] = json!({"foo": "bar"});
                    s
                },
                labels: json!({"foo": "bar"}),
                ..Default::default()
            },
            Case {
                name: "affinity matches but nodeSelector does not",
                spec: {
                    let mut s = required(
                        json!([{"matchExpressions": [{"key": "foo", "operator": "Exists"}]}]),
                    );
                    s["nodeSelector"] = json!({"foo": "bar"});
                    s
                },
                labels: json!({"foo": "barrrrrr"}),
                want: Some(ERR_REASON_POD),
                ..Default::default()
            },
            Case {
                name: "invalid value in affinity term",
                spec: required(
                    json!([{"matchExpressions": [expr("foo", "NotIn", &["invalid value: ___@#$%^"])]}]),
                ),
                labels: json!({"foo": "bar"}),
                want: Some(ERR_REASON_POD),
                ..Default::default()
            },
            Case {
                name: "matchFields In matches the node",
                spec: required(json!([{"matchFields": [name_in(&["node1"])]}])),
                want_node_names: Some(&["node1"]),
                ..Default::default()
            },
            Case {
                name: "matchFields In does not match the node",
                spec: required(json!([{"matchFields": [name_in(&["node1"])]}])),
                node_name: "node2",
                want: Some(ERR_REASON_POD),
                want_node_names: Some(&["node1"]),
                ..Default::default()
            },
            Case {
                name: "two terms: matchFields does not match, matchExpressions does",
                spec: required(json!([
                    {"matchFields": [name_in(&["node1"]), name_in(&["node2"])]},
                    {"matchExpressions": [expr("foo", "In", &["bar"])]}
                ])),
                node_name: "node2",
                labels: json!({"foo": "bar"}),
                ..Default::default()
            },
            Case {
                name: "one term: matchFields does not match, matchExpressions does",
                spec: required(json!([{
                    "matchFields": [name_in(&["node1"])],
                    "matchExpressions": [expr("foo", "In", &["bar"])]
                }])),
                node_name: "node2",
                labels: json!({"foo": "bar"}),
                want: Some(ERR_REASON_POD),
                want_node_names: Some(&["node1"]),
                ..Default::default()
            },
            Case {
                name: "one term: both match",
                spec: required(json!([{
                    "matchFields": [name_in(&["node1"])],
                    "matchExpressions": [expr("foo", "In", &["bar"])]
                }])),
                labels: json!({"foo": "bar"}),
                want_node_names: Some(&["node1"]),
                ..Default::default()
            },
            Case {
                name: "two terms: neither matches",
                spec: required(json!([
                    {"matchFields": [name_in(&["node1"])]},
                    {"matchExpressions": [expr("foo", "In", &["not-match-to-bar"])]}
                ])),
                node_name: "node2",
                labels: json!({"foo": "bar"}),
                want: Some(ERR_REASON_POD),
                ..Default::default()
            },
            Case {
                name: "two terms of node name affinity",
                spec: required(json!([
                    {"matchFields": [name_in(&["node1"])]},
                    {"matchFields": [name_in(&["node2"])]}
                ])),
                node_name: "node2",
                want_node_names: Some(&["node1", "node2"]),
                ..Default::default()
            },
            Case {
                name: "two conflicting matchFields requirements",
                spec: required(
                    json!([{"matchFields": [name_in(&["node1"]), name_in(&["node2"])]}]),
                ),
                node_name: "node2",
                labels: json!({"foo": "bar"}),
                want: Some(ERR_REASON_POD),
                want_pre_filter: Some((Code::UnschedulableAndUnresolvable, ERR_REASON_CONFLICT)),
                ..Default::default()
            },
            Case {
                name: "node selector matches even if PreFilter is not called",
                spec: json!({"nodeSelector": {"foo": "bar"}}),
                labels: json!({"foo": "bar", "baz": "blah"}),
                run_pre_filter: false,
                ..Default::default()
            },
            Case {
                name: "node affinity matches even if PreFilter is not called",
                spec: required(json!([{"matchExpressions": [
                    {"key": "GPU", "operator": "Exists"}, expr("GPU", "NotIn", &["AMD", "INTER"])
                ]}])),
                labels: json!({"GPU": "NVIDIA-GRID-K1"}),
                run_pre_filter: false,
                ..Default::default()
            },
        ];
        for c in cases {
            run(&pl, c);
        }
    }

    #[test]
    fn added_affinity() {
        let args = |v: Value| NodeAffinityArgs {
            added_affinity: Some(serde_json::from_value(v).expect("affinity")),
        };
        let pin_node2 = args(json!({"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [name_in(&["node2"])]}]
        }}));
        let pl = NodeAffinity::new(&pin_node2).expect("valid");
        run(
            &pl,
            Case {
                name: "matches added affinity and pod's node affinity",
                spec: required(json!([{"matchExpressions": [expr("zone", "In", &["foo"])]}])),
                node_name: "node2",
                labels: json!({"zone": "foo"}),
                ..Default::default()
            },
        );
        run(
            &pl,
            Case {
                name: "matches added affinity but not pod's node affinity",
                spec: required(json!([{"matchExpressions": [expr("zone", "In", &["bar"])]}])),
                node_name: "node2",
                labels: json!({"zone": "foo"}),
                want: Some(ERR_REASON_POD),
                ..Default::default()
            },
        );
        let zone_bar = args(json!({"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [expr("zone", "In", &["bar"])]}]
        }}));
        let pl = NodeAffinity::new(&zone_bar).expect("valid");
        run(
            &pl,
            Case {
                name: "doesn't match added affinity",
                node_name: "node2",
                labels: json!({"zone": "foo"}),
                want: Some(ERR_REASON_ENFORCED),
                ..Default::default()
            },
        );
        let broken = args(json!({"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In"}]}]
        }}));
        assert!(NodeAffinity::new(&broken).is_err());
    }

    fn scores(
        pl: &NodeAffinity,
        spec: Value,
        nodes: &[(&str, Value)],
        run_pre_score: bool,
    ) -> Vec<i64> {
        let pod = pod_info(spec);
        let nodes: Vec<Arc<NodeInfo>> =
            nodes.iter().map(|(n, l)| Arc::new(node_info(n, l.clone()))).collect();
        let mut state = CycleState::new();
        if run_pre_score {
            let s = pl.pre_score(&mut state, &pod, &nodes, &Snapshot::default());
            assert!(s.is_success(), "{s:?}");
        }
        let mut out: Vec<i64> = nodes
            .iter()
            .map(|n| {
                let (score, s) = pl.score(&state, &pod, n);
                assert!(s.is_success());
                score
            })
            .collect();
        assert!(pl.normalize_score(&state, &pod, &mut out).is_success());
        out
    }

    #[test]
    fn score_cases_from_kubernetes() {
        let label1 = json!({"foo": "bar"});
        let label2 = json!({"key": "value"});
        let label3 = json!({"az": "az1"});
        let label4 = json!({"abc": "az11", "def": "az22"});
        let label5 = json!({"foo": "bar", "key": "value", "az": "az1"});
        let affinity1 = json!([{"weight": 2, "preference": {"matchExpressions": [expr("foo", "In", &["bar"])]}}]);
        let affinity2 = json!([
            {"weight": 2, "preference": {"matchExpressions": [expr("foo", "In", &["bar"])]}},
            {"weight": 4, "preference": {"matchExpressions": [expr("key", "In", &["value"])]}},
            {"weight": 5, "preference": {"matchExpressions": [
                expr("foo", "In", &["bar"]), expr("key", "In", &["value"]), expr("az", "In", &["az1"])
            ]}}
        ]);
        let preferred = |terms: &Value| json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": terms}}});
        let pl = NodeAffinity::default();

        // no affinity: every node scores the same; PreScore says Skip
        let three =
            [("node1", label1.clone()), ("node2", label2.clone()), ("node3", label3.clone())];
        assert_eq!(scores(&pl, json!({}), &three, false), vec![0, 0, 0]);
        let pod = pod_info(json!({}));
        let s = pl.pre_score(&mut CycleState::new(), &pod, &[], &Snapshot::default());
        assert_eq!(s.code, Code::Skip);

        // a broken preferred term is an error at PreScore
        let broken = pod_info(preferred(&json!([
            {"weight": 2, "preference": {"matchExpressions": [expr("invalid key", "In", &["bar"])]}}
        ])));
        let s = pl.pre_score(&mut CycleState::new(), &broken, &[], &Snapshot::default());
        assert_eq!(s.code, Code::Error);
        assert_eq!(
            s.message(),
            "[0].matchExpressions[0].key: Invalid value: \"invalid key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        );

        let none_match =
            [("node1", label4.clone()), ("node2", label2.clone()), ("node3", label3.clone())];
        assert_eq!(scores(&pl, preferred(&affinity1), &none_match, true), vec![0, 0, 0]);
        assert_eq!(scores(&pl, preferred(&affinity1), &three, true), vec![100, 0, 0]);
        let mixed =
            [("node1", label1.clone()), ("node5", label5.clone()), ("node2", label2.clone())];
        assert_eq!(scores(&pl, preferred(&affinity2), &mixed, true), vec![18, 100, 36]);
        // the same without PreScore
        assert_eq!(scores(&pl, preferred(&affinity2), &mixed, false), vec![18, 100, 36]);

        // added preferred affinity
        let added = NodeAffinity::new(&NodeAffinityArgs {
            added_affinity: Some(
                serde_json::from_value(
                    json!({"preferredDuringSchedulingIgnoredDuringExecution": affinity1}),
                )
                .expect("affinity"),
            ),
        })
        .expect("valid");
        let two = [("node1", label1.clone()), ("node2", label2.clone())];
        assert_eq!(scores(&added, json!({}), &two, true), vec![100, 0]);
        let added3 = NodeAffinity::new(&NodeAffinityArgs {
            added_affinity: Some(
                serde_json::from_value(json!({"preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 3, "preference": {"matchExpressions": [expr("key", "In", &["value"])]}}
                ]}))
                .expect("affinity"),
            ),
        })
        .expect("valid");
        let nodes = [("node1", label1), ("node2", label2), ("node3", label5)];
        assert_eq!(scores(&added3, preferred(&affinity1), &nodes, true), vec![40, 60, 100]);
    }

    #[test]
    fn normalize() {
        let mut s = vec![0, 5, 10];
        default_normalize_score(100, false, &mut s);
        assert_eq!(s, vec![0, 50, 100]);
        let mut s = vec![0, 5, 10];
        default_normalize_score(100, true, &mut s);
        assert_eq!(s, vec![100, 50, 0]);
        let mut s = vec![0, 0];
        default_normalize_score(100, true, &mut s);
        assert_eq!(s, vec![100, 100]);
        let mut s = vec![0, 0];
        default_normalize_score(100, false, &mut s);
        assert_eq!(s, vec![0, 0]);
        let mut empty: Vec<i64> = vec![];
        default_normalize_score(100, true, &mut empty);
    }
}
