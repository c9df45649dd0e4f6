//! core v1 and events.k8s.io/v1 Events share storage: each group reads and writes the other's
//! objects in its own form (stored as core v1, converted on every read and write, as
//! kube-apiserver does), through typed kube-rs clients.

use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Event as CoreEvent;
use k8s_openapi::api::events::v1::Event as NewEvent;
use krust_apiserver::registry::{ListOptions, Registry, WatchEvent, WatchOptions};
use krust_apiserver::resources::{lookup, ResourceInfo};
use krust_apiserver::server::{start, Running, ServerConfig};
use krust_store::embedded::EmbeddedStore;
use krust_store::Store;
use kube::api::{
    Api, ListParams, Patch, PatchParams, PostParams, WatchEvent as KubeWatchEvent, WatchParams,
};
use kube::Client;
use serde_json::{json, Value};

async fn server() -> (Running, Client, tempfile::TempDir) {
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
    (running, client, dir)
}

fn new_event(name: &str, note: &str) -> NewEvent {
    serde_json::from_value(json!({
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": name, "namespace": "default"},
        "eventTime": "2024-05-01T12:00:00.000000Z",
        "reportingController": "krust.io/test", "reportingInstance": "test-1",
        "action": "Testing", "reason": "Tested", "type": "Normal",
        "regarding": {"kind": "Pod", "namespace": "default", "name": "web", "apiVersion": "v1"},
        "note": note,
    }))
    .expect("events.k8s.io event")
}

fn core_event(name: &str, message: &str) -> CoreEvent {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": "default"},
        "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web", "apiVersion": "v1"},
        "reason": "Started", "message": message, "type": "Warning",
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": "2024-05-01T11:00:00Z", "lastTimestamp": "2024-05-01T11:30:00Z",
        "count": 3,
    }))
    .expect("core event")
}

async fn next_added<K: Clone + serde::de::DeserializeOwned + std::fmt::Debug>(
    s: &mut (impl futures::Stream<Item = kube::Result<KubeWatchEvent<K>>> + Unpin),
) -> K {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(10), s.try_next())
            .await
            .expect("event in time")
            .expect("watch decodes")
            .expect("stream open");
        match ev {
            KubeWatchEvent::Added(o) | KubeWatchEvent::Modified(o) => return o,
            KubeWatchEvent::Bookmark(_) => continue,
            other => panic!("unexpected watch event {other:?}"),
        }
    }
}

/// A table of the resource at `path`, as kubectl asks for it.
async fn table(client: &Client, path: &str) -> Value {
    let req = http::Request::get(path)
        .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
        .body(Vec::new())
        .expect("request");
    let text = client.request_text(req).await.expect("table");
    serde_json::from_str(&text).expect("table json")
}

fn row_text(t: &Value) -> String {
    t["rows"].to_string()
}

