//! The OpenAPI v3 documents kube-apiserver serves at `/openapi/v3` (the index) and
//! `/openapi/v3/<api/v1 | apis/GROUP/VERSION>` (one document per group-version).
//!
//! kubectl reads them for three things:
//! - **validation**: with `--validate=strict` (the default) it looks, in the document of the
//!   object's group-version, for a `patch` operation whose `x-kubernetes-group-version-kind` is
//!   the object's kind and which has a `fieldValidation` query parameter; if found it leaves
//!   validation to the server (`?fieldValidation=Strict`);
//! - **client-side apply**: the strategic-merge-patch metadata (`x-kubernetes-patch-merge-key`,
//!   `x-kubernetes-patch-strategy`) of the component schema carrying the object's kind, used when
//!   the kind's `patch` operation accepts `application/strategic-merge-patch+json`;
//! - **`kubectl explain`**: the descriptions of the component schemas.
//!
//! Schemas come from `k8s-openapi`'s `schemars` implementations, generated for OpenAPI 3.0 (refs
//! to `#/components/schemas/<Kubernetes definition name>`, `$ref` siblings wrapped in `allOf`).
//! `k8s-openapi` drops Kubernetes' list/map/patch extensions, so they are put back from
//! `EXTENSIONS`, a table taken from the Kubernetes v1.34 OpenAPI definitions. Paths are built
//! from the resource catalogue ([`crate::resources::RESOURCES`]).
//!
//! Documents are generated once per group-version, on first use, and cached.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, OnceLock};

use bytes::Bytes;
use k8s_openapi::schemars::generate::SchemaSettings;
use k8s_openapi::schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::resources::{self, ResourceInfo, SubresourceInfo};

/// The Kubernetes version the documents describe (`info.version`).
pub const KUBERNETES_VERSION: &str = "v1.34.0";

const SCHEMA_PREFIX: &str = "#/components/schemas/";

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1";

/// One generated OpenAPI v3 document.
#[derive(Debug)]
pub struct OpenApiDoc {
    /// The document, serialised as compact JSON.
    pub json: Bytes,
    /// Upper-case hex SHA-512 of `json`, as kube-apiserver puts in `?hash=`.
    pub hash: String,
}

/// A served group-version and the path of its document under `/openapi/v3/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupVersion {
    /// `api/v1` or `apis/apps/v1`.
    pub path: String,
    /// API group; "" for the core group.
    pub group: &'static str,
    pub version: &'static str,
}

/// Every served group-version, in discovery order.
pub fn group_versions() -> Vec<GroupVersion> {
    let mut out = Vec::new();
    for (group, versions) in resources::groups() {
        for version in versions {
            let path = if group.is_empty() {
                format!("api/{version}")
            } else {
                format!("apis/{group}/{version}")
            };
            out.push(GroupVersion { path, group, version });
        }
    }
    out
}

type Cache = Vec<(GroupVersion, OnceLock<Arc<OpenApiDoc>>)>;

static CACHE: LazyLock<Cache> =
    LazyLock::new(|| group_versions().into_iter().map(|gv| (gv, OnceLock::new())).collect());

/// The document of one served group-version (`group` "" for the core group), generated on first
/// use; `None` if the group-version is not served.
pub fn document(group: &str, version: &str) -> Option<Arc<OpenApiDoc>> {
    let (gv, cell) = CACHE.iter().find(|(gv, _)| gv.group == group && gv.version == version)?;
    Some(cell.get_or_init(|| Arc::new(render(&generate(gv.group, gv.version)))).clone())
}

/// The document served at `/openapi/v3/<path>` (`path` as in [`GroupVersion::path`], without
/// the leading slash).
pub fn document_for_path(path: &str) -> Option<Arc<OpenApiDoc>> {
    let path = path.trim_matches('/');
    let (gv, _) = CACHE.iter().find(|(gv, _)| gv.path == path)?;
    document(gv.group, gv.version)
}

/// The `/openapi/v3` index: `{"paths": {"api/v1": {"serverRelativeURL":
/// "/openapi/v3/api/v1?hash=..."}, ...}}`, one entry per served group-version.
pub fn index() -> Value {
    let mut paths = Map::new();
    for (gv, _) in CACHE.iter() {
        if let Some(doc) = document(gv.group, gv.version) {
            let url = format!("/openapi/v3/{}?hash={}", gv.path, doc.hash);
            paths.insert(gv.path.clone(), json!({ "serverRelativeURL": url }));
        }
    }
    json!({ "paths": paths })
}

fn render(doc: &Value) -> OpenApiDoc {
    let json = doc.to_string().into_bytes();
    let digest = ring::digest::digest(&ring::digest::SHA512, &json);
    let hash = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    OpenApiDoc { json: Bytes::from(json), hash }
}

// ---------------------------------------------------------------------------------------------
// Kinds and their k8s-openapi types.

type AddFn = fn(&mut SchemaGenerator) -> String;

/// Adds `T`'s schema (and everything it references) to the generator; returns its name.
fn add<T: JsonSchema>(generator: &mut SchemaGenerator) -> String {
    let _ = generator.subschema_for::<T>();
    T::schema_name().into_owned()
}

struct KindSchema {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    add: AddFn,
    name: fn() -> std::borrow::Cow<'static, str>,
}

macro_rules! kinds {
    ($($t:ty),* $(,)?) => {
        &[$(KindSchema {
            group: <$t as k8s_openapi::Resource>::GROUP,
            version: <$t as k8s_openapi::Resource>::VERSION,
            kind: <$t as k8s_openapi::Resource>::KIND,
            add: add::<$t>,
            name: <$t as JsonSchema>::schema_name,
        }),*]
    };
}

/// Every kind a served resource or subresource reads or writes, with its schema.
static KINDS: &[KindSchema] = {
    use k8s_openapi::api::*;
    kinds![
        core::v1::Namespace,
        core::v1::Pod,
        core::v1::Service,
        core::v1::Endpoints,
        core::v1::Node,
        core::v1::ConfigMap,
        core::v1::Secret,
        core::v1::ServiceAccount,
        core::v1::Event,
        core::v1::LimitRange,
        core::v1::ResourceQuota,
        core::v1::PersistentVolume,
        core::v1::PersistentVolumeClaim,
        core::v1::PodTemplate,
        core::v1::ReplicationController,
        core::v1::Binding,
        apps::v1::Deployment,
        apps::v1::ReplicaSet,
        apps::v1::StatefulSet,
        apps::v1::DaemonSet,
        apps::v1::ControllerRevision,
        batch::v1::Job,
        batch::v1::CronJob,
        autoscaling::v1::Scale,
        autoscaling::v2::HorizontalPodAutoscaler,
        authentication::v1::TokenRequest,
        coordination::v1::Lease,
        discovery::v1::EndpointSlice,
        events::v1::Event,
        networking::v1::Ingress,
        networking::v1::IngressClass,
        networking::v1::NetworkPolicy,
        policy::v1::PodDisruptionBudget,
        policy::v1::Eviction,
        rbac::v1::ClusterRoleBinding,
        rbac::v1::ClusterRole,
        rbac::v1::RoleBinding,
        rbac::v1::Role,
        scheduling::v1::PriorityClass,
        storage::v1::StorageClass,
    ]
};

fn kind_schema(group: &str, version: &str, kind: &str) -> Option<&'static KindSchema> {
    KINDS.iter().find(|k| k.group == group && k.version == version && k.kind == kind)
}

fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({ "group": group, "kind": kind, "version": version })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("{SCHEMA_PREFIX}{name}") })
}

// ---------------------------------------------------------------------------------------------
// Document generation.

struct Builder {
    generator: SchemaGenerator,
    paths: Map<String, Value>,
    /// Definition name -> the GVKs it carries in `x-kubernetes-group-version-kind`.
    gvks: BTreeMap<String, Vec<Value>>,
    /// List definitions to synthesise: (list definition, item definition, list kind GVK).
    lists: Vec<(String, String, Value)>,
    tag: String,
    /// `CoreV1`, `AppsV1`: the middle of operation ids.
    id_gv: String,
}

/// One operation of a path item.
struct Op<'a> {
    method: &'static str,
    id: String,
    description: String,
    action: &'static str,
    gvk: &'a Value,
    params: Vec<Value>,
    body: Option<Value>,
    responses: Value,
}

