//! Validation of the remaining groups: policy/v1, scheduling/v1, coordination/v1, discovery/v1
//! and events.k8s.io/v1.

use std::collections::BTreeSet;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::scheduling::v1::PriorityClass;

use crate::admission::priority::SYSTEM_PRIORITY_CLASSES;

use super::common::{
    dns_label, dns_subdomain, ip, label_selector, not_more_than_100_percent,
    positive_int_or_percent, qualified_name,
};
use super::container::PROTOCOLS;
use super::field::{
    duplicate, forbidden, immutable, invalid, invalid_num, invalid_raw, json_value, not_supported,
    required, required_msg, too_many, Errs, Path,
};

// ---- policy/v1 ----

pub fn pdb(p: &PodDisruptionBudget) -> Errs {
    let mut errs = Errs::new();
    let spec = p.spec.clone().unwrap_or_default();
    let sp = Path::new("spec");
    if spec.min_available.is_some() && spec.max_unavailable.is_some() {
        errs.push(invalid_raw(
            &sp,
            &json_value(&spec),
            "minAvailable and maxUnavailable cannot be both set",
        ));
    }
    for (name, v) in
        [("minAvailable", &spec.min_available), ("maxUnavailable", &spec.max_unavailable)]
    {
        if let Some(v) = v {
            positive_int_or_percent(&mut errs, &sp.child(name), v);
            not_more_than_100_percent(&mut errs, &sp.child(name), v);
        }
    }
    if let Some(s) = &spec.selector {
        label_selector(&mut errs, &sp.child("selector"), s);
    }
    if let Some(u) = spec.unhealthy_pod_eviction_policy.as_deref() {
        if u != "AlwaysAllow" && u != "IfHealthyBudget" {
            errs.push(not_supported(
                &sp.child("unhealthyPodEvictionPolicy"),
                u,
                &["AlwaysAllow", "IfHealthyBudget"],
            ));
        }
    }
    errs
}

// ---- scheduling/v1 ----

const HIGHEST_USER_PRIORITY: i32 = 1_000_000_000;

pub fn priority_class(pc: &PriorityClass) -> Errs {
    let mut errs = Errs::new();
    let name = pc.metadata.name.as_deref().unwrap_or_default();
    if name.starts_with("system-") {
        let problem = match SYSTEM_PRIORITY_CLASSES.iter().find(|c| c.name == name) {
            None => Some(format!("{name} is not a known system priority class")),
            Some(c) if c.value != pc.value => {
                Some(format!("value of {name} PriorityClass must be {}", c.value))
            }
            Some(_) if pc.global_default == Some(true) => {
                Some(format!("globalDefault of {name} PriorityClass must be false"))
            }
            Some(_) => None,
        };
        if let Some(p) = problem {
            errs.push(forbidden(
                &Path::new("metadata").child("name"),
                &format!("priority class names with 'system-' prefix are reserved for system use only. error: {p}"),
            ));
        }
    } else if pc.value > HIGHEST_USER_PRIORITY {
        errs.push(forbidden(
            &Path::new("value"),
            &format!("maximum allowed value of a user defined priority is {HIGHEST_USER_PRIORITY}"),
        ));
    }
    if let Some(pp) = pc.preemption_policy.as_deref() {
        super::pod::preemption_policy(pp, &Path::new("preemptionPolicy"), &mut errs);
    }
    errs
}

pub fn priority_class_update(new: &PriorityClass, old: &PriorityClass) -> Errs {
    let mut errs = priority_class(new);
    if new.value != old.value {
        errs.push(forbidden(&Path::new("value"), "may not be changed in an update."));
    }
    if new.preemption_policy != old.preemption_policy {
        errs.push(immutable(&Path::new("preemptionPolicy"), &json_value(&new.preemption_policy)));
    }
    errs
}

// ---- coordination/v1 ----

pub fn lease(l: &Lease) -> Errs {
    let mut errs = Errs::new();
    let Some(spec) = &l.spec else { return errs };
    let sp = Path::new("spec");
    if let Some(d) = spec.lease_duration_seconds.filter(|d| *d <= 0) {
        errs.push(invalid_num(
            &sp.child("leaseDurationSeconds"),
            i64::from(d),
            "must be greater than 0",
        ));
    }
    if let Some(t) = spec.lease_transitions.filter(|t| *t < 0) {
        errs.push(invalid_num(
            &sp.child("leaseTransitions"),
            i64::from(t),
            "must be greater than or equal to 0",
        ));
    }
    if let Some(s) = spec.strategy.as_deref() {
        if s != "OldestEmulationVersion" {
            errs.push(not_supported(&sp.child("strategy"), s, &["OldestEmulationVersion"]));
        }
    }
    if spec.preferred_holder.as_deref().is_some_and(|p| !p.is_empty()) && spec.strategy.is_none() {
        errs.push(forbidden(
            &sp.child("preferredHolder"),
            "may only be specified if `strategy` is defined",
        ));
    }
    errs
}

