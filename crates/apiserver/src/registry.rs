//! The generic registry: one implementation of create, get, list, update, delete and watch that
//! drives every resource over the store. Resource-specific behaviour is looked up from the
//! catalogue (`ResourceInfo`) and the typed kinds layer (`kinds::normalize`): defaulting,
//! validation, the status/spec split and graceful deletion.
//!
//! Objects are kept as JSON in the store under kube-apiserver's key layout, without
//! `metadata.resourceVersion`: the resourceVersion of an object *is* the store's mod_revision
//! of its key, set on every read. Writes are compare-and-swap on that revision
//! (`guaranteed_update`), so concurrent writers never lose an update.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use krust_store::{EventKind, KeyRange, KeyValue, RangeRequest, Store, StoreError};
use serde_json::{json, Value};

use crate::admission::{self, Attributes, Operation};
use crate::cache::{CacheError, CacheWatch, CachedEvent, CachedObject, Cacher, WatchStart};
use crate::convert;
use crate::errors::{ApiError, ApiResult, FieldError};
use crate::kinds;
use crate::meta;
use crate::object;
use crate::resources::{lookup, ResourceInfo};
use crate::selectors::{FieldSelector, LabelSelector};

/// How unknown fields in a request body are treated (`fieldValidation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FieldValidation {
    Ignore,
    #[default]
    Warn,
    Strict,
}

impl FieldValidation {
    pub fn parse(s: Option<&str>) -> ApiResult<Self> {
        match s {
            None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some(other) => Err(ApiError::BadRequest(format!(
                "fieldValidation parameter unsupported: {other}; must be one of Ignore, Warn, Strict"
            ))),
        }
    }
}

/// Options shared by writes.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    pub dry_run: bool,
    pub field_validation: FieldValidation,
    /// A server-side change through a subresource that may touch fields users may not
    /// (binding sets `spec.nodeName`): validate the result, but not as a user update.
    pub system_update: bool,
    /// Who is writing, for managedFields (`fieldManager`, or derived from the User-Agent).
    pub field_manager: Option<String>,
    /// Server-side apply: take over conflicting fields.
    pub force: bool,
    /// The write already computed its managedFields (server-side apply).
    pub managed_fields_set: bool,
}

/// The result of a write: the object and any warnings for the `Warning` header.
#[derive(Debug)]
pub struct Written {
    pub object: Value,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    pub label_selector: LabelSelector,
    pub field_selector: FieldSelector,
    pub limit: usize,
    pub continue_token: Option<String>,
    pub resource_version: Option<String>,
    pub resource_version_match: Option<String>,
}

pub struct ListResult {
    /// The objects as served (JSON bytes, resourceVersion stamped).
    pub items: Vec<Bytes>,
    pub resource_version: i64,
    pub continue_token: Option<String>,
    pub remaining_item_count: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct DeleteOptions {
    pub grace_period_seconds: Option<i64>,
    pub precondition_uid: Option<String>,
    pub precondition_resource_version: Option<String>,
    pub propagation_policy: Option<String>,
    pub dry_run: bool,
}

/// Outcome of a delete.
pub struct Deleted {
    pub object: Value,
    /// True if the object is gone; false if deletion is pending (grace period or finalizers).
    pub finished: bool,
}

#[derive(Clone, Debug, Default)]
pub struct WatchOptions {
    pub label_selector: LabelSelector,
    pub field_selector: FieldSelector,
    pub resource_version: Option<String>,
    pub allow_bookmarks: bool,
    pub send_initial_events: Option<bool>,
    pub timeout: Option<Duration>,
}

/// One watch event as the API sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct WatchEvent {
    /// ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.
    pub kind: &'static str,
    /// The object as JSON bytes.
    pub object: Bytes,
}

/// Interval between bookmarks on watches that asked for them (kube-apiserver: about a minute).
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(60);
/// Largest object accepted (etcd's default request limit, as kube-apiserver inherits it).
pub const MAX_OBJECT_BYTES: usize = krust_store::MAX_REQUEST_BYTES;

/// The watch caches, one per resource, created on first use.
type Caches =
    Arc<parking_lot::Mutex<std::collections::HashMap<(&'static str, &'static str), Arc<Cacher>>>>;

#[derive(Clone)]
pub struct Registry {
    store: Arc<dyn Store>,
    caches: Caches,
}

/// The namespace lookup every namespaced write does.
fn namespaces() -> &'static ResourceInfo {
    lookup("", "v1", "namespaces").expect("namespaces are in the catalogue")
}

pub fn object_key(res: &ResourceInfo, ns: Option<&str>, name: &str) -> String {
    match ns {
        Some(ns) if res.namespaced => format!("{}{ns}/{name}", res.storage_prefix()),
        _ => format!("{}{name}", res.storage_prefix()),
    }
}

fn list_prefix(res: &ResourceInfo, ns: Option<&str>) -> String {
    match ns {
        Some(ns) if res.namespaced => format!("{}{ns}/", res.storage_prefix()),
        _ => res.storage_prefix(),
    }
}

/// Decodes a stored value as `res` serves it and stamps its resourceVersion.
fn decode_at(res: &ResourceInfo, value: &[u8], revision: i64) -> ApiResult<Value> {
    let obj: Value = serde_json::from_slice(value)
        .map_err(|e| ApiError::Internal(format!("stored object is not valid JSON: {e}")))?;
    let mut obj = convert::served_value(res, obj);
    meta::set(&mut obj, "resourceVersion", json!(revision.to_string()));
    Ok(obj)
}

fn decode(res: &ResourceInfo, kv: &KeyValue) -> ApiResult<Value> {
    decode_at(res, &kv.value, kv.mod_revision)
}

/// Encodes an object written through `res` in its stored form.
fn encode(res: &ResourceInfo, obj: &Value) -> ApiResult<Bytes> {
    let bytes = object::encode(&convert::for_storage(res, obj)).map_err(ApiError::Internal)?;
    if bytes.len() > MAX_OBJECT_BYTES {
        return Err(ApiError::RequestEntityTooLarge(format!(
            "object is {} bytes; the limit is {MAX_OBJECT_BYTES} bytes",
            bytes.len()
        )));
    }
    Ok(bytes)
}

fn parse_rv(rv: &str) -> ApiResult<i64> {
    rv.parse::<i64>()
        .ok()
        .filter(|r| *r >= 0)
        .ok_or_else(|| ApiError::BadRequest(format!("invalid resource version \"{rv}\"")))
}

/// `generateName` + 5 characters, from the alphabet kube-apiserver uses (no vowels, no
/// look-alikes).
fn generate_name(base: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let id = uuid::Uuid::new_v4();
    let suffix: String =
        id.as_bytes()[..5].iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    let base = if base.len() > 58 { &base[..58] } else { base };
    format!("{base}{suffix}")
}

/// Kinds whose status is reset by the server on create (their controllers own it).
fn resets_status_on_create(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment"
            | "ReplicaSet"
            | "StatefulSet"
            | "DaemonSet"
            | "Job"
            | "CronJob"
            | "ReplicationController"
            | "HorizontalPodAutoscaler"
            | "PodDisruptionBudget"
            | "Ingress"
            | "ResourceQuota"
    )
}

