//! The API server driven by the real kubectl v1.34, black box: `krust server` in a process,
//! kubectl with the kubeconfig the server wrote.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::Cluster;

const MANIFEST: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  mode: fast
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: shop
stringData:
  password: hunter2
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: v1
kind: Pod
metadata:
  name: solo
  namespace: shop
  labels: {app: solo, tier: backend}
spec:
  containers: [{name: main, image: busybox, command: [sleep, "3600"]}]
"#;

#[test]
fn version_discovery_and_builtin_namespaces() {
    let c = Cluster::start();
    let v = c.ok(&["version"]);
    assert!(v.contains("Server Version: v1.34"), "{v}");
    let res = c.ok(&["api-resources"]);
    for needle in [
        "pods ",
        "deployments ",
        "deploy",
        "apps/v1",
        "leases",
        "coordination.k8s.io/v1",
        "horizontalpodautoscalers",
    ] {
        assert!(res.contains(needle), "api-resources lacks {needle}:\n{res}");
    }
    let ns = c.ok(&["get", "ns"]);
    for n in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(ns.lines().any(|l| l.starts_with(n) && l.contains("Active")), "{ns}");
    }
    let explain = c.ok(&["explain", "pod.spec.containers"]);
    assert!(explain.contains("FIELD: containers <[]Container>"), "{explain}");
    assert!(explain.contains("image"), "{explain}");
}

#[test]
fn create_get_select_and_print() {
    let c = Cluster::start();
    let created = c.ok_stdin(&["create", "-f", "-"], MANIFEST);
    for line in [
        "namespace/shop created",
        "configmap/settings created",
        "secret/creds created",
        "service/web created",
        "deployment.apps/web created",
        "pod/solo created",
    ] {
        assert!(created.contains(line), "{created}");
    }
    let wide = c.ok(&["get", "pods", "-n", "shop", "-o", "wide"]);
    let header = wide.lines().next().unwrap_or_default();
    for col in ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"] {
        assert!(header.contains(col), "{wide}");
    }
    assert!(wide.contains("solo") && wide.contains("Pending"), "{wide}");

    let all = c.ok(&["get", "all", "-A"]);
    for needle in ["pod/solo", "service/web", "deployment.apps/web", "NAMESPACE"] {
        assert!(all.contains(needle), "{all}");
    }

    let yaml = c.ok(&["get", "deploy", "web", "-n", "shop", "-o", "yaml"]);
    for needle in [
        "kind: Deployment",
        "uid:",
        "resourceVersion:",
        "creationTimestamp:",
        "generation: 1",
        "replicas: 2",
    ] {
        assert!(yaml.contains(needle), "{yaml}");
    }
    let json = c.ok(&["get", "svc", "web", "-n", "shop", "-o", "json"]);
    let svc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 8080);
    assert_eq!(svc["metadata"]["namespace"], "shop");

    let names = c.ok(&["get", "pods", "-A", "-o", "jsonpath={.items[*].metadata.name}"]);
    assert_eq!(names.trim(), "solo");
    let by_label = c.ok(&[
        "get",
        "pods",
        "-n",
        "shop",
        "-l",
        "tier in (backend,frontend),app!=web",
        "-o",
        "name",
    ]);
    assert_eq!(by_label.trim(), "pod/solo");
    let none = c.ok(&["get", "pods", "-n", "shop", "-l", "app=web", "-o", "name"]);
    assert_eq!(none.trim(), "");
    let by_field = c.ok(&[
        "get",
        "pods",
        "-A",
        "--field-selector",
        "status.phase=Pending,metadata.namespace=shop",
        "-o",
        "name",
    ]);
    assert_eq!(by_field.trim(), "pod/solo");
    let bad_field = c.fails(&["get", "pods", "--field-selector", "bogus=1"]);
    assert!(
        bad_field.contains("BadRequest") || bad_field.contains("field label not supported"),
        "{bad_field}"
    );

    let described = c.ok(&["describe", "pod", "solo", "-n", "shop"]);
    for needle in [
        "Name:",
        "solo",
        "Namespace:",
        "shop",
        "Status:",
        "Pending",
        "Containers:",
        "main",
        "busybox",
    ] {
        assert!(described.contains(needle), "{described}");
    }
    let missing = c.fails(&["get", "pod", "nope", "-n", "shop"]);
    assert!(missing.contains("Error from server (NotFound): pods \"nope\" not found"), "{missing}");
    assert!(c
        .kubectl(&["get", "pod", "nope", "-n", "shop", "--ignore-not-found"])
        .status
        .success());

    let missing = c.fails(&["get", "pod", "nope", "-n", "shop"]);
    assert!(missing.contains("Error from server (NotFound): pods \"nope\" not found"), "{missing}");
    assert!(c
        .kubectl(&["get", "pod", "nope", "-n", "shop", "--ignore-not-found"])
        .status
        .success());
    // Deleting the namespace empties it, then it goes (kubectl waits for that).
    let out = c.ok(&["delete", "namespace", "shop", "--timeout=30s"]);
    assert!(out.contains("namespace \"shop\" deleted"), "{out}");
    assert!(c.fails(&["get", "namespace", "shop"]).contains("NotFound"));
    assert_eq!(c.ok(&["get", "all", "-n", "shop", "-o", "name"]).trim(), "");
}