fn generate(group: &'static str, version: &'static str) -> Value {
    let settings = SchemaSettings::openapi3().with(|s| s.meta_schema = None);
    let group_camel = group_camel(group);
    let mut b = Builder {
        generator: settings.into_generator(),
        paths: Map::new(),
        gvks: BTreeMap::new(),
        lists: Vec::new(),
        tag: format!("{}_{version}", lower_first(&group_camel)),
        id_gv: format!("{group_camel}{}", upper_first(version)),
    };

    // The meta types every document's operations refer to.
    add::<k8s_openapi::apimachinery::pkg::apis::meta::v1::DeleteOptions>(&mut b.generator);
    add::<k8s_openapi::apimachinery::pkg::apis::meta::v1::Status>(&mut b.generator);
    add::<k8s_openapi::apimachinery::pkg::apis::meta::v1::Patch>(&mut b.generator);
    add::<k8s_openapi::apimachinery::pkg::apis::meta::v1::WatchEvent<()>>(&mut b.generator);
    add::<k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta>(&mut b.generator);
    let all_gvs = group_versions();
    for meta_kind in ["DeleteOptions", "WatchEvent"] {
        let mut list = vec![gvk("", "v1", meta_kind)];
        list.extend(
            all_gvs
                .iter()
                .filter(|gv| !gv.group.is_empty())
                .map(|gv| gvk(gv.group, gv.version, meta_kind)),
        );
        b.gvks.insert(format!("{META}.{meta_kind}"), list);
    }
    b.gvks.insert(format!("{META}.Status"), vec![gvk("", "v1", "Status")]);

    for r in resources::in_group_version(group, version) {
        b.resource(r);
    }

    let mut schemas = b.generator.take_definitions(true);
    for (list, item, list_gvk) in &b.lists {
        schemas.insert(list.clone(), list_schema(list, item));
        b.gvks.entry(list.clone()).or_default().push(list_gvk.clone());
    }
    // Kinds reached from other kinds (a StatefulSet's PersistentVolumeClaim templates) carry
    // their GVK too, as upstream.
    for k in KINDS {
        let name = (k.name)();
        if schemas.contains_key(name.as_ref()) {
            let list = b.gvks.entry(name.into_owned()).or_default();
            let kind_gvk = gvk(k.group, k.version, k.kind);
            if !list.contains(&kind_gvk) {
                list.push(kind_gvk);
            }
        }
    }
    for (name, gvks) in &b.gvks {
        if let Some(Value::Object(schema)) = schemas.get_mut(name) {
            schema.insert("x-kubernetes-group-version-kind".into(), Value::Array(gvks.clone()));
        }
    }
    apply_extensions(&mut schemas);
    fix_scalars(&mut schemas);

    json!({
        "openapi": "3.0.0",
        "info": { "title": "Kubernetes", "version": KUBERNETES_VERSION },
        "paths": b.paths,
        "components": { "schemas": schemas },
    })
}

impl Builder {
    fn resource(&mut self, r: &'static ResourceInfo) {
        let Some(ks) = kind_schema(r.group, r.version, r.kind) else {
            tracing::warn!(kind = r.kind, group = r.group, "no OpenAPI schema for kind");
            return;
        };
        let def = (ks.add)(&mut self.generator);
        let kind_gvk = gvk(r.group, r.version, r.kind);
        self.gvks.entry(def.clone()).or_default().push(kind_gvk.clone());
        let list_def = format!("{def}List");
        let list_kind = format!("{}List", r.kind);
        self.lists.push((list_def.clone(), def.clone(), gvk(r.group, r.version, &list_kind)));

        let prefix = if r.group.is_empty() {
            format!("/api/{}", r.version)
        } else {
            format!("/apis/{}/{}", r.group, r.version)
        };
        let ns = if r.namespaced { "/namespaces/{namespace}" } else { "" };
        let scope = if r.namespaced { "Namespaced" } else { "" };
        let kind = r.kind;
        let id_gv = self.id_gv.clone();
        let has = |verb: &str| r.verbs.contains(&verb);

        let mut scope_params = Vec::new();
        if r.namespaced {
            scope_params.push(param("namespace"));
        }
        let with_pretty = |mut v: Vec<Value>| {
            v.push(param("pretty"));
            v
        };

        // The collection.
        let collection = format!("{prefix}{ns}/{}", r.plural);
        let mut ops = Vec::new();
        if has("list") {
            ops.push(Op {
                method: "get",
                id: format!("list{id_gv}{scope}{kind}"),
                description: format!("list or watch objects of kind {kind}"),
                action: "list",
                gvk: &kind_gvk,
                params: params(LIST_PARAMS),
                body: None,
                responses: ok(&list_def, LIST_CONTENT),
            });
        }
        if has("create") {
            ops.push(Op {
                method: "post",
                id: format!("create{id_gv}{scope}{kind}"),
                description: format!("create {} {kind}", article(kind)),
                action: "post",
                gvk: &kind_gvk,
                params: params(&["dryRun", "fieldManager", "fieldValidation"]),
                body: Some(body(&def)),
                responses: created(&def, true),
            });
        }
        if has("deletecollection") {
            ops.push(Op {
                method: "delete",
                id: format!("delete{id_gv}Collection{scope}{kind}"),
                description: format!("delete collection of {kind}"),
                action: "deletecollection",
                gvk: &kind_gvk,
                params: params(DELETECOLLECTION_PARAMS),
                body: Some(body(&format!("{META}.DeleteOptions"))),
                responses: ok(&format!("{META}.Status"), OBJECT_CONTENT),
            });
        }
        self.path(&collection, with_pretty(scope_params.clone()), ops);

        // One object.
        let item = format!("{collection}/{{name}}");
        let mut item_params = vec![name_param(kind)];
        item_params.extend(scope_params.iter().cloned());
        let mut ops = Vec::new();
        if has("get") {
            ops.push(Op {
                method: "get",
                id: format!("read{id_gv}{scope}{kind}"),
                description: format!("read the specified {kind}"),
                action: "get",
                gvk: &kind_gvk,
                params: Vec::new(),
                body: None,
                responses: ok(&def, OBJECT_CONTENT),
            });
        }
        if has("update") {
            ops.push(Op {
                method: "put",
                id: format!("replace{id_gv}{scope}{kind}"),
                description: format!("replace the specified {kind}"),
                action: "put",
                gvk: &kind_gvk,
                params: params(&["dryRun", "fieldManager", "fieldValidation"]),
                body: Some(body(&def)),
                responses: created(&def, false),
            });
        }
        if has("patch") {
            ops.push(patch_op(
                format!("patch{id_gv}{scope}{kind}"),
                format!("partially update the specified {kind}"),
                &kind_gvk,
                &def,
            ));
        }
        if has("delete") {
            let status = format!("{META}.Status");
            ops.push(Op {
                method: "delete",
                id: format!("delete{id_gv}{scope}{kind}"),
                description: format!("delete {} {kind}", article(kind)),
                action: "delete",
                gvk: &kind_gvk,
                params: params(DELETE_PARAMS),
                body: Some(body(&format!("{META}.DeleteOptions"))),
                responses: json!({
                    "200": response("OK", &status, OBJECT_CONTENT),
                    "202": response("Accepted", &status, OBJECT_CONTENT),
                }),
            });
        }
        self.path(&item, with_pretty(item_params.clone()), ops);

        // Listing and watching across namespaces, and the deprecated watch paths.
        if has("watch") {
            let mut watch_params = params(LIST_PARAMS);
            watch_params.extend(scope_params.iter().cloned());
            let watch_list = format!("{prefix}/watch{ns}/{}", r.plural);
            self.path(
                &watch_list,
                with_pretty(watch_params.clone()),
                vec![Op {
                    method: "get",
                    id: format!("watch{id_gv}{scope}{kind}List"),
                    description: format!(
                        "watch individual changes to a list of {kind}. deprecated: use the \
                         'watch' parameter with a list operation instead."
                    ),
                    action: "watchlist",
                    gvk: &kind_gvk,
                    params: Vec::new(),
                    body: None,
                    responses: ok(&format!("{META}.WatchEvent"), LIST_CONTENT),
                }],
            );
            let mut watch_item_params = watch_params.clone();
            watch_item_params.push(name_param(kind));
            self.path(
                &format!("{watch_list}/{{name}}"),
                with_pretty(watch_item_params),
                vec![Op {
                    method: "get",
                    id: format!("watch{id_gv}{scope}{kind}"),
                    description: format!(
                        "watch changes to an object of kind {kind}. deprecated: use the 'watch' \
                         parameter with a list operation instead, filtered to a single item with \
                         the 'fieldSelector' parameter."
                    ),
                    action: "watch",
                    gvk: &kind_gvk,
                    params: Vec::new(),
                    body: None,
                    responses: ok(&format!("{META}.WatchEvent"), LIST_CONTENT),
                }],
            );
            if r.namespaced {
                self.path(
                    &format!("{prefix}/watch/{}", r.plural),
                    with_pretty(params(LIST_PARAMS)),
                    vec![Op {
                        method: "get",
                        id: format!("watch{id_gv}{kind}ListForAllNamespaces"),
                        description: format!(
                            "watch individual changes to a list of {kind}. deprecated: use the \
                             'watch' parameter with a list operation instead."
                        ),
                        action: "watchlist",
                        gvk: &kind_gvk,
                        params: Vec::new(),
                        body: None,
                        responses: ok(&format!("{META}.WatchEvent"), LIST_CONTENT),
                    }],
                );
            }
        }
        if r.namespaced && has("list") {
            self.path(
                &format!("{prefix}/{}", r.plural),
                with_pretty(params(LIST_PARAMS)),
                vec![Op {
                    method: "get",
                    id: format!("list{id_gv}{kind}ForAllNamespaces"),
                    description: format!("list or watch objects of kind {kind}"),
                    action: "list",
                    gvk: &kind_gvk,
                    params: Vec::new(),
                    body: None,
                    responses: ok(&list_def, LIST_CONTENT),
                }],
            );
        }

        for sub in r.subresources {
            self.subresource(r, sub, &item, &item_params, &def, &kind_gvk);
        }
    }