/// Everything in an object but metadata and status: what bumps `generation`.
fn spec_part(obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
        m.remove("apiVersion");
        m.remove("kind");
    }
    v
}

fn has_status_subresource(res: &ResourceInfo) -> bool {
    res.subresource("status").is_some()
}

impl Registry {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Registry { store, caches: Default::default() }
    }

    /// The watch cache of a resource, started on first use.
    pub fn cacher(&self, res: &'static ResourceInfo) -> Arc<Cacher> {
        let mut caches = self.caches.lock();
        caches
            .entry((res.group, res.plural))
            .or_insert_with(|| Cacher::start(res, self.store.clone()))
            .clone()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The write pipeline between a decoded request body and the store, in kube-apiserver's
    /// order: decode and default (`kinds`); on create, the namespace must exist and not be
    /// terminating (kube-apiserver's NamespaceLifecycle admission); managedFields for writes
    /// other than apply; mutating admission; validation (the kind's and ObjectMeta's);
    /// validating admission. Returns the object to store and the warnings for unknown fields
    /// (or fails for Strict). `name` names the object in validation errors.
    async fn admit(
        &self,
        a: &Attributes<'_>,
        name: &str,
        obj: Value,
        opts: &WriteOptions,
    ) -> ApiResult<(Value, Vec<String>)> {
        let res = a.res;
        // A system update (binding) is validated as the object it makes, not as a user's update.
        let validate_as_update_of = if opts.system_update { None } else { a.old };
        // When admission may change the object, validation waits for it.
        let mutating = admission::mutates(a);
        let decoded = if mutating {
            kinds::decode(res, obj).map(|n| (n, None))
        } else {
            kinds::normalize(res, obj, validate_as_update_of).map(|(n, e)| (n, Some(e)))
        };
        let (normalized, errors) = decoded.map_err(|e| ApiError::BadRequest(e.0))?;
        let mut warnings = Vec::new();
        if !normalized.unknown_fields.is_empty() {
            let list: Vec<String> = normalized
                .unknown_fields
                .iter()
                .map(|f| format!("unknown field \"{f}\""))
                .collect();
            match opts.field_validation {
                FieldValidation::Strict => {
                    return Err(ApiError::BadRequest(format!(
                        "strict decoding error: {}",
                        list.join(", ")
                    )))
                }
                FieldValidation::Warn => warnings.extend(list),
                FieldValidation::Ignore => {}
            }
        }
        let mut object = normalized.object;
        canonicalize(res, &mut object);
        if a.operation == Operation::Create {
            self.check_namespace(res, &object).await?;
        }
        // Ownership covers what the request set (after defaulting, before admission, as
        // kube-apiserver records it), not what the server sets.
        if !opts.managed_fields_set {
            let manager = opts.field_manager.clone().unwrap_or_else(|| "unknown".into());
            crate::managed::record_update(res, a.old, &mut object, &manager, "");
        }
        if mutating {
            admission::admit(self, a, &mut object).await?;
        }
        let mut errors = match errors {
            Some(errors) => errors,
            None => kinds::validate(res, &object, validate_as_update_of)
                .map_err(|e| ApiError::Internal(format!("after admission: {}", e.0)))?,
        };
        errors.splice(0..0, meta::validate_object_meta(res.kind, &object, res.namespaced));
        if !errors.is_empty() {
            return Err(ApiError::invalid(res, name, errors));
        }
        admission::validate(self, a, &object).await?;
        Ok((object, warnings))
    }

    /// A create's namespace must exist and not be terminating.
    async fn check_namespace(&self, res: &ResourceInfo, obj: &Value) -> ApiResult<()> {
        let Some(ns) = meta::namespace(obj).filter(|_| res.namespaced) else { return Ok(()) };
        let nsres = namespaces();
        let kv = self.store.get(object_key(nsres, None, ns).as_bytes()).await?;
        let Some(kv) = kv else { return Err(ApiError::not_found(nsres, ns)) };
        if meta::deletion_timestamp(&decode(nsres, &kv)?).is_some() {
            return Err(ApiError::Forbidden(format!(
                "{} \"{}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                res.qualified_plural(),
                meta::name(obj).unwrap_or_default(),
            )));
        }
        Ok(())
    }

    /// Creates an object. `ns` is the namespace from the URL.
    pub async fn create(
        &self,
        res: &'static ResourceInfo,
        ns: Option<&str>,
        mut obj: Value,
        opts: &WriteOptions,
    ) -> ApiResult<Written> {
        if !obj.is_object() {
            return Err(ApiError::BadRequest(
                "the request body must be a JSON or YAML object".into(),
            ));
        }
        check_type(res, &mut obj)?;
        if res.namespaced {
            let url_ns = ns.unwrap_or("default");
            match meta::namespace(&obj) {
                Some(body_ns) if body_ns != url_ns => {
                    return Err(ApiError::BadRequest(
                        "the namespace of the provided object does not match the namespace sent on the request".into(),
                    ))
                }
                _ => meta::set(&mut obj, "namespace", json!(url_ns)),
            }
        }
        // Admission sees the requested name, or the generateName prefix (kube-apiserver
        // generates the name after admission).
        let requested_name = meta::name(&obj)
            .filter(|n| !n.is_empty())
            .or_else(|| meta::str_field(&obj, "generateName"))
            .unwrap_or_default()
            .to_string();
        if meta::name(&obj).is_none() {
            if let Some(base) = meta::str_field(&obj, "generateName").filter(|s| !s.is_empty()) {
                let n = generate_name(base);
                meta::set(&mut obj, "name", json!(n));
            }
        }
        let name = meta::name(&obj).unwrap_or_default().to_string();
        let namespace = meta::namespace(&obj).map(String::from);
        let attrs = Attributes {
            res,
            operation: Operation::Create,
            namespace: namespace.as_deref(),
            name: &requested_name,
            subresource: None,
            old: None,
        };
        let (mut obj, warnings) = self.admit(&attrs, &name, obj, opts).await?;
        prepare_for_create(res, &mut obj);
        let key = object_key(res, meta::namespace(&obj), &name);
        let bytes = encode(res, &obj)?;
        if opts.dry_run {
            if self.store.get(key.as_bytes()).await?.is_some() {
                return Err(ApiError::already_exists(res, &name));
            }
            return Ok(Written { object: obj, warnings });
        }
        match self.store.create(key.as_bytes(), bytes).await? {
            Some(rev) => {
                meta::set(&mut obj, "resourceVersion", json!(rev.to_string()));
                Ok(Written { object: obj, warnings })
            }
            None => Err(ApiError::already_exists(res, &name)),
        }
    }

    pub async fn get(
        &self,
        res: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
    ) -> ApiResult<Value> {
        let kv = self.store.get(object_key(res, ns, name).as_bytes()).await?;
        match kv {
            Some(kv) => decode(res, &kv),
            None => Err(ApiError::not_found(res, name)),
        }
    }

    /// Replaces an object (PUT), or its status (`subresource = Some("status")`).
    pub async fn update(
        &self,
        res: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
        mut obj: Value,
        subresource: Option<&str>,
        opts: &WriteOptions,
    ) -> ApiResult<Written> {
        if !obj.is_object() {
            return Err(ApiError::BadRequest(
                "the request body must be a JSON or YAML object".into(),
            ));
        }
        check_type(res, &mut obj)?;
        match meta::name(&obj) {
            Some(n) if n != name => {
                return Err(ApiError::BadRequest(format!(
                    "the name of the object ({n}) does not match the name on the URL ({name})"
                )))
            }
            _ => meta::set(&mut obj, "name", json!(name)),
        }
        if res.namespaced {
            match meta::namespace(&obj) {
                Some(body_ns) if Some(body_ns) != ns => {
                    return Err(ApiError::BadRequest(
                        "the namespace of the provided object does not match the namespace sent on the request".into(),
                    ))
                }
                _ => meta::set(&mut obj, "namespace", json!(ns.unwrap_or("default"))),
            }
        }
        let precondition = meta::resource_version(&obj).map(parse_rv).transpose()?;
        let body = obj;
        self.guaranteed_update_of(res, ns, name, subresource, precondition, opts, |old| {
            let merged = match subresource {
                Some("finalize") => {
                    let mut next = old.clone();
                    next["spec"]["finalizers"] =
                        body.pointer("/spec/finalizers").cloned().unwrap_or(json!([]));
                    next
                }
                Some("status") => {
                    let mut next = old.clone();
                    if let Some(m) = next.as_object_mut() {
                        match body.get("status") {
                            Some(s) => m.insert("status".into(), s.clone()),
                            None => m.remove("status"),
                        };
                    }
                    next
                }
                _ => {
                    let mut next = body.clone();
                    if res.kind == "Namespace" {
                        match old.pointer("/spec/finalizers") {
                            Some(f) => next["spec"]["finalizers"] = f.clone(),
                            None => {
                                if let Some(spec) =
                                    next.get_mut("spec").and_then(Value::as_object_mut)
                                {
                                    spec.remove("finalizers");
                                }
                            }
                        }
                    }
                    if has_status_subresource(res) {
                        if let Some(m) = next.as_object_mut() {
                            match old.get("status") {
                                Some(s) => m.insert("status".into(), s.clone()),
                                None => m.remove("status"),
                            };
                        }
                    }
                    next
                }
            };
            Ok(merged)
        })
        .await
    }

    /// Read-modify-write with compare-and-swap, retried on conflict. `precondition`: the
    /// resourceVersion the caller based its change on (a mismatch is a 409, not a retry).
    pub async fn guaranteed_update<F>(
        &self,
        res: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
        precondition: Option<i64>,
        opts: &WriteOptions,
        mutate: F,
    ) -> ApiResult<Written>
    where
        F: FnMut(&Value) -> ApiResult<Value> + Send,
    {
        self.guaranteed_update_of(res, ns, name, None, precondition, opts, mutate).await
    }

    /// [`Self::guaranteed_update`] through a subresource (`status`, `binding`, `scale`...),
    /// as admission sees it.
    #[allow(clippy::too_many_arguments)]
    async fn guaranteed_update_of<F>(
        &self,
        res: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
        subresource: Option<&str>,
        precondition: Option<i64>,
        opts: &WriteOptions,
        mut mutate: F,
    ) -> ApiResult<Written>
    where
        F: FnMut(&Value) -> ApiResult<Value> + Send,
    {
        let key = object_key(res, ns, name);
        loop {
            let Some(kv) = self.store.get(key.as_bytes()).await? else {
                return Err(ApiError::not_found(res, name));
            };
            if let Some(rv) = precondition {
                if rv != kv.mod_revision {
                    return Err(ApiError::stale(res, name));
                }
            }
            let old = decode(res, &kv)?;
            let next = mutate(&old)?;
            let attrs = Attributes {
                res,
                operation: Operation::Update,
                namespace: ns,
                name,
                subresource,
                old: Some(&old),
            };
            let (mut next, warnings) = self.admit(&attrs, name, next, opts).await?;
            carry_system_fields(&old, &mut next);
            if spec_part(&next) != spec_part(&old)
                && meta::metadata(&old).and_then(|m| m.get("generation")).is_some()
            {
                let g = meta::metadata(&old)
                    .and_then(|m| m.get("generation"))
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                meta::set(&mut next, "generation", json!(g + 1));
            }
            meta::set(&mut next, "resourceVersion", json!(kv.mod_revision.to_string()));
            if next == old {
                return Ok(Written { object: old, warnings });
            }
            // The last finalizer of an object being deleted is gone: the object goes.
            if meta::deletion_timestamp(&next).is_some()
                && meta::finalizers(&next).is_empty()
                && !is_graceful_pending(res, &next)
            {
                if opts.dry_run {
                    return Ok(Written { object: next, warnings });
                }
                match self.store.delete_if(key.as_bytes(), kv.mod_revision).await? {
                    Ok((rev, _)) => {
                        meta::set(&mut next, "resourceVersion", json!(rev.to_string()));
                        return Ok(Written { object: next, warnings });
                    }
                    Err(_) => continue,
                }
            }
            if opts.dry_run {
                return Ok(Written { object: next, warnings });
            }
            match self.store.update_if(key.as_bytes(), kv.mod_revision, encode(res, &next)?).await?
            {
                Ok(rev) => {
                    meta::set(&mut next, "resourceVersion", json!(rev.to_string()));
                    return Ok(Written { object: next, warnings });
                }
                Err(_) if precondition.is_some() => return Err(ApiError::stale(res, name)),
                Err(_) => continue,
            }
        }
    }

    /// Read-modify-write straight on the stored object, with no admission, validation or
    /// managedFields: what kube-apiserver's binding REST does (`GuaranteedUpdate` on the
    /// storage), for system writes whose result is valid by construction.
    async fn storage_update<F>(
        &self,
        res: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
        mut mutate: F,
    ) -> ApiResult<Value>
    where
        F: FnMut(&Value) -> ApiResult<Value> + Send,
    {
        let key = object_key(res, ns, name);
        loop {
            let Some(kv) = self.store.get(key.as_bytes()).await? else {
                return Err(ApiError::not_found(res, name));
            };
            let old = decode(res, &kv)?;
            let mut next = mutate(&old)?;
            meta::set(&mut next, "resourceVersion", json!(kv.mod_revision.to_string()));
            if let Ok(rev) =
                self.store.update_if(key.as_bytes(), kv.mod_revision, encode(res, &next)?).await?
            {
                meta::set(&mut next, "resourceVersion", json!(rev.to_string()));
                return Ok(next);
            }
        }
    }

    pub async fn delete(
        &self,
        res: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
        opts: &DeleteOptions,
    ) -> ApiResult<Deleted> {
        let key = object_key(res, ns, name);
        loop {
            let Some(kv) = self.store.get(key.as_bytes()).await? else {
                return Err(ApiError::not_found(res, name));
            };
            let mut obj = decode(res, &kv)?;
            if let Some(uid) = &opts.precondition_uid {
                let actual = meta::uid(&obj).unwrap_or_default();
                if actual != uid {
                    return Err(ApiError::conflict(res, name, &format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {actual}"
                    )));
                }
            }
            if let Some(rv) = &opts.precondition_resource_version {
                if *rv != kv.mod_revision.to_string() {
                    return Err(ApiError::conflict(res, name, &format!(
                        "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                        kv.mod_revision
                    )));
                }
            }
            if res.kind == "Namespace" && !namespace_finalizers(&obj).is_empty() {
                // Namespaces wait for their spec.finalizers (the namespace controller empties
                // the namespace, then finalizes it): mark them Terminating.
                if meta::deletion_timestamp(&obj).is_some() {
                    return Ok(Deleted { object: obj, finished: false });
                }
                meta::set(&mut obj, "deletionTimestamp", json!(meta::now_rfc3339()));
                meta::set(&mut obj, "deletionGracePeriodSeconds", json!(0));
                obj["status"] = json!({ "phase": "Terminating" });
                match self
                    .write_pending_deletion(res, &key, kv.mod_revision, obj, opts.dry_run)
                    .await?
                {
                    Some(d) => return Ok(d),
                    None => continue,
                }
            }
            let mut finalizers = meta::finalizers(&obj);
            match opts.propagation_policy.as_deref() {
                Some("Foreground") if !finalizers.iter().any(|f| f == "foregroundDeletion") => {
                    finalizers.push("foregroundDeletion".into())
                }
                Some("Orphan") if !finalizers.iter().any(|f| f == "orphan") => {
                    finalizers.push("orphan".into())
                }
                None | Some("Background") | Some("Foreground") | Some("Orphan") => {}
                Some(other) => {
                    return Err(ApiError::invalid(
                        res,
                        name,
                        vec![FieldError::not_supported(
                            "propagationPolicy",
                            other,
                            &["Foreground", "Background", "Orphan"],
                        )],
                    ))
                }
            }
            let grace = graceful_period(res, &obj, opts.grace_period_seconds);
            let already_deleting = meta::deletion_timestamp(&obj).is_some();
            if grace > 0 || !finalizers.is_empty() {
                // Pending deletion: stamp deletionTimestamp (a shorter grace period may shorten it).
                let current_grace = meta::metadata(&obj)
                    .and_then(|m| m.get("deletionGracePeriodSeconds"))
                    .and_then(Value::as_i64);
                if already_deleting
                    && current_grace.is_some_and(|g| g <= grace)
                    && finalizers == meta::finalizers(&obj)
                {
                    return Ok(Deleted { object: obj, finished: false });
                }
                let when = chrono::Utc::now() + chrono::Duration::seconds(grace);
                meta::set(
                    &mut obj,
                    "deletionTimestamp",
                    json!(when.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
                );
                meta::set(&mut obj, "deletionGracePeriodSeconds", json!(grace));
                if !finalizers.is_empty() {
                    meta::set(&mut obj, "finalizers", json!(finalizers));
                }
                match self
                    .write_pending_deletion(res, &key, kv.mod_revision, obj, opts.dry_run)
                    .await?
                {
                    Some(d) => return Ok(d),
                    None => continue,
                }
            }
            if opts.dry_run {
                return Ok(Deleted { object: obj, finished: true });
            }
            match self.store.delete_if(key.as_bytes(), kv.mod_revision).await? {
                Ok((rev, _)) => {
                    meta::set(&mut obj, "resourceVersion", json!(rev.to_string()));
                    return Ok(Deleted { object: obj, finished: true });
                }
                Err(_) => continue,
            }
        }
    }

    /// Stores an object whose deletion is pending (deletionTimestamp set). `None` on a
    /// conflicting concurrent write: the caller retries.
    async fn write_pending_deletion(
        &self,
        res: &ResourceInfo,
        key: &str,
        rev: i64,
        mut obj: Value,
        dry_run: bool,
    ) -> ApiResult<Option<Deleted>> {
        if dry_run {
            return Ok(Some(Deleted { object: obj, finished: false }));
        }
        match self.store.update_if(key.as_bytes(), rev, encode(res, &obj)?).await? {
            Ok(new_rev) => {
                meta::set(&mut obj, "resourceVersion", json!(new_rev.to_string()));
                Ok(Some(Deleted { object: obj, finished: false }))
            }
            Err(_) => Ok(None),
        }
    }

    /// Lists objects. A list that accepts any recent state (resourceVersion "0", or "N" with
    /// the default NotOlderThan match) is served from the watch cache; a consistent list
    /// (resourceVersion unset), an exact one, and continued pages read the store. Continue
    /// tokens carry the revision of the first page, so all pages of one list are read at the
    /// same revision, as kube-apiserver does.
    pub async fn list(
        &self,
        res: &'static ResourceInfo,
        ns: Option<&str>,
        opts: &ListOptions,
    ) -> ApiResult<ListResult> {
        opts.field_selector.validate_for(res).map_err(ApiError::BadRequest)?;
        let prefix = list_prefix(res, ns);
        let filtered = !opts.label_selector.is_empty() || !opts.field_selector.is_empty();
        let rv = opts.resource_version.as_deref().unwrap_or("");
        let exact = opts.resource_version_match.as_deref() == Some("Exact");
        let continued = opts.continue_token.as_deref().is_some_and(|t| !t.is_empty());
        if !continued && !exact && !rv.is_empty() {
            let min_rev = if rv == "0" { 0 } else { parse_rv(rv)? };
            if let Ok((objects, rev)) = self.cacher(res).list(prefix.as_bytes(), min_rev).await {
                let items = objects
                    .iter()
                    .filter(|o| {
                        !filtered
                            || (opts.label_selector.matches(meta::labels(&o.sparse))
                                && opts.field_selector.matches(res, &o.sparse))
                    })
                    .map(|o| o.json.clone())
                    .collect();
                return Ok(ListResult {
                    items,
                    resource_version: rev,
                    continue_token: None,
                    remaining_item_count: None,
                });
            }
        }
        let mut range = KeyRange::prefix(&prefix);
        let mut revision = 0i64;
        if let Some(token) = opts.continue_token.as_deref().filter(|t| !t.is_empty()) {
            let (rv, start) = decode_continue(token, &prefix)?;
            revision = rv;
            range = KeyRange { start: Bytes::from(start), end: range.end };
        } else if !rv.is_empty() && rv != "0" {
            let rv = parse_rv(rv)?;
            if exact {
                revision = rv;
            } else {
                let current = self.store.current_revision().await?;
                if rv > current {
                    return Err(ApiError::ServiceUnavailable(format!(
                        "Too large resource version: {rv}, current: {current}"
                    )));
                }
            }
        }
        let limit = opts.limit;
        let chunk = if limit == 0 { 0 } else { limit.max(500) };
        let mut items = Vec::new();
        let mut continue_token = None;
        let mut remaining = None;
        loop {
            let resp = self
                .store
                .range(RangeRequest::new(range.clone()).at_revision(revision).limit(chunk))
                .await
                .map_err(|e| match e {
                    StoreError::Compacted { .. } if continued => ApiError::Gone(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.".into(),
                    ),
                    other => other.into(),
                })?;
            revision = resp.revision;
            let n = resp.kvs.len();
            let mut last_key: Option<Bytes> = None;
            for (i, kv) in resp.kvs.iter().enumerate() {
                last_key = Some(kv.key.clone());
                let served = object::stamp(&convert::served_bytes(res, &kv.value), kv.mod_revision);
                let keep = !filtered || {
                    let obj = object::parse(&served).map_err(ApiError::Internal)?;
                    opts.label_selector.matches(meta::labels(&obj))
                        && opts.field_selector.matches(res, &obj)
                };
                if keep {
                    items.push(served);
                }
                if limit > 0 && items.len() >= limit {
                    if i + 1 < n || resp.more {
                        continue_token = Some(encode_continue(revision, &kv.key, &prefix));
                        if !filtered {
                            remaining = Some(resp.count as i64 - (i as i64 + 1));
                        }
                    }
                    break;
                }
            }
            if continue_token.is_some() || !resp.more || limit == 0 {
                break;
            }
            match last_key {
                Some(k) => range = range.continue_after(&k),
                None => break,
            }
        }
        Ok(ListResult {
            items,
            resource_version: revision,
            continue_token,
            remaining_item_count: remaining,
        })
    }

    /// Watches a resource (all namespaces when `ns` is None), served from the watch cache.
    pub async fn watch(
        &self,
        res: &'static ResourceInfo,
        ns: Option<&str>,
        opts: WatchOptions,
    ) -> ApiResult<impl Stream<Item = WatchEvent> + Send + 'static> {
        opts.field_selector.validate_for(res).map_err(ApiError::BadRequest)?;
        let prefix = list_prefix(res, ns);
        let rv = opts.resource_version.clone().unwrap_or_default();
        let initial = match opts.send_initial_events {
            Some(v) => v,
            None => rv.is_empty() || rv == "0",
        };
        let start =
            if initial { WatchStart::WithInitialState } else { WatchStart::After(parse_rv(&rv)?) };
        let (tx, rx) = tokio::sync::mpsc::channel::<WatchEvent>(64);
        let cw = match self.cacher(res).watch(prefix.as_bytes(), start).await {
            Ok(cw) => cw,
            Err(CacheError::TooOld { requested, oldest }) => {
                // Older than the cache's window (e.g. the cache started after the client's
                // list): serve it from the store's history while that still has it.
                match self.store_watch(res, &prefix, requested).await {
                    Ok(cw) => cw,
                    Err(_) => {
                        let e = ApiError::Gone(format!(
                            "too old resource version: {requested} ({oldest})"
                        ));
                        let _ = tx.send(error_event(&e)).await;
                        return Ok(tokio_stream::wrappers::ReceiverStream::new(rx));
                    }
                }
            }
            Err(CacheError::Unavailable) => {
                return Err(ApiError::ServiceUnavailable(format!(
                    "the watch cache for {} is not ready yet; retry",
                    res.qualified_plural()
                )))
            }
        };
        let filter = Filter { res, label: opts.label_selector, field: opts.field_selector };
        let deadline = opts.timeout.map(|t| tokio::time::Instant::now() + t);
        let initial_end = opts.send_initial_events == Some(true);
        tokio::spawn(pump_watch(cw, filter, tx, deadline, opts.allow_bookmarks, initial_end));
        Ok(tokio_stream::wrappers::ReceiverStream::new(rx))
    }
}

