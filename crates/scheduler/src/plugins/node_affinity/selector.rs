//! Node selectors parsed once and matched against many nodes: `spec.nodeSelector`, required
//! node affinity (terms ORed, requirements ANDed) and weighted preferred terms. Mirrors
//! `k8s.io/component-helpers/scheduling/corev1/nodeaffinity`, including which malformed
//! requirements make a term match nothing and the field-path text of the parse errors.
//!
//! Reused outside the scheduler (the DaemonSet controller decides with
//! [`RequiredNodeAffinity`] which nodes a daemon pod belongs on).

use krust_runtime::validation::{label_key_errors, label_value_errors};
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Node, NodeSelector as ApiNodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    PreferredSchedulingTerm,
};

/// The only field a node selector term's `matchFields` can name.
pub const OBJECT_NAME_FIELD: &str = "metadata.name";

static EMPTY_LABELS: BTreeMap<String, String> = BTreeMap::new();

fn node_labels(node: &Node) -> &BTreeMap<String, String> {
    node.metadata.labels.as_ref().unwrap_or(&EMPTY_LABELS)
}

fn node_name(node: &Node) -> &str {
    node.metadata.name.as_deref().unwrap_or("")
}

/// One `matchExpressions` requirement, validated as `labels.NewRequirement` does.
#[derive(Clone, Debug, PartialEq, Eq)]
enum LabelRequirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
    Gt(String, i64),
    Lt(String, i64),
}

impl LabelRequirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            LabelRequirement::In(k, values) => labels.get(k).is_some_and(|v| values.contains(v)),
            // A missing label is "not in" any set.
            LabelRequirement::NotIn(k, values) => labels.get(k).is_none_or(|v| !values.contains(v)),
            LabelRequirement::Exists(k) => labels.contains_key(k),
            LabelRequirement::DoesNotExist(k) => !labels.contains_key(k),
            // A label that is missing or not an integer satisfies neither inequality.
            LabelRequirement::Gt(k, bound) => {
                labels.get(k).and_then(|v| v.parse::<i64>().ok()).is_some_and(|v| v > *bound)
            }
            LabelRequirement::Lt(k, bound) => {
                labels.get(k).and_then(|v| v.parse::<i64>().ok()).is_some_and(|v| v < *bound)
            }
        }
    }
}

/// One `matchFields` requirement: `metadata.name` equal or not equal to a single value.
#[derive(Clone, Debug, PartialEq, Eq)]
enum FieldRequirement {
    Equals(String, String),
    NotEquals(String, String),
}

impl FieldRequirement {
    fn matches(&self, node_name: &str) -> bool {
        // A node has only one selectable field; any other key reads as the empty string, as
        // in `fields.Set`.
        let field = |key: &str| if key == OBJECT_NAME_FIELD { node_name } else { "" };
        match self {
            FieldRequirement::Equals(k, v) => field(k) == v,
            FieldRequirement::NotEquals(k, v) => field(k) != v,
        }
    }
}

/// A parsed, non-empty node selector term. A term with parse errors matches nothing.
#[derive(Clone, Debug, Default)]
struct Term {
    expressions: Vec<LabelRequirement>,
    fields: Vec<FieldRequirement>,
    errors: Vec<String>,
}

impl Term {
    /// `None` for a term with neither expressions nor fields: it selects nothing and is
    /// dropped, as Kubernetes does.
    fn parse(term: &NodeSelectorTerm, path: &str) -> Option<Term> {
        let expressions = term.match_expressions.as_deref().unwrap_or(&[]);
        let fields = term.match_fields.as_deref().unwrap_or(&[]);
        if expressions.is_empty() && fields.is_empty() {
            return None;
        }
        let mut t = Term::default();
        for (i, r) in expressions.iter().enumerate() {
            let p = format!("{path}.matchExpressions[{i}]");
            if let Some(req) = parse_label_requirement(r, &p, &mut t.errors) {
                t.expressions.push(req);
            }
        }
        for (i, r) in fields.iter().enumerate() {
            let p = format!("{path}.matchFields[{i}]");
            if let Some(req) = parse_field_requirement(r, &p, &mut t.errors) {
                t.fields.push(req);
            }
        }
        Some(t)
    }

    /// `None` when the term could not be parsed.
    fn matches(&self, name: &str, labels: &BTreeMap<String, String>) -> Option<bool> {
        if !self.errors.is_empty() {
            return None;
        }
        if !self.expressions.iter().all(|r| r.matches(labels)) {
            return Some(false);
        }
        // Field requirements are only checked against a node that has a name.
        if !name.is_empty() && !self.fields.iter().all(|r| r.matches(name)) {
            return Some(false);
        }
        Some(true)
    }
}

