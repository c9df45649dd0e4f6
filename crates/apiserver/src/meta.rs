//! Object metadata on the JSON form of objects: accessors, system fields, and the name rules
//! of `ObjectMeta` validation.

use serde_json::{json, Map, Value};

use crate::errors::FieldError;

pub fn metadata(obj: &Value) -> Option<&Map<String, Value>> {
    obj.get("metadata").and_then(Value::as_object)
}

/// The object's metadata, created if absent (and replaced if it is not an object).
pub fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = json!({});
    }
    let map = obj.as_object_mut().expect("just made an object");
    let m = map.entry("metadata").or_insert_with(|| json!({}));
    if !m.is_object() {
        *m = json!({});
    }
    m.as_object_mut().expect("just made an object")
}

pub fn str_field<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    metadata(obj).and_then(|m| m.get(field)).and_then(Value::as_str)
}

pub fn name(obj: &Value) -> Option<&str> {
    str_field(obj, "name").filter(|s| !s.is_empty())
}

pub fn namespace(obj: &Value) -> Option<&str> {
    str_field(obj, "namespace").filter(|s| !s.is_empty())
}

pub fn resource_version(obj: &Value) -> Option<&str> {
    str_field(obj, "resourceVersion").filter(|s| !s.is_empty())
}

pub fn uid(obj: &Value) -> Option<&str> {
    str_field(obj, "uid").filter(|s| !s.is_empty())
}

pub fn deletion_timestamp(obj: &Value) -> Option<&str> {
    str_field(obj, "deletionTimestamp")
}

pub fn finalizers(obj: &Value) -> Vec<String> {
    metadata(obj)
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|f| f.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

pub fn labels(obj: &Value) -> Option<&Map<String, Value>> {
    metadata(obj).and_then(|m| m.get("labels")).and_then(Value::as_object)
}

pub fn set(obj: &mut Value, field: &str, value: Value) {
    metadata_mut(obj).insert(field.to_string(), value);
}

pub fn remove(obj: &mut Value, field: &str) {
    metadata_mut(obj).remove(field);
}

/// RFC 3339 timestamp with second precision, as `metav1.Time` serializes.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A lowercase RFC 1123 subdomain (most object names): at most 253 characters of `[a-z0-9.-]`,
/// starting and ending alphanumeric.
pub fn is_dns1123_subdomain(s: &str) -> Option<&'static str> {
    if s.len() > 253 {
        return Some("must be no more than 253 characters");
    }
    for label in s.split('.') {
        if is_dns1123_label(label).is_some() {
            return Some(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            );
        }
    }
    None
}

/// A lowercase RFC 1123 label (namespace names, ...): at most 63 characters of `[a-z0-9-]`,
/// starting and ending alphanumeric.
pub fn is_dns1123_label(s: &str) -> Option<&'static str> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        None
    } else if s.len() > 63 {
        Some("must be no more than 63 characters")
    } else {
        Some("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
    }
}

/// An RFC 1035 label (Service names): like a 1123 label but starting with a letter.
pub fn is_dns1035_label(s: &str) -> Option<&'static str> {
    if is_dns1123_label(s).is_some() || !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
    }
    None
}

/// Which rule a kind's names follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    Subdomain,
    Label,
    Dns1035,
    /// Path segment only (RBAC objects): not empty, no `/` or `%`, not `.` or `..`.
    PathSegment,
}

pub fn name_rule(kind: &str) -> NameRule {
    match kind {
        "Namespace" => NameRule::Label,
        "Service" => NameRule::Dns1035,
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => NameRule::PathSegment,
        _ => NameRule::Subdomain,
    }
}

