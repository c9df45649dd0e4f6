//! Kubernetes' defaulting for each kind (`SetDefaults_*` in `pkg/apis/*/v1*/defaults.go` and
//! the declarative `+default` markers), so stored objects look like kube-apiserver's.

pub mod pod;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use k8s_openapi::api as k8s;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::ByteString;

use super::Defaulted;
pub use pod::default_pod_spec;
use pod::RestartPolicy;

fn set_str(field: &mut Option<String>, value: &str) {
    if field.as_deref().is_none_or(str::is_empty) {
        *field = Some(value.to_string());
    }
}

macro_rules! none {
    ($($t:ty),* $(,)?) => { $(impl Defaulted for $t {})* };
}

none!(
    k8s::core::v1::ServiceAccount,
    k8s::core::v1::ResourceQuota,
    k8s::apps::v1::ControllerRevision,
    k8s::coordination::v1::Lease,
    k8s::events::v1::Event,
    k8s::networking::v1::Ingress,
    k8s::policy::v1::PodDisruptionBudget,
    k8s::rbac::v1::ClusterRole,
    k8s::rbac::v1::Role,
);

// ---- core/v1 ----

impl Defaulted for k8s::core::v1::Pod {
    fn set_defaults(&mut self) {
        pod::pod(self);
    }
}

impl Defaulted for k8s::core::v1::PodTemplate {
    fn set_defaults(&mut self) {
        pod::template(
            self.template.get_or_insert_with(Default::default),
            RestartPolicy::DefaultAlways,
        );
    }
}

impl Defaulted for k8s::core::v1::ReplicationController {
    fn set_defaults(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        let labels =
            spec.template.as_ref().and_then(|t| t.metadata.as_ref()).and_then(|m| m.labels.clone());
        if let Some(labels) = labels {
            if spec.selector.as_ref().is_none_or(BTreeMap::is_empty) {
                spec.selector = Some(labels.clone());
            }
            if self.metadata.labels.as_ref().is_none_or(BTreeMap::is_empty) {
                self.metadata.labels = Some(labels);
            }
        }
        spec.replicas.get_or_insert(1);
        if let Some(t) = spec.template.as_mut() {
            pod::template(t, RestartPolicy::DefaultAlways);
        }
    }
}

impl Defaulted for k8s::core::v1::Namespace {
    fn set_defaults(&mut self) {
        if let Some(name) = self.metadata.name.clone().filter(|n| !n.is_empty()) {
            self.metadata
                .labels
                .get_or_insert_with(Default::default)
                .insert("kubernetes.io/metadata.name".into(), name);
        }
        let spec = self.spec.get_or_insert_with(Default::default);
        spec.finalizers.get_or_insert_with(|| vec!["kubernetes".to_string()]);
        set_str(&mut self.status.get_or_insert_with(Default::default).phase, "Active");
    }
}

/// Whether a Service is reachable from outside the cluster (`service.ExternallyAccessible`).
fn externally_accessible(s: &ServiceSpec) -> bool {
    match s.type_.as_deref() {
        Some("LoadBalancer" | "NodePort") => true,
        Some("ClusterIP") => s.external_ips.as_ref().is_some_and(|e| !e.is_empty()),
        _ => false,
    }
}