// ---- discovery/v1 ----

const ADDRESS_TYPES: &[&str] = &["FQDN", "IPv4", "IPv6"];

pub fn endpoint_slice(es: &EndpointSlice) -> Errs {
    let mut errs = Errs::new();
    let at = es.address_type.as_str();
    if at.is_empty() {
        errs.push(required(&Path::new("addressType")));
    } else if !ADDRESS_TYPES.contains(&at) {
        errs.push(not_supported(&Path::new("addressType"), at, ADDRESS_TYPES));
    }
    let ep = Path::new("endpoints");
    if es.endpoints.len() > 1000 {
        errs.push(too_many(&ep, es.endpoints.len(), 1000));
    }
    for (i, e) in es.endpoints.iter().enumerate() {
        let p = ep.index(i);
        let ap = p.child("addresses");
        if e.addresses.is_empty() {
            errs.push(required_msg(&ap, "must contain at least 1 address"));
        } else if e.addresses.len() > 100 {
            errs.push(too_many(&ap, e.addresses.len(), 100));
        }
        for (j, a) in e.addresses.iter().enumerate() {
            let aip = ap.index(j);
            match at {
                "IPv4" | "IPv6" => {
                    let before = errs.len();
                    ip(&mut errs, &aip, a);
                    if errs.len() == before {
                        let v6 = a.parse::<std::net::IpAddr>().is_ok_and(|x| x.is_ipv6());
                        if (at == "IPv4") == v6 {
                            errs.push(invalid(&aip, a, &format!("must be an {at} address")));
                        }
                    }
                }
                "FQDN" => dns_subdomain(&mut errs, &aip, a),
                _ => {}
            }
        }
        if let Some(h) = e.hostname.as_deref() {
            dns_label(&mut errs, &p.child("hostname"), h);
        }
        if let Some(n) = e.node_name.as_deref() {
            dns_subdomain(&mut errs, &p.child("nodeName"), n);
        }
    }
    let pp = Path::new("ports");
    let ports = es.ports.as_deref().unwrap_or_default();
    if ports.len() > 20000 {
        errs.push(too_many(&pp, ports.len(), 20000));
    }
    let mut names = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let ip_ = pp.index(i);
        let name = p.name.as_deref().unwrap_or_default();
        if !name.is_empty() {
            dns_label(&mut errs, &ip_.child("name"), name);
        }
        if !names.insert(name) {
            errs.push(duplicate(&ip_.child("name"), name));
        }
        match p.protocol.as_deref() {
            None | Some("") => errs.push(required(&ip_.child("protocol"))),
            Some(pr) if PROTOCOLS.contains(&pr) => {}
            Some(pr) => errs.push(not_supported(&ip_.child("protocol"), pr, PROTOCOLS)),
        }
        if let Some(ap) = p.app_protocol.as_deref() {
            qualified_name(&mut errs, &ip_.child("appProtocol"), ap);
        }
    }
    errs
}

pub fn endpoint_slice_update(new: &EndpointSlice, old: &EndpointSlice) -> Errs {
    let mut errs = endpoint_slice(new);
    if new.address_type != old.address_type {
        errs.push(immutable(&Path::new("addressType"), &super::field::go_quote(&new.address_type)));
    }
    errs
}

// ---- events.k8s.io/v1 ----

