//! The PATCH content types: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic
//! merge patch (kubectl's default), the last driven by the list strategies and merge keys in
//! our OpenAPI schemas (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`), the
//! same metadata apimachinery's strategicpatch reads from struct tags.
//!
//! Every function works on a copy and either returns the whole result or an error naming the
//! path: a patch never half-applies.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use serde_json::{Map, Value};

use crate::resources::ResourceInfo;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    Strategic,
    Apply,
}

impl PatchType {
    pub fn from_content_type(ct: &str) -> Option<PatchType> {
        match ct.split(';').next().unwrap_or("").trim() {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => {
                Some(PatchType::Apply)
            }
            _ => None,
        }
    }
}

/// RFC 7386: objects merge recursively, `null` deletes, everything else replaces.
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    match patch {
        Value::Object(p) => {
            let mut out = match target {
                Value::Object(t) => t.clone(),
                _ => Map::new(),
            };
            for (k, v) in p {
                if v.is_null() {
                    out.remove(k);
                } else {
                    let merged = merge_patch(out.get(k).unwrap_or(&Value::Null), v);
                    out.insert(k.clone(), merged);
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn pointer_parts(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| format!("invalid JSON pointer {path:?}: must start with '/'"))?;
    Ok(rest.split('/').map(unescape).collect())
}

fn parent_mut<'a>(
    doc: &'a mut Value,
    parts: &[String],
    path: &str,
) -> Result<&'a mut Value, String> {
    let mut cur = doc;
    for p in &parts[..parts.len().saturating_sub(1)] {
        cur = match cur {
            Value::Object(m) => {
                m.get_mut(p).ok_or_else(|| format!("path {path:?} does not exist"))?
            }
            Value::Array(a) => {
                let i: usize =
                    p.parse().map_err(|_| format!("path {path:?}: {p:?} is not an array index"))?;
                a.get_mut(i).ok_or_else(|| format!("path {path:?}: index {i} is out of range"))?
            }
            _ => return Err(format!("path {path:?} does not exist")),
        };
    }
    Ok(cur)
}

fn get_at<'a>(doc: &'a Value, path: &str) -> Result<&'a Value, String> {
    let parts = pointer_parts(path)?;
    let mut cur = doc;
    for p in &parts {
        cur = match cur {
            Value::Object(m) => m.get(p).ok_or_else(|| format!("path {path:?} does not exist"))?,
            Value::Array(a) => p
                .parse::<usize>()
                .ok()
                .and_then(|i| a.get(i))
                .ok_or_else(|| format!("path {path:?} does not exist"))?,
            _ => return Err(format!("path {path:?} does not exist")),
        };
    }
    Ok(cur)
}

fn add_at(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let parts = pointer_parts(path)?;
    let Some(last) = parts.last().cloned() else {
        *doc = value;
        return Ok(());
    };
    match parent_mut(doc, &parts, path)? {
        Value::Object(m) => {
            m.insert(last, value);
            Ok(())
        }
        Value::Array(a) => {
            if last == "-" {
                a.push(value);
                return Ok(());
            }
            let i: usize = last
                .parse()
                .map_err(|_| format!("path {path:?}: {last:?} is not an array index"))?;
            if i > a.len() {
                return Err(format!("path {path:?}: index {i} is out of range"));
            }
            a.insert(i, value);
            Ok(())
        }
        _ => Err(format!("path {path:?}: the parent is not an object or array")),
    }
}

fn remove_at(doc: &mut Value, path: &str) -> Result<Value, String> {
    let parts = pointer_parts(path)?;
    let Some(last) = parts.last().cloned() else {
        return Err("cannot remove the whole document".into());
    };
    match parent_mut(doc, &parts, path)? {
        Value::Object(m) => m.remove(&last).ok_or_else(|| format!("path {path:?} does not exist")),
        Value::Array(a) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("path {path:?}: {last:?} is not an array index"))?;
            if i >= a.len() {
                return Err(format!("path {path:?}: index {i} is out of range"));
            }
            Ok(a.remove(i))
        }
        _ => Err(format!("path {path:?} does not exist")),
    }
}

