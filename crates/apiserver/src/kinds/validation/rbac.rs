//! rbac.authorization.k8s.io/v1 validation: Role, ClusterRole, RoleBinding, ClusterRoleBinding.

use k8s_openapi::api::rbac::v1::{AggregationRule, PolicyRule, RoleRef, Subject};

use super::common::{dns_subdomain, label_selector, path_segment_name};
use super::field::{invalid_raw, json_value, not_supported, required, required_msg, Errs, Path};

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn policy_rule(r: &PolicyRule, namespaced: bool, path: &Path, errs: &mut Errs) {
    if r.verbs.is_empty() {
        errs.push(required_msg(&path.child("verbs"), "verbs must contain at least one value"));
    }
    let urls = r.non_resource_urls.as_deref().unwrap_or_default();
    let nonempty = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !v.is_empty());
    if !urls.is_empty() {
        let raw = json_value(&urls);
        if namespaced {
            errs.push(invalid_raw(
                &path.child("nonResourceURLs"),
                &raw,
                "namespaced rules cannot apply to non-resource URLs",
            ));
        }
        if nonempty(&r.api_groups) || nonempty(&r.resources) || nonempty(&r.resource_names) {
            errs.push(invalid_raw(
                &path.child("nonResourceURLs"),
                &raw,
                "rules cannot apply to both regular resources and non-resource URLs",
            ));
        }
        return;
    }
    if !nonempty(&r.api_groups) {
        errs.push(required_msg(
            &path.child("apiGroups"),
            "resource rules must supply at least one api group",
        ));
    }
    if !nonempty(&r.resources) {
        errs.push(required_msg(
            &path.child("resources"),
            "resource rules must supply at least one resource",
        ));
    }
}

pub fn rules(rules: Option<&Vec<PolicyRule>>, namespaced: bool) -> Errs {
    let mut errs = Errs::new();
    for (i, r) in rules.into_iter().flatten().enumerate() {
        policy_rule(r, namespaced, &Path::new("rules").index(i), &mut errs);
    }
    errs
}

pub fn cluster_role(rs: Option<&Vec<PolicyRule>>, agg: Option<&AggregationRule>) -> Errs {
    let mut errs = rules(rs, false);
    if let Some(a) = agg {
        let sels = a.cluster_role_selectors.as_deref().unwrap_or_default();
        let ap = Path::new("aggregationRule").child("clusterRoleSelectors");
        if sels.is_empty() {
            errs.push(required_msg(
                &ap,
                "at least one clusterRoleSelector required if aggregationRule is non-nil",
            ));
        }
        for (i, s) in sels.iter().enumerate() {
            label_selector(&mut errs, &ap.index(i), s);
        }
    }
    errs
}

pub fn role_binding(role_ref: &RoleRef, subjects: Option<&Vec<Subject>>, namespaced: bool) -> Errs {
    let mut errs = Errs::new();
    let rp = Path::new("roleRef");
    if role_ref.api_group != RBAC_GROUP {
        errs.push(not_supported(&rp.child("apiGroup"), &role_ref.api_group, &[RBAC_GROUP]));
    }
    let kinds: &[&str] = if namespaced { &["Role", "ClusterRole"] } else { &["ClusterRole"] };
    if !kinds.contains(&role_ref.kind.as_str()) {
        errs.push(not_supported(&rp.child("kind"), &role_ref.kind, kinds));
    }
    if role_ref.name.is_empty() {
        errs.push(required(&rp.child("name")));
    } else {
        path_segment_name(&mut errs, &rp.child("name"), &role_ref.name);
    }
    for (i, s) in subjects.into_iter().flatten().enumerate() {
        let sp = Path::new("subjects").index(i);
        if s.name.is_empty() {
            errs.push(required(&sp.child("name")));
        }
        let group = s.api_group.as_deref().unwrap_or_default();
        match s.kind.as_str() {
            "ServiceAccount" => {
                if !s.name.is_empty() {
                    dns_subdomain(&mut errs, &sp.child("name"), &s.name);
                }
                if !group.is_empty() {
                    errs.push(not_supported(&sp.child("apiGroup"), group, &[""]));
                }
                if !namespaced && s.namespace.as_deref().is_none_or(str::is_empty) {
                    errs.push(required(&sp.child("namespace")));
                }
            }
            "User" | "Group" => {
                if group != RBAC_GROUP {
                    errs.push(not_supported(&sp.child("apiGroup"), group, &[RBAC_GROUP]));
                }
            }
            other => errs.push(not_supported(
                &sp.child("kind"),
                other,
                &["ServiceAccount", "User", "Group"],
            )),
        }
    }
    errs
}

pub fn role_ref_update(new: &RoleRef, old: &RoleRef) -> Errs {
    if new == old {
        return Errs::new();
    }
    vec![invalid_raw(&Path::new("roleRef"), &json_value(new), "cannot change roleRef")]
}
