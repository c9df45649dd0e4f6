//! Defaulting, checked on the JSON that gets stored.

use serde_json::{json, Value};

use super::pod::{default_pull_policy, image_tag};
use crate::kinds::normalize;
use crate::resources::lookup;

fn defaulted(group: &str, version: &str, plural: &str, obj: Value) -> Value {
    let res = lookup(group, version, plural).expect("known resource");
    let (n, errs) = normalize(res, obj, None).expect("decodes");
    assert!(errs.is_empty(), "{plural}: {errs:?}");
    n.object
}

#[test]
fn image_pull_policy() {
    assert_eq!(image_tag("nginx"), Some("latest"));
    assert_eq!(image_tag("nginx:1.27"), Some("1.27"));
    assert_eq!(image_tag("localhost:5000/nginx"), Some("latest"));
    assert_eq!(image_tag("localhost:5000/nginx:v1"), Some("v1"));
    assert_eq!(image_tag("nginx@sha256:abcd"), None);
    assert_eq!(default_pull_policy("nginx"), "Always");
    assert_eq!(default_pull_policy("nginx:latest"), "Always");
    assert_eq!(default_pull_policy("nginx:1.27"), "IfNotPresent");
    assert_eq!(default_pull_policy("nginx@sha256:abcd"), "IfNotPresent");
}

#[test]
fn pod_defaults() {
    let pod = defaulted(
        "",
        "v1",
        "pods",
        json!({"metadata": {"name": "p", "namespace": "default"}, "spec": {
            "containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}],
                "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                "resources": {"limits": {"cpu": "1", "memory": "64Mi"}},
                "readinessProbe": {"httpGet": {"port": 80}}}],
            "volumes": [{"name": "a"}, {"name": "b", "secret": {"secretName": "s"}}, {"name": "c", "hostPath": {"path": "/x"}},
                        {"name": "d", "configMap": {"name": "cm"}}]}}),
    );
    let spec = &pod["spec"];
    assert_eq!(spec["restartPolicy"], "Always");
    assert_eq!(spec["dnsPolicy"], "ClusterFirst");
    assert_eq!(spec["terminationGracePeriodSeconds"], 30);
    assert_eq!(spec["schedulerName"], "default-scheduler");
    assert_eq!(spec["securityContext"], json!({}));
    assert_eq!(spec["enableServiceLinks"], true);
    let c = &spec["containers"][0];
    assert_eq!(c["imagePullPolicy"], "Always");
    assert_eq!(c["terminationMessagePath"], "/dev/termination-log");
    assert_eq!(c["terminationMessagePolicy"], "File");
    assert_eq!(c["ports"][0]["protocol"], "TCP");
    assert_eq!(c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
    assert_eq!(c["resources"]["requests"], json!({"cpu": "1", "memory": "64Mi"}));
    assert_eq!(
        c["readinessProbe"],
        json!({"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10,
               "successThreshold": 1, "failureThreshold": 3})
    );
    assert_eq!(spec["volumes"][0]["emptyDir"], json!({}));
    assert_eq!(spec["volumes"][1]["secret"]["defaultMode"], 420);
    assert_eq!(spec["volumes"][2]["hostPath"]["type"], "");
    assert_eq!(spec["volumes"][3]["configMap"]["defaultMode"], 420);
}