/// RFC 6902: a list of operations applied in order; any failure fails the whole patch.
pub fn json_patch(target: &Value, ops: &Value) -> Result<Value, String> {
    let ops = ops.as_array().ok_or("a JSON patch must be a list of operations")?;
    let mut doc = target.clone();
    for (n, op) in ops.iter().enumerate() {
        let kind = op
            .get("op")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("operation {n}: missing \"op\""))?;
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("operation {n}: missing \"path\""))?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| format!("operation {n} ({kind} {path}): missing \"value\""))
        };
        let from = || {
            op.get("from")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("operation {n} ({kind} {path}): missing \"from\""))
        };
        let res = match kind {
            "add" => add_at(&mut doc, path, value()?),
            "remove" => remove_at(&mut doc, path).map(|_| ()),
            "replace" => {
                get_at(&doc, path)?;
                remove_at(&mut doc, path).and_then(|_| add_at(&mut doc, path, value()?)).or_else(
                    |e| {
                        if path.is_empty() {
                            doc = value()?;
                            Ok(())
                        } else {
                            Err(e)
                        }
                    },
                )
            }
            "move" => {
                let f = from()?;
                let v = remove_at(&mut doc, f)?;
                add_at(&mut doc, path, v)
            }
            "copy" => {
                let v = get_at(&doc, from()?)?.clone();
                add_at(&mut doc, path, v)
            }
            "test" => {
                if get_at(&doc, path)? == &value()? {
                    Ok(())
                } else {
                    Err(format!("test failed at {path:?}"))
                }
            }
            other => Err(format!("unknown operation {other:?}")),
        };
        res.map_err(|e| format!("the JSON patch operation {n} ({kind}) failed: {e}"))?;
    }
    Ok(doc)
}

// ---------------------------------------------------------------------------------------
// Strategic merge patch
// ---------------------------------------------------------------------------------------

/// Parsed OpenAPI documents, per group-version, for schema lookups.
struct Schemas {
    doc: Value,
    by_gvk: HashMap<String, String>,
}

type SchemaCache = Mutex<HashMap<(String, String), Arc<Schemas>>>;

fn schemas(group: &str, version: &str) -> Option<Arc<Schemas>> {
    static CACHE: OnceLock<SchemaCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (group.to_string(), version.to_string());
    if let Some(s) = cache.lock().get(&key) {
        return Some(s.clone());
    }
    let raw = crate::openapi::document(group, version)?;
    let full: Value = serde_json::from_slice(&raw.json).ok()?;
    let doc = &full;
    let mut by_gvk = HashMap::new();
    if let Some(defs) = doc.pointer("/components/schemas").and_then(Value::as_object) {
        for (name, s) in defs {
            for gvk in s
                .get("x-kubernetes-group-version-kind")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let k = format!(
                    "{}/{}/{}",
                    gvk["group"].as_str().unwrap_or(""),
                    gvk["version"].as_str().unwrap_or(""),
                    gvk["kind"].as_str().unwrap_or("")
                );
                by_gvk.entry(k).or_insert_with(|| name.clone());
            }
        }
    }
    // Keep only what patching and field ownership read (references and the list
    // extensions): the descriptions are most of the document and would cost megabytes.
    let mut defs = Map::new();
    if let Some(all) = doc.pointer("/components/schemas").and_then(Value::as_object) {
        for (name, s) in all {
            defs.insert(name.clone(), compact_schema(s));
        }
    }
    let doc = serde_json::json!({ "components": { "schemas": defs } });
    drop(full);
    let s = Arc::new(Schemas { doc, by_gvk });
    cache.lock().insert(key, s.clone());
    Some(s)
}

/// The parts of a schema the patch and ownership code read.
fn compact_schema(s: &Value) -> Value {
    let Some(m) = s.as_object() else { return Value::Null };
    let mut out = Map::new();
    for (k, v) in m {
        let kept = match k.as_str() {
            "$ref"
            | "x-kubernetes-patch-strategy"
            | "x-kubernetes-patch-merge-key"
            | "x-kubernetes-list-type"
            | "x-kubernetes-list-map-keys" => v.clone(),
            "allOf" => {
                Value::Array(v.as_array().into_iter().flatten().map(compact_schema).collect())
            }
            "items" | "additionalProperties" => compact_schema(v),
            "properties" => Value::Object(
                v.as_object()
                    .into_iter()
                    .flatten()
                    .map(|(pk, pv)| (pk.clone(), compact_schema(pv)))
                    .collect(),
            ),
            _ => continue,
        };
        out.insert(k.clone(), kept);
    }
    Value::Object(out)
}

