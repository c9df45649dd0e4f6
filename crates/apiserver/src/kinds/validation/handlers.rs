//! Probe and lifecycle handler validation (`validateProbe`, `validateHandler`).

use k8s_openapi::api::core::v1::{HTTPGetAction, Lifecycle, LifecycleHandler, Probe};

use super::common::{port_num, port_num_or_name};
use super::field::{
    forbidden, invalid, invalid_num, nonnegative, not_supported, required, required_msg, Errs, Path,
};

/// `validateProbe`: one handler, non-negative numbers.
pub fn probe(p: &Probe, path: &Path, errs: &mut Errs) {
    let handlers: [(&str, bool); 4] = [
        ("exec", p.exec.is_some()),
        ("httpGet", p.http_get.is_some()),
        ("tcpSocket", p.tcp_socket.is_some()),
        ("grpc", p.grpc.is_some()),
    ];
    handler_count(&handlers, path, errs);
    if let Some(e) = &p.exec {
        if e.command.as_ref().is_none_or(Vec::is_empty) {
            errs.push(required(&path.child("exec").child("command")));
        }
    }
    if let Some(h) = &p.http_get {
        http_get(h, &path.child("httpGet"), errs);
    }
    if let Some(t) = &p.tcp_socket {
        port_num_or_name(errs, &path.child("tcpSocket").child("port"), &t.port);
    }
    if let Some(g) = &p.grpc {
        port_num(errs, &path.child("grpc").child("port"), i64::from(g.port));
    }
    for (name, v) in [
        ("initialDelaySeconds", p.initial_delay_seconds),
        ("timeoutSeconds", p.timeout_seconds),
        ("periodSeconds", p.period_seconds),
        ("successThreshold", p.success_threshold),
        ("failureThreshold", p.failure_threshold),
    ] {
        nonnegative(&path.child(name), i64::from(v.unwrap_or(0)), errs);
    }
    if let Some(t) = p.termination_grace_period_seconds.filter(|t| *t <= 0) {
        errs.push(invalid_num(
            &path.child("terminationGracePeriodSeconds"),
            t,
            "must be greater than 0",
        ));
    }
}

fn handler_count(handlers: &[(&str, bool)], path: &Path, errs: &mut Errs) {
    let mut n = 0;
    for (name, set) in handlers {
        if *set {
            if n > 0 {
                errs.push(forbidden(&path.child(name), "may not specify more than 1 handler type"));
            }
            n += 1;
        }
    }
    if n == 0 {
        errs.push(required_msg(path, "must specify a handler type"));
    }
}

fn http_get(h: &HTTPGetAction, path: &Path, errs: &mut Errs) {
    if h.path.as_deref().is_none_or(str::is_empty) {
        errs.push(required(&path.child("path")));
    }
    port_num_or_name(errs, &path.child("port"), &h.port);
    let scheme = h.scheme.as_deref().unwrap_or_default();
    if scheme != "HTTP" && scheme != "HTTPS" {
        errs.push(not_supported(&path.child("scheme"), scheme, &["HTTP", "HTTPS"]));
    }
    for header in h.http_headers.iter().flatten() {
        let ok = !header.name.is_empty()
            && header.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            errs.push(invalid(
                &path.child("httpHeaders"),
                &header.name,
                "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')",
            ));
        }
    }
}

pub fn lifecycle(l: &Lifecycle, grace: Option<i64>, path: &Path, errs: &mut Errs) {
    if let Some(h) = &l.post_start {
        lifecycle_handler(h, grace, &path.child("postStart"), errs);
    }
    if let Some(h) = &l.pre_stop {
        lifecycle_handler(h, grace, &path.child("preStop"), errs);
    }
}

fn lifecycle_handler(h: &LifecycleHandler, grace: Option<i64>, path: &Path, errs: &mut Errs) {
    let handlers: [(&str, bool); 4] = [
        ("exec", h.exec.is_some()),
        ("httpGet", h.http_get.is_some()),
        ("tcpSocket", h.tcp_socket.is_some()),
        ("sleep", h.sleep.is_some()),
    ];
    handler_count(&handlers, path, errs);
    if let Some(e) = &h.exec {
        if e.command.as_ref().is_none_or(Vec::is_empty) {
            errs.push(required(&path.child("exec").child("command")));
        }
    }
    if let Some(g) = &h.http_get {
        http_get(g, &path.child("httpGet"), errs);
    }
    if let Some(t) = &h.tcp_socket {
        port_num_or_name(errs, &path.child("tcpSocket").child("port"), &t.port);
    }
    if let (Some(s), Some(g)) = (&h.sleep, grace) {
        if s.seconds < 0 || s.seconds > g {
            errs.push(invalid_num(
                &path.child("sleep"),
                s.seconds,
                &format!("must be non-negative and less than terminationGracePeriodSeconds ({g})"),
            ));
        }
    }
}
