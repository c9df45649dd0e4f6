//! Format checks shared by many kinds (`k8s.io/apimachinery/pkg/util/validation` and the
//! label-selector helpers of `metav1/validation`).

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::field::{
    go_quote, invalid, invalid_num, invalid_raw, nonnegative, not_supported, required,
    required_msg, Errs, Path,
};
use crate::meta::{
    is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, label_value_problem,
    qualified_name_problem,
};

pub const PORT_RANGE_MSG: &str = "must be between 1 and 65535, inclusive";

/// Adds `field: Invalid value` for every problem a `[]string`-returning Go checker reports.
pub fn push_problems(errs: &mut Errs, path: &Path, value: &str, problems: Vec<&'static str>) {
    for p in problems {
        errs.push(invalid(path, value, p));
    }
}

pub fn dns_label(errs: &mut Errs, path: &Path, value: &str) {
    if let Some(p) = is_dns1123_label(value) {
        errs.push(invalid(path, value, p));
    }
}

pub fn dns_subdomain(errs: &mut Errs, path: &Path, value: &str) {
    if let Some(p) = is_dns1123_subdomain(value) {
        errs.push(invalid(path, value, p));
    }
}

pub fn dns1035_label(errs: &mut Errs, path: &Path, value: &str) {
    if let Some(p) = is_dns1035_label(value) {
        errs.push(invalid(path, value, p));
    }
}

pub fn qualified_name(errs: &mut Errs, path: &Path, value: &str) {
    if let Some(p) = qualified_name_problem(value) {
        errs.push(invalid(path, value, p));
    }
}

/// `validation.IsValidPortNum`.
pub fn port_num(errs: &mut Errs, path: &Path, port: i64) {
    if !(1..=65535).contains(&port) {
        errs.push(invalid_num(path, port, PORT_RANGE_MSG));
    }
}

/// `validation.IsValidPortName` (IANA_SVC_NAME): every problem, as upstream.
pub fn port_name_problems(port: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if port.len() > 15 {
        out.push("must be no more than 15 characters");
    }
    if port.is_empty()
        || !port.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        out.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    }
    if !port.bytes().any(|b| b.is_ascii_lowercase()) {
        out.push("must contain at least one letter (a-z)");
    }
    if port.contains("--") {
        out.push("must not contain consecutive hyphens");
    }
    if port.starts_with('-') || port.ends_with('-') {
        out.push("must not begin or end with a hyphen");
    }
    out
}

pub fn port_name(errs: &mut Errs, path: &Path, port: &str) {
    push_problems(errs, path, port, port_name_problems(port));
}

/// `ValidatePortNumOrName`.
pub fn port_num_or_name(errs: &mut Errs, path: &Path, port: &IntOrString) {
    match port {
        IntOrString::Int(i) => port_num(errs, path, i64::from(*i)),
        IntOrString::String(s) => port_name(errs, path, s),
    }
}

/// `validation.IsConfigMapKey`.
pub fn config_key_problems(key: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if key.len() > 253 {
        out.push("must be no more than 253 characters");
    }
    if key.is_empty()
        || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        out.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
    }
    if key == "." {
        out.push("must not be '.'");
    } else if key == ".." {
        out.push("must not be '..'");
    } else if key.starts_with("..") {
        out.push("must not start with '..'");
    }
    out
}

/// `validation.IsRelaxedEnvVarName` (RelaxedEnvironmentVariableValidation is GA in 1.34).
pub fn env_var_name_problems(name: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if name.is_empty() {
        out.push("environment variable name must be non-empty");
    }
    if name.chars().any(|c| !(' '..='~').contains(&c) || c == '=') {
        out.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
    }
    out
}

