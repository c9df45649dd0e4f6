//! Container validation (`validateContainerCommon` and friends in
//! `pkg/apis/core/validation/validation.go`).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvFromSource, EnvVar, ObjectFieldSelector, ResourceFieldSelector,
    Volume, VolumeDevice, VolumeMount,
};

use super::common::{
    config_key_problems, dns_label, dns_subdomain, env_var_name_problems, local_descending_path,
    port_name_problems, port_num, push_problems, qualified_name,
};
use super::field::{
    duplicate, forbidden, invalid, invalid_num, not_found, not_supported, required, Errs, Path,
};
use super::handlers::{lifecycle, probe};
use super::resources::{resources, security_context};
use crate::meta::is_dns1123_subdomain;

pub const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

/// Names of the pod's volumes, with the volume (if any: StatefulSet claim templates have none).
pub type VolumeMap<'a> = BTreeMap<&'a str, Option<&'a Volume>>;

/// Which list a container is in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Regular,
    Init,
}

/// `validateContainerCommon`: everything checked for any container.
pub fn common(
    c: &Container,
    vols: &VolumeMap<'_>,
    path: &Path,
    pod_restart: &str,
    errs: &mut Errs,
) {
    let name_path = path.child("name");
    if c.name.is_empty() {
        errs.push(required(&name_path));
    } else {
        dns_label(errs, &name_path, &c.name);
    }
    if c.image.as_deref().is_none_or(str::is_empty) {
        errs.push(required(&path.child("image")));
    }
    match c.termination_message_policy.as_deref() {
        Some("File" | "FallbackToLogsOnError") => {}
        None | Some("") => errs.push(required(&path.child("terminationMessagePolicy"))),
        Some(other) => errs.push(not_supported(
            &path.child("terminationMessagePolicy"),
            other,
            &["File", "FallbackToLogsOnError"],
        )),
    }
    ports(c.ports.as_deref().unwrap_or_default(), &path.child("ports"), errs);
    env(c.env.as_deref().unwrap_or_default(), &path.child("env"), errs);
    env_from(c.env_from.as_deref().unwrap_or_default(), &path.child("envFrom"), errs);
    let devices = c.volume_devices.as_deref().unwrap_or_default();
    let mounts = c.volume_mounts.as_deref().unwrap_or_default();
    volume_mounts(mounts, devices, vols, c, &path.child("volumeMounts"), errs);
    volume_devices(devices, mounts, vols, &path.child("volumeDevices"), errs);
    match c.image_pull_policy.as_deref() {
        Some("Always" | "IfNotPresent" | "Never") => {}
        None | Some("") => errs.push(required(&path.child("imagePullPolicy"))),
        Some(other) => errs.push(not_supported(
            &path.child("imagePullPolicy"),
            other,
            &["Always", "IfNotPresent", "Never"],
        )),
    }
    resources(c.resources.as_ref(), &path.child("resources"), errs);
    resize_policy(c, &path.child("resizePolicy"), pod_restart, errs);
    security_context(c.security_context.as_ref(), &path.child("securityContext"), errs);
}

/// The probe/lifecycle/restartPolicy rules that differ between regular and init containers.
pub fn kind_specific(c: &Container, kind: Kind, grace: Option<i64>, path: &Path, errs: &mut Errs) {
    let sidecar = kind == Kind::Init && c.restart_policy.as_deref() == Some("Always");
    match kind {
        Kind::Regular => {
            if c.restart_policy.is_some() {
                errs.push(forbidden(
                    &path.child("restartPolicy"),
                    "may not be set for non-init containers",
                ));
            }
        }
        Kind::Init => {
            if let Some(rp) = c.restart_policy.as_deref() {
                if rp != "Always" {
                    errs.push(not_supported(&path.child("restartPolicy"), rp, &["Always"]));
                }
            }
        }
    }
    if kind == Kind::Regular || sidecar {
        if let Some(l) = &c.lifecycle {
            lifecycle(l, grace, &path.child("lifecycle"), errs);
        }
        if let Some(p) = &c.liveness_probe {
            probe(p, &path.child("livenessProbe"), errs);
            if p.success_threshold.unwrap_or(0) != 1 {
                errs.push(invalid_num(
                    &path.child("livenessProbe").child("successThreshold"),
                    i64::from(p.success_threshold.unwrap_or(0)),
                    "must be 1",
                ));
            }
        }
        if let Some(p) = &c.readiness_probe {
            probe(p, &path.child("readinessProbe"), errs);
            if let Some(t) = p.termination_grace_period_seconds {
                errs.push(invalid_num(
                    &path.child("readinessProbe").child("terminationGracePeriodSeconds"),
                    t,
                    "must not be set for readinessProbes",
                ));
            }
        }
        if let Some(p) = &c.startup_probe {
            probe(p, &path.child("startupProbe"), errs);
            if p.success_threshold.unwrap_or(0) != 1 {
                errs.push(invalid_num(
                    &path.child("startupProbe").child("successThreshold"),
                    i64::from(p.success_threshold.unwrap_or(0)),
                    "must be 1",
                ));
            }
        }
    } else {
        let msg = "may not be set for init containers without restartPolicy=Always";
        if c.lifecycle.is_some() {
            errs.push(forbidden(&path.child("lifecycle"), msg));
        }
        if c.liveness_probe.is_some() {
            errs.push(forbidden(&path.child("livenessProbe"), msg));
        }
        if c.readiness_probe.is_some() {
            errs.push(forbidden(&path.child("readinessProbe"), msg));
        }
        if c.startup_probe.is_some() {
            errs.push(forbidden(&path.child("startupProbe"), msg));
        }
    }
}

