//! Pod and pod template defaulting (`SetDefaults_PodSpec`, `SetDefaults_Container`,
//! `SetDefaults_Volume`, `SetDefaults_Probe`, ... in `pkg/apis/core/v1/defaults.go` and the
//! generated declarative defaults).

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, HTTPGetAction, Lifecycle, PersistentVolumeClaimSpec, Pod,
    PodSpec, PodTemplateSpec, Probe, Volume,
};

/// `v1.TerminationMessagePathDefault`.
pub const TERMINATION_MESSAGE_PATH: &str = "/dev/termination-log";
/// Default file mode of secret, config map, downward API and projected volumes (0644).
pub const DEFAULT_MODE: i32 = 0o644;

fn set_str(field: &mut Option<String>, value: &str) {
    if field.as_deref().is_none_or(str::is_empty) {
        *field = Some(value.to_string());
    }
}

/// The tag of an image reference, as `parsers.ParseImageName` reports it: `latest` when the
/// reference has neither tag nor digest.
pub fn image_tag(image: &str) -> Option<&str> {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last_segment_start = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_segment_start..].rfind(':') {
        Some(i) => Some(&name[last_segment_start + i + 1..]),
        None if digest.is_none() => Some("latest"),
        None => None,
    }
}

/// `Always` for `:latest` (or untagged, undigested) images, else `IfNotPresent`.
pub fn default_pull_policy(image: &str) -> &'static str {
    if !image.is_empty() && image_tag(image) == Some("latest") {
        "Always"
    } else {
        "IfNotPresent"
    }
}

fn probe(p: &mut Probe) {
    for (field, default) in [
        (&mut p.timeout_seconds, 1),
        (&mut p.period_seconds, 10),
        (&mut p.success_threshold, 1),
        (&mut p.failure_threshold, 3),
    ] {
        if field.is_none_or(|v| v == 0) {
            *field = Some(default);
        }
    }
    if let Some(h) = p.http_get.as_mut() {
        http_get(h);
    }
    if let Some(g) = p.grpc.as_mut() {
        g.service.get_or_insert_with(String::new);
    }
}

fn http_get(h: &mut HTTPGetAction) {
    set_str(&mut h.path, "/");
    set_str(&mut h.scheme, "HTTP");
}

fn lifecycle(l: &mut Lifecycle) {
    for handler in [l.post_start.as_mut(), l.pre_stop.as_mut()].into_iter().flatten() {
        if let Some(h) = handler.http_get.as_mut() {
            http_get(h);
        }
    }
}

fn ports(ports: &mut [ContainerPort]) {
    for p in ports {
        set_str(&mut p.protocol, "TCP");
    }
}

fn env(vars: &mut [EnvVar]) {
    for v in vars {
        if let Some(f) = v.value_from.as_mut().and_then(|vf| vf.field_ref.as_mut()) {
            set_str(&mut f.api_version, "v1");
        }
    }
}

/// `SetDefaults_Container` plus the nested defaults of its ports, env and probes.
pub fn container(c: &mut Container) {
    if c.image_pull_policy.as_deref().is_none_or(str::is_empty) {
        c.image_pull_policy =
            Some(default_pull_policy(c.image.as_deref().unwrap_or_default()).to_string());
    }
    set_str(&mut c.termination_message_path, TERMINATION_MESSAGE_PATH);
    set_str(&mut c.termination_message_policy, "File");
    ports(c.ports.as_deref_mut().unwrap_or_default());
    env(c.env.as_deref_mut().unwrap_or_default());
    for p in [c.liveness_probe.as_mut(), c.readiness_probe.as_mut(), c.startup_probe.as_mut()]
        .into_iter()
        .flatten()
    {
        probe(p);
    }
    if let Some(l) = c.lifecycle.as_mut() {
        lifecycle(l);
    }
    // a Go value struct: always serialized, as `resources: {}`
    c.resources.get_or_insert_with(Default::default);
}

/// `SetDefaults_PersistentVolumeClaimSpec`.
pub fn pvc_spec(spec: &mut PersistentVolumeClaimSpec) {
    set_str(&mut spec.volume_mode, "Filesystem");
}

