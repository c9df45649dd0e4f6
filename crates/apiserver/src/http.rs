//! The HTTP surface: request parsing, authentication, routing to the registry, content
//! negotiation and response shaping. Kubernetes paths are too irregular for a route table, so
//! one handler parses them (`parse_path`) the way kube-apiserver's request-info resolver does.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::BodyExt;
use serde_json::{json, Value};

use crate::discovery;
use crate::errors::{ApiError, ApiResult};
use crate::registry::{
    DeleteOptions, FieldValidation, ListOptions, Registry, WatchOptions, WriteOptions, Written,
};
use crate::resources::{lookup, ResourceInfo};
use crate::selectors::{FieldSelector, LabelSelector};

/// Largest request body accepted (kube-apiserver's limit).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// Who is calling, as established by the transport (client certificate) or a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub user: String,
    pub groups: Vec<String>,
}

/// Set on each request by the connection layer: the verified client certificate's identity.
#[derive(Clone, Debug, Default)]
pub struct PeerIdentity(pub Option<Identity>);

/// Everything the handlers share.
pub struct ApiServer {
    pub registry: Registry,
    /// Bearer token of the cluster admin.
    pub admin_token: String,
    /// Address advertised in `/api` discovery.
    pub advertise_address: String,
    /// Issues and verifies ServiceAccount tokens.
    pub tokens: Arc<crate::tokens::TokenIssuer>,
}

pub fn router(server: Arc<ApiServer>) -> Router {
    Router::new().fallback(handle).with_state(server)
}

async fn handle(State(server): State<Arc<ApiServer>>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let span = tracing::debug_span!("request", %method, %path);
    let _enter = span.enter();
    match dispatch(&server, req).await {
        Ok(resp) => resp,
        Err(e) => {
            tracing::debug!(code = e.code().as_u16(), error = %e, "request failed");
            e.into_response()
        }
    }
}

/// What a request presents for authentication, taken out of it (the body is not `Sync`, so the
/// request itself cannot be held across the token check).
fn credentials(req: &Request) -> (Option<Identity>, Option<String>) {
    if let Some(PeerIdentity(Some(id))) = req.extensions().get::<PeerIdentity>() {
        return (Some(id.clone()), None);
    }
    if let Some(id) = req.extensions().get::<Identity>() {
        return (Some(id.clone()), None);
    }
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_string());
    (None, token)
}

async fn authenticate(
    server: &ApiServer,
    creds: (Option<Identity>, Option<String>),
) -> ApiResult<Identity> {
    let (identity, token) = creds;
    if let Some(id) = identity {
        return Ok(id);
    }
    let Some(token) = token else { return Err(ApiError::Unauthorized) };
    let token = token.as_str();
    if !server.admin_token.is_empty()
        && constant_time_eq(token.as_bytes(), server.admin_token.as_bytes())
    {
        return Ok(Identity {
            user: "system:admin".into(),
            groups: vec!["system:masters".into(), "system:authenticated".into()],
        });
    }
    let now = chrono::Utc::now().timestamp();
    let claims = server.tokens.verify(token, now).ok_or(ApiError::Unauthorized)?;
    // A token outlives nothing it names: the service account must still exist, the same one.
    let sa_res = lookup("", "v1", "serviceaccounts").ok_or(ApiError::Unauthorized)?;
    let sa = server
        .registry
        .get(sa_res, Some(&claims.namespace), &claims.service_account)
        .await
        .map_err(|_| ApiError::Unauthorized)?;
    if !claims.service_account_uid.is_empty()
        && crate::meta::uid(&sa) != Some(claims.service_account_uid.as_str())
    {
        return Err(ApiError::Unauthorized);
    }
    Ok(Identity {
        user: format!("system:serviceaccount:{}:{}", claims.namespace, claims.service_account),
        groups: vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{}", claims.namespace),
            "system:authenticated".into(),
        ],
    })
}

