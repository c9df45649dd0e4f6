//! DefaultPreemption against a framework running NodeResourcesFit, as the scheduler runs it:
//! PreFilter and Filter on every node first, then PostFilter with the resulting statuses.

use super::*;
use crate::framework::ClusterObjects;
use crate::plugins::node_resources::NodeResourcesFit;
use serde_json::{json, Value};

fn framework() -> Framework {
    let mut fw = Framework::new("default-scheduler");
    let fit = Arc::new(NodeResourcesFit::default());
    fw.pre_filter.push(fit.clone());
    fw.filter.push(fit);
    fw
}

/// A pod named `name` with `priority` requesting `cpu` millicores; `extra` is merged into the
/// top-level object (labels go under metadata, status as is, spec fields under spec).
fn pod(name: &str, priority: i32, cpu: i64, extra: Value) -> Arc<PodInfo> {
    let mut v = json!({
        "metadata": {"name": name, "namespace": "default", "uid": name},
        "spec": {
            "priority": priority,
            "containers": [{"name": "c", "resources": {"requests": {"cpu": format!("{cpu}m")}}}]
        }
    });
    if let Value::Object(extra) = extra {
        for (k, val) in extra {
            match (k.as_str(), val) {
                ("labels", l) => v["metadata"]["labels"] = l,
                ("deletionTimestamp", t) => v["metadata"]["deletionTimestamp"] = t,
                ("status", s) => v["status"] = s,
                (field, val) => v["spec"][field] = val,
            }
        }
    }
    let p: Pod = serde_json::from_value(v).expect("test pod");
    Arc::new(PodInfo::new(Arc::new(p)))
}

fn node(name: &str, cpu: i64, pods: &[Arc<PodInfo>]) -> NodeInfo {
    let n = serde_json::from_value(json!({
        "metadata": {"name": name},
        "status": {"allocatable": {"cpu": format!("{cpu}m"), "memory": "1Gi", "pods": "10"}}
    }))
    .expect("test node");
    let mut ni = NodeInfo::new(Arc::new(n));
    for p in pods {
        ni.add_pod(p.clone());
    }
    ni
}

fn pdb(selector: Value, disruptions_allowed: i32) -> Arc<PodDisruptionBudget> {
    Arc::new(
        serde_json::from_value(json!({
            "metadata": {"name": "budget", "namespace": "default"},
            "spec": {"selector": selector},
            "status": {
                "disruptionsAllowed": disruptions_allowed,
                "currentHealthy": 1, "desiredHealthy": 1, "expectedPods": 1
            }
        }))
        .expect("test pdb"),
    )
}

struct Cluster {
    snapshot: Snapshot,
}

impl Cluster {
    fn new(nodes: Vec<NodeInfo>) -> Cluster {
        Cluster::with(nodes, Vec::new(), HashMap::new())
    }

    fn with(
        nodes: Vec<NodeInfo>,
        pdbs: Vec<Arc<PodDisruptionBudget>>,
        nominated: HashMap<String, Vec<Arc<PodInfo>>>,
    ) -> Cluster {
        let objects = ClusterObjects { pdbs, ..Default::default() };
        let snapshot = Snapshot::new(
            nodes.into_iter().map(Arc::new).collect(),
            Arc::new(objects),
            Arc::new(nominated),
        );
        Cluster { snapshot }
    }

    /// Runs a scheduling attempt that fails filtering, then DefaultPreemption.
    fn preempt(
        &self,
        plugin: &DefaultPreemption,
        preemptor: &PodInfo,
    ) -> (PostFilterResult, Status) {
        let fw = framework();
        let mut state = CycleState::new();
        let (_, s) = fw.run_pre_filter(&mut state, preemptor, &self.snapshot);
        assert!(s.is_success(), "{s:?}");
        let mut statuses = NodeToStatus::new();
        for n in &self.snapshot.node_info_list {
            let nominated = self.snapshot.nominated_pods(&n.name);
            let s =
                fw.run_filter_with_nominated_pods(&state, preemptor, n, nominated, &self.snapshot);
            assert!(!s.is_success(), "the pod fits on {} without preemption", n.name);
            statuses.insert(n.name.clone(), s);
        }
        plugin.post_filter(&fw, &state, preemptor, &self.snapshot, &statuses)
    }
}