impl Defaulted for k8s::core::v1::Service {
    fn set_defaults(&mut self) {
        let s = self.spec.get_or_insert_with(Default::default);
        set_str(&mut s.session_affinity, "None");
        match s.session_affinity.as_deref() {
            Some("None") => s.session_affinity_config = None,
            Some("ClientIP") => {
                let has_timeout = s
                    .session_affinity_config
                    .as_ref()
                    .and_then(|c| c.client_ip.as_ref())
                    .is_some_and(|c| c.timeout_seconds.is_some());
                if !has_timeout {
                    s.session_affinity_config = Some(k8s::core::v1::SessionAffinityConfig {
                        client_ip: Some(k8s::core::v1::ClientIPConfig {
                            timeout_seconds: Some(10800),
                        }),
                    });
                }
            }
            _ => {}
        }
        set_str(&mut s.type_, "ClusterIP");
        for p in s.ports.iter_mut().flatten() {
            set_str(&mut p.protocol, "TCP");
            let unset = match &p.target_port {
                None | Some(IntOrString::Int(0)) => true,
                Some(IntOrString::String(v)) => v.is_empty(),
                Some(IntOrString::Int(_)) => false,
            };
            if unset {
                p.target_port = Some(IntOrString::Int(p.port));
            }
        }
        if externally_accessible(s) {
            set_str(&mut s.external_traffic_policy, "Cluster");
        }
        let ty = s.type_.clone().unwrap_or_default();
        let in_cluster = matches!(ty.as_str(), "ClusterIP" | "NodePort" | "LoadBalancer");
        if in_cluster && s.internal_traffic_policy.is_none() {
            s.internal_traffic_policy = Some("Cluster".to_string());
        }
        if ty == "LoadBalancer" {
            s.allocate_load_balancer_node_ports.get_or_insert(true);
        }
        // clusterIP and clusterIPs are kept in step (the service strategy's normalization)
        let ip = s.cluster_ip.clone().filter(|ip| !ip.is_empty());
        let first = s.cluster_ips.as_ref().and_then(|ips| ips.first().cloned());
        match (ip, first) {
            (Some(ip), None) => s.cluster_ips = Some(vec![ip]),
            (None, Some(first)) => s.cluster_ip = Some(first),
            _ => {}
        }
        // a single-stack IPv4 cluster: allocation of the addresses themselves is the registry's
        if in_cluster {
            let headless = s.cluster_ip.as_deref() == Some("None");
            let selectorless = s.selector.as_ref().is_none_or(BTreeMap::is_empty);
            if s.ip_family_policy.is_none() {
                let policy =
                    if headless && selectorless { "RequireDualStack" } else { "SingleStack" };
                s.ip_family_policy = Some(policy.to_string());
            }
            if s.ip_families.as_ref().is_none_or(Vec::is_empty) {
                s.ip_families = Some(vec!["IPv4".to_string()]);
            }
        }
        let status = self.status.get_or_insert_with(Default::default);
        let lb = status.load_balancer.get_or_insert_with(Default::default);
        if ty == "LoadBalancer" {
            for ing in lb.ingress.iter_mut().flatten() {
                if ing.ip.as_deref().is_some_and(|ip| !ip.is_empty()) && ing.ip_mode.is_none() {
                    ing.ip_mode = Some("VIP".to_string());
                }
            }
        }
    }
}

impl Defaulted for k8s::core::v1::Endpoints {
    fn set_defaults(&mut self) {
        for ss in self.subsets.iter_mut().flatten() {
            for p in ss.ports.iter_mut().flatten() {
                set_str(&mut p.protocol, "TCP");
            }
        }
    }
}

impl Defaulted for k8s::core::v1::Node {
    fn set_defaults(&mut self) {
        if let Some(spec) = self.spec.as_mut() {
            // v1 conversion keeps podCIDR and podCIDRs in step
            let cidr = spec.pod_cidr.clone().filter(|c| !c.is_empty());
            let first = spec.pod_cidrs.as_ref().and_then(|c| c.first().cloned());
            match (cidr, first) {
                (Some(c), None) => spec.pod_cidrs = Some(vec![c]),
                (None, Some(f)) => spec.pod_cidr = Some(f),
                _ => {}
            }
        }
        if let Some(status) = self.status.as_mut() {
            if status.allocatable.is_none() && status.capacity.is_some() {
                status.allocatable.clone_from(&status.capacity);
            }
        }
    }
}

impl Defaulted for k8s::core::v1::ConfigMap {}

impl Defaulted for k8s::core::v1::Secret {
    fn set_defaults(&mut self) {
        set_str(&mut self.type_, "Opaque");
        // stringData is write-only: v1 conversion merges it into data
        if let Some(sd) = self.string_data.take() {
            let data = self.data.get_or_insert_with(Default::default);
            for (k, v) in sd {
                data.insert(k, ByteString(v.into_bytes()));
            }
        }
    }
}

impl Defaulted for k8s::core::v1::Event {
    fn set_defaults(&mut self) {
        // Go value fields without omitempty: always present in kube-apiserver's output
        self.reporting_component.get_or_insert_with(String::new);
        self.reporting_instance.get_or_insert_with(String::new);
    }
}

