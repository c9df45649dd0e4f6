//! Cases ported from kube-scheduler's `podtopologyspread/{filtering,scoring}_test.go`.

use super::*;
use crate::framework::Code;
use k8s_openapi::api::apps::v1::{ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Node, ReplicationController, Service};
use serde_json::{json, Value};

fn pod(v: Value) -> Pod {
    serde_json::from_value(v).expect("test pod")
}

/// A pod with `labels` on `node` ("" = pending) in the default namespace.
fn on(name: &str, node: &str, labels: Value) -> Pod {
    pod(json!({
        "metadata": {"name": name, "namespace": "default", "uid": name, "labels": labels},
        "spec": {"nodeName": node, "containers": []}
    }))
}

/// A spread constraint whose selector requires `key` to exist (`None`: no selector).
fn constraint(max_skew: i32, topology: &str, when: &str, key: Option<&str>) -> Value {
    let mut c = json!({"maxSkew": max_skew, "topologyKey": topology, "whenUnsatisfiable": when});
    if let Some(k) = key {
        c["labelSelector"] = json!({"matchExpressions": [{"key": k, "operator": "Exists"}]});
    }
    c
}

/// The incoming pod `p` with `labels`, constraints and extra spec fields.
fn incoming(labels: Value, constraints: Vec<Value>, extra_spec: Value) -> Pod {
    let mut spec = json!({"containers": [], "topologySpreadConstraints": constraints});
    if let (Some(s), Some(extra)) = (spec.as_object_mut(), extra_spec.as_object()) {
        s.extend(extra.clone());
    }
    pod(
        json!({"metadata": {"name": "p", "namespace": "default", "uid": "p", "labels": labels}, "spec": spec}),
    )
}

fn node(name: &str, labels: Value) -> Node {
    serde_json::from_value(json!({"metadata": {"name": name, "labels": labels}}))
        .expect("test node")
}

/// `node-a`, `node-b` in zone1 and `node-x`, `node-y` in zone2, labelled `node: <name>`.
fn four_nodes() -> Vec<Node> {
    [("node-a", "zone1"), ("node-b", "zone1"), ("node-x", "zone2"), ("node-y", "zone2")]
        .iter()
        .map(|(n, z)| node(n, json!({"zone": z, "node": n})))
        .collect()
}

fn snapshot_with(nodes: &[Node], pods: &[Pod], objects: ClusterObjects) -> Snapshot {
    let infos = nodes
        .iter()
        .map(|n| {
            let mut ni = NodeInfo::new(Arc::new(n.clone()));
            for p in pods {
                if p.spec.as_ref().and_then(|s| s.node_name.as_ref()) == n.metadata.name.as_ref() {
                    ni.add_pod(Arc::new(PodInfo::new(Arc::new(p.clone()))));
                }
            }
            Arc::new(ni)
        })
        .collect();
    Snapshot::new(infos, Arc::new(objects), Arc::default())
}

fn snapshot(nodes: &[Node], pods: &[Pod]) -> Snapshot {
    snapshot_with(nodes, pods, ClusterObjects::default())
}

/// Pods named `prefix1..prefixN` with label foo on `node`.
fn foo_pods(node: &str, n: usize) -> Vec<Pod> {
    (1..=n).map(|i| on(&format!("{node}-{i}"), node, json!({"foo": ""}))).collect()
}

/// PreFilter and Filter on every node: the PreFilter code and each node's code.
fn filter_codes(p: &Pod, snap: &Snapshot) -> (Code, Vec<Code>) {
    let pl = PodTopologySpread::default();
    let pi = PodInfo::new(Arc::new(p.clone()));
    let mut state = CycleState::new();
    let (_, s) = pl.pre_filter(&mut state, &pi, snap);
    if !s.is_success() {
        return (s.code, Vec::new());
    }
    (s.code, snap.node_info_list.iter().map(|n| pl.filter(&state, &pi, n).code).collect())
}

use Code::{Success as S, Unschedulable as U, UnschedulableAndUnresolvable as X};

