//! Field ownership for server-side apply: `metadata.managedFields`.
//!
//! Each manager owns a set of field paths, written in the FieldsV1 form Kubernetes uses
//! (`f:<field>` for map fields, `k:{"name":"x"}` for items of lists merged by key,
//! `v:<json>` for items of set-like lists, `.` for a list item itself). An apply:
//! 1. computes the paths its configuration sets;
//! 2. conflicts (409, one cause per field) where another manager owns a path and the applied
//!    value differs from the live one — unless `force`, which takes the paths over;
//! 3. merges the configuration into the live object;
//! 4. removes the paths this manager applied last time but not now, if nobody else owns them;
//! 5. records its new set (operation Apply).
//!
//! Other writes (create, update, patch) give the fields they set or change to their manager
//! (operation Update) and take them away from everyone else, as kube-apiserver does, so
//! `kubectl scale` after `helm install` makes the next apply of `replicas` a conflict.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::errors::{ApiError, FieldError};
use crate::meta;
use crate::patch::{with_root_ctx, Ctx};
use crate::resources::ResourceInfo;

/// One field path, as FieldsV1 tokens.
pub type Path = Vec<String>;
pub type FieldSet = BTreeSet<Path>;

/// Fields that identify or are set by the server; never owned.
fn ignored(path: &[String]) -> bool {
    match path {
        [a] if a == "f:apiVersion" || a == "f:kind" => true,
        [m, f, ..] if m == "f:metadata" => matches!(
            f.as_str(),
            "f:name"
                | "f:namespace"
                | "f:uid"
                | "f:resourceVersion"
                | "f:generation"
                | "f:creationTimestamp"
                | "f:managedFields"
                | "f:deletionTimestamp"
                | "f:deletionGracePeriodSeconds"
                | "f:selfLink"
        ),
        [s, ..] if s == "f:status" => false,
        _ => false,
    }
}

fn list_key(prop: Option<&Value>) -> (Option<String>, bool) {
    let strategy = prop
        .and_then(|p| p.get("x-kubernetes-patch-strategy"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let key = prop
        .and_then(|p| p.get("x-kubernetes-patch-merge-key"))
        .and_then(Value::as_str)
        .map(String::from);
    let list_type =
        prop.and_then(|p| p.get("x-kubernetes-list-type")).and_then(Value::as_str).unwrap_or("");
    let set = strategy.split(',').any(|s| s == "merge") || list_type == "set";
    (key, set)
}

fn item_token(key: &str, item: &Value) -> Option<String> {
    let v = item.get(key)?;
    Some(format!("k:{}", json!({ key: v })))
}

fn collect(value: &Value, ctx: Ctx<'_>, prefix: &mut Path, out: &mut FieldSet) {
    let Some(map) = value.as_object() else { return };
    let props = ctx.schema.is_some_and(|s| s.get("properties").is_some());
    for (k, v) in map {
        prefix.push(format!("f:{k}"));
        if !ignored(prefix) {
            let (prop, inner) = if props { ctx.field(k) } else { (None, ctx.map_values()) };
            match v {
                Value::Object(m) if !m.is_empty() => collect(v, inner, prefix, out),
                Value::Array(items) => {
                    let (key, set) = list_key(prop);
                    match key {
                        Some(key) if items.iter().all(|i| i.is_object()) => {
                            let item_ctx = ctx.items(prop);
                            for item in items {
                                let Some(tok) = item_token(&key, item) else { continue };
                                prefix.push(tok);
                                let mut dot = prefix.clone();
                                dot.push(".".into());
                                out.insert(dot);
                                collect(item, item_ctx, prefix, out);
                                prefix.pop();
                            }
                        }
                        _ if set && items.iter().all(|i| !i.is_object() && !i.is_array()) => {
                            for item in items {
                                let mut p = prefix.clone();
                                p.push(format!("v:{item}"));
                                out.insert(p);
                            }
                        }
                        _ => {
                            out.insert(prefix.clone());
                        }
                    }
                }
                _ => {
                    out.insert(prefix.clone());
                }
            }
        }
        prefix.pop();
    }
}

/// The paths an object (or an applied configuration) sets.
pub fn fields_of(res: &ResourceInfo, value: &Value) -> FieldSet {
    with_root_ctx(res, |ctx| {
        let mut out = FieldSet::new();
        collect(value, ctx, &mut Vec::new(), &mut out);
        out
    })
}

/// The value at a path (None if absent).
fn value_at<'v>(root: &'v Value, path: &[String]) -> Option<&'v Value> {
    let mut cur = root;
    for tok in path {
        if tok == "." {
            return Some(cur);
        }
        if let Some(f) = tok.strip_prefix("f:") {
            cur = cur.get(f)?;
        } else if let Some(k) = tok.strip_prefix("k:") {
            let want: Map<String, Value> = serde_json::from_str(k).ok()?;
            cur = cur
                .as_array()?
                .iter()
                .find(|item| want.iter().all(|(kk, vv)| item.get(kk) == Some(vv)))?;
        } else if let Some(v) = tok.strip_prefix("v:") {
            let want: Value = serde_json::from_str(v).ok()?;
            return cur.as_array()?.iter().find(|x| **x == want);
        } else {
            return None;
        }
    }
    Some(cur)
}