#[tokio::test]
async fn events_k8s_io_writes_read_through_core() {
    let (running, client, _dir) = server().await;
    let new: Api<NewEvent> = Api::namespaced(client.clone(), "default");
    let core: Api<CoreEvent> = Api::namespaced(client.clone(), "default");

    // A watch on core events started before the write.
    let mut core_watch =
        core.watch(&WatchParams::default().timeout(20), "0").await.expect("core watch").boxed();

    let created =
        new.create(&PostParams::default(), &new_event("e1", "hello")).await.expect("create");
    assert_eq!(created.note.as_deref(), Some("hello"));
    assert_eq!(created.regarding.as_ref().and_then(|r| r.name.as_deref()), Some("web"));

    let got = core.get("e1").await.expect("core get decodes");
    assert_eq!(got.message.as_deref(), Some("hello"));
    assert_eq!(got.involved_object.name.as_deref(), Some("web"));
    assert_eq!(got.reporting_component.as_deref(), Some("krust.io/test"));
    assert_eq!(got.reporting_instance.as_deref(), Some("test-1"));
    assert_eq!(got.action.as_deref(), Some("Testing"));
    assert!(got.event_time.is_some());
    assert_eq!(got.metadata.uid, created.metadata.uid);
    assert_eq!(got.metadata.resource_version, created.metadata.resource_version);

    // List from the store and from the watch cache.
    for lp in [ListParams::default(), ListParams::default().match_any()] {
        let list = core.list(&lp).await.expect("core list decodes");
        assert_eq!(list.items.len(), 1);
        assert_eq!(list.items[0].message.as_deref(), Some("hello"));
    }
    let watched = next_added(&mut core_watch).await;
    assert_eq!(watched.message.as_deref(), Some("hello"));

    // Field selectors on core events see the converted object.
    let sel = ListParams::default().fields("involvedObject.name=web");
    assert_eq!(core.list(&sel).await.expect("selected").items.len(), 1);
    assert_eq!(core.list(&sel.match_any()).await.expect("selected").items.len(), 1);

    // Patches and apply go to the events.k8s.io view (where only the series and metadata may
    // change); core reads see the result.
    let series = json!({"count": 2, "lastObservedTime": "2024-05-01T12:01:00.000000Z"});
    let patched = new
        .patch("e1", &PatchParams::default(), &Patch::Merge(json!({"series": series})))
        .await
        .expect("merge patch");
    assert_eq!(patched.series.as_ref().map(|s| s.count), Some(2));
    let got = core.get("e1").await.expect("get");
    assert_eq!(got.series.as_ref().and_then(|s| s.count), Some(2));
    assert_eq!(got.message.as_deref(), Some("hello"));
    let watched = next_added(&mut core_watch).await;
    assert_eq!(watched.series.as_ref().and_then(|s| s.count), Some(2));
    // The events.k8s.io validation of updates applies: its note is immutable.
    let err = new
        .patch("e1", &PatchParams::default(), &Patch::Merge(json!({"note": "changed"})))
        .await
        .expect_err("note is immutable");
    assert!(matches!(err, kube::Error::Api(ref s) if s.code == 422), "{err}");

    let mut body = serde_json::to_value(new_event("e1", "hello")).expect("json");
    body["metadata"]["labels"] = json!({"applied": "yes"});
    body["series"] = json!({"count": 3, "lastObservedTime": "2024-05-01T12:02:00.000000Z"});
    let applied = new
        .patch("e1", &PatchParams::apply("tester").force(), &Patch::Apply(body))
        .await
        .expect("apply");
    assert_eq!(applied.series.as_ref().map(|s| s.count), Some(3));
    let got = core.get("e1").await.expect("get");
    assert_eq!(got.series.as_ref().and_then(|s| s.count), Some(3));
    assert_eq!(
        got.metadata.labels.unwrap_or_default().get("applied").map(String::as_str),
        Some("yes")
    );
    assert_eq!(got.involved_object.name.as_deref(), Some("web"));

    // Apply that creates, through events.k8s.io.
    new.patch("e2", &PatchParams::apply("tester"), &Patch::Apply(new_event("e2", "replaced")))
        .await
        .expect("apply create");
    assert_eq!(core.get("e2").await.expect("get").message.as_deref(), Some("replaced"));

    // Update (PUT) through events.k8s.io.
    let mut current = new.get("e2").await.expect("get");
    current.series = Some(k8s_openapi::api::events::v1::EventSeries {
        count: 5,
        last_observed_time: serde_json::from_value(json!("2024-05-01T12:03:00.000000Z"))
            .expect("time"),
    });
    new.replace("e2", &PostParams::default(), &current).await.expect("replace");
    let got = core.get("e2").await.expect("get");
    assert_eq!(got.series.as_ref().and_then(|s| s.count), Some(5));
    assert_eq!(got.message.as_deref(), Some("replaced"));

    // Dry run: answered in the events.k8s.io form, nothing stored.
    let dry = new
        .create(&PostParams { dry_run: true, ..Default::default() }, &new_event("e3", "dry"))
        .await
        .expect("dry-run create");
    assert_eq!(dry.note.as_deref(), Some("dry"));
    assert!(core.get_opt("e3").await.expect("get").is_none());

    // Tables through either group.
    let t = table(&client, "/api/v1/namespaces/default/events").await;
    assert!(row_text(&t).contains("replaced") && row_text(&t).contains("pod/web"), "{t}");
    let t = table(&client, "/apis/events.k8s.io/v1/namespaces/default/events").await;
    assert!(row_text(&t).contains("replaced") && row_text(&t).contains("pod/web"), "{t}");

    running.shutdown().await;
}

