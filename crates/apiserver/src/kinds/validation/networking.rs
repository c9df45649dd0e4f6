//! networking.k8s.io/v1 validation: NetworkPolicy, Ingress, IngressClass.

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, Ingress, IngressBackend, IngressClass, NetworkPolicy, NetworkPolicyPeer,
    NetworkPolicyPort,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::common::{
    cidr, dns1035_label, dns_subdomain, domain_prefixed_path, label_selector, parse_cidr, parse_ip,
    port_name, port_num, qualified_name,
};
use super::container::PROTOCOLS;
use super::field::{
    forbidden, immutable, invalid, invalid_num, invalid_raw, json_value, not_supported, required,
    required_msg, too_long, Errs, Path,
};

fn np_port(p: &NetworkPolicyPort, path: &Path, errs: &mut Errs) {
    if let Some(pr) = p.protocol.as_deref() {
        if !PROTOCOLS.contains(&pr) {
            errs.push(not_supported(&path.child("protocol"), pr, PROTOCOLS));
        }
    }
    match &p.port {
        Some(IntOrString::Int(port)) => {
            port_num(errs, &path.child("port"), i64::from(*port));
            if let Some(end) = p.end_port {
                if end < *port {
                    errs.push(invalid_num(
                        &path.child("endPort"),
                        i64::from(end),
                        "must be greater than or equal to `port`",
                    ));
                }
                port_num(errs, &path.child("endPort"), i64::from(end));
            }
        }
        Some(IntOrString::String(name)) => {
            if p.end_port.is_some() {
                errs.push(forbidden(
                    &path.child("endPort"),
                    "may not be specified when `port` is non-numeric",
                ));
            }
            port_name(errs, &path.child("port"), name);
        }
        None => {
            if p.end_port.is_some() {
                errs.push(forbidden(
                    &path.child("endPort"),
                    "may not be specified when `port` is not specified",
                ));
            }
        }
    }
}

fn np_peer(peer: &NetworkPolicyPeer, path: &Path, errs: &mut Errs) {
    let mut n = 0;
    if let Some(s) = &peer.pod_selector {
        n += 1;
        label_selector(errs, &path.child("podSelector"), s);
    }
    if let Some(s) = &peer.namespace_selector {
        n += 1;
        label_selector(errs, &path.child("namespaceSelector"), s);
    }
    if let Some(b) = &peer.ip_block {
        n += 1;
        let bp = path.child("ipBlock");
        if b.cidr.is_empty() {
            errs.push(required(&bp.child("cidr")));
        } else {
            cidr(errs, &bp.child("cidr"), &b.cidr);
            if let Some((base, bits)) = parse_cidr(&b.cidr) {
                for (i, e) in b.except.iter().flatten().enumerate() {
                    let ep = bp.child("except").index(i);
                    match parse_cidr(e) {
                        None => cidr(errs, &ep, e),
                        Some((ebase, ebits)) => {
                            if ebase.is_ipv6() != base.is_ipv6()
                                || ebits <= bits
                                || !contains(base, bits, ebase)
                            {
                                errs.push(invalid(&ep, e, "must be a strict subset of `cidr`"));
                            }
                        }
                    }
                }
            }
        }
    }
    if n == 0 {
        errs.push(required_msg(path, "must specify a peer"));
    } else if n > 1 && peer.ip_block.is_some() {
        errs.push(forbidden(path, "may not specify both ipBlock and another peer"));
    }
}

fn contains(base: std::net::IpAddr, bits: u8, ip: std::net::IpAddr) -> bool {
    let to_u128 = |a: std::net::IpAddr| match a {
        std::net::IpAddr::V4(v) => u128::from(u32::from(v)) << 96,
        std::net::IpAddr::V6(v) => u128::from(v),
    };
    let shift = u32::from(bits);
    let mask = if shift == 0 { 0 } else { u128::MAX << (128 - shift) };
    (to_u128(base) & mask) == (to_u128(ip) & mask)
}