/// `SetDefaults_Volume` and the defaults of each volume source.
pub fn volume(v: &mut Volume) {
    let has_source = v.aws_elastic_block_store.is_some()
        || v.azure_disk.is_some()
        || v.azure_file.is_some()
        || v.cephfs.is_some()
        || v.cinder.is_some()
        || v.config_map.is_some()
        || v.csi.is_some()
        || v.downward_api.is_some()
        || v.empty_dir.is_some()
        || v.ephemeral.is_some()
        || v.fc.is_some()
        || v.flex_volume.is_some()
        || v.flocker.is_some()
        || v.gce_persistent_disk.is_some()
        || v.git_repo.is_some()
        || v.glusterfs.is_some()
        || v.host_path.is_some()
        || v.image.is_some()
        || v.iscsi.is_some()
        || v.nfs.is_some()
        || v.persistent_volume_claim.is_some()
        || v.photon_persistent_disk.is_some()
        || v.portworx_volume.is_some()
        || v.projected.is_some()
        || v.quobyte.is_some()
        || v.rbd.is_some()
        || v.scale_io.is_some()
        || v.secret.is_some()
        || v.storageos.is_some()
        || v.vsphere_volume.is_some();
    if !has_source {
        v.empty_dir = Some(Default::default());
    }
    if let Some(img) = v.image.as_mut() {
        if img.pull_policy.as_deref().is_none_or(str::is_empty) {
            let tag = image_tag(img.reference.as_deref().unwrap_or_default());
            img.pull_policy =
                Some(if tag == Some("latest") { "Always" } else { "IfNotPresent" }.to_string());
        }
    }
    if let Some(hp) = v.host_path.as_mut() {
        hp.type_.get_or_insert_with(String::new);
    }
    if let Some(s) = v.secret.as_mut() {
        s.default_mode.get_or_insert(DEFAULT_MODE);
    }
    if let Some(c) = v.config_map.as_mut() {
        c.default_mode.get_or_insert(DEFAULT_MODE);
    }
    if let Some(d) = v.downward_api.as_mut() {
        d.default_mode.get_or_insert(DEFAULT_MODE);
        for item in d.items.iter_mut().flatten() {
            if let Some(f) = item.field_ref.as_mut() {
                set_str(&mut f.api_version, "v1");
            }
        }
    }
    if let Some(p) = v.projected.as_mut() {
        p.default_mode.get_or_insert(DEFAULT_MODE);
        for src in p.sources.iter_mut().flatten() {
            if let Some(d) = src.downward_api.as_mut() {
                for item in d.items.iter_mut().flatten() {
                    if let Some(f) = item.field_ref.as_mut() {
                        set_str(&mut f.api_version, "v1");
                    }
                }
            }
            if let Some(t) = src.service_account_token.as_mut() {
                t.expiration_seconds.get_or_insert(3600);
            }
        }
    }
    if let Some(e) = v.ephemeral.as_mut().and_then(|e| e.volume_claim_template.as_mut()) {
        pvc_spec(&mut e.spec);
    }
    if let Some(i) = v.iscsi.as_mut() {
        set_str(&mut i.iscsi_interface, "default");
    }
    if let Some(r) = v.rbd.as_mut() {
        set_str(&mut r.pool, "rbd");
        set_str(&mut r.user, "admin");
        set_str(&mut r.keyring, "/etc/ceph/keyring");
    }
    if let Some(a) = v.azure_disk.as_mut() {
        set_str(&mut a.caching_mode, "ReadWrite");
        set_str(&mut a.fs_type, "ext4");
        a.read_only.get_or_insert(false);
        set_str(&mut a.kind, "Shared");
    }
    if let Some(s) = v.scale_io.as_mut() {
        set_str(&mut s.storage_mode, "ThinProvisioned");
        set_str(&mut s.fs_type, "xfs");
    }
}

/// Restart policy defaulting is skipped for Job templates (so that a missing policy is reported
/// as missing rather than as `Always`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    DefaultAlways,
    Leave,
}