impl Registry {
    /// `POST pods/<name>/binding`: assigns a pod to a node (what the scheduler does).
    pub async fn bind(
        &self,
        ns: Option<&str>,
        name: &str,
        binding: Value,
        opts: &WriteOptions,
    ) -> ApiResult<Value> {
        let pods = lookup("", "v1", "pods").expect("pods are in the catalogue");
        let node =
            binding.pointer("/target/name").and_then(Value::as_str).unwrap_or("").to_string();
        if node.is_empty() {
            return Err(ApiError::invalid(pods, name, vec![FieldError::required("target.name")]));
        }
        if let Some(kind) = binding.pointer("/target/kind").and_then(Value::as_str) {
            if !kind.is_empty() && kind != "Node" {
                return Err(ApiError::invalid(
                    pods,
                    name,
                    vec![FieldError::not_supported("target.kind", kind, &["Node"])],
                ));
            }
        }
        let annotations =
            binding.pointer("/metadata/annotations").and_then(Value::as_object).cloned();
        let uid =
            binding.pointer("/metadata/uid").and_then(Value::as_str).filter(|u| !u.is_empty());
        let check = |old: &Value| -> ApiResult<()> {
            if let Some(uid) = uid {
                if meta::uid(old) != Some(uid) {
                    return Err(ApiError::conflict(pods, name, &format!("Precondition failed: UID in precondition: {uid}, UID in object meta: {}", meta::uid(old).unwrap_or(""))));
                }
            }
            if meta::deletion_timestamp(old).is_some() {
                return Err(ApiError::conflict(
                    pods,
                    name,
                    &format!("pod {name} is being deleted, cannot be assigned to a host"),
                ));
            }
            if let Some(current) =
                old.pointer("/spec/nodeName").and_then(Value::as_str).filter(|n| !n.is_empty())
            {
                return Err(ApiError::conflict(
                    pods,
                    name,
                    &format!("pod {name} is already assigned to node \"{current}\""),
                ));
            }
            Ok(())
        };
        if opts.dry_run {
            check(&self.get(pods, ns, name).await?)?;
            return Ok(success_status(201));
        }
        // Like kube-apiserver's binding REST: a storage update of the pod, not a pod update
        // (no pod admission, no managedFields entry).
        self.storage_update(pods, ns, name, |old| {
            check(old)?;
            if meta::deletion_timestamp(old).is_some() {
                return Err(ApiError::conflict(pods, name, &format!("pod {name} is being deleted, cannot be assigned to a host")));
            }
            if let Some(current) = old.pointer("/spec/nodeName").and_then(Value::as_str).filter(|n| !n.is_empty()) {
                return Err(ApiError::conflict(pods, name, &format!("pod {name} is already assigned to node \"{current}\"")));
            }
            let mut next = old.clone();
            next["spec"]["nodeName"] = json!(node);
            if let Some(a) = &annotations {
                let m = meta::metadata_mut(&mut next);
                let ann = m.entry("annotations").or_insert_with(|| json!({}));
                if let Some(ann) = ann.as_object_mut() {
                    ann.extend(a.clone());
                }
            }
            let conditions = next["status"]["conditions"].as_array().cloned().unwrap_or_default();
            let mut conditions: Vec<Value> = conditions.into_iter().filter(|c| c["type"] != "PodScheduled").collect();
            conditions.push(json!({ "type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": meta::now_rfc3339() }));
            next["status"]["conditions"] = json!(conditions);
            Ok(next)
        })
        .await?;
        Ok(success_status(201))
    }

