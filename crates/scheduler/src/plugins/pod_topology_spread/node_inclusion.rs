//! PRIVATE STAND-INS, to be replaced by the NodeAffinity and TaintToleration plugins' helpers:
//! the pod's required node affinity (`nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)`)
//! and the untolerated-NoSchedule/NoExecute-taint test, which PodTopologySpread's
//! `nodeAffinityPolicy`/`nodeTaintsPolicy: Honor` use to decide which nodes count as domains.
//! Kept minimal; parse errors make a term match nothing, as Kubernetes' lazy-error selector does.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, NodeSelectorRequirement, Pod, Taint, Toleration};

enum LabelRequirement<'a> {
    In(&'a str, &'a [String]),
    NotIn(&'a str, &'a [String]),
    Exists(&'a str),
    DoesNotExist(&'a str),
    Gt(&'a str, i64),
    Lt(&'a str, i64),
}

impl LabelRequirement<'_> {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let int = |key: &str| labels.get(key).and_then(|v| v.parse::<i64>().ok());
        match *self {
            LabelRequirement::In(k, values) => labels.get(k).is_some_and(|v| values.contains(v)),
            LabelRequirement::NotIn(k, values) => {
                !labels.get(k).is_some_and(|v| values.contains(v))
            }
            LabelRequirement::Exists(k) => labels.contains_key(k),
            LabelRequirement::DoesNotExist(k) => !labels.contains_key(k),
            LabelRequirement::Gt(k, n) => int(k).is_some_and(|v| v > n),
            LabelRequirement::Lt(k, n) => int(k).is_some_and(|v| v < n),
        }
    }

    fn parse(r: &NodeSelectorRequirement) -> Option<LabelRequirement<'_>> {
        let values = r.values.as_deref().unwrap_or(&[]);
        let key = r.key.as_str();
        let single_int = || match values {
            [v] => v.parse::<i64>().ok(),
            _ => None,
        };
        match r.operator.as_str() {
            "In" if !values.is_empty() => Some(LabelRequirement::In(key, values)),
            "NotIn" if !values.is_empty() => Some(LabelRequirement::NotIn(key, values)),
            "Exists" if values.is_empty() => Some(LabelRequirement::Exists(key)),
            "DoesNotExist" if values.is_empty() => Some(LabelRequirement::DoesNotExist(key)),
            "Gt" => single_int().map(|n| LabelRequirement::Gt(key, n)),
            "Lt" => single_int().map(|n| LabelRequirement::Lt(key, n)),
            _ => None,
        }
    }
}

/// A `matchFields` requirement: only `In`/`NotIn` with one value; `metadata.name` is the one
/// field a node has.
struct FieldRequirement<'a> {
    key: &'a str,
    value: &'a str,
    equal: bool,
}

impl FieldRequirement<'_> {
    fn parse(r: &NodeSelectorRequirement) -> Option<FieldRequirement<'_>> {
        let value = match r.values.as_deref() {
            Some([v]) => v.as_str(),
            _ => return None,
        };
        let equal = match r.operator.as_str() {
            "In" => true,
            "NotIn" => false,
            _ => return None,
        };
        Some(FieldRequirement { key: &r.key, value, equal })
    }
}

/// One `nodeSelectorTerm`; `None` requirements mean the term failed to parse.
struct Term<'a> {
    labels: Option<Vec<LabelRequirement<'a>>>,
    fields: Option<Vec<FieldRequirement<'a>>>,
}

impl Term<'_> {
    fn matches(&self, node_name: &str, labels: &BTreeMap<String, String>) -> bool {
        let (Some(label_reqs), Some(field_reqs)) = (&self.labels, &self.fields) else {
            return false;
        };
        if !label_reqs.iter().all(|r| r.matches(labels)) {
            return false;
        }
        // Field requirements are skipped for a node without a name, as Kubernetes does.
        node_name.is_empty()
            || field_reqs.iter().all(|f| {
                let actual = if f.key == "metadata.name" { node_name } else { "" };
                (actual == f.value) == f.equal
            })
    }
}

/// The pod's `nodeSelector` and required node affinity terms.
pub struct RequiredNodeAffinity<'a> {
    node_selector: Option<&'a BTreeMap<String, String>>,
    /// `None` without required node affinity (any node); terms with no requirements are
    /// dropped (they select nothing).
    terms: Option<Vec<Term<'a>>>,
}