    fn subresource(
        &mut self,
        r: &ResourceInfo,
        sub: &SubresourceInfo,
        item: &str,
        item_params: &[Value],
        parent_def: &str,
        parent_gvk: &Value,
    ) {
        let id_gv = self.id_gv.clone();
        let scope = if r.namespaced { "Namespaced" } else { "" };
        let kind = r.kind;
        let suffix = upper_first(sub.name);
        let path = format!("{item}/{}", sub.name);
        let sub_gvk = gvk(sub.group, sub.version, sub.kind);
        let has = |verb: &str| sub.verbs.contains(&verb);
        // The path-level parameters: the subresource's own name, then the scope.
        let mut path_params = item_params.to_vec();
        if let Some(first) = path_params.first_mut() {
            *first = name_param(sub.kind);
        }
        path_params.push(param("pretty"));

        let mut ops = Vec::new();
        match sub.name {
            "log" => {
                ops.push(Op {
                    method: "get",
                    id: format!("read{id_gv}{scope}{kind}Log"),
                    description: format!("read log of the specified {kind}"),
                    action: "get",
                    gvk: parent_gvk,
                    params: params(LOG_PARAMS),
                    body: None,
                    responses: json!({ "200": {
                        "description": "OK",
                        "content": {
                            "application/json": { "schema": { "type": "string" } },
                            "application/vnd.kubernetes.protobuf": { "schema": { "type": "string" } },
                            "application/yaml": { "schema": { "type": "string" } },
                            "text/plain": { "schema": { "type": "string" } },
                        },
                    }}),
                });
            }
            "attach" | "exec" | "portforward" | "proxy" => {
                let query = match sub.name {
                    "attach" => ATTACH_PARAMS,
                    "exec" => EXEC_PARAMS,
                    "portforward" => &["ports"],
                    _ => &["path"],
                };
                let mut connect_params = path_params.clone();
                connect_params.extend(params(query));
                let plain = connect_ops(sub, &id_gv, scope, kind, &suffix, false, &sub_gvk);
                self.path(&path, connect_params, plain);
                if sub.name == "proxy" {
                    let mut with_path_params = path_params.clone();
                    with_path_params.push(param("pathParam"));
                    with_path_params.push(param("path"));
                    let ops = connect_ops(sub, &id_gv, scope, kind, &suffix, true, &sub_gvk);
                    self.path(&format!("{path}/{{path}}"), with_path_params, ops);
                }
                return;
            }
            _ => {
                let def = match kind_schema(sub.group, sub.version, sub.kind) {
                    Some(ks) => (ks.add)(&mut self.generator),
                    None if sub.kind == kind => parent_def.to_string(),
                    None => {
                        tracing::warn!(kind = sub.kind, "no OpenAPI schema for subresource kind");
                        return;
                    }
                };
                if sub.kind != kind || sub.group != r.group {
                    let list = self.gvks.entry(def.clone()).or_default();
                    if !list.contains(&sub_gvk) {
                        list.push(sub_gvk.clone());
                    }
                }
                let what = sub.name;
                if has("get") {
                    ops.push(Op {
                        method: "get",
                        id: format!("read{id_gv}{scope}{kind}{suffix}"),
                        description: format!("read {what} of the specified {kind}"),
                        action: "get",
                        gvk: &sub_gvk,
                        params: Vec::new(),
                        body: None,
                        responses: ok(&def, OBJECT_CONTENT),
                    });
                }
                if has("create") {
                    ops.push(Op {
                        method: "post",
                        id: format!("create{id_gv}{scope}{kind}{suffix}"),
                        description: format!("create {what} of {} {kind}", article(kind)),
                        action: "post",
                        gvk: &sub_gvk,
                        params: params(&["dryRun", "fieldManager", "fieldValidation"]),
                        body: Some(body(&def)),
                        responses: created(&def, true),
                    });
                }
                if has("update") {
                    ops.push(Op {
                        method: "put",
                        id: format!("replace{id_gv}{scope}{kind}{suffix}"),
                        description: format!("replace {what} of the specified {kind}"),
                        action: "put",
                        gvk: &sub_gvk,
                        params: params(&["dryRun", "fieldManager", "fieldValidation"]),
                        body: Some(body(&def)),
                        responses: created(&def, false),
                    });
                }
                if has("patch") {
                    ops.push(patch_op(
                        format!("patch{id_gv}{scope}{kind}{suffix}"),
                        format!("partially update {what} of the specified {kind}"),
                        &sub_gvk,
                        &def,
                    ));
                }
            }
        }
        self.path(&path, path_params, ops);
    }

    fn path(&mut self, path: &str, mut path_params: Vec<Value>, ops: Vec<Op<'_>>) {
        if ops.is_empty() {
            return;
        }
        path_params.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        let mut item = Map::new();
        item.insert("parameters".into(), Value::Array(path_params));
        for op in ops {
            let mut o = Map::new();
            o.insert("description".into(), op.description.into());
            o.insert("operationId".into(), op.id.into());
            if !op.params.is_empty() {
                o.insert("parameters".into(), Value::Array(op.params));
            }
            if let Some(body) = op.body {
                o.insert("requestBody".into(), body);
            }
            o.insert("responses".into(), op.responses);
            o.insert("tags".into(), json!([self.tag]));
            o.insert("x-kubernetes-action".into(), op.action.into());
            o.insert("x-kubernetes-group-version-kind".into(), op.gvk.clone());
            item.insert(op.method.into(), Value::Object(o));
        }
        self.paths.insert(path.to_string(), Value::Object(item));
    }
}

fn connect_ops<'a>(
    sub: &SubresourceInfo,
    id_gv: &str,
    scope: &str,
    kind: &str,
    suffix: &str,
    with_path: bool,
    gvk: &'a Value,
) -> Vec<Op<'a>> {
    const METHODS: &[(&str, &str, &str)] = &[
        ("delete", "delete", "Delete"),
        ("get", "get", "Get"),
        ("patch", "patch", "Patch"),
        ("create", "post", "Post"),
        ("update", "put", "Put"),
    ];
    let with = if with_path { "WithPath" } else { "" };
    METHODS
        .iter()
        .filter(|(verb, _, _)| sub.verbs.contains(verb))
        .map(|&(_, method, camel)| Op {
            method,
            id: format!("connect{id_gv}{camel}{scope}{kind}{suffix}{with}"),
            description: format!(
                "connect {} requests to {} of {kind}",
                method.to_uppercase(),
                sub.name
            ),
            action: "connect",
            gvk,
            params: Vec::new(),
            body: None,
            responses: json!({ "200": {
                "description": "OK",
                "content": { "*/*": { "schema": { "type": "string" } } },
            }}),
        })
        .collect()
}

fn patch_op<'a>(id: String, description: String, gvk: &'a Value, def: &str) -> Op<'a> {
    let patch = schema_ref(&format!("{META}.Patch"));
    let content: Map<String, Value> = PATCH_CONTENT_TYPES
        .iter()
        .map(|ct| (ct.to_string(), json!({ "schema": patch.clone() })))
        .collect();
    Op {
        method: "patch",
        id,
        description,
        action: "patch",
        gvk,
        params: params(&["dryRun", "fieldManager", "fieldValidation", "force"]),
        body: Some(json!({ "content": content, "required": true })),
        responses: created(def, false),
    }
}

/// The patch content types kube-apiserver accepts for built-in kinds.
pub const PATCH_CONTENT_TYPES: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
];

const OBJECT_CONTENT: &[&str] =
    &["application/json", "application/vnd.kubernetes.protobuf", "application/yaml"];
const LIST_CONTENT: &[&str] = &[
    "application/json",
    "application/json;stream=watch",
    "application/vnd.kubernetes.protobuf",
    "application/vnd.kubernetes.protobuf;stream=watch",
    "application/yaml",
];

