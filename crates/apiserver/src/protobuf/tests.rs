use serde_json::json;

use super::*;

/// Bodies captured from kubectl 1.34.5 and Helm 4.1.4 (client-go typed clients), paired where
/// possible with `kubectl create ... --dry-run=client -o json` of the same command: Go's own
/// JSON for the object, which the decoder must reproduce exactly.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("testdata/", $name, ".pb")).as_slice()
    };
}

macro_rules! golden {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("testdata/", $name, ".pb")).as_slice(),
            include_str!(concat!("testdata/", $name, ".json")),
        )
    };
}

const GOLDEN: &[(&str, &[u8], &str)] = &[
    golden!("configmap"),
    golden!("configmap-binary"),
    golden!("secret-generic"),
    golden!("secret-docker-registry"),
    golden!("namespace"),
    golden!("deployment"),
    golden!("deployment-zero-replicas"),
    golden!("job"),
    golden!("cronjob"),
    golden!("serviceaccount"),
    golden!("role"),
    golden!("clusterrole"),
    golden!("rolebinding"),
    golden!("clusterrolebinding"),
    golden!("service-clusterip"),
    golden!("service-nodeport"),
    golden!("poddisruptionbudget"),
    golden!("ingress"),
    golden!("priorityclass"),
    golden!("resourcequota"),
    golden!("horizontalpodautoscaler"),
    // A Job copied from a CronJob created with many explicit zeros, falses and empty strings
    // (`kubectl create job --from=cronjob/...`): exercises the pointer fields.
    golden!("job-from-cronjob"),
    // Helm's release-secret delete.
    golden!("helm-delete-options"),
];

fn decoded(body: &[u8]) -> Value {
    match decode(body) {
        Ok(v) => v,
        Err(e) => panic!("decode failed: {e}"),
    }
}

fn bad_request(body: &[u8]) -> String {
    match decode(body) {
        Err(ApiError::BadRequest(m)) => m,
        other => panic!("expected BadRequest, got {other:?}"),
    }
}

/// Go prints `null` for a nil required list or a zero time; the decoder omits those fields.
fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(without_nulls).collect()),
        v => v,
    }
}

#[test]
fn kubectl_bodies_decode_to_gos_json() {
    for (name, pb, json) in GOLDEN {
        let want: Value = serde_json::from_str(json).expect("golden JSON");
        assert_eq!(decoded(pb), without_nulls(want), "{name}");
    }
}

#[test]
fn other_client_bodies() {
    assert_eq!(
        decoded(fixture!("tokenrequest")),
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": {},
               "spec": {"expirationSeconds": 3600}, "status": {"token": ""}})
    );
    assert_eq!(
        decoded(fixture!("selfsubjectaccessreview")),
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "metadata": {},
               "spec": {"resourceAttributes": {"namespace": "default", "resource": "pods", "verb": "create"}},
               "status": {"allowed": false}})
    );
    assert_eq!(
        decoded(fixture!("selfsubjectrulesreview")),
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "metadata": {},
               "spec": {"namespace": "default"}, "status": {"incomplete": false}})
    );
    assert_eq!(
        decoded(fixture!("selfsubjectreview")),
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview", "metadata": {},
               "status": {"userInfo": {}}})
    );
    let helm = decoded(fixture!("helm-release-secret"));
    assert_eq!(helm["type"], "helm.sh/release.v1");
    assert_eq!(helm["metadata"]["name"], "sh.helm.release.v1.rel1.v1");
    assert_eq!(helm["metadata"]["labels"]["owner"], "helm");
    let release = helm["data"]["release"].as_str().expect("release data");
    assert!(base64::engine::general_purpose::STANDARD.decode(release).is_ok());
}