impl<'a> RequiredNodeAffinity<'a> {
    pub fn of(pod: &'a Pod) -> Self {
        let spec = pod.spec.as_ref();
        let node_selector = spec.and_then(|s| s.node_selector.as_ref()).filter(|m| !m.is_empty());
        let required = spec
            .and_then(|s| s.affinity.as_ref())
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|na| na.required_during_scheduling_ignored_during_execution.as_ref());
        let terms = required.map(|ns| {
            ns.node_selector_terms
                .iter()
                .filter_map(|t| {
                    let exprs = t.match_expressions.as_deref().unwrap_or(&[]);
                    let fields = t.match_fields.as_deref().unwrap_or(&[]);
                    if exprs.is_empty() && fields.is_empty() {
                        return None;
                    }
                    Some(Term {
                        labels: exprs.iter().map(LabelRequirement::parse).collect(),
                        fields: fields.iter().map(FieldRequirement::parse).collect(),
                    })
                })
                .collect()
        });
        RequiredNodeAffinity { node_selector, terms }
    }

    /// Whether every node matches (no selector, no required affinity).
    pub fn is_empty(&self) -> bool {
        self.node_selector.is_none() && self.terms.is_none()
    }

    pub fn matches(&self, node: &Node) -> bool {
        let labels = node.metadata.labels.as_ref();
        let empty = BTreeMap::new();
        let labels = labels.unwrap_or(&empty);
        if let Some(sel) = self.node_selector {
            if !sel.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                return false;
            }
        }
        match &self.terms {
            None => true,
            Some(terms) => {
                let name = node.metadata.name.as_deref().unwrap_or("");
                terms.iter().any(|t| t.matches(name, labels))
            }
        }
    }
}

fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    let effect = t.effect.as_deref().unwrap_or("");
    let key = t.key.as_deref().unwrap_or("");
    if (!effect.is_empty() && effect != taint.effect) || (!key.is_empty() && key != taint.key) {
        return false;
    }
    match t.operator.as_deref().unwrap_or("") {
        "" | "Equal" => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        "Exists" => true,
        _ => false,
    }
}

/// Whether every NoSchedule/NoExecute taint is tolerated (PreferNoSchedule never excludes).
pub fn tolerates_scheduling_taints(taints: &[Taint], tolerations: &[Toleration]) -> bool {
    taints
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .all(|taint| tolerations.iter().any(|t| tolerates(t, taint)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(v: serde_json::Value) -> Node {
        serde_json::from_value(v).expect("test node")
    }

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).expect("test pod")
    }

    #[test]
    fn required_node_affinity_ands_the_selector_and_ors_the_terms() {
        let p = pod(
            json!({"spec": {"containers": [], "nodeSelector": {"disk": "ssd"}, "affinity": {"nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "cpu", "operator": "Gt", "values": ["4"]}]},
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["special"]}]},
                    {}
                ]}
            }}}}),
        );
        let a = RequiredNodeAffinity::of(&p);
        assert!(!a.is_empty());
        let n = |name: &str, labels: serde_json::Value| {
            node(json!({"metadata": {"name": name, "labels": labels}}))
        };
        assert!(a.matches(&n("n1", json!({"disk": "ssd", "cpu": "8"}))));
        assert!(!a.matches(&n("n1", json!({"disk": "ssd", "cpu": "4"}))));
        assert!(!a.matches(&n("n1", json!({"disk": "ssd", "cpu": "many"}))));
        assert!(a.matches(&n("special", json!({"disk": "ssd"}))));
        assert!(!a.matches(&n("special", json!({"disk": "hdd"}))));

        let no_terms = pod(json!({"spec": {"containers": [], "affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}
        }}}}));
        assert!(!RequiredNodeAffinity::of(&no_terms).matches(&n("n1", json!({}))));
        let bad = pod(json!({"spec": {"containers": [], "affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "a", "operator": "In"}]}
            ]}
        }}}}));
        assert!(!RequiredNodeAffinity::of(&bad).matches(&n("n1", json!({"a": "b"}))));
        assert!(RequiredNodeAffinity::of(&pod(json!({"spec": {"containers": []}}))).is_empty());
    }

    #[test]
    fn only_no_schedule_and_no_execute_taints_need_tolerations() {
        let taints: Vec<Taint> = serde_json::from_value(json!([
            {"key": "a", "value": "1", "effect": "NoSchedule"},
            {"key": "b", "effect": "PreferNoSchedule"}
        ]))
        .expect("taints");
        let tol = |v: serde_json::Value| -> Vec<Toleration> {
            serde_json::from_value(v).expect("tolerations")
        };
        assert!(!tolerates_scheduling_taints(&taints, &[]));
        assert!(tolerates_scheduling_taints(&taints, &tol(json!([{"key": "a", "value": "1"}]))));
        assert!(!tolerates_scheduling_taints(&taints, &tol(json!([{"key": "a", "value": "2"}]))));
        assert!(tolerates_scheduling_taints(&taints, &tol(json!([{"operator": "Exists"}]))));
        assert!(!tolerates_scheduling_taints(
            &taints,
            &tol(json!([{"key": "a", "operator": "Exists", "effect": "NoExecute"}]))
        ));
    }
}