#[test]
fn single_constraint_filter() {
    let hard = |key: &str, skew: i32, topology: &str| {
        incoming(
            json!({"foo": ""}),
            vec![constraint(skew, topology, DO_NOT_SCHEDULE, Some(key))],
            json!({}),
        )
    };
    let pods_2_1_0_3 = || {
        let mut pods = foo_pods("node-a", 2);
        pods.extend(foo_pods("node-b", 1));
        pods.extend(foo_pods("node-y", 3));
        pods
    };
    type Case = (&'static str, Pod, Vec<Node>, Vec<Pod>, Vec<Code>);
    let cases: Vec<Case> = vec![
        ("no existing pods", hard("foo", 1, "zone"), four_nodes(), vec![], vec![S, S, S, S]),
        (
            "the pod does not match itself",
            hard("bar", 1, "zone"),
            four_nodes(),
            vec![],
            vec![S, S, S, S],
        ),
        (
            "pods in other namespaces do not count",
            hard("foo", 1, "zone"),
            four_nodes(),
            vec![
                pod(
                    json!({"metadata": {"name": "a1", "namespace": "ns1", "labels": {"foo": ""}}, "spec": {"nodeName": "node-a", "containers": []}}),
                ),
                pod(
                    json!({"metadata": {"name": "b1", "namespace": "ns2", "labels": {"foo": ""}}, "spec": {"nodeName": "node-a", "containers": []}}),
                ),
                on("x1", "node-x", json!({"foo": ""})),
                on("y1", "node-y", json!({"foo": ""})),
            ],
            vec![S, S, U, U],
        ),
        (
            "zones spread 3/3: every node fits",
            hard("foo", 1, "zone"),
            four_nodes(),
            pods_2_1_0_3(),
            vec![S, S, S, S],
        ),
        (
            "a node without the zone label is unresolvable and does not count",
            hard("foo", 1, "zone"),
            vec![
                node("node-a", json!({"zone": "zone1", "node": "node-a"})),
                node("node-b", json!({"zon": "zone1", "node": "node-b"})),
                node("node-x", json!({"zone": "zone2", "node": "node-x"})),
                node("node-y", json!({"zone": "zone2", "node": "node-y"})),
            ],
            vec![
                on("a1", "node-a", json!({"foo": ""})),
                on("b1", "node-b", json!({"foo": ""})),
                on("x1", "node-x", json!({"foo": ""})),
                on("y1", "node-y", json!({"foo": ""})),
            ],
            vec![S, X, U, U],
        ),
        (
            "no node has the topology key",
            hard("foo", 1, "rack"),
            vec![
                node("node-a", json!({"zone": "zone1"})),
                node("node-x", json!({"zone": "zone2"})),
            ],
            vec![],
            vec![X, X],
        ),
        (
            "nodes spread 2/1/0/3: only node-x fits",
            hard("foo", 1, "node"),
            four_nodes(),
            pods_2_1_0_3(),
            vec![U, U, S, U],
        ),
        (
            "maxSkew 2: node-b and node-x fit",
            hard("foo", 2, "node"),
            four_nodes(),
            pods_2_1_0_3(),
            vec![U, S, S, U],
        ),
        (
            "a pod that does not match itself adds nothing",
            incoming(
                json!({"bar": ""}),
                vec![constraint(1, "node", DO_NOT_SCHEDULE, Some("foo"))],
                json!({}),
            ),
            four_nodes(),
            pods_2_1_0_3(),
            vec![U, S, S, U],
        ),
        (
            "node affinity limits the domains to node-a and node-y",
            incoming(
                json!({"foo": ""}),
                vec![constraint(1, "node", DO_NOT_SCHEDULE, Some("foo"))],
                json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": "node", "operator": "In", "values": ["node-a", "node-y"]}]}]
                }}}}),
            ),
            four_nodes(),
            pods_2_1_0_3(),
            // node-b and node-x are no domains, so they count 0 matching pods here; the
            // NodeAffinity filter rejects them in a real cycle.
            vec![S, S, S, U],
        ),
        (
            "terminating pods do not count",
            hard("foo", 1, "node"),
            vec![
                node("node-a", json!({"node": "node-a"})),
                node("node-b", json!({"node": "node-b"})),
            ],
            vec![
                pod(
                    json!({"metadata": {"name": "pa", "namespace": "default", "labels": {"foo": ""}, "deletionTimestamp": "2024-01-01T00:00:00Z"}, "spec": {"nodeName": "node-a", "containers": []}}),
                ),
                on("pb", "node-b", json!({"foo": ""})),
            ],
            vec![S, U],
        ),
    ];
    for (name, p, nodes, pods, want) in cases {
        let snap = snapshot(&nodes, &pods);
        assert_eq!(filter_codes(&p, &snap), (S, want), "{name}");
    }
}