/// Every decoded fixture is a valid object of its k8s-openapi type: no unknown or misspelt
/// fields, every value in the form the typed struct prints it (which may add required fields).
#[test]
fn fixtures_fit_the_typed_structs() {
    fn contained(part: &Value, whole: &Value, path: &str) {
        match (part, whole) {
            (Value::Object(p), Value::Object(w)) => {
                for (k, v) in p {
                    let Some(wv) = w.get(k) else {
                        panic!("{path}.{k} is lost by the typed struct")
                    };
                    contained(v, wv, &format!("{path}.{k}"));
                }
            }
            (Value::Array(p), Value::Array(w)) => {
                assert_eq!(p.len(), w.len(), "{path}");
                for (i, (pv, wv)) in p.iter().zip(w).enumerate() {
                    contained(pv, wv, &format!("{path}[{i}]"));
                }
            }
            _ => assert_eq!(part, whole, "{path}"),
        }
    }
    fn check<T: serde::de::DeserializeOwned + serde::Serialize>(name: &str, v: Value) {
        let typed: T = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        contained(&v, &serde_json::to_value(&typed).expect("serialize"), name);
    }
    use k8s_openapi::api::*;
    check::<core::v1::ConfigMap>("configmap", decoded(fixture!("configmap")));
    check::<core::v1::Secret>("secret", decoded(fixture!("helm-release-secret")));
    check::<apps::v1::Deployment>("deployment", decoded(fixture!("deployment")));
    check::<batch::v1::CronJob>("cronjob", decoded(fixture!("cronjob")));
    check::<core::v1::Service>("service", decoded(fixture!("service-nodeport")));
    check::<networking::v1::Ingress>("ingress", decoded(fixture!("ingress")));
    check::<policy::v1::PodDisruptionBudget>("pdb", decoded(fixture!("poddisruptionbudget")));
    check::<rbac::v1::RoleBinding>("rolebinding", decoded(fixture!("rolebinding")));
    check::<authorization::v1::SelfSubjectAccessReview>(
        "ssar",
        decoded(fixture!("selfsubjectaccessreview")),
    );
    // TokenRequestStatus.expirationTimestamp is required in k8s-openapi but zero in a request
    // (Go's JSON prints null, which k8s-openapi refuses as well): check the rest.
    let mut token_request = decoded(fixture!("tokenrequest"));
    token_request.as_object_mut().map(|o| o.remove("status"));
    check::<authentication::v1::TokenRequest>("tokenrequest", token_request);
}

// --- Hand-built messages -------------------------------------------------------------------

