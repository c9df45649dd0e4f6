//! autoscaling/v2 validation: HorizontalPodAutoscaler.

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingRules, HorizontalPodAutoscaler, MetricSpec, MetricTarget,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::common::{dns_label, label_selector, path_segment_name};
use super::field::{
    forbidden, invalid, invalid_num, not_supported, required, required_msg, Errs, Path,
};
use super::quantity;

fn cross_version_ref(r: &CrossVersionObjectReference, path: &Path, errs: &mut Errs) {
    if r.kind.is_empty() {
        errs.push(required(&path.child("kind")));
    } else {
        path_segment_name(errs, &path.child("kind"), &r.kind);
    }
    if r.name.is_empty() {
        errs.push(required(&path.child("name")));
    } else {
        path_segment_name(errs, &path.child("name"), &r.name);
    }
}

fn metric_target(t: &MetricTarget, path: &Path, errs: &mut Errs) {
    match t.type_.as_str() {
        "" => errs.push(required_msg(&path.child("type"), "must specify a metric target type")),
        "Utilization" | "Value" | "AverageValue" => {}
        other => errs.push(invalid(
            &path.child("type"),
            other,
            "must be either Utilization, Value, or AverageValue",
        )),
    }
    for (name, q) in [("value", &t.value), ("averageValue", &t.average_value)] {
        if let Some(q) = q {
            if !quantity::parse_q(q).is_some_and(quantity::Nanos::is_positive) {
                errs.push(invalid(&path.child(name), &q.0, "must be positive"));
            }
        }
    }
    if let Some(u) = t.average_utilization.filter(|u| *u < 1) {
        errs.push(invalid_num(
            &path.child("averageUtilization"),
            i64::from(u),
            "must be greater than 0",
        ));
    }
}

fn metric_name(name: &str, selector: Option<&LabelSelector>, path: &Path, errs: &mut Errs) {
    if name.is_empty() {
        errs.push(required_msg(&path.child("name"), "must specify a metric name"));
    } else {
        path_segment_name(errs, &path.child("name"), name);
    }
    if let Some(s) = selector {
        label_selector(errs, &path.child("selector"), s);
    }
}

fn metric(m: &MetricSpec, path: &Path, errs: &mut Errs) {
    const TYPES: &[&str] = &["ContainerResource", "External", "Object", "Pods", "Resource"];
    if m.type_.is_empty() {
        errs.push(required_msg(&path.child("type"), "must specify a metric source type"));
    }
    if !TYPES.contains(&m.type_.as_str()) {
        errs.push(not_supported(&path.child("type"), &m.type_, TYPES));
    }
    let mut present = Vec::new();
    if let Some(o) = &m.object {
        present.push("object");
        let p = path.child("object");
        cross_version_ref(&o.described_object, &p.child("describedObject"), errs);
        metric_name(&o.metric.name, o.metric.selector.as_ref(), &p.child("metric"), errs);
        metric_target(&o.target, &p.child("target"), errs);
        if o.target.value.is_none() && o.target.average_value.is_none() {
            errs.push(required_msg(
                &p.child("target").child("averageValue"),
                "must set either a target value or averageValue",
            ));
        }
    }
    if let Some(o) = &m.pods {
        present.push("pods");
        let p = path.child("pods");
        metric_name(&o.metric.name, o.metric.selector.as_ref(), &p.child("metric"), errs);
        metric_target(&o.target, &p.child("target"), errs);
        if o.target.average_value.is_none() {
            errs.push(required_msg(
                &p.child("target").child("averageValue"),
                "must specify a positive target averageValue",
            ));
        }
    }
    if let Some(o) = &m.external {
        present.push("external");
        let p = path.child("external");
        metric_name(&o.metric.name, o.metric.selector.as_ref(), &p.child("metric"), errs);
        metric_target(&o.target, &p.child("target"), errs);
        if o.target.value.is_none() && o.target.average_value.is_none() {
            errs.push(required_msg(
                &p.child("target").child("averageValue"),
                "must set either a target value for metric or a per-pod target",
            ));
        }
    }
    for (name, res, target) in [
        ("resource", m.resource.as_ref().map(|r| &r.name), m.resource.as_ref().map(|r| &r.target)),
        (
            "containerResource",
            m.container_resource.as_ref().map(|r| &r.name),
            m.container_resource.as_ref().map(|r| &r.target),
        ),
    ] {
        let (Some(res), Some(target)) = (res, target) else { continue };
        present.push(name);
        let p = path.child(name);
        if res.is_empty() {
            errs.push(required_msg(&p.child("name"), "must specify a resource name"));
        }
        metric_target(target, &p.child("target"), errs);
        if target.average_utilization.is_none() && target.average_value.is_none() {
            errs.push(required_msg(
                &p.child("target").child("averageUtilization"),
                "must set either a target raw value or a target utilization",
            ));
        }
        if target.average_utilization.is_some() && target.average_value.is_some() {
            errs.push(forbidden(
                &p.child("target").child("averageValue"),
                "may not set both a target raw value and a target utilization",
            ));
        }
    }
    if let Some(c) = &m.container_resource {
        if c.container.is_empty() {
            errs.push(required_msg(
                &path.child("containerResource").child("container"),
                "must specify a container",
            ));
        } else {
            dns_label(errs, &path.child("containerResource").child("container"), &c.container);
        }
    }
    let expected = match m.type_.as_str() {
        "ContainerResource" => "containerResource".to_string(),
        t => t.to_lowercase(),
    };
    if !present.contains(&expected.as_str()) {
        errs.push(required_msg(
            &path.child(&expected),
            "must populate information for the given metric source",
        ));
    }
    if present.len() != 1 {
        for p in present.iter().filter(|p| **p != expected) {
            errs.push(forbidden(&path.child(p), "must populate the given metric source only"));
        }
    }
}

