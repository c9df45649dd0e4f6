//! The scheduler inside `krust server`, seen through the real kubectl v1.34: pods land on the
//! node that fits, and a pod that fits nowhere shows kube-scheduler's `FailedScheduling` event
//! in `kubectl describe pod`.

mod support;

use std::time::{Duration, Instant};

use support::Cluster;

const NODES: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: worker-1
  labels: {kubernetes.io/hostname: worker-1, disk: ssd}
---
apiVersion: v1
kind: Node
metadata:
  name: worker-2
  labels: {kubernetes.io/hostname: worker-2}
"#;

const PODS: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: fits
spec:
  nodeSelector: {disk: ssd}
  containers:
  - name: app
    image: busybox
    resources: {requests: {cpu: 500m, memory: 256Mi}}
---
apiVersion: v1
kind: Pod
metadata:
  name: too-big
spec:
  containers:
  - name: app
    image: busybox
    resources: {requests: {cpu: "64"}}
"#;

fn wait_for(c: &Cluster, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}\n{}", c.server_log());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn pods_are_scheduled_and_failures_show_in_describe() {
    let c = Cluster::start();
    c.ok_stdin(&["apply", "-f", "-"], NODES);
    // Capacity is node status, which a kubelet reports; write it as one would.
    for n in ["worker-1", "worker-2"] {
        c.ok(&[
            "patch",
            "node",
            n,
            "--subresource=status",
            "--type=merge",
            "-p",
            r#"{"status":{"capacity":{"cpu":"2","memory":"4Gi","pods":"110"},"allocatable":{"cpu":"2","memory":"4Gi","pods":"110"}}}"#,
        ]);
    }
    c.ok_stdin(&["apply", "-f", "-"], PODS);
    wait_for(&c, "pod fits to be bound", || {
        c.ok(&["get", "pod", "fits", "-o", "jsonpath={.spec.nodeName}"]) == "worker-1"
    });
    let wide = c.ok(&["get", "pod", "fits", "-o", "wide"]);
    assert!(wide.contains("worker-1"), "{wide}");

    let expected = "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are \
        available: 2 Preemption is not helpful for scheduling..";
    wait_for(&c, "the FailedScheduling event", || {
        c.ok(&["describe", "pod", "too-big"]).contains("FailedScheduling")
    });
    let describe = c.ok(&["describe", "pod", "too-big"]);
    assert!(describe.contains("default-scheduler"), "{describe}");
    assert!(describe.contains(expected), "{describe}");
    assert!(describe.contains("PodScheduled   False"), "{describe}");
    let reason = c.ok(&[
        "get",
        "pod",
        "too-big",
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].reason}",
    ]);
    assert_eq!(reason, "Unschedulable");
    let describe = c.ok(&["describe", "pod", "fits"]);
    assert!(describe.contains("Successfully assigned default/fits to worker-1"), "{describe}");
}