/// One protobuf field, for building test bodies by hand.
enum P {
    Varint(u32, u64),
    Str(u32, &'static str),
    Bytes(u32, Vec<u8>),
    Msg(u32, Vec<P>),
    Fixed64(u32, u64),
}
use P::*;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn enc(fields: &[P]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields {
        let (tag, wt, payload) = match f {
            Varint(t, v) => {
                put_varint(&mut out, u64::from(*t) << 3);
                put_varint(&mut out, *v);
                continue;
            }
            Fixed64(t, v) => {
                put_varint(&mut out, (u64::from(*t) << 3) | 1);
                out.extend_from_slice(&v.to_le_bytes());
                continue;
            }
            Str(t, s) => (*t, 2, s.as_bytes().to_vec()),
            Bytes(t, b) => (*t, 2, b.clone()),
            Msg(t, m) => (*t, 2, enc(m)),
        };
        put_varint(&mut out, (u64::from(tag) << 3) | wt);
        put_varint(&mut out, payload.len() as u64);
        out.extend_from_slice(&payload);
    }
    out
}

/// `k8s\0` + runtime.Unknown{typeMeta, raw}.
fn body(api_version: &'static str, kind: &'static str, object: &[P]) -> Vec<u8> {
    let mut b = MAGIC.to_vec();
    b.extend(enc(&[Msg(1, vec![Str(1, api_version), Str(2, kind)]), Bytes(2, enc(object))]));
    b
}

fn entry(k: &'static str, v: &'static str) -> Vec<P> {
    vec![Str(1, k), Str(2, v)]
}

fn neg(v: i64) -> u64 {
    v as u64
}

#[test]
fn delete_options() {
    let b = body(
        "v1",
        "DeleteOptions",
        &[
            Varint(1, 0),                                // gracePeriodSeconds: 0 (a pointer: kept)
            Msg(2, vec![Str(1, "uid-1"), Str(2, "42")]), // preconditions
            Varint(3, 0),                                // orphanDependents: false (pointer)
            Str(4, "Foreground"),                        // propagationPolicy
            Str(5, "All"),                               // dryRun
        ],
    );
    assert_eq!(
        decoded(&b),
        json!({"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
               "preconditions": {"uid": "uid-1", "resourceVersion": "42"},
               "orphanDependents": false, "propagationPolicy": "Foreground", "dryRun": ["All"]})
    );
    // DeleteOptions is registered in every group version.
    assert_eq!(decoded(&body("apps/v1", "DeleteOptions", &[]))["kind"], "DeleteOptions");
    // What client-go sends for `Delete(ctx, name, metav1.DeleteOptions{})`.
    assert_eq!(
        decoded(&body("v1", "DeleteOptions", &[])),
        json!({"apiVersion": "v1", "kind": "DeleteOptions"})
    );
}

#[test]
fn deployment_int_or_string_quantities_and_pointers() {
    let meta = Msg(
        1,
        vec![
            Str(1, "web"),
            Str(2, ""),
            Str(3, "default"),
            Str(5, ""),
            Str(6, ""),
            Varint(7, 0),
            Msg(8, vec![]), // zero creationTimestamp
            Msg(11, entry("app", "web")),
            Msg(12, entry("note", "")), // empty annotation values stay
        ],
    );
    let container = vec![
        Str(1, "app"),
        Str(2, "nginx:1.27"),
        Msg(
            8,
            vec![
                // resources
                Msg(1, vec![Str(1, "cpu"), Msg(2, vec![Str(1, "500m")])]), // limits
                Msg(2, vec![Str(1, "memory"), Msg(2, vec![Str(1, "64Mi")])]), // requests
            ],
        ),
        Msg(6, vec![Str(1, "http"), Varint(2, 0), Varint(3, 8080), Str(4, "TCP")]),
        Msg(
            11,
            vec![
                // readinessProbe
                Msg(
                    1,
                    vec![Msg(
                        2,
                        vec![Str(1, "/healthz"), Msg(2, vec![Varint(1, 1), Str(3, "http")])],
                    )],
                ),
                Varint(2, 0),
                Varint(3, 5), // initialDelaySeconds 0 dropped
            ],
        ),
        Msg(15, vec![Varint(2, 0), Varint(6, 0)]), // securityContext privileged/readOnlyRootFilesystem: false
        Varint(16, 0),
        Varint(17, 0), // stdin/stdinOnce false: dropped
    ];
    let b = body(
        "apps/v1",
        "Deployment",
        &[
            meta,
            Msg(
                2,
                vec![
                    Varint(1, 3),
                    Msg(2, vec![Msg(1, entry("app", "web"))]),
                    Msg(
                        3,
                        vec![
                            Msg(1, vec![Msg(11, entry("app", "web"))]),
                            Msg(
                                2,
                                vec![
                                    Msg(
                                        1,
                                        vec![
                                            Str(1, "cfg"),
                                            Msg(
                                                2,
                                                vec![Msg(
                                                    19,
                                                    vec![
                                                        Msg(1, vec![Str(1, "web-config")]),
                                                        Varint(3, 0o644),
                                                    ],
                                                )],
                                            ),
                                        ],
                                    ),
                                    Msg(2, container),
                                    Varint(4, 30), // terminationGracePeriodSeconds
                                    Varint(21, 0), // automountServiceAccountToken: false
                                    Varint(11, 0), // hostNetwork false: dropped
                                ],
                            ),
                        ],
                    ),
                    Msg(
                        4,
                        vec![
                            Str(1, "RollingUpdate"),
                            Msg(
                                2,
                                vec![
                                    Msg(1, vec![Varint(1, 0), Varint(2, 0)]), // maxUnavailable: 0
                                    Msg(2, vec![Varint(1, 1), Str(3, "25%")]), // maxSurge: "25%"
                                ],
                            ),
                        ],
                    ),
                    Varint(5, 0),  // minReadySeconds 0: dropped
                    Varint(6, 10), // revisionHistoryLimit
                    Varint(7, 0),  // paused false: dropped
                ],
            ),
            Msg(3, vec![Varint(1, 0), Varint(2, 0)]),
        ],
    );
    assert_eq!(
        decoded(&b),
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}, "annotations": {"note": ""}},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "volumes": [{"name": "cfg", "configMap": {"name": "web-config", "defaultMode": 420}}],
                        "containers": [{
                            "name": "app", "image": "nginx:1.27",
                            "resources": {"limits": {"cpu": "500m"}, "requests": {"memory": "64Mi"}},
                            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "timeoutSeconds": 5},
                            "securityContext": {"privileged": false, "readOnlyRootFilesystem": false},
                        }],
                        "terminationGracePeriodSeconds": 30,
                        "automountServiceAccountToken": false,
                    },
                },
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
                "revisionHistoryLimit": 10,
            },
            "status": {},
        })
    );
}