fn names(pods: &[Arc<PodInfo>]) -> Vec<&str> {
    pods.iter().map(|p| p.name()).collect()
}

fn plugin() -> DefaultPreemption {
    DefaultPreemption::default().with_offset(0)
}

#[test]
fn a_higher_priority_pod_preempts_the_lowest_priority_pod_on_a_full_node() {
    let low = pod("low", 0, 500, json!({}));
    let mid = pod("mid", 5, 500, json!({}));
    let high = pod("high", 100, 1000, json!({}));
    let nominated_low = pod("nominated-low", 1, 100, json!({}));
    let cluster = Cluster::with(
        vec![node("node1", 1000, &[low, mid]), node("node2", 1000, &[high])],
        Vec::new(),
        HashMap::from([("node1".to_string(), vec![nominated_low])]),
    );
    let preemptor = pod("preemptor", 10, 500, json!({}));
    let (result, status) = cluster.preempt(&plugin(), &preemptor);
    assert!(status.is_success(), "{status:?}");
    assert_eq!(result.nominated_node.as_deref(), Some("node1"));
    // mid is reprieved (mid + preemptor = 1000m fits), low is not.
    assert_eq!(names(&result.victims), ["low"]);
    let cleared: Vec<_> =
        result.clear_nominations.iter().map(|p| p.metadata.name.as_deref().unwrap_or("")).collect();
    assert_eq!(cleared, ["nominated-low"]);
}

#[test]
fn several_victims_when_one_is_not_enough() {
    let pods =
        [pod("a", 1, 300, json!({})), pod("b", 2, 300, json!({})), pod("c", 3, 300, json!({}))];
    let cluster = Cluster::new(vec![node("node1", 1000, &pods)]);
    let (result, status) = cluster.preempt(&plugin(), &pod("p", 10, 600, json!({})));
    assert!(status.is_success(), "{status:?}");
    // c (most important) stays: 300 + 600 ≤ 1000; b and a go, most important first.
    assert_eq!(names(&result.victims), ["b", "a"]);
}

#[test]
fn a_pdb_protected_victim_is_avoided_when_another_node_works() {
    let db = pod("db", 0, 1000, json!({"labels": {"app": "db"}}));
    let web = pod("web", 0, 1000, json!({"labels": {"app": "web"}}));
    let budget = pdb(json!({"matchLabels": {"app": "db"}}), 0);
    let cluster = Cluster::with(
        vec![node("node1", 1000, &[db]), node("node2", 1000, &[web])],
        vec![budget.clone()],
        HashMap::new(),
    );
    let preemptor = pod("p", 10, 1000, json!({}));
    let (result, status) = cluster.preempt(&plugin(), &preemptor);
    assert!(status.is_success(), "{status:?}");
    assert_eq!(result.nominated_node.as_deref(), Some("node2"));
    assert_eq!(names(&result.victims), ["web"]);

    // With no other choice, the budget is violated.
    let db = pod("db", 0, 1000, json!({"labels": {"app": "db"}}));
    let cluster = Cluster::with(vec![node("node1", 1000, &[db])], vec![budget], HashMap::new());
    let (result, status) = cluster.preempt(&plugin(), &preemptor);
    assert!(status.is_success(), "{status:?}");
    assert_eq!(result.nominated_node.as_deref(), Some("node1"));
    assert_eq!(names(&result.victims), ["db"]);
}

#[test]
fn pdb_protected_pods_are_reprieved_first() {
    // Without the budget b (more important) would be reprieved and a evicted.
    let a = pod("a", 1, 500, json!({"labels": {"app": "a"}}));
    let b = pod("b", 2, 500, json!({"labels": {"app": "b"}}));
    let preemptor = pod("p", 10, 500, json!({}));
    let cluster = Cluster::new(vec![node("node1", 1000, &[a.clone(), b.clone()])]);
    let (result, _) = cluster.preempt(&plugin(), &preemptor);
    assert_eq!(names(&result.victims), ["a"]);

    let cluster = Cluster::with(
        vec![node("node1", 1000, &[a, b])],
        vec![pdb(json!({"matchLabels": {"app": "a"}}), 0)],
        HashMap::new(),
    );
    let (result, status) = cluster.preempt(&plugin(), &preemptor);
    assert!(status.is_success(), "{status:?}");
    assert_eq!(names(&result.victims), ["b"]);
}