fn response(description: &str, def: &str, types: &[&str]) -> Value {
    let content: Map<String, Value> =
        types.iter().map(|ct| (ct.to_string(), json!({ "schema": schema_ref(def) }))).collect();
    json!({ "description": description, "content": content })
}

fn ok(def: &str, types: &[&str]) -> Value {
    json!({ "200": response("OK", def, types) })
}

/// 200 and 201 (and 202 if `accepted`) with the object.
fn created(def: &str, accepted: bool) -> Value {
    let mut r = json!({
        "200": response("OK", def, OBJECT_CONTENT),
        "201": response("Created", def, OBJECT_CONTENT),
    });
    if accepted {
        r["202"] = response("Accepted", def, OBJECT_CONTENT);
    }
    r
}

fn body(def: &str) -> Value {
    json!({ "content": { "*/*": { "schema": schema_ref(def) } }, "required": true })
}

// ---------------------------------------------------------------------------------------------
// Parameters.

const LIST_PARAMS: &[&str] = &[
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
    "watch",
];
const DELETE_PARAMS: &[&str] = &[
    "dryRun",
    "gracePeriodSeconds",
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "orphanDependents",
    "propagationPolicy",
];
const DELETECOLLECTION_PARAMS: &[&str] = &[
    "continue",
    "dryRun",
    "fieldSelector",
    "gracePeriodSeconds",
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "labelSelector",
    "limit",
    "orphanDependents",
    "propagationPolicy",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
];
const LOG_PARAMS: &[&str] = &[
    "logContainer",
    "follow",
    "insecureSkipTLSVerifyBackend",
    "limitBytes",
    "previous",
    "sinceSeconds",
    "stream",
    "tailLines",
    "timestamps",
];
const ATTACH_PARAMS: &[&str] = &["attachContainer", "stderr", "stdin", "stdout", "tty"];
const EXEC_PARAMS: &[&str] = &["command", "execContainer", "stderr", "stdin", "stdout", "tty"];

fn params(names: &[&str]) -> Vec<Value> {
    names.iter().map(|n| param(n)).collect()
}

fn name_param(kind: &str) -> Value {
    json!({
        "description": format!("name of the {kind}"),
        "in": "path",
        "name": "name",
        "required": true,
        "schema": { "type": "string", "uniqueItems": true },
    })
}

