//! Cases ported from kube-scheduler's `interpodaffinity/{filtering,scoring}_test.go`.

use super::*;
use crate::framework::{ClusterObjects, Code};
use k8s_openapi::api::core::v1::Node;
use serde_json::{json, Value};

fn pod(v: Value) -> Pod {
    serde_json::from_value(v).expect("test pod")
}

/// A pod: `labels`, on `node` ("" = pending), in `ns`, with `affinity` as the spec's.
fn mk(name: &str, ns: &str, node: &str, labels: Value, affinity: Value) -> Pod {
    pod(json!({
        "metadata": {"name": name, "namespace": ns, "uid": name, "labels": labels},
        "spec": {"nodeName": node, "containers": [], "affinity": affinity}
    }))
}

/// A term whose selector has one expression.
fn term(key: &str, op: &str, values: &[&str], topology: &str) -> Value {
    let mut expr = json!({"key": key, "operator": op});
    if !values.is_empty() {
        expr["values"] = json!(values);
    }
    json!({"labelSelector": {"matchExpressions": [expr]}, "topologyKey": topology})
}

fn weighted(weight: i32, term: Value) -> Value {
    json!({"weight": weight, "podAffinityTerm": term})
}

fn required(affinity: Vec<Value>, anti: Vec<Value>) -> Value {
    json!({
        "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": affinity},
        "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": anti}
    })
}

fn preferred(affinity: Vec<Value>, anti: Vec<Value>) -> Value {
    json!({
        "podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": affinity},
        "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": anti}
    })
}

/// Nodes (name, labels) with the pods bound to them, and the four namespaces of the Kubernetes
/// tests (`subteamN.teamM`, labelled `team: teamM`).
fn snapshot(nodes: &[(&str, Value)], pods: &[Pod]) -> Snapshot {
    let infos = nodes
        .iter()
        .map(|(name, labels)| {
            let node: Node =
                serde_json::from_value(json!({"metadata": {"name": name, "labels": labels}}))
                    .expect("test node");
            let mut ni = NodeInfo::new(Arc::new(node));
            for p in pods {
                if p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(*name) {
                    ni.add_pod(Arc::new(PodInfo::new(Arc::new(p.clone()))));
                }
            }
            Arc::new(ni)
        })
        .collect();
    let mut objects = ClusterObjects::default();
    for ns in ["subteam1.team1", "subteam2.team1", "subteam1.team2", "subteam2.team2"] {
        let team = ns.rsplit('.').next().unwrap_or_default().to_string();
        objects.namespace_labels.insert(ns.to_string(), BTreeMap::from([("team".into(), team)]));
    }
    Snapshot::new(infos, Arc::new(objects), Arc::default())
}

/// PreFilter, then Filter on every node: the PreFilter status and each node's (code, reason).
fn filter_all(pl: &InterPodAffinity, p: &Pod, snap: &Snapshot) -> (Code, Vec<(Code, String)>) {
    let pi = PodInfo::new(Arc::new(p.clone()));
    let mut state = CycleState::new();
    let (_, s) = pl.pre_filter(&mut state, &pi, snap);
    if !s.is_success() {
        return (s.code, Vec::new());
    }
    let statuses = snap
        .node_info_list
        .iter()
        .map(|n| pl.filter(&state, &pi, n))
        .map(|s| (s.code, s.message()))
        .collect();
    (s.code, statuses)
}

fn ok() -> (Code, String) {
    (Code::Success, String::new())
}
fn no_affinity() -> (Code, String) {
    (Code::UnschedulableAndUnresolvable, ERR_REASON_AFFINITY_RULES_NOT_MATCH.into())
}
fn no_anti() -> (Code, String) {
    (Code::Unschedulable, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH.into())
}
fn no_existing_anti() -> (Code, String) {
    (Code::Unschedulable, ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH.into())
}