#[test]
fn pdb_violations_spend_the_allowance_and_skip_disrupted_pods() {
    let p = |name: &str| pod(name, 0, 100, json!({"labels": {"app": "x"}}));
    let pods = [p("one"), p("two"), p("three")];
    let budgets = Budget::from_pdbs(&[]);
    let (v, nv) = filter_pods_with_pdb_violation(&pods, &budgets);
    assert_eq!((v.len(), nv.len()), (0, 3));

    let allowing_one = [pdb(json!({"matchLabels": {"app": "x"}}), 1)];
    let budgets = Budget::from_pdbs(&allowing_one);
    let (v, nv) = filter_pods_with_pdb_violation(&pods, &budgets);
    assert_eq!((names(&v), names(&nv)), (vec!["two", "three"], vec!["one"]));

    // A pod the API server already counted as disrupted does not spend the allowance.
    let mut with_disrupted = (*allowing_one[0]).clone();
    if let Some(s) = with_disrupted.status.as_mut() {
        s.disrupted_pods = Some(BTreeMap::from([(
            "one".to_string(),
            k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(Timestamp::UNIX_EPOCH),
        )]));
    }
    let disrupted = [Arc::new(with_disrupted)];
    let budgets = Budget::from_pdbs(&disrupted);
    let (v, nv) = filter_pods_with_pdb_violation(&pods, &budgets);
    assert_eq!((names(&v), names(&nv)), (vec!["three"], vec!["one", "two"]));

    // Empty selectors and other namespaces match nothing.
    let mut other_ns = (*pdb(json!({"matchLabels": {"app": "x"}}), 0)).clone();
    other_ns.metadata.namespace = Some("other".into());
    let unmatched = [pdb(json!({}), 0), Arc::new(other_ns)];
    let budgets = Budget::from_pdbs(&unmatched);
    let (v, _) = filter_pods_with_pdb_violation(&pods, &budgets);
    assert!(v.is_empty());
}

#[test]
fn preemption_policy_never_is_not_eligible() {
    let cluster = Cluster::new(vec![node("node1", 1000, &[pod("low", 0, 1000, json!({}))])]);
    let preemptor = pod("p", 10, 500, json!({"preemptionPolicy": "Never"}));
    let (result, status) = cluster.preempt(&plugin(), &preemptor);
    assert_eq!(status.code, Code::Unschedulable);
    assert_eq!(status.message(), "preemption: not eligible due to preemptionPolicy=Never.");
    assert_eq!(result.nominated_node, None);
    assert!(result.victims.is_empty());
}

#[test]
fn a_terminating_victim_on_the_nominated_node_blocks_further_preemption() {
    let terminating = pod(
        "low",
        0,
        1000,
        json!({
            "deletionTimestamp": "2024-01-01T00:00:00Z",
            "status": {"conditions": [{
                "type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"
            }]}
        }),
    );
    let cluster = Cluster::new(vec![node("node1", 1000, &[terminating])]);
    let preemptor = pod("p", 10, 500, json!({"status": {"nominatedNodeName": "node1"}}));
    let (result, status) = cluster.preempt(&plugin(), &preemptor);
    assert_eq!(status.code, Code::Unschedulable);
    assert_eq!(
        status.message(),
        "preemption: not eligible due to a terminating pod on the nominated node."
    );
    assert_eq!(result.nominated_node, None);

    // Nominated elsewhere (or to an unresolvable node) the pod may preempt; the victim
    // already being deleted is not deleted again.
    let preemptor = pod("p", 10, 500, json!({"status": {"nominatedNodeName": "gone"}}));
    let (result, status) = cluster.preempt(&plugin(), &preemptor);
    assert!(status.is_success(), "{status:?}");
    assert_eq!(result.nominated_node.as_deref(), Some("node1"));
    assert!(result.victims.is_empty());
}