/// A position in the schema: the (resolved) schema of the current value, if known.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub(crate) doc: &'a Value,
    pub(crate) schema: Option<&'a Value>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn resolve(&self, s: &'a Value) -> Option<&'a Value> {
        let target = s
            .get("$ref")
            .or_else(|| s.get("allOf").and_then(|a| a.get(0)).and_then(|x| x.get("$ref")));
        match target.and_then(Value::as_str) {
            Some(r) => {
                let name = r.strip_prefix("#/components/schemas/")?;
                self.doc.pointer(&format!(
                    "/components/schemas/{}",
                    name.replace('~', "~0").replace('/', "~1")
                ))
            }
            None => Some(s),
        }
    }

    /// The raw property schema (carrying the patch extensions) and the context inside it.
    pub(crate) fn field(&self, name: &str) -> (Option<&'a Value>, Ctx<'a>) {
        let prop = self.schema.and_then(|s| s.get("properties")).and_then(|p| p.get(name));
        let inner = prop.and_then(|p| self.resolve(p));
        (prop, Ctx { doc: self.doc, schema: inner })
    }

    pub(crate) fn items(&self, prop: Option<&'a Value>) -> Ctx<'a> {
        let items = prop.and_then(|p| p.get("items")).and_then(|i| self.resolve(i));
        Ctx { doc: self.doc, schema: items }
    }

    pub(crate) fn map_values(&self) -> Ctx<'a> {
        let v =
            self.schema.and_then(|s| s.get("additionalProperties")).and_then(|a| self.resolve(a));
        Ctx { doc: self.doc, schema: v }
    }
}

/// Runs `f` with the schema context of resource `res`'s kind (unknown schema: no context).
pub(crate) fn with_root_ctx<T>(res: &ResourceInfo, f: impl FnOnce(Ctx<'_>) -> T) -> T {
    let schemas = schemas(res.group, res.version);
    let empty = Value::Null;
    match &schemas {
        Some(s) => {
            let name = s.by_gvk.get(&format!("{}/{}/{}", res.group, res.version, res.kind));
            let root = name.and_then(|n| {
                s.doc.pointer(&format!("/components/schemas/{}", n.replace('/', "~1")))
            });
            f(Ctx { doc: &s.doc, schema: root })
        }
        None => f(Ctx { doc: &empty, schema: None }),
    }
}

/// Applies a strategic merge patch to `target`, an object of resource `res`.
pub fn strategic_merge_patch(
    res: &ResourceInfo,
    target: &Value,
    patch: &Value,
) -> Result<Value, String> {
    let schemas = schemas(res.group, res.version);
    let empty = Value::Null;
    let (doc, root) = match &schemas {
        Some(s) => {
            let name = s.by_gvk.get(&format!("{}/{}/{}", res.group, res.version, res.kind));
            let root = name.and_then(|n| {
                s.doc.pointer(&format!("/components/schemas/{}", n.replace('/', "~1")))
            });
            (&s.doc, root)
        }
        None => (&empty, None),
    };
    let ctx = Ctx { doc, schema: root };
    let patch = patch.as_object().ok_or("a strategic merge patch must be a JSON object")?;
    let target = match target {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    merge_map(target, patch, ctx, "").map(Value::Object)
}

fn join(path: &str, k: &str) -> String {
    if path.is_empty() {
        k.to_string()
    } else {
        format!("{path}.{k}")
    }
}

/// Removes `$patch`/`$setElementOrder`/... directives from a value being inserted as new.
fn strip(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip(v)))
                .collect(),
        ),
        Value::Array(a) => {
            Value::Array(a.iter().filter(|x| x.get("$patch").is_none()).map(strip).collect())
        }
        other => other.clone(),
    }
}

