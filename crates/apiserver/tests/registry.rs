//! The generic registry and watch cache against a real embedded store, in process.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use krust_apiserver::errors::ApiError;
use krust_apiserver::registry::{
    DeleteOptions, ListOptions, Registry, WatchEvent, WatchOptions, WriteOptions,
};
use krust_apiserver::resources::{lookup, ResourceInfo};
use krust_apiserver::selectors::LabelSelector;
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
    for ns in ["default", "other"] {
        reg.create(
            res("namespaces"),
            None,
            json!({"metadata": {"name": ns}}),
            &WriteOptions::default(),
        )
        .await
        .expect("namespace");
    }
    Env { reg, _dir: dir }
}

fn res(plural: &str) -> &'static ResourceInfo {
    lookup("", "v1", plural).or_else(|| lookup("apps", "v1", plural)).expect("resource")
}

fn cm(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}})
}

fn parse(b: &[u8]) -> Value {
    serde_json::from_slice(b).expect("json")
}

fn rv(v: &Value) -> i64 {
    v["metadata"]["resourceVersion"].as_str().expect("rv").parse().expect("number")
}

async fn next(s: &mut (impl futures::Stream<Item = WatchEvent> + Unpin)) -> (String, Value) {
    let ev = tokio::time::timeout(Duration::from_secs(10), s.next())
        .await
        .expect("event in time")
        .expect("stream open");
    (ev.kind.to_string(), parse(&ev.object))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_conflict_and_generation() {
    let e = env().await;
    let w = WriteOptions::default();
    let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                   "spec": {"selector": {"matchLabels": {"app": "web"}},
                            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
    let created =
        e.reg.create(res("deployments"), Some("default"), d, &w).await.expect("create").object;
    assert_eq!(created["metadata"]["generation"], 1);
    assert!(created["metadata"]["uid"].is_string());
    assert_eq!(created["status"], json!({}));
    assert!(matches!(
        e.reg.create(res("deployments"), Some("default"), created.clone(), &w).await,
        Err(ApiError::AlreadyExists { .. })
    ));
    let mut changed = created.clone();
    changed["spec"]["replicas"] = json!(3);
    let updated = e
        .reg
        .update(res("deployments"), Some("default"), "web", changed.clone(), None, &w)
        .await
        .expect("update")
        .object;
    assert_eq!(updated["metadata"]["generation"], 2, "a spec change bumps generation");
    assert!(
        matches!(
            e.reg.update(res("deployments"), Some("default"), "web", changed, None, &w).await,
            Err(ApiError::Conflict { .. })
        ),
        "the stale resourceVersion is refused"
    );
    // Status written through the main resource is ignored; through /status it sticks.
    let mut with_status = updated.clone();
    with_status["status"] = json!({"replicas": 3});
    let after = e
        .reg
        .update(res("deployments"), Some("default"), "web", with_status.clone(), None, &w)
        .await
        .expect("update")
        .object;
    assert_eq!(after["status"], json!({}));
    assert_eq!(rv(&after), rv(&updated), "a no-op update writes nothing");
    let after = e
        .reg
        .update(res("deployments"), Some("default"), "web", with_status, Some("status"), &w)
        .await
        .expect("status")
        .object;
    assert_eq!(after["status"]["replicas"], 3);
    assert_eq!(after["metadata"]["generation"], 2, "status does not bump generation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_must_exist_and_not_be_terminating() {
    let e = env().await;
    let w = WriteOptions::default();
    match e.reg.create(res("configmaps"), Some("nope"), cm("a", json!({})), &w).await {
        Err(ApiError::NotFound { message, .. }) => {
            assert_eq!(message, "namespaces \"nope\" not found")
        }
        other => panic!("{other:?}"),
    }
    let d = e
        .reg
        .delete(res("namespaces"), None, "other", &DeleteOptions::default())
        .await
        .expect("delete ns");
    assert!(!d.finished, "namespaces wait for their finalizer");
    match e.reg.create(res("configmaps"), Some("other"), cm("a", json!({})), &w).await {
        Err(ApiError::Forbidden(m)) => assert!(m.contains("because it is being terminated"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_pod_deletion_and_finalizers() {
    let e = env().await;
    let w = WriteOptions::default();
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                     "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox"}]}});
    e.reg.create(res("pods"), Some("default"), pod, &w).await.expect("pod");
    let d = e
        .reg
        .delete(res("pods"), Some("default"), "p", &DeleteOptions::default())
        .await
        .expect("delete");
    assert!(!d.finished);
    assert_eq!(d.object["metadata"]["deletionGracePeriodSeconds"], 30);
    assert!(e.reg.get(res("pods"), Some("default"), "p").await.is_ok(), "the kubelet finishes it");
    let now = DeleteOptions { grace_period_seconds: Some(0), ..Default::default() };
    assert!(e.reg.delete(res("pods"), Some("default"), "p", &now).await.expect("force").finished);
    assert!(matches!(
        e.reg.get(res("pods"), Some("default"), "p").await,
        Err(ApiError::NotFound { .. })
    ));

    let mut held = cm("held", json!({}));
    held["metadata"]["finalizers"] = json!(["example.com/hold"]);
    e.reg.create(res("configmaps"), Some("default"), held, &w).await.expect("create");
    let d = e
        .reg
        .delete(res("configmaps"), Some("default"), "held", &DeleteOptions::default())
        .await
        .expect("delete");
    assert!(!d.finished && d.object["metadata"]["deletionTimestamp"].is_string());
    let mut released =
        e.reg.get(res("configmaps"), Some("default"), "held").await.expect("still there");
    released["metadata"]["finalizers"] = json!([]);
    e.reg
        .update(res("configmaps"), Some("default"), "held", released, None, &w)
        .await
        .expect("release");
    assert!(matches!(
        e.reg.get(res("configmaps"), Some("default"), "held").await,
        Err(ApiError::NotFound { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_from_the_store_and_serve_any_from_the_cache() {
    let e = env().await;
    let w = WriteOptions::default();
    for i in 0..7 {
        let labels = if i % 2 == 0 { json!({"even": "yes"}) } else { json!({}) };
        e.reg
            .create(res("configmaps"), Some("default"), cm(&format!("c{i}"), labels), &w)
            .await
            .expect("create");
    }
    e.reg
        .create(res("configmaps"), Some("other"), cm("elsewhere", json!({})), &w)
        .await
        .expect("create");
    let mut names = Vec::new();
    let mut opts = ListOptions { limit: 3, ..Default::default() };
    let first = e.reg.list(res("configmaps"), Some("default"), &opts).await.expect("page");
    assert_eq!(first.remaining_item_count, Some(4));
    let mut page = first;
    loop {
        names.extend(
            page.items
                .iter()
                .map(|b| parse(b)["metadata"]["name"].as_str().unwrap_or_default().to_string()),
        );
        let Some(token) = page.continue_token.clone() else { break };
        // A write between pages does not show: every page is read at the first page's revision.
        e.reg
            .create(
                res("configmaps"),
                Some("default"),
                cm(&format!("late{}", names.len()), json!({})),
                &w,
            )
            .await
            .expect("create");
        opts.continue_token = Some(token);
        page = e.reg.list(res("configmaps"), Some("default"), &opts).await.expect("page");
    }
    assert_eq!(names, (0..7).map(|i| format!("c{i}")).collect::<Vec<_>>());

    let any = ListOptions {
        resource_version: Some("0".into()),
        label_selector: LabelSelector::parse("even=yes").expect("selector"),
        ..Default::default()
    };
    let cached = e.reg.list(res("configmaps"), None, &any).await.expect("cached list");
    assert_eq!(cached.items.len(), 4);
    let all = e
        .reg
        .list(
            res("configmaps"),
            None,
            &ListOptions { resource_version: Some("0".into()), ..Default::default() },
        )
        .await
        .expect("all");
    assert_eq!(all.items.len(), 7 + 2 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_resume_filter_and_bookmark() {
    let e = env().await;
    let w = WriteOptions::default();
    let cms = res("configmaps");
    // Warm the cache first, so resuming from these revisions is inside its window.
    e.reg
        .list(cms, None, &ListOptions { resource_version: Some("0".into()), ..Default::default() })
        .await
        .expect("warm");
    let a = e
        .reg
        .create(cms, Some("default"), cm("a", json!({"app": "x"})), &w)
        .await
        .expect("a")
        .object;
    let b = e
        .reg
        .create(cms, Some("default"), cm("b", json!({"app": "x"})), &w)
        .await
        .expect("b")
        .object;

    let mut from_a = e
        .reg
        .watch(
            cms,
            Some("default"),
            WatchOptions { resource_version: Some(rv(&a).to_string()), ..Default::default() },
        )
        .await
        .expect("watch");
    let (kind, obj) = next(&mut from_a).await;
    assert_eq!((kind.as_str(), obj["metadata"]["name"].as_str()), ("ADDED", Some("b")));

    let selected = WatchOptions {
        resource_version: Some(rv(&b).to_string()),
        label_selector: LabelSelector::parse("app=x").expect("selector"),
        ..Default::default()
    };
    let mut sel = e.reg.watch(cms, Some("default"), selected).await.expect("watch");
    // Moving b out of the selection is a DELETED for this watcher, a MODIFIED for the other.
    let mut moved = e.reg.get(cms, Some("default"), "b").await.expect("b");
    moved["metadata"]["labels"] = json!({"app": "y"});
    e.reg.update(cms, Some("default"), "b", moved, None, &w).await.expect("relabel");
    let (kind, obj) = next(&mut sel).await;
    assert_eq!((kind.as_str(), obj["metadata"]["name"].as_str()), ("DELETED", Some("b")));
    let (kind, _) = next(&mut from_a).await;
    assert_eq!(kind, "MODIFIED");
    e.reg.delete(cms, Some("default"), "a", &DeleteOptions::default()).await.expect("delete");
    let (kind, obj) = next(&mut sel).await;
    assert_eq!((kind.as_str(), obj["metadata"]["name"].as_str()), ("DELETED", Some("a")));
    assert!(rv(&obj) > rv(&b), "a deleted object carries the delete's resourceVersion");

    // WatchList: initial state, then the initial-events-end bookmark.
    let wl = WatchOptions {
        send_initial_events: Some(true),
        allow_bookmarks: true,
        ..Default::default()
    };
    let mut list_watch = e.reg.watch(cms, Some("default"), wl).await.expect("watch list");
    let (kind, obj) = next(&mut list_watch).await;
    assert_eq!((kind.as_str(), obj["metadata"]["name"].as_str()), ("ADDED", Some("b")));
    let (kind, obj) = next(&mut list_watch).await;
    assert_eq!(kind, "BOOKMARK");
    assert_eq!(obj["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");

    // Resuming from before the cache's window is served from the store's history...
    let deps = res("deployments");
    let mut old = e
        .reg
        .watch(
            deps,
            None,
            WatchOptions { resource_version: Some("1".into()), ..Default::default() },
        )
        .await
        .expect("watch");
    let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "late"},
                   "spec": {"selector": {"matchLabels": {"app": "l"}},
                            "template": {"metadata": {"labels": {"app": "l"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
    e.reg.create(deps, Some("default"), d, &w).await.expect("deployment");
    let (kind, obj) = next(&mut old).await;
    assert_eq!((kind.as_str(), obj["metadata"]["name"].as_str()), ("ADDED", Some("late")));
    // ...until that history is compacted: then it is a 410 in the stream, as kube-apiserver does.
    let now = e.reg.store().current_revision().await.expect("rev");
    e.reg.store().compact(now).await.expect("compact");
    let mut gone = e
        .reg
        .watch(
            res("secrets"),
            None,
            WatchOptions { resource_version: Some("2".into()), ..Default::default() },
        )
        .await
        .expect("watch");
    let (kind, obj) = next(&mut gone).await;
    assert_eq!(kind, "ERROR");
    assert_eq!(obj["code"], 410);
    assert_eq!(obj["reason"], "Expired");
}
