//! Validation of the smaller core/v1 kinds: ConfigMap, Secret, Namespace, Node, Endpoints,
//! Event, LimitRange, ResourceQuota, PodTemplate, ReplicationController.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Event, Namespace, Node, PodTemplate, ReplicationController, Secret,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::common::{
    cidr, dns_label, dns_subdomain, finalizer_name, ip, non_special_ip, parse_cidr, port_num,
    qualified_name,
};
use super::container::PROTOCOLS;
use super::field::{
    duplicate, duplicate_raw, forbidden, go_map, go_quote, immutable, invalid, invalid_raw,
    json_value, nonnegative, not_supported, required, required_msg, too_long, Errs, Path,
};
use super::pod;
use super::quantity;
use super::volume::data_keys;

/// `core.MaxSecretSize`: the limit of a ConfigMap's or Secret's data.
pub const MAX_DATA_SIZE: usize = 1024 * 1024;

pub fn config_map(cm: &ConfigMap) -> Errs {
    let mut errs = Errs::new();
    let data = cm.data.as_ref();
    let binary = cm.binary_data.as_ref();
    let mut total = 0;
    for (k, v) in data.into_iter().flatten() {
        data_keys(std::iter::once(k), &Path::new("data"), &mut errs);
        if binary.is_some_and(|b| b.contains_key(k)) {
            errs.push(invalid(
                &Path::new("data").key(k),
                k,
                "duplicate of key present in binaryData",
            ));
        }
        total += v.len();
    }
    data_keys(binary.into_iter().flat_map(BTreeMap::keys), &Path::new("binaryData"), &mut errs);
    total += binary.into_iter().flatten().map(|(_, v)| v.0.len()).sum::<usize>();
    if total > MAX_DATA_SIZE {
        errs.push(too_long(&Path::new(""), MAX_DATA_SIZE));
    }
    errs
}

pub fn config_map_update(new: &ConfigMap, old: &ConfigMap) -> Errs {
    let mut errs = Errs::new();
    if old.immutable == Some(true) {
        if new.immutable != Some(true) {
            errs.push(forbidden(
                &Path::new("immutable"),
                "field is immutable when `immutable` is set",
            ));
        }
        if new.data != old.data {
            errs.push(forbidden(&Path::new("data"), "field is immutable when `immutable` is set"));
        }
        if new.binary_data != old.binary_data {
            errs.push(forbidden(
                &Path::new("binaryData"),
                "field is immutable when `immutable` is set",
            ));
        }
    }
    errs.extend(config_map(new));
    errs
}

pub fn secret(s: &Secret) -> Errs {
    let mut errs = Errs::new();
    let dp = Path::new("data");
    let data = s.data.clone().unwrap_or_default();
    data_keys(data.keys(), &dp, &mut errs);
    let total: usize = data.values().map(|v| v.0.len()).sum();
    if total > MAX_DATA_SIZE {
        errs.push(too_long(&dp, MAX_DATA_SIZE));
    }
    let annotations = s.metadata.annotations.as_ref();
    let json_ok = |key: &str| {
        data.get(key)
            .map(|v| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&v.0))
    };
    match s.type_.as_deref().unwrap_or_default() {
        "kubernetes.io/service-account-token" => {
            let name = annotations.and_then(|a| a.get("kubernetes.io/service-account.name"));
            if name.is_none_or(String::is_empty) {
                errs.push(required(
                    &Path::new("metadata")
                        .child("annotations")
                        .key("kubernetes.io/service-account.name"),
                ));
            }
        }
        "kubernetes.io/dockercfg" | "kubernetes.io/dockerconfigjson" => {
            let key = if s.type_.as_deref() == Some("kubernetes.io/dockercfg") {
                ".dockercfg"
            } else {
                ".dockerconfigjson"
            };
            match json_ok(key) {
                None => errs.push(required(&dp.key(key))),
                Some(Err(e)) => {
                    errs.push(invalid(&dp.key(key), "<secret contents redacted>", &e.to_string()))
                }
                Some(Ok(_)) => {}
            }
        }
        "kubernetes.io/basic-auth"
            if !data.contains_key("username") && !data.contains_key("password") =>
        {
            errs.push(required(&dp.key("username")));
            errs.push(required(&dp.key("password")));
        }
        "kubernetes.io/ssh-auth" if data.get("ssh-privatekey").is_none_or(|v| v.0.is_empty()) => {
            errs.push(required(&dp.key("ssh-privatekey")));
        }
        "kubernetes.io/tls" => {
            for key in ["tls.crt", "tls.key"] {
                if !data.contains_key(key) {
                    errs.push(required(&dp.key(key)));
                }
            }
        }
        _ => {}
    }
    errs
}