#[test]
fn required_affinity_single_node() {
    let node1 = [("node1", json!({"region": "r1", "zone": "z11"}))];
    let scan = json!({"service": "securityscan"});
    let s1 = json!({"security": "S1"});
    let existing = || mk("existing", "", "node1", scan.clone(), json!({}));
    let pl = InterPodAffinity::default();
    // (name, incoming pod, existing pods, want PreFilter code, want Filter result)
    type Case = (&'static str, Pod, Vec<Pod>, Code, Option<(Code, String)>);
    let cases: Vec<Case> = vec![
        (
            "no terms and no existing pods: Skip",
            mk("p", "", "", json!({}), json!({})),
            vec![],
            Code::Skip,
            None,
        ),
        (
            "affinity In matches the existing pod",
            mk(
                "p",
                "",
                "",
                s1.clone(),
                required(
                    vec![term("service", "In", &["securityscan", "value2"], "region")],
                    vec![],
                ),
            ),
            vec![existing()],
            Code::Success,
            Some(ok()),
        ),
        (
            "affinity NotIn matches the existing pod",
            mk(
                "p",
                "",
                "",
                s1.clone(),
                required(
                    vec![term("service", "NotIn", &["securityscan3", "value3"], "region")],
                    vec![],
                ),
            ),
            vec![existing()],
            Code::Success,
            Some(ok()),
        ),
        (
            "affinity to another namespace finds no pod",
            mk(
                "p",
                "",
                "",
                s1.clone(),
                required(
                    vec![{
                        let mut t = term("service", "In", &["securityscan", "value2"], "");
                        t["namespaces"] = json!(["DiffNameSpace"]);
                        t
                    }],
                    vec![],
                ),
            ),
            vec![mk("existing", "ns", "node1", scan.clone(), json!({}))],
            Code::Success,
            Some(no_affinity()),
        ),
        (
            "affinity selector matches neither the existing pod nor the pod itself",
            mk(
                "p",
                "",
                "",
                scan.clone(),
                required(vec![term("service", "In", &["antivirusscan", "value2"], "")], vec![]),
            ),
            vec![existing()],
            Code::Success,
            Some(no_affinity()),
        ),
        (
            "requirements of one selector are ANDed",
            mk(
                "p",
                "",
                "",
                s1.clone(),
                required(
                    vec![
                        json!({
                            "labelSelector": {"matchExpressions": [
                                {"key": "service", "operator": "Exists"},
                                {"key": "wrongkey", "operator": "DoesNotExist"}
                            ]},
                            "topologyKey": "region"
                        }),
                        json!({
                            "labelSelector": {"matchExpressions": [
                                {"key": "service", "operator": "In", "values": ["securityscan2"]},
                                {"key": "service", "operator": "NotIn", "values": ["WrongValue"]}
                            ]},
                            "topologyKey": "region"
                        }),
                    ],
                    vec![],
                ),
            ),
            vec![existing()],
            Code::Success,
            Some(no_affinity()),
        ),
        (
            "affinity and anti-affinity both satisfied",
            mk(
                "p",
                "",
                "",
                s1.clone(),
                required(
                    vec![term("service", "In", &["securityscan", "value2"], "region")],
                    vec![term("service", "In", &["antivirusscan", "value2"], "node")],
                ),
            ),
            vec![existing()],
            Code::Success,
            Some(ok()),
        ),
        (
            "anti-affinity in the zone is violated",
            mk(
                "p",
                "",
                "",
                s1.clone(),
                required(
                    vec![term("service", "In", &["securityscan", "value2"], "region")],
                    vec![term("service", "In", &["securityscan", "value2"], "zone")],
                ),
            ),
            vec![existing()],
            Code::Success,
            Some(no_anti()),
        ),
        (
            "the existing pod's anti-affinity rejects the incoming pod",
            mk(
                "p",
                "",
                "",
                scan.clone(),
                required(
                    vec![term("service", "In", &["securityscan", "value2"], "region")],
                    vec![term("service", "In", &["antivirusscan", "value2"], "node")],
                ),
            ),
            vec![mk(
                "existing",
                "",
                "node1",
                scan.clone(),
                required(vec![], vec![term("service", "In", &["securityscan", "value2"], "zone")]),
            )],
            Code::Success,
            Some(no_existing_anti()),
        ),
        (
            "a pod with no terms still honours existing pods' anti-affinity",
            mk("p", "", "", scan.clone(), json!({})),
            vec![mk(
                "existing",
                "",
                "node1",
                scan.clone(),
                required(vec![], vec![term("service", "In", &["securityscan", "value2"], "zone")]),
            )],
            Code::Success,
            Some(no_existing_anti()),
        ),
        (
            "existing anti-affinity that does not select the pod: Skip",
            mk("p", "", "", scan.clone(), json!({})),
            vec![mk(
                "existing",
                "",
                "node1",
                scan.clone(),
                required(
                    vec![],
                    vec![term("service", "NotIn", &["securityscan", "value2"], "zone")],
                ),
            )],
            Code::Skip,
            None,
        ),
        (
            "symmetry a2: the existing pod's second term selects the pod",
            mk(
                "p",
                "",
                "",
                s1.clone(),
                required(vec![], vec![term("security", "Exists", &[], "zone")]),
            ),
            vec![mk(
                "existing",
                "",
                "node1",
                scan.clone(),
                required(
                    vec![],
                    vec![
                        term("service", "Exists", &[], "zone"),
                        term("security", "Exists", &[], "zone"),
                    ],
                ),
            )],
            Code::Success,
            Some(no_existing_anti()),
        ),
        (
            "affinity namespace selector picks the existing pod's namespace",
            mk(
                "p",
                "",
                "",
                s1.clone(),
                required(
                    vec![{
                        let mut t = term("service", "In", &["securityscan", "value2"], "region");
                        t["namespaceSelector"] = json!({"matchExpressions": [{"key": "team", "operator": "In", "values": ["team1"]}]});
                        t
                    }],
                    vec![],
                ),
            ),
            vec![mk("existing", "subteam1.team1", "node1", scan.clone(), json!({}))],
            Code::Success,
            Some(ok()),
        ),
        (
            "affinity namespace selector misses the existing pod's namespace",
            mk(
                "p",
                "",
                "",
                s1.clone(),
                required(
                    vec![{
                        let mut t = term("service", "In", &["securityscan", "value2"], "region");
                        t["namespaceSelector"] = json!({"matchExpressions": [{"key": "team", "operator": "In", "values": ["team1"]}]});
                        t
                    }],
                    vec![],
                ),
            ),
            vec![mk("existing", "subteam1.team2", "node1", scan.clone(), json!({}))],
            Code::Success,
            Some(no_affinity()),
        ),
        (
            "anti-affinity with an empty namespace selector covers every namespace",
            mk(
                "p",
                "subteam1.team1",
                "",
                s1.clone(),
                required(
                    vec![],
                    vec![{
                        let mut t = term("service", "In", &["securityscan", "value2"], "zone");
                        t["namespaceSelector"] = json!({});
                        t
                    }],
                ),
            ),
            vec![mk("existing", "subteam2.team1", "node1", scan.clone(), json!({}))],
            Code::Success,
            Some(no_anti()),
        ),
        (
            "anti-affinity namespace selector misses the existing pod's namespace",
            mk(
                "p",
                "subteam1.team1",
                "",
                s1.clone(),
                required(
                    vec![],
                    vec![{
                        let mut t = term("service", "In", &["securityscan", "value2"], "zone");
                        t["namespaceSelector"] = json!({"matchExpressions": [{"key": "team", "operator": "In", "values": ["team1"]}]});
                        t
                    }],
                ),
            ),
            vec![mk("existing", "subteam1.team2", "node1", scan.clone(), json!({}))],
            Code::Success,
            Some(ok()),
        ),
    ];
    for (name, p, pods, want_pre, want_filter) in cases {
        let snap = snapshot(&node1, &pods);
        let (pre, statuses) = filter_all(&pl, &p, &snap);
        assert_eq!(pre, want_pre, "{name}: PreFilter");
        if let Some(want) = want_filter {
            assert_eq!(statuses, vec![want], "{name}: Filter");
        }
    }
}

#[test]
fn an_unparsable_term_is_unresolvable_in_pre_filter() {
    let p = mk(
        "p",
        "",
        "",
        json!({}),
        required(vec![term("service", "Matches", &["x"], "region")], vec![]),
    );
    let pi = PodInfo::new(Arc::new(p));
    let mut state = CycleState::new();
    let (_, s) = InterPodAffinity::default().pre_filter(&mut state, &pi, &snapshot(&[], &[]));
    assert_eq!(s.code, Code::UnschedulableAndUnresolvable);
    assert!(s.message().starts_with("parsing pod: "), "{}", s.message());
}

#[test]
fn required_affinity_multiple_nodes() {
    let china = json!({"region": "China"});
    let china_az1 = json!({"region": "China", "az": "az1"});
    let india = json!({"region": "India"});
    let pl = InterPodAffinity::default();

    // All nodes sharing the matching pod's region value qualify.
    let snap = snapshot(
        &[("node1", china.clone()), ("node2", china_az1.clone()), ("node3", india.clone())],
        &[mk("p1", "", "node1", json!({"foo": "bar"}), json!({}))],
    );
    let p =
        mk("p", "", "", json!({}), required(vec![term("foo", "In", &["bar"], "region")], vec![]));
    assert_eq!(filter_all(&pl, &p, &snap).1, vec![ok(), ok(), no_affinity()]);

    // The first pod of a group that matches its own terms may go anywhere with the keys...
    let group = mk(
        "p",
        "",
        "",
        json!({"foo": "bar", "service": "securityscan"}),
        required(
            vec![
                term("foo", "In", &["bar"], "zone"),
                term("service", "In", &["securityscan"], "zone"),
            ],
            vec![],
        ),
    );
    let existing = [mk("p1", "", "nodeA", json!({"foo": "bar"}), json!({}))];
    let snap = snapshot(
        &[
            ("nodeA", json!({"zone": "az1", "hostname": "h1"})),
            ("nodeB", json!({"zone": "az2", "hostname": "h2"})),
        ],
        &existing,
    );
    assert_eq!(filter_all(&pl, &group, &snap).1, vec![ok(), ok()]);
    // ...but only on nodes that have the topology keys.
    let snap = snapshot(
        &[
            ("nodeA", json!({"zoneLabel": "az1", "hostname": "h1"})),
            ("nodeB", json!({"zoneLabel": "az2", "hostname": "h2"})),
        ],
        &existing,
    );
    assert_eq!(filter_all(&pl, &group, &snap).1, vec![no_affinity(), no_affinity()]);

    // Anti-affinity covers every node of the matching pod's region.
    let anti =
        mk("p", "", "", json!({}), required(vec![], vec![term("foo", "In", &["abc"], "region")]));
    let snap = snapshot(
        &[("nodeA", china.clone()), ("nodeB", china_az1.clone()), ("nodeC", india.clone())],
        &[mk("e", "", "nodeA", json!({"foo": "abc"}), json!({}))],
    );
    assert_eq!(filter_all(&pl, &anti, &snap).1, vec![no_anti(), no_anti(), ok()]);

    // Any anti-affinity term matching is enough.
    let anti2 = mk(
        "p",
        "",
        "",
        json!({}),
        required(
            vec![],
            vec![
                term("foo", "In", &["abc"], "region"),
                term("service", "In", &["securityscan"], "zone"),
            ],
        ),
    );
    let snap = snapshot(
        &[
            ("nodeA", json!({"region": "r1", "zone": "z1", "hostname": "nodeA"})),
            ("nodeB", json!({"region": "r1", "zone": "z2", "hostname": "nodeB"})),
        ],
        &[mk("e", "", "nodeA", json!({"foo": "abc", "service": "securityscan"}), json!({}))],
    );
    assert_eq!(filter_all(&pl, &anti2, &snap).1, vec![no_anti(), no_anti()]);

    // Pods in other namespaces do not count; an existing pod's term only covers its own.
    let ns1 = mk(
        "p",
        "NS1",
        "",
        json!({"foo": "123"}),
        required(vec![], vec![term("foo", "In", &["bar"], "region")]),
    );
    let snap = snapshot(
        &[("nodeA", china.clone()), ("nodeB", china_az1), ("nodeC", india)],
        &[
            mk("a", "NS1", "nodeA", json!({"foo": "bar"}), json!({})),
            mk(
                "c",
                "NS2",
                "nodeC",
                json!({}),
                required(vec![], vec![term("foo", "In", &["123"], "region")]),
            ),
        ],
    );
    assert_eq!(filter_all(&pl, &ns1, &snap).1, vec![no_anti(), no_anti(), ok()]);

    // A term whose topology key no node has constrains nothing.
    let nodes = [
        ("nodeA", json!({"region": "r1", "zone": "z1", "hostname": "nodeA"})),
        ("nodeB", json!({"region": "r1", "zone": "z1", "hostname": "nodeB"})),
    ];
    let snap = snapshot(
        &nodes,
        &[mk(
            "e",
            "",
            "nodeA",
            json!({}),
            required(vec![], vec![term("foo", "Exists", &[], "invalid-node-label")]),
        )],
    );
    let (pre, _) = filter_all(&pl, &mk("p", "", "", json!({"foo": ""}), json!({})), &snap);
    assert_eq!(pre, Code::Skip);
    let snap = snapshot(&nodes, &[mk("e", "", "nodeA", json!({"foo": ""}), json!({}))]);
    let p = mk(
        "p",
        "",
        "",
        json!({}),
        required(vec![], vec![term("foo", "Exists", &[], "invalid-node-label")]),
    );
    assert_eq!(filter_all(&pl, &p, &snap).1, vec![ok(), ok()]);

    // Existing pods' anti-affinity in two topologies.
    let snap = snapshot(
        &[
            ("nodeA", json!({"region": "r1", "zone": "z1", "hostname": "nodeA"})),
            ("nodeB", json!({"region": "r1", "zone": "z2", "hostname": "nodeB"})),
        ],
        &[
            mk(
                "e1",
                "",
                "nodeA",
                json!({}),
                required(vec![], vec![term("foo", "Exists", &[], "zone")]),
            ),
            mk(
                "e2",
                "",
                "nodeA",
                json!({}),
                required(vec![], vec![term("bar", "Exists", &[], "region")]),
            ),
        ],
    );
    let p = mk("p", "", "", json!({"foo": "", "bar": ""}), json!({}));
    assert_eq!(filter_all(&pl, &p, &snap).1, vec![no_existing_anti(), no_existing_anti()]);
}

#[test]
fn add_and_remove_pod_update_the_counts() {
    let pl = InterPodAffinity::default();
    let snap = snapshot(
        &[("nodeA", json!({"zone": "z1"})), ("nodeB", json!({"zone": "z2"}))],
        &[mk("e", "", "nodeA", json!({"app": "db"}), json!({}))],
    );
    let incoming = PodInfo::new(Arc::new(mk(
        "p",
        "",
        "",
        json!({"app": "web"}),
        required(
            vec![term("app", "In", &["db"], "zone")],
            vec![term("app", "In", &["web"], "zone")],
        ),
    )));
    let mut state = CycleState::new();
    assert!(pl.pre_filter(&mut state, &incoming, &snap).1.is_success());
    let node_b = snap.get("nodeB").expect("nodeB").clone();
    assert_eq!(pl.filter(&state, &incoming, &node_b).code, Code::UnschedulableAndUnresolvable);

    // A db pod nominated to nodeB satisfies the affinity there, on a copy of the state.
    let db =
        Arc::new(PodInfo::new(Arc::new(mk("db", "", "nodeB", json!({"app": "db"}), json!({})))));
    let mut copy = state.clone();
    assert!(pl.add_pod(&mut copy, &incoming, &db, &node_b, &snap).is_success());
    assert!(pl.filter(&copy, &incoming, &node_b).is_success());
    assert_eq!(pl.filter(&state, &incoming, &node_b).code, Code::UnschedulableAndUnresolvable);

    // A web pod there violates the anti-affinity; removing it again restores the node.
    let web =
        Arc::new(PodInfo::new(Arc::new(mk("web", "", "nodeB", json!({"app": "web"}), json!({})))));
    assert!(pl.add_pod(&mut copy, &incoming, &web, &node_b, &snap).is_success());
    assert_eq!(
        pl.filter(&copy, &incoming, &node_b).message(),
        ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH
    );
    assert!(pl.remove_pod(&mut copy, &incoming, &web, &node_b, &snap).is_success());
    assert!(pl.filter(&copy, &incoming, &node_b).is_success());

    // An added pod whose anti-affinity selects the incoming pod blocks its zone.
    let guard = Arc::new(PodInfo::new(Arc::new(mk(
        "guard",
        "",
        "nodeB",
        json!({}),
        required(vec![], vec![term("app", "In", &["web"], "zone")]),
    ))));
    assert!(pl.add_pod(&mut copy, &incoming, &guard, &node_b, &snap).is_success());
    assert_eq!(
        pl.filter(&copy, &incoming, &node_b).message(),
        ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH
    );
    assert!(pl.remove_pod(&mut copy, &incoming, &guard, &node_b, &snap).is_success());
    assert!(pl.filter(&copy, &incoming, &node_b).is_success());
}

/// PreScore, Score and NormalizeScore over every node; `Err(code)` when PreScore did not
/// succeed.
fn scores(pl: &InterPodAffinity, p: &Pod, snap: &Snapshot) -> Result<Vec<i64>, Code> {
    let pi = PodInfo::new(Arc::new(p.clone()));
    let mut state = CycleState::new();
    let s = pl.pre_score(&mut state, &pi, &snap.node_info_list, snap);
    if !s.is_success() {
        return Err(s.code);
    }
    let mut out = Vec::new();
    for n in &snap.node_info_list {
        let (score, s) = pl.score(&state, &pi, n);
        assert!(s.is_success());
        out.push(score);
    }
    assert!(pl.normalize_score(&state, &pi, &mut out).is_success());
    Ok(out)
}

#[test]
fn preferred_affinity_scores() {
    let china = json!({"region": "China"});
    let india = json!({"region": "India"});
    let az1 = json!({"az": "az1"});
    let az2 = json!({"az": "az2"});
    let china_az1 = json!({"region": "China", "az": "az1"});
    let s1 = json!({"security": "S1"});
    let s2 = json!({"security": "S2"});
    let with_s1_in_region =
        preferred(vec![weighted(5, term("security", "In", &["S1"], "region"))], vec![]);
    let with_s2_in_region =
        preferred(vec![weighted(6, term("security", "In", &["S2"], "region"))], vec![]);
    let away_from_s1_in_az =
        preferred(vec![], vec![weighted(5, term("security", "In", &["S1"], "az"))]);
    let away_from_s2_in_az =
        preferred(vec![], vec![weighted(5, term("security", "In", &["S2"], "az"))]);
    let with_s1_away_from_s2 = preferred(
        vec![weighted(8, term("security", "In", &["S1"], "region"))],
        vec![weighted(5, term("security", "In", &["S2"], "az"))],
    );
    let on = |node: &str, labels: &Value, affinity: &Value| {
        mk("e", "", node, labels.clone(), affinity.clone())
    };
    let none = json!({});
    let pl = InterPodAffinity::default();

    let three = [("node1", china.clone()), ("node2", india.clone()), ("node3", az1.clone())];
    // (name, nodes, existing pods, incoming pod, want)
    type Case = (&'static str, Vec<(&'static str, Value)>, Vec<Pod>, Pod, Result<Vec<i64>, Code>);
    let cases: Vec<Case> = vec![
        (
            "no affinity anywhere: Skip",
            three.to_vec(),
            vec![],
            mk("p", "", "", s1.clone(), none.clone()),
            Err(Code::Skip),
        ),
        (
            "the node whose region has a matching pod wins",
            three.to_vec(),
            vec![on("node1", &s1, &none), on("node2", &s2, &none), on("node3", &s1, &none)],
            mk("p", "", "", s1.clone(), with_s1_in_region.clone()),
            Ok(vec![100, 0, 0]),
        ),
        (
            "every node of the matching region scores alike",
            vec![("node1", china.clone()), ("node2", china_az1.clone()), ("node3", india.clone())],
            vec![on("node1", &s1, &none)],
            mk("p", "", "", none.clone(), with_s1_in_region.clone()),
            Ok(vec![100, 100, 0]),
        ),
        (
            "the region with more matching pods wins",
            vec![
                ("node1", china.clone()),
                ("node2", india.clone()),
                ("node3", china.clone()),
                ("node4", china.clone()),
                ("node5", india.clone()),
            ],
            vec![
                on("node1", &s2, &none),
                on("node1", &s2, &none),
                on("node2", &s2, &none),
                on("node3", &s2, &none),
                on("node4", &s2, &none),
                on("node5", &s2, &none),
            ],
            mk("p", "", "", s1.clone(), with_s2_in_region.clone()),
            Ok(vec![100, 0, 100, 100, 0]),
        ),
        (
            "several operators and weights",
            three.to_vec(),
            vec![on("node1", &s1, &none), on("node2", &s2, &none), on("node3", &s1, &none)],
            mk(
                "p",
                "",
                "",
                s1.clone(),
                preferred(
                    vec![
                        weighted(
                            8,
                            json!({"labelSelector": {"matchExpressions": [
                            {"key": "security", "operator": "NotIn", "values": ["S1"]},
                            {"key": "security", "operator": "In", "values": ["S2"]}
                        ]}, "topologyKey": "region"}),
                        ),
                        weighted(
                            2,
                            json!({"labelSelector": {"matchExpressions": [
                            {"key": "security", "operator": "Exists"},
                            {"key": "wrongkey", "operator": "DoesNotExist"}
                        ]}, "topologyKey": "region"}),
                        ),
                    ],
                    vec![],
                ),
            ),
            Ok(vec![20, 100, 0]),
        ),
        (
            "symmetry: existing pods' preferred affinity",
            three.to_vec(),
            vec![on("node1", &s1, &with_s1_in_region), on("node2", &s2, &with_s2_in_region)],
            mk("p", "", "", s2.clone(), none.clone()),
            Ok(vec![0, 100, 0]),
        ),
        (
            "symmetry: existing pods' required affinity counts with the hard weight",
            three.to_vec(),
            {
                let hard = required(
                    vec![
                        term("security", "In", &["S1", "value2"], "region"),
                        json!({"labelSelector": {"matchExpressions": [
                            {"key": "security", "operator": "Exists"},
                            {"key": "wrongkey", "operator": "DoesNotExist"}
                        ]}, "topologyKey": "region"}),
                    ],
                    vec![],
                );
                vec![on("node1", &s1, &hard), on("node2", &s2, &hard)]
            },
            mk("p", "", "", s1.clone(), none.clone()),
            Ok(vec![100, 100, 0]),
        ),
        (
            "anti-affinity: the node with the matching pod loses",
            vec![("node1", az1.clone()), ("node2", china.clone())],
            vec![on("node1", &s1, &none), on("node2", &s2, &none)],
            mk("p", "", "", s1.clone(), away_from_s1_in_az.clone()),
            Ok(vec![0, 100]),
        ),
        (
            "anti-affinity: a node without the topology key is not penalized",
            vec![("node1", az1.clone()), ("node2", china.clone())],
            vec![on("node1", &s1, &none), on("node2", &s1, &none)],
            mk("p", "", "", s1.clone(), away_from_s1_in_az.clone()),
            Ok(vec![0, 100]),
        ),
        (
            "anti-affinity symmetry",
            vec![("node1", az1.clone()), ("node2", az2.clone())],
            vec![on("node1", &s1, &away_from_s2_in_az), on("node2", &s2, &away_from_s1_in_az)],
            mk("p", "", "", s2.clone(), none.clone()),
            Ok(vec![0, 100]),
        ),
        (
            "affinity and anti-affinity together",
            vec![
                ("node1", china_az1.clone()),
                ("node2", india.clone()),
                ("node3", china.clone()),
                ("node4", china.clone()),
                ("node5", india.clone()),
            ],
            vec![
                on("node1", &s1, &none),
                on("node1", &s1, &none),
                on("node2", &s1, &none),
                on("node3", &s1, &none),
                on("node3", &s1, &none),
                on("node4", &s1, &none),
                on("node5", &s1, &none),
            ],
            mk("p", "", "", s1.clone(), with_s1_away_from_s2.clone()),
            Ok(vec![100, 0, 100, 100, 0]),
        ),
        (
            "affinity, anti-affinity and symmetry together",
            vec![
                ("node1", china.clone()),
                ("node2", az1.clone()),
                ("node3", india.clone()),
                ("node4", az2.clone()),
            ],
            vec![
                on("node1", &s1, &none),
                on("node2", &s2, &none),
                on("node3", &none, &with_s1_away_from_s2),
                on("node4", &none, &away_from_s1_in_az),
            ],
            mk("p", "", "", s1.clone(), with_s1_away_from_s2.clone()),
            Ok(vec![100, 0, 100, 0]),
        ),
        (
            "equal scores in one topology normalize to zero",
            vec![("node1", china.clone()), ("node2", china.clone())],
            vec![on("node1", &s1, &none), on("node2", &none, &with_s1_away_from_s2)],
            mk("p", "", "", s1.clone(), none.clone()),
            Ok(vec![0, 0]),
        ),
        (
            "no nodes: Skip",
            vec![],
            vec![],
            mk("p", "", "", s2.clone(), none.clone()),
            Err(Code::Skip),
        ),
    ];
    for (name, nodes, pods, p, want) in cases {
        let snap = snapshot(&nodes, &pods);
        assert_eq!(scores(&pl, &p, &snap), want, "{name}");
    }
}