/// `POST serviceaccounts/<name>/token` (TokenRequest).
async fn token_request(
    server: &ApiServer,
    ns: Option<&str>,
    name: &str,
    body: Value,
) -> ApiResult<Value> {
    let sa_res = lookup("", "v1", "serviceaccounts").ok_or_else(not_found)?;
    let sa = server.registry.get(sa_res, ns, name).await?;
    let sa_uid = crate::meta::uid(&sa).unwrap_or_default().to_string();
    let spec = body.get("spec").cloned().unwrap_or_else(|| json!({}));
    let audiences: Vec<String> = spec
        .get("audiences")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default();
    let expiration = spec.get("expirationSeconds").and_then(Value::as_i64).unwrap_or(3600);
    if expiration < 600 {
        return Err(ApiError::invalid(
            sa_res,
            name,
            vec![crate::errors::FieldError::invalid(
                "spec.expirationSeconds",
                expiration,
                "may not specify a duration less than 10 minutes",
            )],
        ));
    }
    let mut bound = None;
    if let Some(r) = spec.get("boundObjectRef").filter(|r| r.is_object()) {
        let kind = r.get("kind").and_then(Value::as_str).unwrap_or("");
        let obj_name = r.get("name").and_then(Value::as_str).unwrap_or("");
        let plural = match kind {
            "Pod" => "pods",
            "Secret" => "secrets",
            "Node" => "nodes",
            other => {
                return Err(ApiError::invalid(
                    sa_res,
                    name,
                    vec![crate::errors::FieldError::not_supported(
                        "spec.boundObjectRef.kind",
                        other,
                        &["Pod", "Secret", "Node"],
                    )],
                ))
            }
        };
        let res = lookup("", "v1", plural).ok_or_else(not_found)?;
        let obj =
            server.registry.get(res, if res.namespaced { ns } else { None }, obj_name).await?;
        let uid = crate::meta::uid(&obj).unwrap_or_default().to_string();
        if let Some(want) = r.get("uid").and_then(Value::as_str).filter(|u| !u.is_empty()) {
            if want != uid {
                return Err(ApiError::Conflict {
                    target: Default::default(),
                    message: format!("the UID in the bound object reference ({want}) does not match the {kind}'s UID ({uid})"),
                    causes: Vec::new(),
                });
            }
        }
        bound = Some((kind.to_string(), obj_name.to_string(), uid));
    }
    let now = chrono::Utc::now().timestamp();
    let (token, exp) = server
        .tokens
        .issue(
            &crate::tokens::TokenSubject {
                namespace: ns.unwrap_or("default"),
                service_account: name,
                service_account_uid: &sa_uid,
            },
            &audiences,
            expiration,
            bound.as_ref().map(|(k, n, u)| (k.as_str(), n.as_str(), u.as_str())),
            now,
        )
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let expires = chrono::DateTime::from_timestamp(exp, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut spec_out = spec;
    spec_out["expirationSeconds"] = json!(expiration);
    spec_out["audiences"] = json!(if audiences.is_empty() {
        vec![crate::tokens::ISSUER.to_string()]
    } else {
        audiences
    });
    Ok(json!({
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": { "name": name, "namespace": ns.unwrap_or("default"), "creationTimestamp": crate::meta::now_rfc3339() },
        "spec": spec_out,
        "status": { "token": token, "expirationTimestamp": expires },
    }))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Parsed query string; empty keys (kube-rs sends `?&limit=1`) are ignored.
#[derive(Default, Debug)]
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(q: Option<&str>) -> Self {
        let mut out = Vec::new();
        for pair in q.unwrap_or("").split('&') {
            if pair.is_empty() {
                continue;
            }
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if k.is_empty() {
                continue;
            }
            out.push((percent_decode(k), percent_decode(v)));
        }
        Query(out)
    }
    fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
    }
    fn flag(&self, k: &str) -> bool {
        matches!(self.get(k), Some("true" | "1" | ""))
    }
    fn dry_run(&self) -> ApiResult<bool> {
        match self.get("dryRun") {
            None | Some("") => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(ApiError::BadRequest(format!(
                "unsupported dryRun value \"{other}\": only \"All\" is supported"
            ))),
        }
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a resource URL names.
#[derive(Debug, PartialEq, Eq)]
struct Target<'a> {
    res: &'static ResourceInfo,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<&'a str>,
}

fn parse_resource_path<'a>(group: &str, version: &str, segs: &[&'a str]) -> ApiResult<Target<'a>> {
    let not_found = || ApiError::NotFound {
        target: Default::default(),
        message: "the server could not find the requested resource".into(),
    };
    let (namespace, rest): (Option<String>, &[&'a str]) =
        if segs.len() >= 3 && segs[0] == "namespaces" {
            match lookup(group, version, segs[2]) {
                Some(r) if r.namespaced => (Some(segs[1].to_string()), &segs[2..]),
                _ => (None, segs),
            }
        } else {
            (None, segs)
        };
    let plural = rest.first().ok_or_else(not_found)?;
    let res = lookup(group, version, plural).ok_or_else(not_found)?;
    if rest.len() > 3 {
        return Err(not_found());
    }
    let name = rest.get(1).map(|s| s.to_string());
    let subresource = rest.get(2).copied();
    if let Some(sub) = subresource {
        if res.subresource(sub).is_none() {
            return Err(not_found());
        }
    }
    Ok(Target { res, namespace, name, subresource })
}

/// Content negotiation: what representation the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repr {
    Object,
    Table,
    PartialObjectMetadata,
}