pub fn secret_update(new: &Secret, old: &Secret) -> Errs {
    let mut errs = Errs::new();
    if new.type_ != old.type_ {
        errs.push(immutable(
            &Path::new("type"),
            &go_quote(new.type_.as_deref().unwrap_or_default()),
        ));
    }
    if old.immutable == Some(true) {
        if new.immutable != Some(true) {
            errs.push(forbidden(
                &Path::new("immutable"),
                "field is immutable when `immutable` is set",
            ));
        }
        if new.data != old.data {
            errs.push(forbidden(&Path::new("data"), "field is immutable when `immutable` is set"));
        }
    }
    errs.extend(secret(new));
    errs
}

pub fn namespace(ns: &Namespace) -> Errs {
    let mut errs = Errs::new();
    for f in ns.spec.as_ref().and_then(|s| s.finalizers.as_ref()).into_iter().flatten() {
        finalizer_name(&mut errs, &Path::new("spec").child("finalizers"), f);
    }
    errs
}

pub fn namespace_update(new: &Namespace, old: &Namespace) -> Errs {
    let mut errs = namespace(new);
    if let (Some(n), Some(o)) = (&new.metadata.name, &old.metadata.name) {
        if n != o {
            errs.push(immutable(&Path::new("metadata").child("name"), &go_quote(n)));
        }
    }
    errs
}