/// Removes the value at a path; missing paths are ignored.
fn remove_at(root: &mut Value, path: &[String]) {
    let (last, parent_path) = match path.split_last() {
        Some((l, rest)) if l == "." => match rest.split_last() {
            Some((item, parent)) => (item.clone(), parent.to_vec()),
            None => return,
        },
        Some((l, rest)) => (l.clone(), rest.to_vec()),
        None => return,
    };
    let mut cur = root;
    for tok in &parent_path {
        let next = if let Some(f) = tok.strip_prefix("f:") {
            cur.get_mut(f)
        } else if let Some(k) = tok.strip_prefix("k:") {
            let Ok(want) = serde_json::from_str::<Map<String, Value>>(k) else { return };
            cur.as_array_mut().and_then(|a| {
                a.iter_mut().find(|item| want.iter().all(|(kk, vv)| item.get(kk) == Some(vv)))
            })
        } else {
            None
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    if let Some(f) = last.strip_prefix("f:") {
        if let Some(m) = cur.as_object_mut() {
            m.remove(f);
        }
    } else if let Some(k) = last.strip_prefix("k:") {
        if let (Ok(want), Some(a)) =
            (serde_json::from_str::<Map<String, Value>>(k), cur.as_array_mut())
        {
            a.retain(|item| !want.iter().all(|(kk, vv)| item.get(kk) == Some(vv)));
        }
    } else if let Some(v) = last.strip_prefix("v:") {
        if let (Ok(want), Some(a)) = (serde_json::from_str::<Value>(v), cur.as_array_mut()) {
            a.retain(|x| *x != want);
        }
    }
}

/// FieldsV1 JSON tree from a set of paths.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut cur = &mut root;
        for tok in path {
            let next = cur.entry(tok.clone()).or_insert_with(|| json!({}));
            match next.as_object_mut() {
                Some(m) => cur = m,
                None => break,
            }
        }
    }
    Value::Object(root)
}

/// A set of paths from a FieldsV1 JSON tree (leaves are empty objects).
pub fn from_fields_v1(v: &Value) -> FieldSet {
    fn walk(v: &Value, prefix: &mut Path, out: &mut FieldSet) {
        match v.as_object() {
            Some(m) if !m.is_empty() => {
                for (k, child) in m {
                    prefix.push(k.clone());
                    walk(child, prefix, out);
                    prefix.pop();
                }
            }
            _ => {
                if !prefix.is_empty() {
                    out.insert(prefix.clone());
                }
            }
        }
    }
    let mut out = FieldSet::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// One managedFields entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub manager: String,
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub subresource: String,
    pub fields: FieldSet,
}

pub fn read_entries(obj: &Value) -> Vec<Entry> {
    let Some(list) =
        meta::metadata(obj).and_then(|m| m.get("managedFields")).and_then(Value::as_array)
    else {
        return Vec::new();
    };
    list.iter()
        .map(|e| Entry {
            manager: e.get("manager").and_then(Value::as_str).unwrap_or("").to_string(),
            operation: e.get("operation").and_then(Value::as_str).unwrap_or("Update").to_string(),
            api_version: e.get("apiVersion").and_then(Value::as_str).unwrap_or("").to_string(),
            time: e.get("time").and_then(Value::as_str).unwrap_or("").to_string(),
            subresource: e.get("subresource").and_then(Value::as_str).unwrap_or("").to_string(),
            fields: e.get("fieldsV1").map(from_fields_v1).unwrap_or_default(),
        })
        .collect()
}