#[test]
fn preferred_affinity_with_namespace_selectors() {
    let nodes = [("node1", json!({"region": "China"})), ("node2", json!({"region": "India"}))];
    let s1 = json!({"security": "S1"});
    let with_ns_selector = |t: Value| {
        let mut t = t;
        t["namespaces"] = json!(["subteam2.team2"]);
        t["namespaceSelector"] =
            json!({"matchExpressions": [{"key": "team", "operator": "In", "values": ["team1"]}]});
        t
    };
    let affinity = preferred(
        vec![weighted(5, with_ns_selector(term("security", "In", &["S1"], "region")))],
        vec![],
    );
    let anti = preferred(
        vec![],
        vec![weighted(5, with_ns_selector(term("security", "In", &["S1"], "region")))],
    );
    let pl = InterPodAffinity::default();
    let existing = vec![
        mk("a", "subteam1.team1", "node1", s1.clone(), json!({})),
        mk("b", "subteam1.team1", "node1", s1.clone(), json!({})),
        mk("c", "subteam2.team2", "node1", s1.clone(), json!({})),
        mk("d", "subteam2.team1", "node2", s1.clone(), json!({})),
    ];
    let snap = snapshot(&nodes, &existing);
    let p = mk("p", "subteam1.team1", "", s1.clone(), affinity.clone());
    assert_eq!(scores(&pl, &p, &snap), Ok(vec![100, 0]));
    let p = mk("p", "subteam1.team1", "", s1.clone(), anti.clone());
    assert_eq!(scores(&pl, &p, &snap), Ok(vec![0, 100]));

    // Symmetry: the existing pod's term selects the incoming pod by its namespace's labels.
    let three = [
        ("node1", json!({"region": "China"})),
        ("node2", json!({"region": "India"})),
        ("node3", json!({"az": "az1"})),
    ];
    let with_s2 = preferred(vec![weighted(6, term("security", "In", &["S2"], "region"))], vec![]);
    let snap = snapshot(
        &three,
        &[
            mk("e1", "", "node1", s1.clone(), affinity),
            mk("e2", "", "node2", json!({"security": "S2"}), with_s2.clone()),
        ],
    );
    let p = mk("p", "subteam1.team1", "", s1.clone(), json!({}));
    assert_eq!(scores(&pl, &p, &snap), Ok(vec![100, 0, 0]));
    let snap = snapshot(
        &three,
        &[
            mk("e1", "", "node1", s1.clone(), anti),
            mk("e2", "", "node2", json!({"security": "S2"}), with_s2),
        ],
    );
    assert_eq!(scores(&pl, &p, &snap), Ok(vec![0, 100, 100]));
}