#[test]
fn secret_bytes_and_namespace() {
    let b = body(
        "v1",
        "Secret",
        &[
            Msg(1, vec![Str(1, "s")]),
            Msg(2, vec![Str(1, "bin"), Bytes(2, vec![0, 1, 2, 255])]),
            Msg(2, vec![Str(1, "empty")]), // a map entry without a value
            Str(3, "Opaque"),
            Msg(4, entry("plain", "text")),
            Varint(5, 1),
        ],
    );
    assert_eq!(
        decoded(&b),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
               "data": {"bin": "AAEC/w==", "empty": ""}, "type": "Opaque",
               "stringData": {"plain": "text"}, "immutable": true})
    );
    let ns = body(
        "v1",
        "Namespace",
        &[Msg(1, vec![Str(1, "team-a")]), Msg(2, vec![Str(1, "kubernetes")])],
    );
    assert_eq!(
        decoded(&ns),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}, "spec": {"finalizers": ["kubernetes"]}})
    );
}

#[test]
fn times_raw_extensions_and_managed_fields() {
    // 2026-01-02T03:04:05Z = 1767323045.
    let lease = body(
        "coordination.k8s.io/v1",
        "Lease",
        &[
            Msg(
                1,
                vec![
                    Str(1, "l"),
                    Msg(8, vec![Varint(1, 1_767_323_045), Varint(2, 999)]), // Time: nanos ignored, as Go does
                    Msg(
                        17,
                        vec![
                            Str(1, "kubectl"),
                            Str(2, "Apply"),
                            Str(3, "v1"),
                            Msg(4, vec![Varint(1, 1_767_323_045)]),
                            Str(6, "FieldsV1"),
                            Msg(7, vec![Bytes(1, br#"{"f:spec":{}}"#.to_vec())]),
                        ],
                    ),
                ],
            ),
            Msg(
                2,
                vec![
                    Str(1, "node-1"),
                    Varint(2, 40),
                    Msg(3, vec![Varint(1, 1_767_323_045), Varint(2, 123_456_789)]), // MicroTime
                    Msg(4, vec![]), // zero MicroTime: omitted
                    Varint(5, 0),   // leaseTransitions: 0 (pointer)
                ],
            ),
        ],
    );
    assert_eq!(
        decoded(&lease),
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
               "metadata": {"name": "l", "creationTimestamp": "2026-01-02T03:04:05Z",
                            "managedFields": [{"manager": "kubectl", "operation": "Apply", "apiVersion": "v1",
                                               "time": "2026-01-02T03:04:05Z", "fieldsType": "FieldsV1",
                                               "fieldsV1": {"f:spec": {}}}]},
               "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40,
                        "acquireTime": "2026-01-02T03:04:05.123456Z", "leaseTransitions": 0}})
    );
    let rev = body(
        "apps/v1",
        "ControllerRevision",
        &[
            Msg(1, vec![Str(1, "r")]),
            Msg(2, vec![Bytes(1, br#"{"spec":{"template":{"x":1}}}"#.to_vec())]),
            Varint(3, 2),
        ],
    );
    assert_eq!(
        decoded(&rev),
        json!({"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"},
               "data": {"spec": {"template": {"x": 1}}}, "revision": 2})
    );
    // A RawExtension holding a protobuf object decodes it too.
    let mut nested = MAGIC.to_vec();
    nested.extend(enc(&[
        Msg(1, vec![Str(1, "v1"), Str(2, "ConfigMap")]),
        Bytes(2, enc(&[Msg(1, vec![Str(1, "c")])])),
    ]));
    let rev =
        body("apps/v1", "ControllerRevision", &[Msg(2, vec![Bytes(1, nested)]), Varint(3, 1)]);
    assert_eq!(
        decoded(&rev)["data"],
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    );
    let bad =
        body("apps/v1", "ControllerRevision", &[Msg(2, vec![Bytes(1, b"{not json".to_vec())])]);
    assert!(bad_request(&bad).contains("RawExtension does not hold valid JSON"));
}

#[test]
fn extra_values_inline_structs_and_packed_lists() {
    let sar = body(
        "authorization.k8s.io/v1",
        "SubjectAccessReview",
        &[Msg(
            2,
            vec![
                Msg(2, vec![Str(1, "/healthz"), Str(2, "get")]),
                Str(3, "alice"),
                Str(4, "devs"),
                Msg(5, vec![Str(1, "scopes"), Msg(2, vec![Str(1, "a"), Str(1, "b")])]),
            ],
        )],
    );
    assert_eq!(
        decoded(&sar),
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
               "spec": {"nonResourceAttributes": {"path": "/healthz", "verb": "get"}, "user": "alice",
                        "groups": ["devs"], "extra": {"scopes": ["a", "b"]}}})
    );
    // Pod: an ephemeral container (EphemeralContainerCommon inlined), env from a secret key
    // (LocalObjectReference inlined), and a packed list of exit codes.
    let mut packed = Vec::new();
    for code in [1u64, 2, 42] {
        put_varint(&mut packed, code);
    }
    let pod = body(
        "v1",
        "Pod",
        &[
            Msg(1, vec![Str(1, "p")]),
            Msg(
                2,
                vec![
                    Msg(
                        2,
                        vec![
                            Str(1, "c"),
                            Msg(
                                7,
                                vec![
                                    Str(1, "TOKEN"),
                                    Msg(
                                        3,
                                        vec![Msg(
                                            4,
                                            vec![
                                                Msg(1, vec![Str(1, "creds")]),
                                                Str(2, "token"),
                                                Varint(3, 0),
                                            ],
                                        )],
                                    ),
                                ],
                            ),
                            Msg(
                                25,
                                vec![
                                    Str(1, "Restart"),
                                    Msg(2, vec![Str(1, "In"), Bytes(2, packed)]),
                                ],
                            ),
                        ],
                    ),
                    Msg(34, vec![Msg(1, vec![Str(1, "debug"), Str(2, "busybox")]), Str(2, "c")]),
                ],
            ),
        ],
    );
    let v = decoded(&pod);
    assert_eq!(
        v["spec"]["containers"][0]["env"][0],
        json!({"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token", "optional": false}}})
    );
    assert_eq!(
        v["spec"]["containers"][0]["restartPolicyRules"][0],
        json!({"action": "Restart", "exitCodes": {"operator": "In", "values": [1, 2, 42]}})
    );
    assert_eq!(
        v["spec"]["ephemeralContainers"][0],
        json!({"name": "debug", "image": "busybox", "targetContainerName": "c"})
    );
}

