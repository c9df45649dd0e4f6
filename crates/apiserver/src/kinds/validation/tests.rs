//! Validation through the whole decode → default → validate pipeline.

use serde_json::{json, Value};

use crate::errors::FieldError;
use crate::kinds::normalize;
use crate::resources::lookup;

fn run(group: &str, plural: &str, obj: Value, old: Option<&Value>) -> (Value, Vec<FieldError>) {
    let version = match group {
        "autoscaling" => "v2",
        _ => "v1",
    };
    let res = lookup(group, version, plural).expect("known resource");
    let (n, errs) = normalize(res, obj, old).expect("decodes");
    (n.object, errs)
}

fn check(group: &str, plural: &str, obj: Value) -> Vec<FieldError> {
    run(group, plural, obj, None).1
}

fn update(group: &str, plural: &str, old: Value, new: Value) -> Vec<FieldError> {
    let (stored, errs) = run(group, plural, old, None);
    assert!(errs.is_empty(), "old object must be valid: {errs:?}");
    run(group, plural, new, Some(&stored)).1
}

fn rendered(errs: &[FieldError]) -> Vec<String> {
    errs.iter().map(FieldError::render).collect()
}

fn fields(errs: &[FieldError]) -> Vec<&str> {
    errs.iter().map(|e| e.field.as_str()).collect()
}

fn has(errs: &[FieldError], field: &str, message: &str) -> bool {
    errs.iter().any(|e| e.field == field && e.message.contains(message))
}

fn pod(spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}, "spec": spec})
}

