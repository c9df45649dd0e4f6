//! Resource requirements, quantities and security contexts of containers.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{ResourceRequirements, SecurityContext};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::common::invalid_json;
use super::field::{
    duplicate, forbidden, invalid, invalid_num, not_supported, required, required_msg, Errs, Path,
};
use super::quantity::{self, QUANTITY_FORMAT_MSG};
use crate::meta::qualified_name_problem;

fn is_native(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

fn is_hugepages(name: &str) -> bool {
    name.starts_with("hugepages-")
}

/// `IsExtendedResourceName`.
fn is_extended(name: &str) -> bool {
    !is_native(name)
        && !name.starts_with("requests.")
        && qualified_name_problem(&format!("requests.{name}")).is_none()
}

const STANDARD_RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "storage",
    "requests.storage",
    "services.nodeports",
    "services.loadbalancers",
];

/// `validateResourceName` then `validateContainerResourceName`.
fn container_resource_name(name: &str, path: &Path, errs: &mut Errs) {
    if let Some(p) = qualified_name_problem(name) {
        errs.push(invalid(path, name, p));
        return;
    }
    if !name.contains('/') {
        let standard = STANDARD_RESOURCES.contains(&name)
            || is_hugepages(name)
            || name.starts_with("requests.hugepages-")
            || name.starts_with("limits.hugepages-");
        if !standard {
            errs.push(invalid(path, name, "must be a standard resource type or fully qualified"));
        }
        if !matches!(name, "cpu" | "memory" | "ephemeral-storage") && !is_hugepages(name) {
            errs.push(invalid(path, name, "must be a standard resource for containers"));
        }
    } else if !is_native(name) && !is_extended(name) {
        errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
    }
}

/// `ValidateResourceQuantityValue`: valid, non-negative, whole for integer resources.
pub fn quantity_value(
    name: &str,
    q: &Quantity,
    path: &Path,
    errs: &mut Errs,
) -> Option<quantity::Nanos> {
    let Some(v) = quantity::parse_q(q) else {
        errs.push(invalid(path, &q.0, QUANTITY_FORMAT_MSG));
        return None;
    };
    if v.is_negative() {
        errs.push(invalid(path, &q.0, "must be greater than or equal to 0"));
    }
    if is_extended(name) && !v.is_integer() {
        errs.push(invalid(path, &q.0, "must be an integer"));
    }
    Some(v)
}

/// `ValidateContainerResourceRequirements`.
pub fn resources(r: Option<&ResourceRequirements>, path: &Path, errs: &mut Errs) {
    let Some(r) = r else { return };
    let lim_path = path.child("limits");
    let req_path = path.child("requests");
    let (mut lim_cpu_mem, mut req_cpu_mem, mut huge) = (false, false, false);
    let empty = BTreeMap::new();
    let limits = r.limits.as_ref().unwrap_or(&empty);
    for (name, q) in limits {
        let fp = lim_path.key(name);
        container_resource_name(name, &fp, errs);
        quantity_value(name, q, &fp, errs);
        huge |= is_hugepages(name);
        lim_cpu_mem |= name == "cpu" || name == "memory";
    }
    for (name, q) in r.requests.iter().flatten() {
        let fp = req_path.key(name);
        container_resource_name(name, &fp, errs);
        let req = quantity_value(name, q, &fp, errs);
        let overcommit = is_native(name) && !is_hugepages(name);
        match limits.get(name) {
            Some(lq) => {
                if let (Some(req), Some(lim)) = (req, quantity::parse_q(lq)) {
                    if req != lim && !overcommit {
                        errs.push(invalid(
                            &req_path,
                            &q.0,
                            &format!("must be equal to {name} limit of {}", lq.0),
                        ));
                    } else if req > lim {
                        errs.push(invalid(
                            &req_path,
                            &q.0,
                            &format!("must be less than or equal to {name} limit of {}", lq.0),
                        ));
                    }
                }
            }
            None if !overcommit => {
                errs.push(required_msg(
                    &lim_path,
                    "Limit must be set for non overcommitable resources",
                ));
            }
            None => {}
        }
        huge |= is_hugepages(name);
        req_cpu_mem |= name == "cpu" || name == "memory";
    }
    if huge && !lim_cpu_mem && !req_cpu_mem {
        errs.push(forbidden(path, "HugePages require cpu or memory"));
    }
    let mut claim_names = BTreeSet::new();
    for (i, c) in r.claims.iter().flatten().enumerate() {
        if c.name.is_empty() {
            errs.push(required(&path.child("claims").index(i)));
        } else if !claim_names.insert(c.name.as_str()) {
            errs.push(duplicate(&path.child("claims").index(i), &c.name));
        }
    }
}