    /// `POST pods/<name>/eviction`: deletes a pod unless that would violate its
    /// PodDisruptionBudget (429, as kube-apiserver answers).
    pub async fn evict(&self, ns: Option<&str>, name: &str, eviction: Value) -> ApiResult<Value> {
        let pods = lookup("", "v1", "pods").expect("pods are in the catalogue");
        let pdbs =
            lookup("policy", "v1", "poddisruptionbudgets").expect("pdbs are in the catalogue");
        let pod = self.get(pods, ns, name).await?;
        let mut dopts = DeleteOptions::default();
        if let Some(o) = eviction.get("deleteOptions") {
            dopts.grace_period_seconds = o.get("gracePeriodSeconds").and_then(Value::as_i64);
            dopts.precondition_uid =
                o.pointer("/preconditions/uid").and_then(Value::as_str).map(String::from);
            dopts.precondition_resource_version = o
                .pointer("/preconditions/resourceVersion")
                .and_then(Value::as_str)
                .map(String::from);
            dopts.dry_run = o
                .get("dryRun")
                .and_then(Value::as_array)
                .is_some_and(|d| d.iter().any(|x| x == "All"));
        }
        let terminal = matches!(
            pod.pointer("/status/phase").and_then(Value::as_str),
            Some("Succeeded" | "Failed")
        );
        if !terminal && meta::deletion_timestamp(&pod).is_none() {
            let list = self.list(pdbs, ns, &ListOptions::default()).await?;
            let mut matching = Vec::new();
            for item in &list.items {
                let pdb = object::parse(item).map_err(ApiError::Internal)?;
                let selector =
                    pdb.pointer("/spec/selector").map(LabelSelector::from_label_selector_json);
                if let Some(Ok(sel)) = selector {
                    if !sel.is_empty() && sel.matches(meta::labels(&pod)) {
                        matching.push(pdb);
                    }
                }
            }
            if matching.len() > 1 {
                return Err(ApiError::Internal("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.".into()));
            }
            if let Some(pdb) = matching.pop() {
                let pdb_name = meta::name(&pdb).unwrap_or_default().to_string();
                let allowed =
                    pdb.pointer("/status/disruptionsAllowed").and_then(Value::as_i64).unwrap_or(0);
                let observed =
                    pdb.pointer("/status/observedGeneration").and_then(Value::as_i64).unwrap_or(0);
                let generation = meta::metadata(&pdb)
                    .and_then(|m| m.get("generation"))
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                if allowed <= 0 || observed < generation {
                    return Err(ApiError::TooManyRequests(format!(
                        "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget {pdb_name} allows {allowed} disruptions now."
                    )));
                }
                let rv = meta::resource_version(&pdb).map(parse_rv).transpose()?;
                let pod_name = name.to_string();
                self.guaranteed_update_of(
                    pdbs,
                    ns,
                    &pdb_name,
                    Some("status"),
                    rv,
                    &WriteOptions { system_update: true, ..Default::default() },
                    |old| {
                        let mut next = old.clone();
                        next["status"]["disruptionsAllowed"] = json!(allowed - 1);
                        next["status"]["disruptedPods"][&pod_name] = json!(meta::now_rfc3339());
                        Ok(next)
                    },
                )
                .await
                .map_err(|e| match e {
                    ApiError::Conflict { .. } => ApiError::TooManyRequests(
                        "the disruption budget changed; retry the eviction".into(),
                    ),
                    other => other,
                })?;
            }
        }
        self.delete(pods, ns, name, &dopts).await?;
        Ok(success_status(201))
    }