#[test]
fn scalar_edge_cases() {
    // Negative int32/int64 (10-byte varints), unknown fields skipped, repeated message merged.
    let b = body(
        "v1",
        "Pod",
        &[
            Msg(1, vec![Str(1, "p"), Varint(99, 7), Str(98, "future field"), Fixed64(97, 1)]),
            Msg(2, vec![Varint(4, neg(-5)), Msg(14, vec![Varint(2, neg(-1))])]),
            Msg(2, vec![Str(10, "node-a")]),
        ],
    );
    assert_eq!(
        decoded(&b),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
               "spec": {"terminationGracePeriodSeconds": -5, "securityContext": {"runAsUser": -1}, "nodeName": "node-a"}})
    );
    let q = body(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        &[Msg(
            2,
            vec![
                Msg(1, vec![Str(1, "Deployment"), Str(2, "web"), Str(3, "apps/v1")]),
                Varint(2, 1),
                Varint(3, 5),
                Msg(
                    4,
                    vec![
                        Str(1, "Resource"),
                        Msg(
                            4,
                            vec![Str(1, "cpu"), Msg(2, vec![Str(1, "Utilization"), Varint(4, 80)])],
                        ),
                    ],
                ),
                Msg(
                    5,
                    vec![Msg(
                        2,
                        vec![
                            Msg(2, vec![Str(1, "Pods"), Varint(2, 4), Varint(3, 60)]),
                            Varint(3, 300),
                            Msg(4, vec![]),
                        ],
                    )],
                ),
            ],
        )],
    );
    assert_eq!(
        decoded(&q)["spec"],
        json!({"scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
               "minReplicas": 1, "maxReplicas": 5,
               "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}],
               "behavior": {"scaleDown": {"policies": [{"type": "Pods", "value": 4, "periodSeconds": 60}],
                                          "stabilizationWindowSeconds": 300, "tolerance": "0"}}})
    );
}