#[test]
fn a_pod_that_fits_no_node_even_empty_gets_no_nomination() {
    let cluster = Cluster::new(vec![node("node1", 1000, &[pod("low", 0, 500, json!({}))])]);
    let (result, status) = cluster.preempt(&plugin(), &pod("big", 10, 2000, json!({})));
    assert_eq!(status.code, Code::Unschedulable);
    assert_eq!(
        status.message(),
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    );
    // Some("") clears an earlier nomination.
    assert_eq!(result.nominated_node.as_deref(), Some(""));
    assert!(result.victims.is_empty());
}

#[test]
fn reasons_per_node_when_no_candidate_is_found() {
    let cluster = Cluster::new(vec![
        // Only a more important pod: nothing to evict.
        node("node1", 1000, &[pod("system", 100, 1000, json!({}))]),
        // Evicting the low-priority pod is not enough.
        node("node2", 1000, &[pod("system2", 100, 600, json!({})), pod("low", 0, 300, json!({}))]),
        // Too small for the pod at all.
        node("node3", 400, &[]),
    ]);
    let (result, status) = cluster.preempt(&plugin(), &pod("p", 10, 500, json!({})));
    assert_eq!(status.code, Code::Unschedulable);
    assert_eq!(
        status.message(),
        "preemption: 0/3 nodes are available: 1 Insufficient cpu, \
         1 No preemption victims found for incoming pod, \
         1 Preemption is not helpful for scheduling."
    );
    assert_eq!(result.nominated_node.as_deref(), Some(""));
}

#[test]
fn nominated_pods_of_higher_priority_keep_their_room() {
    // node1's free room is promised to a more important nominated pod, so preempting there
    // must evict enough for both; node2 needs a single eviction.
    let promised = pod("promised", 50, 500, json!({}));
    let cluster = Cluster::with(
        vec![
            node("node1", 1000, &[pod("a", 0, 500, json!({}))]),
            node("node2", 1000, &[pod("b", 0, 1000, json!({}))]),
        ],
        Vec::new(),
        HashMap::from([("node1".to_string(), vec![promised])]),
    );
    let (result, status) = cluster.preempt(&plugin(), &pod("p", 10, 600, json!({})));
    assert!(status.is_success(), "{status:?}");
    assert_eq!(result.nominated_node.as_deref(), Some("node2"));
    assert_eq!(names(&result.victims), ["b"]);
    assert!(result.clear_nominations.is_empty());
}

#[test]
fn no_nodes_is_an_error() {
    let cluster = Cluster::new(Vec::new());
    let (result, status) = cluster.preempt(&plugin(), &pod("p", 10, 500, json!({})));
    assert_eq!(status.code, Code::Error);
    assert_eq!(status.message(), "preemption: no nodes available");
    assert_eq!(result.nominated_node, None);
}

fn candidate(node: &str, victims: &[Arc<PodInfo>], num_pdb_violations: usize) -> Candidate {
    Candidate { node: node.to_string(), victims: victims.to_vec(), num_pdb_violations }
}

fn started(name: &str, priority: i32, at: &str) -> Arc<PodInfo> {
    pod(name, priority, 100, json!({"status": {"startTime": at}}))
}

#[test]
fn candidate_selection_criteria_in_order() {
    let t1 = "2024-01-01T00:00:00Z";
    let t2 = "2024-01-02T00:00:00Z";
    let v = |p: i32| started("v", p, t1);
    // Fewest budget violations beats everything else.
    let cs = [candidate("a", &[v(1)], 1), candidate("b", &[v(5), v(5)], 0)];
    assert_eq!(cs[select_candidate(&cs)].node, "b");
    // Lowest highest-victim priority.
    let cs = [candidate("a", &[v(5)], 0), candidate("b", &[v(3), v(3), v(3)], 0)];
    assert_eq!(cs[select_candidate(&cs)].node, "b");
    // Smallest priority sum.
    let cs = [candidate("a", &[v(3), v(2)], 0), candidate("b", &[v(3), v(1)], 0)];
    assert_eq!(cs[select_candidate(&cs)].node, "b");
    // Negative priorities do not make more victims look cheaper.
    let cs = [candidate("a", &[v(-5), v(-5)], 0), candidate("b", &[v(-5)], 0)];
    assert_eq!(cs[select_candidate(&cs)].node, "b");
    // Fewest victims: equal shifted sums (i32::MIN shifts to 0) and equal highest priority.
    let cs = [candidate("a", &[v(0), v(i32::MIN)], 0), candidate("b", &[v(0)], 0)];
    assert_eq!(cs[select_candidate(&cs)].node, "b");
    // Latest start among the highest-priority victims.
    let cs = [
        candidate("a", &[started("x", 3, t1), started("y", 1, t2)], 0),
        candidate("b", &[started("x", 3, t2), started("y", 1, t1)], 0),
    ];
    assert_eq!(cs[select_candidate(&cs)].node, "b");
    // A victim that has not started counts as starting now.
    let cs = [
        candidate("a", &[started("x", 3, t2)], 0),
        candidate("b", &[pod("x", 3, 100, json!({}))], 0),
    ];
    assert_eq!(cs[select_candidate(&cs)].node, "b");
    // Full tie: the first.
    let cs = [candidate("a", &[v(1)], 0), candidate("b", &[v(1)], 0)];
    assert_eq!(cs[select_candidate(&cs)].node, "a");
}

