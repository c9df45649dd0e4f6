//! TaintToleration: a node's `NoSchedule` and `NoExecute` taints keep off every pod that does
//! not tolerate them (Filter), and each `PreferNoSchedule` taint a pod does not tolerate makes
//! the node less attractive (Score, reversed so fewer such taints score higher).
//!
//! The toleration matching ([`tolerates`], [`find_matching_untolerated_taint`]) is the
//! component-helpers one, shared with NodeUnschedulable and the controllers.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Pod, Taint, Toleration};

use super::node_affinity::default_normalize_score;
use crate::framework::{
    CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, PreScorePlugin, ScorePlugin, Snapshot,
    Status, MAX_NODE_SCORE,
};

pub const NAME: &str = "TaintToleration";
/// Weight in the default profile.
pub const DEFAULT_WEIGHT: i64 = 3;

pub const TAINT_EFFECT_NO_SCHEDULE: &str = "NoSchedule";
pub const TAINT_EFFECT_PREFER_NO_SCHEDULE: &str = "PreferNoSchedule";
pub const TAINT_EFFECT_NO_EXECUTE: &str = "NoExecute";
pub const TOLERATION_OP_EQUAL: &str = "Equal";
pub const TOLERATION_OP_EXISTS: &str = "Exists";

/// Whether `toleration` tolerates `taint`:
/// - an empty effect matches every effect, otherwise the effects must be equal;
/// - an empty key matches every key (the API only allows it with `Exists`);
/// - `Exists` matches any value, `Equal` (or no operator) requires equal values;
/// - any other operator tolerates nothing.
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect = toleration.effect.as_deref().unwrap_or("");
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or("");
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match toleration.operator.as_deref().unwrap_or("") {
        "" | TOLERATION_OP_EQUAL => {
            toleration.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("")
        }
        TOLERATION_OP_EXISTS => true,
        _ => false,
    }
}

/// Whether any of `tolerations` tolerates `taint`.
pub fn tolerations_tolerate_taint(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| tolerates(t, taint))
}

/// The first of the `taints` selected by `include` that no toleration tolerates.
pub fn find_matching_untolerated_taint<'a>(
    taints: &'a [Taint],
    tolerations: &[Toleration],
    include: impl Fn(&Taint) -> bool,
) -> Option<&'a Taint> {
    taints.iter().filter(|t| include(t)).find(|t| !tolerations_tolerate_taint(tolerations, t))
}

/// The taints that keep pods off a node: `NoSchedule` and `NoExecute`
/// (`helper.DoNotScheduleTaintsFilterFunc`).
pub fn is_do_not_schedule_taint(taint: &Taint) -> bool {
    taint.effect == TAINT_EFFECT_NO_SCHEDULE || taint.effect == TAINT_EFFECT_NO_EXECUTE
}

/// A pod's tolerations (none when unset).
pub fn pod_tolerations(pod: &Pod) -> &[Toleration] {
    pod.spec.as_ref().and_then(|s| s.tolerations.as_deref()).unwrap_or(&[])
}

/// The filter's failure reason for `taint`, as Kubernetes v1.34 words it (Go's
/// `{%s: %s}`, so an empty value leaves `{key: }`).
pub fn untolerated_taint_reason(taint: &Taint) -> String {
    format!(
        "node(s) had untolerated taint {{{}: {}}}",
        taint.key,
        taint.value.as_deref().unwrap_or("")
    )
}

#[derive(Clone, Copy, Debug, Default)]
pub struct TaintToleration;

/// The tolerations that can tolerate a `PreferNoSchedule` taint, picked once per cycle.
#[derive(Clone, Debug)]
struct PreScoreState {
    tolerations_prefer_no_schedule: Vec<Toleration>,
}

impl Plugin for TaintToleration {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl FilterPlugin for TaintToleration {
    fn filter(&self, _state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        if node.node().is_none() {
            return Status::error("node not found");
        }
        match find_matching_untolerated_taint(
            node.taints(),
            pod_tolerations(&pod.pod),
            is_do_not_schedule_taint,
        ) {
            None => Status::success(),
            Some(taint) => Status::unresolvable(untolerated_taint_reason(taint)),
        }
    }
}

impl PreScorePlugin for TaintToleration {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _nodes: &[Arc<NodeInfo>],
        _snapshot: &Snapshot,
    ) -> Status {
        // An empty effect means every effect, PreferNoSchedule included.
        let tolerations_prefer_no_schedule = pod_tolerations(&pod.pod)
            .iter()
            .filter(|t| {
                let effect = t.effect.as_deref().unwrap_or("");
                effect.is_empty() || effect == TAINT_EFFECT_PREFER_NO_SCHEDULE
            })
            .cloned()
            .collect();
        state.write(PreScoreState { tolerations_prefer_no_schedule });
        Status::success()
    }
}

