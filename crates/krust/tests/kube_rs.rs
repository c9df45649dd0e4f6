//! The API server driven by kube-rs 5 (`kube` client and runtime, k8s-openapi 0.29 `v1_34`),
//! black box: `krust server` in a process, a `kube::Client` built from the kubeconfig the server
//! wrote. Each test starts its own server, so one failing area does not hide another.
//!
//! kube-rs deserializes every response into the typed k8s-openapi structs, sends no `Accept` on
//! most requests, paginates lists (`limit=500`), and its watcher relies on bookmarks and, with
//! `streaming_lists()`, on the `k8s.io/initial-events-end` bookmark.

mod support;

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{Stream, StreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, ResourceExt};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{GroupVersionKind, PartialObjectMeta};
use kube::discovery::{Discovery, Scope};
use kube::runtime::{reflector, watcher, WatchStreamExt};
use kube::{Client, Config};
use serde_json::json;
use support::Cluster;

/// Bound on any single request or awaited event.
const STEP: Duration = Duration::from_secs(20);

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, f).await.unwrap_or_else(|_| panic!("{what}: no answer in {STEP:?}"))
}

/// Awaits `f`, failing the test with the error (and the server log tail) if it fails.
async fn ok<T, E: std::fmt::Debug>(
    c: &Cluster,
    what: &str,
    f: impl Future<Output = Result<T, E>>,
) -> T {
    match within(what, f).await {
        Ok(v) => v,
        Err(e) => panic!("{what} failed: {e:?}\nserver log tail:\n{}", tail(&c.server_log(), 30)),
    }
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

async fn client(c: &Cluster) -> Client {
    let kubeconfig = Kubeconfig::read_from(&c.kubeconfig).expect("read kubeconfig");
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("config from kubeconfig");
    Client::try_from(config).expect("client")
}

fn pod(name: &str, labels: serde_json::Value) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "main", "image": "busybox:1.36", "command": ["sleep", "3600"]}]}
    }))
    .expect("pod")
}

fn deployment(name: &str, replicas: i32, image: &str) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": image}]}
            }
        }
    }))
    .expect("deployment")
}

fn configmap(name: &str) -> ConfigMap {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name},
        "data": {"k": "v"}
    }))
    .expect("configmap")
}

fn names<K: ResourceExt>(items: &[K]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|o| o.name_any()).collect();
    v.sort();
    v
}

fn is_status(e: &kube::Error, code: u16) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == code)
}

