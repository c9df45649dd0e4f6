//! Admission in the registry's write path, against a real embedded store, in process: the
//! Priority plugin on pods and PriorityClasses, and the system classes bootstrap creates.

use std::sync::Arc;

use krust_apiserver::errors::ApiError;
use krust_apiserver::patch::PatchType;
use krust_apiserver::registry::{object_key, Registry, WriteOptions};
use krust_apiserver::resources::{lookup, ResourceInfo};
use krust_store::embedded::EmbeddedStore;
use krust_store::Store;
use serde_json::{json, Value};

struct Env {
    reg: Registry,
    _dir: tempfile::TempDir,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(dir.path().join("db")).expect("open"));
    let reg = Registry::new(store);
    reg.create(namespaces(), None, json!({"metadata": {"name": "default"}}), &w())
        .await
        .expect("namespace");
    Env { reg, _dir: dir }
}

fn namespaces() -> &'static ResourceInfo {
    lookup("", "v1", "namespaces").expect("namespaces")
}

fn pods() -> &'static ResourceInfo {
    lookup("", "v1", "pods").expect("pods")
}

fn pcs() -> &'static ResourceInfo {
    lookup("scheduling.k8s.io", "v1", "priorityclasses").expect("priorityclasses")
}

fn w() -> WriteOptions {
    WriteOptions::default()
}

fn pod(name: &str, spec_extra: Value) -> Value {
    let mut spec = json!({"containers": [{"name": "c", "image": "busybox"}]});
    if let (Some(s), Some(extra)) = (spec.as_object_mut(), spec_extra.as_object()) {
        s.extend(extra.clone());
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})
}

fn class(name: &str, value: i64, extra: Value) -> Value {
    let mut pc = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                        "metadata": {"name": name}, "value": value});
    if let (Some(o), Some(extra)) = (pc.as_object_mut(), extra.as_object()) {
        o.extend(extra.clone());
    }
    pc
}

async fn create_pod(e: &Env, p: Value) -> Result<Value, ApiError> {
    e.reg.create(pods(), Some("default"), p, &w()).await.map(|w| w.object)
}

