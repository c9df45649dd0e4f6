//! Pod create and update validation (`ValidatePodCreate`, `ValidatePodUpdate`).

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Pod, PodSpec};

use super::field::{forbidden, invalid, invalid_num, Errs, Path};
use super::pod::{spec, SpecOpts};

/// The checks only made for Pods (not templates).
fn pod_only(spec: &PodSpec, path: &Path, errs: &mut Errs) {
    for (list, name) in
        [(Some(&spec.containers), "containers"), (spec.init_containers.as_ref(), "initContainers")]
    {
        for (i, c) in list.into_iter().flatten().enumerate() {
            if let Some(img) = c.image.as_deref() {
                if img.trim() != img {
                    errs.push(invalid(
                        &path.child(name).index(i).child("image"),
                        img,
                        "must not have leading or trailing whitespace",
                    ));
                }
            }
        }
    }
}

/// `ValidatePodCreate` minus ObjectMeta.
pub fn pod_create(pod: &Pod) -> Errs {
    let mut errs = Errs::new();
    let path = Path::new("spec");
    let default_spec = PodSpec::default();
    let s = pod.spec.as_ref().unwrap_or(&default_spec);
    spec(s, &path, SpecOpts { is_pod: true, extra_volumes: &[] }, &mut errs);
    pod_only(s, &path, &mut errs);
    if s.ephemeral_containers.as_ref().is_some_and(|e| !e.is_empty()) {
        errs.push(forbidden(&path.child("ephemeralContainers"), "cannot be set on create"));
    }
    if s.node_name.as_deref().is_some_and(|n| !n.is_empty())
        && s.scheduling_gates.as_ref().is_some_and(|g| !g.is_empty())
    {
        errs.push(forbidden(
            &path.child("nodeName"),
            "cannot be set until all schedulingGates have been cleared",
        ));
    }
    errs
}

const UPDATABLE: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// `ValidatePodUpdate` minus ObjectMeta.
pub fn pod_update(new: &Pod, old: &Pod) -> Errs {
    let mut errs = Errs::new();
    let path = Path::new("spec");
    let default_spec = PodSpec::default();
    let ns = new.spec.as_ref().unwrap_or(&default_spec);
    let os = old.spec.as_ref().unwrap_or(&default_spec);
    spec(ns, &path, SpecOpts { is_pod: true, extra_volumes: &[] }, &mut errs);
    pod_only(ns, &path, &mut errs);

    let empty = Vec::new();
    for (n, o, name) in [
        (&ns.containers, &os.containers, "containers"),
        (
            ns.init_containers.as_ref().unwrap_or(&empty),
            os.init_containers.as_ref().unwrap_or(&empty),
            "initContainers",
        ),
    ] {
        if n.len() != o.len() {
            errs.push(forbidden(&path.child(name), "pod updates may not add or remove containers"));
            return errs;
        }
    }

    if let Some(nads) = ns.active_deadline_seconds {
        if !(0..=i64::from(i32::MAX)).contains(&nads) {
            errs.push(invalid_num(
                &path.child("activeDeadlineSeconds"),
                nads,
                "must be between 0 and 2147483647, inclusive",
            ));
            return errs;
        }
        if os.active_deadline_seconds.is_some_and(|o| o < nads) {
            errs.push(invalid_num(
                &path.child("activeDeadlineSeconds"),
                nads,
                "must be less than or equal to previous value",
            ));
            return errs;
        }
    } else if os.active_deadline_seconds.is_some() {
        errs.push(super::field::invalid_raw(
            &path.child("activeDeadlineSeconds"),
            "null",
            "must not update from a positive integer to nil value",
        ));
    }

    // tolerations: only additions (tolerationSeconds may change)
    let new_tols = ns.tolerations.as_deref().unwrap_or_default();
    for o in os.tolerations.iter().flatten() {
        let found = new_tols.iter().any(|n| {
            let mut o2 = o.clone();
            o2.toleration_seconds = n.toleration_seconds;
            &o2 == n
        });
        if !found {
            errs.push(forbidden(
                &path.child("tolerations"),
                "existing toleration can not be modified except its tolerationSeconds",
            ));
            break;
        }
    }

    // scheduling gates: only deletions
    let old_gates: BTreeSet<&str> =
        os.scheduling_gates.iter().flatten().map(|g| g.name.as_str()).collect();
    for (i, g) in ns.scheduling_gates.iter().flatten().enumerate() {
        if !old_gates.contains(g.name.as_str()) {
            errs.push(forbidden(
                &path.child("schedulingGates").index(i).child("name"),
                &format!("only deletion is allowed, but found new scheduling gate '{}'", g.name),
            ));
        }
    }

    if ns == os {
        return errs;
    }
    let mut munged = ns.clone();
    for (c, oc) in munged.containers.iter_mut().zip(&os.containers) {
        c.image.clone_from(&oc.image);
    }
    if let (Some(ic), Some(oic)) = (munged.init_containers.as_mut(), os.init_containers.as_ref()) {
        for (c, oc) in ic.iter_mut().zip(oic) {
            c.image.clone_from(&oc.image);
        }
    }
    munged.active_deadline_seconds = os.active_deadline_seconds;
    munged.scheduling_gates.clone_from(&os.scheduling_gates);
    munged.tolerations.clone_from(&os.tolerations);
    if os.termination_grace_period_seconds.is_some_and(|g| g < 0)
        && munged.termination_grace_period_seconds == Some(1)
    {
        munged.termination_grace_period_seconds = os.termination_grace_period_seconds;
    }
    if os.scheduling_gates.as_ref().is_some_and(|g| !g.is_empty()) {
        // gated pods may change node selector and node affinity
        munged.node_selector.clone_from(&os.node_selector);
        let old_na = os.affinity.as_ref().and_then(|a| a.node_affinity.clone());
        match munged.affinity.as_mut() {
            Some(a) => a.node_affinity = old_na,
            None if old_na.is_some() => {
                munged.affinity = Some(k8s_openapi::api::core::v1::Affinity {
                    node_affinity: old_na,
                    ..Default::default()
                })
            }
            None => {}
        }
        if munged.affinity.as_ref().is_some_and(|a| a == &Default::default())
            && os.affinity.is_none()
        {
            munged.affinity = None;
        }
    }
    if &munged != os {
        errs.push(forbidden(
            &path,
            &format!(
                "pod updates may not change fields other than {UPDATABLE}\n{}",
                spec_diff(os, &munged)
            ),
        ));
    }
    errs
}

/// A short description of which top-level spec fields differ (upstream prints a `cmp.Diff`).
fn spec_diff(old: &PodSpec, new: &PodSpec) -> String {
    let (Ok(serde_json::Value::Object(o)), Ok(serde_json::Value::Object(n))) =
        (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return String::new();
    };
    let keys: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    let mut out = vec!["  core.PodSpec{".to_string()];
    for k in keys {
        let (ov, nv) = (o.get(k), n.get(k));
        if ov != nv {
            let show =
                |v: Option<&serde_json::Value>| v.map_or("nil".to_string(), ToString::to_string);
            out.push(format!("-  {k}: {}", show(ov)));
            out.push(format!("+  {k}: {}", show(nv)));
        }
    }
    out.push("  }".to_string());
    out.join("\n")
}
