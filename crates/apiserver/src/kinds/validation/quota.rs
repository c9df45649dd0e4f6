//! LimitRange and ResourceQuota validation.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{LimitRange, ResourceQuota};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::common::qualified_name;
use super::core::resource_quantity;
use super::field::{
    duplicate, forbidden, immutable, invalid, invalid_raw, json_value, required_msg, Errs, Path,
};
use super::quantity;
use super::resources::quantity_value;

const LIMIT_TYPES: &[&str] = &["Container", "PersistentVolumeClaim", "Pod"];

pub fn limit_range(lr: &LimitRange) -> Errs {
    let mut errs = Errs::new();
    let mut types = BTreeSet::new();
    let empty = BTreeMap::new();
    for (i, l) in
        lr.spec.as_ref().map(|s| s.limits.as_slice()).unwrap_or_default().iter().enumerate()
    {
        let lp = Path::new("spec").child("limits").index(i);
        qualified_name(&mut errs, &lp.child("type"), &l.type_);
        if !l.type_.contains('/') && !LIMIT_TYPES.contains(&l.type_.as_str()) {
            errs.push(invalid(
                &lp.child("type"),
                &l.type_,
                "must be a standard limit type or fully qualified",
            ));
        }
        if !types.insert(l.type_.as_str()) {
            errs.push(duplicate(&lp.child("type"), &l.type_));
        }
        let max = l.max.as_ref().unwrap_or(&empty);
        let min = l.min.as_ref().unwrap_or(&empty);
        let default = l.default.as_ref().unwrap_or(&empty);
        let default_request = l.default_request.as_ref().unwrap_or(&empty);
        let ratio = l.max_limit_request_ratio.as_ref().unwrap_or(&empty);
        if l.type_ == "Pod" {
            if !default.is_empty() {
                errs.push(forbidden(
                    &lp.child("default"),
                    "may not be specified when `type` is 'Pod'",
                ));
            }
            if !default_request.is_empty() {
                errs.push(forbidden(
                    &lp.child("defaultRequest"),
                    "may not be specified when `type` is 'Pod'",
                ));
            }
        }
        if l.type_ == "PersistentVolumeClaim"
            && !min.contains_key("storage")
            && !max.contains_key("storage")
        {
            errs.push(required_msg(
                &lp.child("limits"),
                "either minimum or maximum storage value is required, but neither was provided",
            ));
        }
        let mut parsed: BTreeMap<&str, [Option<quantity::Nanos>; 5]> = BTreeMap::new();
        for (slot, (name, map)) in [
            ("max", max),
            ("min", min),
            ("default", default),
            ("defaultRequest", default_request),
            ("maxLimitRequestRatio", ratio),
        ]
        .into_iter()
        .enumerate()
        {
            for (k, q) in map {
                let v = quantity_value(k, q, &lp.child(name).key(k), &mut errs);
                parsed.entry(k.as_str()).or_default()[slot] = v;
            }
        }
        for (k, [mx, mn, def, defreq, rat]) in parsed {
            let q =
                |m: &BTreeMap<String, Quantity>| m.get(k).map(|q| q.0.clone()).unwrap_or_default();
            if let (Some(a), Some(b)) = (mn, mx) {
                if a > b {
                    errs.push(invalid(
                        &lp.child("min").key(k),
                        &q(min),
                        &format!("min value {} is greater than max value {}", q(min), q(max)),
                    ));
                }
            }
            if let (Some(a), Some(b)) = (mn, defreq) {
                if a > b {
                    errs.push(invalid(
                        &lp.child("defaultRequest").key(k),
                        &q(default_request),
                        &format!(
                            "min value {} is greater than default request value {}",
                            q(min),
                            q(default_request)
                        ),
                    ));
                }
            }
            if let (Some(a), Some(b)) = (defreq, mx) {
                if a > b {
                    errs.push(invalid(
                        &lp.child("defaultRequest").key(k),
                        &q(default_request),
                        &format!(
                            "default request value {} is greater than max value {}",
                            q(default_request),
                            q(max)
                        ),
                    ));
                }
            }
            if let (Some(a), Some(b)) = (defreq, def) {
                if a > b {
                    errs.push(invalid(
                        &lp.child("defaultRequest").key(k),
                        &q(default_request),
                        &format!(
                            "default request value {} is greater than default limit value {}",
                            q(default_request),
                            q(default)
                        ),
                    ));
                }
            }
            if let (Some(a), Some(b)) = (mn, def) {
                if a > b {
                    errs.push(invalid(
                        &lp.child("default").key(k),
                        &q(min),
                        &format!(
                            "min value {} is greater than default value {}",
                            q(min),
                            q(default)
                        ),
                    ));
                }
            }
            if let (Some(a), Some(b)) = (def, mx) {
                if a > b {
                    errs.push(invalid(
                        &lp.child("default").key(k),
                        &q(max),
                        &format!(
                            "default value {} is greater than max value {}",
                            q(default),
                            q(max)
                        ),
                    ));
                }
            }
            if let Some(r) = rat {
                if r < quantity::Nanos::from_int(1) {
                    errs.push(invalid(
                        &lp.child("maxLimitRequestRatio").key(k),
                        &q(ratio),
                        &format!("ratio {} is less than 1", q(ratio)),
                    ));
                }
            }
        }
    }
    errs
}

