//! Pod spec validation (`ValidatePodSpec`, `ValidatePodTemplateSpec`, `ValidatePodCreate`,
//! `ValidatePodUpdate`).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{
    Container, PodSpec, PodTemplateSpec, Toleration, TopologySpreadConstraint,
};

use super::common::{
    annotations, dns_label, dns_subdomain, ip, label_selector, labels, qualified_name,
};
use super::container::{self, Kind, VolumeMap};
use super::field::{
    duplicate, forbidden, invalid, invalid_num, not_supported, required, required_msg, Errs, Path,
};
use super::resources::{self, id_range, PROFILE_TYPES};
use super::volume;
use crate::meta::{is_dns1123_subdomain, label_value_problem, qualified_name_problem};

/// Where a pod spec lives, which changes a few rules.
#[derive(Clone, Copy, Default)]
pub struct SpecOpts<'a> {
    /// The spec is a Pod's (not a template's).
    pub is_pod: bool,
    /// Extra volume names that mounts may refer to (StatefulSet claim templates).
    pub extra_volumes: &'a [String],
}

const RESTART_POLICIES: &[&str] = &["Always", "OnFailure", "Never"];
const DNS_POLICIES: &[&str] = &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];

/// `ValidatePodSpec`.
pub fn spec(spec: &PodSpec, path: &Path, opts: SpecOpts<'_>, errs: &mut Errs) {
    if spec.termination_grace_period_seconds.is_none() {
        errs.push(required(&path.child("terminationGracePeriodSeconds")));
    }
    let grace = spec.termination_grace_period_seconds;
    let restart = spec.restart_policy.as_deref().unwrap_or_default();

    let vol_list = spec.volumes.as_deref().unwrap_or_default();
    let mut vols: VolumeMap<'_> = volume::volumes(vol_list, &path.child("volumes"), errs);
    for extra in opts.extra_volumes {
        vols.entry(extra.as_str()).or_insert(None);
    }

    let mut claim_names = BTreeSet::new();
    for (i, c) in spec.resource_claims.iter().flatten().enumerate() {
        let cp = path.child("resourceClaims").index(i);
        if c.name.is_empty() {
            errs.push(required(&cp.child("name")));
        } else if !claim_names.insert(c.name.as_str()) {
            errs.push(duplicate(&cp.child("name"), &c.name));
        } else {
            dns_label(errs, &cp.child("name"), &c.name);
        }
    }

    // regular containers
    let cpath = path.child("containers");
    let mut names = BTreeSet::new();
    if spec.containers.is_empty() {
        errs.push(required(&cpath));
    }
    let mut regular: Vec<(&Container, Path)> = Vec::new();
    for (i, c) in spec.containers.iter().enumerate() {
        let p = cpath.index(i);
        container::common(c, &vols, &p, restart, errs);
        if !names.insert(c.name.as_str()) {
            errs.push(duplicate(&p.child("name"), &c.name));
        }
        container::kind_specific(c, Kind::Regular, grace, &p, errs);
        regular.push((c, p));
    }
    container::host_port_conflicts(&regular, &mut BTreeSet::new(), errs);

    // init containers
    let ipath = path.child("initContainers");
    for (i, c) in spec.init_containers.iter().flatten().enumerate() {
        let p = ipath.index(i);
        container::common(c, &vols, &p, restart, errs);
        if names.contains(c.name.as_str()) {
            errs.push(duplicate(&p.child("name"), &c.name));
        } else if !c.name.is_empty() {
            names.insert(c.name.as_str());
        }
        container::host_port_conflicts(&[(c, ipath.index(0))], &mut BTreeSet::new(), errs);
        container::kind_specific(c, Kind::Init, grace, &p, errs);
    }

    host_network_ports(spec, path, opts.is_pod, errs);

    match restart {
        "" => errs.push(required(&path.child("restartPolicy"))),
        r if RESTART_POLICIES.contains(&r) => {}
        r => errs.push(not_supported(&path.child("restartPolicy"), r, RESTART_POLICIES)),
    }
    let dns_policy = spec.dns_policy.as_deref().unwrap_or_default();
    match dns_policy {
        "" => errs.push(required(&path.child("dnsPolicy"))),
        d if DNS_POLICIES.contains(&d) => {}
        d => errs.push(not_supported(&path.child("dnsPolicy"), d, DNS_POLICIES)),
    }
    labels(errs, &path.child("nodeSelector"), spec.node_selector.as_ref());
    security_context(spec, path, errs);
    dns_config(spec, dns_policy, &path.child("dnsConfig"), errs);
    for (i, g) in spec.readiness_gates.iter().flatten().enumerate() {
        qualified_name(
            errs,
            &path.child("readinessGates").index(i).child("conditionType"),
            &g.condition_type,
        );
    }
    let mut gates = BTreeSet::new();
    for (i, g) in spec.scheduling_gates.iter().flatten().enumerate() {
        let gp = path.child("schedulingGates").index(i);
        qualified_name(errs, &gp, &g.name);
        if !gates.insert(g.name.as_str()) {
            errs.push(duplicate(&gp, &g.name));
        }
    }
    topology_spread(
        spec.topology_spread_constraints.as_deref().unwrap_or_default(),
        &path.child("topologySpreadConstraints"),
        errs,
    );
    if let Some(sa) = spec.service_account_name.as_deref().filter(|s| !s.is_empty()) {
        dns_subdomain(errs, &path.child("serviceAccountName"), sa);
    }
    if let Some(n) = spec.node_name.as_deref().filter(|s| !s.is_empty()) {
        dns_subdomain(errs, &path.child("nodeName"), n);
    }
    if let Some(ads) = spec.active_deadline_seconds {
        if !(1..=i64::from(i32::MAX)).contains(&ads) {
            errs.push(invalid_num(
                &path.child("activeDeadlineSeconds"),
                ads,
                "must be between 1 and 2147483647, inclusive",
            ));
        }
    }
    if let Some(h) = spec.hostname.as_deref().filter(|s| !s.is_empty()) {
        dns_label(errs, &path.child("hostname"), h);
    }
    if let Some(s) = spec.subdomain.as_deref().filter(|s| !s.is_empty()) {
        dns_label(errs, &path.child("subdomain"), s);
    }
    tolerations(spec.tolerations.as_deref().unwrap_or_default(), &path.child("tolerations"), errs);
    for (i, ha) in spec.host_aliases.iter().flatten().enumerate() {
        let hp = path.child("hostAliases").index(i);
        ip(errs, &hp.child("ip"), &ha.ip);
        for (j, h) in ha.hostnames.iter().flatten().enumerate() {
            dns_subdomain(errs, &hp.child("hostnames").index(j), h);
        }
    }
    if let Some(pc) = spec.priority_class_name.as_deref().filter(|s| !s.is_empty()) {
        dns_subdomain(errs, &path.child("priorityClassName"), pc);
    }
    if let Some(rc) = spec.runtime_class_name.as_deref() {
        dns_subdomain(errs, &path.child("runtimeClassName"), rc);
    }
    if let Some(pp) = spec.preemption_policy.as_deref() {
        preemption_policy(pp, &path.child("preemptionPolicy"), errs);
    }
    for (name, q) in spec.overhead.iter().flatten() {
        resources::quantity_value(name, q, &path.child("overhead").key(name), errs);
    }
    if let Some(os) = &spec.os {
        if os.name.is_empty() {
            errs.push(required(&path.child("os").child("name")));
        } else if os.name != "linux" && os.name != "windows" {
            errs.push(not_supported(&path.child("os"), &os.name, &["linux", "windows"]));
        }
    }
    if spec.host_users == Some(false) {
        for (set, name) in [
            (spec.host_network, "hostNetwork"),
            (spec.host_pid, "HostPID"),
            (spec.host_ipc, "HostIPC"),
        ] {
            if set == Some(true) {
                errs.push(forbidden(&path.child(name), "when `pod.Spec.HostUsers` is false"));
            }
        }
    }
}