fn merge_map(
    mut orig: Map<String, Value>,
    patch: &Map<String, Value>,
    ctx: Ctx<'_>,
    path: &str,
) -> Result<Map<String, Value>, String> {
    match patch.get("$patch").map(|p| p.as_str()) {
        Some(Some("replace")) => {
            return match strip(&Value::Object(patch.clone())) {
                Value::Object(m) => Ok(m),
                _ => Ok(Map::new()),
            }
        }
        Some(Some("delete")) => return Ok(Map::new()),
        Some(Some("merge")) | None => {}
        Some(other) => {
            return Err(format!(
                "{}: unknown $patch directive {other:?}",
                if path.is_empty() { "<root>" } else { path }
            ))
        }
    }
    let mut orders = Vec::new();
    let mut deletions = Vec::new();
    let retain = patch.get("$retainKeys");
    for (k, v) in patch {
        if k == "$patch" || k == "$retainKeys" {
            continue;
        }
        if let Some(field) = k.strip_prefix("$setElementOrder/") {
            orders.push((field.to_string(), v));
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            deletions.push((field.to_string(), v));
            continue;
        }
        if k.starts_with('$') {
            return Err(format!("{}: unknown directive {k:?}", join(path, k)));
        }
        let here = join(path, k);
        if v.is_null() {
            orig.remove(k);
            continue;
        }
        let (prop, inner) = if ctx.schema.is_some_and(|s| s.get("properties").is_some()) {
            ctx.field(k)
        } else {
            (None, ctx.map_values())
        };
        let merged = match (orig.remove(k), v) {
            (Some(Value::Object(o)), Value::Object(p)) => {
                if p.get("$patch").and_then(Value::as_str) == Some("delete") {
                    continue;
                }
                Value::Object(merge_map(o, p, inner, &here)?)
            }
            (None, Value::Object(p)) => {
                if p.get("$patch").and_then(Value::as_str) == Some("delete") {
                    continue;
                }
                Value::Object(merge_map(Map::new(), p, inner, &here)?)
            }
            (Some(Value::Array(o)), Value::Array(p)) => {
                Value::Array(merge_list(o, p, prop, ctx, &here)?)
            }
            (None, Value::Array(p)) => Value::Array(merge_list(Vec::new(), p, prop, ctx, &here)?),
            (_, other) => {
                if other.get("$patch").is_some() {
                    return Err(format!(
                        "{here}: a $patch directive on a value that is not an object"
                    ));
                }
                strip(other)
            }
        };
        orig.insert(k.clone(), merged);
    }
    for (field, values) in deletions {
        let values = values.as_array().ok_or_else(|| {
            format!("{}: $deleteFromPrimitiveList must be a list", join(path, &field))
        })?;
        if let Some(Value::Array(list)) = orig.get_mut(&field) {
            list.retain(|x| !values.contains(x));
        }
    }
    for (field, order) in orders {
        let order = order
            .as_array()
            .ok_or_else(|| format!("{}: $setElementOrder must be a list", join(path, &field)))?;
        let (prop, _) = ctx.field(&field);
        let key = prop.and_then(|p| p.get("x-kubernetes-patch-merge-key")).and_then(Value::as_str);
        if let Some(Value::Array(list)) = orig.get_mut(&field) {
            reorder(list, order, key);
        }
    }
    if let Some(retain) = retain {
        let keep: Vec<&str> = retain
            .as_array()
            .ok_or_else(|| format!("{path}: $retainKeys must be a list"))?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        orig.retain(|k, _| keep.contains(&k.as_str()));
    }
    Ok(orig)
}

fn item_key<'v>(item: &'v Value, key: &str) -> Option<&'v Value> {
    item.get(key)
}

fn reorder(list: &mut Vec<Value>, order: &[Value], key: Option<&str>) {
    let ident = |v: &Value| -> Value {
        match key {
            Some(k) => item_key(v, k).cloned().unwrap_or(Value::Null),
            None => v.clone(),
        }
    };
    let mut out = Vec::with_capacity(list.len());
    let mut rest: Vec<Value> = std::mem::take(list);
    for o in order {
        let want = ident(o);
        if let Some(pos) = rest.iter().position(|x| ident(x) == want) {
            out.push(rest.remove(pos));
        }
    }
    out.extend(rest);
    *list = out;
}