const MAX_ID: i64 = 2_147_483_647;

/// `validation.IsValidUserID` / `IsValidGroupID`.
pub fn id_range(value: i64, path: &Path, errs: &mut Errs) {
    if !(0..=MAX_ID).contains(&value) {
        errs.push(invalid_num(path, value, "must be between 0 and 2147483647, inclusive"));
    }
}

/// `validateSeccompProfileField` / `ValidateAppArmorProfileField` (same shape).
pub fn profile(
    kind: &str,
    type_: &str,
    localhost: Option<&str>,
    supported: &[&str],
    path: &Path,
    errs: &mut Errs,
) {
    match type_ {
        "Localhost" => match localhost {
            None | Some("") => errs.push(required_msg(
                &path.child("localhostProfile"),
                &format!("must be set when {kind} type is Localhost"),
            )),
            Some(p) if p.trim() != p => errs.push(invalid(
                &path.child("localhostProfile"),
                p,
                "must not be padded with whitespace",
            )),
            Some(_) => {}
        },
        "" => errs.push(required_msg(
            &path.child("type"),
            &format!(
                "type is required when {} is set",
                if kind == "seccomp" { "seccompProfile" } else { "appArmorProfile" }
            ),
        )),
        t if supported.contains(&t) => {
            if let Some(p) = localhost {
                errs.push(invalid(
                    &path.child("localhostProfile"),
                    p,
                    &format!("can only be set when {kind} type is Localhost"),
                ));
            }
        }
        other => errs.push(not_supported(&path.child("type"), other, supported)),
    }
}

pub const PROFILE_TYPES: &[&str] = &["Localhost", "RuntimeDefault", "Unconfined"];

pub fn security_context(sc: Option<&SecurityContext>, path: &Path, errs: &mut Errs) {
    let Some(sc) = sc else { return };
    if let Some(u) = sc.run_as_user {
        id_range(u, &path.child("runAsUser"), errs);
    }
    if let Some(g) = sc.run_as_group {
        id_range(g, &path.child("runAsGroup"), errs);
    }
    if let Some(pm) = sc.proc_mount.as_deref() {
        if pm != "Default" && pm != "Unmasked" {
            errs.push(not_supported(&path.child("procMount"), pm, &["Default", "Unmasked"]));
        }
    }
    if let Some(sp) = &sc.seccomp_profile {
        profile(
            "seccomp",
            &sp.type_,
            sp.localhost_profile.as_deref(),
            PROFILE_TYPES,
            &path.child("seccompProfile"),
            errs,
        );
    }
    if let Some(ap) = &sc.app_armor_profile {
        profile(
            "AppArmor",
            &ap.type_,
            ap.localhost_profile.as_deref(),
            PROFILE_TYPES,
            &path.child("appArmorProfile"),
            errs,
        );
    }
    if sc.allow_privilege_escalation == Some(false) {
        if sc.privileged == Some(true) {
            errs.push(invalid_json(
                path,
                sc,
                "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
            ));
        }
        let sys_admin = sc
            .capabilities
            .as_ref()
            .and_then(|c| c.add.as_ref())
            .is_some_and(|add| add.iter().any(|c| c == "CAP_SYS_ADMIN"));
        if sys_admin {
            errs.push(invalid_json(
                path,
                sc,
                "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
            ));
        }
    }
}
