//! Service validation (`ValidateService`, `ValidateServiceUpdate`).

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Service, ServiceSpec};

use super::common::{
    cidr, dns_label, dns_subdomain, ip, labels, non_special_ip, parse_ip, port_num,
    port_num_or_name, qualified_name,
};
use super::container::PROTOCOLS;
use super::field::{
    duplicate, duplicate_raw, forbidden, go_strings, invalid, invalid_num, invalid_raw,
    not_supported, required, Errs, Path,
};

const TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const NODE_PORT_RANGE: std::ops::RangeInclusive<i32> = 30000..=32767;

fn is_headless(s: &ServiceSpec) -> bool {
    let ips = s.cluster_ips.as_deref().unwrap_or_default();
    ips.len() == 1 && ips[0] == "None"
}

/// `apiservice.ExternallyAccessible`.
pub fn externally_accessible(s: &ServiceSpec) -> bool {
    match s.type_.as_deref() {
        Some("LoadBalancer" | "NodePort") => true,
        Some("ClusterIP") => s.external_ips.as_ref().is_some_and(|e| !e.is_empty()),
        _ => false,
    }
}

fn needs_health_check(s: &ServiceSpec) -> bool {
    s.type_.as_deref() == Some("LoadBalancer")
        && s.external_traffic_policy.as_deref() == Some("Local")
}

/// `core.ServicePort{...}` as Go's `%#v` prints the (protocol, port) key of a duplicate.
fn port_key(protocol: &str, port: i32) -> String {
    format!(
        "core.ServicePort{{Name:\"\", Protocol:\"{protocol}\", AppProtocol:(*string)(nil), Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}"
    )
}