fn negotiate(headers: &HeaderMap) -> Repr {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    // The client lists its preferences in order; take the first we can serve.
    for part in accept.split(',') {
        let p = part.replace(' ', "");
        if p.contains("as=Table") && p.contains("g=meta.k8s.io") {
            return Repr::Table;
        }
        if p.contains("as=PartialObjectMetadata") {
            return Repr::PartialObjectMetadata;
        }
        if p.starts_with("application/json")
            || p.starts_with("*/*")
            || p.starts_with("application/vnd.kubernetes.protobuf")
            || p.starts_with("application/yaml")
        {
            return Repr::Object;
        }
    }
    Repr::Object
}

fn json_response(code: StatusCode, body: &Value, warnings: &[String]) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = (code, [(header::CONTENT_TYPE, "application/json")], bytes).into_response();
    for w in warnings {
        let text = format!("299 - \"{}\"", w.replace('"', "\\\""));
        if let Ok(v) = HeaderValue::from_str(&text) {
            resp.headers_mut().append(header::WARNING, v);
        }
    }
    resp
}

async fn read_body(req: Request) -> ApiResult<(HeaderMap, Bytes)> {
    let (parts, body) = req.into_parts();
    let limited = http_body_util::Limited::new(body, MAX_BODY_BYTES);
    let bytes = match limited.collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                return Err(ApiError::RequestEntityTooLarge(format!(
                    "the request body is larger than {MAX_BODY_BYTES} bytes"
                )));
            }
            return Err(ApiError::BadRequest(format!("reading the request body: {e}")));
        }
    };
    Ok((parts.headers, bytes))
}

/// Decodes a request body by its Content-Type (JSON when absent, as kube-apiserver does).
fn decode_body(headers: &HeaderMap, body: &[u8]) -> ApiResult<Value> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let media = ct.split(';').next().unwrap_or("").trim();
    match media {
        "application/json" | "" | "*/*" => serde_json::from_slice(body)
            .map_err(|e| ApiError::BadRequest(format!("the request body is not valid JSON: {e}"))),
        "application/yaml" | "application/x-yaml" | "text/yaml" => {
            serde_yaml::from_slice::<Value>(body).map_err(|e| ApiError::BadRequest(format!("the request body is not valid YAML: {e}")))
        }
        "application/vnd.kubernetes.protobuf" => crate::protobuf::decode(body),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got {other})"
        ))),
    }
}