impl Defaulted for k8s::core::v1::LimitRange {
    fn set_defaults(&mut self) {
        for item in self.spec.iter_mut().flat_map(|s| s.limits.iter_mut()) {
            if item.type_ != "Container" {
                continue;
            }
            let max = item.max.clone().unwrap_or_default();
            let min = item.min.clone().unwrap_or_default();
            let default = item.default.get_or_insert_with(Default::default);
            for (k, v) in max {
                default.entry(k).or_insert(v);
            }
            let default = default.clone();
            let default_request = item.default_request.get_or_insert_with(Default::default);
            for (k, v) in default {
                default_request.entry(k).or_insert(v);
            }
            for (k, v) in min {
                default_request.entry(k).or_insert(v);
            }
        }
    }
}

fn pvc_defaults(pvc: &mut PersistentVolumeClaim) {
    set_str(&mut pvc.status.get_or_insert_with(Default::default).phase, "Pending");
    pod::pvc_spec(pvc.spec.get_or_insert_with(Default::default));
}

impl Defaulted for k8s::core::v1::PersistentVolumeClaim {
    fn set_defaults(&mut self) {
        pvc_defaults(self);
    }
}

impl Defaulted for k8s::core::v1::PersistentVolume {
    fn set_defaults(&mut self) {
        set_str(&mut self.status.get_or_insert_with(Default::default).phase, "Pending");
        let spec = self.spec.get_or_insert_with(Default::default);
        set_str(&mut spec.persistent_volume_reclaim_policy, "Retain");
        set_str(&mut spec.volume_mode, "Filesystem");
        if let Some(hp) = spec.host_path.as_mut() {
            hp.type_.get_or_insert_with(String::new);
        }
        if let Some(i) = spec.iscsi.as_mut() {
            set_str(&mut i.iscsi_interface, "default");
        }
        if let Some(r) = spec.rbd.as_mut() {
            set_str(&mut r.pool, "rbd");
            set_str(&mut r.user, "admin");
            set_str(&mut r.keyring, "/etc/ceph/keyring");
        }
        if let Some(a) = spec.azure_disk.as_mut() {
            set_str(&mut a.caching_mode, "ReadWrite");
            set_str(&mut a.fs_type, "ext4");
            a.read_only.get_or_insert(false);
            set_str(&mut a.kind, "Shared");
        }
        if let Some(s) = spec.scale_io.as_mut() {
            set_str(&mut s.storage_mode, "ThinProvisioned");
            set_str(&mut s.fs_type, "xfs");
        }
    }
}

// ---- apps/v1 ----

impl Defaulted for k8s::apps::v1::Deployment {
    fn set_defaults(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        spec.replicas.get_or_insert(1);
        let strategy = spec.strategy.get_or_insert_with(Default::default);
        set_str(&mut strategy.type_, "RollingUpdate");
        if strategy.type_.as_deref() == Some("RollingUpdate") {
            let ru = strategy.rolling_update.get_or_insert_with(Default::default);
            ru.max_unavailable.get_or_insert_with(|| IntOrString::String("25%".into()));
            ru.max_surge.get_or_insert_with(|| IntOrString::String("25%".into()));
        }
        spec.revision_history_limit.get_or_insert(10);
        spec.progress_deadline_seconds.get_or_insert(600);
        pod::template(&mut spec.template, RestartPolicy::DefaultAlways);
    }
}

impl Defaulted for k8s::apps::v1::ReplicaSet {
    fn set_defaults(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        spec.replicas.get_or_insert(1);
        if let Some(t) = spec.template.as_mut() {
            pod::template(t, RestartPolicy::DefaultAlways);
        }
    }
}

impl Defaulted for k8s::apps::v1::StatefulSet {
    fn set_defaults(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        set_str(&mut spec.pod_management_policy, "OrderedReady");
        let us = spec.update_strategy.get_or_insert_with(Default::default);
        if us.type_.as_deref().is_none_or(str::is_empty) {
            us.type_ = Some("RollingUpdate".into());
            us.rolling_update.get_or_insert_with(Default::default);
        }
        if us.type_.as_deref() == Some("RollingUpdate") {
            if let Some(ru) = us.rolling_update.as_mut() {
                ru.partition.get_or_insert(0);
            }
        }
        let retention =
            spec.persistent_volume_claim_retention_policy.get_or_insert_with(Default::default);
        set_str(&mut retention.when_deleted, "Retain");
        set_str(&mut retention.when_scaled, "Retain");
        spec.replicas.get_or_insert(1);
        spec.revision_history_limit.get_or_insert(10);
        for pvc in spec.volume_claim_templates.iter_mut().flatten() {
            pvc_defaults(pvc);
        }
        pod::template(&mut spec.template, RestartPolicy::DefaultAlways);
    }
}