fn deployment(selector: Value, labels: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"selector": selector,
                    "template": {"metadata": {"labels": labels},
                                 "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})
}

#[test]
fn valid_objects_pass() {
    let objs = [
        (
            "",
            "pods",
            pod(
                json!({"containers": [{"name": "c", "image": "busybox", "ports": [{"containerPort": 80, "name": "http"}],
            "env": [{"name": "A", "value": "1"}, {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}},
            "livenessProbe": {"httpGet": {"port": 80}}, "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
            "volumes": [{"name": "data"}, {"name": "cfg", "configMap": {"name": "cfg"}}]}),
            ),
        ),
        (
            "apps",
            "deployments",
            deployment(json!({"matchLabels": {"app": "web"}}), json!({"app": "web"})),
        ),
        (
            "",
            "services",
            json!({"metadata": {"name": "svc", "namespace": "default"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}),
        ),
        (
            "",
            "services",
            json!({"metadata": {"name": "headless", "namespace": "default"}, "spec": {"clusterIP": "None"}}),
        ),
        (
            "",
            "services",
            json!({"metadata": {"name": "np", "namespace": "default"},
            "spec": {"type": "NodePort", "ports": [{"name": "a", "port": 80, "nodePort": 30080}, {"name": "b", "port": 443}]}}),
        ),
        (
            "",
            "services",
            json!({"metadata": {"name": "ext", "namespace": "default"},
            "spec": {"type": "ExternalName", "externalName": "example.com."}}),
        ),
        (
            "batch",
            "jobs",
            json!({"metadata": {"name": "j", "namespace": "default"},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}),
        ),
        (
            "batch",
            "cronjobs",
            json!({"metadata": {"name": "cj", "namespace": "default"},
            "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}}}}}}),
        ),
        (
            "apps",
            "statefulsets",
            json!({"metadata": {"name": "db", "namespace": "default"},
            "spec": {"serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                     "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "postgres",
                         "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql"}]}]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"},
                         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}),
        ),
        (
            "apps",
            "daemonsets",
            json!({"metadata": {"name": "ds", "namespace": "kube-system"},
            "spec": {"selector": {"matchLabels": {"app": "ds"}},
                     "template": {"metadata": {"labels": {"app": "ds"}}, "spec": {"hostNetwork": true,
                         "containers": [{"name": "c", "image": "agent:v1", "ports": [{"containerPort": 9100}]}],
                         "tolerations": [{"operator": "Exists"}]}}}}),
        ),
        (
            "",
            "configmaps",
            json!({"metadata": {"name": "cfg", "namespace": "default"}, "data": {"app.properties": "a=b", "KEY_1": "x"}}),
        ),
        (
            "",
            "secrets",
            json!({"metadata": {"name": "s", "namespace": "default"}, "stringData": {"password": "hunter2"}}),
        ),
        ("", "namespaces", json!({"metadata": {"name": "team-a"}})),
        (
            "",
            "persistentvolumeclaims",
            json!({"metadata": {"name": "c", "namespace": "default"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}}),
        ),
        (
            "",
            "persistentvolumes",
            json!({"metadata": {"name": "pv"},
            "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/tmp/pv"}}}),
        ),
        (
            "autoscaling",
            "horizontalpodautoscalers",
            json!({"metadata": {"name": "h", "namespace": "default"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 5,
                     "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}}),
        ),
        (
            "networking.k8s.io",
            "networkpolicies",
            json!({"metadata": {"name": "np", "namespace": "default"},
            "spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"a": "b"}}}], "ports": [{"port": 80}]}]}}),
        ),
        (
            "networking.k8s.io",
            "ingresses",
            json!({"metadata": {"name": "i", "namespace": "default"},
            "spec": {"rules": [{"host": "example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}),
        ),
        (
            "policy",
            "poddisruptionbudgets",
            json!({"metadata": {"name": "pdb", "namespace": "default"},
            "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}}}),
        ),
        (
            "rbac.authorization.k8s.io",
            "roles",
            json!({"metadata": {"name": "r", "namespace": "default"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}),
        ),
        (
            "rbac.authorization.k8s.io",
            "clusterrolebindings",
            json!({"metadata": {"name": "b"},
            "roleRef": {"kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "User", "name": "alice"}, {"kind": "ServiceAccount", "name": "default", "namespace": "default"}]}),
        ),
        (
            "scheduling.k8s.io",
            "priorityclasses",
            json!({"metadata": {"name": "system-node-critical"}, "value": 2000001000}),
        ),
        (
            "storage.k8s.io",
            "storageclasses",
            json!({"metadata": {"name": "standard"}, "provisioner": "rancher.io/local-path"}),
        ),
        (
            "coordination.k8s.io",
            "leases",
            json!({"metadata": {"name": "l", "namespace": "kube-system"},
            "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15}}),
        ),
        (
            "discovery.k8s.io",
            "endpointslices",
            json!({"metadata": {"name": "e", "namespace": "default"}, "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.1"]}], "ports": [{"name": "http", "port": 80}]}),
        ),
        (
            "",
            "events",
            json!({"metadata": {"name": "e.1", "namespace": "default"}, "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
            "reason": "Started", "message": "started", "type": "Normal", "source": {"component": "kubelet"}}),
        ),
        (
            "events.k8s.io",
            "events",
            json!({"metadata": {"name": "e.2", "namespace": "default"}, "eventTime": "2024-01-01T00:00:00.000000Z",
            "reportingController": "kubelet", "reportingInstance": "node-1", "action": "Pulling", "reason": "Pulling", "type": "Normal",
            "regarding": {"kind": "Pod", "name": "p", "namespace": "default"}}),
        ),
    ];
    for (group, plural, obj) in objs {
        let errs = check(group, plural, obj.clone());
        assert!(errs.is_empty(), "{plural}: {:?}\n{obj}", rendered(&errs));
    }
}

#[test]
fn invalid_pod_reports_every_error_with_its_path() {
    let errs = check(
        "",
        "pods",
        pod(json!({
            "restartPolicy": "Sometimes",
            "containers": [
                {"name": "Bad_Name", "ports": [{"containerPort": 70000, "name": "this-name-is-too-long"}],
                 "env": [{"name": "A=B"}], "volumeMounts": [{"name": "missing", "mountPath": "/m"}],
                 "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "2"}}},
                {"name": "dup", "image": "x"},
                {"name": "dup", "image": "y"}
            ],
            "volumes": [{"name": "v"}, {"name": "v"}]
        })),
    );
    let f = fields(&errs);
    for expected in [
        "spec.volumes[1].name",
        "spec.containers[0].name",
        "spec.containers[0].image",
        "spec.containers[0].ports[0].name",
        "spec.containers[0].ports[0].containerPort",
        "spec.containers[0].env[0].name",
        "spec.containers[0].volumeMounts[0].name",
        "spec.containers[0].resources.requests",
        "spec.containers[2].name",
        "spec.restartPolicy",
    ] {
        assert!(f.contains(&expected), "missing {expected} in {:?}", rendered(&errs));
    }
    assert!(has(&errs, "spec.containers[0].image", "Required value"));
    assert!(has(
        &errs,
        "spec.containers[0].ports[0].containerPort",
        "Invalid value: 70000: must be between 1 and 65535, inclusive"
    ));
    assert!(has(&errs, "spec.containers[0].ports[0].name", "must be no more than 15 characters"));
    assert!(has(&errs, "spec.containers[2].name", "Duplicate value: \"dup\""));
    assert!(has(&errs, "spec.volumes[1].name", "Duplicate value: \"v\""));
    assert!(has(&errs, "spec.containers[0].volumeMounts[0].name", "Not found: \"missing\""));
    assert!(has(
        &errs,
        "spec.containers[0].resources.requests",
        "Invalid value: \"2\": must be less than or equal to cpu limit of 1"
    ));
    assert!(has(
        &errs,
        "spec.restartPolicy",
        "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""
    ));
}

#[test]
fn pod_requires_containers_and_checks_init_names() {
    let errs = check("", "pods", pod(json!({"containers": []})));
    assert_eq!(rendered(&errs), vec!["spec.containers: Required value"]);
    let errs = check(
        "",
        "pods",
        pod(
            json!({"initContainers": [{"name": "c", "image": "x", "livenessProbe": {"exec": {"command": ["true"]}}}],
                   "containers": [{"name": "c", "image": "x"}], "dnsPolicy": "Bogus"}),
        ),
    );
    assert!(has(&errs, "spec.initContainers[0].name", "Duplicate value: \"c\""));
    assert!(has(
        &errs,
        "spec.initContainers[0].livenessProbe",
        "may not be set for init containers without restartPolicy=Always"
    ));
    assert!(has(&errs, "spec.dnsPolicy", "Unsupported value: \"Bogus\""));
}

#[test]
fn pod_update_may_only_change_images_and_friends() {
    let old = pod(json!({"containers": [{"name": "c", "image": "nginx:1"}]}));
    let ok = pod(
        json!({"containers": [{"name": "c", "image": "nginx:2"}], "activeDeadlineSeconds": 30}),
    );
    let errs = update("", "pods", old.clone(), ok);
    assert!(errs.is_empty(), "{:?}", rendered(&errs));
    let bad = pod(
        json!({"containers": [{"name": "c", "image": "nginx:1"}], "nodeSelector": {"disk": "ssd"}}),
    );
    let errs = update("", "pods", old.clone(), bad);
    assert_eq!(fields(&errs), vec!["spec"]);
    assert!(errs[0].message.starts_with(
        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`"
    ));
    let more = pod(
        json!({"containers": [{"name": "c", "image": "nginx:1"}, {"name": "d", "image": "x"}]}),
    );
    let errs = update("", "pods", old, more);
    assert_eq!(
        rendered(&errs),
        vec!["spec.containers: Forbidden: pod updates may not add or remove containers"]
    );
}

#[test]
fn updates_compare_against_the_defaulted_old_object() {
    // stored before defaulting existed: no defaults in the old object
    let old = pod(json!({"containers": [{"name": "c", "image": "nginx:1"}]}));
    let new = pod(json!({"containers": [{"name": "c", "image": "nginx:2"}]}));
    let errs = run("", "pods", new, Some(&old)).1;
    assert!(errs.is_empty(), "{:?}", rendered(&errs));
}

#[test]
fn selector_must_match_template_labels() {
    let errs = check(
        "apps",
        "deployments",
        deployment(json!({"matchLabels": {"app": "web"}}), json!({"app": "api"})),
    );
    assert_eq!(
        rendered(&errs),
        vec!["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"api\"}: `selector` does not match template `labels`"]
    );
    let errs = check("apps", "deployments", deployment(json!({}), json!({"app": "api"})));
    assert!(has(&errs, "spec.selector", "Required value"));
    let bad_template = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w", "namespace": "d"},
        "spec": {"replicas": -1, "selector": {"matchLabels": {"a": "b"}},
                 "template": {"metadata": {"labels": {"a": "b"}},
                              "spec": {"restartPolicy": "OnFailure", "containers": [{"name": "c"}]}}}});
    let errs = check("apps", "deployments", bad_template);
    assert!(has(&errs, "spec.replicas", "Invalid value: -1: must be greater than or equal to 0"));
    assert!(has(&errs, "spec.template.spec.containers[0].image", "Required value"));
    assert!(has(
        &errs,
        "spec.template.spec.restartPolicy",
        "Unsupported value: \"OnFailure\": supported values: \"Always\""
    ));
}

#[test]
fn selectors_are_immutable() {
    let old = deployment(json!({"matchLabels": {"app": "web"}}), json!({"app": "web", "v": "1"}));
    let new = deployment(
        json!({"matchLabels": {"app": "web", "v": "1"}}),
        json!({"app": "web", "v": "1"}),
    );
    let errs = update("apps", "deployments", old, new);
    assert_eq!(
        rendered(&errs),
        vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"v\":\"1\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"]
    );
    let same = deployment(json!({"matchLabels": {"app": "web"}}), json!({"app": "web"}));
    let mut scaled = same.clone();
    scaled["spec"]["replicas"] = json!(5);
    assert!(update("apps", "deployments", same, scaled).is_empty());
}

#[test]
fn cron_schedules_are_checked() {
    let cj = |schedule: &str| {
        json!({"metadata": {"name": "cj", "namespace": "default"},
               "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {
                   "restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}}}}}})
    };
    assert!(check("batch", "cronjobs", cj("@daily")).is_empty());
    let errs = check("batch", "cronjobs", cj("61 * * * *"));
    assert_eq!(rendered(&errs), vec!["spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61"]);
    let errs = check("batch", "cronjobs", cj(""));
    assert_eq!(rendered(&errs), vec!["spec.schedule: Required value"]);
    let errs = check("batch", "cronjobs", cj("TZ=UTC 0 * * * *"));
    assert!(has(
        &errs,
        "spec.schedule",
        "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
    ));
}

#[test]
fn job_restart_policy_and_immutable_template() {
    let job = |rp: Option<&str>, image: &str| {
        let mut spec = json!({"containers": [{"name": "c", "image": image}]});
        if let Some(rp) = rp {
            spec["restartPolicy"] = json!(rp);
        }
        json!({"metadata": {"name": "j", "namespace": "default"}, "spec": {"template": {"spec": spec}}})
    };
    let errs = check("batch", "jobs", job(None, "x"));
    assert_eq!(
        rendered(&errs),
        vec!["spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\""]
    );
    let errs = check("batch", "jobs", job(Some("Always"), "x"));
    assert_eq!(fields(&errs), vec!["spec.template.spec.restartPolicy"]);
    let errs = update("batch", "jobs", job(Some("Never"), "x"), job(Some("Never"), "y"));
    assert_eq!(fields(&errs), vec!["spec.template"]);
    assert!(errs[0].message.ends_with("field is immutable"));
}

#[test]
fn config_map_keys_and_size() {
    let errs = check(
        "",
        "configmaps",
        json!({"metadata": {"name": "c", "namespace": "d"}, "data": {"bad key": "x", "..": "y", "ok": "z"},
               "binaryData": {"ok": "eA=="}}),
    );
    assert_eq!(fields(&errs), vec!["data[..]", "data[bad key]", "data[ok]"]);
    assert!(has(
        &errs,
        "data[bad key]",
        "a valid config key must consist of alphanumeric characters"
    ));
    assert!(has(&errs, "data[..]", "must not be '..'"));
    assert!(has(&errs, "data[ok]", "duplicate of key present in binaryData"));
    let big = "x".repeat(1024 * 1024 + 1);
    let errs = check(
        "",
        "configmaps",
        json!({"metadata": {"name": "c", "namespace": "d"}, "data": {"k": big}}),
    );
    assert_eq!(rendered(&errs), vec![": Too long: may not be more than 1048576 bytes"]);
}

#[test]
fn immutable_config_maps_and_secrets() {
    let old =
        json!({"metadata": {"name": "c", "namespace": "d"}, "data": {"k": "v"}, "immutable": true});
    let new =
        json!({"metadata": {"name": "c", "namespace": "d"}, "data": {"k": "w"}, "immutable": true});
    let errs = update("", "configmaps", old, new);
    assert_eq!(
        rendered(&errs),
        vec!["data: Forbidden: field is immutable when `immutable` is set"]
    );
    let old = json!({"metadata": {"name": "s", "namespace": "d"}, "type": "Opaque"});
    let new = json!({"metadata": {"name": "s", "namespace": "d"}, "type": "kubernetes.io/tls",
                     "data": {"tls.crt": "eA==", "tls.key": "eA=="}});
    let errs = update("", "secrets", old, new);
    assert_eq!(
        rendered(&errs),
        vec!["type: Invalid value: \"kubernetes.io/tls\": field is immutable"]
    );
}

#[test]
fn service_rules() {
    let svc = |spec: Value| json!({"metadata": {"name": "s", "namespace": "d"}, "spec": spec});
    let errs = check("", "services", svc(json!({"selector": {"a": "b"}})));
    assert_eq!(rendered(&errs), vec!["spec.ports: Required value"]);
    let errs = check(
        "",
        "services",
        svc(
            json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 80}, {"port": 0, "name": "b", "protocol": "HTTP"}]}),
        ),
    );
    assert!(has(&errs, "spec.ports[0].name", "Required value"));
    assert!(has(
        &errs,
        "spec.ports[1].port",
        "Invalid value: 0: must be between 1 and 65535, inclusive"
    ));
    assert!(has(&errs, "spec.ports[1].protocol", "Unsupported value: \"HTTP\""));
    assert!(has(
        &errs,
        "spec.ports[0].nodePort",
        "provided port is not in the valid range. The range of valid ports is 30000-32767"
    ));
    let errs = check("", "services", svc(json!({"type": "Magic", "ports": [{"port": 80}]})));
    assert!(has(&errs, "spec.type", "Unsupported value: \"Magic\""));
    let old = svc(json!({"clusterIP": "10.96.0.10", "ports": [{"port": 53}]}));
    let new = svc(json!({"clusterIP": "10.96.0.11", "ports": [{"port": 53}]}));
    let errs = update("", "services", old.clone(), new);
    assert!(has(&errs, "spec.clusterIPs[0]", "may not change once set"));
    let kept = svc(json!({"ports": [{"port": 53, "name": "dns"}]}));
    assert!(update("", "services", old, kept).is_empty());
}

#[test]
fn pvc_spec_is_mostly_immutable() {
    let pvc = |size: &str, class: Option<&str>| {
        let mut spec =
            json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}});
        if let Some(c) = class {
            spec["storageClassName"] = json!(c);
        }
        json!({"metadata": {"name": "c", "namespace": "d"}, "spec": spec})
    };
    assert!(update("", "persistentvolumeclaims", pvc("1Gi", Some("a")), pvc("2Gi", Some("a")))
        .is_empty());
    let errs = update("", "persistentvolumeclaims", pvc("2Gi", Some("a")), pvc("1Gi", Some("a")));
    assert_eq!(
        rendered(&errs),
        vec![
            "spec.resources.requests.storage: Forbidden: field can not be less than previous value"
        ]
    );
    let errs = update("", "persistentvolumeclaims", pvc("1Gi", Some("a")), pvc("1Gi", Some("b")));
    assert_eq!(fields(&errs), vec!["spec"]);
}

#[test]
fn other_kinds() {
    let errs = check(
        "policy",
        "poddisruptionbudgets",
        json!({"metadata": {"name": "p", "namespace": "d"}, "spec": {"minAvailable": 1, "maxUnavailable": 1}}),
    );
    assert!(has(&errs, "spec", "minAvailable and maxUnavailable cannot be both set"));
    let errs = check(
        "autoscaling",
        "horizontalpodautoscalers",
        json!({"metadata": {"name": "h", "namespace": "d"}, "spec": {"minReplicas": 0, "maxReplicas": 3, "scaleTargetRef": {"kind": "", "name": "x"}}}),
    );
    assert_eq!(fields(&errs), vec!["spec.minReplicas", "spec.scaleTargetRef.kind"]);
    let errs = check(
        "rbac.authorization.k8s.io",
        "roles",
        json!({"metadata": {"name": "r", "namespace": "d"}, "rules": [{"apiGroups": [""], "resources": ["pods"]}]}),
    );
    assert_eq!(
        rendered(&errs),
        vec!["rules[0].verbs: Required value: verbs must contain at least one value"]
    );
    let errs = check(
        "scheduling.k8s.io",
        "priorityclasses",
        json!({"metadata": {"name": "high"}, "value": 2000000000}),
    );
    assert_eq!(
        rendered(&errs),
        vec!["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"]
    );
    let errs = check(
        "apps",
        "statefulsets",
        json!({"metadata": {"name": "s", "namespace": "d"}, "spec": {"selector": {"matchLabels": {"a": "b"}},
               "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
               "podManagementPolicy": "Sometimes"}}),
    );
    assert_eq!(fields(&errs), vec!["spec.podManagementPolicy"]);
    let old = json!({"metadata": {"name": "b", "namespace": "d"}, "roleRef": {"kind": "Role", "name": "a"}, "subjects": []});
    let new = json!({"metadata": {"name": "b", "namespace": "d"}, "roleRef": {"kind": "Role", "name": "b"}, "subjects": []});
    let errs = update("rbac.authorization.k8s.io", "rolebindings", old, new);
    assert!(has(&errs, "roleRef", "cannot change roleRef"));
}