#[test]
fn candidate_counts_and_args() {
    let p = DefaultPreemption::default();
    assert_eq!(p.num_candidates(5), 5);
    assert_eq!(p.num_candidates(5000), 500);
    assert_eq!(p.num_candidates(500), 100);
    let p = DefaultPreemption::new(DefaultPreemptionArgs {
        min_candidate_nodes_percentage: 0,
        min_candidate_nodes_absolute: 1,
    })
    .expect("valid args");
    assert_eq!(p.num_candidates(50), 1);
    assert!(DefaultPreemption::new(DefaultPreemptionArgs {
        min_candidate_nodes_percentage: 0,
        min_candidate_nodes_absolute: 0,
    })
    .is_err());
    assert!(DefaultPreemption::new(DefaultPreemptionArgs {
        min_candidate_nodes_percentage: 101,
        min_candidate_nodes_absolute: 1,
    })
    .is_err());
}

#[test]
fn the_search_stops_once_enough_candidates_are_found() {
    // One candidate wanted: with the search starting at node2, node1 is never tried.
    let plugin = DefaultPreemption::new(DefaultPreemptionArgs {
        min_candidate_nodes_percentage: 0,
        min_candidate_nodes_absolute: 1,
    })
    .expect("valid args")
    .with_offset(1);
    let cluster = Cluster::new(vec![
        node("node1", 1000, &[pod("a", 0, 1000, json!({}))]),
        node("node2", 1000, &[pod("b", 5, 1000, json!({}))]),
    ]);
    let (result, status) = cluster.preempt(&plugin, &pod("p", 10, 1000, json!({})));
    assert!(status.is_success(), "{status:?}");
    assert_eq!(result.nominated_node.as_deref(), Some("node2"));
    // With both tried, node1's less important victim wins.
    let (result, _) = cluster
        .preempt(&DefaultPreemption::default().with_offset(1), &pod("p", 10, 1000, json!({})));
    assert_eq!(result.nominated_node.as_deref(), Some("node1"));
}

#[test]
fn messages_and_aggregates() {
    let s = |r: &str| ("n".to_string(), Status::unschedulable(r));
    assert_eq!(fit_error_message(0, &[]), "0/0 nodes are available:");
    // Sorted as strings: "10 ..." sorts before "2 ...".
    let mut statuses = vec![s("Insufficient cpu"), s("Insufficient cpu")];
    assert_eq!(
        fit_error_message(12, &statuses),
        "0/12 nodes are available: 10 Preemption is not helpful for scheduling, 2 Insufficient cpu."
    );
    statuses.push((
        "m".into(),
        Status {
            code: Code::Unschedulable,
            reasons: vec!["Too many pods".into(), "Insufficient cpu".into()],
            plugin: "",
        },
    ));
    assert_eq!(
        fit_error_message(3, &statuses),
        "0/3 nodes are available: 1 Too many pods, 3 Insufficient cpu."
    );
    assert_eq!(aggregate(vec!["a".into(), "a".into()]), "a");
    assert_eq!(aggregate(vec!["a".into(), "b".into(), "a".into()]), "[a, b]");
}