impl ScorePlugin for TaintToleration {
    /// The number of the node's `PreferNoSchedule` taints the pod does not tolerate.
    fn score(&self, state: &CycleState, _pod: &PodInfo, node: &NodeInfo) -> (i64, Status) {
        if node.node().is_none() {
            return (0, Status::error("node not found"));
        }
        let Some(s) = state.read::<PreScoreState>() else {
            return (
                0,
                Status::error("reading \"PreScoreTaintToleration\" from cycleState: not found"),
            );
        };
        let count = node
            .taints()
            .iter()
            .filter(|t| t.effect == TAINT_EFFECT_PREFER_NO_SCHEDULE)
            .filter(|t| !tolerations_tolerate_taint(&s.tolerations_prefer_no_schedule, t))
            .count();
        (count as i64, Status::success())
    }

    fn normalize_score(&self, _state: &CycleState, _pod: &PodInfo, scores: &mut [i64]) -> Status {
        default_normalize_score(MAX_NODE_SCORE, true, scores);
        Status::success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Code;
    use k8s_openapi::api::core::v1::Node;
    use serde_json::{json, Value};

    fn pod_info(tolerations: Value) -> PodInfo {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "pod1"},
            "spec": {"containers": [], "tolerations": tolerations}
        }))
        .expect("test pod");
        PodInfo::new(Arc::new(pod))
    }

    fn node_info(name: &str, taints: Value) -> NodeInfo {
        let node: Node =
            serde_json::from_value(json!({"metadata": {"name": name}, "spec": {"taints": taints}}))
                .expect("test node");
        NodeInfo::new(Arc::new(node))
    }

    fn taint(v: Value) -> Taint {
        serde_json::from_value(v).expect("taint")
    }

    fn toleration(v: Value) -> Toleration {
        serde_json::from_value(v).expect("toleration")
    }

    #[test]
    fn toleration_matching() {
        let t = taint(json!({"key": "foo", "value": "bar", "effect": "NoSchedule"}));
        let yes = |v: Value| assert!(tolerates(&toleration(v.clone()), &t), "{v}");
        let no = |v: Value| assert!(!tolerates(&toleration(v.clone()), &t), "{v}");
        yes(json!({"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoSchedule"}));
        yes(json!({"key": "foo", "value": "bar", "effect": "NoSchedule"}));
        yes(json!({"key": "foo", "value": "bar"}));
        yes(json!({"key": "foo", "operator": "Exists"}));
        yes(json!({"operator": "Exists"}));
        yes(json!({"operator": "Exists", "effect": "NoSchedule"}));
        no(json!({"operator": "Exists", "effect": "NoExecute"}));
        no(json!({"key": "foo", "value": "baz"}));
        no(json!({"key": "foo", "operator": "Equal"}));
        no(json!({"key": "other", "operator": "Exists"}));
        no(json!({"key": "foo", "value": "bar", "effect": "PreferNoSchedule"}));
        no(json!({"key": "foo", "operator": "Gt", "value": "1"}));
        let empty_value = taint(json!({"key": "foo", "effect": "NoSchedule"}));
        assert!(tolerates(&toleration(json!({"key": "foo", "operator": "Equal"})), &empty_value));
    }

    fn filter(tolerations: Value, taints: Value) -> Status {
        TaintToleration.filter(
            &CycleState::new(),
            &pod_info(tolerations),
            &node_info("nodeA", taints),
        )
    }

    #[test]
    fn filter_cases_from_kubernetes() {
        let dedicated = json!([{"key": "dedicated", "value": "user1", "effect": "NoSchedule"}]);
        let s = filter(json!([]), dedicated.clone());
        assert_eq!(s.code, Code::UnschedulableAndUnresolvable);
        assert_eq!(s.message(), "node(s) had untolerated taint {dedicated: user1}");
        assert!(filter(
            json!([{"key": "dedicated", "value": "user1", "effect": "NoSchedule"}]),
            dedicated.clone()
        )
        .is_success());
        let s = filter(
            json!([{"key": "dedicated", "operator": "Equal", "value": "user2", "effect": "NoSchedule"}]),
            dedicated,
        );
        assert_eq!(s.message(), "node(s) had untolerated taint {dedicated: user1}");
        let foo_bar = json!([{"key": "foo", "value": "bar", "effect": "NoSchedule"}]);
        assert!(filter(
            json!([{"key": "foo", "operator": "Exists", "effect": "NoSchedule"}]),
            foo_bar.clone()
        )
        .is_success());
        assert!(filter(
            json!([
                {"key": "dedicated", "operator": "Equal", "value": "user2", "effect": "NoSchedule"},
                {"key": "foo", "operator": "Exists", "effect": "NoSchedule"}
            ]),
            json!([
                {"key": "dedicated", "value": "user2", "effect": "NoSchedule"},
                {"key": "foo", "value": "bar", "effect": "NoSchedule"}
            ])
        )
        .is_success());
        // matching key and value but a different (non-empty) effect
        let s = filter(
            json!([{"key": "foo", "operator": "Equal", "value": "bar", "effect": "PreferNoSchedule"}]),
            foo_bar.clone(),
        );
        assert_eq!(s.message(), "node(s) had untolerated taint {foo: bar}");
        // an empty toleration effect tolerates NoSchedule
        assert!(filter(json!([{"key": "foo", "operator": "Equal", "value": "bar"}]), foo_bar)
            .is_success());
        // PreferNoSchedule taints never filter
        let prefer = json!([{"key": "dedicated", "value": "user1", "effect": "PreferNoSchedule"}]);
        assert!(filter(
            json!([{"key": "dedicated", "operator": "Equal", "value": "user2", "effect": "NoSchedule"}]),
            prefer.clone()
        )
        .is_success());
        assert!(filter(json!([]), prefer).is_success());
        // NoExecute taints filter too; an empty value prints as such; the first untolerated
        // taint is the one named
        let s = filter(
            json!([{"key": "a", "operator": "Exists"}]),
            json!([
                {"key": "a", "value": "x", "effect": "NoExecute"},
                {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"},
                {"key": "b", "effect": "NoSchedule"}
            ]),
        );
        assert_eq!(s.message(), "node(s) had untolerated taint {node.kubernetes.io/not-ready: }");
        // a pod tolerating everything
        assert!(filter(
            json!([{"operator": "Exists"}]),
            json!([{"key": "b", "effect": "NoSchedule"}, {"key": "c", "effect": "NoExecute"}])
        )
        .is_success());
    }

    fn scores(tolerations: Value, nodes: &[Value]) -> Vec<i64> {
        let pod = pod_info(tolerations);
        let nodes: Vec<Arc<NodeInfo>> = nodes
            .iter()
            .enumerate()
            .map(|(i, t)| Arc::new(node_info(&format!("node{i}"), t.clone())))
            .collect();
        let mut state = CycleState::new();
        assert!(TaintToleration
            .pre_score(&mut state, &pod, &nodes, &Snapshot::default())
            .is_success());
        let mut out: Vec<i64> = nodes
            .iter()
            .map(|n| {
                let (s, status) = TaintToleration.score(&state, &pod, n);
                assert!(status.is_success());
                s
            })
            .collect();
        assert!(TaintToleration.normalize_score(&state, &pod, &mut out).is_success());
        out
    }

    #[test]
    fn score_cases_from_kubernetes() {
        let pref = |k: &str, v: &str| json!({"key": k, "value": v, "effect": "PreferNoSchedule"});
        let tol = |k: &str, v: &str, e: &str| json!({"key": k, "operator": "Equal", "value": v, "effect": e});
        // tolerated taints score higher than intolerable ones
        assert_eq!(
            scores(
                json!([tol("foo", "bar", "PreferNoSchedule")]),
                &[json!([pref("foo", "bar")]), json!([pref("foo", "blah")])]
            ),
            vec![100, 0]
        );
        // how many tolerated taints a node has does not matter
        assert_eq!(
            scores(
                json!([
                    tol("cpu-type", "arm64", "PreferNoSchedule"),
                    tol("disk-type", "ssd", "PreferNoSchedule")
                ]),
                &[
                    json!([]),
                    json!([pref("cpu-type", "arm64")]),
                    json!([pref("cpu-type", "arm64"), pref("disk-type", "ssd")])
                ]
            ),
            vec![100, 100, 100]
        );
        // the more intolerable taints, the lower the score
        assert_eq!(
            scores(
                json!([tol("foo", "bar", "PreferNoSchedule")]),
                &[
                    json!([]),
                    json!([pref("cpu-type", "arm64")]),
                    json!([pref("cpu-type", "arm64"), pref("disk-type", "ssd")])
                ]
            ),
            vec![100, 50, 0]
        );
        // only PreferNoSchedule taints and tolerations count
        assert_eq!(
            scores(
                json!([
                    tol("cpu-type", "arm64", "NoSchedule"),
                    tol("disk-type", "ssd", "NoSchedule")
                ]),
                &[
                    json!([]),
                    json!([{"key": "cpu-type", "value": "arm64", "effect": "NoSchedule"}]),
                    json!([pref("cpu-type", "arm64"), pref("disk-type", "ssd")])
                ]
            ),
            vec![100, 100, 0]
        );
        // no tolerations: lands on the node without taints
        assert_eq!(
            scores(json!([]), &[json!([]), json!([pref("cpu-type", "arm64")])]),
            vec![100, 0]
        );
        // a toleration with no effect tolerates PreferNoSchedule taints
        assert_eq!(
            scores(
                json!([{"key": "cpu-type", "operator": "Exists"}]),
                &[json!([]), json!([pref("cpu-type", "arm64")])]
            ),
            vec![100, 100]
        );
    }
}