pub fn network_policy(np: &NetworkPolicy) -> Errs {
    let mut errs = Errs::new();
    let spec = np.spec.clone().unwrap_or_default();
    let sp = Path::new("spec");
    if let Some(s) = &spec.pod_selector {
        label_selector(&mut errs, &sp.child("podSelector"), s);
    }
    for (i, r) in spec.ingress.iter().flatten().enumerate() {
        let rp = sp.child("ingress").index(i);
        for (j, p) in r.ports.iter().flatten().enumerate() {
            np_port(p, &rp.child("ports").index(j), &mut errs);
        }
        for (j, p) in r.from.iter().flatten().enumerate() {
            np_peer(p, &rp.child("from").index(j), &mut errs);
        }
    }
    for (i, r) in spec.egress.iter().flatten().enumerate() {
        let rp = sp.child("egress").index(i);
        for (j, p) in r.ports.iter().flatten().enumerate() {
            np_port(p, &rp.child("ports").index(j), &mut errs);
        }
        for (j, p) in r.to.iter().flatten().enumerate() {
            np_peer(p, &rp.child("to").index(j), &mut errs);
        }
    }
    let types = spec.policy_types.as_deref().unwrap_or_default();
    for (i, t) in types.iter().enumerate() {
        if t != "Ingress" && t != "Egress" {
            errs.push(not_supported(&sp.child("policyTypes").index(i), t, &["Ingress", "Egress"]));
        }
    }
    if types.len() > 2 {
        errs.push(invalid_raw(
            &sp.child("policyTypes"),
            &json_value(&types),
            "may not specify more than two policyTypes",
        ));
    }
    errs
}

const PATH_TYPES: &[&str] = &["Exact", "ImplementationSpecific", "Prefix"];