#[tokio::test]
async fn pods_create_get_list_replace_delete() {
    let c = Cluster::start();
    let pods: Api<Pod> = Api::default_namespaced(client(&c).await);
    let pp = PostParams::default();
    for (name, tier) in [("web-1", "web"), ("web-2", "web"), ("db-1", "db")] {
        let created = ok(
            &c,
            "create pod",
            pods.create(&pp, &pod(name, json!({"app": "shop", "tier": tier}))),
        )
        .await;
        assert_eq!(created.name_any(), name);
        assert_eq!(created.namespace().as_deref(), Some("default"));
        assert!(created.uid().is_some() && created.resource_version().is_some(), "{created:?}");
    }
    let dup = within("duplicate create", pods.create(&pp, &pod("web-1", json!({})))).await;
    assert!(dup.as_ref().is_err_and(|e| is_status(e, 409)), "duplicate create: {dup:?}");

    let got = ok(&c, "get pod", pods.get("web-1")).await;
    assert_eq!(got.labels().get("tier").map(String::as_str), Some("web"));

    let all = ok(&c, "list pods", pods.list(&ListParams::default())).await;
    assert_eq!(names(&all.items), ["db-1", "web-1", "web-2"]);
    let web = ok(&c, "list tier=web", pods.list(&ListParams::default().labels("tier=web"))).await;
    assert_eq!(names(&web.items), ["web-1", "web-2"]);
    let not_web =
        ok(&c, "list tier!=web", pods.list(&ListParams::default().labels("app=shop,tier!=web")))
            .await;
    assert_eq!(names(&not_web.items), ["db-1"]);

    // Pagination, as Api::list sends it (`?&limit=N`, then `continue`).
    let page1 = ok(&c, "list limit=2", pods.list(&ListParams::default().limit(2))).await;
    assert_eq!(page1.items.len(), 2);
    let token = page1.metadata.continue_.clone().expect("continue token");
    let page2 =
        ok(&c, "list continue", pods.list(&ListParams::default().limit(2).continue_token(&token)))
            .await;
    let mut both = page1.items.clone();
    both.extend(page2.items);
    assert_eq!(names(&both), ["db-1", "web-1", "web-2"]);

    let mut edited = got.clone();
    edited.labels_mut().insert("extra".into(), "yes".into());
    let replaced = ok(&c, "replace pod", pods.replace("web-1", &pp, &edited)).await;
    assert_eq!(replaced.labels().get("extra").map(String::as_str), Some("yes"));
    assert_ne!(replaced.resource_version(), got.resource_version());
    let stale = within("stale replace", pods.replace("web-1", &pp, &edited)).await;
    assert!(stale.as_ref().is_err_and(|e| is_status(e, 409)), "stale replace: {stale:?}");

    let deleted = ok(&c, "delete pod", pods.delete("web-1", &DeleteParams::default())).await;
    // An unscheduled pod goes at once: the answer is the object (Left) or a Status (Right).
    let _ = deleted;
    let missing = within("get deleted pod", pods.get("web-1")).await;
    assert!(missing.as_ref().is_err_and(|e| is_status(e, 404)), "get after delete: {missing:?}");
    let opt = ok(&c, "get_opt deleted pod", pods.get_opt("web-1")).await;
    assert!(opt.is_none());
    let gone = within("delete missing pod", pods.delete("web-1", &DeleteParams::default())).await;
    assert!(gone.as_ref().is_err_and(|e| is_status(e, 404)), "delete missing: {gone:?}");
    let left = ok(&c, "list after delete", pods.list(&ListParams::default())).await;
    assert_eq!(names(&left.items), ["db-1", "web-2"]);
}

#[tokio::test]
async fn deployments_create_get_list_replace_delete() {
    let c = Cluster::start();
    let client = client(&c).await;
    let deps: Api<Deployment> = Api::default_namespaced(client.clone());
    let pp = PostParams::default();
    let created =
        ok(&c, "create deployment", deps.create(&pp, &deployment("web", 2, "nginx:1.27"))).await;
    assert_eq!(created.metadata.generation, Some(1));
    ok(&c, "create deployment 2", deps.create(&pp, &deployment("api", 1, "nginx:1.27"))).await;

    let got = ok(&c, "get deployment", deps.get("web")).await;
    assert_eq!(got.spec.as_ref().and_then(|s| s.replicas), Some(2));
    let listed = ok(&c, "list deployments", deps.list(&ListParams::default())).await;
    assert_eq!(names(&listed.items), ["api", "web"]);
    let sel = ok(&c, "list app=web", deps.list(&ListParams::default().labels("app=web"))).await;
    assert_eq!(names(&sel.items), ["web"]);
    let everywhere: Api<Deployment> = Api::all(client);
    let all = ok(&c, "list all deployments", everywhere.list(&ListParams::default())).await;
    assert_eq!(names(&all.items), ["api", "web"]);

    let mut edited = got.clone();
    let spec = edited.spec.as_mut().expect("spec");
    spec.replicas = Some(3);
    spec.template.spec.as_mut().expect("pod spec").containers[0].image = Some("nginx:1.28".into());
    let replaced = ok(&c, "replace deployment", deps.replace("web", &pp, &edited)).await;
    assert_eq!(replaced.spec.as_ref().and_then(|s| s.replicas), Some(3));
    assert_eq!(replaced.metadata.generation, Some(2), "a spec change bumps generation");

    ok(&c, "get deployment status", deps.get_status("web")).await;
    // A replace with the stale resourceVersion is a conflict.
    let stale = within("stale replace", deps.replace("web", &pp, &edited)).await;
    assert!(stale.as_ref().is_err_and(|e| is_status(e, 409)), "stale replace: {stale:?}");
    ok(&c, "delete deployment", deps.delete("web", &DeleteParams::default())).await;
    let left = ok(&c, "list after delete", deps.list(&ListParams::default())).await;
    assert_eq!(names(&left.items), ["api"]);
}