    /// PATCH in any of the four content types. Apply patches create the object if it does
    /// not exist. `subresource`: None or "status".
    #[allow(clippy::too_many_arguments)]
    pub async fn patch(
        &self,
        res: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
        kind: crate::patch::PatchType,
        patch: Value,
        subresource: Option<&str>,
        opts: &WriteOptions,
        field_manager: Option<&str>,
    ) -> ApiResult<(Written, bool)> {
        use crate::patch::{json_patch, merge_patch, strategic_merge_patch, PatchType};
        let unprocessable = ApiError::Unprocessable;
        if kind == PatchType::Apply {
            if field_manager.is_none_or(str::is_empty) {
                return Err(ApiError::BadRequest(
                    "PATCH with application/apply-patch+yaml requires the fieldManager parameter"
                        .into(),
                ));
            }
            if !patch.is_object() {
                return Err(ApiError::BadRequest("an apply patch must be an object".into()));
            }
            if subresource.is_none()
                && self.store.get(object_key(res, ns, name).as_bytes()).await?.is_none()
            {
                let mut obj = patch.clone();
                meta::set(&mut obj, "name", json!(name));
                let manager = field_manager.unwrap_or("unknown");
                let obj = crate::managed::apply(res, &json!({}), &obj, manager, true, name)?;
                let create_opts = WriteOptions { managed_fields_set: true, ..opts.clone() };
                let written = self.create(res, ns, obj, &create_opts).await?;
                return Ok((written, true));
            }
        } else if kind != PatchType::Json && !patch.is_object() {
            return Err(ApiError::BadRequest("the patch must be a JSON object".into()));
        }
        let is_apply = kind == PatchType::Apply;
        let apply_opts = WriteOptions { managed_fields_set: is_apply, ..opts.clone() };
        let manager = field_manager.unwrap_or("unknown").to_string();
        let force = opts.force;
        let written = self
            .guaranteed_update_of(res, ns, name, subresource, None, &apply_opts, |old| {
                let patched = match kind {
                    PatchType::Json => json_patch(old, &patch).map_err(unprocessable)?,
                    PatchType::Merge => merge_patch(old, &patch),
                    PatchType::Strategic => {
                        strategic_merge_patch(res, old, &patch).map_err(unprocessable)?
                    }
                    PatchType::Apply => {
                        let mut applied = patch.clone();
                        meta::set(&mut applied, "name", json!(name));
                        crate::managed::apply(res, old, &applied, &manager, force, name)?
                    }
                };
                if let (Some(p), Some(o)) =
                    (meta::resource_version(&patched), meta::resource_version(old))
                {
                    if p != o {
                        return Err(ApiError::stale(res, name));
                    }
                }
                if meta::name(&patched) != Some(name) {
                    return Err(ApiError::BadRequest(format!(
                        "the patch changes the object's name; it must stay {name}"
                    )));
                }
                let mut next = match subresource {
                    Some("status") => {
                        let mut n = old.clone();
                        n["status"] = patched.get("status").cloned().unwrap_or(json!({}));
                        n
                    }
                    _ => patched,
                };
                if subresource.is_none() && has_status_subresource(res) {
                    match old.get("status") {
                        Some(st) => next["status"] = st.clone(),
                        None => {
                            if let Some(m) = next.as_object_mut() {
                                m.remove("status");
                            }
                        }
                    }
                }
                Ok(next)
            })
            .await?;
        Ok((written, false))
    }