#[tokio::test]
async fn core_writes_read_through_events_k8s_io() {
    let (running, client, _dir) = server().await;
    let new: Api<NewEvent> = Api::namespaced(client.clone(), "default");
    let core: Api<CoreEvent> = Api::namespaced(client.clone(), "default");
    let mut new_watch =
        new.watch(&WatchParams::default().timeout(20), "0").await.expect("watch").boxed();

    core.create(&PostParams::default(), &core_event("c1", "started")).await.expect("create");

    let got = new.get("c1").await.expect("events.k8s.io get decodes");
    assert_eq!(got.note.as_deref(), Some("started"));
    assert_eq!(got.regarding.as_ref().and_then(|r| r.name.as_deref()), Some("web"));
    assert_eq!(got.deprecated_count, Some(3));
    assert_eq!(
        got.deprecated_source.as_ref().and_then(|s| s.component.as_deref()),
        Some("kubelet")
    );
    assert!(got.deprecated_first_timestamp.is_some() && got.deprecated_last_timestamp.is_some());
    for lp in [ListParams::default(), ListParams::default().match_any()] {
        let list = new.list(&lp).await.expect("events.k8s.io list decodes");
        assert_eq!(list.items.len(), 1);
        assert_eq!(list.items[0].note.as_deref(), Some("started"));
    }
    let sel = ListParams::default().fields("regarding.name=web");
    assert_eq!(new.list(&sel).await.expect("selected").items.len(), 1);
    assert_eq!(new.list(&sel.match_any()).await.expect("selected").items.len(), 1);
    let watched = next_added(&mut new_watch).await;
    assert_eq!(watched.note.as_deref(), Some("started"));

    // A core update shows up in the events.k8s.io watch.
    core.patch(
        "c1",
        &PatchParams::default(),
        &Patch::Merge(json!({"message": "again", "count": 4})),
    )
    .await
    .expect("core patch");
    let watched = next_added(&mut new_watch).await;
    assert_eq!(watched.note.as_deref(), Some("again"));
    assert_eq!(watched.deprecated_count, Some(4));

    // Deletion through events.k8s.io answers in its form.
    new.delete("c1", &Default::default()).await.expect("delete");
    assert!(core.get_opt("c1").await.expect("get").is_none());

    running.shutdown().await;
}

fn res(group: &str) -> &'static ResourceInfo {
    lookup(group, "v1", "events").expect("events")
}

async fn next_event(s: &mut (impl futures::Stream<Item = WatchEvent> + Unpin)) -> Value {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(10), s.next())
            .await
            .expect("event in time")
            .expect("stream open");
        if ev.kind != "BOOKMARK" {
            return serde_json::from_slice(&ev.object).expect("json");
        }
    }
}

/// Events stored in the events.k8s.io form (older data) read correctly through both groups.
#[tokio::test]
async fn events_stored_in_the_events_k8s_io_form_read_through_both_groups() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(dir.path().join("db")).expect("open"));
    let reg = Registry::new(store.clone());
    let old = json!({"metadata": {"name": "old", "namespace": "default", "uid": "u1"},
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "eventTime": "2024-05-01T12:00:00.000000Z", "note": "from before",
        "regarding": {"kind": "Pod", "name": "web", "namespace": "default"},
        "reportingController": "c", "reportingInstance": "i", "action": "A", "reason": "R",
        "type": "Normal"});
    let bytes = krust_apiserver::object::encode(&old).expect("encode");
    store.create(b"/registry/events/default/old", bytes).await.expect("store").expect("created");

    let core = res("");
    let new = res("events.k8s.io");
    let check_core = |v: &Value| {
        assert_eq!(v["apiVersion"], "v1");
        assert_eq!(v["message"], "from before");
        let typed: CoreEvent = serde_json::from_value(v.clone()).expect("core decodes");
        assert_eq!(typed.involved_object.name.as_deref(), Some("web"));
    };
    let check_new = |v: &Value| {
        assert_eq!(v["apiVersion"], "events.k8s.io/v1");
        let typed: NewEvent = serde_json::from_value(v.clone()).expect("events.k8s.io decodes");
        assert_eq!(typed.note.as_deref(), Some("from before"));
    };
    check_core(&reg.get(core, Some("default"), "old").await.expect("get"));
    check_new(&reg.get(new, Some("default"), "old").await.expect("get"));
    for rv in [None, Some("0".to_string())] {
        let opts = ListOptions { resource_version: rv, ..Default::default() };
        let l = reg.list(core, Some("default"), &opts).await.expect("list");
        check_core(&serde_json::from_slice(&l.items[0]).expect("json"));
        let l = reg.list(new, Some("default"), &opts).await.expect("list");
        check_new(&serde_json::from_slice(&l.items[0]).expect("json"));
    }
    let mut w = Box::pin(reg.watch(core, None, WatchOptions::default()).await.expect("watch"));
    check_core(&next_event(&mut w).await);
    let mut w = Box::pin(reg.watch(new, None, WatchOptions::default()).await.expect("watch"));
    check_new(&next_event(&mut w).await);

    // A core update rewrites it in the core form; the events.k8s.io view follows.
    let mut obj = reg.get(core, Some("default"), "old").await.expect("get");
    obj["count"] = json!(2);
    reg.update(core, Some("default"), "old", obj, None, &Default::default()).await.expect("update");
    let kv = store.get(b"/registry/events/default/old").await.expect("get").expect("stored");
    let stored: Value = serde_json::from_slice(&kv.value).expect("json");
    assert_eq!(stored["apiVersion"], "v1");
    assert_eq!(stored["message"], "from before");
    let got = reg.get(new, Some("default"), "old").await.expect("get");
    check_new(&got);
    assert_eq!(got["deprecatedCount"], 2);
}