const QUOTA_SCOPES: &[&str] = &[
    "BestEffort",
    "CrossNamespacePodAffinity",
    "NotBestEffort",
    "NotTerminating",
    "PriorityClass",
    "Terminating",
    "VolumeAttributesClass",
];

fn standard_quota_resource(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.storage",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
    ];
    NAMES.contains(&name)
        || name.starts_with("hugepages-")
        || name.starts_with("requests.hugepages-")
        || name.starts_with("count/")
}

fn quota_list(list: Option<&BTreeMap<String, Quantity>>, path: &Path, errs: &mut Errs) {
    for (k, q) in list.into_iter().flatten() {
        let rp = path.key(k);
        qualified_name(errs, &rp, k);
        if !k.contains('/') && !standard_quota_resource(k) {
            errs.push(invalid(&rp, k, "must be a standard resource for quota"));
        }
        resource_quantity(k, q, &rp, errs);
    }
}

pub fn resource_quota(rq: &ResourceQuota) -> Errs {
    let mut errs = Errs::new();
    let spec = rq.spec.clone().unwrap_or_default();
    let sp = Path::new("spec");
    quota_list(spec.hard.as_ref(), &sp.child("hard"), &mut errs);
    let scopes = spec.scopes.as_deref().unwrap_or_default();
    for s in scopes {
        if !QUOTA_SCOPES.contains(&s.as_str()) {
            errs.push(invalid_raw(&sp.child("scopes"), &json_value(&scopes), "unsupported scope"));
        }
    }
    let has = |s: &str| scopes.iter().any(|x| x == s);
    if (has("BestEffort") && has("NotBestEffort")) || (has("Terminating") && has("NotTerminating"))
    {
        errs.push(invalid_raw(&sp.child("scopes"), &json_value(&scopes), "conflicting scopes"));
    }
    if let Some(sel) = &spec.scope_selector {
        for req in sel.match_expressions.iter().flatten() {
            let mp = sp.child("scopeSelector").child("matchExpressions");
            if !QUOTA_SCOPES.contains(&req.scope_name.as_str()) {
                errs.push(invalid(&mp.child("scopeName"), &req.scope_name, "unsupported scope"));
            }
            let values = req.values.as_deref().unwrap_or_default();
            match req.operator.as_str() {
                "In" | "NotIn" if values.is_empty() => errs.push(required_msg(
                    &mp.child("values"),
                    "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
                )),
                "Exists" | "DoesNotExist" if !values.is_empty() => errs.push(invalid_raw(
                    &mp.child("values"),
                    &json_value(&values),
                    "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
                )),
                "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
                other => errs.push(invalid(&mp.child("operator"), other, "not a valid selector operator")),
            }
        }
    }
    if let Some(status) = &rq.status {
        quota_list(status.hard.as_ref(), &Path::new("status").child("hard"), &mut errs);
        quota_list(status.used.as_ref(), &Path::new("status").child("used"), &mut errs);
    }
    errs
}

pub fn resource_quota_update(new: &ResourceQuota, old: &ResourceQuota) -> Errs {
    let mut errs = resource_quota(new);
    let scopes = |rq: &ResourceQuota| -> BTreeSet<String> {
        rq.spec.as_ref().and_then(|s| s.scopes.clone()).unwrap_or_default().into_iter().collect()
    };
    if scopes(new) != scopes(old) {
        let raw = json_value(&new.spec.as_ref().and_then(|s| s.scopes.clone()));
        errs.push(immutable(&Path::new("spec").child("scopes"), &raw));
    }
    errs
}