pub fn validate(svc: &Service) -> Errs {
    let mut errs = Errs::new();
    let default = ServiceSpec::default();
    let s = svc.spec.as_ref().unwrap_or(&default);
    let sp = Path::new("spec");
    let ty = s.type_.as_deref().unwrap_or_default();
    let ports = s.ports.as_deref().unwrap_or_default();
    let headless = is_headless(s);
    let cluster_ips = s.cluster_ips.as_deref().unwrap_or_default();

    if ports.is_empty() && !headless && ty != "ExternalName" {
        errs.push(required(&sp.child("ports")));
    }
    match ty {
        "LoadBalancer" | "NodePort" if headless => errs.push(invalid(
            &sp.child("clusterIPs").index(0),
            &cluster_ips[0],
            &format!("may not be set to 'None' for {ty} services"),
        )),
        "ExternalName" => {
            if !cluster_ips.is_empty() {
                errs.push(forbidden(
                    &sp.child("clusterIPs"),
                    "may not be set for ExternalName services",
                ));
            }
            if s.ip_families.as_ref().is_some_and(|f| !f.is_empty()) {
                errs.push(forbidden(
                    &sp.child("ipFamilies"),
                    "may not be set for ExternalName services",
                ));
            }
            if s.ip_family_policy.is_some() {
                errs.push(forbidden(
                    &sp.child("ipFamilyPolicy"),
                    "may not be set for ExternalName services",
                ));
            }
            let en = s.external_name.as_deref().unwrap_or_default();
            let cname = en.strip_suffix('.').unwrap_or(en);
            if cname.is_empty() {
                errs.push(required(&sp.child("externalName")));
            } else {
                dns_subdomain(&mut errs, &sp.child("externalName"), cname);
            }
        }
        _ => {}
    }

    let mut names = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let pp = sp.child("ports").index(i);
        let name = p.name.as_deref().unwrap_or_default();
        if ports.len() > 1 && name.is_empty() {
            errs.push(required(&pp.child("name")));
        } else if !name.is_empty() {
            dns_label(&mut errs, &pp.child("name"), name);
            if !names.insert(name) {
                errs.push(duplicate(&pp.child("name"), name));
            }
        }
        port_num(&mut errs, &pp.child("port"), i64::from(p.port));
        match p.protocol.as_deref() {
            None | Some("") => errs.push(required(&pp.child("protocol"))),
            Some(pr) if PROTOCOLS.contains(&pr) => {}
            Some(pr) => errs.push(not_supported(&pp.child("protocol"), pr, PROTOCOLS)),
        }
        if let Some(tp) = &p.target_port {
            port_num_or_name(&mut errs, &pp.child("targetPort"), tp);
        }
        if let Some(ap) = p.app_protocol.as_deref() {
            qualified_name(&mut errs, &pp.child("appProtocol"), ap);
        }
    }
    if s.selector.is_some() {
        labels(&mut errs, &sp.child("selector"), s.selector.as_ref());
    }
    match s.session_affinity.as_deref() {
        None | Some("") => errs.push(required(&sp.child("sessionAffinity"))),
        Some("ClientIP") => {
            let cp = sp.child("sessionAffinityConfig");
            let detail = "when session affinity type is ClientIP";
            match s.session_affinity_config.as_ref() {
                None => errs.push(super::field::required_msg(&cp, detail)),
                Some(c) => match c.client_ip.as_ref() {
                    None => errs.push(super::field::required_msg(&cp.child("clientIP"), detail)),
                    Some(ci) => match ci.timeout_seconds {
                        None => errs.push(super::field::required_msg(
                            &cp.child("clientIP").child("timeoutSeconds"),
                            detail,
                        )),
                        Some(t) if !(1..=86400).contains(&t) => errs.push(invalid_num(
                            &cp.child("clientIP").child("timeoutSeconds"),
                            i64::from(t),
                            "must be greater than 0 and less than 86400",
                        )),
                        Some(_) => {}
                    },
                },
            }
        }
        Some("None") => {
            if s.session_affinity_config.is_some() {
                errs.push(forbidden(
                    &sp.child("sessionAffinityConfig"),
                    "must not be set when session affinity is None",
                ));
            }
        }
        Some(other) => {
            errs.push(not_supported(&sp.child("sessionAffinity"), other, &["ClientIP", "None"]))
        }
    }
    cluster_ip_fields(s, &mut errs);
    for (i, e) in s.external_ips.iter().flatten().enumerate() {
        let ep = sp.child("externalIPs").index(i);
        if parse_ip(e).is_none() {
            ip(&mut errs, &ep, e);
        } else {
            non_special_ip(&mut errs, &ep, e);
        }
    }
    match ty {
        "" => errs.push(required(&sp.child("type"))),
        t if TYPES.contains(&t) => {}
        t => errs.push(not_supported(&sp.child("type"), t, TYPES)),
    }
    let mut node_ports = BTreeSet::new();
    let mut port_keys = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let pp = sp.child("ports").index(i);
        let protocol = p.protocol.as_deref().unwrap_or_default();
        if let Some(np) = p.node_port.filter(|n| *n != 0) {
            if ty == "ClusterIP" {
                errs.push(forbidden(
                    &pp.child("nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            } else if !NODE_PORT_RANGE.contains(&np) {
                errs.push(invalid_num(
                    &pp.child("nodePort"),
                    i64::from(np),
                    "provided port is not in the valid range. The range of valid ports is 30000-32767",
                ));
            }
            if !node_ports.insert((protocol, np)) {
                errs.push(duplicate_raw(&pp.child("nodePort"), &np.to_string()));
            }
        }
        if !port_keys.insert((protocol, p.port)) {
            errs.push(duplicate_raw(&pp, &port_key(protocol, p.port)));
        }
    }
    let ranges = s.load_balancer_source_ranges.as_deref().unwrap_or_default();
    if !ranges.is_empty() {
        let fp = sp.child("LoadBalancerSourceRanges");
        if ty != "LoadBalancer" {
            errs.push(forbidden(&fp, "may only be used when `type` is 'LoadBalancer'"));
        }
        for (i, r) in ranges.iter().enumerate() {
            cidr(&mut errs, &fp.index(i), r.trim());
        }
    }
    if s.allocate_load_balancer_node_ports.is_some() && ty != "LoadBalancer" {
        errs.push(forbidden(
            &sp.child("allocateLoadBalancerNodePorts"),
            "may only be used when `type` is 'LoadBalancer'",
        ));
    }
    if let Some(lbc) = s.load_balancer_class.as_deref() {
        if ty != "LoadBalancer" {
            errs.push(forbidden(
                &sp.child("loadBalancerClass"),
                "may only be used when `type` is 'LoadBalancer'",
            ));
        } else {
            qualified_name(&mut errs, &sp.child("loadBalancerClass"), lbc);
        }
    }
    // external traffic policy
    let etp = s.external_traffic_policy.as_deref().unwrap_or_default();
    if !externally_accessible(s) {
        if !etp.is_empty() {
            errs.push(invalid(
                &sp.child("externalTrafficPolicy"),
                etp,
                "may only be set for externally-accessible services",
            ));
        }
    } else if etp.is_empty() {
        errs.push(required(&sp.child("externalTrafficPolicy")));
    } else if etp != "Cluster" && etp != "Local" {
        errs.push(not_supported(&sp.child("externalTrafficPolicy"), etp, &["Cluster", "Local"]));
    }
    let hcnp = s.health_check_node_port.unwrap_or(0);
    if !needs_health_check(s) {
        if hcnp != 0 {
            errs.push(invalid_num(
                &sp.child("healthCheckNodePort"),
                i64::from(hcnp),
                "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
            ));
        }
    } else if hcnp != 0 {
        // 0 means "allocate one" (the registry's job)
        port_num(&mut errs, &sp.child("healthCheckNodePort"), i64::from(hcnp));
    }
    match s.internal_traffic_policy.as_deref() {
        None if matches!(ty, "ClusterIP" | "NodePort" | "LoadBalancer") => {
            errs.push(required(&sp.child("internalTrafficPolicy")))
        }
        Some(p) if p != "Cluster" && p != "Local" => {
            errs.push(not_supported(&sp.child("internalTrafficPolicy"), p, &["Cluster", "Local"]))
        }
        _ => {}
    }
    if let Some(td) = s.traffic_distribution.as_deref() {
        const TD: &[&str] = &["PreferClose", "PreferSameNode", "PreferSameZone"];
        if !TD.contains(&td) {
            errs.push(not_supported(&sp.child("trafficDistribution"), td, TD));
        }
    }
    errs
}

/// `ValidateServiceClusterIPsRelatedFields`.
fn cluster_ip_fields(s: &ServiceSpec, errs: &mut Errs) {
    if s.type_.as_deref() == Some("ExternalName") {
        return;
    }
    let sp = Path::new("spec");
    let ips_path = sp.child("clusterIPs");
    let cluster_ip = s.cluster_ip.as_deref().unwrap_or_default();
    let ips = s.cluster_ips.as_deref().unwrap_or_default();
    let ips_raw = go_strings(s.cluster_ips.as_ref());
    if !cluster_ip.is_empty() {
        if ips.is_empty() {
            errs.push(required(&ips_path));
        } else if ips[0] != cluster_ip {
            errs.push(invalid_raw(&ips_path, &ips_raw, "first value must match `clusterIP`"));
        }
    } else if !ips.is_empty() {
        errs.push(invalid_raw(
            &ips_path,
            &ips_raw,
            "must be empty when `clusterIP` is not specified",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, f) in s.ip_families.iter().flatten().enumerate() {
        let fp = sp.child("ipFamilies").index(i);
        if f != "IPv4" && f != "IPv6" {
            errs.push(not_supported(&fp, f, &["IPv4", "IPv6"]));
        }
        if !seen.insert(f.as_str()) {
            errs.push(duplicate(&fp, f));
        }
    }
    if let Some(p) = s.ip_family_policy.as_deref() {
        const POLICIES: &[&str] = &["PreferDualStack", "RequireDualStack", "SingleStack"];
        if !POLICIES.contains(&p) {
            errs.push(not_supported(&sp.child("ipFamilyPolicy"), p, POLICIES));
        }
    }
    let mut bad = false;
    for (i, addr) in ips.iter().enumerate() {
        if i == 0 && addr == "None" {
            if ips.len() > 1 {
                bad = true;
                errs.push(invalid_raw(
                    &ips_path,
                    &ips_raw,
                    "'None' must be the first and only value",
                ));
            }
            continue;
        }
        let before = errs.len();
        ip(errs, &ips_path.index(i), addr);
        bad |= errs.len() != before;
    }
    if ips.len() > 2 {
        errs.push(invalid_raw(&ips_path, &ips_raw, "may only hold up to 2 values"));
    }
    if bad {
        return;
    }
    if ips.len() > 1 {
        let v6: Vec<bool> = ips.iter().filter_map(|a| parse_ip(a)).map(|a| a.is_ipv6()).collect();
        if v6.len() == 2 && v6[0] == v6[1] {
            errs.push(invalid_raw(
                &ips_path,
                &ips_raw,
                "may specify no more than one IP for each IP family",
            ));
        }
    }
    let families = s.ip_families.as_deref().unwrap_or_default();
    if !is_headless(s) {
        for (i, (addr, fam)) in ips.iter().zip(families).enumerate() {
            let is_v6 = parse_ip(addr).is_some_and(|a| a.is_ipv6());
            if fam == "IPv4" && is_v6 {
                errs.push(invalid(
                    &ips_path.index(i),
                    addr,
                    &format!("expected an IPv4 value as indicated by `ipFamilies[{i}]`"),
                ));
            }
            if fam == "IPv6" && !is_v6 {
                errs.push(invalid(
                    &ips_path.index(i),
                    addr,
                    &format!("expected an IPv6 value as indicated by `ipFamilies[{i}]`"),
                ));
            }
        }
    }
}

/// `ValidateServiceUpdate`: assigned cluster IPs, primary IP family, health check node port and
/// load balancer class may not change. An empty `clusterIP` in the update is taken as "keep
/// the allocated one" (the registry carries it over, as kube-apiserver's does).
pub fn validate_update(new: &Service, old: &Service) -> Errs {
    let mut errs = validate(new);
    let default = ServiceSpec::default();
    let ns = new.spec.as_ref().unwrap_or(&default);
    let os = old.spec.as_ref().unwrap_or(&default);
    let ext = |s: &ServiceSpec| s.type_.as_deref() == Some("ExternalName");
    let ips_path = Path::new("spec").child("clusterIPs");
    if !(ext(ns) || ext(os) || (is_headless(ns) && is_headless(os))) {
        let nips = ns.cluster_ips.as_deref().unwrap_or_default();
        let oips = os.cluster_ips.as_deref().unwrap_or_default();
        let raw = go_strings(ns.cluster_ips.as_ref());
        if !nips.is_empty() {
            if nips.len() == oips.len() {
                for (i, (n, o)) in nips.iter().zip(oips).enumerate() {
                    if n != o {
                        errs.push(invalid_raw(&ips_path.index(i), &raw, "may not change once set"));
                    }
                }
            } else if !oips.is_empty() && nips[0] != oips[0] {
                errs.push(invalid_raw(&ips_path.index(0), &raw, "may not change once set"));
            }
            if nips.len() < oips.len()
                && nips.len() == 1
                && ns.ip_family_policy.as_deref() != Some("SingleStack")
            {
                errs.push(invalid_raw(
                    &Path::new("spec").child("ipFamilyPolicy"),
                    &ns.ip_family_policy
                        .as_deref()
                        .map_or("null".to_string(), super::field::go_quote),
                    "must be set to 'SingleStack' when releasing the secondary clusterIP",
                ));
            }
        }
        let nf = ns.ip_families.as_deref().unwrap_or_default();
        let of = os.ip_families.as_deref().unwrap_or_default();
        if is_headless(ns) == is_headless(os)
            && !is_headless(ns)
            && !nf.is_empty()
            && !of.is_empty()
            && nf[0] != of[0]
        {
            errs.push(invalid_raw(
                &Path::new("spec").child("ipFamilies").index(0),
                &go_strings(ns.ip_families.as_ref()),
                "may not change once set",
            ));
        }
    }
    if needs_health_check(ns) && needs_health_check(os) {
        let (n, o) =
            (ns.health_check_node_port.unwrap_or(0), os.health_check_node_port.unwrap_or(0));
        if n != 0 && n != o {
            errs.push(forbidden(
                &Path::new("spec").child("healthCheckNodePort"),
                "field is immutable",
            ));
        }
    }
    let lb = |s: &ServiceSpec| s.type_.as_deref() == Some("LoadBalancer");
    if lb(os) && lb(ns) && os.load_balancer_class != ns.load_balancer_class {
        errs.push(invalid_raw(
            &Path::new("spec").child("loadBalancerClass"),
            &ns.load_balancer_class.as_deref().map_or("null".to_string(), super::field::go_quote),
            "may not change once set",
        ));
    }
    errs
}