fn merge_list(
    orig: Vec<Value>,
    patch: &[Value],
    prop: Option<&Value>,
    ctx: Ctx<'_>,
    path: &str,
) -> Result<Vec<Value>, String> {
    let strategy = prop
        .and_then(|p| p.get("x-kubernetes-patch-strategy"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let key = prop.and_then(|p| p.get("x-kubernetes-patch-merge-key")).and_then(Value::as_str);
    if patch.iter().any(|p| p.get("$patch").and_then(Value::as_str) == Some("replace")) {
        return Ok(patch.iter().filter(|p| p.get("$patch").is_none()).map(strip).collect());
    }
    if !strategy.split(',').any(|s| s == "merge") {
        for p in patch {
            if p.get("$patch").is_some() {
                return Err(format!("{path}: a $patch directive in a list that does not merge"));
            }
        }
        return Ok(patch.iter().map(strip).collect());
    }
    let items = ctx.items(prop);
    let mut out = orig;
    match key {
        Some(k) => {
            for (i, p) in patch.iter().enumerate() {
                let pm = p.as_object().ok_or_else(|| {
                    format!("{path}[{i}]: expected an object in a list merged by {k:?}")
                })?;
                let id = pm
                    .get(k)
                    .ok_or_else(|| format!("{path}[{i}]: the merge key {k:?} is missing"))?;
                let pos = out.iter().position(|o| item_key(o, k) == Some(id));
                match pm.get("$patch").and_then(Value::as_str) {
                    Some("delete") => {
                        out.retain(|o| item_key(o, k) != Some(id));
                        continue;
                    }
                    Some("replace") | Some("merge") | None => {}
                    Some(other) => {
                        return Err(format!("{path}[{i}]: unknown $patch directive {other:?}"))
                    }
                }
                match pos {
                    Some(j) => {
                        let base = match std::mem::take(&mut out[j]) {
                            Value::Object(m) => m,
                            _ => Map::new(),
                        };
                        out[j] = Value::Object(merge_map(
                            base,
                            pm,
                            items,
                            &format!("{path}[{k}={id}]"),
                        )?);
                    }
                    None => out.push(Value::Object(merge_map(
                        Map::new(),
                        pm,
                        items,
                        &format!("{path}[{k}={id}]"),
                    )?)),
                }
            }
        }
        None => {
            for p in patch {
                if !out.contains(p) {
                    out.push(strip(p));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::lookup;
    use serde_json::json;

    #[test]
    fn merge_patch_rfc7386() {
        let t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        let p = json!({"a": "z", "c": {"f": null}});
        assert_eq!(merge_patch(&t, &p), json!({"a": "z", "c": {"d": "e"}}));
    }

    #[test]
    fn json_patch_ops_and_failures() {
        let t = json!({"metadata": {"labels": {"a": "1"}}, "list": [1, 2]});
        let p = json!([{"op": "add", "path": "/metadata/labels/b~1c", "value": "2"},
                       {"op": "replace", "path": "/list/0", "value": 9},
                       {"op": "remove", "path": "/metadata/labels/a"},
                       {"op": "add", "path": "/list/-", "value": 3}]);
        let out = json_patch(&t, &p).expect("applies");
        assert_eq!(out, json!({"metadata": {"labels": {"b/c": "2"}}, "list": [9, 2, 3]}));
        let bad = json!([{"op": "add", "path": "/x", "value": 1}, {"op": "remove", "path": "/nope/deep"}]);
        let err = json_patch(&t, &bad).expect_err("fails");
        assert!(err.contains("/nope/deep"), "{err}");
        assert!(json_patch(&t, &json!([{"op": "test", "path": "/list/1", "value": 5}])).is_err());
    }

    #[test]
    fn strategic_merge_by_name_with_directives() {
        let res = lookup("apps", "v1", "deployments").expect("deployments");
        let t = json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [
            {"name": "api", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
            {"name": "sidecar", "image": "s:1"}]}}}});
        let p = json!({"spec": {"replicas": 3, "template": {"spec": {
            "$setElementOrder/containers": [{"name": "api"}, {"name": "sidecar2"}],
            "containers": [{"name": "sidecar2", "image": "busybox"}, {"$patch": "delete", "name": "sidecar"},
                           {"name": "api", "env": [{"name": "Y", "value": "2"}]}]}}}});
        let out = strategic_merge_patch(res, &t, &p).expect("applies");
        let cs = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(cs.as_array().map(Vec::len), Some(2));
        assert_eq!(cs[0]["name"], "api");
        assert_eq!(cs[0]["image"], "a:1", "merged by name, not replaced");
        assert_eq!(cs[0]["env"].as_array().map(Vec::len), Some(2), "env merges by name too");
        assert_eq!(cs[1]["name"], "sidecar2");
        assert_eq!(out["spec"]["replicas"], 3);
    }

    #[test]
    fn strategic_merge_replaces_lists_without_strategy_and_retains_keys() {
        let res = lookup("apps", "v1", "deployments").expect("deployments");
        let t = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
                                "template": {"spec": {"containers": [{"name": "a", "args": ["x", "y"]}]}}}});
        let p = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"},
                                "template": {"spec": {"containers": [{"name": "a", "args": ["z"]}]}}}});
        let out = strategic_merge_patch(res, &t, &p).expect("applies");
        assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
        assert_eq!(out["spec"]["template"]["spec"]["containers"][0]["args"], json!(["z"]));
        let bad = json!({"spec": {"replicas": {"$patch": "delete"}}});
        assert!(strategic_merge_patch(res, &t, &bad).is_ok(), "deleting a map field is allowed");
        let wrong = json!({"spec": {"template": {"spec": {"containers": [{"image": "no-name"}]}}}});
        let err = strategic_merge_patch(res, &t, &wrong).expect_err("missing merge key");
        assert!(err.contains("merge key \"name\""), "{err}");
    }

    #[test]
    fn finalizers_and_labels_merge_as_kubectl_expects() {
        let res = lookup("", "v1", "configmaps").expect("configmaps");
        let t = json!({"metadata": {"labels": {"a": "1", "b": "2"}, "finalizers": ["x"]}});
        let p = json!({"metadata": {"labels": {"a": null, "c": "3"}, "$deleteFromPrimitiveList/finalizers": ["x"]}});
        let out = strategic_merge_patch(res, &t, &p).expect("applies");
        assert_eq!(out["metadata"]["labels"], json!({"b": "2", "c": "3"}));
        assert_eq!(out["metadata"]["finalizers"], json!([]));
    }

    /// Property test: for random container lists and random patches (updates, additions and
    /// `$patch: delete` items, by name), the strategic merge agrees with a plain model of the
    /// merge-key semantics: items keep their order, patched items merge field by field, new
    /// items are appended, deleted items go.
    #[test]
    fn strategic_merge_agrees_with_a_model_of_merge_keys() {
        let res = lookup("", "v1", "pods").expect("pods");
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _case in 0..500 {
            let names = ["a", "b", "c", "d", "e"];
            // Original: a subset of names in random order, each with an image and maybe args.
            let mut orig: Vec<(String, String, Option<String>)> = Vec::new();
            for n in names {
                if rnd(2) == 0 {
                    let args = (rnd(2) == 0).then(|| format!("arg{}", rnd(9)));
                    orig.push((n.to_string(), format!("img{}", rnd(9)), args));
                }
            }
            let len = orig.len();
            let k = rnd(len.max(1) as u64) as usize;
            orig.rotate_left(k.min(len));
            // Patch: random operations on random names.
            let mut patch_items = Vec::new();
            let mut model = orig.clone();
            for n in names {
                match rnd(4) {
                    0 => {
                        patch_items.push(json!({"name": n, "$patch": "delete"}));
                        model.retain(|(m, _, _)| m != n);
                    }
                    1 => {
                        let img = format!("new{}", rnd(9));
                        patch_items.push(json!({"name": n, "image": img}));
                        match model.iter_mut().find(|(m, _, _)| m == n) {
                            Some(item) => item.1 = img,
                            None => model.push((n.to_string(), img, None)),
                        }
                    }
                    _ => {}
                }
            }
            let to_json = |items: &[(String, String, Option<String>)]| -> Value {
                Value::Array(
                    items
                        .iter()
                        .map(|(n, i, a)| {
                            let mut v = json!({"name": n, "image": i});
                            if let Some(a) = a {
                                v["args"] = json!([a]);
                            }
                            v
                        })
                        .collect(),
                )
            };
            let target = json!({"spec": {"containers": to_json(&orig)}});
            let patch = json!({"spec": {"containers": patch_items}});
            let out = strategic_merge_patch(res, &target, &patch).expect("applies");
            assert_eq!(
                out["spec"]["containers"],
                to_json(&model),
                "target {target}\npatch {patch}"
            );
        }
    }
}