/// KNOWN SERVER GAP (fails until implemented): discovery lists `deployments/scale` with verbs
/// get/patch/update, but GET and PUT on it answer 405 "the deployments/scale subresource does
/// not support GET in this krust server yet".
#[tokio::test]
async fn deployment_scale_subresource() {
    let c = Cluster::start();
    let deps: Api<Deployment> = Api::default_namespaced(client(&c).await);
    let pp = PostParams::default();
    ok(&c, "create deployment", deps.create(&pp, &deployment("web", 2, "nginx:1.27"))).await;
    let mut scale = ok(&c, "get_scale", deps.get_scale("web")).await;
    assert_eq!(scale.spec.as_ref().and_then(|s| s.replicas), Some(2));
    assert_eq!(scale.metadata.name.as_deref(), Some("web"));
    scale.spec.get_or_insert_with(Default::default).replicas = Some(5);
    let replaced = ok(&c, "replace_scale", deps.replace_scale("web", &pp, &scale)).await;
    assert_eq!(replaced.spec.as_ref().and_then(|s| s.replicas), Some(5));
    let got = ok(&c, "get deployment", deps.get("web")).await;
    assert_eq!(got.spec.as_ref().and_then(|s| s.replicas), Some(5));
}

/// Takes the next watcher event, failing on an error or when none comes in time.
async fn next_event<K: std::fmt::Debug>(
    c: &Cluster,
    stream: &mut (impl Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Unpin),
    waiting_for: &str,
) -> watcher::Event<K> {
    match tokio::time::timeout(STEP, stream.next()).await {
        Err(_) => panic!(
            "watcher: no event in {STEP:?} while waiting for {waiting_for}\nserver log tail:\n{}",
            tail(&c.server_log(), 30)
        ),
        Ok(None) => panic!("watcher stream ended while waiting for {waiting_for}"),
        Ok(Some(Err(e))) => panic!(
            "watcher error while waiting for {waiting_for}: {e:?}\nserver log tail:\n{}",
            tail(&c.server_log(), 30)
        ),
        Ok(Some(Ok(ev))) => ev,
    }
}

/// A watcher started after `early` exists: sees it in the initial list, then an `Apply` for a
/// pod created afterwards and a `Delete` once that pod is deleted.
async fn watcher_sees_apply_and_delete(config: watcher::Config) {
    let c = Cluster::start();
    let pods: Api<Pod> = Api::default_namespaced(client(&c).await);
    let pp = PostParams::default();
    ok(&c, "create early", pods.create(&pp, &pod("early", json!({"app": "w"})))).await;
    let mut stream = watcher(pods.clone(), config).boxed();

    let mut initial = Vec::new();
    loop {
        match next_event(&c, &mut stream, "the initial list").await {
            watcher::Event::Init => {}
            watcher::Event::InitApply(p) => initial.push(p.name_any()),
            watcher::Event::InitDone => break,
            other => panic!("unexpected event before InitDone: {other:?}"),
        }
    }
    assert_eq!(initial, ["early"]);

    ok(&c, "create late", pods.create(&pp, &pod("late", json!({"app": "w"})))).await;
    loop {
        match next_event(&c, &mut stream, "Apply(late)").await {
            watcher::Event::Apply(p) if p.name_any() == "late" => break,
            watcher::Event::Apply(p) if p.name_any() == "early" => {}
            other => panic!("unexpected event while waiting for Apply(late): {other:?}"),
        }
    }
    ok(&c, "delete late", pods.delete("late", &DeleteParams::default())).await;
    loop {
        match next_event(&c, &mut stream, "Delete(late)").await {
            watcher::Event::Delete(p) if p.name_any() == "late" => break,
            // A graceful deletion would show as an update first.
            watcher::Event::Apply(p) if p.name_any() == "late" => {}
            other => panic!("unexpected event while waiting for Delete(late): {other:?}"),
        }
    }
}