fn scaling_rules(r: Option<&HPAScalingRules>, path: &Path, errs: &mut Errs) {
    let Some(r) = r else { return };
    if let Some(w) = r.stabilization_window_seconds {
        if w < 0 {
            errs.push(invalid_num(
                &path.child("stabilizationWindowSeconds"),
                i64::from(w),
                "must be greater than or equal to zero",
            ));
        }
        if w > 3600 {
            errs.push(invalid_num(
                &path.child("stabilizationWindowSeconds"),
                i64::from(w),
                "must be less than or equal to 3600",
            ));
        }
    }
    if let Some(s) = r.select_policy.as_deref() {
        const POLICIES: &[&str] = &["Disabled", "Max", "Min"];
        if !POLICIES.contains(&s) {
            errs.push(not_supported(&path.child("selectPolicy"), s, POLICIES));
        }
    }
    let pp = path.child("policies");
    let policies = r.policies.as_deref().unwrap_or_default();
    if policies.is_empty() {
        errs.push(required_msg(&pp, "must specify at least one Policy"));
    }
    for (i, p) in policies.iter().enumerate() {
        let ip = pp.index(i);
        if p.type_ != "Pods" && p.type_ != "Percent" {
            errs.push(not_supported(&ip.child("type"), &p.type_, &["Percent", "Pods"]));
        }
        if p.value <= 0 {
            errs.push(invalid_num(
                &ip.child("value"),
                i64::from(p.value),
                "must be greater than zero",
            ));
        }
        if p.period_seconds <= 0 {
            errs.push(invalid_num(
                &ip.child("periodSeconds"),
                i64::from(p.period_seconds),
                "must be greater than zero",
            ));
        }
        if p.period_seconds > 1800 {
            errs.push(invalid_num(
                &ip.child("periodSeconds"),
                i64::from(p.period_seconds),
                "must be less than or equal to 1800",
            ));
        }
    }
    if let Some(t) = &r.tolerance {
        if quantity::parse_q(t).is_none_or(quantity::Nanos::is_negative) {
            errs.push(invalid(
                &path.child("tolerance"),
                &t.0,
                "must be greater than or equal to zero",
            ));
        }
    }
}

pub fn hpa(h: &HorizontalPodAutoscaler) -> Errs {
    let mut errs = Errs::new();
    let spec = h.spec.clone().unwrap_or_default();
    let sp = Path::new("spec");
    if let Some(m) = spec.min_replicas.filter(|m| *m < 1) {
        errs.push(invalid_num(
            &sp.child("minReplicas"),
            i64::from(m),
            "must be greater than or equal to 1",
        ));
    }
    if spec.max_replicas < 1 {
        errs.push(invalid_num(
            &sp.child("maxReplicas"),
            i64::from(spec.max_replicas),
            "must be greater than 0",
        ));
    }
    if spec.min_replicas.is_some_and(|m| spec.max_replicas < m) {
        errs.push(invalid_num(
            &sp.child("maxReplicas"),
            i64::from(spec.max_replicas),
            "must be greater than or equal to `minReplicas`",
        ));
    }
    cross_version_ref(&spec.scale_target_ref, &sp.child("scaleTargetRef"), &mut errs);
    for (i, m) in spec.metrics.iter().flatten().enumerate() {
        metric(m, &sp.child("metrics").index(i), &mut errs);
    }
    if let Some(b) = &spec.behavior {
        let bp = sp.child("behavior");
        scaling_rules(b.scale_up.as_ref(), &bp.child("scaleUp"), &mut errs);
        scaling_rules(b.scale_down.as_ref(), &bp.child("scaleDown"), &mut errs);
    }
    errs
}