fn forbidden(r: Result<impl std::fmt::Debug, ApiError>) -> String {
    match r {
        Err(ApiError::Forbidden(m)) => m,
        other => panic!("expected 403, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_resolves_to_priority_and_preemption_policy() {
    let e = env().await;
    e.reg
        .create(pcs(), None, class("batch", 1000, json!({"preemptionPolicy": "Never"})), &w())
        .await
        .expect("class");
    e.reg.create(pcs(), None, class("web", 5000, json!({})), &w()).await.expect("class");

    let p = create_pod(&e, pod("a", json!({"priorityClassName": "batch"}))).await.expect("pod");
    assert_eq!(p["spec"]["priority"], 1000);
    assert_eq!(p["spec"]["preemptionPolicy"], "Never");
    let stored = e.reg.get(pods(), Some("default"), "a").await.expect("get");
    assert_eq!(stored["spec"]["priority"], 1000);
    assert_eq!(stored["spec"]["preemptionPolicy"], "Never");
    // The server set them: they are nobody's fields.
    let owned = stored["metadata"]["managedFields"].to_string();
    assert!(owned.contains("f:priorityClassName"), "{owned}");
    assert!(!owned.contains("f:priority\""), "{owned}");
    assert!(!owned.contains("f:preemptionPolicy"), "{owned}");

    // The class's default policy.
    let p = create_pod(&e, pod("b", json!({"priorityClassName": "web"}))).await.expect("pod");
    assert_eq!(p["spec"]["priority"], 5000);
    assert_eq!(p["spec"]["preemptionPolicy"], "PreemptLowerPriority");

    // The values the class gives may be repeated (a copy of a created pod)...
    let same = pod(
        "c",
        json!({"priorityClassName": "batch", "priority": 1000, "preemptionPolicy": "Never"}),
    );
    create_pod(&e, same).await.expect("same values are fine");
    // ...others are refused, with Kubernetes' messages.
    let m = forbidden(
        create_pod(&e, pod("d", json!({"priorityClassName": "batch", "priority": 7}))).await,
    );
    assert_eq!(m, "pods \"d\" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name");
    let m = forbidden(
        create_pod(
            &e,
            pod(
                "d",
                json!({"priorityClassName": "batch", "preemptionPolicy": "PreemptLowerPriority"}),
            ),
        )
        .await,
    );
    assert_eq!(m, "pods \"d\" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name");

    // Dry runs are admitted alike.
    let dry = WriteOptions { dry_run: true, ..w() };
    let p = e
        .reg
        .create(pods(), Some("default"), pod("e", json!({"priorityClassName": "batch"})), &dry)
        .await
        .expect("dry run")
        .object;
    assert_eq!(p["spec"]["priority"], 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_class_is_forbidden() {
    let e = env().await;
    let m = forbidden(create_pod(&e, pod("p", json!({"priorityClassName": "nope"}))).await);
    assert_eq!(m, "pods \"p\" is forbidden: no PriorityClass with name nope was found");
    // Names generated after admission: the message shows the prefix, as Kubernetes' does.
    let mut generated = pod("", json!({"priorityClassName": "nope"}));
    generated["metadata"] = json!({"generateName": "web-"});
    let m = forbidden(create_pod(&e, generated).await);
    assert_eq!(m, "pods \"web-\" is forbidden: no PriorityClass with name nope was found");
    // Dry runs and server-side apply go through admission too.
    let dry = WriteOptions { dry_run: true, ..w() };
    let r = e
        .reg
        .create(pods(), Some("default"), pod("p", json!({"priorityClassName": "nope"})), &dry)
        .await;
    assert!(forbidden(r).contains("no PriorityClass with name nope was found"));
    let r = e
        .reg
        .patch(
            pods(),
            Some("default"),
            "p",
            PatchType::Apply,
            pod("p", json!({"priorityClassName": "nope"})),
            None,
            &w(),
            Some("tester"),
        )
        .await;
    assert!(forbidden(r.map(|(w, _)| w.object)).contains("no PriorityClass with name nope"));
    // Admission runs before validation, as in kube-apiserver.
    let m = forbidden(create_pod(&e, pod("p", json!({"priorityClassName": "Not_A_Name"}))).await);
    assert!(m.ends_with("no PriorityClass with name Not_A_Name was found"), "{m}");
    for odd in ["a\u{0}b", "../pods/default/p", &"x".repeat(100_000)] {
        let m = forbidden(create_pod(&e, pod("p", json!({"priorityClassName": odd}))).await);
        assert!(m.contains("no PriorityClass with name"), "{m}");
    }
    assert!(matches!(
        e.reg.get(pods(), Some("default"), "p").await,
        Err(ApiError::NotFound { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_without_a_class_get_the_global_default() {
    let e = env().await;
    // No default: priority 0, no class.
    let p = create_pod(&e, pod("none", json!({}))).await.expect("pod");
    assert_eq!(p["spec"]["priority"], 0);
    assert_eq!(p["spec"]["preemptionPolicy"], "PreemptLowerPriority");
    assert!(p["spec"].get("priorityClassName").is_none());
    let m = forbidden(create_pod(&e, pod("x", json!({"priority": 3}))).await);
    assert!(m.contains("the integer value of priority (3) must not be provided"), "{m}");

    e.reg
        .create(
            pcs(),
            None,
            class("standard", 100, json!({"globalDefault": true, "preemptionPolicy": "Never"})),
            &w(),
        )
        .await
        .expect("default class");
    let p = create_pod(&e, pod("std", json!({}))).await.expect("pod");
    assert_eq!(p["spec"]["priorityClassName"], "standard");
    assert_eq!(p["spec"]["priority"], 100);
    assert_eq!(p["spec"]["preemptionPolicy"], "Never");

    // Two defaults (a race past the one-default check, written here straight to the store):
    // the lowest value wins.
    let racer = class("racer", 50, json!({"globalDefault": true}));
    e.reg
        .store()
        .create(
            object_key(pcs(), None, "racer").as_bytes(),
            serde_json::to_vec(&racer).expect("json").into(),
        )
        .await
        .expect("store write")
        .expect("created");
    let p = create_pod(&e, pod("raced", json!({}))).await.expect("pod");
    assert_eq!(p["spec"]["priorityClassName"], "racer");
    assert_eq!(p["spec"]["priority"], 50);
    assert_eq!(p["spec"]["preemptionPolicy"], "PreemptLowerPriority", "defaulted on read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_one_class_may_be_the_global_default() {
    let e = env().await;
    e.reg
        .create(pcs(), None, class("first", 10, json!({"globalDefault": true})), &w())
        .await
        .expect("first default");
    let m = forbidden(
        e.reg.create(pcs(), None, class("second", 20, json!({"globalDefault": true})), &w()).await,
    );
    assert_eq!(m, "priorityclasses.scheduling.k8s.io \"second\" is forbidden: PriorityClass first is already marked as default. Only one default can exist");
    // Also through a dry run, and for a class becoming the default.
    let dry = WriteOptions { dry_run: true, ..w() };
    let r = e.reg.create(pcs(), None, class("second", 20, json!({"globalDefault": true})), &dry);
    assert!(forbidden(r.await).contains("Only one default can exist"));
    e.reg.create(pcs(), None, class("second", 20, json!({})), &w()).await.expect("non-default");
    let r = e
        .reg
        .patch(
            pcs(),
            None,
            "second",
            PatchType::Merge,
            json!({"globalDefault": true}),
            None,
            &w(),
            None,
        )
        .await;
    assert!(forbidden(r.map(|(w, _)| w.object)).contains("PriorityClass first is already marked"));
    // The default itself may be updated; once it is no longer the default, another may be.
    let r = e
        .reg
        .patch(
            pcs(),
            None,
            "first",
            PatchType::Merge,
            json!({"description": "still the default"}),
            None,
            &w(),
            None,
        )
        .await;
    assert_eq!(r.expect("update the default").0.object["description"], "still the default");
    let off = json!({"globalDefault": false});
    e.reg.patch(pcs(), None, "first", PatchType::Merge, off, None, &w(), None).await.expect("off");
    let on = json!({"globalDefault": true});
    let r = e.reg.patch(pcs(), None, "second", PatchType::Merge, on, None, &w(), None).await;
    assert_eq!(r.expect("second becomes the default").0.object["globalDefault"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_creates_the_system_classes() {
    let e = env().await;
    krust_apiserver::server::bootstrap(&e.reg).await.expect("bootstrap");
    krust_apiserver::server::bootstrap(&e.reg).await.expect("bootstrap again is a no-op");
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        e.reg.get(namespaces(), None, ns).await.expect("namespace");
    }
    let node = e.reg.get(pcs(), None, "system-node-critical").await.expect("node-critical");
    assert_eq!(node["value"], 2_000_001_000);
    assert_eq!(
        node["description"],
        "Used for system critical pods that must not be moved from their current node."
    );
    assert_eq!(node["preemptionPolicy"], "PreemptLowerPriority");
    assert!(node["globalDefault"].as_bool() != Some(true));
    let cluster =
        e.reg.get(pcs(), None, "system-cluster-critical").await.expect("cluster-critical");
    assert_eq!(cluster["value"], 2_000_000_000);
    assert_eq!(
        cluster["description"],
        "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."
    );
    let p = create_pod(&e, pod("dns", json!({"priorityClassName": "system-cluster-critical"})))
        .await
        .expect("pod");
    assert_eq!(p["spec"]["priority"], 2_000_000_000);
    // The system classes are not defaults.
    let p = create_pod(&e, pod("plain", json!({}))).await.expect("pod");
    assert_eq!(p["spec"]["priority"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_patches_and_applies_keep_the_admitted_priority() {
    let e = env().await;
    e.reg.create(pcs(), None, class("high", 900, json!({})), &w()).await.expect("class");
    let created =
        create_pod(&e, pod("p", json!({"priorityClassName": "high"}))).await.expect("pod");

    // A PUT of a body without the admitted fields keeps them.
    let mut body = pod("p", json!({"priorityClassName": "high"}));
    body["metadata"]["labels"] = json!({"app": "p"});
    let put = e
        .reg
        .update(pods(), Some("default"), "p", body, None, &w())
        .await
        .expect("update without priority")
        .object;
    assert_eq!(put["spec"]["priority"], 900);
    assert_eq!(put["spec"]["preemptionPolicy"], "PreemptLowerPriority");
    assert_eq!(put["metadata"]["labels"]["app"], "p");
    // Changing the priority is still refused by validation.
    let mut changed = created.clone();
    changed["spec"]["priority"] = json!(1);
    changed["metadata"].as_object_mut().expect("meta").remove("resourceVersion");
    assert!(matches!(
        e.reg.update(pods(), Some("default"), "p", changed, None, &w()).await,
        Err(ApiError::Invalid { .. })
    ));

    let merge = json!({"metadata": {"annotations": {"a": "1"}}});
    let (patched, _) = e
        .reg
        .patch(pods(), Some("default"), "p", PatchType::Merge, merge, None, &w(), None)
        .await
        .expect("merge patch");
    assert_eq!(patched.object["spec"]["priority"], 900);
    let status = json!({"status": {"phase": "Running"}});
    let (patched, _) = e
        .reg
        .patch(pods(), Some("default"), "p", PatchType::Merge, status, Some("status"), &w(), None)
        .await
        .expect("status patch");
    assert_eq!(patched.object["status"]["phase"], "Running");
    assert_eq!(patched.object["spec"]["priority"], 900);

    // Server-side apply: create on apply, then apply again and change a label.
    let applied = || {
        let mut p = pod("s", json!({"priorityClassName": "high"}));
        p["metadata"]["labels"] = json!({"v": "1"});
        p
    };
    let (first, created) = e
        .reg
        .patch(pods(), Some("default"), "s", PatchType::Apply, applied(), None, &w(), Some("me"))
        .await
        .expect("apply creates");
    assert!(created);
    assert_eq!(first.object["spec"]["priority"], 900);
    let mut again = applied();
    again["metadata"]["labels"] = json!({"v": "2"});
    let (second, created) = e
        .reg
        .patch(pods(), Some("default"), "s", PatchType::Apply, again, None, &w(), Some("me"))
        .await
        .expect("apply updates");
    assert!(!created);
    assert_eq!(second.object["spec"]["priority"], 900);
    assert_eq!(second.object["metadata"]["labels"]["v"], "2");
}
