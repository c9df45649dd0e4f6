//! apps/v1 validation: Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision.

use k8s_openapi::api::apps::v1::{
    ControllerRevision, DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec, ReplicaSet,
    ReplicaSetSpec, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::common::{
    int_or_percent_value, int_or_string_value, label_selector, not_more_than_100_percent,
    positive_int_or_percent, selector_is_empty, selector_matches,
};
use super::field::{
    forbidden, go_map, go_selector, immutable, invalid, invalid_num, invalid_raw, json_value,
    nonnegative, not_supported, not_supported_raw, required, required_msg, Errs, Path,
};
use super::pod;

/// The selector checks shared by the controllers: required, well formed, not empty, matching
/// the template labels. Missing and empty selectors are indistinguishable after decoding; both
/// are reported as missing (which is what an omitted selector produces upstream).
fn selector_and_template(
    sel: &LabelSelector,
    template: &PodTemplateSpec,
    sp: &Path,
    errs: &mut Errs,
) {
    let tp = sp.child("template");
    if selector_is_empty(sel) {
        errs.push(required(&sp.child("selector")));
        errs.push(invalid_raw(
            &tp.child("metadata").child("labels"),
            &go_map(pod::template_labels(template)),
            "`selector` does not match template `labels`",
        ));
        return;
    }
    label_selector(errs, &sp.child("selector"), sel);
    if !selector_matches(sel, pod::template_labels(template)) {
        errs.push(invalid_raw(
            &tp.child("metadata").child("labels"),
            &go_map(pod::template_labels(template)),
            "`selector` does not match template `labels`",
        ));
    }
}

/// `ValidatePodTemplateSpecForReplicaSet` minus the selector: the pod template, restart policy
/// Always, no active deadline.
fn controller_template(
    kind: &str,
    t: &PodTemplateSpec,
    tp: &Path,
    extra_volumes: &[String],
    errs: &mut Errs,
) {
    pod::template(t, tp, extra_volumes, errs);
    let spec = t.spec.clone().unwrap_or_default();
    let rp = spec.restart_policy.as_deref().unwrap_or_default();
    if rp != "Always" {
        errs.push(not_supported(&tp.child("spec").child("restartPolicy"), rp, &["Always"]));
    }
    if spec.active_deadline_seconds.is_some() {
        errs.push(forbidden(
            &tp.child("spec").child("activeDeadlineSeconds"),
            &format!("activeDeadlineSeconds in {kind} is not Supported"),
        ));
    }
}

fn deployment_spec(spec: &DeploymentSpec, errs: &mut Errs) {
    let sp = Path::new("spec");
    nonnegative(&sp.child("replicas"), i64::from(spec.replicas.unwrap_or(0)), errs);
    selector_and_template(&spec.selector, &spec.template, &sp, errs);
    controller_template("Deployment", &spec.template, &sp.child("template"), &[], errs);
    let strategy = spec.strategy.clone().unwrap_or_default();
    let stp = sp.child("strategy");
    match strategy.type_.as_deref().unwrap_or_default() {
        "Recreate" => {
            if strategy.rolling_update.is_some() {
                errs.push(forbidden(
                    &stp.child("rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => match &strategy.rolling_update {
            None => errs.push(required_msg(
                &stp.child("rollingUpdate"),
                "this should be defaulted and never be nil",
            )),
            Some(ru) => {
                let rp = stp.child("rollingUpdate");
                let mu = ru.max_unavailable.clone().unwrap_or(IntOrString::Int(0));
                let ms = ru.max_surge.clone().unwrap_or(IntOrString::Int(0));
                positive_int_or_percent(errs, &rp.child("maxUnavailable"), &mu);
                positive_int_or_percent(errs, &rp.child("maxSurge"), &ms);
                if int_or_percent_value(&mu) == 0 && int_or_percent_value(&ms) == 0 {
                    errs.push(invalid_raw(
                        &rp.child("maxUnavailable"),
                        &int_or_string_value(&mu),
                        "may not be 0 when `maxSurge` is 0",
                    ));
                }
                not_more_than_100_percent(errs, &rp.child("maxUnavailable"), &mu);
            }
        },
        other => errs.push(not_supported(&stp, other, &["Recreate", "RollingUpdate"])),
    }
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    nonnegative(&sp.child("minReadySeconds"), i64::from(min_ready), errs);
    if let Some(r) = spec.revision_history_limit {
        nonnegative(&sp.child("revisionHistoryLimit"), i64::from(r), errs);
    }
    if let Some(p) = spec.progress_deadline_seconds {
        nonnegative(&sp.child("progressDeadlineSeconds"), i64::from(p), errs);
        if p <= min_ready {
            errs.push(invalid_num(
                &sp.child("progressDeadlineSeconds"),
                i64::from(p),
                "must be greater than minReadySeconds",
            ));
        }
    }
}

pub fn deployment(d: &Deployment) -> Errs {
    let mut errs = Errs::new();
    deployment_spec(&d.spec.clone().unwrap_or_default(), &mut errs);
    errs
}

/// apps/v1 selectors are immutable (the Deployment, ReplicaSet and DaemonSet strategies).
fn selector_immutable(new: &LabelSelector, old: &LabelSelector, errs: &mut Errs) {
    if new != old {
        errs.push(immutable(&Path::new("spec").child("selector"), &go_selector(Some(new))));
    }
}

pub fn deployment_update(new: &Deployment, old: &Deployment) -> Errs {
    let mut errs = deployment(new);
    let ns = new.spec.clone().unwrap_or_default();
    let os = old.spec.clone().unwrap_or_default();
    selector_immutable(&ns.selector, &os.selector, &mut errs);
    errs
}

fn replica_set_spec(spec: &ReplicaSetSpec, errs: &mut Errs) {
    let sp = Path::new("spec");
    nonnegative(&sp.child("replicas"), i64::from(spec.replicas.unwrap_or(0)), errs);
    nonnegative(&sp.child("minReadySeconds"), i64::from(spec.min_ready_seconds.unwrap_or(0)), errs);
    let template = spec.template.clone().unwrap_or_default();
    selector_and_template(&spec.selector, &template, &sp, errs);
    controller_template("ReplicaSet", &template, &sp.child("template"), &[], errs);
}

pub fn replica_set(rs: &ReplicaSet) -> Errs {
    let mut errs = Errs::new();
    replica_set_spec(&rs.spec.clone().unwrap_or_default(), &mut errs);
    errs
}

pub fn replica_set_update(new: &ReplicaSet, old: &ReplicaSet) -> Errs {
    let mut errs = replica_set(new);
    let ns = new.spec.clone().unwrap_or_default();
    let os = old.spec.clone().unwrap_or_default();
    selector_immutable(&ns.selector, &os.selector, &mut errs);
    errs
}

fn stateful_set_spec(spec: &StatefulSetSpec, errs: &mut Errs) {
    let sp = Path::new("spec");
    match spec.pod_management_policy.as_deref().unwrap_or_default() {
        "" => errs.push(required(&sp.child("podManagementPolicy"))),
        "OrderedReady" | "Parallel" => {}
        other => errs.push(invalid(
            &sp.child("podManagementPolicy"),
            other,
            "must be 'OrderedReady' or 'Parallel'",
        )),
    }
    let us = spec.update_strategy.clone().unwrap_or_default();
    let usp = sp.child("updateStrategy");
    match us.type_.as_deref().unwrap_or_default() {
        "" => errs.push(required(&usp)),
        "OnDelete" => {
            if let Some(ru) = &us.rolling_update {
                errs.push(invalid_raw(
                    &usp.child("rollingUpdate"),
                    &json_value(ru),
                    "only allowed for updateStrategy 'RollingUpdate'",
                ));
            }
        }
        "RollingUpdate" => {
            if let Some(ru) = &us.rolling_update {
                let rp = usp.child("rollingUpdate");
                nonnegative(&rp.child("partition"), i64::from(ru.partition.unwrap_or(0)), errs);
                if let Some(mu) = &ru.max_unavailable {
                    positive_int_or_percent(errs, &rp.child("maxUnavailable"), mu);
                    if int_or_percent_value(mu) == 0 {
                        errs.push(invalid_raw(
                            &rp.child("maxUnavailable"),
                            &int_or_string_value(mu),
                            "cannot be 0",
                        ));
                    }
                    not_more_than_100_percent(errs, &rp.child("maxUnavailable"), mu);
                }
            }
        }
        _ => {
            errs.push(invalid_raw(&usp, &json_value(&us), "must be 'RollingUpdate' or 'OnDelete'"))
        }
    }
    if let Some(p) = &spec.persistent_volume_claim_retention_policy {
        let pp = sp.child("persistentVolumeClaimRetentionPolicy");
        for (name, v) in [("whenDeleted", &p.when_deleted), ("whenScaled", &p.when_scaled)] {
            let v = v.as_deref().unwrap_or_default();
            if v != "Retain" && v != "Delete" {
                errs.push(not_supported(&pp.child(name), v, &["Retain", "Delete"]));
            }
        }
    }
    nonnegative(&sp.child("replicas"), i64::from(spec.replicas.unwrap_or(0)), errs);
    nonnegative(&sp.child("minReadySeconds"), i64::from(spec.min_ready_seconds.unwrap_or(0)), errs);
    if let Some(o) = &spec.ordinals {
        nonnegative(&sp.child("ordinals.start"), i64::from(o.start.unwrap_or(0)), errs);
    }
    selector_and_template(&spec.selector, &spec.template, &sp, errs);
    // Upstream only checks the template's metadata here; the pod spec is validated too, with
    // the claim templates counted as volumes, so a StatefulSet that can never create pods is
    // refused up front.
    let claims: Vec<String> = spec
        .volume_claim_templates
        .iter()
        .flatten()
        .filter_map(|c| c.metadata.name.clone())
        .collect();
    controller_template("StatefulSet", &spec.template, &sp.child("template"), &claims, errs);
}

pub fn stateful_set(s: &StatefulSet) -> Errs {
    let mut errs = Errs::new();
    stateful_set_spec(&s.spec.clone().unwrap_or_default(), &mut errs);
    errs
}

pub fn stateful_set_update(new: &StatefulSet, old: &StatefulSet) -> Errs {
    let mut errs = stateful_set(new);
    let mut n = new.spec.clone().unwrap_or_default();
    let o = old.spec.clone().unwrap_or_default();
    n.replicas = o.replicas;
    n.template.clone_from(&o.template);
    n.update_strategy.clone_from(&o.update_strategy);
    n.min_ready_seconds = o.min_ready_seconds;
    n.ordinals.clone_from(&o.ordinals);
    n.persistent_volume_claim_retention_policy
        .clone_from(&o.persistent_volume_claim_retention_policy);
    if n != o {
        errs.push(forbidden(
            &Path::new("spec"),
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ));
    }
    errs
}

fn daemon_set_spec(spec: &DaemonSetSpec, errs: &mut Errs) {
    let sp = Path::new("spec");
    selector_and_template(&spec.selector, &spec.template, &sp, errs);
    controller_template("DaemonSet", &spec.template, &sp.child("template"), &[], errs);
    nonnegative(&sp.child("minReadySeconds"), i64::from(spec.min_ready_seconds.unwrap_or(0)), errs);
    let us = spec.update_strategy.clone().unwrap_or_default();
    let usp = sp.child("updateStrategy");
    match us.type_.as_deref().unwrap_or_default() {
        "OnDelete" => {}
        "RollingUpdate" => match &us.rolling_update {
            None => errs.push(required(&usp.child("rollingUpdate"))),
            Some(ru) => {
                let rp = usp.child("rollingUpdate");
                let mu = ru.max_unavailable.clone().unwrap_or(IntOrString::Int(0));
                let ms = ru.max_surge.clone().unwrap_or(IntOrString::Int(0));
                positive_int_or_percent(errs, &rp.child("maxUnavailable"), &mu);
                positive_int_or_percent(errs, &rp.child("maxSurge"), &ms);
                not_more_than_100_percent(errs, &rp.child("maxUnavailable"), &mu);
                not_more_than_100_percent(errs, &rp.child("maxSurge"), &ms);
                let (has_u, has_s) =
                    (int_or_percent_value(&mu) != 0, int_or_percent_value(&ms) != 0);
                if has_u && has_s {
                    errs.push(invalid_raw(
                        &rp.child("maxSurge"),
                        &int_or_string_value(&ms),
                        "may not be set when maxUnavailable is non-zero",
                    ));
                } else if !has_u && !has_s {
                    errs.push(required_msg(
                        &rp.child("maxUnavailable"),
                        "cannot be 0 when maxSurge is 0",
                    ));
                }
            }
        },
        _ => errs.push(not_supported_raw(&usp, &json_value(&us), &["RollingUpdate", "OnDelete"])),
    }
    if let Some(r) = spec.revision_history_limit {
        nonnegative(&sp.child("revisionHistoryLimit"), i64::from(r), errs);
    }
}

pub fn daemon_set(d: &DaemonSet) -> Errs {
    let mut errs = Errs::new();
    daemon_set_spec(&d.spec.clone().unwrap_or_default(), &mut errs);
    errs
}

pub fn daemon_set_update(new: &DaemonSet, old: &DaemonSet) -> Errs {
    let mut errs = daemon_set(new);
    let ns = new.spec.clone().unwrap_or_default();
    let os = old.spec.clone().unwrap_or_default();
    selector_immutable(&ns.selector, &os.selector, &mut errs);
    errs
}

pub fn controller_revision(cr: &ControllerRevision) -> Errs {
    let mut errs = Errs::new();
    if cr.data.is_none() {
        errs.push(required_msg(&Path::new("data"), "data is mandatory"));
    }
    nonnegative(&Path::new("revision"), cr.revision, &mut errs);
    errs
}

pub fn controller_revision_update(new: &ControllerRevision, old: &ControllerRevision) -> Errs {
    let mut errs = controller_revision(new);
    if new.data != old.data {
        errs.push(immutable(&Path::new("data"), &json_value(&new.data)));
    }
    errs
}