pub fn validate_name(kind: &str, name: &str, field: &str) -> Option<FieldError> {
    let problem = match name_rule(kind) {
        NameRule::Subdomain => is_dns1123_subdomain(name),
        NameRule::Label => is_dns1123_label(name),
        NameRule::Dns1035 => is_dns1035_label(name),
        NameRule::PathSegment => {
            if name == "." || name == ".." {
                Some("may not be '.' or '..'")
            } else if name.contains('/') || name.contains('%') {
                Some("may not contain '/' or '%'")
            } else {
                None
            }
        }
    };
    problem.map(|p| FieldError::invalid(field, name, p))
}

/// Validates the parts of `metadata` every kind shares. `namespaced`: whether the resource
/// lives in a namespace (then the namespace must be set by the caller already).
pub fn validate_object_meta(kind: &str, obj: &Value, namespaced: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match name(obj) {
        None => {
            if str_field(obj, "generateName").is_none_or(str::is_empty) {
                errs.push(FieldError::required("metadata.name"));
            }
        }
        Some(n) => errs.extend(validate_name(kind, n, "metadata.name")),
    }
    if namespaced {
        match namespace(obj) {
            None => errs.push(FieldError::required("metadata.namespace")),
            Some(ns) => {
                if let Some(p) = is_dns1123_label(ns) {
                    errs.push(FieldError::invalid("metadata.namespace", ns, p));
                }
            }
        }
    } else if let Some(ns) = namespace(obj) {
        errs.push(FieldError::invalid("metadata.namespace", ns, "not allowed on this type"));
    }
    if let Some(m) = metadata(obj) {
        for (field, rule_values) in [("labels", true), ("annotations", false)] {
            let Some(map) = m.get(field) else { continue };
            let Some(map) = map.as_object() else {
                errs.push(FieldError::invalid(
                    format!("metadata.{field}"),
                    map,
                    "must be a map of strings",
                ));
                continue;
            };
            for (k, v) in map {
                if let Some(p) = qualified_name_problem(k) {
                    errs.push(FieldError::invalid(format!("metadata.{field}"), k, p));
                }
                match v.as_str() {
                    None => errs.push(FieldError::invalid(
                        format!("metadata.{field}.{k}"),
                        v,
                        "must be a string",
                    )),
                    Some(val) if rule_values => {
                        if let Some(p) = label_value_problem(val) {
                            errs.push(FieldError::invalid("metadata.labels", val, p));
                        }
                    }
                    Some(_) => {}
                }
            }
        }
    }
    errs
}

/// Label and annotation keys: an optional DNS subdomain prefix and `/`, then a name of at most
/// 63 characters of `[A-Za-z0-9_.-]` starting and ending alphanumeric.
pub fn qualified_name_problem(key: &str) -> Option<&'static str> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        if p.is_empty() || is_dns1123_subdomain(p).is_some() {
            return Some("prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
        }
    }
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        None
    } else {
        Some("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
    }
}

pub fn label_value_problem(v: &str) -> Option<&'static str> {
    if v.is_empty() {
        return None;
    }
    let ok = v.len() <= 63
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && v.starts_with(|c: char| c.is_ascii_alphanumeric())
        && v.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        None
    } else {
        Some("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_dns1123_subdomain("web-1.example").is_none());
        assert!(is_dns1123_subdomain("Web").is_some());
        assert!(is_dns1123_label("kube-system").is_none());
        assert!(is_dns1123_label("a.b").is_some());
        assert!(is_dns1035_label("1abc").is_some());
        assert!(qualified_name_problem("app.kubernetes.io/name").is_none());
        assert!(qualified_name_problem("-bad").is_some());
        assert!(label_value_problem("v1.2_x").is_none());
        assert!(label_value_problem("bad value").is_some());
    }

    #[test]
    fn object_meta_reports_every_problem() {
        let obj = json!({"metadata": {"name": "Bad_Name", "labels": {"ok": "fine", "-x": "y", "k": "no spaces"}}});
        let errs = validate_object_meta("ConfigMap", &obj, true);
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["metadata.name", "metadata.namespace", "metadata.labels", "metadata.labels"]
        );
    }
}