#[test]
fn hard_pod_affinity_weight_and_ignored_existing_terms() {
    let nodes = [
        ("node1", json!({"region": "China"})),
        ("node2", json!({"region": "India"})),
        ("node3", json!({"az": "az1"})),
    ];
    let mut hard_term = term("service", "In", &["S1"], "region");
    hard_term["namespaces"] = json!(["", "subteam2.team2"]);
    hard_term["namespaceSelector"] =
        json!({"matchExpressions": [{"key": "team", "operator": "In", "values": ["team1"]}]});
    let hard = required(vec![hard_term], vec![]);
    let snap = snapshot(
        &nodes,
        &[mk("e1", "", "node1", json!({}), hard.clone()), mk("e2", "", "node2", json!({}), hard)],
    );
    let incoming = |ns: &str| mk("p", ns, "", json!({"service": "S1"}), json!({}));
    let pl = InterPodAffinity::default();
    assert_eq!(scores(&pl, &incoming(""), &snap), Ok(vec![100, 100, 0]));
    assert_eq!(scores(&pl, &incoming("subteam1.team2"), &snap), Err(Code::Skip));
    assert_eq!(scores(&pl, &incoming("subteam1.team1"), &snap), Ok(vec![100, 100, 0]));
    assert_eq!(scores(&pl, &incoming("subteam2.team2"), &snap), Ok(vec![100, 100, 0]));
    let zero = InterPodAffinity { hard_pod_affinity_weight: 0, ..Default::default() };
    assert_eq!(scores(&zero, &incoming(""), &snap), Err(Code::Skip));

    let two = [("node1", json!({"region": "China"})), ("node2", json!({"region": "India"}))];
    let snap = snapshot(
        &two,
        &[
            mk(
                "e1",
                "",
                "node1",
                json!({"security": "S1"}),
                preferred(
                    vec![weighted(8, term("security", "In", &["S1"], "region"))],
                    vec![weighted(5, term("security", "In", &["S2"], "az"))],
                ),
            ),
            mk(
                "e2",
                "",
                "node2",
                json!({"security": "S2"}),
                preferred(vec![weighted(6, term("security", "In", &["S2"], "region"))], vec![]),
            ),
        ],
    );
    let p = mk("p", "", "", json!({"security": "S2"}), json!({}));
    let ignoring =
        InterPodAffinity { ignore_preferred_terms_of_existing_pods: true, ..Default::default() };
    assert_eq!(scores(&ignoring, &p, &snap), Err(Code::Skip));
    assert_eq!(scores(&pl, &p, &snap), Ok(vec![0, 100]));
}