impl Defaulted for k8s::apps::v1::DaemonSet {
    fn set_defaults(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        let us = spec.update_strategy.get_or_insert_with(Default::default);
        set_str(&mut us.type_, "RollingUpdate");
        if us.type_.as_deref() == Some("RollingUpdate") {
            let ru = us.rolling_update.get_or_insert_with(Default::default);
            ru.max_unavailable.get_or_insert(IntOrString::Int(1));
            ru.max_surge.get_or_insert(IntOrString::Int(0));
        }
        spec.revision_history_limit.get_or_insert(10);
        pod::template(&mut spec.template, RestartPolicy::DefaultAlways);
    }
}

// ---- batch/v1 ----

impl Defaulted for k8s::batch::v1::Job {
    fn set_defaults(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        if spec.completions.is_none() && spec.parallelism.is_none() {
            spec.completions = Some(1);
        }
        spec.parallelism.get_or_insert(1);
        if spec.backoff_limit.is_none() {
            spec.backoff_limit =
                Some(if spec.backoff_limit_per_index.is_some() { i32::MAX } else { 6 });
        }
        let labels = spec.template.metadata.as_ref().and_then(|m| m.labels.clone());
        if let Some(labels) = labels {
            if self.metadata.labels.as_ref().is_none_or(BTreeMap::is_empty) {
                self.metadata.labels = Some(labels);
            }
        }
        set_str(&mut spec.completion_mode, "NonIndexed");
        spec.suspend.get_or_insert(false);
        if let Some(pfp) = spec.pod_failure_policy.as_mut() {
            for rule in &mut pfp.rules {
                for pattern in rule.on_pod_conditions.iter_mut().flatten() {
                    if pattern.status.is_empty() {
                        pattern.status = "True".into();
                    }
                }
            }
        }
        if spec.pod_replacement_policy.is_none() {
            let policy =
                if spec.pod_failure_policy.is_some() { "Failed" } else { "TerminatingOrFailed" };
            spec.pod_replacement_policy = Some(policy.into());
        }
        pod::template(&mut spec.template, RestartPolicy::Leave);
    }
}

impl Defaulted for k8s::batch::v1::CronJob {
    fn set_defaults(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        set_str(&mut spec.concurrency_policy, "Allow");
        spec.suspend.get_or_insert(false);
        spec.successful_jobs_history_limit.get_or_insert(3);
        spec.failed_jobs_history_limit.get_or_insert(1);
        let job_spec = spec.job_template.spec.get_or_insert_with(Default::default);
        pod::template(&mut job_spec.template, RestartPolicy::Leave);
    }
}

// ---- autoscaling/v2 ----

fn scaling_rules(
    given: Option<k8s::autoscaling::v2::HPAScalingRules>,
    up: bool,
) -> k8s::autoscaling::v2::HPAScalingRules {
    use k8s::autoscaling::v2::{HPAScalingPolicy, HPAScalingRules};
    let policies = if up {
        vec![
            HPAScalingPolicy { type_: "Pods".into(), value: 4, period_seconds: 15 },
            HPAScalingPolicy { type_: "Percent".into(), value: 100, period_seconds: 15 },
        ]
    } else {
        vec![HPAScalingPolicy { type_: "Percent".into(), value: 100, period_seconds: 15 }]
    };
    let mut out = HPAScalingRules {
        policies: Some(policies),
        select_policy: Some("Max".into()),
        // scale-down stabilization is left to the controller's flag
        stabilization_window_seconds: if up { Some(0) } else { None },
        tolerance: None,
    };
    if let Some(g) = given {
        if g.select_policy.is_some() {
            out.select_policy = g.select_policy;
        }
        if g.stabilization_window_seconds.is_some() {
            out.stabilization_window_seconds = g.stabilization_window_seconds;
        }
        if g.policies.is_some() {
            out.policies = g.policies;
        }
        if g.tolerance.is_some() {
            out.tolerance = g.tolerance;
        }
    }
    out
}