/// `ValidateEventCreate` for events.k8s.io/v1 (strict; paths use the core field names, as
/// upstream validates the converted object).
pub fn event(e: &Event) -> Errs {
    let mut errs = Errs::new();
    let ns = e.metadata.namespace.as_deref();
    let regarding_ns =
        e.regarding.as_ref().and_then(|r| r.namespace.as_deref()).unwrap_or_default();
    if e.event_time.is_none() {
        errs.push(required(&Path::new("eventTime")));
    }
    if regarding_ns.is_empty() && ns.is_some_and(|n| n != "default" && n != "kube-system") {
        errs.push(invalid(
            &Path::new("involvedObject").child("namespace"),
            regarding_ns,
            "does not match event.namespace",
        ));
    }
    let rc = e.reporting_controller.as_deref().unwrap_or_default();
    if rc.is_empty() {
        errs.push(required(&Path::new("reportingController")));
    }
    if let Some(p) = crate::meta::qualified_name_problem(rc) {
        errs.push(invalid(&Path::new("reportingController"), rc, p));
    }
    for (name, v, max) in [
        ("reportingInstance", e.reporting_instance.as_deref(), 128),
        ("action", e.action.as_deref(), 128),
        ("reason", e.reason.as_deref(), 128),
    ] {
        let v = v.unwrap_or_default();
        if v.is_empty() {
            errs.push(required(&Path::new(name)));
        }
        if v.len() > max {
            errs.push(invalid(&Path::new(name), "", &format!("can have at most {max} characters")));
        }
    }
    if e.note.as_deref().unwrap_or_default().len() > 1024 {
        errs.push(invalid(&Path::new("message"), "", "can have at most 1024 characters"));
    }
    if let Some(s) = &e.series {
        if s.count < 2 {
            errs.push(invalid(&Path::new("series.count"), "", "should be at least 2"));
        }
    }
    let ty = e.type_.as_deref().unwrap_or_default();
    if ty != "Normal" && ty != "Warning" {
        errs.push(invalid(&Path::new("type"), "", &format!("has invalid value: {ty}")));
    }
    if e.deprecated_first_timestamp.is_some() {
        errs.push(invalid(&Path::new("firstTimestamp"), "", "needs to be unset"));
    }
    if e.deprecated_last_timestamp.is_some() {
        errs.push(invalid(&Path::new("lastTimestamp"), "", "needs to be unset"));
    }
    if e.deprecated_count.is_some_and(|c| c != 0) {
        errs.push(invalid(&Path::new("count"), "", "needs to be unset"));
    }
    if e.deprecated_source.as_ref().is_some_and(|s| s.component.is_some() || s.host.is_some()) {
        errs.push(invalid(&Path::new("source"), "", "needs to be unset"));
    }
    errs
}

/// `ValidateEventUpdate` for events.k8s.io/v1: everything but the series is immutable.
pub fn event_update(new: &Event, old: &Event) -> Errs {
    let mut errs = Errs::new();
    let fields: [(&str, bool, String); 12] = [
        ("involvedObject", new.regarding == old.regarding, json_value(&new.regarding)),
        ("reason", new.reason == old.reason, json_value(&new.reason)),
        ("message", new.note == old.note, json_value(&new.note)),
        (
            "source",
            new.deprecated_source == old.deprecated_source,
            json_value(&new.deprecated_source),
        ),
        (
            "firstTimestamp",
            new.deprecated_first_timestamp == old.deprecated_first_timestamp,
            json_value(&new.deprecated_first_timestamp),
        ),
        (
            "lastTimestamp",
            new.deprecated_last_timestamp == old.deprecated_last_timestamp,
            json_value(&new.deprecated_last_timestamp),
        ),
        (
            "count",
            new.deprecated_count.unwrap_or(0) == old.deprecated_count.unwrap_or(0),
            json_value(&new.deprecated_count),
        ),
        ("type", new.type_ == old.type_, json_value(&new.type_)),
        ("eventTime", new.event_time == old.event_time, json_value(&new.event_time)),
        ("action", new.action == old.action, json_value(&new.action)),
        ("related", new.related == old.related, json_value(&new.related)),
        (
            "reportingController",
            new.reporting_controller == old.reporting_controller,
            json_value(&new.reporting_controller),
        ),
    ];
    for (name, same, raw) in fields {
        if !same {
            errs.push(immutable(&Path::new(name), &raw));
        }
    }
    if new.reporting_instance != old.reporting_instance {
        errs.push(immutable(&Path::new("reportingInstance"), &json_value(&new.reporting_instance)));
    }
    if new.series != old.series {
        if let Some(s) = &new.series {
            if s.count < 2 {
                errs.push(invalid(&Path::new("series.count"), "", "should be at least 2"));
            }
        }
    }
    // the legacy checks still apply
    let legacy: Vec<_> = event(new)
        .into_iter()
        .filter(|e| {
            matches!(
                e.field.as_str(),
                "involvedObject.namespace"
                    | "reportingController"
                    | "reportingInstance"
                    | "action"
                    | "reason"
                    | "message"
            )
        })
        .collect();
    errs.extend(legacy);
    errs
}