#[test]
fn topology_counts_drop_zero_pairs_only_when_asked() {
    let labels = BTreeMap::from([("zone".to_string(), "z1".to_string())]);
    let mut c = TopologyCounts::default();
    c.add_at(&labels, "zone", 1, true);
    c.add_at(&labels, "rack", 1, true);
    assert_eq!(c.get("zone", "z1"), 1);
    c.add_at(&labels, "zone", -1, true);
    assert!(c.is_empty());
    c.add_at(&labels, "zone", 5, false);
    c.add_at(&labels, "zone", -5, false);
    assert!(!c.is_empty());
    assert_eq!(c.get("zone", "z1"), 0);
}

/// A snapshot whose nodes hold the given `Arc`s, so that consecutive snapshots can share
/// unchanged pods the way the scheduler's cache does.
fn snapshot_of(nodes: &[(&str, Value)], pods: &[(&str, Arc<PodInfo>)]) -> Snapshot {
    let infos = nodes
        .iter()
        .map(|(name, labels)| {
            let node: Node =
                serde_json::from_value(json!({"metadata": {"name": name, "labels": labels}}))
                    .expect("test node");
            let mut ni = NodeInfo::new(Arc::new(node));
            for (_, p) in pods.iter().filter(|(n, _)| n == name) {
                ni.add_pod(p.clone());
            }
            Arc::new(ni)
        })
        .collect();
    Snapshot::new(infos, Arc::default(), Arc::default())
}