impl Defaulted for k8s::autoscaling::v2::HorizontalPodAutoscaler {
    fn set_defaults(&mut self) {
        use k8s::autoscaling::v2::{MetricSpec, MetricTarget, ResourceMetricSource};
        let spec = self.spec.get_or_insert_with(Default::default);
        spec.min_replicas.get_or_insert(1);
        if spec.metrics.as_ref().is_none_or(Vec::is_empty) {
            spec.metrics = Some(vec![MetricSpec {
                type_: "Resource".into(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".into(),
                    target: MetricTarget {
                        type_: "Utilization".into(),
                        average_utilization: Some(80),
                        ..Default::default()
                    },
                }),
                ..Default::default()
            }]);
        }
        if let Some(b) = spec.behavior.as_mut() {
            b.scale_up = Some(scaling_rules(b.scale_up.take(), true));
            b.scale_down = Some(scaling_rules(b.scale_down.take(), false));
        }
    }
}

// ---- discovery/v1 ----

impl Defaulted for k8s::discovery::v1::EndpointSlice {
    fn set_defaults(&mut self) {
        for p in self.ports.iter_mut().flatten() {
            p.name.get_or_insert_with(String::new);
            set_str(&mut p.protocol, "TCP");
        }
    }
}

// ---- networking.k8s.io/v1 ----

impl Defaulted for k8s::networking::v1::NetworkPolicy {
    fn set_defaults(&mut self) {
        let spec = self.spec.get_or_insert_with(Default::default);
        let ports = spec
            .ingress
            .iter_mut()
            .flatten()
            .flat_map(|r| r.ports.iter_mut().flatten())
            .chain(spec.egress.iter_mut().flatten().flat_map(|r| r.ports.iter_mut().flatten()));
        for p in ports {
            set_str(&mut p.protocol, "TCP");
        }
        if spec.policy_types.as_ref().is_none_or(Vec::is_empty) {
            let mut types = vec!["Ingress".to_string()];
            if spec.egress.as_ref().is_some_and(|e| !e.is_empty()) {
                types.push("Egress".into());
            }
            spec.policy_types = Some(types);
        }
    }
}

impl Defaulted for k8s::networking::v1::IngressClass {
    fn set_defaults(&mut self) {
        if let Some(p) = self.spec.as_mut().and_then(|s| s.parameters.as_mut()) {
            set_str(&mut p.scope, "Cluster");
        }
    }
}

// ---- rbac.authorization.k8s.io/v1 ----

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn rbac_binding(
    role_ref: &mut k8s::rbac::v1::RoleRef,
    subjects: Option<&mut Vec<k8s::rbac::v1::Subject>>,
) {
    if role_ref.api_group.is_empty() {
        role_ref.api_group = RBAC_GROUP.to_string();
    }
    for s in subjects.into_iter().flatten() {
        if s.api_group.as_deref().is_none_or(str::is_empty) {
            // ServiceAccount subjects keep the empty (omitted) core group
            match s.kind.as_str() {
                "User" | "Group" => s.api_group = Some(RBAC_GROUP.to_string()),
                _ => {}
            }
        }
    }
}

impl Defaulted for k8s::rbac::v1::RoleBinding {
    fn set_defaults(&mut self) {
        rbac_binding(&mut self.role_ref, self.subjects.as_mut());
    }
}

impl Defaulted for k8s::rbac::v1::ClusterRoleBinding {
    fn set_defaults(&mut self) {
        rbac_binding(&mut self.role_ref, self.subjects.as_mut());
    }
}

// ---- scheduling.k8s.io/v1, storage.k8s.io/v1 ----

impl Defaulted for k8s::scheduling::v1::PriorityClass {
    fn set_defaults(&mut self) {
        set_str(&mut self.preemption_policy, "PreemptLowerPriority");
    }
}

impl Defaulted for k8s::storage::v1::StorageClass {
    fn set_defaults(&mut self) {
        set_str(&mut self.reclaim_policy, "Delete");
        set_str(&mut self.volume_binding_mode, "Immediate");
    }
}
