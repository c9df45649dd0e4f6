//! The scheduler against a real in-process API server on the embedded store: pods created
//! through the API are bound through `pods/binding`, failures show up as conditions and events.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Event as CoreEvent, Node, Pod};
use krust_apiserver::server::{start, Running, ServerConfig};
use krust_runtime::leader::LeaderElectionConfig;
use krust_scheduler::profile::default_framework;
use krust_scheduler::scheduler::{Scheduler, SchedulerConfig};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::Client;
use serde_json::{json, Value};

struct Cluster {
    running: Option<Running>,
    client: Client,
    _dir: tempfile::TempDir,
}

impl Cluster {
    async fn start() -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let running = start(ServerConfig {
            data_dir: dir.path().to_path_buf(),
            bind_address: "127.0.0.1".parse().expect("ip"),
            https_port: 0,
            write_kubeconfig: None,
            tls_sans: vec![],
        })
        .await
        .expect("API server starts");
        let client = running.client("system:admin", &["system:masters"]);
        Cluster { running: Some(running), client, _dir: dir }
    }

    fn scheduler_client(&self) -> Client {
        self.running.as_ref().expect("running").client("system:kube-scheduler", &[])
    }

    fn scheduler(&self) -> Scheduler {
        Scheduler::start(self.scheduler_client(), SchedulerConfig::default(), default_framework)
    }

    async fn node(&self, name: &str, cpu: &str, memory: &str, extra: Value) {
        let mut node = json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {
                "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
                "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
                "conditions": [{"type": "Ready", "status": "True"}]
            }
        });
        merge(&mut node, extra);
        let node: Node = serde_json::from_value(node).expect("node");
        let api: Api<Node> = Api::all(self.client.clone());
        let created = api.create(&PostParams::default(), &node).await.expect("create node");
        // Status is a subresource: write it separately, as a kubelet does.
        let mut with_status = created;
        with_status.status = node.status;
        api.replace_status(name, &PostParams::default(), &with_status).await.expect("node status");
    }

    async fn pod(&self, name: &str, extra: Value) -> Pod {
        let mut pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}
        });
        merge(&mut pod, extra);
        let pod: Pod = serde_json::from_value(pod).expect("pod");
        Api::<Pod>::namespaced(self.client.clone(), "default")
            .create(&PostParams::default(), &pod)
            .await
            .expect("create pod")
    }

    async fn get_pod(&self, name: &str) -> Pod {
        Api::<Pod>::namespaced(self.client.clone(), "default").get(name).await.expect("get pod")
    }

    /// Polls until the pod is bound; returns its node.
    async fn wait_bound(&self, name: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let p = self.get_pod(name).await;
            if let Some(n) = p.spec.as_ref().and_then(|s| s.node_name.clone()) {
                return n;
            }
            assert!(tokio::time::Instant::now() < deadline, "pod {name} was not bound in time");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls until the pod has PodScheduled=False; returns the condition's message.
    async fn wait_unschedulable(&self, name: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let p = self.get_pod(name).await;
            let cond = p
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .and_then(|c| c.iter().find(|c| c.type_ == "PodScheduled").cloned());
            if let Some(c) = cond.filter(|c| c.status == "False") {
                assert_eq!(c.reason.as_deref(), Some("Unschedulable"));
                assert!(p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_none());
                return c.message.unwrap_or_default();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "pod {name} never became unschedulable"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn events_for(&self, pod: &str, reason: &str) -> Vec<CoreEvent> {
        let api: Api<CoreEvent> = Api::namespaced(self.client.clone(), "default");
        let lp = ListParams::default().fields(&format!("involvedObject.name={pod}"));
        api.list(&lp)
            .await
            .expect("list events")
            .items
            .into_iter()
            .filter(|e| e.reason.as_deref() == Some(reason))
            .collect()
    }

    async fn wait_event(&self, pod: &str, reason: &str) -> CoreEvent {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(e) = self.events_for(pod, reason).await.into_iter().next() {
                return e;
            }
            assert!(tokio::time::Instant::now() < deadline, "no {reason} event for {pod}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(b), Value::Object(e)) => {
            for (k, v) in e {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, e) => *b = e,
    }
}

#[tokio::test]
async fn pods_are_bound_and_get_a_scheduled_event() {
    let c = Cluster::start().await;
    let _s = c.scheduler();
    c.node("n1", "4", "8Gi", json!({})).await;
    for i in 0..5 {
        c.pod(&format!("p{i}"), json!({})).await;
    }
    for i in 0..5 {
        assert_eq!(c.wait_bound(&format!("p{i}")).await, "n1");
    }
    let e = c.wait_event("p0", "Scheduled").await;
    assert_eq!(e.message.as_deref(), Some("Successfully assigned default/p0 to n1"));
    assert_eq!(e.type_.as_deref(), Some("Normal"));
    let p = c.get_pod("p0").await;
    let cond = p
        .status
        .and_then(|s| s.conditions)
        .and_then(|c| c.into_iter().find(|c| c.type_ == "PodScheduled"));
    assert_eq!(cond.map(|c| c.status), Some("True".into()));
}

#[tokio::test]
async fn pods_for_another_scheduler_are_left_alone() {
    let c = Cluster::start().await;
    let _s = c.scheduler();
    c.node("n1", "4", "8Gi", json!({})).await;
    c.pod("mine", json!({})).await;
    c.pod("theirs", json!({"spec": {"schedulerName": "other-scheduler"}})).await;
    c.wait_bound("mine").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let p = c.get_pod("theirs").await;
    assert!(p.spec.and_then(|s| s.node_name).is_none());
    assert!(c.events_for("theirs", "FailedScheduling").await.is_empty());
}

#[tokio::test]
async fn no_nodes_then_a_node_arrives() {
    let c = Cluster::start().await;
    let _s = c.scheduler();
    c.pod("early", json!({})).await;
    let msg = c.wait_unschedulable("early").await;
    assert_eq!(msg, "no nodes available to schedule pods");
    c.node("late", "1", "1Gi", json!({})).await;
    assert_eq!(c.wait_bound("early").await, "late");
}

#[tokio::test]
async fn two_schedulers_one_leader() {
    let c = Cluster::start().await;
    let le = |id: &str| LeaderElectionConfig {
        lease_duration: Duration::from_secs(2),
        renew_deadline: Duration::from_millis(1500),
        retry_period: Duration::from_millis(200),
        ..LeaderElectionConfig::new("kube-scheduler", id)
    };
    let start = |id: &str| {
        Scheduler::start(
            c.scheduler_client(),
            SchedulerConfig { leader_election: Some(le(id)), ..SchedulerConfig::default() },
            default_framework,
        )
    };
    let a = start("a");
    let b = start("b");
    c.node("n1", "4", "8Gi", json!({})).await;
    c.pod("p1", json!({})).await;
    c.wait_bound("p1").await;
    let leases: Api<Lease> = Api::namespaced(c.client.clone(), "kube-system");
    let holder =
        leases.get("kube-scheduler").await.expect("lease").spec.and_then(|s| s.holder_identity);
    let leader_is_a = holder.as_deref() == Some("a");
    assert!(matches!(holder.as_deref(), Some("a") | Some("b")), "holder {holder:?}");
    assert_ne!(*a.leading.borrow(), *b.leading.borrow(), "exactly one leads");
    assert_eq!(*a.leading.borrow(), leader_is_a);
    // The leader goes away; the other takes over after the lease runs out and schedules.
    let survivor = if leader_is_a {
        drop(a);
        b
    } else {
        drop(b);
        a
    };
    c.pod("p2", json!({})).await;
    c.wait_bound("p2").await;
    assert!(*survivor.leading.borrow());
    let holder =
        leases.get("kube-scheduler").await.expect("lease").spec.and_then(|s| s.holder_identity);
    assert_eq!(holder.as_deref(), Some(if leader_is_a { "b" } else { "a" }));
    let transitions =
        leases.get("kube-scheduler").await.expect("lease").spec.and_then(|s| s.lease_transitions);
    assert_eq!(transitions, Some(1));
    let _ = Api::<Pod>::namespaced(c.client.clone(), "default")
        .delete("p1", &DeleteParams::default())
        .await;
}

#[tokio::test]
async fn node_selector_picks_the_labelled_node() {
    let c = Cluster::start().await;
    let _s = c.scheduler();
    c.node("plain", "8", "8Gi", json!({})).await;
    c.node("ssd", "1", "1Gi", json!({"metadata": {"labels": {"disk": "ssd"}}})).await;
    for i in 0..3 {
        c.pod(&format!("s{i}"), json!({"spec": {"nodeSelector": {"disk": "ssd"}}})).await;
    }
    for i in 0..3 {
        assert_eq!(c.wait_bound(&format!("s{i}")).await, "ssd");
    }
}

#[tokio::test]
async fn a_pod_larger_than_any_node_stays_pending_with_the_reasons() {
    let c = Cluster::start().await;
    let _s = c.scheduler();
    c.node("small-1", "1", "1Gi", json!({})).await;
    c.node("small-2", "1", "1Gi", json!({})).await;
    c.node(
        "tainted",
        "64",
        "64Gi",
        json!({"spec": {"taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]}}),
    )
    .await;
    c.pod(
        "huge",
        json!({"spec": {"containers": [{"name": "c", "image": "busybox",
            "resources": {"requests": {"cpu": "4", "memory": "2Gi"}}}]}}),
    )
    .await;
    // Word for word what kube-scheduler 1.34 says, double period included (its preemption
    // message ends in one and the outer message adds another). A request larger than a node's
    // whole allocatable is unresolvable there, so preemption is "not helpful" on all three.
    let expected = "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, \
        2 Insufficient cpu, 2 Insufficient memory. preemption: 0/3 nodes are available: \
        3 Preemption is not helpful for scheduling..";
    assert_eq!(c.wait_unschedulable("huge").await, expected);
    let e = c.wait_event("huge", "FailedScheduling").await;
    assert_eq!(e.type_.as_deref(), Some("Warning"));
    assert_eq!(e.message.as_deref(), Some(expected));
    assert_eq!(e.source.and_then(|s| s.component).as_deref(), Some("default-scheduler"));
}

#[tokio::test]
async fn a_high_priority_pod_preempts_a_low_priority_one() {
    let c = Cluster::start().await;
    let _s = c.scheduler();
    let classes: Api<k8s_openapi::api::scheduling::v1::PriorityClass> = Api::all(c.client.clone());
    for (name, value) in [("low", 10), ("high", 1000)] {
        let pc = serde_json::from_value(json!({
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": name}, "value": value
        }))
        .expect("class");
        classes.create(&PostParams::default(), &pc).await.expect("create class");
    }
    c.node("only", "2", "4Gi", json!({})).await;
    let req = |cpu: &str, class: &str| {
        json!({"spec": {"priorityClassName": class, "containers": [{"name": "c", "image": "busybox",
            "resources": {"requests": {"cpu": cpu}}}]}})
    };
    c.pod("victim", req("1500m", "low")).await;
    assert_eq!(c.wait_bound("victim").await, "only");
    c.pod("preemptor", req("1", "high")).await;
    // The victim is deleted (it has a grace period: the API server marks it for deletion).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let pods: Api<Pod> = Api::namespaced(c.client.clone(), "default");
        match pods.get_opt("victim").await.expect("get") {
            None => break,
            Some(p) if p.metadata.deletion_timestamp.is_some() => {
                let cond = p
                    .status
                    .and_then(|s| s.conditions)
                    .and_then(|cs| cs.into_iter().find(|c| c.type_ == "DisruptionTarget"));
                assert_eq!(cond.and_then(|c| c.reason).as_deref(), Some("PreemptionByScheduler"));
                // No kubelet: finish the deletion as one would.
                pods.delete("victim", &DeleteParams::default().grace_period(0))
                    .await
                    .expect("force delete");
            }
            Some(_) => {}
        }
        assert!(tokio::time::Instant::now() < deadline, "victim was not preempted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let p = c.get_pod("preemptor").await;
    assert_eq!(p.spec.as_ref().and_then(|s| s.priority), Some(1000));
    assert_eq!(c.wait_bound("preemptor").await, "only");
    let e = c.wait_event("victim", "Preempted").await;
    assert_eq!(e.message.as_deref(), Some("Preempted by pod default/preemptor on node only"));
}

#[tokio::test]
async fn required_anti_affinity_spreads_replicas_over_nodes() {
    let c = Cluster::start().await;
    let _s = c.scheduler();
    for n in ["a", "b", "c"] {
        c.node(n, "8", "8Gi", json!({})).await;
    }
    let replica = json!({
        "metadata": {"labels": {"app": "web"}},
        "spec": {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
            "labelSelector": {"matchLabels": {"app": "web"}},
            "topologyKey": "kubernetes.io/hostname"
        }]}}}
    });
    for i in 0..4 {
        c.pod(&format!("web-{i}"), replica.clone()).await;
    }
    // Three nodes, three replicas placed one per node; the fourth has nowhere to go.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let (nodes, pending) = loop {
        let mut nodes = Vec::new();
        let mut pending = Vec::new();
        for i in 0..4 {
            let p = c.get_pod(&format!("web-{i}")).await;
            match p.spec.and_then(|s| s.node_name) {
                Some(n) => nodes.push(n),
                None => pending.push(format!("web-{i}")),
            }
        }
        if nodes.len() == 3 {
            break (nodes, pending);
        }
        assert!(tokio::time::Instant::now() < deadline, "replicas were not placed: {nodes:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut sorted = nodes.clone();
    sorted.sort();
    assert_eq!(sorted, ["a", "b", "c"], "one replica per node");
    let msg = c.wait_unschedulable(&pending[0]).await;
    assert!(
        msg.starts_with("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."),
        "{msg}"
    );
    // A fourth node lets it in.
    c.node("d", "8", "8Gi", json!({})).await;
    assert_eq!(c.wait_bound(&pending[0]).await, "d");
}