#[test]
fn remembered_results_follow_the_pods_across_cycles() {
    // Five nodes: one with an anti-affinity pod is walked directly, two through the memo.
    let nodes: Vec<(&str, Value)> = ["n1", "n2", "n3", "n4", "n5"]
        .iter()
        .map(|n| {
            (*n, json!({"kubernetes.io/hostname": n, "zone": if *n < "n3" { "z1" } else { "z2" }}))
        })
        .collect();
    let info = |name: &str, labels: Value, affinity: Value| {
        Arc::new(PodInfo::new(Arc::new(mk(name, "", "", labels, affinity))))
    };
    let web = json!({"app": "web"});
    let spread = required(vec![], vec![term("app", "In", &["web"], "kubernetes.io/hostname")]);
    let prefer = preferred(vec![weighted(10, term("app", "In", &["db"], "zone"))], vec![]);
    let incoming = mk(
        "p",
        "",
        "",
        web.clone(),
        json!({
            "podAntiAffinity": spread["podAntiAffinity"].clone(),
            "podAffinity": prefer["podAffinity"].clone()
        }),
    );
    let w1 = info("w1", web.clone(), spread.clone());
    let db = info("db", json!({"app": "db"}), json!({}));
    let remembered = InterPodAffinity::default();
    let mut pods = vec![("n1", w1.clone()), ("n3", db.clone())];
    let check = |pods: &[(&str, Arc<PodInfo>)]| {
        let snap = snapshot_of(&nodes, pods);
        let got =
            (filter_all(&remembered, &incoming, &snap), scores(&remembered, &incoming, &snap));
        let fresh = InterPodAffinity::default();
        let want = (filter_all(&fresh, &incoming, &snap), scores(&fresh, &incoming, &snap));
        assert_eq!(
            got,
            want,
            "with pods {:?}",
            pods.iter().map(|(n, p)| (*n, p.name())).collect::<Vec<_>>()
        );
        got
    };
    let (filtered, scored) = check(&pods);
    assert_eq!(filtered.1, vec![no_anti(), ok(), ok(), ok(), ok()]);
    assert_eq!(scored, Ok(vec![0, 0, 100, 100, 100]));
    // The same pods again, then one more web pod, then a db pod moving zones.
    let _ = check(&pods);
    pods.push(("n2", info("w2", web.clone(), spread.clone())));
    assert_eq!(check(&pods).0 .1, vec![no_anti(), no_anti(), ok(), ok(), ok()]);
    pods.retain(|(_, p)| p.name() != "db");
    pods.push(("n1", info("db", json!({"app": "db"}), json!({}))));
    assert_eq!(check(&pods).1, Ok(vec![100, 100, 0, 0, 0]));
    // A pod replaced by an updated copy (new labels) is looked at again.
    pods.retain(|(_, p)| p.name() != "w1");
    pods.push(("n1", info("w1", json!({"app": "batch"}), json!({}))));
    assert_eq!(check(&pods).0 .1, vec![ok(), no_anti(), ok(), ok(), ok()]);
}