/// A parameter by (internal) name, with kube-apiserver's description. Internal names that differ
/// from the wire name (`logContainer`, `pathParam`, ...) pick among descriptions.
fn param(key: &str) -> Value {
    let (name, location, ty, description) = match key {
        "allowWatchBookmarks" => ("allowWatchBookmarks", "query", "boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored."),
        "continue" => ("continue", "query", "string", "The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize. If the specified continue value is no longer valid whether due to expiration (generally five to fifteen minutes) or a configuration change on the server, the server will respond with a 410 ResourceExpired error together with a continue token. If the client needs a consistent list, it must restart their list without the continue field. Otherwise, the client may send another list request with the token received with the 410 error, the server will respond with a list starting from the next key, but from the latest snapshot, which is inconsistent from the previous list results - objects that are created, modified, or deleted after the first list request will be included in the response, as long as their keys are after the \"next key\".\n\nThis field is not supported when watch is true. Clients may start a watch from the last resourceVersion value returned by the server and not miss any modifications."),
        "dryRun" => ("dryRun", "query", "string", "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed"),
        "fieldManager" => ("fieldManager", "query", "string", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch)."),
        "fieldSelector" => ("fieldSelector", "query", "string", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
        "fieldValidation" => ("fieldValidation", "query", "string", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered."),
        "force" => ("force", "query", "boolean", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests."),
        "gracePeriodSeconds" => ("gracePeriodSeconds", "query", "integer", "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately."),
        "ignoreStoreReadErrorWithClusterBreakingPotential" => ("ignoreStoreReadErrorWithClusterBreakingPotential", "query", "boolean", "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error. A resource is considered corrupt if it can not be retrieved from the underlying storage successfully because of a) its data can not be transformed e.g. decryption failure, or b) it fails to decode into an object. NOTE: unsafe deletion ignores finalizer constraints, skips precondition checks, and removes the object from the storage. WARNING: This may potentially break the cluster if the workload associated with the resource being unsafe-deleted relies on normal deletion flow. Use only if you REALLY know what you are doing. The default value is false, and the user must opt in to enable it"),
        "labelSelector" => ("labelSelector", "query", "string", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
        "limit" => ("limit", "query", "integer", "limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results. Setting a limit may return fewer than the requested amount of items (up to zero items) in the event all requested objects are filtered out and clients should only use the presence of the continue field to determine whether more results are available. Servers may choose not to support the limit argument and will return all of the available results. If limit is specified and the continue field is empty, clients may assume that no more results are available. This field is not supported if watch is true.\n\nThe server guarantees that the objects returned when using continue will be identical to issuing a single list call without a limit - that is, no objects created, modified, or deleted after the first request is issued will be included in any subsequent continued requests. This is sometimes referred to as a consistent snapshot, and ensures that a client that is using limit to receive smaller chunks of a very large result can ensure they see all possible objects. If objects are updated during a chunked list the version of the object that was present at the time the first list result was calculated is returned."),
        "namespace" => ("namespace", "path", "string", "object name and auth scope, such as for teams and projects"),
        "orphanDependents" => ("orphanDependents", "query", "boolean", "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the \"orphan\" finalizer will be added to/removed from the object's finalizers list. Either this field or PropagationPolicy may be set, but not both."),
        "pretty" => ("pretty", "query", "string", "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."),
        "propagationPolicy" => ("propagationPolicy", "query", "string", "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
        "resourceVersion" => ("resourceVersion", "query", "string", "resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset"),
        "resourceVersionMatch" => ("resourceVersionMatch", "query", "string", "resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset"),
        "sendInitialEvents" => ("sendInitialEvents", "query", "boolean", "`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection. Once all such events have been sent, a synthetic \"Bookmark\" event  will be sent. The bookmark will report the ResourceVersion (RV) corresponding to the set of objects, and be marked with `\"k8s.io/initial-events-end\": \"true\"` annotation. Afterwards, the watch stream will proceed as usual, sending watch events corresponding to changes (subsequent to the RV) to objects watched.\n\nWhen `sendInitialEvents` option is set, we require `resourceVersionMatch` option to also be set. The semantic of the watch request is as following: - `resourceVersionMatch` = NotOlderThan\n  is interpreted as \"data at least as new as the provided `resourceVersion`\"\n  and the bookmark event is send when the state is synced\n  to a `resourceVersion` at least as fresh as the one provided by the ListOptions.\n  If `resourceVersion` is unset, this is interpreted as \"consistent read\" and the\n  bookmark event is send when the state is synced at least to the moment\n  when request started being processed.\n- `resourceVersionMatch` set to any other value or unset\n  Invalid error is returned.\n\nDefaults to true if `resourceVersion=\"\"` or `resourceVersion=\"0\"` (for backward compatibility reasons) and to false otherwise."),
        "timeoutSeconds" => ("timeoutSeconds", "query", "integer", "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity."),
        "watch" => ("watch", "query", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion."),
        // pods/log
        "logContainer" => ("container", "query", "string", "The container for which to stream logs. Defaults to only container if there is one container in the pod."),
        "follow" => ("follow", "query", "boolean", "Follow the log stream of the pod. Defaults to false."),
        "insecureSkipTLSVerifyBackend" => ("insecureSkipTLSVerifyBackend", "query", "boolean", "insecureSkipTLSVerifyBackend indicates that the apiserver should not confirm the validity of the serving certificate of the backend it is connecting to.  This will make the HTTPS connection between the apiserver and the backend insecure. This means the apiserver cannot verify the log data it is receiving came from the real kubelet.  If the kubelet is configured to verify the apiserver's TLS credentials, it does not mean the connection to the real kubelet is vulnerable to a man in the middle attack (e.g. an attacker could not intercept the actual log data coming from the real kubelet)."),
        "limitBytes" => ("limitBytes", "query", "integer", "If set, the number of bytes to read from the server before terminating the log output. This may not display a complete final line of logging, and may return slightly more or slightly less than the specified limit."),
        "previous" => ("previous", "query", "boolean", "Return previous terminated container logs. Defaults to false."),
        "sinceSeconds" => ("sinceSeconds", "query", "integer", "A relative time in seconds before the current time from which to show logs. If this value precedes the time a pod was started, only logs since the pod start will be returned. If this value is in the future, no logs will be returned. Only one of sinceSeconds or sinceTime may be specified."),
        "stream" => ("stream", "query", "string", "Specify which container log stream to return to the client. Acceptable values are \"All\", \"Stdout\" and \"Stderr\". If not specified, \"All\" is used, and both stdout and stderr are returned interleaved. Note that when \"TailLines\" is specified, \"Stream\" can only be set to nil or \"All\"."),
        "tailLines" => ("tailLines", "query", "integer", "If set, the number of lines from the end of the logs to show. If not specified, logs are shown from the creation of the container or sinceSeconds or sinceTime. Note that when \"TailLines\" is specified, \"Stream\" can only be set to nil or \"All\"."),
        "timestamps" => ("timestamps", "query", "boolean", "If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of log output. Defaults to false."),
        // pods/attach, pods/exec, pods/portforward, proxy
        "attachContainer" => ("container", "query", "string", "The container in which to execute the command. Defaults to only container if there is only one container in the pod."),
        "execContainer" => ("container", "query", "string", "Container in which to execute the command. Defaults to only container if there is only one container in the pod."),
        "command" => ("command", "query", "string", "Command is the remote command to execute. argv array. Not executed within a shell."),
        "stderr" => ("stderr", "query", "boolean", "Redirect the standard error stream of the pod for this call."),
        "stdin" => ("stdin", "query", "boolean", "Redirect the standard input stream of the pod for this call. Defaults to false."),
        "stdout" => ("stdout", "query", "boolean", "Redirect the standard output stream of the pod for this call."),
        "tty" => ("tty", "query", "boolean", "TTY if true indicates that a tty will be allocated for the attach call. This is passed through the container runtime so the tty is allocated on the worker node by the container runtime. Defaults to false."),
        "ports" => ("ports", "query", "integer", "List of ports to forward Required when using WebSockets"),
        "path" => ("path", "query", "string", "Path is the URL path to use for the current proxy request."),
        "pathParam" => ("path", "path", "string", "path to the resource"),
        _ => (key, "query", "string", ""),
    };
    let mut p = json!({
        "in": location,
        "name": name,
        "schema": { "type": ty, "uniqueItems": true },
    });
    if !description.is_empty() {
        p["description"] = description.into();
    }
    if location == "path" {
        p["required"] = true.into();
    }
    p
}

// ---------------------------------------------------------------------------------------------
// Schemas.

const API_VERSION_DESCRIPTION: &str = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND_DESCRIPTION: &str = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

/// `<Kind>List`: k8s-openapi's `List<T>` has no schema of its own.
fn list_schema(list: &str, item: &str) -> Value {
    let list_kind = list.rsplit('.').next().unwrap_or(list);
    let kind = item.rsplit('.').next().unwrap_or(item);
    json!({
        "description": format!("{list_kind} is a list of {kind} objects."),
        "properties": {
            "apiVersion": { "description": API_VERSION_DESCRIPTION, "type": "string" },
            "items": {
                "description": format!("List of {kind} objects."),
                "items": schema_ref(item),
                "type": "array",
            },
            "kind": { "description": KIND_DESCRIPTION, "type": "string" },
            "metadata": {
                "allOf": [schema_ref(&format!("{META}.ListMeta"))],
                "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
            },
        },
        "required": ["items"],
        "type": "object",
    })
}

/// Puts Kubernetes' list, map and patch extensions back on the generated schemas, and makes the
/// schemas' `required` lists the upstream ones where k8s-openapi's differ.
fn apply_extensions(schemas: &mut Map<String, Value>) {
    for line in EXTENSIONS.lines() {
        let line = line.trim();
        let Some((target, rest)) = line.split_once(' ') else { continue };
        let (def, prop) = match target.split_once('#') {
            Some((def, prop)) => (def, Some(prop)),
            None => (target, None),
        };
        let Some(Value::Object(schema)) = schemas.get_mut(def) else { continue };
        let node = match prop {
            None => schema,
            Some(prop) => match schema.get_mut("properties").and_then(|p| p.get_mut(prop)) {
                Some(Value::Object(node)) => node,
                _ => continue,
            },
        };
        for item in rest.split_whitespace() {
            let Some((key, value)) = item.split_once('=') else { continue };
            let value = match key {
                "list-map-keys" => Value::Array(value.split(',').map(Value::from).collect()),
                "unions" => serde_json::from_str(value).unwrap_or(Value::Null),
                "required" if value == "-" => {
                    node.remove("required");
                    continue;
                }
                "required" => Value::Array(value.split(',').map(Value::from).collect()),
                _ => Value::from(value),
            };
            let key =
                if key == "required" { key.to_string() } else { format!("x-kubernetes-{key}") };
            node.insert(key, value);
        }
    }
}

/// IntOrString and Quantity as kube-apiserver describes them in OpenAPI v3 (k8s-openapi marks
/// both with only `x-kubernetes-int-or-string`).
fn fix_scalars(schemas: &mut Map<String, Value>) {
    let fixes = [
        (
            "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
            json!({ "format": "int-or-string", "oneOf": [{ "type": "integer" }, { "type": "string" }] }),
        ),
        (
            "io.k8s.apimachinery.pkg.api.resource.Quantity",
            json!({ "oneOf": [{ "type": "string" }, { "type": "number" }] }),
        ),
    ];
    for (name, fix) in fixes {
        if let (Some(Value::Object(schema)), Value::Object(fix)) = (schemas.get_mut(name), fix) {
            schema.remove("x-kubernetes-int-or-string");
            schema.extend(fix);
        }
    }
}

fn group_camel(group: &str) -> String {
    if group.is_empty() {
        return "Core".into();
    }
    group.trim_end_matches(".k8s.io").split('.').map(upper_first).collect()
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn article(word: &str) -> &'static str {
    match word.chars().next() {
        Some('A' | 'E' | 'I' | 'O' | 'U') => "an",
        _ => "a",
    }
}

/// Kubernetes' schema extensions that k8s-openapi's schemas lack, from the Kubernetes v1.34
/// OpenAPI definitions (restricted to the definitions the served kinds reach). One line per
/// schema (`<definition>`) or property (`<definition>#<property>`), then `key=value` items:
/// `list-type`, `list-map-keys` (comma-separated), `map-type`, `patch-merge-key`,
/// `patch-strategy`, `unions` (JSON), each becoming `x-kubernetes-<key>`; `required`
/// (comma-separated, or `-` for none) replaces the schema's `required`.
const EXTENSIONS: &str = "
io.k8s.api.apps.v1.ControllerRevision required=revision
io.k8s.api.apps.v1.DaemonSet required=-
io.k8s.api.apps.v1.DaemonSetStatus#conditions list-type=map list-map-keys=type patch-merge-key=type patch-strategy=merge
io.k8s.api.apps.v1.Deployment required=-
io.k8s.api.apps.v1.DeploymentSpec#strategy patch-strategy=retainKeys
io.k8s.api.apps.v1.DeploymentStatus#conditions list-type=map list-map-keys=type patch-merge-key=type patch-strategy=merge
io.k8s.api.apps.v1.ReplicaSet required=-
io.k8s.api.apps.v1.ReplicaSetStatus#conditions list-type=map list-map-keys=type patch-merge-key=type patch-strategy=merge
io.k8s.api.apps.v1.StatefulSet required=-
io.k8s.api.apps.v1.StatefulSetSpec#volumeClaimTemplates list-type=atomic
io.k8s.api.apps.v1.StatefulSetStatus#conditions list-type=map list-map-keys=type patch-merge-key=type patch-strategy=merge
io.k8s.api.authentication.v1.TokenRequest required=spec
io.k8s.api.authentication.v1.TokenRequestSpec#audiences list-type=atomic
io.k8s.api.autoscaling.v1.Scale required=-
io.k8s.api.autoscaling.v2.HPAScalingRules#policies list-type=atomic
io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler required=-
io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec#metrics list-type=atomic
io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus#conditions list-type=map list-map-keys=type patch-merge-key=type patch-strategy=merge
io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus#currentMetrics list-type=atomic
io.k8s.api.batch.v1.CronJob required=-
io.k8s.api.batch.v1.CronJobStatus#active list-type=atomic
io.k8s.api.batch.v1.Job required=-
io.k8s.api.batch.v1.JobStatus#conditions list-type=atomic patch-merge-key=type patch-strategy=merge
io.k8s.api.batch.v1.PodFailurePolicy#rules list-type=atomic
io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement#values list-type=set
io.k8s.api.batch.v1.PodFailurePolicyRule#onPodConditions list-type=atomic
io.k8s.api.batch.v1.SuccessPolicy#rules list-type=atomic
io.k8s.api.batch.v1.UncountedTerminatedPods#failed list-type=set
io.k8s.api.batch.v1.UncountedTerminatedPods#succeeded list-type=set
io.k8s.api.coordination.v1.Lease required=-
io.k8s.api.core.v1.AppArmorProfile unions=[{\"discriminator\":\"type\",\"fields-to-discriminateBy\":{\"localhostProfile\":\"LocalhostProfile\"}}]
io.k8s.api.core.v1.Binding required=target
io.k8s.api.core.v1.Capabilities#add list-type=atomic
io.k8s.api.core.v1.Capabilities#drop list-type=atomic
io.k8s.api.core.v1.CephFSPersistentVolumeSource#monitors list-type=atomic
io.k8s.api.core.v1.CephFSVolumeSource#monitors list-type=atomic
io.k8s.api.core.v1.ConfigMap required=-
io.k8s.api.core.v1.ConfigMapEnvSource required=-
io.k8s.api.core.v1.ConfigMapKeySelector map-type=atomic required=key
io.k8s.api.core.v1.ConfigMapProjection required=-
io.k8s.api.core.v1.ConfigMapProjection#items list-type=atomic
io.k8s.api.core.v1.ConfigMapVolumeSource required=-
io.k8s.api.core.v1.ConfigMapVolumeSource#items list-type=atomic
io.k8s.api.core.v1.Container#args list-type=atomic
io.k8s.api.core.v1.Container#command list-type=atomic
io.k8s.api.core.v1.Container#env list-type=map list-map-keys=name patch-merge-key=name patch-strategy=merge
io.k8s.api.core.v1.Container#envFrom list-type=atomic
io.k8s.api.core.v1.Container#ports list-type=map list-map-keys=containerPort,protocol patch-merge-key=containerPort patch-strategy=merge
io.k8s.api.core.v1.Container#resizePolicy list-type=atomic
io.k8s.api.core.v1.Container#restartPolicyRules list-type=atomic
io.k8s.api.core.v1.Container#volumeDevices list-type=map list-map-keys=devicePath patch-merge-key=devicePath patch-strategy=merge
io.k8s.api.core.v1.Container#volumeMounts list-type=map list-map-keys=mountPath patch-merge-key=mountPath patch-strategy=merge
io.k8s.api.core.v1.ContainerImage#names list-type=atomic
io.k8s.api.core.v1.ContainerRestartRuleOnExitCodes#values list-type=set
io.k8s.api.core.v1.ContainerStatus#allocatedResourcesStatus list-type=map list-map-keys=name patch-merge-key=name patch-strategy=merge
io.k8s.api.core.v1.ContainerStatus#volumeMounts list-type=map list-map-keys=mountPath patch-merge-key=mountPath patch-strategy=merge
io.k8s.api.core.v1.DownwardAPIProjection#items list-type=atomic
io.k8s.api.core.v1.DownwardAPIVolumeSource#items list-type=atomic
io.k8s.api.core.v1.EndpointAddress map-type=atomic
io.k8s.api.core.v1.EndpointPort map-type=atomic
io.k8s.api.core.v1.EndpointSubset#addresses list-type=atomic
io.k8s.api.core.v1.EndpointSubset#notReadyAddresses list-type=atomic
io.k8s.api.core.v1.EndpointSubset#ports list-type=atomic
io.k8s.api.core.v1.Endpoints required=-
io.k8s.api.core.v1.Endpoints#subsets list-type=atomic
io.k8s.api.core.v1.EphemeralContainer#args list-type=atomic
io.k8s.api.core.v1.EphemeralContainer#command list-type=atomic
io.k8s.api.core.v1.EphemeralContainer#env list-type=map list-map-keys=name patch-merge-key=name patch-strategy=merge
io.k8s.api.core.v1.EphemeralContainer#envFrom list-type=atomic
io.k8s.api.core.v1.EphemeralContainer#ports list-type=map list-map-keys=containerPort,protocol patch-merge-key=containerPort patch-strategy=merge
io.k8s.api.core.v1.EphemeralContainer#resizePolicy list-type=atomic
io.k8s.api.core.v1.EphemeralContainer#restartPolicyRules list-type=atomic
io.k8s.api.core.v1.EphemeralContainer#volumeDevices list-type=map list-map-keys=devicePath patch-merge-key=devicePath patch-strategy=merge
io.k8s.api.core.v1.EphemeralContainer#volumeMounts list-type=map list-map-keys=mountPath patch-merge-key=mountPath patch-strategy=merge
io.k8s.api.core.v1.ExecAction#command list-type=atomic
io.k8s.api.core.v1.FCVolumeSource#targetWWNs list-type=atomic
io.k8s.api.core.v1.FCVolumeSource#wwids list-type=atomic
io.k8s.api.core.v1.FileKeySelector map-type=atomic
io.k8s.api.core.v1.HTTPGetAction#httpHeaders list-type=atomic
io.k8s.api.core.v1.HostAlias#hostnames list-type=atomic
io.k8s.api.core.v1.ISCSIPersistentVolumeSource#portals list-type=atomic
io.k8s.api.core.v1.ISCSIVolumeSource#portals list-type=atomic
io.k8s.api.core.v1.LimitRange required=-
io.k8s.api.core.v1.LimitRangeSpec#limits list-type=atomic
io.k8s.api.core.v1.LinuxContainerUser#supplementalGroups list-type=atomic
io.k8s.api.core.v1.LoadBalancerIngress#ports list-type=atomic
io.k8s.api.core.v1.LoadBalancerStatus#ingress list-type=atomic
io.k8s.api.core.v1.LocalObjectReference map-type=atomic required=-
io.k8s.api.core.v1.Namespace required=-
io.k8s.api.core.v1.NamespaceSpec#finalizers list-type=atomic
io.k8s.api.core.v1.NamespaceStatus#conditions list-type=map list-map-keys=type patch-merge-key=type patch-strategy=merge
io.k8s.api.core.v1.Node required=-
io.k8s.api.core.v1.NodeAffinity#preferredDuringSchedulingIgnoredDuringExecution list-type=atomic
io.k8s.api.core.v1.NodeSelector map-type=atomic
io.k8s.api.core.v1.NodeSelector#nodeSelectorTerms list-type=atomic
io.k8s.api.core.v1.NodeSelectorRequirement#values list-type=atomic
io.k8s.api.core.v1.NodeSelectorTerm map-type=atomic
io.k8s.api.core.v1.NodeSelectorTerm#matchExpressions list-type=atomic
io.k8s.api.core.v1.NodeSelectorTerm#matchFields list-type=atomic
io.k8s.api.core.v1.NodeSpec#podCIDRs list-type=set patch-strategy=merge
io.k8s.api.core.v1.NodeSpec#taints list-type=atomic
io.k8s.api.core.v1.NodeStatus#addresses list-type=map list-map-keys=type patch-merge-key=type patch-strategy=merge
io.k8s.api.core.v1.NodeStatus#conditions list-type=map list-map-keys=type patch-merge-key=type patch-strategy=merge
io.k8s.api.core.v1.NodeStatus#images list-type=atomic
io.k8s.api.core.v1.NodeStatus#runtimeHandlers list-type=atomic
io.k8s.api.core.v1.NodeStatus#volumesAttached list-type=atomic
io.k8s.api.core.v1.NodeStatus#volumesInUse list-type=atomic
io.k8s.api.core.v1.ObjectFieldSelector map-type=atomic
io.k8s.api.core.v1.ObjectReference map-type=atomic
io.k8s.api.core.v1.PersistentVolume required=-
io.k8s.api.core.v1.PersistentVolumeClaim required=-
io.k8s.api.core.v1.PersistentVolumeClaimSpec#accessModes list-type=atomic
io.k8s.api.core.v1.PersistentVolumeClaimStatus#accessModes list-type=atomic
io.k8s.api.core.v1.PersistentVolumeClaimStatus#allocatedResourceStatuses map-type=granular
io.k8s.api.core.v1.PersistentVolumeClaimStatus#conditions list-type=map list-map-keys=type patch-merge-key=type patch-strategy=merge
io.k8s.api.core.v1.PersistentVolumeSpec#accessModes list-type=atomic
io.k8s.api.core.v1.PersistentVolumeSpec#claimRef map-type=granular
io.k8s.api.core.v1.PersistentVolumeSpec#mountOptions list-type=atomic
io.k8s.api.core.v1.Pod required=-
io.k8s.api.core.v1.PodAffinity#preferredDuringSchedulingIgnoredDuringExecution list-type=atomic
io.k8s.api.core.v1.PodAffinity#requiredDuringSchedulingIgnoredDuringExecution list-type=atomic
io.k8s.api.core.v1.PodAffinityTerm#matchLabelKeys list-type=atomic
io.k8s.api.core.v1.PodAffinityTerm#mismatchLabelKeys list-type=atomic
io.k8s.api.core.v1.PodAffinityTerm#namespaces list-type=atomic
io.k8s.api.core.v1.PodAntiAffinity#preferredDuringSchedulingIgnoredDuringExecution list-type=atomic
io.k8s.api.core.v1.PodAntiAffinity#requiredDuringSchedulingIgnoredDuringExecution list-type=atomic
io.k8s.api.core.v1.PodDNSConfig#nameservers list-type=atomic
io.k8s.api.core.v1.PodDNSConfig#options list-type=atomic
io.k8s.api.core.v1.PodDNSConfig#searches list-type=atomic
io.k8s.api.core.v1.PodExtendedResourceClaimStatus#requestMappings list-type=atomic
io.k8s.api.core.v1.PodSecurityContext#supplementalGroups list-type=atomic
io.k8s.api.core.v1.PodSecurityContext#sysctls list-type=atomic
io.k8s.api.core.v1.PodSpec#containers list-type=map list-map-keys=name patch-merge-key=name patch-strategy=merge
io.k8s.api.core.v1.PodSpec#ephemeralContainers list-type=map list-map-keys=name patch-merge-key=name patch-strategy=merge
io.k8s.api.core.v1.PodSpec#hostAliases list-type=map list-map-keys=ip patch-merge-key=ip patch-strategy=merge
io.k8s.api.core.v1.PodSpec#imagePullSecrets list-type=map list-map-keys=name patch-merge-key=name patch-strategy=merge
io.k8s.api.core.v1.PodSpec#initContainers list-type=map list-map-keys=name patch-merge-key=name patch-strategy=merge
io.k8s.api.core.v1.PodSpec#nodeSelector map-type=atomic
io.k8s.api.core.v1.PodSpec#readinessGates list-type=atomic
io.k8s.api.core.v1.PodSpec#resourceClaims list-type=map list-map-keys=name patch-merge-key=name patch-strategy=merge,retainKeys
io.k8s.api.core.v1.PodSpec#schedulingGates list-type=map list-map-keys=name patch-merge-key=name patch-strategy=merge
io.k8s.api.core.v1.PodSpec#tolerations list-type=atomic
io.k8s.api.core.v1.PodSpec#topologySpreadConstraints list-type=map list-map-keys=topologyKey,whenUnsatisfiable patch-merge-key=topologyKey patch-strategy=merge
io.k8s.api.core.v1.PodSpec#volumes list-type=map list-map-keys=name patch-merge-key=name patch-strategy=merge,retainKeys
io.k8s.api.core.v1.PodStatus#conditions list-type=map list-map-keys=type patch-merge-key=type patch-strategy=merge
io.k8s.api.core.v1.PodStatus#containerStatuses list-type=atomic
io.k8s.api.core.v1.PodStatus#ephemeralContainerStatuses list-type=atomic
io.k8s.api.core.v1.PodStatus#hostIPs list-type=atomic patch-merge-key=ip patch-strategy=merge
io.k8s.api.core.v1.PodStatus#initContainerStatuses list-type=atomic
io.k8s.api.core.v1.PodStatus#podIPs list-type=map list-map-keys=ip patch-merge-key=ip patch-strategy=merge
io.k8s.api.core.v1.PodStatus#resourceClaimStatuses list-type=map list-map-keys=name patch-merge-key=name patch-strategy=merge,retainKeys
io.k8s.api.core.v1.PodTemplate required=-
io.k8s.api.core.v1.ProjectedVolumeSource#sources list-type=atomic
io.k8s.api.core.v1.RBDPersistentVolumeSource#monitors list-type=atomic
io.k8s.api.core.v1.RBDVolumeSource#monitors list-type=atomic
io.k8s.api.core.v1.ReplicationController required=-
io.k8s.api.core.v1.ReplicationControllerSpec#selector map-type=atomic
io.k8s.api.core.v1.ReplicationControllerStatus#conditions list-type=map list-map-keys=type patch-merge-key=type patch-strategy=merge
io.k8s.api.core.v1.ResourceFieldSelector map-type=atomic
io.k8s.api.core.v1.ResourceQuota required=-
io.k8s.api.core.v1.ResourceQuotaSpec#scopes list-type=atomic
io.k8s.api.core.v1.ResourceRequirements#claims list-type=map list-map-keys=name
io.k8s.api.core.v1.ResourceStatus#resources list-type=map list-map-keys=resourceID
io.k8s.api.core.v1.ScopeSelector map-type=atomic
io.k8s.api.core.v1.ScopeSelector#matchExpressions list-type=atomic
io.k8s.api.core.v1.ScopedResourceSelectorRequirement#values list-type=atomic
io.k8s.api.core.v1.SeccompProfile unions=[{\"discriminator\":\"type\",\"fields-to-discriminateBy\":{\"localhostProfile\":\"LocalhostProfile\"}}]
io.k8s.api.core.v1.Secret required=-
io.k8s.api.core.v1.SecretEnvSource required=-
io.k8s.api.core.v1.SecretKeySelector map-type=atomic required=key
io.k8s.api.core.v1.SecretProjection required=-
io.k8s.api.core.v1.SecretProjection#items list-type=atomic
io.k8s.api.core.v1.SecretReference map-type=atomic
io.k8s.api.core.v1.SecretVolumeSource#items list-type=atomic
io.k8s.api.core.v1.Service required=-
io.k8s.api.core.v1.ServiceAccount required=-
io.k8s.api.core.v1.ServiceAccount#imagePullSecrets list-type=atomic
io.k8s.api.core.v1.ServiceAccount#secrets list-type=map list-map-keys=name patch-merge-key=name patch-strategy=merge
io.k8s.api.core.v1.ServiceSpec#clusterIPs list-type=atomic
io.k8s.api.core.v1.ServiceSpec#externalIPs list-type=atomic
io.k8s.api.core.v1.ServiceSpec#ipFamilies list-type=atomic
io.k8s.api.core.v1.ServiceSpec#loadBalancerSourceRanges list-type=atomic
io.k8s.api.core.v1.ServiceSpec#ports list-type=map list-map-keys=port,protocol patch-merge-key=port patch-strategy=merge
io.k8s.api.core.v1.ServiceSpec#selector map-type=atomic
io.k8s.api.core.v1.ServiceStatus#conditions list-type=map list-map-keys=type patch-merge-key=type patch-strategy=merge
io.k8s.api.core.v1.TopologySelectorLabelRequirement#values list-type=atomic
io.k8s.api.core.v1.TopologySelectorTerm map-type=atomic
io.k8s.api.core.v1.TopologySelectorTerm#matchLabelExpressions list-type=atomic
io.k8s.api.core.v1.TopologySpreadConstraint#matchLabelKeys list-type=atomic
io.k8s.api.core.v1.TypedLocalObjectReference map-type=atomic
io.k8s.api.discovery.v1.Endpoint#addresses list-type=set
io.k8s.api.discovery.v1.EndpointHints#forNodes list-type=atomic
io.k8s.api.discovery.v1.EndpointHints#forZones list-type=atomic
io.k8s.api.discovery.v1.EndpointPort map-type=atomic
io.k8s.api.discovery.v1.EndpointSlice required=addressType,endpoints
io.k8s.api.discovery.v1.EndpointSlice#endpoints list-type=atomic
io.k8s.api.discovery.v1.EndpointSlice#ports list-type=atomic
io.k8s.api.events.v1.Event required=eventTime
io.k8s.api.networking.v1.HTTPIngressRuleValue#paths list-type=atomic
io.k8s.api.networking.v1.IPBlock#except list-type=atomic
io.k8s.api.networking.v1.Ingress required=-
io.k8s.api.networking.v1.IngressClass required=-
io.k8s.api.networking.v1.IngressLoadBalancerIngress#ports list-type=atomic
io.k8s.api.networking.v1.IngressLoadBalancerStatus#ingress list-type=atomic
io.k8s.api.networking.v1.IngressSpec#rules list-type=atomic
io.k8s.api.networking.v1.IngressSpec#tls list-type=atomic
io.k8s.api.networking.v1.IngressTLS#hosts list-type=atomic
io.k8s.api.networking.v1.NetworkPolicy required=-
io.k8s.api.networking.v1.NetworkPolicyEgressRule#ports list-type=atomic
io.k8s.api.networking.v1.NetworkPolicyEgressRule#to list-type=atomic
io.k8s.api.networking.v1.NetworkPolicyIngressRule#from list-type=atomic
io.k8s.api.networking.v1.NetworkPolicyIngressRule#ports list-type=atomic
io.k8s.api.networking.v1.NetworkPolicySpec#egress list-type=atomic
io.k8s.api.networking.v1.NetworkPolicySpec#ingress list-type=atomic
io.k8s.api.networking.v1.NetworkPolicySpec#policyTypes list-type=atomic
io.k8s.api.networking.v1.ServiceBackendPort map-type=atomic
io.k8s.api.policy.v1.Eviction required=-
io.k8s.api.policy.v1.PodDisruptionBudget required=-
io.k8s.api.policy.v1.PodDisruptionBudgetSpec#selector patch-strategy=replace
io.k8s.api.policy.v1.PodDisruptionBudgetStatus#conditions list-type=map list-map-keys=type patch-merge-key=type patch-strategy=merge
io.k8s.api.rbac.v1.AggregationRule#clusterRoleSelectors list-type=atomic
io.k8s.api.rbac.v1.ClusterRole required=-
io.k8s.api.rbac.v1.ClusterRole#rules list-type=atomic
io.k8s.api.rbac.v1.ClusterRoleBinding required=roleRef
io.k8s.api.rbac.v1.ClusterRoleBinding#subjects list-type=atomic
io.k8s.api.rbac.v1.PolicyRule#apiGroups list-type=atomic
io.k8s.api.rbac.v1.PolicyRule#nonResourceURLs list-type=atomic
io.k8s.api.rbac.v1.PolicyRule#resourceNames list-type=atomic
io.k8s.api.rbac.v1.PolicyRule#resources list-type=atomic
io.k8s.api.rbac.v1.PolicyRule#verbs list-type=atomic
io.k8s.api.rbac.v1.Role required=-
io.k8s.api.rbac.v1.Role#rules list-type=atomic
io.k8s.api.rbac.v1.RoleBinding required=roleRef
io.k8s.api.rbac.v1.RoleBinding#subjects list-type=atomic
io.k8s.api.rbac.v1.RoleRef map-type=atomic
io.k8s.api.rbac.v1.Subject map-type=atomic
io.k8s.api.scheduling.v1.PriorityClass required=value
io.k8s.api.storage.v1.StorageClass required=provisioner
io.k8s.api.storage.v1.StorageClass#allowedTopologies list-type=atomic
io.k8s.api.storage.v1.StorageClass#mountOptions list-type=atomic
io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions#dryRun list-type=atomic
io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector map-type=atomic
io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector#matchExpressions list-type=atomic
io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement#values list-type=atomic
io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta#finalizers list-type=set patch-strategy=merge
io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta#managedFields list-type=atomic
io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta#ownerReferences list-type=map list-map-keys=uid patch-merge-key=uid patch-strategy=merge
io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference map-type=atomic
io.k8s.apimachinery.pkg.apis.meta.v1.Status required=-
io.k8s.apimachinery.pkg.apis.meta.v1.Status#details list-type=atomic
io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails#causes list-type=atomic
";

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(group: &str, version: &str) -> Value {
        let d = document(group, version).expect("served group-version");
        serde_json::from_slice(&d.json).expect("valid JSON")
    }

    #[test]
    fn index_lists_served_group_versions() {
        let idx = index();
        let paths = idx["paths"].as_object().expect("paths");
        for gv in ["api/v1", "apis/apps/v1", "apis/batch/v1", "apis/rbac.authorization.k8s.io/v1"] {
            let url = paths[gv]["serverRelativeURL"].as_str().expect("url");
            assert!(url.starts_with(&format!("/openapi/v3/{gv}?hash=")), "{url}");
        }
        assert_eq!(paths.len(), group_versions().len());
        let apps = document("apps", "v1").expect("apps/v1");
        assert_eq!(apps.hash.len(), 128);
        assert!(paths["apis/apps/v1"]["serverRelativeURL"]
            .as_str()
            .expect("url")
            .ends_with(&apps.hash));
        assert!(document("apps", "v1beta1").is_none());
        assert!(document_for_path("/apis/apps/v1").is_some());
    }

    #[test]
    fn deployment_schema_and_operations() {
        let d = doc("apps", "v1");
        assert_eq!(d["openapi"], "3.0.0");
        let dep = &d["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(
            dep["x-kubernetes-group-version-kind"],
            json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
        );
        let patch = &d["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(patch["x-kubernetes-action"], "patch");
        assert_eq!(
            patch["x-kubernetes-group-version-kind"],
            json!({"group": "apps", "kind": "Deployment", "version": "v1"})
        );
        let params = patch["parameters"].as_array().expect("parameters");
        assert!(params.iter().any(|p| p["name"] == "fieldValidation" && p["in"] == "query"));
        for ct in PATCH_CONTENT_TYPES {
            assert!(patch["requestBody"]["content"].get(*ct).is_some(), "{ct}");
        }
        let scale =
            &d["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]["patch"];
        assert_eq!(scale["x-kubernetes-group-version-kind"]["kind"], "Scale");
        assert!(d["components"]["schemas"]["io.k8s.api.autoscaling.v1.Scale"].is_object());
        assert!(d["components"]["schemas"]["io.k8s.api.apps.v1.DeploymentList"].is_object());
        assert!(
            d["paths"]["/apis/apps/v1/watch/namespaces/{namespace}/deployments"]["get"].is_object()
        );
        assert!(d["paths"]["/apis/apps/v1/deployments"]["get"].is_object());
    }

    #[test]
    fn every_served_kind_has_a_patch_operation_with_field_validation() {
        for gv in group_versions() {
            let d = doc(gv.group, gv.version);
            for r in resources::in_group_version(gv.group, gv.version) {
                let want = gvk(r.group, r.version, r.kind);
                let found = d["paths"].as_object().expect("paths").values().any(|item| {
                    item["patch"]["x-kubernetes-group-version-kind"] == want
                        && item["patch"]["parameters"]
                            .as_array()
                            .is_some_and(|ps| ps.iter().any(|p| p["name"] == "fieldValidation"))
                });
                assert!(found, "{} {}", r.api_version(), r.kind);
                let schemas = d["components"]["schemas"].as_object().expect("schemas");
                assert!(
                    schemas.values().any(|s| s["x-kubernetes-group-version-kind"]
                        .as_array()
                        .is_some_and(|l| l.contains(&want))),
                    "schema for {want}"
                );
            }
        }
    }

    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(s)) => out.push(s),
                        _ => refs(v, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn all_refs_resolve() {
        for gv in group_versions() {
            let d = doc(gv.group, gv.version);
            let schemas = d["components"]["schemas"].as_object().expect("schemas");
            let mut all = Vec::new();
            refs(&d, &mut all);
            assert!(!all.is_empty());
            for r in all {
                let name = r.strip_prefix(SCHEMA_PREFIX).unwrap_or_else(|| panic!("bad ref {r}"));
                assert!(schemas.contains_key(name), "{}: unresolved {r}", gv.path);
            }
            // No JSON-Schema-only keywords OpenAPI 3.0 does not know.
            let text = d.to_string();
            assert!(!text.contains("\"$schema\"") && !text.contains("\"$defs\""));
        }
    }

    #[test]
    fn descriptions_and_patch_extensions() {
        let d = doc("", "v1");
        let schemas = &d["components"]["schemas"];
        let container =
            schemas["io.k8s.api.core.v1.Container"]["properties"].as_object().expect("props");
        assert!(container.len() > 20);
        for (name, prop) in container {
            assert!(prop["description"].as_str().is_some_and(|s| !s.is_empty()), "{name}");
        }
        let containers = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
        assert_eq!(containers["x-kubernetes-list-type"], "map");
        assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
        let ports = &schemas["io.k8s.api.core.v1.Container"]["properties"]["ports"];
        assert_eq!(ports["x-kubernetes-list-map-keys"], json!(["containerPort", "protocol"]));
        let meta = &schemas["io.k8s.api.core.v1.Pod"]["properties"]["metadata"];
        assert_eq!(
            meta["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        );
        assert!(meta["description"].is_string());
        let apps = doc("apps", "v1");
        let strategy = &apps["components"]["schemas"]["io.k8s.api.apps.v1.DeploymentSpec"]
            ["properties"]["strategy"];
        assert_eq!(strategy["x-kubernetes-patch-strategy"], "retainKeys");
    }

    #[test]
    fn generation_is_deterministic() {
        let a = generate("apps", "v1").to_string();
        let b = generate("apps", "v1").to_string();
        assert_eq!(a, b);
    }

    /// Writes every document and the index to `$OPENAPI_DUMP_DIR` (default `/tmp/krust-openapi`):
    /// `cargo test -p krust-apiserver openapi::tests::dump -- --ignored`.
    #[test]
    #[ignore]
    fn dump() {
        let dir = std::env::var("OPENAPI_DUMP_DIR").unwrap_or_else(|_| "/tmp/krust-openapi".into());
        for gv in group_versions() {
            let start = std::time::Instant::now();
            let d = generate(gv.group, gv.version);
            let elapsed = start.elapsed();
            let doc = render(&d);
            let file = std::path::Path::new(&dir).join(format!("{}.json", gv.path));
            std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
            std::fs::write(&file, &doc.json).expect("write");
            eprintln!("{} {} bytes in {elapsed:?}", gv.path, doc.json.len());
        }
        std::fs::write(std::path::Path::new(&dir).join("index.json"), index().to_string())
            .expect("write");
    }
}