#[test]
fn multiple_constraints_and_min_domains_filter() {
    let foo = json!({"foo": ""});
    // zone spread 3/3 and node spread 2/1/0/3: only node-x satisfies both.
    let mut pods = foo_pods("node-a", 2);
    pods.extend(foo_pods("node-b", 1));
    pods.extend(foo_pods("node-y", 3));
    let p = incoming(
        foo.clone(),
        vec![
            constraint(1, "zone", DO_NOT_SCHEDULE, Some("foo")),
            constraint(1, "node", DO_NOT_SCHEDULE, Some("foo")),
        ],
        json!({}),
    );
    assert_eq!(filter_codes(&p, &snapshot(&four_nodes(), &pods)), (S, vec![U, U, S, U]));

    // Two constraints on one key with different selectors keep separate counts.
    let pods = vec![on("a1", "node-a", json!({"foo": ""})), on("b1", "node-b", json!({"bar": ""}))];
    let p = incoming(
        json!({"foo": "", "bar": ""}),
        vec![
            constraint(1, "node", DO_NOT_SCHEDULE, Some("foo")),
            constraint(1, "node", DO_NOT_SCHEDULE, Some("bar")),
        ],
        json!({}),
    );
    assert_eq!(filter_codes(&p, &snapshot(&four_nodes(), &pods)), (S, vec![U, U, S, S]));

    // minDomains 3 with two zones: the global minimum counts as 0.
    let mut pods = foo_pods("node-a", 1);
    pods.extend(foo_pods("node-x", 1));
    let mut c = constraint(1, "zone", DO_NOT_SCHEDULE, Some("foo"));
    let p = incoming(foo.clone(), vec![c.clone()], json!({}));
    assert_eq!(filter_codes(&p, &snapshot(&four_nodes(), &pods)), (S, vec![S, S, S, S]));
    c["minDomains"] = json!(3);
    let p = incoming(foo.clone(), vec![c.clone()], json!({}));
    assert_eq!(filter_codes(&p, &snapshot(&four_nodes(), &pods)), (S, vec![U, U, U, U]));
    c["minDomains"] = json!(2);
    let p = incoming(foo, vec![c], json!({}));
    assert_eq!(filter_codes(&p, &snapshot(&four_nodes(), &pods)), (S, vec![S, S, S, S]));
}

#[test]
fn node_inclusion_policies_decide_the_domains() {
    // node-x is tainted and not selected by the pod's nodeSelector; zone2 holds no pods.
    let nodes = vec![
        node("node-a", json!({"zone": "zone1", "foo": ""})),
        node("node-b", json!({"zone": "zone1", "foo": ""})),
        serde_json::from_value(json!({
            "metadata": {"name": "node-x", "labels": {"zone": "zone2"}},
            "spec": {"taints": [{"key": "t", "value": "v", "effect": "NoSchedule"}]}
        }))
        .expect("node"),
    ];
    let pods = foo_pods("node-a", 1);
    let spec = json!({"nodeSelector": {"foo": ""}});
    let with = |policy: Value| {
        let mut c = constraint(1, "zone", DO_NOT_SCHEDULE, Some("foo"));
        if let (Some(c), Some(p)) = (c.as_object_mut(), policy.as_object()) {
            c.extend(p.clone());
        }
        incoming(json!({"foo": ""}), vec![c], spec.clone())
    };
    let snap = snapshot(&nodes, &pods);
    // Honor (default): zone2 is no domain, so zone1's one pod is the minimum.
    assert_eq!(filter_codes(&with(json!({})), &snap), (S, vec![S, S, S]));
    // Ignore: zone2 counts with 0 pods.
    assert_eq!(
        filter_codes(&with(json!({"nodeAffinityPolicy": "Ignore"})), &snap),
        (S, vec![U, U, S])
    );
    // Honoring taints too keeps zone2 out even when affinity is ignored.
    let both = json!({"nodeAffinityPolicy": "Ignore", "nodeTaintsPolicy": "Honor"});
    assert_eq!(filter_codes(&with(both), &snap), (S, vec![S, S, S]));
}