pub fn write_entries(obj: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": to_fields_v1(&e.fields),
            });
            if !e.subresource.is_empty() {
                v["subresource"] = json!(e.subresource);
            }
            v
        })
        .collect();
    if list.is_empty() {
        meta::remove(obj, "managedFields");
    } else {
        meta::set(obj, "managedFields", Value::Array(list));
    }
}

/// Records a non-apply write by `manager`: the fields it set or changed become its own.
pub fn record_update(
    res: &ResourceInfo,
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: &str,
) {
    let mut entries = old.map(read_entries).unwrap_or_default();
    let new_fields = fields_of(res, new);
    let changed: FieldSet = new_fields
        .iter()
        .filter(|p| old.is_none_or(|o| value_at(o, p) != value_at(new, p)))
        .cloned()
        .collect();
    // Fields that no longer exist are owned by no one.
    for e in entries.iter_mut() {
        e.fields.retain(|p| new_fields.contains(p) && !changed.contains(p));
    }
    if !changed.is_empty() {
        match entries.iter_mut().find(|e| {
            e.manager == manager && e.operation == "Update" && e.subresource == subresource
        }) {
            Some(e) => {
                e.fields.extend(changed);
                e.time = meta::now_rfc3339();
            }
            None => entries.push(Entry {
                manager: manager.to_string(),
                operation: "Update".into(),
                api_version: res.api_version(),
                time: meta::now_rfc3339(),
                subresource: subresource.to_string(),
                fields: changed,
            }),
        }
    }
    write_entries(new, &entries);
}

/// Server-side apply of `applied` by `manager` onto `live`. Returns the new object (with
/// managedFields), or a 409 naming every conflicting manager and field.
pub fn apply(
    res: &ResourceInfo,
    live: &Value,
    applied: &Value,
    manager: &str,
    force: bool,
    name: &str,
) -> Result<Value, ApiError> {
    let mut entries = read_entries(live);
    let applied_set = fields_of(res, applied);
    let mut conflicts = Vec::new();
    for e in entries.iter_mut().filter(|e| e.manager != manager) {
        let clashing: Vec<Path> = e
            .fields
            .iter()
            .filter(|p| {
                applied_set.contains(*p)
                    && p.last().is_some_and(|t| t != ".")
                    && value_at(live, p) != value_at(applied, p)
            })
            .cloned()
            .collect();
        if clashing.is_empty() {
            continue;
        }
        if force {
            for p in &clashing {
                e.fields.remove(p);
            }
        } else {
            for p in clashing {
                conflicts.push(FieldError {
                    reason: "FieldManagerConflict",
                    field: display_path(&p),
                    message: format!(
                        "conflict with \"{}\"{}",
                        e.manager,
                        if e.operation == "Update" {
                            format!(" using {}", e.api_version)
                        } else {
                            String::new()
                        }
                    ),
                });
            }
        }
    }
    if !conflicts.is_empty() {
        let n = conflicts.len();
        let list: Vec<String> =
            conflicts.iter().map(|c| format!("- {}: {}", c.message, c.field)).collect();
        return Err(ApiError::Conflict {
            target: crate::errors::Target {
                group: res.group.into(),
                kind: res.plural.into(),
                name: name.into(),
            },
            message: format!(
                "Apply failed with {n} conflict{}: {}",
                if n == 1 { "" } else { "s" },
                list.join("\n")
            ),
            causes: conflicts,
        });
    }
    let mut merged =
        crate::patch::strategic_merge_patch(res, live, applied).map_err(ApiError::Unprocessable)?;
    // Fields this manager applied before but not now, owned by nobody else, go.
    let previous: FieldSet = entries
        .iter()
        .filter(|e| e.manager == manager && e.operation == "Apply")
        .flat_map(|e| e.fields.iter().cloned())
        .collect();
    let others: FieldSet = entries
        .iter()
        .filter(|e| e.manager != manager)
        .flat_map(|e| e.fields.iter().cloned())
        .collect();
    let mut dropped: Vec<&Path> =
        previous.iter().filter(|p| !applied_set.contains(*p) && !others.contains(*p)).collect();
    dropped.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in dropped {
        remove_at(&mut merged, p);
    }
    // Same-valued fields stay co-owned with their other managers; forced ones were taken
    // from them above.
    entries.retain(|e| !(e.manager == manager && e.operation == "Apply"));
    entries.push(Entry {
        manager: manager.to_string(),
        operation: "Apply".into(),
        api_version: res.api_version(),
        time: meta::now_rfc3339(),
        subresource: String::new(),
        fields: applied_set,
    });
    write_entries(&mut merged, &entries);
    Ok(merged)
}