/// `AccumulateUniqueHostPorts`: host ports may not collide (protocol/hostIP/port).
pub fn host_port_conflicts(
    list: &[(&Container, Path)],
    seen: &mut BTreeSet<String>,
    errs: &mut Errs,
) {
    for (c, path) in list {
        for (i, p) in c.ports.iter().flatten().enumerate() {
            let hp = p.host_port.unwrap_or(0);
            if hp == 0 {
                continue;
            }
            let key = format!(
                "{}/{}/{hp}",
                p.protocol.as_deref().unwrap_or_default(),
                p.host_ip.as_deref().unwrap_or_default()
            );
            if !seen.insert(key.clone()) {
                errs.push(duplicate(&path.child("ports").index(i).child("hostPort"), &key));
            }
        }
    }
}

fn ports(ports: &[ContainerPort], path: &Path, errs: &mut Errs) {
    let mut names = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let ip = path.index(i);
        if let Some(name) = p.name.as_deref().filter(|n| !n.is_empty()) {
            let problems = port_name_problems(name);
            if !problems.is_empty() {
                push_problems(errs, &ip.child("name"), name, problems);
            } else if !names.insert(name) {
                errs.push(duplicate(&ip.child("name"), name));
            }
        }
        if p.container_port == 0 {
            errs.push(required(&ip.child("containerPort")));
        } else {
            port_num(errs, &ip.child("containerPort"), i64::from(p.container_port));
        }
        if let Some(hp) = p.host_port.filter(|h| *h != 0) {
            port_num(errs, &ip.child("hostPort"), i64::from(hp));
        }
        match p.protocol.as_deref() {
            None | Some("") => errs.push(required(&ip.child("protocol"))),
            Some(pr) if PROTOCOLS.contains(&pr) => {}
            Some(pr) => errs.push(not_supported(&ip.child("protocol"), pr, PROTOCOLS)),
        }
    }
}

const ENV_FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

const CONTAINER_RESOURCE_FIELDS: &[&str] = &[
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
];

