//! Kind-specific validation (placeholder: filled in per kind).

use super::Validated;
use k8s_openapi::api::*;

macro_rules! none {
    ($($t:ty),* $(,)?) => { $(impl Validated for $t {})* };
}

none!(
    core::v1::Namespace,
    core::v1::Pod,
    core::v1::Service,
    core::v1::Endpoints,
    core::v1::Node,
    core::v1::ConfigMap,
    core::v1::Secret,
    core::v1::ServiceAccount,
    core::v1::Event,
    core::v1::LimitRange,
    core::v1::ResourceQuota,
    core::v1::PersistentVolume,
    core::v1::PersistentVolumeClaim,
    core::v1::PodTemplate,
    core::v1::ReplicationController,
    apps::v1::Deployment,
    apps::v1::ReplicaSet,
    apps::v1::StatefulSet,
    apps::v1::DaemonSet,
    apps::v1::ControllerRevision,
    batch::v1::Job,
    batch::v1::CronJob,
    autoscaling::v2::HorizontalPodAutoscaler,
    coordination::v1::Lease,
    discovery::v1::EndpointSlice,
    events::v1::Event,
    networking::v1::Ingress,
    networking::v1::IngressClass,
    networking::v1::NetworkPolicy,
    policy::v1::PodDisruptionBudget,
    rbac::v1::ClusterRoleBinding,
    rbac::v1::ClusterRole,
    rbac::v1::RoleBinding,
    rbac::v1::Role,
    scheduling::v1::PriorityClass,
    storage::v1::StorageClass,
);