/// A `v1.NodeSelector` (terms ORed) that tolerates malformed terms: they match nothing while
/// the others still count (`LazyErrorNodeSelector`, what the scheduler uses for a pod's own
/// affinity).
#[derive(Clone, Debug, Default)]
pub struct NodeSelector {
    terms: Vec<Term>,
}

impl NodeSelector {
    pub fn new(selector: &ApiNodeSelector) -> NodeSelector {
        let terms = selector
            .node_selector_terms
            .iter()
            .enumerate()
            .filter_map(|(i, t)| Term::parse(t, &format!("nodeSelectorTerms[{i}]")))
            .collect();
        NodeSelector { terms }
    }

    /// Like [`NodeSelector::new`] but rejects any malformed term (`NewNodeSelector`), for
    /// selectors from configuration.
    pub fn parse(selector: &ApiNodeSelector) -> Result<NodeSelector, String> {
        let ns = NodeSelector::new(selector);
        let errors: Vec<String> = ns.terms.iter().flat_map(|t| t.errors.iter().cloned()).collect();
        if errors.is_empty() {
            Ok(ns)
        } else {
            Err(aggregate(errors))
        }
    }

    /// Whether any term matches a node with this name and these labels. No terms: no match.
    pub fn matches(&self, name: &str, labels: &BTreeMap<String, String>) -> bool {
        self.terms.iter().any(|t| t.matches(name, labels) == Some(true))
    }

    pub fn matches_node(&self, node: &Node) -> bool {
        self.matches(node_name(node), node_labels(node))
    }
}

/// Whether `node` matches `selector`'s terms (`MatchNodeSelectorTerms`).
pub fn match_node_selector_terms(node: &Node, selector: &ApiNodeSelector) -> bool {
    NodeSelector::new(selector).matches_node(node)
}

/// A pod's hard node constraints: `spec.nodeSelector` AND
/// `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
#[derive(Clone, Debug, Default)]
pub struct RequiredNodeAffinity {
    /// `None` when the pod sets no node selector (or an empty one).
    label_selector: Option<Vec<(String, String)>>,
    /// `None` when the pod has no required node affinity.
    node_selector: Option<NodeSelector>,
}

impl RequiredNodeAffinity {
    pub fn from_pod(pod: &Pod) -> RequiredNodeAffinity {
        let spec = pod.spec.as_ref();
        let label_selector = spec
            .and_then(|s| s.node_selector.as_ref())
            .filter(|m| !m.is_empty())
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        let node_selector = required_node_selector(pod).map(NodeSelector::new);
        RequiredNodeAffinity { label_selector, node_selector }
    }

    /// Whether a node with this name and these labels satisfies both constraints.
    pub fn matches(&self, name: &str, labels: &BTreeMap<String, String>) -> bool {
        if let Some(sel) = &self.label_selector {
            // `spec.nodeSelector` is an exact-match selector: every key present and equal.
            if !sel.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                return false;
            }
        }
        self.node_selector.as_ref().is_none_or(|ns| ns.matches(name, labels))
    }

    pub fn matches_node(&self, node: &Node) -> bool {
        self.matches(node_name(node), node_labels(node))
    }
}

/// Whether `pod`'s node selector and required node affinity allow `node` — the check the
/// DaemonSet controller and the scheduler's NodeAffinity filter share.
pub fn pod_matches_node_selector_and_affinity(pod: &Pod, node: &Node) -> bool {
    RequiredNodeAffinity::from_pod(pod).matches_node(node)
}

/// The pod's `requiredDuringSchedulingIgnoredDuringExecution` node selector, if any.
pub fn required_node_selector(pod: &Pod) -> Option<&ApiNodeSelector> {
    pod.spec
        .as_ref()?
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()
}

/// Weighted preferred terms; a node scores the sum of the weights of the terms it matches.
#[derive(Clone, Debug, Default)]
pub struct PreferredSchedulingTerms {
    terms: Vec<(Term, i64)>,
}