#[test]
fn pre_filter_skips_without_hard_constraints_and_rejects_bad_selectors() {
    let snap = snapshot(&four_nodes(), &[]);
    let soft = incoming(
        json!({"foo": ""}),
        vec![constraint(1, "zone", SCHEDULE_ANYWAY, Some("foo"))],
        json!({}),
    );
    assert_eq!(filter_codes(&soft, &snap).0, Code::Skip);
    assert_eq!(filter_codes(&on("p", "", json!({"foo": ""})), &snap).0, Code::Skip);
    let mut bad = constraint(1, "zone", DO_NOT_SCHEDULE, None);
    bad["labelSelector"] = json!({"matchExpressions": [{"key": "foo", "operator": "Near"}]});
    assert_eq!(filter_codes(&incoming(json!({}), vec![bad], json!({})), &snap).0, Code::Error);
}

#[test]
fn match_label_keys_narrow_the_selector_to_the_pods_values() {
    let mut c = constraint(1, "node", DO_NOT_SCHEDULE, Some("foo"));
    c["matchLabelKeys"] = json!(["rev"]);
    let p = incoming(json!({"foo": "", "rev": "2"}), vec![c], json!({}));
    // Old-revision pods on node-a and node-b do not count; node-y holds one new one.
    let pods = vec![
        on("a1", "node-a", json!({"foo": "", "rev": "1"})),
        on("b1", "node-b", json!({"foo": "", "rev": "1"})),
        on("y1", "node-y", json!({"foo": "", "rev": "2"})),
    ];
    assert_eq!(filter_codes(&p, &snapshot(&four_nodes(), &pods)), (S, vec![S, S, S, U]));
}

#[test]
fn add_and_remove_pod_update_counts_and_critical_paths() {
    let pl = PodTopologySpread::default();
    let p = PodInfo::new(Arc::new(incoming(
        json!({"foo": ""}),
        vec![constraint(1, "zone", DO_NOT_SCHEDULE, Some("foo"))],
        json!({}),
    )));
    let mut pods = foo_pods("node-a", 1);
    pods.extend(foo_pods("node-x", 1));
    let snap = snapshot(&four_nodes(), &pods);
    let mut state = CycleState::new();
    assert!(pl.pre_filter(&mut state, &p, &snap).1.is_success());
    let node_b = snap.get("node-b").expect("node-b").clone();
    let node_x = snap.get("node-x").expect("node-x").clone();
    assert!(pl.filter(&state, &p, &node_b).is_success());

    // A nominated pod in zone1 makes it 2/1: zone1 is full, zone2 still fits.
    let extra = Arc::new(PodInfo::new(Arc::new(on("b1", "node-b", json!({"foo": ""})))));
    let mut copy = state.clone();
    assert!(pl.add_pod(&mut copy, &p, &extra, &node_b, &snap).is_success());
    assert_eq!(pl.filter(&copy, &p, &node_b).message(), ERR_REASON_CONSTRAINTS_NOT_MATCH);
    assert!(pl.filter(&copy, &p, &node_x).is_success());
    assert!(pl.filter(&state, &p, &node_b).is_success());

    // Removing zone2's pod (a preemption victim) lowers the minimum to 0.
    let victim = node_x.pods[0].clone();
    assert!(pl.remove_pod(&mut copy, &p, &victim, &node_x, &snap).is_success());
    let s = copy.read::<PreFilterState>().expect("state");
    assert_eq!(s.critical_paths[0].0[0], ("zone2".to_string(), 0));
    assert_eq!(pl.filter(&copy, &p, &node_x).code, Code::Success);

    // Pods of other namespaces are not counted.
    let other = Arc::new(PodInfo::new(Arc::new(pod(json!({
        "metadata": {"name": "o", "namespace": "other", "labels": {"foo": ""}},
        "spec": {"nodeName": "node-x", "containers": []}
    })))));
    assert!(pl.add_pod(&mut copy, &p, &other, &node_x, &snap).is_success());
    let s = copy.read::<PreFilterState>().expect("state");
    assert_eq!(s.tp_value_to_match_num[0].get("zone2"), Some(&0));
}

#[test]
fn critical_paths_keep_the_two_smallest() {
    let mut p = CriticalPaths::new();
    for (v, n) in [("a", 3), ("b", 1), ("c", 2), ("d", 5)] {
        p.update(v, n);
    }
    assert_eq!(p.0, [("b".to_string(), 1), ("c".to_string(), 2)]);
    p.update("b", 4);
    assert_eq!(p.0, [("c".to_string(), 2), ("b".to_string(), 4)]);
    p.update("a", 0);
    assert_eq!(p.min(), 0);
}