#[test]
fn subresource_kinds() {
    let scale =
        body("autoscaling/v1", "Scale", &[Msg(1, vec![Str(1, "web")]), Msg(2, vec![Varint(1, 0)])]);
    // ScaleSpec.replicas is a plain int32 with omitempty: Go's JSON drops a zero too.
    assert_eq!(
        decoded(&scale),
        json!({"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "web"}, "spec": {}})
    );
    let eviction = body(
        "policy/v1",
        "Eviction",
        &[Msg(1, vec![Str(1, "p"), Str(3, "ns")]), Msg(2, vec![Varint(1, 0)])],
    );
    assert_eq!(
        decoded(&eviction),
        json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "p", "namespace": "ns"},
               "deleteOptions": {"gracePeriodSeconds": 0}})
    );
    let binding = body(
        "v1",
        "Binding",
        &[Msg(1, vec![Str(1, "p")]), Msg(2, vec![Str(1, "Node"), Str(3, "node-1")])],
    );
    assert_eq!(
        decoded(&binding),
        json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"}, "target": {"kind": "Node", "name": "node-1"}})
    );
}

#[test]
fn durations_format_like_go() {
    for (ns, want) in [
        (0, "0s"),
        (1, "1ns"),
        (1_500, "1.5µs"),
        (1_500_000, "1.5ms"),
        (1_000_000_000, "1s"),
        (90_000_000_000, "1m30s"),
        (3_600_000_000_000, "1h0m0s"),
        (3_723_500_000_000, "1h2m3.5s"),
        (-2_000_000_000, "-2s"),
    ] {
        assert_eq!(go_duration(ns), want, "{ns}");
    }
}

#[test]
fn malformed_bodies_are_bad_requests() {
    assert!(bad_request(b"{\"kind\":\"ConfigMap\"}")
        .contains("does not start with the Kubernetes protobuf prefix"));
    assert!(bad_request(b"").contains("prefix"));
    assert!(bad_request(&body("v1", "Frobnicator", &[]))
        .contains("no kind \"Frobnicator\" is known in version \"v1\""));
    assert!(bad_request(&body("", "", &[])).contains("has no kind"));
    // A string where a varint belongs.
    let wrong = body("v1", "Secret", &[Str(5, "yes")]);
    assert!(
        bad_request(&wrong).contains("io.k8s.api.core.v1.Secret.immutable (field 5): wire type 2"),
        "{}",
        bad_request(&wrong)
    );
    let bad_ios =
        body("policy/v1", "PodDisruptionBudget", &[Msg(2, vec![Msg(1, vec![Varint(1, 7)])])]);
    assert!(bad_request(&bad_ios).contains("IntOrString has an invalid type 7"));
    let mut encoded = MAGIC.to_vec();
    encoded.extend(enc(&[Msg(1, vec![Str(1, "v1"), Str(2, "ConfigMap")]), Str(3, "gzip")]));
    assert!(bad_request(&encoded).contains("content encoding \"gzip\""));
    // Overlong varint; group wire types.
    let mut b = MAGIC.to_vec();
    b.extend([0x28; 1]); // field 5 (unknown, skipped), varint
    b.extend([0xff; 11]);
    assert!(bad_request(&b).contains("longer than 10 bytes"));
    let mut b = MAGIC.to_vec();
    b.extend([0x0b]);
    assert!(bad_request(&b).contains("wire type 3"));
}