    /// PATCH of the `scale` subresource: the patch applies to the Scale view.
    pub async fn patch_scale(
        &self,
        res: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
        kind: crate::patch::PatchType,
        patch: Value,
        opts: &WriteOptions,
    ) -> ApiResult<Value> {
        use crate::patch::{json_patch, merge_patch, PatchType};
        let current = self.get_scale(res, ns, name).await?;
        let patched = match kind {
            PatchType::Json => json_patch(&current, &patch).map_err(ApiError::BadRequest)?,
            _ => merge_patch(&current, &patch),
        };
        self.update_scale(res, ns, name, patched, opts).await
    }

    /// `GET .../scale`: the object's replica count as an autoscaling/v1 Scale.
    pub async fn get_scale(
        &self,
        res: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
    ) -> ApiResult<Value> {
        let obj = self.get(res, ns, name).await?;
        Ok(to_scale(&obj))
    }

    /// `PUT .../scale`: sets `spec.replicas` (with the Scale's resourceVersion as precondition).
    pub async fn update_scale(
        &self,
        res: &'static ResourceInfo,
        ns: Option<&str>,
        name: &str,
        scale: Value,
        opts: &WriteOptions,
    ) -> ApiResult<Value> {
        let replicas = scale.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0);
        if replicas < 0 {
            return Err(ApiError::invalid(
                res,
                name,
                vec![FieldError::invalid(
                    "spec.replicas",
                    replicas,
                    "must be greater than or equal to 0",
                )],
            ));
        }
        let precondition = meta::resource_version(&scale).map(parse_rv).transpose()?;
        let written = self
            .guaranteed_update_of(res, ns, name, Some("scale"), precondition, opts, |old| {
                let mut next = old.clone();
                next["spec"]["replicas"] = json!(replicas);
                Ok(next)
            })
            .await?;
        Ok(to_scale(&written.object))
    }

    /// A watch fed straight from the store's history after `after`, shaped like a cache
    /// watch. Fails if that history is compacted.
    async fn store_watch(
        &self,
        res: &'static ResourceInfo,
        prefix: &str,
        after: i64,
    ) -> Result<CacheWatch, StoreError> {
        // A read at the revision fails with Compacted if the history is gone.
        self.store
            .range(RangeRequest::prefix(prefix).at_revision(after.max(1)).count_only())
            .await?;
        let mut events = self
            .store
            .watch(krust_store::WatchRequest {
                range: KeyRange::prefix(prefix),
                start_revision: after + 1,
                prev_kv: true,
            })
            .await?;
        let (tx, live) = tokio::sync::mpsc::channel(1_000);
        tokio::spawn(async move {
            use futures::StreamExt;
            while let Some(Ok(batch)) = events.next().await {
                for e in batch {
                    let Some(ev) = crate::cache::from_store_event(res, e) else { continue };
                    if tx.send(Arc::new(ev)).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(CacheWatch { initial: Vec::new(), replay: Vec::new(), rev: after, live })
    }
}

struct Filter {
    res: &'static ResourceInfo,
    label: LabelSelector,
    field: FieldSelector,
}

impl Filter {
    fn is_everything(&self) -> bool {
        self.label.is_empty() && self.field.is_empty()
    }

    fn matches(&self, o: &CachedObject) -> bool {
        self.is_everything()
            || (self.label.matches(meta::labels(&o.sparse))
                && self.field.matches(self.res, &o.sparse))
    }

    /// Turns a cache event into at most one API event, applying the selector transitions
    /// kube-apiserver applies (an object leaving the selection is DELETED, entering is ADDED).
    fn translate(&self, e: &CachedEvent) -> Option<WatchEvent> {
        let new_ok = self.matches(&e.object);
        match e.kind {
            EventKind::Delete => {
                new_ok.then(|| WatchEvent { kind: "DELETED", object: e.object.json.clone() })
            }
            EventKind::Put => {
                let old_ok = e.prev.as_ref().is_some_and(|p| self.matches(p));
                match (old_ok, new_ok) {
                    (false, true) => {
                        Some(WatchEvent { kind: "ADDED", object: e.object.json.clone() })
                    }
                    (true, true) => {
                        Some(WatchEvent { kind: "MODIFIED", object: e.object.json.clone() })
                    }
                    (true, false) => {
                        Some(WatchEvent { kind: "DELETED", object: e.object.json.clone() })
                    }
                    (false, false) => None,
                }
            }
        }
    }
}

/// Feeds one API watch: initial state or replay, the initial-events-end bookmark if asked,
/// then live events, periodic bookmarks, until the client goes, the timeout passes or the
/// cache drops the watcher.
async fn pump_watch(
    cw: CacheWatch,
    filter: Filter,
    tx: tokio::sync::mpsc::Sender<WatchEvent>,
    deadline: Option<tokio::time::Instant>,
    bookmarks: bool,
    initial_end: bool,
) {
    let CacheWatch { initial, replay, rev, mut live } = cw;
    let mut last_rev = rev;
    for o in initial.iter().filter(|o| filter.matches(o)) {
        if tx.send(WatchEvent { kind: "ADDED", object: o.json.clone() }).await.is_err() {
            return;
        }
    }
    for e in &replay {
        if let Some(ev) = filter.translate(e) {
            if tx.send(ev).await.is_err() {
                return;
            }
        }
    }
    if initial_end && tx.send(bookmark(filter.res, rev, true)).await.is_err() {
        return;
    }
    let mut ticker = tokio::time::interval(BOOKMARK_INTERVAL);
    ticker.tick().await;
    let far = tokio::time::Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let deadline = deadline.unwrap_or(far);
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return,
            _ = ticker.tick(), if bookmarks => {
                if tx.send(bookmark(filter.res, last_rev, false)).await.is_err() {
                    return;
                }
            }
            _ = tx.closed() => return,
            ev = live.recv() => {
                let Some(e) = ev else { return };
                last_rev = last_rev.max(e.rev);
                if let Some(out) = filter.translate(&e) {
                    if tx.send(out).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

fn bookmark(res: &ResourceInfo, rev: i64, initial_end: bool) -> WatchEvent {
    let mut metadata = json!({ "resourceVersion": rev.to_string() });
    if initial_end {
        metadata["annotations"] = json!({ "k8s.io/initial-events-end": "true" });
    }
    let obj = json!({ "kind": res.kind, "apiVersion": res.api_version(), "metadata": metadata });
    WatchEvent {
        kind: "BOOKMARK",
        object: Bytes::from(serde_json::to_vec(&obj).unwrap_or_default()),
    }
}

/// An ERROR watch event carrying a Status.
pub fn error_event(e: &ApiError) -> WatchEvent {
    WatchEvent {
        kind: "ERROR",
        object: Bytes::from(serde_json::to_vec(&e.status_json()).unwrap_or_default()),
    }
}

/// Write-only conveniences folded into their canonical fields, as kube-apiserver's conversion
/// does: a Secret's `stringData` is merged into `data` (base64) and dropped.
fn canonicalize(res: &ResourceInfo, obj: &mut Value) {
    use base64::Engine as _;
    if res.kind != "Secret" {
        return;
    }
    let Some(root) = obj.as_object_mut() else { return };
    let Some(Value::Object(string_data)) = root.remove("stringData") else { return };
    let data = root.entry("data").or_insert_with(|| json!({}));
    if let Some(data) = data.as_object_mut() {
        for (k, v) in string_data {
            let text = v.as_str().unwrap_or_default();
            data.insert(
                k,
                json!(base64::engine::general_purpose::STANDARD.encode(text.as_bytes())),
            );
        }
    }
}

/// A `metav1.Status` reporting success, as binding and eviction answer.
fn success_status(code: u16) -> Value {
    json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": code })
}

/// The autoscaling/v1 Scale view of a workload object.
fn to_scale(obj: &Value) -> Value {
    let m = meta::metadata(obj).cloned().unwrap_or_default();
    let mut metadata = serde_json::Map::new();
    for f in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
        if let Some(v) = m.get(f) {
            metadata.insert(f.into(), v.clone());
        }
    }
    let selector = match obj.pointer("/spec/selector") {
        Some(sel) if sel.get("matchLabels").is_some() || sel.get("matchExpressions").is_some() => {
            LabelSelector::from_label_selector_json(sel).map(|s| s.to_string()).unwrap_or_default()
        }
        Some(Value::Object(map)) => LabelSelector::from_map(map).to_string(),
        _ => String::new(),
    };
    let mut status =
        json!({ "replicas": obj.pointer("/status/replicas").and_then(Value::as_i64).unwrap_or(0) });
    if !selector.is_empty() {
        status["selector"] = json!(selector);
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": metadata,
        "spec": { "replicas": obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1) },
        "status": status,
    })
}

/// A namespace's `spec.finalizers` ("kubernetes" unless cleared by the finalize subresource).
pub fn namespace_finalizers(obj: &Value) -> Vec<String> {
    match obj.pointer("/spec/finalizers").and_then(Value::as_array) {
        Some(a) => a.iter().filter_map(|f| f.as_str().map(String::from)).collect(),
        None => Vec::new(),
    }
}

fn is_graceful_pending(res: &ResourceInfo, obj: &Value) -> bool {
    res.kind == "Pod"
        && meta::metadata(obj)
            .and_then(|m| m.get("deletionGracePeriodSeconds"))
            .and_then(Value::as_i64)
            .unwrap_or(0)
            > 0
}

/// The grace period a delete gets: only pods on a node are deleted gracefully (the kubelet
/// finishes the deletion); everything else goes at once.
fn graceful_period(res: &ResourceInfo, obj: &Value, requested: Option<i64>) -> i64 {
    if res.kind != "Pod" {
        return 0;
    }
    let scheduled =
        obj.pointer("/spec/nodeName").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
    let terminal = matches!(
        obj.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    );
    if !scheduled || terminal {
        return 0;
    }
    requested
        .or_else(|| obj.pointer("/spec/terminationGracePeriodSeconds").and_then(Value::as_i64))
        .unwrap_or(30)
        .max(0)
}

fn check_type(res: &ResourceInfo, obj: &mut Value) -> ApiResult<()> {
    let api_version = res.api_version();
    let m = obj.as_object_mut().ok_or_else(|| ApiError::BadRequest("expected an object".into()))?;
    match m.get("kind").and_then(Value::as_str) {
        Some(k) if k != res.kind => {
            return Err(ApiError::BadRequest(format!(
                "the body of the request was of kind {k}, but the URL is for {}",
                res.kind
            )))
        }
        _ => {}
    }
    match m.get("apiVersion").and_then(Value::as_str) {
        Some(v) if v != api_version => {
            return Err(ApiError::BadRequest(format!(
                "the API version in the data ({v}) does not match the expected API version ({api_version})"
            )))
        }
        _ => {}
    }
    m.insert("kind".into(), json!(res.kind));
    m.insert("apiVersion".into(), json!(api_version));
    Ok(())
}

/// System fields the server sets on create (kube-apiserver's `BeforeCreate` and the
/// strategies' `PrepareForCreate`).
fn prepare_for_create(res: &ResourceInfo, obj: &mut Value) {
    let m = meta::metadata_mut(obj);
    m.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
    m.insert("creationTimestamp".into(), json!(meta::now_rfc3339()));
    for f in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
        m.remove(f);
    }
    let has_spec = obj.get("spec").is_some();
    if has_spec || res.kind == "Pod" {
        meta::set(obj, "generation", json!(1));
    } else {
        meta::remove(obj, "generation");
    }
    let Some(root) = obj.as_object_mut() else { return };
    match res.kind {
        "Pod" => {
            let qos = crate::qos::pod_qos_class(root.get("spec"));
            root.insert("status".into(), json!({ "phase": "Pending", "qosClass": qos }));
        }
        "Namespace" => {
            root.insert("status".into(), json!({ "phase": "Active" }));
            let spec = root.entry("spec").or_insert_with(|| json!({}));
            if let Some(spec) = spec.as_object_mut() {
                let fins = spec.entry("finalizers").or_insert_with(|| json!([]));
                if let Some(list) = fins.as_array_mut() {
                    if !list.iter().any(|f| f == "kubernetes") {
                        list.push(json!("kubernetes"));
                    }
                }
            }
        }
        "PersistentVolume" | "PersistentVolumeClaim" => {
            root.insert("status".into(), json!({ "phase": "Pending" }));
        }
        "Service" => {
            root.insert("status".into(), json!({ "loadBalancer": {} }));
        }
        k if resets_status_on_create(k) => {
            root.insert("status".into(), json!({}));
        }
        _ => {}
    }
}

/// Fields an update may not change: they come from the stored object.
fn carry_system_fields(old: &Value, next: &mut Value) {
    let Some(old_meta) = meta::metadata(old).cloned() else { return };
    let m = meta::metadata_mut(next);
    for f in [
        "uid",
        "creationTimestamp",
        "generation",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ] {
        match old_meta.get(f) {
            Some(v) => {
                m.insert(f.into(), v.clone());
            }
            None => {
                m.remove(f);
            }
        }
    }
}

/// Continue tokens: base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key after prefix>\0"}`,
/// the format kube-apiserver uses.
fn encode_continue(rev: i64, last_key: &[u8], prefix: &str) -> String {
    let rel = String::from_utf8_lossy(&last_key[prefix.len().min(last_key.len())..]).into_owned();
    let token = json!({ "v": "meta.k8s.io/v1", "rv": rev, "start": format!("{rel}\u{0}") });
    base64_encode(token.to_string().as_bytes())
}

fn decode_continue(token: &str, prefix: &str) -> ApiResult<(i64, Vec<u8>)> {
    let bad = || {
        ApiError::BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)".into())
    };
    let raw = base64_decode(token).ok_or_else(bad)?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    if v.get("v").and_then(Value::as_str) != Some("meta.k8s.io/v1") {
        return Err(bad());
    }
    let rv = v.get("rv").and_then(Value::as_i64).filter(|r| *r > 0).ok_or_else(bad)?;
    let start = v.get("start").and_then(Value::as_str).ok_or_else(bad)?;
    if start.contains("..") || start.starts_with('/') {
        return Err(bad());
    }
    Ok((rv, format!("{prefix}{start}").into_bytes()))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for s in ["", "a", "ab", "abc", "abcd", "{\"v\":\"meta.k8s.io/v1\"}"] {
            assert_eq!(base64_decode(&base64_encode(s.as_bytes())).as_deref(), Some(s.as_bytes()));
        }
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=");
    }

    #[test]
    fn continue_tokens_round_trip_and_reject_escapes() {
        let t = encode_continue(42, b"/registry/pods/default/web-1", "/registry/pods/default/");
        let (rv, start) = decode_continue(&t, "/registry/pods/default/").expect("valid");
        assert_eq!(rv, 42);
        assert_eq!(start, b"/registry/pods/default/web-1\0".to_vec());
        let evil = base64_encode(br#"{"v":"meta.k8s.io/v1","rv":1,"start":"../secrets/x"}"#);
        assert!(decode_continue(&evil, "/registry/pods/default/").is_err());
        assert!(decode_continue("!!!", "/p/").is_err());
    }
}