/// PreScore on the candidate `nodes` (all nodes of `snap` are in the cluster), Score and
/// NormalizeScore; `Err(code)` when PreScore did not succeed.
fn scores_with(
    pl: &PodTopologySpread,
    p: &Pod,
    snap: &Snapshot,
    candidates: &[&str],
) -> Result<Vec<i64>, Code> {
    let pi = PodInfo::new(Arc::new(p.clone()));
    let nodes: Vec<Arc<NodeInfo>> =
        candidates.iter().filter_map(|n| snap.get(n).cloned()).collect();
    let mut state = CycleState::new();
    let s = pl.pre_score(&mut state, &pi, &nodes, snap);
    if !s.is_success() {
        return Err(s.code);
    }
    let mut out: Vec<i64> = nodes
        .iter()
        .map(|n| pl.score(&state, &pi, n))
        .map(|(v, s)| {
            assert!(s.is_success());
            v
        })
        .collect();
    assert!(pl.normalize_score(&state, &pi, &mut out).is_success());
    Ok(out)
}

fn scores(p: &Pod, snap: &Snapshot, candidates: &[&str]) -> Result<Vec<i64>, Code> {
    scores_with(&PodTopologySpread::default(), p, snap, candidates)
}

fn hostnames(names: &[&str]) -> Vec<Node> {
    names.iter().map(|n| node(n, json!({(LABEL_HOSTNAME): n}))).collect()
}

fn soft(skew: i32, topology: &str, key: Option<&str>) -> Value {
    constraint(skew, topology, SCHEDULE_ANYWAY, key)
}