/// `ValidatePreemptionPolicy`.
pub fn preemption_policy(pp: &str, path: &Path, errs: &mut Errs) {
    match pp {
        "PreemptLowerPriority" | "Never" => {}
        "" => errs.push(required(path)),
        other => errs.push(not_supported(path, other, &["PreemptLowerPriority", "Never"])),
    }
}

fn host_network_ports(spec: &PodSpec, path: &Path, is_pod: bool, errs: &mut Errs) {
    if spec.host_network != Some(true) {
        return;
    }
    for (i, c) in spec.containers.iter().enumerate() {
        for (j, p) in c.ports.iter().flatten().enumerate() {
            let hp = p.host_port.unwrap_or(0);
            if (is_pod || hp != 0) && hp != p.container_port {
                errs.push(invalid_num(
                    &path.child("containers").index(i).child("ports").index(j).child("hostPort"),
                    i64::from(hp),
                    "must match `containerPort` when `hostNetwork` is true",
                ));
            }
        }
    }
}

fn security_context(spec: &PodSpec, path: &Path, errs: &mut Errs) {
    let Some(sc) = &spec.security_context else { return };
    let p = path.child("securityContext");
    if let Some(g) = sc.fs_group {
        id_range(g, &p.child("fsGroup"), errs);
    }
    if let Some(u) = sc.run_as_user {
        id_range(u, &p.child("runAsUser"), errs);
    }
    if let Some(g) = sc.run_as_group {
        id_range(g, &p.child("runAsGroup"), errs);
    }
    for (i, g) in sc.supplemental_groups.iter().flatten().enumerate() {
        id_range(*g, &p.child("supplementalGroups").index(i), errs);
    }
    if spec.share_process_namespace == Some(true) && spec.host_pid == Some(true) {
        errs.push(super::field::invalid_raw(
            &p.child("shareProcessNamespace"),
            "true",
            "ShareProcessNamespace and HostPID cannot both be enabled",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, s) in sc.sysctls.iter().flatten().enumerate() {
        let np = p.child("sysctls").index(i).child("name");
        if s.name.is_empty() {
            errs.push(required(&np));
        } else if !valid_sysctl(&s.name) {
            errs.push(invalid(
                &np,
                &s.name,
                "must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$",
            ));
        } else if !seen.insert(s.name.as_str()) {
            errs.push(duplicate(&np, &s.name));
        }
    }
    if let Some(f) = sc.fs_group_change_policy.as_deref() {
        if f != "Always" && f != "OnRootMismatch" {
            errs.push(not_supported(
                &p.child("fsGroupChangePolicy"),
                f,
                &["Always", "OnRootMismatch"],
            ));
        }
    }
    if let Some(sp) = &sc.seccomp_profile {
        resources::profile(
            "seccomp",
            &sp.type_,
            sp.localhost_profile.as_deref(),
            PROFILE_TYPES,
            &p.child("seccompProfile"),
            errs,
        );
    }
    if let Some(ap) = &sc.app_armor_profile {
        resources::profile(
            "AppArmor",
            &ap.type_,
            ap.localhost_profile.as_deref(),
            PROFILE_TYPES,
            &p.child("appArmorProfile"),
            errs,
        );
    }
    if let Some(s) = sc.supplemental_groups_policy.as_deref() {
        if s != "Merge" && s != "Strict" {
            errs.push(not_supported(&p.child("supplementalGroupsPolicy"), s, &["Merge", "Strict"]));
        }
    }
    if let Some(s) = sc.se_linux_change_policy.as_deref() {
        if s != "MountOption" && s != "Recursive" {
            errs.push(not_supported(
                &p.child("seLinuxChangePolicy"),
                s,
                &["MountOption", "Recursive"],
            ));
        }
    }
}

fn valid_sysctl(name: &str) -> bool {
    if name.len() > 253 {
        return false;
    }
    name.split(['.', '/']).all(|seg| {
        !seg.is_empty()
            && seg
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && seg.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && seg.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

fn dns_config(spec: &PodSpec, policy: &str, path: &Path, errs: &mut Errs) {
    let cfg = spec.dns_config.as_ref();
    if policy == "None" {
        match cfg {
            None => {
                errs.push(required_msg(path, "must provide `dnsConfig` when `dnsPolicy` is None"));
                return;
            }
            Some(c) if c.nameservers.as_ref().is_none_or(Vec::is_empty) => {
                errs.push(required_msg(
                    &path.child("nameservers"),
                    "must provide at least one DNS nameserver when `dnsPolicy` is None",
                ));
                return;
            }
            Some(_) => {}
        }
    }
    let Some(cfg) = cfg else { return };
    let ns = cfg.nameservers.as_deref().unwrap_or_default();
    if ns.len() > 3 {
        errs.push(super::common::invalid_json(
            &path.child("nameservers"),
            &ns,
            "must not have more than 3 nameservers",
        ));
    }
    for (i, n) in ns.iter().enumerate() {
        ip(errs, &path.child("nameservers").index(i), n);
    }
    let searches = cfg.searches.as_deref().unwrap_or_default();
    if searches.len() > 32 {
        errs.push(super::common::invalid_json(
            &path.child("searches"),
            &searches,
            "must not have more than 32 search paths",
        ));
    }
    if searches.join(" ").len() > 2048 {
        errs.push(super::common::invalid_json(
            &path.child("searches"),
            &searches,
            "must not have more than 2048 characters (including spaces) in the search list",
        ));
    }
    for (i, s) in searches.iter().enumerate() {
        if s == "." {
            continue;
        }
        let trimmed = s.strip_suffix('.').unwrap_or(s);
        // RelaxedDNSSearchValidation: underscores are allowed
        if is_dns1123_subdomain(&trimmed.replace('_', "a")).is_some() {
            errs.push(invalid(
                &path.child("searches").index(i),
                trimmed,
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9_]([-a-z0-9_]*[a-z0-9_])?(\\.[a-z0-9_]([-a-z0-9_]*[a-z0-9_])?)*')",
            ));
        }
    }
    for (i, o) in cfg.options.iter().flatten().enumerate() {
        if o.name.as_deref().is_none_or(str::is_empty) {
            errs.push(required_msg(&path.child("options").index(i), "must not be empty"));
        }
    }
}

/// `ValidateTolerations`.
pub fn tolerations(list: &[Toleration], path: &Path, errs: &mut Errs) {
    for (i, t) in list.iter().enumerate() {
        let tp = path.index(i);
        let key = t.key.as_deref().unwrap_or_default();
        let op = t.operator.as_deref().unwrap_or_default();
        let value = t.value.as_deref().unwrap_or_default();
        let effect = t.effect.as_deref().unwrap_or_default();
        if !key.is_empty() {
            qualified_name(errs, &tp.child("key"), key);
        }
        if key.is_empty() && op != "Exists" {
            errs.push(invalid(
                &tp.child("operator"),
                op,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if t.toleration_seconds.is_some() && effect != "NoExecute" {
            errs.push(invalid(
                &tp.child("effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match op {
            "Equal" | "" => {
                if let Some(p) = label_value_problem(value) {
                    errs.push(invalid(&tp.child("operator"), value, p));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    errs.push(invalid(
                        &tp.child("operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            other => errs.push(not_supported(&tp.child("operator"), other, &["Equal", "Exists"])),
        }
        if !effect.is_empty() {
            taint_effect(effect, &tp.child("effect"), errs);
        }
    }
}

pub fn taint_effect(effect: &str, path: &Path, errs: &mut Errs) {
    const EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];
    if !EFFECTS.contains(&effect) {
        errs.push(not_supported(path, effect, EFFECTS));
    }
}

fn topology_spread(list: &[TopologySpreadConstraint], path: &Path, errs: &mut Errs) {
    let mut seen = BTreeSet::new();
    for (i, c) in list.iter().enumerate() {
        let cp = path.index(i);
        if c.max_skew <= 0 {
            errs.push(invalid_num(
                &cp.child("maxSkew"),
                i64::from(c.max_skew),
                "must be greater than zero",
            ));
        }
        if c.topology_key.is_empty() {
            errs.push(required_msg(&cp.child("topologyKey"), "can not be empty"));
        } else if let Some(p) = qualified_name_problem(&c.topology_key) {
            errs.push(invalid(&cp.child("topologyKey"), &c.topology_key, p));
        }
        let wu = c.when_unsatisfiable.as_str();
        if wu != "DoNotSchedule" && wu != "ScheduleAnyway" {
            errs.push(not_supported(
                &cp.child("whenUnsatisfiable"),
                wu,
                &["DoNotSchedule", "ScheduleAnyway"],
            ));
        }
        let key = format!("{{{}, {}}}", c.topology_key, wu);
        if !seen.insert(key.clone()) {
            errs.push(duplicate(&cp.child("{topologyKey, whenUnsatisfiable}"), &key));
        }
        if let Some(md) = c.min_domains {
            if md <= 0 {
                errs.push(invalid_num(
                    &cp.child("minDomains"),
                    i64::from(md),
                    "must be greater than 0",
                ));
            } else if wu != "DoNotSchedule" {
                errs.push(invalid_num(
                    &cp.child("minDomains"),
                    i64::from(md),
                    &format!("can only use minDomains if whenUnsatisfiable=DoNotSchedule, current value: {wu}"),
                ));
            }
        }
        for (name, v) in [
            ("nodeAffinityPolicy", &c.node_affinity_policy),
            ("nodeTaintsPolicy", &c.node_taints_policy),
        ] {
            if let Some(v) = v.as_deref() {
                if v != "Honor" && v != "Ignore" {
                    errs.push(not_supported(&cp.child(name), v, &["Honor", "Ignore"]));
                }
            }
        }
        if let Some(sel) = &c.label_selector {
            label_selector(errs, &cp.child("labelSelector"), sel);
        }
    }
}

/// `ValidatePodTemplateSpec`.
pub fn template(t: &PodTemplateSpec, path: &Path, extra_volumes: &[String], errs: &mut Errs) {
    let meta = t.metadata.as_ref();
    labels(errs, &path.child("labels"), meta.and_then(|m| m.labels.as_ref()));
    annotations(errs, &path.child("annotations"), meta.and_then(|m| m.annotations.as_ref()));
    let default_spec = PodSpec::default();
    let s = t.spec.as_ref().unwrap_or(&default_spec);
    spec(s, &path.child("spec"), SpecOpts { is_pod: false, extra_volumes }, errs);
    if s.ephemeral_containers.as_ref().is_some_and(|e| !e.is_empty()) {
        errs.push(forbidden(
            &path.child("spec").child("ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
}

/// Template labels, or `None`.
pub fn template_labels(t: &PodTemplateSpec) -> Option<&BTreeMap<String, String>> {
    t.metadata.as_ref().and_then(|m| m.labels.as_ref())
}