/// `validation.IsValidPercent`.
pub fn is_valid_percent(s: &str) -> bool {
    s.len() > 1 && s.ends_with('%') && s[..s.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

pub const PERCENT_MSG: &str = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/// `ValidatePositiveIntOrPercent`.
pub fn positive_int_or_percent(errs: &mut Errs, path: &Path, v: &IntOrString) {
    match v {
        IntOrString::String(s) => {
            if !is_valid_percent(s) {
                errs.push(invalid(path, s, PERCENT_MSG));
            }
        }
        IntOrString::Int(i) => nonnegative(path, i64::from(*i), errs),
    }
}

/// The numeric value of an int-or-percent (`getIntOrPercentValue`).
pub fn int_or_percent_value(v: &IntOrString) -> i64 {
    match v {
        IntOrString::Int(i) => i64::from(*i),
        IntOrString::String(s) if is_valid_percent(s) => s[..s.len() - 1].parse().unwrap_or(0),
        IntOrString::String(_) => 0,
    }
}

/// `IsNotMoreThan100Percent`.
pub fn not_more_than_100_percent(errs: &mut Errs, path: &Path, v: &IntOrString) {
    if let IntOrString::String(s) = v {
        if is_valid_percent(s) && int_or_percent_value(v) > 100 {
            errs.push(invalid(path, s, "must not be greater than 100%"));
        }
    }
}

/// Renders an int-or-string value as kube-apiserver does in a message.
pub fn int_or_string_value(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => go_quote(s),
    }
}

pub fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

pub const IP_MSG: &str = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
pub const CIDR_MSG: &str = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

/// `validation.IsValidIP`.
pub fn ip(errs: &mut Errs, path: &Path, value: &str) {
    if parse_ip(value).is_none() {
        errs.push(invalid(path, value, IP_MSG));
    }
}

/// Parses `a.b.c.d/n` or `v6/n`.
pub fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = s.split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

/// `validation.IsValidCIDR`.
pub fn cidr(errs: &mut Errs, path: &Path, value: &str) {
    if parse_cidr(value).is_none() {
        errs.push(invalid(path, value, CIDR_MSG));
    }
}

/// `ValidateNonSpecialIP`: endpoint addresses may not be unspecified, loopback or link-local.
pub fn non_special_ip(errs: &mut Errs, path: &Path, value: &str) {
    let Some(addr) = parse_ip(value) else {
        errs.push(invalid(path, value, "must be a valid IP address"));
        return;
    };
    if addr.is_unspecified() {
        errs.push(invalid(path, value, &format!("may not be unspecified ({value})")));
    }
    if addr.is_loopback() {
        errs.push(invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"));
    }
    let link_local = match addr {
        IpAddr::V4(a) => a.is_link_local(),
        IpAddr::V6(a) => (a.segments()[0] & 0xffc0) == 0xfe80,
    };
    if link_local {
        errs.push(invalid(
            path,
            value,
            "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
        ));
    }
    let ll_multicast = match addr {
        IpAddr::V4(a) => a.octets()[0] == 224 && a.octets()[1] == 0 && a.octets()[2] == 0,
        IpAddr::V6(a) => (a.segments()[0] & 0xff0f) == 0xff02,
    };
    if ll_multicast {
        errs.push(invalid(
            path,
            value,
            "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
        ));
    }
}

/// `metav1validation.ValidateLabels`: keys are qualified names, values label values; both
/// reported on the map's path.
pub fn labels(errs: &mut Errs, path: &Path, labels: Option<&BTreeMap<String, String>>) {
    for (k, v) in labels.into_iter().flatten() {
        if let Some(p) = qualified_name_problem(k) {
            errs.push(invalid(path, k, p));
        }
        if let Some(p) = label_value_problem(v) {
            errs.push(invalid(path, v, p));
        }
    }
}

/// Total size limit of annotations (`TotalAnnotationSizeLimitB`).
const ANNOTATIONS_MAX: usize = 256 * 1024;

/// `ValidateAnnotations` for embedded metadata (pod templates).
pub fn annotations(errs: &mut Errs, path: &Path, ann: Option<&BTreeMap<String, String>>) {
    let mut total = 0;
    for (k, v) in ann.into_iter().flatten() {
        if let Some(p) = qualified_name_problem(&k.to_lowercase()) {
            errs.push(invalid(path, k, p));
        }
        total += k.len() + v.len();
    }
    if total > ANNOTATIONS_MAX {
        errs.push(super::field::too_long(path, ANNOTATIONS_MAX));
    }
}

/// `metav1validation.ValidateLabelSelector`.
pub fn label_selector(errs: &mut Errs, path: &Path, sel: &LabelSelector) {
    for (i, r) in sel.match_expressions.iter().flatten().enumerate() {
        let rp = path.child("matchExpressions").index(i);
        let values = r.values.as_deref().unwrap_or_default();
        match r.operator.as_str() {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(required_msg(
                        &rp.child("values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(super::field::forbidden(
                        &rp.child("values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            other => {
                errs.push(invalid(&rp.child("operator"), other, "not a valid selector operator"))
            }
        }
        qualified_name(errs, &rp.child("key"), &r.key);
        for v in values {
            if let Some(p) = label_value_problem(v) {
                errs.push(invalid(&rp.child("values"), v, p));
            }
        }
    }
    labels(errs, &path.child("matchLabels"), sel.match_labels.as_ref());
}

/// Whether a selector has no requirements (matches everything).
pub fn selector_is_empty(sel: &LabelSelector) -> bool {
    sel.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && sel.match_expressions.as_ref().is_none_or(Vec::is_empty)
}

/// Whether `sel` selects a set of `labels` (`LabelSelectorAsSelector(sel).Matches(labels)`).
pub fn selector_matches(sel: &LabelSelector, labels: Option<&BTreeMap<String, String>>) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k));
    for (k, v) in sel.match_labels.iter().flatten() {
        if get(k) != Some(v) {
            return false;
        }
    }
    for r in sel.match_expressions.iter().flatten() {
        let values = r.values.as_deref().unwrap_or_default();
        let ok = match r.operator.as_str() {
            "In" => get(&r.key).is_some_and(|v| values.contains(v)),
            "NotIn" => get(&r.key).is_none_or(|v| !values.contains(v)),
            "Exists" => get(&r.key).is_some(),
            "DoesNotExist" => get(&r.key).is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// `validateLocalDescendingPath`: relative, no `..` element.
pub fn local_descending_path(errs: &mut Errs, path: &Path, target: &str) {
    if target.starts_with('/') {
        errs.push(invalid(path, target, "must be a relative path"));
    }
    if target.split('/').any(|p| p == "..") {
        errs.push(invalid(path, target, "must not contain '..'"));
    }
}

/// `validation.IsDomainPrefixedPath`.
pub fn domain_prefixed_path(errs: &mut Errs, path: &Path, value: &str) {
    if value.is_empty() {
        errs.push(required(path));
        return;
    }
    let Some((host, rest)) = value.split_once('/') else {
        errs.push(invalid(path, value, "must be a domain-prefixed path (such as \"acme.io/foo\")"));
        return;
    };
    if let Some(p) = is_dns1123_subdomain(host) {
        errs.push(invalid(path, host, p));
    }
    let ok = rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&b));
    if !ok {
        errs.push(invalid(
            path,
            rest,
            "Invalid path: must match the regex [A-Za-z0-9/\\-._~%!$&'()*+,;=:]+",
        ));
    }
}

/// `path.IsValidPathSegmentName`.
pub fn path_segment_name(errs: &mut Errs, path: &Path, name: &str) {
    if name == "." || name == ".." {
        errs.push(invalid(path, name, &format!("may not be '{name}'")));
        return;
    }
    for bad in ["/", "%"] {
        if name.contains(bad) {
            errs.push(invalid(path, name, &format!("may not contain '{bad}'")));
        }
    }
}

/// `validateFinalizerName` (standard names or fully qualified).
pub fn finalizer_name(errs: &mut Errs, path: &Path, name: &str) {
    qualified_name(errs, path, name);
    if !name.contains('/')
        && name != "kubernetes"
        && name != "orphan"
        && name != "foregroundDeletion"
    {
        errs.push(invalid(
            path,
            name,
            "name is neither a standard finalizer name nor is it fully qualified",
        ));
    }
}

/// A value must be one of `supported`; empty means required.
pub fn one_of(errs: &mut Errs, path: &Path, value: Option<&str>, supported: &[&str]) {
    match value {
        None | Some("") => errs.push(required(path)),
        Some(v) if supported.contains(&v) => {}
        Some(v) => errs.push(not_supported(path, v, supported)),
    }
}

/// Invalid value for a struct rendered as JSON.
pub fn invalid_json<T: serde::Serialize>(
    path: &Path,
    v: &T,
    detail: &str,
) -> crate::errors::FieldError {
    invalid_raw(path, &super::field::json_value(v), detail)
}