#[test]
fn single_constraint_scores() {
    let foo = json!({"foo": ""});
    let on_host =
        |skew: i32| incoming(foo.clone(), vec![soft(skew, LABEL_HOSTNAME, Some("foo"))], json!({}));
    let abcd = ["node-a", "node-b", "node-c", "node-d"];
    let spread = |counts: &[(&str, usize)]| -> Vec<Pod> {
        counts.iter().flat_map(|(n, c)| foo_pods(n, *c)).collect()
    };

    let snap = snapshot(&hostnames(&["node-a", "node-b"]), &[]);
    assert_eq!(scores(&on_host(1), &snap, &["node-a", "node-b"]), Ok(vec![100, 100]));

    // A single candidate scores 100.
    let snap =
        snapshot(&hostnames(&["node-a", "node-b"]), &spread(&[("node-a", 2), ("node-b", 1)]));
    assert_eq!(scores(&on_host(1), &snap, &["node-a"]), Ok(vec![100]));

    let snap = snapshot(&hostnames(&abcd), &spread(&[("node-a", 2), ("node-b", 1), ("node-d", 3)]));
    assert_eq!(scores(&on_host(1), &snap, &abcd), Ok(vec![20, 60, 100, 0]));
    assert_eq!(scores(&on_host(2), &snap, &abcd), Ok(vec![33, 66, 100, 16]));
    // No selector counts nothing.
    let null = incoming(foo.clone(), vec![soft(1, LABEL_HOSTNAME, None)], json!({}));
    assert_eq!(scores(&null, &snap, &abcd), Ok(vec![100, 100, 100, 100]));

    let pods_4_3_2_1 = spread(&[("node-a", 4), ("node-b", 3), ("node-c", 2), ("node-d", 1)]);
    let snap = snapshot(&hostnames(&abcd), &pods_4_3_2_1);
    assert_eq!(scores(&on_host(3), &snap, &abcd), Ok(vec![44, 66, 77, 100]));

    // The system defaults, through a Service selecting the pod: nodes without a zone still
    // get hostname spreading.
    let service: Service = serde_json::from_value(json!({
        "metadata": {"name": "svc", "namespace": "default"}, "spec": {"selector": {"foo": ""}}
    }))
    .expect("service");
    let objects = ClusterObjects { services: vec![Arc::new(service)], ..Default::default() };
    let snap = snapshot_with(&hostnames(&abcd), &pods_4_3_2_1, objects);
    assert_eq!(scores(&on("p", "", foo.clone()), &snap, &abcd), Ok(vec![44, 66, 77, 100]));
    // Without anything selecting the pod there is nothing to spread.
    let snap = snapshot(&hostnames(&abcd), &pods_4_3_2_1);
    assert_eq!(scores(&on("p", "", foo.clone()), &snap, &abcd), Err(Code::Skip));

    // 4/2/1/~3~: node-y is no candidate.
    let axy = ["node-a", "node-b", "node-x", "node-y"];
    let pods = spread(&[("node-a", 4), ("node-b", 2), ("node-x", 1), ("node-y", 3)]);
    let snap = snapshot(&hostnames(&axy), &pods);
    assert_eq!(scores(&on_host(1), &snap, &["node-a", "node-b", "node-x"]), Ok(vec![33, 83, 100]));
    // node-b lacks the hostname label: it scores 0 and is not counted.
    let mut nodes = hostnames(&axy);
    nodes[1] = node("node-b", json!({"n": "node-b"}));
    let snap = snapshot(&nodes, &pods);
    assert_eq!(scores(&on_host(1), &snap, &["node-a", "node-b", "node-x"]), Ok(vec![16, 0, 100]));

    // Zones 4+2 / 1+~3~.
    let zoned: Vec<Node> =
        [("node-a", "zone1"), ("node-b", "zone1"), ("node-x", "zone2"), ("node-y", "zone2")]
            .iter()
            .map(|(n, z)| node(n, json!({"zone": z, (LABEL_HOSTNAME): n})))
            .collect();
    let snap = snapshot(&zoned, &pods);
    let on_zone = incoming(foo.clone(), vec![soft(1, "zone", Some("foo"))], json!({}));
    assert_eq!(scores(&on_zone, &snap, &["node-a", "node-b", "node-x"]), Ok(vec![75, 75, 100]));

    // Other namespaces and terminating pods do not count.
    let snap = snapshot(
        &hostnames(&["node-a", "node-b"]),
        &[
            pod(
                json!({"metadata": {"name": "a1", "namespace": "ns1", "labels": {"foo": ""}}, "spec": {"nodeName": "node-a", "containers": []}}),
            ),
            on("a2", "node-a", foo.clone()),
            on("b1", "node-b", foo.clone()),
            on("b2", "node-b", foo.clone()),
        ],
    );
    assert_eq!(scores(&on_host(1), &snap, &["node-a", "node-b"]), Ok(vec![100, 33]));
    let snap = snapshot(
        &hostnames(&["node-a", "node-b"]),
        &[
            pod(
                json!({"metadata": {"name": "pa", "namespace": "default", "labels": {"foo": ""}, "deletionTimestamp": "2024-01-01T00:00:00Z"}, "spec": {"nodeName": "node-a", "containers": []}}),
            ),
            on("pb", "node-b", foo.clone()),
        ],
    );
    assert_eq!(scores(&on_host(1), &snap, &["node-a", "node-b"]), Ok(vec![100, 0]));

    // minDomains does not apply to soft constraints.
    let mut c = soft(2, "node", Some("foo"));
    c["minDomains"] = json!(10);
    let nodes: Vec<Node> =
        ["node-a", "node-b", "node-c"].iter().map(|n| node(n, json!({"node": n}))).collect();
    let snap = snapshot(&nodes, &spread(&[("node-a", 2), ("node-b", 2), ("node-c", 1)]));
    let p = incoming(foo, vec![c], json!({}));
    assert_eq!(scores(&p, &snap, &["node-a", "node-b", "node-c"]), Ok(vec![75, 75, 100]));
}