/// KNOWN SERVER BUG (fails until fixed): the watcher lists (`?&limit=500`, served from the
/// store), the test then creates a pod, and only then does the watcher send its watch
/// (`resourceVersion=<list rv>`). That is the first watch of pods, so the server starts the pods
/// watch cache right then, at the store's current revision, and answers the older
/// resourceVersion with a 410 Expired ERROR event (`too old resource version: 6 (7)`), which the
/// watcher yields as an error. See `Cacher::watch` / `Registry::cacher` in the apiserver crate.
#[tokio::test]
async fn watcher_list_then_watch() {
    watcher_sees_apply_and_delete(watcher::Config::default()).await;
}

#[tokio::test]
async fn watcher_streaming_lists() {
    watcher_sees_apply_and_delete(watcher::Config::default().streaming_lists()).await;
}

/// Polls `cond` (a check of local state, no request) until it holds or the step deadline passes.
async fn eventually(what: &str, mut cond: impl FnMut() -> Result<(), String>) {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        match cond() {
            Ok(()) => return,
            Err(e) if tokio::time::Instant::now() >= deadline => panic!("{what}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

#[tokio::test]
async fn reflector_store_converges() {
    let c = Cluster::start();
    let client = client(&c).await;
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let pp = PostParams::default();
    ok(&c, "create a", pods.create(&pp, &pod("a", json!({"app": "r"})))).await;

    let (reader, writer) = reflector::store::<Pod>();
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let errs = errors.clone();
    // Watch errors are retried (with backoff, as applications run it) and recorded: the store
    // must converge regardless. (A 410 right after the initial list is the watch-cache bug that
    // `watcher_list_then_watch` pins down; here it would only make the watcher relist.)
    let stream =
        reflector(writer, watcher(pods.clone(), watcher::Config::default()).default_backoff());
    let task = tokio::spawn(async move {
        let mut stream = stream.applied_objects().boxed();
        while let Some(item) = stream.next().await {
            if let Err(e) = item {
                errs.lock().expect("lock").push(format!("{e:?}"));
            }
        }
    });
    let check = |want: &[&str]| {
        let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
        let errors = errors.clone();
        let reader = reader.clone();
        move || {
            let have: BTreeSet<String> = reader.state().iter().map(|p| p.name_any()).collect();
            if have == want {
                Ok(())
            } else {
                let errs = errors.lock().expect("lock");
                Err(format!("store has {have:?}, want {want:?}; watcher errors: {errs:?}"))
            }
        }
    };
    within("reflector ready", reader.wait_until_ready()).await.expect("writer dropped");
    eventually("initial state", check(&["a"])).await;

    ok(&c, "create b", pods.create(&pp, &pod("b", json!({"app": "r"})))).await;
    ok(&c, "create c", pods.create(&pp, &pod("c", json!({"app": "r"})))).await;
    eventually("after creates", check(&["a", "b", "c"])).await;

    let mut b = ok(&c, "get b", pods.get("b")).await;
    b.labels_mut().insert("v".into(), "2".into());
    ok(&c, "replace b", pods.replace("b", &pp, &b)).await;
    let reader2 = reader.clone();
    eventually("after replace", move || {
        let key = reflector::ObjectRef::new("b").within("default");
        match reader2.get(&key) {
            Some(p) if p.labels().get("v").map(String::as_str) == Some("2") => Ok(()),
            other => Err(format!("b in store: {:?}", other.map(|p| p.labels().clone()))),
        }
    })
    .await;

    ok(&c, "delete a", pods.delete("a", &DeleteParams::default())).await;
    eventually("after delete", check(&["b", "c"])).await;
    task.abort();
    let errs = errors.lock().expect("lock");
    if !errs.is_empty() {
        eprintln!("reflector: the watcher recovered from these errors: {errs:?}");
    }
}

#[tokio::test]
async fn configmaps_all_namespaces() {
    let c = Cluster::start();
    let client = client(&c).await;
    let pp = PostParams::default();
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    let ns: k8s_openapi::api::core::v1::Namespace =
        serde_json::from_value(json!({"metadata": {"name": "other"}})).expect("namespace");
    ok(&c, "create namespace", namespaces.create(&pp, &ns)).await;
    ok(
        &c,
        "create cm default",
        Api::<ConfigMap>::default_namespaced(client.clone()).create(&pp, &configmap("one")),
    )
    .await;
    ok(
        &c,
        "create cm other",
        Api::<ConfigMap>::namespaced(client.clone(), "other").create(&pp, &configmap("two")),
    )
    .await;

    let all: Api<ConfigMap> = Api::all(client);
    let list = ok(&c, "list all configmaps", all.list(&ListParams::default())).await;
    let mine: BTreeSet<(String, String)> = list
        .items
        .iter()
        .filter(|cm| cm.name_any() == "one" || cm.name_any() == "two")
        .map(|cm| (cm.namespace().unwrap_or_default(), cm.name_any()))
        .collect();
    assert_eq!(
        mine,
        BTreeSet::from([
            ("default".to_string(), "one".to_string()),
            ("other".to_string(), "two".to_string())
        ])
    );
    assert!(list.metadata.resource_version.is_some(), "list has no resourceVersion");
}

async fn check_discovery(c: &Cluster, discovery: &Discovery) {
    assert!(discovery.has_group("apps"), "no apps group");
    let (ar, caps) =
        discovery.resolve_gvk(&GroupVersionKind::gvk("apps", "v1", "Deployment")).unwrap_or_else(
            || panic!("apps/v1 Deployment not discovered\n{}", tail(&c.server_log(), 10)),
        );
    assert_eq!(ar.plural, "deployments");
    assert_eq!(caps.scope, Scope::Namespaced);
    assert!(caps.operations.iter().any(|v| v == "watch"), "{:?}", caps.operations);
    assert!(
        caps.subresources.iter().any(|(r, _)| r.plural == "scale" || r.plural.ends_with("scale")),
        "{caps:?}"
    );
    let (pod, pod_caps) = discovery
        .resolve_gvk(&GroupVersionKind::gvk("", "v1", "Pod"))
        .expect("core v1 Pod discovered");
    assert_eq!(pod.plural, "pods");
    assert_eq!(pod_caps.scope, Scope::Namespaced);
    let (ns, ns_caps) = discovery
        .resolve_gvk(&GroupVersionKind::gvk("", "v1", "Namespace"))
        .expect("Namespace discovered");
    assert_eq!(ns.plural, "namespaces");
    assert_eq!(ns_caps.scope, Scope::Cluster);
}

#[tokio::test]
async fn discovery_legacy_and_aggregated() {
    let c = Cluster::start();
    let client = client(&c).await;
    let legacy = ok(&c, "Discovery::run", Discovery::new(client.clone()).run()).await;
    check_discovery(&c, &legacy).await;
    let aggregated =
        ok(&c, "Discovery::run_aggregated", Discovery::new(client).run_aggregated()).await;
    check_discovery(&c, &aggregated).await;
}

#[tokio::test]
async fn metadata_api() {
    let c = Cluster::start();
    let client = client(&c).await;
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let pp = PostParams::default();
    ok(&c, "create m1", pods.create(&pp, &pod("m1", json!({"app": "m"})))).await;
    ok(&c, "create m2", pods.create(&pp, &pod("m2", json!({"app": "other"})))).await;

    let one = ok(&c, "get_metadata", pods.get_metadata("m1")).await;
    assert_eq!(one.metadata.name.as_deref(), Some("m1"));
    assert_eq!(
        one.metadata.labels.as_ref().and_then(|l| l.get("app")).map(String::as_str),
        Some("m")
    );
    assert!(one.metadata.uid.is_some() && one.metadata.resource_version.is_some(), "{one:?}");
    let types = one.types.as_ref().expect("get_metadata: no apiVersion/kind");
    assert_eq!(types.kind, "PartialObjectMetadata");
    assert_eq!(types.api_version, "meta.k8s.io/v1");

    let list = ok(&c, "list_metadata", pods.list_metadata(&ListParams::default())).await;
    assert_eq!(names(&list.items), ["m1", "m2"]);
    let sel =
        ok(&c, "list_metadata app=m", pods.list_metadata(&ListParams::default().labels("app=m")))
            .await;
    assert_eq!(names(&sel.items), ["m1"]);
    for item in &list.items {
        assert!(item.metadata.uid.is_some(), "{item:?}");
    }
    let missing = within("get_metadata missing", pods.get_metadata("nope")).await;
    assert!(missing.as_ref().is_err_and(|e| is_status(e, 404)), "{missing:?}");

    // A watcher on `Api<PartialObjectMeta<Pod>>` (what replaced `metadata_watcher`): the watch
    // also asks for PartialObjectMetadata. Streaming lists, so the watch is open once InitDone
    // arrives and a pod created then must show as an Apply.
    let meta_api: Api<PartialObjectMeta<Pod>> = Api::default_namespaced(client);
    let mut stream = watcher(meta_api, watcher::Config::default().streaming_lists()).boxed();
    let mut initial = Vec::new();
    loop {
        match next_event(&c, &mut stream, "the initial metadata events").await {
            watcher::Event::Init => {}
            watcher::Event::InitApply(m) => initial.push(m.name_any()),
            watcher::Event::InitDone => break,
            other => panic!("unexpected event before InitDone: {other:?}"),
        }
    }
    initial.sort();
    assert_eq!(initial, ["m1", "m2"]);
    ok(&c, "create m3", pods.create(&pp, &pod("m3", json!({"app": "m"})))).await;
    match next_event(&c, &mut stream, "Apply(m3)").await {
        watcher::Event::Apply(m) if m.name_any() == "m3" => {
            assert!(m.metadata.uid.is_some(), "{m:?}");
        }
        other => panic!("unexpected event while waiting for Apply(m3): {other:?}"),
    }
}

#[tokio::test]
async fn patches_apply_strategic_and_json() {
    let c = Cluster::start();
    let client = client(&c).await;
    let api: Api<Deployment> = Api::namespaced(client, "default");
    // Server-side apply creates, then updates; a second manager conflicts unless forced.
    let applied = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "rs"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "rs"}},
                 "template": {"metadata": {"labels": {"app": "rs"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}});
    let d = api
        .patch("rs", &PatchParams::apply("kube-rs-test"), &Patch::Apply(&applied))
        .await
        .expect("apply creates");
    assert_eq!(d.spec.as_ref().and_then(|s| s.replicas), Some(1));
    let managers: Vec<String> = d
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.manager)
        .collect();
    assert_eq!(managers, vec!["kube-rs-test".to_string()]);
    let mut other = applied.clone();
    other["spec"]["replicas"] = json!(4);
    let err = api
        .patch("rs", &PatchParams::apply("someone-else"), &Patch::Apply(&other))
        .await
        .expect_err("conflict");
    assert!(is_status(&err, 409), "{err:?}");
    let d = api
        .patch("rs", &PatchParams::apply("someone-else").force(), &Patch::Apply(&other))
        .await
        .expect("forced");
    assert_eq!(d.spec.as_ref().and_then(|s| s.replicas), Some(4));
    // Strategic merge: containers merge by name.
    let smp = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "env": [{"name": "A", "value": "1"}]}]}}}});
    let d =
        api.patch("rs", &PatchParams::default(), &Patch::Strategic(&smp)).await.expect("strategic");
    let c0 =
        &d.spec.as_ref().expect("spec").template.spec.as_ref().expect("pod spec").containers[0];
    assert_eq!(c0.image.as_deref(), Some("nginx"));
    assert_eq!(c0.env.as_ref().map(|e| e.len()), Some(1));
    // JSON patch.
    let ops: json_patch::Patch =
        serde_json::from_value(json!([{"op": "replace", "path": "/spec/replicas", "value": 2}]))
            .expect("ops");
    let d = api
        .patch("rs", &PatchParams::default(), &Patch::<()>::Json(ops))
        .await
        .expect("json patch");
    assert_eq!(d.spec.as_ref().and_then(|s| s.replicas), Some(2));
}