async fn dispatch(server: &Arc<ApiServer>, req: Request) -> ApiResult<Response> {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let path = if path.is_empty() { "/".to_string() } else { path };
    let method = req.method().clone();
    let query = Query::parse(req.uri().query());
    let identity = authenticate(server, credentials(&req)).await?;
    tracing::trace!(user = %identity.user, "authenticated");
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();

    match segs.as_slice() {
        ["healthz"] | ["livez"] | ["readyz"] => return Ok((StatusCode::OK, "ok").into_response()),
        ["healthz", _] | ["livez", _] | ["readyz", _] => {
            return Ok((StatusCode::OK, "ok").into_response())
        }
        ["version"] => return Ok(json_response(StatusCode::OK, &version_info(), &[])),
        ["api"] => {
            return Ok(discovery_response(req.headers(), true, || {
                discovery::api_versions(&server.advertise_address)
            }))
        }
        ["apis"] => return Ok(discovery_response(req.headers(), false, discovery::api_group_list)),
        ["api", "v1"] => {
            return discovery::api_resource_list("", "v1")
                .map(|v| json_response(StatusCode::OK, &v, &[]))
                .ok_or_else(not_found)
        }
        ["apis", g] => {
            return discovery::api_group_doc(g)
                .map(|v| json_response(StatusCode::OK, &v, &[]))
                .ok_or_else(not_found)
        }
        ["apis", g, v] => {
            return discovery::api_resource_list(g, v)
                .map(|doc| json_response(StatusCode::OK, &doc, &[]))
                .ok_or_else(not_found)
        }
        ["openapi", "v3"] => {
            return Ok(json_response(StatusCode::OK, &crate::openapi::index(), &[]))
        }
        ["openapi", "v3", rest @ ..] => return openapi_document(rest),
        _ => {}
    }
    let (group, version, rest) = match segs.as_slice() {
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(not_found()),
    };
    // Legacy `/api/v1/watch/...` paths.
    let (rest, legacy_watch) = match rest {
        ["watch", r @ ..] => (r, true),
        r => (r, false),
    };
    let target = parse_resource_path(group, version, rest)?;
    resource_request(server, method, target, query, legacy_watch, req).await
}

fn not_found() -> ApiError {
    ApiError::NotFound {
        target: Default::default(),
        message: "the server could not find the requested resource".into(),
    }
}

fn openapi_document(rest: &[&str]) -> ApiResult<Response> {
    let (group, version) = match rest {
        ["api", v] => ("", *v),
        ["apis", g, v] => (*g, *v),
        _ => return Err(not_found()),
    };
    let doc = crate::openapi::document(group, version).ok_or_else(not_found)?;
    let mut resp = (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], doc.json.clone())
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", doc.hash)) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    Ok(resp)
}

fn version_info() -> Value {
    json!({
        "major": "1",
        "minor": "34",
        "emulationMajor": "1",
        "emulationMinor": "34",
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "33",
        "gitVersion": concat!("v1.34.0+krust-", env!("CARGO_PKG_VERSION")),
        "gitCommit": "",
        "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "rust",
        "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, match std::env::consts::ARCH { "x86_64" => "amd64", "aarch64" => "arm64", a => a }),
    })
}

/// Aggregated discovery when asked for (with an ETag and 304), legacy otherwise.
fn discovery_response(headers: &HeaderMap, core: bool, legacy: impl FnOnce() -> Value) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let wants_aggregated = accept.split(',').any(|p| {
        let p = p.replace(' ', "");
        p.contains("g=apidiscovery.k8s.io")
            && p.contains("v=v2")
            && !p.contains("v=v2beta1")
            && p.contains("as=APIGroupDiscoveryList")
    });
    if !wants_aggregated {
        return json_response(StatusCode::OK, &legacy(), &[]);
    }
    let body = serde_json::to_vec(&discovery::aggregated(core)).unwrap_or_default();
    let etag = format!("\"{:016x}\"", fnv1a(&body));
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, discovery::AGGREGATED_CONTENT_TYPE.to_string()),
            (header::ETAG, etag),
        ],
        body,
    )
        .into_response()
}

fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100000001b3))
}

fn write_options(q: &Query, headers: &HeaderMap) -> ApiResult<WriteOptions> {
    // kube-apiserver names an unnamed manager after the client's User-Agent (up to the '/').
    let manager = q.get("fieldManager").filter(|m| !m.is_empty()).map(String::from).or_else(|| {
        headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .and_then(|ua| ua.split('/').next())
            .filter(|m| !m.is_empty())
            .map(String::from)
    });
    if let Some(m) = &manager {
        if m.len() > 128 {
            return Err(ApiError::BadRequest(
                "fieldManager must not be longer than 128 characters".into(),
            ));
        }
    }
    Ok(WriteOptions {
        dry_run: q.dry_run()?,
        field_validation: FieldValidation::parse(q.get("fieldValidation"))?,
        system_update: false,
        field_manager: manager,
        force: q.flag("force"),
        managed_fields_set: false,
    })
}

fn list_kind(res: &ResourceInfo) -> String {
    format!("{}List", res.kind)
}

async fn resource_request(
    server: &Arc<ApiServer>,
    method: Method,
    t: Target<'_>,
    q: Query,
    legacy_watch: bool,
    req: Request,
) -> ApiResult<Response> {
    let reg = &server.registry;
    let res = t.res;
    if res.namespaced && t.namespace.is_none() && t.name.is_some() {
        return Err(not_found());
    }
    let ns = t.namespace.as_deref();
    let repr = negotiate(req.headers());
    match (t.name.as_deref(), t.subresource, &method) {
        // ---- collection ----
        (None, None, &Method::GET) => {
            let watch = legacy_watch || q.flag("watch");
            let label_selector = LabelSelector::parse(q.get("labelSelector").unwrap_or(""))
                .map_err(ApiError::BadRequest)?;
            let field_selector = FieldSelector::parse(q.get("fieldSelector").unwrap_or(""))
                .map_err(ApiError::BadRequest)?;
            if watch {
                let opts = WatchOptions {
                    label_selector,
                    field_selector,
                    resource_version: q.get("resourceVersion").map(String::from),
                    allow_bookmarks: q.flag("allowWatchBookmarks"),
                    send_initial_events: q.get("sendInitialEvents").map(|v| v == "true"),
                    timeout: q
                        .get("timeoutSeconds")
                        .and_then(|s| s.parse::<u64>().ok())
                        .map(Duration::from_secs),
                };
                if opts.send_initial_events == Some(true)
                    && q.get("resourceVersionMatch") != Some("NotOlderThan")
                {
                    return Err(ApiError::invalid(
                        res,
                        "",
                        vec![crate::errors::FieldError::forbidden(
                        "resourceVersionMatch",
                        "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                    )],
                    ));
                }
                let stream = reg.watch(res, ns, opts).await?;
                return Ok(watch_response(res, stream, repr));
            }
            let opts = ListOptions {
                label_selector,
                field_selector,
                limit: q.get("limit").and_then(|s| s.parse().ok()).unwrap_or(0),
                continue_token: q.get("continue").map(String::from),
                resource_version: q.get("resourceVersion").map(String::from),
                resource_version_match: q.get("resourceVersionMatch").map(String::from),
            };
            let list = reg.list(res, ns, &opts).await?;
            let mut list_meta = json!({ "resourceVersion": list.resource_version.to_string() });
            if let Some(c) = &list.continue_token {
                list_meta["continue"] = json!(c);
            }
            if let Some(n) = list.remaining_item_count {
                list_meta["remainingItemCount"] = json!(n);
            }
            let body = match repr {
                Repr::Table => crate::table::to_table(
                    res,
                    &parse_all(&list.items)?,
                    include_object(&q)?,
                    Some(list_meta),
                ),
                Repr::PartialObjectMetadata => crate::table::to_partial_object_metadata_list(
                    &parse_all(&list.items)?,
                    list_meta,
                ),
                Repr::Object => {
                    // The fast path: items are already the bytes we serve.
                    let bytes = crate::object::list_bytes(
                        &list_kind(res),
                        &res.api_version(),
                        &list_meta,
                        &list.items,
                    );
                    return Ok((
                        StatusCode::OK,
                        [(header::CONTENT_TYPE, "application/json")],
                        bytes,
                    )
                        .into_response());
                }
            };
            Ok(json_response(StatusCode::OK, &body, &[]))
        }
        (None, None, &Method::POST) => {
            let wo = write_options(&q, req.headers())?;
            let (headers, body) = read_body(req).await?;
            let obj = decode_body(&headers, &body)?;
            let Written { object, warnings } = reg.create(res, ns, obj, &wo).await?;
            Ok(json_response(StatusCode::CREATED, &render_one(res, object, repr, &q)?, &warnings))
        }
        (None, None, &Method::DELETE) => {
            let label_selector = LabelSelector::parse(q.get("labelSelector").unwrap_or(""))
                .map_err(ApiError::BadRequest)?;
            let field_selector = FieldSelector::parse(q.get("fieldSelector").unwrap_or(""))
                .map_err(ApiError::BadRequest)?;
            let (headers, body) = read_body(req).await?;
            let dopts = delete_options(&q, &headers, &body)?;
            let list = reg
                .list(
                    res,
                    ns,
                    &ListOptions { label_selector, field_selector, ..Default::default() },
                )
                .await?;
            let mut deleted = Vec::new();
            for item in parse_all(&list.items)? {
                let name = crate::meta::name(&item).unwrap_or_default().to_string();
                let item_ns = crate::meta::namespace(&item).map(String::from);
                match reg.delete(res, item_ns.as_deref(), &name, &dopts).await {
                    Ok(d) => deleted.push(d.object),
                    Err(ApiError::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            let body = json!({ "kind": list_kind(res), "apiVersion": res.api_version(), "metadata": {}, "items": deleted });
            Ok(json_response(StatusCode::OK, &body, &[]))
        }
        // ---- one object ----
        (Some(name), None, &Method::GET) => {
            let obj = reg.get(res, ns, name).await?;
            Ok(json_response(StatusCode::OK, &render_one(res, obj, repr, &q)?, &[]))
        }
        (Some(name), sub @ (None | Some("status") | Some("finalize")), &Method::PUT) => {
            let wo = write_options(&q, req.headers())?;
            let (headers, body) = read_body(req).await?;
            let obj = decode_body(&headers, &body)?;
            let Written { object, warnings } = reg.update(res, ns, name, obj, sub, &wo).await?;
            Ok(json_response(StatusCode::OK, &render_one(res, object, repr, &q)?, &warnings))
        }
        (Some(name), None, &Method::DELETE) => {
            let (headers, body) = read_body(req).await?;
            let dopts = delete_options(&q, &headers, &body)?;
            let d = reg.delete(res, ns, name, &dopts).await?;
            let code = if d.finished { StatusCode::OK } else { StatusCode::ACCEPTED };
            Ok(json_response(code, &render_one(res, d.object, repr, &q)?, &[]))
        }
        (Some(name), Some("scale"), &Method::GET) => {
            Ok(json_response(StatusCode::OK, &reg.get_scale(res, ns, name).await?, &[]))
        }
        (Some(name), Some("scale"), &Method::PUT) => {
            let wo = write_options(&q, req.headers())?;
            let (headers, body) = read_body(req).await?;
            let scale = decode_body(&headers, &body)?;
            Ok(json_response(
                StatusCode::OK,
                &reg.update_scale(res, ns, name, scale, &wo).await?,
                &[],
            ))
        }
        (Some(name), Some("status"), &Method::GET) => {
            let obj = reg.get(res, ns, name).await?;
            Ok(json_response(StatusCode::OK, &render_one(res, obj, repr, &q)?, &[]))
        }
        (Some(name), sub @ (None | Some("status") | Some("scale")), &Method::PATCH) => {
            let wo = write_options(&q, req.headers())?;
            let (headers, body) = read_body(req).await?;
            let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
            let kind = crate::patch::PatchType::from_content_type(ct).ok_or_else(|| {
                ApiError::UnsupportedMediaType(format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {ct:?})"
                ))
            })?;
            let patch: Value = if kind == crate::patch::PatchType::Apply {
                serde_yaml::from_slice(&body).map_err(|e| {
                    ApiError::BadRequest(format!("the apply patch is not valid YAML or JSON: {e}"))
                })?
            } else {
                serde_json::from_slice(&body).map_err(|e| {
                    ApiError::BadRequest(format!("the patch is not valid JSON: {e}"))
                })?
            };
            if sub == Some("scale") {
                let scale = reg.patch_scale(res, ns, name, kind, patch, &wo).await?;
                return Ok(json_response(StatusCode::OK, &scale, &[]));
            }
            let (Written { object, warnings }, created) =
                reg.patch(res, ns, name, kind, patch, sub, &wo, q.get("fieldManager")).await?;
            let code = if created { StatusCode::CREATED } else { StatusCode::OK };
            Ok(json_response(code, &render_one(res, object, repr, &q)?, &warnings))
        }
        (Some(name), Some("token"), &Method::POST) if res.kind == "ServiceAccount" => {
            let (headers, body) = read_body(req).await?;
            let obj = if body.iter().all(u8::is_ascii_whitespace) {
                json!({})
            } else {
                decode_body(&headers, &body)?
            };
            Ok(json_response(
                StatusCode::CREATED,
                &token_request(server, ns, name, obj).await?,
                &[],
            ))
        }
        (Some(name), Some(sub @ ("binding" | "eviction")), &Method::POST) if res.kind == "Pod" => {
            let wo = write_options(&q, req.headers())?;
            let (headers, body) = read_body(req).await?;
            let obj = decode_body(&headers, &body)?;
            let status = if sub == "binding" {
                reg.bind(ns, name, obj, &wo).await?
            } else {
                reg.evict(ns, name, obj).await?
            };
            Ok(json_response(StatusCode::CREATED, &status, &[]))
        }
        (Some(_), Some(sub @ ("log" | "exec" | "attach" | "portforward")), _) => {
            Err(ApiError::ServiceUnavailable(format!(
                "{}/{sub} needs the node's kubelet, which krust does not run yet",
                res.plural
            )))
        }
        (Some(_), Some(sub), _) => Err(ApiError::MethodNotAllowed(format!(
            "the {}/{sub} subresource does not support {method} in this krust server yet",
            res.plural
        ))),
        (None, Some(_), _) => Err(not_found()),
        _ => Err(ApiError::MethodNotAllowed(format!(
            "the server does not allow this method on the requested resource ({method})"
        ))),
    }
}

fn include_object(q: &Query) -> ApiResult<crate::table::IncludeObject> {
    crate::table::IncludeObject::parse(q.get("includeObject")).map_err(ApiError::BadRequest)
}

fn parse_all(items: &[Bytes]) -> ApiResult<Vec<Value>> {
    items.iter().map(|b| crate::object::parse(b).map_err(ApiError::Internal)).collect()
}

fn render_one(res: &ResourceInfo, obj: Value, repr: Repr, q: &Query) -> ApiResult<Value> {
    Ok(match repr {
        Repr::Table => crate::table::to_table(res, &[obj], include_object(q)?, None),
        Repr::PartialObjectMetadata => crate::table::to_partial_object_metadata(&obj),
        Repr::Object => obj,
    })
}

fn delete_options(q: &Query, headers: &HeaderMap, body: &[u8]) -> ApiResult<DeleteOptions> {
    let mut o = DeleteOptions {
        grace_period_seconds: q.get("gracePeriodSeconds").and_then(|s| s.parse().ok()),
        propagation_policy: q.get("propagationPolicy").map(String::from),
        dry_run: q.dry_run()?,
        ..Default::default()
    };
    if !body.iter().all(u8::is_ascii_whitespace) {
        let v = decode_body(headers, body)?;
        if let Some(g) = v.get("gracePeriodSeconds").and_then(Value::as_i64) {
            o.grace_period_seconds = Some(g);
        }
        if let Some(p) = v.get("propagationPolicy").and_then(Value::as_str) {
            o.propagation_policy = Some(p.to_string());
        }
        if v.get("orphanDependents").and_then(Value::as_bool) == Some(true)
            && o.propagation_policy.is_none()
        {
            o.propagation_policy = Some("Orphan".into());
        }
        if let Some(pre) = v.get("preconditions") {
            o.precondition_uid = pre.get("uid").and_then(Value::as_str).map(String::from);
            o.precondition_resource_version =
                pre.get("resourceVersion").and_then(Value::as_str).map(String::from);
        }
        if let Some(d) = v.get("dryRun").and_then(Value::as_array) {
            o.dry_run |= d.iter().any(|x| x == "All");
        }
    }
    Ok(o)
}

fn watch_response(
    res: &'static ResourceInfo,
    stream: impl futures::Stream<Item = crate::registry::WatchEvent> + Send + 'static,
    repr: Repr,
) -> Response {
    let body = stream.map(move |ev| {
        let converted = match (repr, ev.kind) {
            (_, "ERROR" | "BOOKMARK") | (Repr::Object, _) => None,
            (Repr::Table, _) => crate::object::parse(&ev.object).ok().map(|o| {
                crate::table::to_table(res, &[o], crate::table::IncludeObject::Metadata, None)
            }),
            (Repr::PartialObjectMetadata, _) => crate::object::parse(&ev.object)
                .ok()
                .map(|o| crate::table::to_partial_object_metadata(&o)),
        };
        let line = match converted {
            Some(v) => {
                crate::object::watch_line(ev.kind, &serde_json::to_vec(&v).unwrap_or_default())
            }
            None => crate::object::watch_line(ev.kind, &ev.object),
        };
        Ok::<_, std::convert::Infallible>(line)
    });
    let mut resp = Response::new(Body::from_stream(body));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, private"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let t = parse_resource_path("", "v1", &["namespaces", "default", "pods", "web", "status"])
            .expect("ok");
        assert_eq!(
            (t.res.plural, t.namespace.as_deref(), t.name.as_deref(), t.subresource),
            ("pods", Some("default"), Some("web"), Some("status"))
        );
        let t = parse_resource_path("", "v1", &["namespaces", "kube-system"]).expect("ok");
        assert_eq!(
            (t.res.plural, t.namespace, t.name.as_deref()),
            ("namespaces", None, Some("kube-system"))
        );
        let t = parse_resource_path("", "v1", &["namespaces", "x", "status"])
            .expect("namespace status");
        assert_eq!(
            (t.res.plural, t.name.as_deref(), t.subresource),
            ("namespaces", Some("x"), Some("status"))
        );
        let t = parse_resource_path("apps", "v1", &["deployments"]).expect("all namespaces");
        assert_eq!(t.namespace, None);
        assert!(parse_resource_path("", "v1", &["bogus"]).is_err());
        assert!(parse_resource_path("", "v1", &["pods", "a", "nosuchsub"]).is_err());
    }

    #[test]
    fn query_parsing() {
        let q = Query::parse(Some("&limit=1&labelSelector=app%3Dweb%2Ctier+in+(a,b)&watch"));
        assert_eq!(q.get("limit"), Some("1"));
        assert_eq!(q.get("labelSelector"), Some("app=web,tier in (a,b)"));
        assert!(q.flag("watch"));
    }

    #[test]
    fn negotiation() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static(
                "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
            ),
        );
        assert_eq!(negotiate(&h), Repr::Table);
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/vnd.kubernetes.protobuf,application/json"),
        );
        assert_eq!(negotiate(&h), Repr::Object);
    }
}