pub fn node(n: &Node) -> Errs {
    let mut errs = Errs::new();
    let spec = n.spec.clone().unwrap_or_default();
    let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (i, t) in spec.taints.iter().flatten().enumerate() {
        // upstream reports taints under `metadata.taints`
        let tp = Path::new("metadata").child("taints").index(i);
        qualified_name(&mut errs, &tp.child("key"), &t.key);
        if let Some(p) = crate::meta::label_value_problem(t.value.as_deref().unwrap_or_default()) {
            errs.push(invalid(&tp.child("value"), t.value.as_deref().unwrap_or_default(), p));
        }
        if t.effect.is_empty() {
            errs.push(required(&tp.child("effect")));
        } else {
            pod::taint_effect(&t.effect, &tp.child("effect"), &mut errs);
        }
        if !seen.entry(t.effect.as_str()).or_default().insert(t.key.as_str()) {
            let mut e = duplicate_raw(&tp, &json_value(t));
            e.message.push_str(": taints must be unique by key and effect pair");
            errs.push(e);
        }
    }
    let cidrs = spec.pod_cidrs.as_deref().unwrap_or_default();
    let cp = Path::new("spec").child("podCIDRs");
    for (i, c) in cidrs.iter().enumerate() {
        cidr(&mut errs, &cp.index(i), c);
    }
    if cidrs.len() > 1 {
        let fams: Vec<bool> =
            cidrs.iter().filter_map(|c| parse_cidr(c)).map(|(a, _)| a.is_ipv6()).collect();
        if cidrs.len() > 2 || (fams.len() == 2 && fams[0] == fams[1]) {
            errs.push(invalid_raw(
                &cp,
                &json_value(&cidrs),
                "may specify no more than one CIDR for each IP family",
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, c) in cidrs.iter().enumerate() {
            if !seen.insert(c) {
                errs.push(duplicate(&cp.index(i), c));
            }
        }
    }
    if let Some(status) = &n.status {
        for (field, list) in [("capacity", &status.capacity), ("allocatable", &status.allocatable)]
        {
            for (k, q) in list.iter().flatten() {
                resource_quantity(k, q, &Path::new("status").child(field).child(k), &mut errs);
            }
        }
    }
    errs
}

pub fn node_update(new: &Node, old: &Node) -> Errs {
    let mut errs = node(new);
    let ns = new.spec.clone().unwrap_or_default();
    let os = old.spec.clone().unwrap_or_default();
    let old_cidrs = os.pod_cidrs.unwrap_or_default();
    if !old_cidrs.is_empty() && ns.pod_cidrs.unwrap_or_default() != old_cidrs {
        errs.push(forbidden(
            &Path::new("spec").child("podCIDRs"),
            "node updates may not change podCIDR except from \"\" to valid",
        ));
    }
    if let Some(op) = os.provider_id.as_deref().filter(|p| !p.is_empty()) {
        if ns.provider_id.as_deref() != Some(op) {
            errs.push(forbidden(
                &Path::new("spec").child("providerID"),
                "node updates may not change providerID except from \"\" to valid",
            ));
        }
    }
    if ns.external_id != os.external_id {
        errs.push(forbidden(&Path::new("spec").child("externalID"), "may not be updated"));
    }
    let mut seen = BTreeSet::new();
    for (i, a) in
        new.status.as_ref().and_then(|s| s.addresses.as_ref()).into_iter().flatten().enumerate()
    {
        if !seen.insert((a.type_.as_str(), a.address.as_str())) {
            errs.push(duplicate_raw(
                &Path::new("status").child("addresses").index(i),
                &json_value(a),
            ));
        }
    }
    errs
}

pub fn resource_quantity(name: &str, q: &Quantity, path: &Path, errs: &mut Errs) {
    match quantity::parse_q(q) {
        None => errs.push(invalid(path, &q.0, quantity::QUANTITY_FORMAT_MSG)),
        Some(v) if v.is_negative() => {
            errs.push(invalid(path, &q.0, "must be greater than or equal to 0"))
        }
        Some(v) if name.contains('/') && !name.contains("kubernetes.io/") && !v.is_integer() => {
            errs.push(invalid(path, &q.0, "must be an integer"))
        }
        Some(_) => {}
    }
}

pub fn endpoints(ep: &Endpoints) -> Errs {
    let mut errs = Errs::new();
    for (i, ss) in ep.subsets.iter().flatten().enumerate() {
        let sp = Path::new("subsets").index(i);
        let addrs = ss.addresses.as_deref().unwrap_or_default();
        let not_ready = ss.not_ready_addresses.as_deref().unwrap_or_default();
        if addrs.is_empty() && not_ready.is_empty() {
            errs.push(required_msg(&sp, "must specify `addresses` or `notReadyAddresses`"));
        }
        for (list, name) in [(addrs, "addresses"), (not_ready, "notReadyAddresses")] {
            for (j, a) in list.iter().enumerate() {
                let ap = sp.child(name).index(j);
                ip(&mut errs, &ap.child("ip"), &a.ip);
                if let Some(h) = a.hostname.as_deref().filter(|h| !h.is_empty()) {
                    dns_label(&mut errs, &ap.child("hostname"), h);
                }
                if let Some(n) = a.node_name.as_deref() {
                    dns_subdomain(&mut errs, &ap.child("nodeName"), n);
                }
                non_special_ip(&mut errs, &ap.child("ip"), &a.ip);
            }
        }
        let ports = ss.ports.as_deref().unwrap_or_default();
        for (j, p) in ports.iter().enumerate() {
            let pp = sp.child("ports").index(j);
            let name = p.name.as_deref().unwrap_or_default();
            if ports.len() > 1 && name.is_empty() {
                errs.push(required(&pp.child("name")));
            } else if !name.is_empty() {
                dns_label(&mut errs, &pp.child("name"), name);
            }
            port_num(&mut errs, &pp.child("port"), i64::from(p.port));
            match p.protocol.as_deref() {
                None | Some("") => errs.push(required(&pp.child("protocol"))),
                Some(pr) if PROTOCOLS.contains(&pr) => {}
                Some(pr) => errs.push(not_supported(&pp.child("protocol"), pr, PROTOCOLS)),
            }
            if let Some(ap) = p.app_protocol.as_deref() {
                qualified_name(&mut errs, &pp.child("appProtocol"), ap);
            }
        }
    }
    errs
}

/// `legacyValidateEvent`: the checks every core/v1 Event passes (kept lenient, as upstream, so
/// events from old clients and controllers are accepted).
pub fn event(e: &Event) -> Errs {
    let mut errs = Errs::new();
    let ns = e.metadata.namespace.as_deref();
    let involved_ns = e.involved_object.namespace.as_deref().unwrap_or_default();
    let ins_path = Path::new("involvedObject").child("namespace");
    if e.event_time.is_none() {
        if let Some(ns) = ns {
            let ok = if involved_ns.is_empty() {
                ns.is_empty() || ns == "default"
            } else {
                ns == involved_ns
            };
            if !ok {
                errs.push(invalid(&ins_path, involved_ns, "does not match event.namespace"));
            }
        }
    } else {
        if involved_ns.is_empty() && ns.is_some_and(|n| n != "default" && n != "kube-system") {
            errs.push(invalid(&ins_path, involved_ns, "does not match event.namespace"));
        }
        let rc = e.reporting_component.as_deref().unwrap_or_default();
        if rc.is_empty() {
            errs.push(required(&Path::new("reportingController")));
        }
        if let Some(p) = crate::meta::qualified_name_problem(rc) {
            errs.push(invalid(&Path::new("reportingController"), rc, p));
        }
        let ri = e.reporting_instance.as_deref().unwrap_or_default();
        if ri.is_empty() {
            errs.push(required(&Path::new("reportingInstance")));
        }
        if ri.len() > 128 {
            errs.push(invalid(
                &Path::new("reportingInstance"),
                "",
                "can have at most 128 characters",
            ));
        }
        let action = e.action.as_deref().unwrap_or_default();
        if action.is_empty() {
            errs.push(required(&Path::new("action")));
        }
        if action.len() > 128 {
            errs.push(invalid(&Path::new("action"), "", "can have at most 128 characters"));
        }
        let reason = e.reason.as_deref().unwrap_or_default();
        if reason.is_empty() {
            errs.push(required(&Path::new("reason")));
        }
        if reason.len() > 128 {
            errs.push(invalid(&Path::new("reason"), "", "can have at most 128 characters"));
        }
        if e.message.as_deref().unwrap_or_default().len() > 1024 {
            errs.push(invalid(&Path::new("message"), "", "can have at most 1024 characters"));
        }
    }
    errs
}

pub fn pod_template(pt: &PodTemplate) -> Errs {
    let mut errs = Errs::new();
    let t = pt.template.clone().unwrap_or_default();
    pod::template(&t, &Path::new("template"), &[], &mut errs);
    errs
}

pub fn replication_controller(rc: &ReplicationController) -> Errs {
    let mut errs = Errs::new();
    let spec = rc.spec.clone().unwrap_or_default();
    let sp = Path::new("spec");
    nonnegative(
        &sp.child("minReadySeconds"),
        i64::from(spec.min_ready_seconds.unwrap_or(0)),
        &mut errs,
    );
    let selector = spec.selector.clone().unwrap_or_default();
    if selector.is_empty() {
        errs.push(required(&sp.child("selector")));
    }
    nonnegative(&sp.child("replicas"), i64::from(spec.replicas.unwrap_or(0)), &mut errs);
    let tp = sp.child("template");
    match &spec.template {
        None => errs.push(required(&tp)),
        Some(t) => {
            let tl = pod::template_labels(t);
            if !selector.is_empty()
                && !selector.iter().all(|(k, v)| tl.and_then(|l| l.get(k)) == Some(v))
            {
                errs.push(invalid_raw(
                    &tp.child("metadata").child("labels"),
                    &go_map(tl),
                    "`selector` does not match template `labels`",
                ));
            }
            pod::template(t, &tp, &[], &mut errs);
            let s = t.spec.clone().unwrap_or_default();
            let rp = s.restart_policy.as_deref().unwrap_or_default();
            if rp != "Always" {
                errs.push(not_supported(&tp.child("spec").child("restartPolicy"), rp, &["Always"]));
            }
            if s.active_deadline_seconds.is_some() {
                errs.push(forbidden(
                    &tp.child("spec").child("activeDeadlineSeconds"),
                    "activeDeadlineSeconds in ReplicationController is not Supported",
                ));
            }
        }
    }
    errs
}
