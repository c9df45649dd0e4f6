//! Field paths and the error constructors of `k8s.io/apimachinery/pkg/util/validation/field`,
//! rendering values the way kube-apiserver does (strings quoted, numbers bare, structs in Go
//! syntax).

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::errors::FieldError;

/// A field path as kube-apiserver prints it: `spec.containers[0].ports[1].name`,
/// `data[my.key]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path(String);

impl Path {
    pub fn new(root: &str) -> Self {
        Path(root.to_string())
    }
    pub fn child(&self, name: &str) -> Self {
        if self.0.is_empty() {
            Path(name.to_string())
        } else {
            Path(format!("{}.{name}", self.0))
        }
    }
    pub fn index(&self, i: usize) -> Self {
        Path(format!("{}[{i}]", self.0))
    }
    pub fn key(&self, k: &str) -> Self {
        Path(format!("{}[{k}]", self.0))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The list every validator appends to.
pub type Errs = Vec<FieldError>;

fn err(reason: &'static str, path: &Path, message: String) -> FieldError {
    FieldError { reason, field: path.0.clone(), message }
}

/// `Required value`.
pub fn required(path: &Path) -> FieldError {
    FieldError::required(path.as_str())
}

/// `Required value: <detail>`.
pub fn required_msg(path: &Path, detail: &str) -> FieldError {
    err("FieldValueRequired", path, format!("Required value: {detail}"))
}

/// `Invalid value: "<value>": <detail>` for a string value.
pub fn invalid(path: &Path, value: &str, detail: &str) -> FieldError {
    invalid_raw(path, &go_quote(value), detail)
}

/// `Invalid value: <n>: <detail>` for a number.
pub fn invalid_num(path: &Path, value: i64, detail: &str) -> FieldError {
    invalid_raw(path, &value.to_string(), detail)
}

/// `Invalid value: <raw>: <detail>` with the value already rendered (Go `%#v`).
pub fn invalid_raw(path: &Path, raw: &str, detail: &str) -> FieldError {
    let message = if detail.is_empty() {
        format!("Invalid value: {raw}")
    } else {
        format!("Invalid value: {raw}: {detail}")
    };
    err("FieldValueInvalid", path, message)
}

/// `Unsupported value: "<value>": supported values: "a", "b"`.
pub fn not_supported(path: &Path, value: &str, supported: &[&str]) -> FieldError {
    FieldError::not_supported(path.as_str(), value, supported)
}

/// `Unsupported value: <raw>: supported values: ...` with the value already rendered.
pub fn not_supported_raw(path: &Path, raw: &str, supported: &[&str]) -> FieldError {
    let list: Vec<String> = supported.iter().map(|s| go_quote(s)).collect();
    err(
        "FieldValueNotSupported",
        path,
        format!("Unsupported value: {raw}: supported values: {}", list.join(", ")),
    )
}

/// `Forbidden: <detail>`.
pub fn forbidden(path: &Path, detail: &str) -> FieldError {
    FieldError::forbidden(path.as_str(), detail)
}

/// `Duplicate value: "<value>"`.
pub fn duplicate(path: &Path, value: &str) -> FieldError {
    FieldError::duplicate(path.as_str(), value)
}

/// `Duplicate value: <raw>` with the value already rendered.
pub fn duplicate_raw(path: &Path, raw: &str) -> FieldError {
    err("FieldValueDuplicate", path, format!("Duplicate value: {raw}"))
}

/// `Not found: "<value>"`.
pub fn not_found(path: &Path, value: &str) -> FieldError {
    err("FieldValueNotFound", path, format!("Not found: {}", go_quote(value)))
}

/// `Too long: may not be more than <max> bytes`.
pub fn too_long(path: &Path, max: usize) -> FieldError {
    let unit = if max == 1 { "byte" } else { "bytes" };
    err("FieldValueTooLong", path, format!("Too long: may not be more than {max} {unit}"))
}

/// `Too many: <n>: must have at most <max> items`.
pub fn too_many(path: &Path, actual: usize, max: usize) -> FieldError {
    err("FieldValueTooMany", path, format!("Too many: {actual}: must have at most {max} items"))
}

/// `Invalid value: <raw>: field is immutable`.
pub fn immutable(path: &Path, raw: &str) -> FieldError {
    invalid_raw(path, raw, "field is immutable")
}

/// `apimachineryvalidation.ValidateNonnegativeField`.
pub fn nonnegative(path: &Path, value: i64, errs: &mut Errs) {
    if value < 0 {
        errs.push(invalid_num(path, value, "must be greater than or equal to 0"));
    }
}

/// Go's `%q` for the strings we print (escapes quotes, backslashes and control characters).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `%#v` of a `map[string]string`.
pub fn go_map(map: Option<&BTreeMap<String, String>>) -> String {
    match map {
        None => "map[string]string(nil)".to_string(),
        Some(m) => {
            let items: Vec<String> =
                m.iter().map(|(k, v)| format!("{}:{}", go_quote(k), go_quote(v))).collect();
            format!("map[string]string{{{}}}", items.join(", "))
        }
    }
}

/// Go's `%#v` of a `[]string`.
pub fn go_strings(v: Option<&Vec<String>>) -> String {
    match v {
        None => "[]string(nil)".to_string(),
        Some(v) => {
            let items: Vec<String> = v.iter().map(|s| go_quote(s)).collect();
            format!("[]string{{{}}}", items.join(", "))
        }
    }
}

/// Go's `%#v` of a `metav1.LabelSelector`, as in `spec.selector: Invalid value:
/// v1.LabelSelector{...}: field is immutable`.
pub fn go_selector(sel: Option<&LabelSelector>) -> String {
    let Some(sel) = sel else { return "null".to_string() };
    let exprs = match &sel.match_expressions {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|r| {
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                        go_quote(&r.key),
                        go_quote(&r.operator),
                        go_strings(r.values.as_ref())
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{exprs}}}",
        go_map(sel.match_labels.as_ref())
    )
}

/// Go's `%#v` of an `intstr.IntOrString`.
pub fn go_int_or_string(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => format!("intstr.IntOrString{{Type:0, IntVal:{i}, StrVal:\"\"}}"),
        IntOrString::String(s) => {
            format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}", go_quote(s))
        }
    }
}

/// A compact JSON rendering for values too large to mimic Go's `%#v` faithfully.
pub fn json_value<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".to_string())
}