#[test]
fn multiple_constraint_scores() {
    let zoned: Vec<Node> =
        [("node-a", "zone1"), ("node-b", "zone1"), ("node-x", "zone2"), ("node-y", "zone2")]
            .iter()
            .map(|(n, z)| node(n, json!({"zone": z, (LABEL_HOSTNAME): n})))
            .collect();
    // 2/~1~/2/~4~ on zone and host.
    let mut pods = foo_pods("node-a", 2);
    pods.extend(foo_pods("node-b", 1));
    pods.extend(foo_pods("node-x", 2));
    pods.extend(foo_pods("node-y", 4));
    let p = incoming(
        json!({"foo": ""}),
        vec![soft(1, "zone", Some("foo")), soft(1, LABEL_HOSTNAME, Some("foo"))],
        json!({}),
    );
    let snap = snapshot(&zoned, &pods);
    assert_eq!(scores(&p, &snap, &["node-a", "node-x"]), Ok(vec![100, 63]));

    // Different selectors: zone counts foo (2/2/1/1), host counts bar (0/1/0/1).
    let both = incoming(
        json!({"foo": "", "bar": ""}),
        vec![soft(1, "zone", Some("foo")), soft(1, LABEL_HOSTNAME, Some("bar"))],
        json!({}),
    );
    let pods = vec![
        on("a1", "node-a", json!({"foo": ""})),
        on("b1", "node-b", json!({"foo": "", "bar": ""})),
        on("y1", "node-y", json!({"foo": ""})),
        on("y2", "node-y", json!({"bar": ""})),
    ];
    let snap = snapshot(&zoned, &pods);
    let all = ["node-a", "node-b", "node-x", "node-y"];
    assert_eq!(scores(&both, &snap, &all), Ok(vec![60, 20, 100, 60]));
    assert_eq!(scores(&both, &snap, &["node-a", "node-b", "node-x"]), Ok(vec![50, 25, 100]));
    let pods = vec![
        on("b1", "node-b", json!({"bar": ""})),
        on("x1", "node-x", json!({"foo": ""})),
        on("y1", "node-y", json!({"foo": "", "bar": ""})),
    ];
    let snap = snapshot(&zoned, &pods);
    assert_eq!(scores(&both, &snap, &all), Ok(vec![100, 60, 40, 0]));
}

#[test]
fn soft_node_inclusion_policies_and_skips() {
    // node-y (zone2, two matching pods) is not selected by the pod's nodeSelector, nor a
    // candidate.
    let nodes: Vec<Node> = vec![
        node("node-a", json!({"zone": "zone1", "foo": ""})),
        node("node-b", json!({"zone": "zone1", "foo": ""})),
        node("node-x", json!({"zone": "zone2", "foo": ""})),
        node("node-y", json!({"zone": "zone2"})),
    ];
    let mut pods = foo_pods("node-a", 1);
    pods.extend(foo_pods("node-y", 2));
    let snap = snapshot(&nodes, &pods);
    let with = |policy: &str| {
        let mut c = soft(1, "zone", Some("foo"));
        c["nodeAffinityPolicy"] = json!(policy);
        incoming(json!({"foo": ""}), vec![c], json!({"nodeSelector": {"foo": ""}}))
    };
    // Honor: node-y does not count, zones are 1/0.
    assert_eq!(scores(&with("Honor"), &snap, &["node-a", "node-b", "node-x"]), Ok(vec![0, 0, 100]));
    // Ignore: zones are 1/2.
    assert_eq!(
        scores(&with("Ignore"), &snap, &["node-a", "node-b", "node-x"]),
        Ok(vec![100, 100, 33])
    );

    let hard_only = incoming(
        json!({"foo": ""}),
        vec![constraint(1, "zone", DO_NOT_SCHEDULE, Some("foo"))],
        json!({}),
    );
    assert_eq!(scores(&hard_only, &snap, &["node-a"]), Err(Code::Skip));
    assert_eq!(scores(&with("Honor"), &snapshot(&[], &[]), &[]), Err(Code::Skip));
}