#[test]
fn every_truncation_fails_cleanly() {
    for (name, pb, _) in GOLDEN {
        for n in 0..pb.len() {
            // Must not panic; most prefixes are errors, a few are valid shorter messages.
            if let Err(e) = decode(&pb[..n]) {
                assert!(matches!(e, ApiError::BadRequest(_)), "{name}[..{n}]: {e:?}");
            }
        }
    }
    assert!(bad_request(&fixture!("deployment")[..100]).contains("truncated"));
}

#[test]
fn mutated_bodies_never_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for (name, pb, _) in GOLDEN {
        for _ in 0..300 {
            let mut b = pb.to_vec();
            for _ in 0..1 + next() % 4 {
                let i = (next() % b.len() as u64) as usize;
                b[i] = next() as u8;
            }
            if let Err(e) = decode(&b) {
                assert!(matches!(e, ApiError::BadRequest(_)), "{name}: {e:?}");
            }
        }
    }
}

#[test]
fn deep_nesting_is_refused() {
    // Nested JSONSchema-like recursion does not exist in the table, but RawExtension can nest
    // whole objects: build a ControllerRevision chain deeper than the limit.
    let mut inner = enc(&[]);
    for _ in 0..120 {
        let mut obj = MAGIC.to_vec();
        obj.extend(enc(&[
            Msg(1, vec![Str(1, "apps/v1"), Str(2, "ControllerRevision")]),
            Bytes(2, enc(&[Msg(2, vec![Bytes(1, inner)])])),
        ]));
        inner = obj;
    }
    let body = inner;
    assert!(bad_request(&body).contains("nested deeper than"));
}

#[test]
fn schema_table_is_consistent() {
    for (i, m) in schema::MESSAGES.iter().enumerate() {
        assert!(m.fields.windows(2).all(|w| w[0].tag < w[1].tag), "{} fields not sorted", m.name);
        for f in m.fields {
            if let Ty::Message(idx) = f.ty {
                assert!(usize::from(idx) < schema::MESSAGES.len(), "{}.{}", m.name, f.json);
            }
        }
        assert!(
            i == 0 || schema::MESSAGES[i - 1].name < m.name,
            "messages not sorted at {}",
            m.name
        );
    }
    assert!(
        schema::KINDS.windows(2).all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)),
        "kinds not sorted"
    );
    for (group_version, kind) in [
        ("v1", "ConfigMap"),
        ("v1", "Binding"),
        ("apps/v1", "Deployment"),
        ("batch/v1", "CronJob"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("autoscaling/v1", "Scale"),
        ("policy/v1", "Eviction"),
        ("coordination.k8s.io/v1", "Lease"),
        ("discovery.k8s.io/v1", "EndpointSlice"),
        ("events.k8s.io/v1", "Event"),
        ("networking.k8s.io/v1", "IngressClass"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("storage.k8s.io/v1", "StorageClass"),
        ("authentication.k8s.io/v1", "TokenRequest"),
        ("authentication.k8s.io/v1", "SelfSubjectReview"),
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
        ("batch/v1", "DeleteOptions"),
    ] {
        assert!(lookup_kind(group_version, kind).is_some(), "{group_version} {kind}");
    }
}

/// The server's kinds all have a protobuf schema.
#[test]
fn every_served_kind_is_decodable() {
    for res in crate::resources::RESOURCES {
        assert!(
            lookup_kind(&res.api_version(), res.kind).is_some(),
            "{} {}",
            res.api_version(),
            res.kind
        );
        for sub in res.subresources {
            let av = if sub.group.is_empty() {
                sub.version.to_string()
            } else {
                format!("{}/{}", sub.group, sub.version)
            };
            if sub.kind.ends_with("Options") {
                continue; // connect options travel in the query string
            }
            assert!(
                lookup_kind(&av, sub.kind).is_some(),
                "{av} {} ({}/{})",
                sub.kind,
                res.plural,
                sub.name
            );
        }
    }
}

/// `cargo test -p krust-apiserver --release protobuf::tests::decode_speed -- --ignored --nocapture`
#[test]
#[ignore]
fn decode_speed() {
    let pb = fixture!("deployment");
    let n = 100_000;
    let start = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(decode(std::hint::black_box(pb)).ok());
    }
    let per = start.elapsed() / n;
    eprintln!("deployment ({} bytes): {per:?} per decode", pb.len());
}