/// `.spec.replicas` or `.spec.containers[name="a"].image`, as conflict causes name fields.
fn display_path(p: &[String]) -> String {
    let mut out = String::new();
    for tok in p {
        if let Some(f) = tok.strip_prefix("f:") {
            out.push('.');
            out.push_str(f);
        } else if let Some(k) = tok.strip_prefix("k:") {
            let inner = serde_json::from_str::<Map<String, Value>>(k)
                .map(|m| m.iter().map(|(a, b)| format!("{a}={b}")).collect::<Vec<_>>().join(","))
                .unwrap_or_default();
            out.push_str(&format!("[{inner}]"));
        } else if let Some(v) = tok.strip_prefix("v:") {
            out.push_str(&format!("[{v}]"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::lookup;

    fn deploy(replicas: i64, image: &str, extra_label: bool) -> Value {
        let mut labels = json!({"app": "w"});
        if extra_label {
            labels["extra"] = json!("yes");
        }
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w", "labels": labels},
               "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "w"}},
                        "template": {"metadata": {"labels": {"app": "w"}}, "spec": {"containers": [{"name": "c", "image": image}]}}}})
    }

    #[test]
    fn fields_use_kubernetes_tokens() {
        let res = lookup("apps", "v1", "deployments").expect("res");
        let set = fields_of(res, &deploy(1, "nginx", false));
        let v1 = to_fields_v1(&set);
        assert!(v1.pointer("/f:spec/f:replicas").is_some());
        assert!(v1["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"c\"}"]
            ["f:image"]
            .is_object());
        assert!(v1["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"c\"}"]["."]
            .is_object());
        assert!(v1.pointer("/f:metadata/f:name").is_none(), "identity is not owned");
        assert_eq!(from_fields_v1(&v1), set);
    }

    #[test]
    fn conflicts_force_and_removal() {
        let res = lookup("apps", "v1", "deployments").expect("res");
        let live = apply(res, &json!({}), &deploy(1, "nginx", true), "a", false, "w")
            .expect("first apply");
        // Another manager setting the same field to another value conflicts, naming both.
        let err =
            apply(res, &live, &deploy(3, "nginx", true), "b", false, "w").expect_err("conflict");
        match &err {
            ApiError::Conflict { causes, .. } => {
                assert!(
                    causes
                        .iter()
                        .any(|c| c.field == ".spec.replicas" && c.message.contains("\"a\"")),
                    "{causes:?}"
                );
                assert!(causes.iter().all(|c| c.reason == "FieldManagerConflict"));
            }
            other => panic!("{other:?}"),
        }
        // The same value is shared ownership, not a conflict.
        let shared =
            apply(res, &live, &deploy(1, "nginx", true), "b", false, "w").expect("same values");
        assert_eq!(read_entries(&shared).len(), 2);
        // Force takes it over.
        let forced = apply(res, &live, &deploy(3, "nginx", false), "b", true, "w").expect("forced");
        assert_eq!(forced["spec"]["replicas"], 3);
        // a stops applying the extra label: it goes (nobody else owns it)...
        let dropped =
            apply(res, &forced, &deploy(1, "nginx", false), "a", true, "w").expect("apply");
        assert!(
            dropped["metadata"]["labels"].get("extra").is_none(),
            "{}",
            dropped["metadata"]["labels"]
        );
        assert_eq!(dropped["metadata"]["labels"]["app"], "w");
        // ...but a field another manager also applies stays.
        let both =
            apply(res, &live, &deploy(1, "nginx", true), "b", false, "w").expect("b co-owns");
        let kept = apply(res, &both, &deploy(1, "nginx", false), "a", false, "w").expect("apply");
        assert_eq!(kept["metadata"]["labels"]["extra"], "yes");
    }

    #[test]
    fn updates_take_ownership_of_what_they_change() {
        let res = lookup("apps", "v1", "deployments").expect("res");
        let live =
            apply(res, &json!({}), &deploy(1, "nginx", false), "helm", false, "w").expect("apply");
        let mut scaled = live.clone();
        scaled["spec"]["replicas"] = json!(5);
        record_update(res, Some(&live), &mut scaled, "kubectl-scale", "");
        let err = apply(res, &scaled, &deploy(2, "nginx", false), "helm", false, "w")
            .expect_err("conflict");
        assert!(err.to_string().contains("kubectl-scale"), "{err}");
    }
}