fn host(h: &str, path: &Path, errs: &mut Errs) {
    if parse_ip(h).is_some() {
        errs.push(invalid(path, h, "must be a DNS name, not an IP address"));
        return;
    }
    if let Some(rest) = h.strip_prefix("*.") {
        if crate::meta::is_dns1123_subdomain(rest).is_some() {
            errs.push(invalid(
                path,
                h,
                "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            ));
        }
    } else {
        dns_subdomain(errs, path, h);
    }
}

fn http_path(p: &HTTPIngressPath, path: &Path, errs: &mut Errs) {
    let value = p.path.as_deref().unwrap_or_default();
    let pp = path.child("path");
    match p.path_type.as_str() {
        "" => errs.push(required_msg(&path.child("pathType"), "pathType must be specified")),
        "Exact" | "Prefix" => {
            if !value.starts_with('/') {
                errs.push(invalid(&pp, value, "must be an absolute path"));
            }
            for bad in ["//", "/./", "/../", "%2f", "%2F"] {
                if value.contains(bad) {
                    errs.push(invalid(&pp, value, &format!("must not contain '{bad}'")));
                }
            }
            for bad in ["/..", "/."] {
                if value.ends_with(bad) {
                    errs.push(invalid(&pp, value, &format!("cannot end with '{bad}'")));
                }
            }
        }
        "ImplementationSpecific" => {
            if !value.is_empty() && !value.starts_with('/') {
                errs.push(invalid(&pp, value, "must be an absolute path"));
            }
        }
        other => errs.push(not_supported(&path.child("pathType"), other, PATH_TYPES)),
    }
    backend(&p.backend, &path.child("backend"), errs);
}

fn backend(b: &IngressBackend, path: &Path, errs: &mut Errs) {
    match (&b.service, &b.resource) {
        (Some(_), Some(_)) => {
            errs.push(invalid(path, "", "cannot set both resource and service backends"))
        }
        (None, None) => errs.push(invalid(path, "", "resource or service backend is required")),
        (Some(s), None) => {
            let sp = path.child("service");
            dns1035_label(errs, &sp.child("name"), &s.name);
            let port = s.port.clone().unwrap_or_default();
            let name = port.name.as_deref().unwrap_or_default();
            let number = port.number.unwrap_or(0);
            let pp = sp.child("port");
            if !name.is_empty() && number != 0 {
                errs.push(invalid_raw(
                    &pp,
                    &json_value(&port),
                    "cannot set both port name & port number",
                ));
            } else if !name.is_empty() {
                port_name(errs, &pp.child("name"), name);
            } else if number != 0 {
                port_num(errs, &pp.child("number"), i64::from(number));
            } else {
                errs.push(required_msg(&pp, "port name or number is required"));
            }
        }
        (None, Some(r)) => {
            let rp = path.child("resource");
            if let Some(g) = r.api_group.as_deref().filter(|g| !g.is_empty()) {
                dns_subdomain(errs, &rp.child("apiGroup"), g);
            }
            if r.kind.is_empty() {
                errs.push(required(&rp.child("kind")));
            }
            if r.name.is_empty() {
                errs.push(required(&rp.child("name")));
            }
        }
    }
}

pub fn ingress(ing: &Ingress) -> Errs {
    let mut errs = Errs::new();
    let spec = ing.spec.clone().unwrap_or_default();
    let sp = Path::new("spec");
    let rules = spec.rules.as_deref().unwrap_or_default();
    if rules.is_empty() && spec.default_backend.is_none() {
        errs.push(invalid_raw(
            &sp,
            "[]networking.IngressRule(nil)",
            "either `defaultBackend` or `rules` must be specified",
        ));
    }
    if let Some(b) = &spec.default_backend {
        backend(b, &sp.child("defaultBackend"), &mut errs);
    }
    for (i, r) in rules.iter().enumerate() {
        let rp = sp.child("rules").index(i);
        if let Some(h) = r.host.as_deref().filter(|h| !h.is_empty()) {
            host(h, &rp.child("host"), &mut errs);
        }
        if let Some(http) = &r.http {
            let hp = rp.child("http").child("paths");
            if http.paths.is_empty() {
                errs.push(required(&hp));
            }
            for (j, p) in http.paths.iter().enumerate() {
                http_path(p, &hp.index(j), &mut errs);
            }
        }
    }
    for (i, t) in spec.tls.iter().flatten().enumerate() {
        let tp = sp.child("tls").index(i);
        for (j, h) in t.hosts.iter().flatten().enumerate() {
            host(h, &tp.child("hosts").index(j), &mut errs);
        }
        if let Some(s) = t.secret_name.as_deref().filter(|s| !s.is_empty()) {
            dns_subdomain(&mut errs, &tp.child("secretName"), s);
        }
    }
    if let Some(c) = spec.ingress_class_name.as_deref() {
        dns_subdomain(&mut errs, &sp.child("ingressClassName"), c);
    }
    errs
}

pub fn ingress_class(ic: &IngressClass) -> Errs {
    let mut errs = Errs::new();
    let spec = ic.spec.clone().unwrap_or_default();
    let sp = Path::new("spec");
    let controller = spec.controller.as_deref().unwrap_or_default();
    if controller.len() > 250 {
        errs.push(too_long(&sp.child("controller"), 250));
    }
    domain_prefixed_path(&mut errs, &sp.child("controller"), controller);
    if let Some(p) = &spec.parameters {
        let pp = sp.child("parameters");
        if let Some(g) = p.api_group.as_deref() {
            qualified_name(&mut errs, &pp.child("apiGroup"), g);
        }
        if p.kind.is_empty() {
            errs.push(required(&pp.child("kind")));
        }
        if p.name.is_empty() {
            errs.push(required(&pp.child("name")));
        }
        match p.scope.as_deref().unwrap_or_default() {
            "Cluster" => {
                if p.namespace.is_some() {
                    errs.push(forbidden(
                        &pp.child("namespace"),
                        "`parameters.scope` is set to 'Cluster'",
                    ));
                }
            }
            "Namespace" => {
                if p.namespace.as_deref().is_none_or(str::is_empty) {
                    errs.push(required_msg(
                        &pp.child("namespace"),
                        "`parameters.scope` is set to 'Namespace'",
                    ));
                }
            }
            "" => errs.push(required(&pp.child("scope"))),
            other => errs.push(not_supported(&pp.child("scope"), other, &["Cluster", "Namespace"])),
        }
    }
    errs
}

pub fn ingress_class_update(new: &IngressClass, old: &IngressClass) -> Errs {
    let mut errs = ingress_class(new);
    let c = |ic: &IngressClass| ic.spec.as_ref().and_then(|s| s.controller.clone());
    if c(new) != c(old) {
        errs.push(immutable(&Path::new("spec").child("controller"), &json_value(&c(new))));
    }
    errs
}