fn env(vars: &[EnvVar], path: &Path, errs: &mut Errs) {
    for (i, ev) in vars.iter().enumerate() {
        let ip = path.index(i);
        if ev.name.is_empty() {
            errs.push(required(&ip.child("name")));
        } else {
            push_problems(errs, &ip.child("name"), &ev.name, env_var_name_problems(&ev.name));
        }
        let Some(from) = &ev.value_from else { continue };
        let fp = ip.child("valueFrom");
        let mut n = 0;
        if let Some(f) = &from.field_ref {
            n += 1;
            object_field_selector(f, ENV_FIELD_PATHS, &fp.child("fieldRef"), errs);
        }
        if let Some(r) = &from.resource_field_ref {
            n += 1;
            resource_field_selector(r, false, &fp.child("resourceFieldRef"), errs);
        }
        if let Some(s) = &from.config_map_key_ref {
            n += 1;
            key_selector(&s.name, &s.key, &fp.child("configMapKeyRef"), errs);
        }
        if let Some(s) = &from.secret_key_ref {
            n += 1;
            key_selector(&s.name, &s.key, &fp.child("secretKeyRef"), errs);
        }
        if let Some(f) = &from.file_key_ref {
            n += 1;
            if f.key.is_empty() {
                errs.push(required(&fp.child("fileKeyRef").child("key")));
            }
            if f.volume_name.is_empty() {
                errs.push(required(&fp.child("fileKeyRef").child("volumeName")));
            }
        }
        if n == 0 {
            errs.push(invalid(
                &fp,
                "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            ));
        } else if ev.value.as_deref().is_some_and(|v| !v.is_empty()) {
            errs.push(invalid(&fp, "", "may not be specified when `value` is not empty"));
        } else if n > 1 {
            errs.push(invalid(&fp, "", "may not have more than one field specified at a time"));
        }
    }
}

/// `validateObjectFieldSelector`.
pub fn object_field_selector(
    f: &ObjectFieldSelector,
    supported: &[&str],
    path: &Path,
    errs: &mut Errs,
) {
    if f.api_version.as_deref().is_none_or(str::is_empty) {
        errs.push(required(&path.child("apiVersion")));
        return;
    }
    if f.field_path.is_empty() {
        errs.push(required(&path.child("fieldPath")));
        return;
    }
    if let Some((base, rest)) = f.field_path.split_once('[') {
        let Some(sub) = rest.strip_suffix(']').map(|s| s.trim_matches('\'')) else {
            errs.push(invalid(
                &path.child("fieldPath"),
                &f.field_path,
                "error converting fieldPath: field label not supported",
            ));
            return;
        };
        match base {
            "metadata.annotations" => qualified_name(errs, path, &sub.to_lowercase()),
            "metadata.labels" => qualified_name(errs, path, sub),
            other => errs.push(invalid(path, other, "does not support subscript")),
        }
    } else if !supported.contains(&f.field_path.as_str()) {
        errs.push(not_supported(&path.child("fieldPath"), &f.field_path, supported));
    }
}

/// `validateContainerResourceFieldSelector`.
pub fn resource_field_selector(
    r: &ResourceFieldSelector,
    volume: bool,
    path: &Path,
    errs: &mut Errs,
) {
    if volume && r.container_name.as_deref().is_none_or(str::is_empty) {
        errs.push(required(&path.child("containerName")));
    } else if r.resource.is_empty() {
        errs.push(required(&path.child("resource")));
    } else if !CONTAINER_RESOURCE_FIELDS.contains(&r.resource.as_str())
        && !r.resource.starts_with("requests.hugepages-")
        && !r.resource.starts_with("limits.hugepages-")
    {
        errs.push(not_supported(&path.child("resource"), &r.resource, CONTAINER_RESOURCE_FIELDS));
    }
}

fn key_selector(name: &str, key: &str, path: &Path, errs: &mut Errs) {
    if let Some(p) = is_dns1123_subdomain(name) {
        errs.push(invalid(&path.child("name"), name, p));
    }
    if key.is_empty() {
        errs.push(required(&path.child("key")));
    } else {
        push_problems(errs, &path.child("key"), key, config_key_problems(key));
    }
}

fn env_from(list: &[EnvFromSource], path: &Path, errs: &mut Errs) {
    for (i, ef) in list.iter().enumerate() {
        let ip = path.index(i);
        if let Some(prefix) = ef.prefix.as_deref().filter(|p| !p.is_empty()) {
            push_problems(errs, &ip.child("prefix"), prefix, env_var_name_problems(prefix));
        }
        let mut n = 0;
        if let Some(c) = &ef.config_map_ref {
            n += 1;
            ref_name(&c.name, &ip.child("configMapRef").child("name"), errs);
        }
        if let Some(s) = &ef.secret_ref {
            n += 1;
            ref_name(&s.name, &ip.child("secretRef").child("name"), errs);
        }
        if n == 0 {
            errs.push(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"));
        } else if n > 1 {
            errs.push(invalid(path, "", "may not have more than one field specified at a time"));
        }
    }
}

fn ref_name(name: &str, path: &Path, errs: &mut Errs) {
    if name.is_empty() {
        errs.push(required(path));
    } else {
        dns_subdomain(errs, path, name);
    }
}

fn volume_mounts(
    mounts: &[VolumeMount],
    devices: &[VolumeDevice],
    vols: &VolumeMap<'_>,
    c: &Container,
    path: &Path,
    errs: &mut Errs,
) {
    let mut mount_points = BTreeSet::new();
    for (i, m) in mounts.iter().enumerate() {
        let ip = path.index(i);
        if m.name.is_empty() {
            errs.push(required(&ip.child("name")));
        }
        if !vols.contains_key(m.name.as_str()) {
            errs.push(not_found(&ip.child("name"), &m.name));
        }
        if m.mount_path.is_empty() {
            errs.push(required(&ip.child("mountPath")));
        }
        if !mount_points.insert(m.mount_path.as_str()) {
            errs.push(invalid(&ip.child("mountPath"), &m.mount_path, "must be unique"));
        }
        if devices.iter().any(|d| d.name == m.name) {
            errs.push(invalid(
                &ip.child("name"),
                &m.name,
                "must not already exist in volumeDevices",
            ));
        }
        if devices.iter().any(|d| d.device_path == m.mount_path) {
            errs.push(invalid(
                &ip.child("mountPath"),
                &m.mount_path,
                "must not already exist as a path in volumeDevices",
            ));
        }
        let sub_path = m.sub_path.as_deref().unwrap_or_default();
        let sub_path_expr = m.sub_path_expr.as_deref().unwrap_or_default();
        if let Some(Some(v)) = vols.get(m.name.as_str()) {
            if v.image.is_some() {
                if !sub_path.is_empty() {
                    errs.push(invalid(
                        &ip.child("subPath"),
                        sub_path,
                        "not allowed in image volume sources",
                    ));
                }
                if !sub_path_expr.is_empty() {
                    errs.push(invalid(
                        &ip.child("subPathExpr"),
                        sub_path_expr,
                        "not allowed in image volume sources",
                    ));
                }
            }
        }
        if !sub_path.is_empty() {
            local_descending_path(errs, &path.child("subPath"), sub_path);
        }
        if !sub_path_expr.is_empty() {
            if !sub_path.is_empty() {
                errs.push(invalid(
                    &ip.child("subPathExpr"),
                    sub_path_expr,
                    "subPathExpr and subPath are mutually exclusive",
                ));
            }
            local_descending_path(errs, &path.child("subPathExpr"), sub_path_expr);
        }
        if let Some(mp) = m.mount_propagation.as_deref() {
            let pp = path.child("mountPropagation");
            match mp {
                "None" | "HostToContainer" => {}
                "Bidirectional" => {
                    let privileged =
                        c.security_context.as_ref().and_then(|s| s.privileged).unwrap_or(false);
                    if !privileged {
                        errs.push(forbidden(
                            &pp,
                            "Bidirectional mount propagation is available only to privileged containers",
                        ));
                    }
                }
                other => errs.push(not_supported(
                    &pp,
                    other,
                    &["Bidirectional", "HostToContainer", "None"],
                )),
            }
        }
        if let Some(rro) = m.recursive_read_only.as_deref() {
            let rp = path.child("recursiveReadOnly");
            match rro {
                "Disabled" => {}
                "Enabled" | "IfPossible" => {
                    if !m.read_only.unwrap_or(false) {
                        errs.push(forbidden(&rp, "may only be specified when readOnly is true"));
                    }
                }
                other => {
                    errs.push(not_supported(&rp, other, &["Disabled", "Enabled", "IfPossible"]))
                }
            }
        }
    }
}

fn volume_devices(
    devices: &[VolumeDevice],
    mounts: &[VolumeMount],
    vols: &VolumeMap<'_>,
    path: &Path,
    errs: &mut Errs,
) {
    let mut paths = BTreeSet::new();
    let mut names = BTreeSet::new();
    for (i, d) in devices.iter().enumerate() {
        let ip = path.index(i);
        if d.name.is_empty() {
            errs.push(required(&ip.child("name")));
        }
        if !names.insert(d.name.as_str()) {
            errs.push(invalid(&ip.child("name"), &d.name, "must be unique"));
        }
        match vols.get(d.name.as_str()) {
            None => errs.push(not_found(&ip.child("name"), &d.name)),
            Some(Some(v)) if v.persistent_volume_claim.is_none() && v.ephemeral.is_none() => {
                errs.push(invalid(
                    &ip.child("name"),
                    &d.name,
                    "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode",
                ));
            }
            Some(_) => {}
        }
        if d.device_path.is_empty() {
            errs.push(required(&ip.child("devicePath")));
        }
        if !paths.insert(d.device_path.as_str()) {
            errs.push(invalid(&ip.child("devicePath"), &d.device_path, "must be unique"));
        }
        if d.device_path.split('/').any(|p| p == "..") {
            errs.push(invalid(
                &ip.child("devicePath"),
                &d.device_path,
                "can not contain backsteps ('..')",
            ));
        }
        if mounts.iter().any(|m| m.name == d.name) {
            errs.push(invalid(
                &ip.child("name"),
                &d.name,
                "must not already exist in volumeMounts",
            ));
        }
        if mounts.iter().any(|m| m.mount_path == d.device_path) {
            errs.push(invalid(
                &ip.child("devicePath"),
                &d.device_path,
                "must not already exist as a path in volumeMounts",
            ));
        }
    }
}

fn resize_policy(c: &Container, path: &Path, pod_restart: &str, errs: &mut Errs) {
    let mut seen = BTreeSet::new();
    for (i, p) in c.resize_policy.iter().flatten().enumerate() {
        if !seen.insert(p.resource_name.as_str()) {
            errs.push(duplicate(&path.index(i), &p.resource_name));
        }
        match p.resource_name.as_str() {
            "cpu" | "memory" => {}
            "" => errs.push(required(path)),
            other => errs.push(not_supported(path, other, &["cpu", "memory"])),
        }
        match p.restart_policy.as_str() {
            "NotRequired" | "RestartContainer" => {}
            "" => errs.push(required(path)),
            other => errs.push(not_supported(path, other, &["NotRequired", "RestartContainer"])),
        }
        if pod_restart == "Never" && p.restart_policy != "NotRequired" {
            errs.push(invalid(
                path,
                &p.restart_policy,
                "must be 'NotRequired' when `restartPolicy` is 'Never'",
            ));
        }
    }
}