impl PreferredSchedulingTerms {
    /// Terms of weight 0 and empty terms are dropped; any malformed term is an error
    /// (`NewPreferredSchedulingTerms`).
    pub fn new(terms: &[PreferredSchedulingTerm]) -> Result<PreferredSchedulingTerms, String> {
        let mut parsed = Vec::with_capacity(terms.len());
        let mut errors = Vec::new();
        for (i, t) in terms.iter().enumerate() {
            if t.weight == 0 {
                continue;
            }
            let Some(term) = Term::parse(&t.preference, &format!("[{i}]")) else { continue };
            if term.errors.is_empty() {
                parsed.push((term, i64::from(t.weight)));
            } else {
                errors.extend(term.errors);
            }
        }
        if errors.is_empty() {
            Ok(PreferredSchedulingTerms { terms: parsed })
        } else {
            Err(aggregate(errors))
        }
    }

    pub fn score(&self, name: &str, labels: &BTreeMap<String, String>) -> i64 {
        self.terms
            .iter()
            .filter(|(t, _)| t.matches(name, labels) == Some(true))
            .map(|(_, w)| w)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

// --- parsing and validation, with apimachinery's error text ---

const SELECTOR_OPERATORS: &[&str] = &["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"];
const FIELD_SELECTOR_OPERATORS: &[&str] = &["In", "NotIn"];

fn parse_label_requirement(
    r: &NodeSelectorRequirement,
    path: &str,
    errors: &mut Vec<String>,
) -> Option<LabelRequirement> {
    let values = r.values.as_deref().unwrap_or(&[]);
    if !SELECTOR_OPERATORS.contains(&r.operator.as_str()) {
        errors.push(not_supported(&format!("{path}.operator"), &r.operator, SELECTOR_OPERATORS));
        return None;
    }
    let before = errors.len();
    let key_errors = label_key_errors(&r.key);
    if !key_errors.is_empty() {
        errors.push(invalid(&format!("{path}.key"), &quote(&r.key), &key_errors.join("; ")));
    }
    let values_path = format!("{path}.values");
    let mut bound = None;
    match r.operator.as_str() {
        "In" | "NotIn" if values.is_empty() => errors.push(invalid(
            &values_path,
            &go_string_slice(values),
            "for 'in', 'notin' operators, values set can't be empty",
        )),
        "Exists" | "DoesNotExist" if !values.is_empty() => errors.push(invalid(
            &values_path,
            &go_string_slice(values),
            "values set must be empty for exists and does not exist",
        )),
        "Gt" | "Lt" => {
            if values.len() != 1 {
                errors.push(invalid(
                    &values_path,
                    &go_string_slice(values),
                    "for 'Gt', 'Lt' operators, exactly one value is required",
                ));
            }
            for (i, v) in values.iter().enumerate() {
                match v.parse::<i64>() {
                    Ok(n) => bound = Some(n),
                    Err(_) => errors.push(invalid(
                        &format!("{values_path}[{i}]"),
                        &quote(v),
                        "for 'Gt', 'Lt' operators, the value must be an integer",
                    )),
                }
            }
        }
        _ => {}
    }
    // Every value must also be a valid label value, whatever the operator.
    for (i, v) in values.iter().enumerate() {
        let errs = label_value_errors(v);
        if !errs.is_empty() {
            errors.push(invalid(
                &format!("{values_path}[{i}][{}]", r.key),
                &quote(v),
                &errs.join("; "),
            ));
        }
    }
    if errors.len() != before {
        return None;
    }
    let key = r.key.clone();
    Some(match r.operator.as_str() {
        "In" => LabelRequirement::In(key, values.to_vec()),
        "NotIn" => LabelRequirement::NotIn(key, values.to_vec()),
        "Exists" => LabelRequirement::Exists(key),
        "DoesNotExist" => LabelRequirement::DoesNotExist(key),
        "Gt" => LabelRequirement::Gt(key, bound?),
        _ => LabelRequirement::Lt(key, bound?),
    })
}

fn parse_field_requirement(
    r: &NodeSelectorRequirement,
    path: &str,
    errors: &mut Vec<String>,
) -> Option<FieldRequirement> {
    let values = r.values.as_deref().unwrap_or(&[]);
    if !FIELD_SELECTOR_OPERATORS.contains(&r.operator.as_str()) {
        errors.push(not_supported(
            &format!("{path}.operator"),
            &r.operator,
            FIELD_SELECTOR_OPERATORS,
        ));
        return None;
    }
    let [value] = values else {
        errors.push(invalid(
            &format!("{path}.values"),
            &go_string_slice(values),
            "must have one element",
        ));
        return None;
    };
    Some(if r.operator == "In" {
        FieldRequirement::Equals(r.key.clone(), value.clone())
    } else {
        FieldRequirement::NotEquals(r.key.clone(), value.clone())
    })
}

/// `field.Invalid(...).Error()`.
fn invalid(path: &str, value: &str, detail: &str) -> String {
    format!("{path}: Invalid value: {value}: {detail}")
}

/// `field.NotSupported(...).Error()`.
fn not_supported(path: &str, value: &str, supported: &[&str]) -> String {
    let supported: Vec<String> = supported.iter().map(|s| quote(s)).collect();
    format!(
        "{path}: Unsupported value: {}: supported values: {}",
        quote(value),
        supported.join(", ")
    )
}

fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// A `[]string` as Go's `%#v` prints it.
fn go_string_slice(values: &[String]) -> String {
    if values.is_empty() {
        return "[]string(nil)".to_string();
    }
    let quoted: Vec<String> = values.iter().map(|v| quote(v)).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

/// Errors joined as `utilerrors.Flatten(NewAggregate(errs))` prints them: duplicates dropped,
/// one error bare, several in brackets.
fn aggregate(errors: Vec<String>) -> String {
    let mut unique: Vec<String> = Vec::with_capacity(errors.len());
    for e in errors {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    match unique.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(name: &str, labels: serde_json::Value) -> Node {
        serde_json::from_value(json!({"metadata": {"name": name, "labels": labels}}))
            .expect("test node")
    }

    fn selector(terms: serde_json::Value) -> ApiNodeSelector {
        serde_json::from_value(json!({ "nodeSelectorTerms": terms })).expect("test selector")
    }

    #[test]
    fn operators() {
        let n = node("n1", json!({"foo": "bar", "kernel-version": "0206", "GPU": "NVIDIA"}));
        let m = |expr: serde_json::Value| {
            match_node_selector_terms(&n, &selector(json!([{"matchExpressions": [expr]}])))
        };
        assert!(m(json!({"key": "foo", "operator": "In", "values": ["bar", "x"]})));
        assert!(!m(json!({"key": "foo", "operator": "In", "values": ["x"]})));
        assert!(m(json!({"key": "foo", "operator": "NotIn", "values": ["x"]})));
        assert!(m(json!({"key": "missing", "operator": "NotIn", "values": ["x"]})));
        assert!(!m(json!({"key": "foo", "operator": "NotIn", "values": ["bar"]})));
        assert!(m(json!({"key": "GPU", "operator": "Exists"})));
        assert!(!m(json!({"key": "missing", "operator": "Exists"})));
        assert!(m(json!({"key": "missing", "operator": "DoesNotExist"})));
        assert!(m(json!({"key": "kernel-version", "operator": "Gt", "values": ["0204"]})));
        assert!(!m(json!({"key": "kernel-version", "operator": "Gt", "values": ["206"]})));
        assert!(m(json!({"key": "kernel-version", "operator": "Lt", "values": ["207"]})));
        // a label that is not an integer satisfies neither inequality
        assert!(!m(json!({"key": "foo", "operator": "Gt", "values": ["1"]})));
        assert!(!m(json!({"key": "foo", "operator": "Lt", "values": ["1"]})));
        // malformed requirements make the term match nothing
        assert!(!m(json!({"key": "foo", "operator": "In", "values": []})));
        assert!(!m(json!({"key": "GPU", "operator": "Exists", "values": ["NVIDIA"]})));
        assert!(!m(json!({"key": "kernel-version", "operator": "Gt", "values": ["a"]})));
        assert!(!m(json!({"key": "kernel-version", "operator": "Gt", "values": ["1", "2"]})));
        assert!(!m(json!({"key": "foo", "operator": "Like", "values": ["bar"]})));
        assert!(!m(
            json!({"key": "foo", "operator": "NotIn", "values": ["invalid value: ___@#$%^"]})
        ));
        assert!(!m(json!({"key": "invalid key", "operator": "Exists"})));
    }

    #[test]
    fn terms_are_ored_and_empty_terms_match_nothing() {
        let n = node("n1", json!({"foo": "bar"}));
        let sel = selector(json!([
            {"matchExpressions": [{"key": "foo", "operator": "In", "values": ["nope"]}]},
            {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}
        ]));
        assert!(match_node_selector_terms(&n, &sel));
        assert!(!match_node_selector_terms(&n, &selector(json!([{}]))));
        assert!(!match_node_selector_terms(&n, &selector(json!([{"matchExpressions": []}]))));
        assert!(!match_node_selector_terms(&n, &selector(json!([]))));
        // a malformed term does not stop a later one from matching
        let sel = selector(json!([
            {"matchExpressions": [{"key": "foo", "operator": "Bogus"}]},
            {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}
        ]));
        assert!(match_node_selector_terms(&n, &sel));
        assert!(NodeSelector::parse(&sel).is_err());
    }

    #[test]
    fn match_fields_name_the_node() {
        let sel = |op: &str, values: serde_json::Value| {
            selector(
                json!([{"matchFields": [{"key": "metadata.name", "operator": op, "values": values}]}]),
            )
        };
        assert!(match_node_selector_terms(&node("n1", json!({})), &sel("In", json!(["n1"]))));
        assert!(!match_node_selector_terms(&node("n2", json!({})), &sel("In", json!(["n1"]))));
        assert!(match_node_selector_terms(&node("n2", json!({})), &sel("NotIn", json!(["n1"]))));
        // field selectors take exactly one value
        assert!(!match_node_selector_terms(
            &node("n1", json!({})),
            &sel("In", json!(["n1", "n2"]))
        ));
        assert!(!match_node_selector_terms(&node("n1", json!({})), &sel("Exists", json!([]))));
        // a nameless node has no fields to check
        assert!(match_node_selector_terms(&node("", json!({})), &sel("In", json!(["n1"]))));
        // any other field reads as empty
        let other = selector(
            json!([{"matchFields": [{"key": "metadata.uid", "operator": "In", "values": [""]}]}]),
        );
        assert!(match_node_selector_terms(&node("n1", json!({})), &other));
    }

    #[test]
    fn preferred_terms_sum_matching_weights_and_report_parse_errors() {
        let terms: Vec<PreferredSchedulingTerm> = serde_json::from_value(json!([
            {"weight": 2, "preference": {"matchExpressions": [{"key": "foo", "operator": "In", "values": ["bar"]}]}},
            {"weight": 4, "preference": {"matchExpressions": [{"key": "key", "operator": "In", "values": ["value"]}]}},
            {"weight": 0, "preference": {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}},
            {"weight": 7, "preference": {}}
        ]))
        .expect("terms");
        let p = PreferredSchedulingTerms::new(&terms).expect("valid");
        let n = node("n", json!({"foo": "bar", "key": "value"}));
        assert_eq!(p.score("n", node_labels(&n)), 6);

        let bad: Vec<PreferredSchedulingTerm> = serde_json::from_value(json!([
            {"weight": 2, "preference": {"matchExpressions": [{"key": "invalid key", "operator": "In", "values": ["bar"]}]}}
        ]))
        .expect("terms");
        assert_eq!(
            PreferredSchedulingTerms::new(&bad).map(|_| ()),
            Err("[0].matchExpressions[0].key: Invalid value: \"invalid key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".to_string())
        );
        let bad_op: Vec<PreferredSchedulingTerm> = serde_json::from_value(json!([
            {"weight": 1, "preference": {"matchFields": [{"key": "metadata.name", "operator": "Exists"}]}}
        ]))
        .expect("terms");
        assert_eq!(
            PreferredSchedulingTerms::new(&bad_op).map(|_| ()),
            Err("[0].matchFields[0].operator: Unsupported value: \"Exists\": supported values: \"In\", \"NotIn\"".to_string())
        );
    }

    #[test]
    fn qualified_names() {
        assert!(label_key_errors("app.kubernetes.io/name").is_empty());
        assert!(label_key_errors("GPU").is_empty());
        assert_eq!(label_key_errors("/a"), vec!["prefix part must be non-empty".to_string()]);
        assert_eq!(label_key_errors("Example.com/a").len(), 1);
        assert_eq!(label_key_errors("a/b/c").len(), 1);
        assert_eq!(label_key_errors("").len(), 2);
        assert!(label_value_errors("").is_empty());
        assert!(!label_value_errors("-1").is_empty());
    }

    #[test]
    fn required_node_affinity_ands_node_selector_and_affinity() {
        let pod: Pod = serde_json::from_value(json!({
            "spec": {
                "containers": [],
                "nodeSelector": {"foo": "bar"},
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": "foo", "operator": "Exists"}]}]
                }}}
            }
        }))
        .expect("pod");
        assert!(pod_matches_node_selector_and_affinity(&pod, &node("n", json!({"foo": "bar"}))));
        assert!(!pod_matches_node_selector_and_affinity(
            &pod,
            &node("n", json!({"foo": "barrrrrr"}))
        ));
        assert!(!pod_matches_node_selector_and_affinity(&pod, &node("n", json!({}))));
        let bare: Pod = serde_json::from_value(json!({"spec": {"containers": []}})).expect("pod");
        assert!(pod_matches_node_selector_and_affinity(&bare, &node("n", json!({}))));
    }
}