/// `SetDefaults_PodSpec` and everything nested: the defaults every PodSpec gets, whether in a
/// Pod or in a template.
pub fn default_pod_spec(spec: &mut PodSpec) {
    default_pod_spec_with(spec, RestartPolicy::DefaultAlways);
}

pub fn default_pod_spec_with(spec: &mut PodSpec, restart: RestartPolicy) {
    set_str(&mut spec.dns_policy, "ClusterFirst");
    if restart == RestartPolicy::DefaultAlways {
        set_str(&mut spec.restart_policy, "Always");
    }
    spec.security_context.get_or_insert_with(Default::default);
    spec.termination_grace_period_seconds.get_or_insert(30);
    set_str(&mut spec.scheduler_name, "default-scheduler");
    // v1 conversion keeps the deprecated `serviceAccount` in step with `serviceAccountName`
    if spec.service_account_name.as_deref().is_none_or(str::is_empty) {
        if let Some(sa) = spec.service_account.clone().filter(|s| !s.is_empty()) {
            spec.service_account_name = Some(sa);
        }
    }
    if let Some(name) = spec.service_account_name.clone().filter(|s| !s.is_empty()) {
        spec.service_account = Some(name);
    }
    for v in spec.volumes.iter_mut().flatten() {
        volume(v);
    }
    for c in spec.init_containers.iter_mut().flatten().chain(spec.containers.iter_mut()) {
        container(c);
    }
    if let Some(ecs) = spec.ephemeral_containers.as_mut() {
        for ec in ecs.iter_mut() {
            // same shape as a Container; default it as one
            let Ok(mut c) =
                serde_json::to_value(&*ec).and_then(serde_json::from_value::<Container>)
            else {
                continue;
            };
            container(&mut c);
            if let Ok(defaulted) = serde_json::to_value(&c).and_then(serde_json::from_value) {
                let target = ec.target_container_name.take();
                *ec = defaulted;
                ec.target_container_name = target;
            }
        }
    }
}

/// Defaults of a pod template (`SetObjectDefaults_PodTemplate` and the workload templates).
pub fn template(t: &mut PodTemplateSpec, restart: RestartPolicy) {
    default_pod_spec_with(t.spec.get_or_insert_with(Default::default), restart);
}

/// `SetDefaults_Pod`: the template defaults plus those only Pods get.
pub fn pod(pod: &mut Pod) {
    let spec = pod.spec.get_or_insert_with(Default::default);
    // limits become requests when requests are absent (Pods only, not templates)
    for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
        let Some(res) = c.resources.as_mut() else { continue };
        let Some(limits) = res.limits.clone() else { continue };
        let requests = res.requests.get_or_insert_with(Default::default);
        for (k, v) in limits {
            requests.entry(k).or_insert(v);
        }
    }
    spec.enable_service_links.get_or_insert(true);
    if spec.host_network == Some(true) {
        for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
            for p in c.ports.iter_mut().flatten() {
                if p.host_port.is_none_or(|h| h == 0) {
                    p.host_port = Some(p.container_port);
                }
            }
        }
    }
    default_pod_spec(spec);
    // v1 conversion keeps podIP/podIPs and hostIP/hostIPs in step
    if let Some(status) = pod.status.as_mut() {
        let ips = status.pod_ips.get_or_insert_with(Vec::new);
        match (status.pod_ip.as_deref(), ips.first()) {
            (Some(ip), None) if !ip.is_empty() => {
                ips.push(k8s_openapi::api::core::v1::PodIP { ip: ip.to_string() })
            }
            (None | Some(""), Some(first)) => status.pod_ip = Some(first.ip.clone()),
            _ => {}
        }
        if ips.is_empty() {
            status.pod_ips = None;
        }
        let hips = status.host_ips.get_or_insert_with(Vec::new);
        match (status.host_ip.as_deref(), hips.first()) {
            (Some(ip), None) if !ip.is_empty() => {
                hips.push(k8s_openapi::api::core::v1::HostIP { ip: ip.to_string() })
            }
            (None | Some(""), Some(first)) => status.host_ip = Some(first.ip.clone()),
            _ => {}
        }
        if hips.is_empty() {
            status.host_ips = None;
        }
    }
}