#[test]
fn chunked_lists_page_through_everything() {
    let c = Cluster::start();
    let docs: Vec<String> = (0..10)
        .map(|i| format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p-{i:02}\nspec:\n  containers: [{{name: c, image: busybox}}]\n"))
        .collect();
    c.ok_stdin(&["create", "-f", "-"], &docs.join("---\n"));
    let out = c.ok(&["get", "pods", "--chunk-size=2", "-o", "name"]);
    let names: Vec<&str> = out.lines().collect();
    let expected: Vec<String> = (0..10).map(|i| format!("pod/p-{i:02}")).collect();
    assert_eq!(names, expected);
    // The table path pages too.
    let table = c.ok(&["get", "pods", "--chunk-size=2"]);
    assert_eq!(table.lines().filter(|l| l.starts_with("p-")).count(), 10, "{table}");
}

#[test]
fn watch_sees_a_later_change_and_delete_waits_for_deleted() {
    let c = Cluster::start();
    c.ok_stdin(
        &["create", "-f", "-"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n",
    );
    let mut watch = c
        .kubectl_cmd(&["get", "configmaps", "-w", "-o", "name"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl get -w");
    let stdout = watch.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(20)).expect("initial list line");
    assert_eq!(first, "configmap/first");
    c.ok_stdin(
        &["create", "-f", "-"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: later\n",
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while !seen.iter().any(|l: &String| l == "configmap/later") {
        let left = deadline.saturating_duration_since(Instant::now());
        seen.push(
            rx.recv_timeout(left)
                .unwrap_or_else(|_| panic!("no watch event for the later change; saw {seen:?}")),
        );
    }
    let _ = watch.kill();
    let _ = watch.wait();

    // `kubectl delete` waits (by watching) for the object to be gone.
    let out = c.ok(&["delete", "configmap", "later", "--timeout=20s"]);
    assert!(out.contains("configmap \"later\" deleted"), "{out}");
    assert!(c.fails(&["get", "configmap", "later"]).contains("NotFound"));
    c.ok_stdin(
        &["create", "-f", "-"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: another\n",
    );
    let out = c.ok(&["delete", "configmaps", "--all"]);
    assert!(out.contains("\"first\" deleted") && out.contains("\"another\" deleted"), "{out}");
    let left = c.ok(&["get", "configmaps", "-o", "name"]);
    assert_eq!(left.trim(), "");
}

#[test]
fn conflicts_invalid_objects_and_bad_credentials() {
    let c = Cluster::start();
    c.ok_stdin(
        &["create", "-f", "-"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\"\n",
    );
    let json = c.ok(&["get", "configmap", "cfg", "-o", "json"]);
    let mut obj: serde_json::Value = serde_json::from_str(&json).expect("json");
    obj["data"]["a"] = "2".into();
    let current = obj.to_string();
    obj["metadata"]["resourceVersion"] = "1".into();
    let stale = obj.to_string();
    let err = c.fails_stdin(&["replace", "-f", "-"], &stale);
    assert!(err.contains("Conflict") && err.contains("the object has been modified"), "{err}");
    let ok = c.ok_stdin(&["replace", "-f", "-"], &current);
    assert!(ok.contains("configmap/cfg replaced"), "{ok}");
    assert_eq!(c.ok(&["get", "configmap", "cfg", "-o", "jsonpath={.data.a}"]), "2");

    let invalid = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\n  labels: {ok: \"not ok!\"}\nspec:\n  containers: [{name: main, image: busybox}]\n";
    let err = c.fails_stdin(&["create", "-f", "-"], invalid);
    assert!(err.contains("is invalid"), "{err}");
    assert!(err.contains("metadata.name: Invalid value: \"Bad_Name\""), "{err}");
    assert!(
        err.contains("metadata.labels: Invalid value: \"not ok!\""),
        "every field error is reported: {err}"
    );

    let unknown = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\nbogus: 1\n";
    let err = c.fails_stdin(&["create", "-f", "-"], unknown);
    assert!(err.contains("unknown field \"bogus\""), "{err}");

    let bad_kubeconfig = token_kubeconfig(&c, "not-the-token", "bad.kubeconfig");
    let out = c
        .kubectl_cmd(&["get", "pods"])
        .env("KUBECONFIG", &bad_kubeconfig)
        .output()
        .expect("kubectl");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("You must be logged in to the server (Unauthorized)"), "{err}");
}

#[test]
fn typed_client_generators_send_protobuf() {
    let c = Cluster::start();
    assert!(c.ok(&["create", "namespace", "gen"]).contains("namespace/gen created"));
    assert!(c
        .ok(&["create", "configmap", "c1", "-n", "gen", "--from-literal=a=b"])
        .contains("configmap/c1 created"));
    assert!(c
        .ok(&["create", "secret", "generic", "s1", "-n", "gen", "--from-literal=p=q"])
        .contains("secret/s1 created"));
    assert!(c
        .ok(&["create", "deployment", "d1", "-n", "gen", "--image=nginx", "--replicas=2"])
        .contains("deployment.apps/d1 created"));
    assert!(c
        .ok(&["create", "serviceaccount", "sa1", "-n", "gen"])
        .contains("serviceaccount/sa1 created"));
    assert_eq!(c.ok(&["get", "configmap", "c1", "-n", "gen", "-o", "jsonpath={.data.a}"]), "b");
    assert_eq!(
        c.ok(&["get", "secret", "s1", "-n", "gen", "-o", "jsonpath={.data.p}"]),
        "cQ==",
        "base64 of q"
    );
    assert_eq!(c.ok(&["get", "secret", "s1", "-n", "gen", "-o", "jsonpath={.type}"]), "Opaque");
    let d: serde_json::Value =
        serde_json::from_str(&c.ok(&["get", "deploy", "d1", "-n", "gen", "-o", "json"]))
            .expect("json");
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
    assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], "Always");
    assert_eq!(d["spec"]["template"]["spec"]["restartPolicy"], "Always");
    // Typed deletes send protobuf DeleteOptions.
    let out = c.ok(&["delete", "namespace", "gen", "--timeout=30s"]);
    assert!(out.contains("namespace \"gen\" deleted"), "{out}");
}

const APP_V1: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  labels: {part-of: app}
data:
  mode: fast
  level: "1"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  labels: {part-of: app}
spec:
  replicas: 2
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - {name: api, image: "busybox:1.36", command: [sleep, "3600"], env: [{name: A, value: "1"}]}
      - {name: sidecar, image: "busybox:1.36", command: [sleep, "3600"]}
"#;

#[test]
fn apply_patch_label_scale_set_and_diff() {
    let c = Cluster::start();
    let out = c.ok_stdin(&["apply", "-f", "-"], APP_V1);
    assert!(
        out.contains("configmap/app-config created") && out.contains("deployment.apps/app created"),
        "{out}"
    );
    let again = c.ok_stdin(&["apply", "-f", "-"], APP_V1);
    assert!(
        again.contains("configmap/app-config unchanged")
            && again.contains("deployment.apps/app unchanged"),
        "{again}"
    );
    let gen_before = c.ok(&["get", "deploy", "app", "-o", "jsonpath={.metadata.generation}"]);

    // Removing a field from the file removes it from the object; renaming a container merges
    // by name (three-way strategic merge patch).
    let v2 = APP_V1
        .replace("  level: \"1\"\n", "")
        .replace("name: sidecar", "name: helper")
        .replace("replicas: 2", "replicas: 3");
    let out = c.ok_stdin(&["apply", "-f", "-"], &v2);
    assert!(
        out.contains("configmap/app-config configured")
            && out.contains("deployment.apps/app configured"),
        "{out}"
    );
    assert_eq!(c.ok(&["get", "cm", "app-config", "-o", "jsonpath={.data}"]), r#"{"mode":"fast"}"#);
    let names =
        c.ok(&["get", "deploy", "app", "-o", "jsonpath={.spec.template.spec.containers[*].name}"]);
    assert_eq!(names, "api helper");
    assert_eq!(c.ok(&["get", "deploy", "app", "-o", "jsonpath={.spec.replicas}"]), "3");
    let gen_after = c.ok(&["get", "deploy", "app", "-o", "jsonpath={.metadata.generation}"]);
    assert_ne!(gen_before, gen_after, "a spec change bumps generation");

    c.ok(&["label", "deploy", "app", "tier=backend"]);
    c.ok(&["annotate", "cm", "app-config", "owner=team-a"]);
    c.ok(&["scale", "deploy", "app", "--replicas=5"]);
    c.ok(&["set", "image", "deploy/app", "api=busybox:1.37"]);
    c.ok(&["set", "env", "deploy/app", "-c", "api", "B=2"]);
    let d: serde_json::Value =
        serde_json::from_str(&c.ok(&["get", "deploy", "app", "-o", "json"])).expect("json");
    assert_eq!(d["metadata"]["labels"]["tier"], "backend");
    assert_eq!(d["spec"]["replicas"], 5);
    assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["image"], "busybox:1.37");
    let env = d["spec"]["template"]["spec"]["containers"][0]["env"].to_string();
    assert!(env.contains(r#""name":"A""#) && env.contains(r#""name":"B""#), "{env}");
    assert_eq!(
        c.ok(&["get", "cm", "app-config", "-o", "jsonpath={.metadata.annotations.owner}"]),
        "team-a"
    );

    // The three patch types by hand, and one that does not apply.
    c.ok(&[
        "patch",
        "cm",
        "app-config",
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/data/j","value":"1"}]"#,
    ]);
    c.ok(&["patch", "cm", "app-config", "--type=merge", "-p", r#"{"data":{"m":"2"}}"#]);
    c.ok(&["patch", "cm", "app-config", "-p", r#"{"data":{"s":"3","mode":null}}"#]);
    assert_eq!(
        c.ok(&["get", "cm", "app-config", "-o", "jsonpath={.data}"]),
        r#"{"j":"1","m":"2","s":"3"}"#
    );
    let err = c.fails(&[
        "patch",
        "cm",
        "app-config",
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/data/nope"}]"#,
    ]);
    assert!(err.contains("/data/nope"), "the error names the path: {err}");
    assert_eq!(
        c.ok(&["get", "cm", "app-config", "-o", "jsonpath={.data}"]),
        r#"{"j":"1","m":"2","s":"3"}"#,
        "nothing half-applied"
    );

    // diff is a dry run: it shows the change and changes nothing.
    let diff = c.kubectl_stdin(&["diff", "-f", "-"], &v2.replace("replicas: 3", "replicas: 7"));
    let text = String::from_utf8_lossy(&diff.stdout);
    assert!(text.contains("+  replicas: 7"), "{text}");
    assert_eq!(c.ok(&["get", "deploy", "app", "-o", "jsonpath={.spec.replicas}"]), "5");

    // Server-side apply creates and updates.
    let ssa = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  k: v\n";
    assert!(c
        .ok_stdin(&["apply", "--server-side", "-f", "-"], ssa)
        .contains("configmap/ssa serverside-applied"));
    c.ok_stdin(&["apply", "--server-side", "-f", "-"], &ssa.replace("k: v", "k: w"));
    assert_eq!(c.ok(&["get", "cm", "ssa", "-o", "jsonpath={.data.k}"]), "w");

    // replace -f and edit with an editor script.
    let mut cm: serde_json::Value =
        serde_json::from_str(&c.ok(&["get", "cm", "ssa", "-o", "json"])).expect("json");
    cm["data"]["k"] = "replaced".into();
    assert!(c
        .ok_stdin(&["replace", "-f", "-"], &cm.to_string())
        .contains("configmap/ssa replaced"));
    let editor = c.dir.path().join("editor.sh");
    std::fs::write(&editor, "#!/bin/sh\nsed -i 's/replaced/edited/' \"$1\"\n").expect("editor");
    std::process::Command::new("chmod").arg("+x").arg(&editor).status().expect("chmod");
    let out = c.kubectl_cmd(&["edit", "cm", "ssa"]).env("EDITOR", &editor).output().expect("edit");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(c.ok(&["get", "cm", "ssa", "-o", "jsonpath={.data.k}"]), "edited");
}

#[test]
fn nodes_describe_cordon_and_uncordon() {
    let c = Cluster::start();
    let node = r#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"edge-1","labels":{"kubernetes.io/hostname":"edge-1"}},
      "status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"ok",
        "lastHeartbeatTime":"2026-01-01T00:00:00Z","lastTransitionTime":"2026-01-01T00:00:00Z"}],
        "addresses":[{"type":"InternalIP","address":"10.0.0.5"}],
        "capacity":{"cpu":"2","memory":"4Gi","pods":"110"},"allocatable":{"cpu":"2","memory":"4Gi","pods":"110"},
        "nodeInfo":{"machineID":"m","systemUUID":"s","bootID":"b","kernelVersion":"6.1","osImage":"Debian","containerRuntimeVersion":"containerd://1.7",
          "kubeletVersion":"v1.34.0","kubeProxyVersion":"v1.34.0","operatingSystem":"linux","architecture":"amd64"}}}"#;
    c.ok_stdin(&["create", "-f", "-"], node);
    let nodes = c.ok(&["get", "nodes", "-o", "wide"]);
    assert!(
        nodes.contains("edge-1") && nodes.contains("Ready") && nodes.contains("10.0.0.5"),
        "{nodes}"
    );
    let described = c.ok(&["describe", "node", "edge-1"]);
    for needle in [
        "Name:",
        "edge-1",
        "Conditions:",
        "KubeletReady",
        "Addresses:",
        "InternalIP:  10.0.0.5",
        "Capacity:",
    ] {
        assert!(described.contains(needle), "missing {needle:?}:\n{described}");
    }
    assert!(c.ok(&["cordon", "edge-1"]).contains("node/edge-1 cordoned"));
    assert!(c.ok(&["get", "nodes"]).contains("Ready,SchedulingDisabled"));
    assert_eq!(c.ok(&["get", "node", "edge-1", "-o", "jsonpath={.spec.unschedulable}"]), "true");
    assert!(c.ok(&["uncordon", "edge-1"]).contains("node/edge-1 uncordoned"));
    assert_eq!(c.ok(&["get", "node", "edge-1", "-o", "jsonpath={.spec.unschedulable}"]), "");
}

#[test]
fn server_refuses_a_taken_port_and_an_unusable_data_dir() {
    let c = Cluster::start();
    let bin = env!("CARGO_BIN_EXE_krust");
    let out = std::process::Command::new(bin)
        .args([
            "server",
            "--bind-address",
            "127.0.0.1",
            "--https-listen-port",
            &c.port.to_string(),
            "--data-dir",
        ])
        .arg(c.dir.path().join("second"))
        .output()
        .expect("run a second server");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen on") && err.contains("--https-listen-port"), "{err}");

    let file = c.dir.path().join("not-a-dir");
    std::fs::write(&file, "x").expect("file");
    let out = std::process::Command::new(bin)
        .args(["server", "--bind-address", "127.0.0.1", "--https-listen-port", "0", "--data-dir"])
        .arg(&file)
        .output()
        .expect("run with a bad data dir");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("data directory") && err.contains("not-a-dir"), "{err}");
}

/// A kubeconfig for the same server that authenticates with `token` instead of the admin
/// client certificate.
fn token_kubeconfig(c: &Cluster, token: &str, file: &str) -> std::path::PathBuf {
    let good = std::fs::read_to_string(&c.kubeconfig).expect("kubeconfig");
    let mut out = String::new();
    for line in good.lines() {
        let t = line.trim_start();
        if t.starts_with("client-certificate-data") || t.starts_with("client-key-data") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if line.trim() == "user:" {
            out.push_str(&format!("    token: {token}\n"));
        }
    }
    let path = c.dir.path().join(file);
    std::fs::write(&path, out).expect("write kubeconfig");
    path
}

#[test]
fn binding_eviction_and_service_account_tokens() {
    let c = Cluster::start();
    c.ok_stdin(
        &["create", "-f", "-"],
        r#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"edge"}}"#,
    );
    c.ok_stdin(&["create", "-f", "-"], "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {app: p}\nspec:\n  containers: [{name: c, image: busybox}]\n");
    let binding = r#"{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"apiVersion":"v1","kind":"Node","name":"edge"}}"#;
    c.ok_stdin(
        &["create", "--raw", "/api/v1/namespaces/default/pods/p/binding", "-f", "-"],
        binding,
    );
    assert_eq!(c.ok(&["get", "pod", "p", "-o", "jsonpath={.spec.nodeName}"]), "edge");
    assert_eq!(
        c.ok(&[
            "get",
            "pod",
            "p",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].status}"
        ]),
        "True"
    );
    let err = c.fails_stdin(
        &["create", "--raw", "/api/v1/namespaces/default/pods/p/binding", "-f", "-"],
        binding,
    );
    assert!(err.contains("already assigned to node"), "{err}");

    // A PodDisruptionBudget that allows no disruption refuses the eviction (429)...
    c.ok_stdin(&["create", "-f", "-"], "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: keep\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: p}}\n");
    let eviction = r#"{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p"},"deleteOptions":{"gracePeriodSeconds":0}}"#;
    let err = c.fails_stdin(
        &["create", "--raw", "/api/v1/namespaces/default/pods/p/eviction", "-f", "-"],
        eviction,
    );
    assert!(err.contains("disruption budget"), "{err}");
    assert!(c.kubectl(&["get", "pod", "p"]).status.success(), "the pod is still there");
    // ...and one that allows it lets it through, spending the allowance.
    c.ok(&["patch", "pdb", "keep", "--subresource=status", "--type=merge", "-p",
        r#"{"status":{"disruptionsAllowed":1,"currentHealthy":1,"desiredHealthy":1,"expectedPods":1,"observedGeneration":1}}"#]);
    c.ok_stdin(
        &["create", "--raw", "/api/v1/namespaces/default/pods/p/eviction", "-f", "-"],
        eviction,
    );
    assert!(c.fails(&["get", "pod", "p"]).contains("NotFound"));
    assert_eq!(c.ok(&["get", "pdb", "keep", "-o", "jsonpath={.status.disruptionsAllowed}"]), "0");

    // ServiceAccount tokens: issued by TokenRequest, accepted as bearer tokens, and worthless
    // once the service account is gone.
    c.ok(&["create", "serviceaccount", "robot"]);
    let token = c.ok(&["create", "token", "robot"]).trim().to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let kc = token_kubeconfig(&c, &token, "robot.kubeconfig");
    let out = c
        .kubectl_cmd(&["get", "serviceaccount", "robot", "-o", "name"])
        .env("KUBECONFIG", &kc)
        .output()
        .expect("kubectl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let whoami = c
        .kubectl_cmd(&["get", "--raw", "/version"])
        .env("KUBECONFIG", &kc)
        .output()
        .expect("kubectl");
    assert!(whoami.status.success());
    c.ok(&["delete", "serviceaccount", "robot"]);
    let out = c.kubectl_cmd(&["get", "pods"]).env("KUBECONFIG", &kc).output().expect("kubectl");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unauthorized"));
    let short = c.fails(&["create", "token", "default-missing"]);
    assert!(short.contains("NotFound") || short.contains("not found"), "{short}");
}

#[test]
fn server_side_apply_owns_fields_conflicts_and_removes() {
    let c = Cluster::start();
    let cm = |data: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\ndata:\n{data}")
    };
    c.ok_stdin(
        &["apply", "--server-side", "--field-manager=alice", "-f", "-"],
        &cm("  k: a\n  extra: x\n"),
    );
    let err = c.fails_stdin(
        &["apply", "--server-side", "--field-manager=bob", "-f", "-"],
        &cm("  k: b\n"),
    );
    assert!(err.contains("conflict with \"alice\"") && err.contains(".data.k"), "{err}");
    assert!(
        err.contains("--force-conflicts"),
        "kubectl's advice follows the FieldManagerConflict causes: {err}"
    );
    assert_eq!(
        c.ok(&["get", "cm", "owned", "-o", "jsonpath={.data.k}"]),
        "a",
        "a conflict changes nothing"
    );
    c.ok_stdin(
        &["apply", "--server-side", "--field-manager=bob", "--force-conflicts", "-f", "-"],
        &cm("  k: b\n"),
    );
    assert_eq!(c.ok(&["get", "cm", "owned", "-o", "jsonpath={.data.k}"]), "b");
    let managers = c.ok(&[
        "get",
        "cm",
        "owned",
        "--show-managed-fields",
        "-o",
        "jsonpath={.metadata.managedFields[*].manager}",
    ]);
    assert!(managers.contains("alice") && managers.contains("bob"), "{managers}");
    // alice stops applying `extra` (she still owns it alone): it is removed.
    c.ok_stdin(
        &["apply", "--server-side", "--field-manager=alice", "-f", "-"],
        &cm("  other: \"y\"\n"),
    );
    let data = c.ok(&["get", "cm", "owned", "-o", "jsonpath={.data}"]);
    assert_eq!(data, r#"{"k":"b","other":"y"}"#);
    // A later plain update by another manager takes ownership of what it changes.
    c.ok(&[
        "patch",
        "cm",
        "owned",
        "--type=merge",
        "-p",
        r#"{"data":{"other":"z"}}"#,
        "--field-manager=ops",
    ]);
    let err = c.fails_stdin(
        &["apply", "--server-side", "--field-manager=alice", "-f", "-"],
        &cm("  other: \"y\"\n"),
    );
    assert!(err.contains("conflict with \"ops\""), "{err}");
}

#[test]
fn apply_prune_deletes_what_left_the_files() {
    let c = Cluster::start();
    let two = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n  labels: {set: p}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\n  labels: {set: p}\n";
    c.ok_stdin(&["apply", "-f", "-"], two);
    let one = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n  labels: {set: p}\n";
    let out = c.ok_stdin(
        &["apply", "--prune", "-l", "set=p", "--prune-allowlist=core/v1/ConfigMap", "-f", "-"],
        one,
    );
    assert!(out.contains("configmap/two pruned"), "{out}");
    assert_eq!(c.ok(&["get", "cm", "-l", "set=p", "-o", "name"]).trim(), "configmap/one");
}