#[test]
fn deployment_defaults_include_template_pod_defaults() {
    let d = defaulted(
        "apps",
        "v1",
        "deployments",
        json!({"metadata": {"name": "web", "namespace": "default"},
               "spec": {"selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}),
    );
    let spec = &d["spec"];
    assert_eq!(spec["replicas"], 1);
    assert_eq!(
        spec["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    );
    assert_eq!(spec["revisionHistoryLimit"], 10);
    assert_eq!(spec["progressDeadlineSeconds"], 600);
    let ps = &spec["template"]["spec"];
    assert_eq!(ps["restartPolicy"], "Always");
    assert_eq!(ps["dnsPolicy"], "ClusterFirst");
    assert_eq!(ps["schedulerName"], "default-scheduler");
    assert_eq!(ps["terminationGracePeriodSeconds"], 30);
    assert_eq!(ps["securityContext"], json!({}));
    assert_eq!(ps["containers"][0]["imagePullPolicy"], "IfNotPresent");
    assert_eq!(ps["containers"][0]["resources"], json!({}));
    // a Pod-only default, as upstream
    assert!(ps.get("enableServiceLinks").is_none());
}

#[test]
fn workload_defaults() {
    let tmpl = json!({"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "x:1"}]}});
    let sts = defaulted(
        "apps",
        "v1",
        "statefulsets",
        json!({"metadata": {"name": "s", "namespace": "d"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": tmpl,
               "volumeClaimTemplates": [{"metadata": {"name": "data"},
                   "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}),
    );
    let s = &sts["spec"];
    assert_eq!(s["replicas"], 1);
    assert_eq!(s["podManagementPolicy"], "OrderedReady");
    assert_eq!(
        s["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
    );
    assert_eq!(s["revisionHistoryLimit"], 10);
    assert_eq!(
        s["persistentVolumeClaimRetentionPolicy"],
        json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
    );
    assert_eq!(s["volumeClaimTemplates"][0]["spec"]["volumeMode"], "Filesystem");
    assert_eq!(s["volumeClaimTemplates"][0]["status"]["phase"], "Pending");

    let ds = defaulted(
        "apps",
        "v1",
        "daemonsets",
        json!({"metadata": {"name": "d", "namespace": "d"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": tmpl}}),
    );
    assert_eq!(
        ds["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}})
    );
    assert_eq!(ds["spec"]["revisionHistoryLimit"], 10);

    let rs = defaulted(
        "apps",
        "v1",
        "replicasets",
        json!({"metadata": {"name": "r", "namespace": "d"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": tmpl}}),
    );
    assert_eq!(rs["spec"]["replicas"], 1);

    let rc = defaulted(
        "",
        "v1",
        "replicationcontrollers",
        json!({"metadata": {"name": "r", "namespace": "d"}, "spec": {"template": tmpl}}),
    );
    assert_eq!(rc["spec"]["selector"], json!({"a": "b"}));
    assert_eq!(rc["metadata"]["labels"], json!({"a": "b"}));
    assert_eq!(rc["spec"]["replicas"], 1);
}

#[test]
fn job_and_cronjob_defaults() {
    let job = defaulted(
        "batch",
        "v1",
        "jobs",
        json!({"metadata": {"name": "j", "namespace": "d"},
               "spec": {"template": {"metadata": {"labels": {"x": "y"}},
                                     "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}}}}),
    );
    let s = &job["spec"];
    assert_eq!(s["completions"], 1);
    assert_eq!(s["parallelism"], 1);
    assert_eq!(s["backoffLimit"], 6);
    assert_eq!(s["completionMode"], "NonIndexed");
    assert_eq!(s["suspend"], false);
    assert_eq!(s["podReplacementPolicy"], "TerminatingOrFailed");
    assert!(s.get("manualSelector").is_none());
    assert_eq!(job["metadata"]["labels"], json!({"x": "y"}));
    assert_eq!(s["template"]["spec"]["dnsPolicy"], "ClusterFirst");

    let cj = defaulted(
        "batch",
        "v1",
        "cronjobs",
        json!({"metadata": {"name": "cj", "namespace": "d"},
               "spec": {"schedule": "@hourly", "jobTemplate": {"spec": {"template": {"spec": {
                   "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "x"}]}}}}}}),
    );
    let s = &cj["spec"];
    assert_eq!(s["concurrencyPolicy"], "Allow");
    assert_eq!(s["suspend"], false);
    assert_eq!(s["successfulJobsHistoryLimit"], 3);
    assert_eq!(s["failedJobsHistoryLimit"], 1);
    assert_eq!(s["jobTemplate"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"], 30);
}

#[test]
fn service_defaults() {
    let svc = defaulted(
        "",
        "v1",
        "services",
        json!({"metadata": {"name": "s", "namespace": "d"}, "spec": {"selector": {"a": "b"}, "ports": [{"port": 80}]}}),
    );
    let s = &svc["spec"];
    assert_eq!(s["type"], "ClusterIP");
    assert_eq!(s["sessionAffinity"], "None");
    assert_eq!(s["ports"][0], json!({"port": 80, "protocol": "TCP", "targetPort": 80}));
    assert_eq!(s["internalTrafficPolicy"], "Cluster");
    assert_eq!(s["ipFamilies"], json!(["IPv4"]));
    assert_eq!(s["ipFamilyPolicy"], "SingleStack");
    assert!(s.get("externalTrafficPolicy").is_none());
    assert_eq!(svc["status"], json!({"loadBalancer": {}}));

    let lb = defaulted(
        "",
        "v1",
        "services",
        json!({"metadata": {"name": "s", "namespace": "d"}, "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": "http"}]}}),
    );
    assert_eq!(lb["spec"]["externalTrafficPolicy"], "Cluster");
    assert_eq!(lb["spec"]["allocateLoadBalancerNodePorts"], true);
    assert_eq!(lb["spec"]["ports"][0]["targetPort"], "http");

    let ext = defaulted(
        "",
        "v1",
        "services",
        json!({"metadata": {"name": "s", "namespace": "d"}, "spec": {"type": "ExternalName", "externalName": "example.com"}}),
    );
    assert!(ext["spec"].get("ipFamilies").is_none());
    assert!(ext["spec"].get("internalTrafficPolicy").is_none());
}

#[test]
fn small_kinds() {
    let ns = defaulted("", "v1", "namespaces", json!({"metadata": {"name": "team"}}));
    assert_eq!(ns["spec"]["finalizers"], json!(["kubernetes"]));
    assert_eq!(ns["status"]["phase"], "Active");
    assert_eq!(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], "team");

    let secret = defaulted(
        "",
        "v1",
        "secrets",
        json!({"metadata": {"name": "s", "namespace": "d"}, "stringData": {"user": "admin"}}),
    );
    assert_eq!(secret["type"], "Opaque");
    assert_eq!(secret["data"]["user"], "YWRtaW4=");
    assert!(secret.get("stringData").is_none());

    let pvc = defaulted(
        "",
        "v1",
        "persistentvolumeclaims",
        json!({"metadata": {"name": "c", "namespace": "d"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}),
    );
    assert_eq!(pvc["spec"]["volumeMode"], "Filesystem");

    let pv = defaulted(
        "",
        "v1",
        "persistentvolumes",
        json!({"metadata": {"name": "v"}, "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "nfs": {"server": "s", "path": "/p"}}}),
    );
    assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Retain");
    assert_eq!(pv["spec"]["volumeMode"], "Filesystem");

    let sc = defaulted(
        "storage.k8s.io",
        "v1",
        "storageclasses",
        json!({"metadata": {"name": "s"}, "provisioner": "x.io/p"}),
    );
    assert_eq!(sc["reclaimPolicy"], "Delete");
    assert_eq!(sc["volumeBindingMode"], "Immediate");

    let np = defaulted(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        json!({"metadata": {"name": "n", "namespace": "d"}, "spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]}}),
    );
    assert_eq!(np["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    assert_eq!(np["spec"]["egress"][0]["ports"][0]["protocol"], "TCP");

    let rb = defaulted(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        json!({"metadata": {"name": "b", "namespace": "d"}, "roleRef": {"kind": "Role", "name": "r"},
               "subjects": [{"kind": "User", "name": "u"}, {"kind": "ServiceAccount", "name": "sa", "namespace": "d"}]}),
    );
    assert_eq!(rb["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
    assert_eq!(rb["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
    assert!(rb["subjects"][1].get("apiGroup").is_none());

    let hpa = defaulted(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        json!({"metadata": {"name": "h", "namespace": "d"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "w"},
               "maxReplicas": 4, "behavior": {"scaleDown": {"stabilizationWindowSeconds": 30}}}}),
    );
    let s = &hpa["spec"];
    assert_eq!(s["minReplicas"], 1);
    assert_eq!(s["metrics"][0]["resource"]["target"]["averageUtilization"], 80);
    assert_eq!(s["behavior"]["scaleDown"]["stabilizationWindowSeconds"], 30);
    assert_eq!(s["behavior"]["scaleDown"]["selectPolicy"], "Max");
    assert_eq!(s["behavior"]["scaleUp"]["policies"].as_array().map(Vec::len), Some(2));

    let pc = defaulted(
        "scheduling.k8s.io",
        "v1",
        "priorityclasses",
        json!({"metadata": {"name": "p"}, "value": 10}),
    );
    assert_eq!(pc["preemptionPolicy"], "PreemptLowerPriority");

    let es = defaulted(
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        json!({"metadata": {"name": "e", "namespace": "d"}, "addressType": "IPv4", "endpoints": [], "ports": [{"port": 80}]}),
    );
    assert_eq!(es["ports"][0], json!({"name": "", "port": 80, "protocol": "TCP"}));
}
