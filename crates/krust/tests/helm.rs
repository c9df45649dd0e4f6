//! helm v4 (its defaults: server-side apply, protobuf release Secrets) against `krust server`.

mod support;

use std::process::Command;

use support::{client, Cluster};

const CHART: &[(&str, &str)] = &[
    ("Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n"),
    ("values.yaml", "replicas: 1\nmessage: hello\n"),
    (
        "templates/all.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  message: {{ .Values.message | quote }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-secret
stringData:
  token: s3cret
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-svc
spec:
  selector: {app: {{ .Release.Name }}}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}}}
    spec:
      containers: [{name: web, image: "busybox:1.36", command: [sleep, "3600"]}]
"#,
    ),
];

#[test]
fn helm_install_upgrade_rollback_uninstall() {
    let c = Cluster::start();
    let chart = c.dir.path().join("chart");
    for (path, text) in CHART {
        let p = chart.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write chart");
    }
    let helm = |args: &[&str]| -> String {
        let out = Command::new(client("helm"))
            .args(args)
            .env("KUBECONFIG", &c.kubeconfig)
            .env("HOME", c.dir.path())
            .env("HELM_CACHE_HOME", c.dir.path().join("helm-cache"))
            .env("HELM_CONFIG_HOME", c.dir.path().join("helm-config"))
            .env("HELM_DATA_HOME", c.dir.path().join("helm-data"))
            .output()
            .expect("run helm");
        assert!(
            out.status.success(),
            "helm {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let chart = chart.to_string_lossy().into_owned();
    assert!(helm(&["install", "demo", &chart]).contains("STATUS: deployed"));
    assert!(helm(&["list"]).contains("demo-0.1.0"));
    assert_eq!(c.ok(&["get", "cm", "demo-config", "-o", "jsonpath={.data.message}"]), "hello");
    assert_eq!(c.ok(&["get", "secret", "demo-secret", "-o", "jsonpath={.data.token}"]), "czNjcmV0");
    // The release record is a Secret of type helm.sh/release.v1.
    assert!(c
        .ok(&["get", "secrets", "-l", "owner=helm", "-o", "name"])
        .contains("sh.helm.release.v1.demo.v1"));

    helm(&["upgrade", "demo", &chart, "--set", "replicas=3", "--set", "message=bye"]);
    assert_eq!(c.ok(&["get", "deploy", "demo-web", "-o", "jsonpath={.spec.replicas}"]), "3");
    assert_eq!(c.ok(&["get", "cm", "demo-config", "-o", "jsonpath={.data.message}"]), "bye");

    helm(&["rollback", "demo", "1"]);
    assert_eq!(c.ok(&["get", "deploy", "demo-web", "-o", "jsonpath={.spec.replicas}"]), "1");
    assert_eq!(c.ok(&["get", "cm", "demo-config", "-o", "jsonpath={.data.message}"]), "hello");
    let status = helm(&["status", "demo"]);
    assert!(status.contains("STATUS: deployed") && status.contains("REVISION: 3"), "{status}");

    helm(&["uninstall", "demo"]);
    assert_eq!(c.ok(&["get", "all", "-o", "name"]).trim(), "");
    assert!(!helm(&["list"]).contains("demo"));

    // `--wait` watches the release's objects (WatchList) until they are ready. Without a
    // Deployment (whose readiness needs controllers and a kubelet) it completes.
    let config_only = c.dir.path().join("config-only");
    std::fs::create_dir_all(config_only.join("templates")).expect("mkdir");
    std::fs::write(
        config_only.join("Chart.yaml"),
        "apiVersion: v2\nname: config-only\nversion: 0.1.0\n",
    )
    .expect("chart");
    let all = CHART[2].1;
    let without_deployment = &all[..all.find("---\napiVersion: apps/v1").expect("deployment doc")];
    std::fs::write(config_only.join("templates/all.yaml"), without_deployment).expect("templates");
    let out =
        helm(&["install", "waited", &config_only.to_string_lossy(), "--wait", "--timeout", "60s"]);
    assert!(out.contains("STATUS: deployed"), "{out}");
}