#[test]
fn default_selector_combines_services_and_the_controller() {
    let p = pod(json!({
        "metadata": {
            "name": "p", "namespace": "default", "labels": {"app": "web", "tier": "fe", "pod-template-hash": "h"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u", "controller": true}]
        },
        "spec": {"containers": []}
    }));
    let svc = |name: &str, ns: &str, sel: Value| -> Arc<Service> {
        Arc::new(
            serde_json::from_value(
                json!({"metadata": {"name": name, "namespace": ns}, "spec": {"selector": sel}}),
            )
            .expect("svc"),
        )
    };
    let rs: ReplicaSet = serde_json::from_value(json!({
        "metadata": {"name": "rs", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"pod-template-hash": "h"}}}
    }))
    .expect("rs");
    let objects = ClusterObjects {
        services: vec![
            svc("web", "default", json!({"app": "web"})),
            svc("other-ns", "prod", json!({"tier": "fe"})),
            svc("no-match", "default", json!({"app": "db"})),
        ],
        replica_sets: vec![Arc::new(rs)],
        ..Default::default()
    };
    let sel = default_selector(&p, &objects);
    let lbl = |v: Value| -> BTreeMap<String, String> { serde_json::from_value(v).expect("labels") };
    assert!(sel.matches(&lbl(json!({"app": "web", "pod-template-hash": "h"}))));
    assert!(!sel.matches(&lbl(json!({"app": "web"}))));
    assert!(!sel.matches(&lbl(json!({"pod-template-hash": "h"}))));

    // A StatefulSet and a ReplicationController are found by name in the pod's namespace.
    let ss: StatefulSet = serde_json::from_value(json!({
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "db"}}, "serviceName": "db", "template": {}}
    }))
    .expect("ss");
    let rc: ReplicationController = serde_json::from_value(json!({
        "metadata": {"name": "old", "namespace": "default"}, "spec": {"selector": {"app": "old"}}
    }))
    .expect("rc");
    let objects = ClusterObjects {
        stateful_sets: vec![Arc::new(ss)],
        replication_controllers: vec![Arc::new(rc)],
        ..Default::default()
    };
    let owned = |api: &str, kind: &str, name: &str| {
        pod(json!({"metadata": {"name": "p", "namespace": "default", "labels": {"app": "x"},
            "ownerReferences": [{"apiVersion": api, "kind": kind, "name": name, "uid": "u", "controller": true}]},
            "spec": {"containers": []}}))
    };
    let sel = default_selector(&owned("apps/v1", "StatefulSet", "db"), &objects);
    assert!(sel.matches(&lbl(json!({"app": "db"}))) && !sel.selects_all());
    let sel = default_selector(&owned("v1", "ReplicationController", "old"), &objects);
    assert!(sel.matches(&lbl(json!({"app": "old"}))) && !sel.selects_all());
    assert!(default_selector(&owned("apps/v1", "Deployment", "db"), &objects).selects_all());
    assert!(default_selector(&owned("apps/v1", "StatefulSet", "missing"), &objects).selects_all());
}

#[test]
fn remembered_counts_follow_the_pods_across_cycles() {
    let nodes = four_nodes();
    let info = |name: &str, labels: Value| Arc::new(PodInfo::new(Arc::new(on(name, "", labels))));
    let snapshot_of = |pods: &[(&str, Arc<PodInfo>)]| {
        let infos = nodes
            .iter()
            .map(|n| {
                let mut ni = NodeInfo::new(Arc::new(n.clone()));
                for (_, p) in
                    pods.iter().filter(|(name, _)| Some(*name) == n.metadata.name.as_deref())
                {
                    ni.add_pod(p.clone());
                }
                Arc::new(ni)
            })
            .collect();
        Snapshot::new(infos, Arc::default(), Arc::default())
    };
    let p = incoming(
        json!({"foo": ""}),
        vec![constraint(1, "zone", DO_NOT_SCHEDULE, Some("foo")), soft(1, "zone", Some("foo"))],
        json!({}),
    );
    let remembered = PodTopologySpread::default();
    let all = ["node-a", "node-b", "node-x", "node-y"];
    let check = |pods: &[(&str, Arc<PodInfo>)]| {
        let snap = snapshot_of(pods);
        let pi = PodInfo::new(Arc::new(p.clone()));
        let run = |pl: &PodTopologySpread| {
            let mut state = CycleState::new();
            assert!(pl.pre_filter(&mut state, &pi, &snap).1.is_success());
            let codes: Vec<Code> =
                snap.node_info_list.iter().map(|n| pl.filter(&state, &pi, n).code).collect();
            (codes, scores_with(pl, &p, &snap, &all))
        };
        let got = run(&remembered);
        assert_eq!(got, run(&PodTopologySpread::default()));
        got
    };
    let mut pods = vec![("node-a", info("a1", json!({"foo": ""})))];
    assert_eq!(check(&pods).0, vec![U, U, S, S]);
    let _ = check(&pods);
    pods.push(("node-x", info("x1", json!({"foo": ""}))));
    assert_eq!(check(&pods).0, vec![S, S, S, S]);
    pods.push(("node-y", info("y1", json!({"foo": ""}))));
    assert_eq!(check(&pods).0, vec![S, S, U, U]);
    // An updated copy of a pod that no longer matches.
    pods.retain(|(_, p)| p.name() != "y1");
    pods.push(("node-y", info("y1", json!({"bar": ""}))));
    assert_eq!(check(&pods).0, vec![S, S, S, S]);
}
