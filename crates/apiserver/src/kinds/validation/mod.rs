//! Kind-specific validation, after kube-apiserver's `pkg/apis/*/validation`. ObjectMeta is
//! validated by [`crate::meta`]; these check everything else, reporting every problem with the
//! field path kube-apiserver prints (`spec.template.spec.containers[0].image`).

pub mod apps;
pub mod autoscaling;
pub mod batch;
pub mod common;
pub mod container;
pub mod core;
pub mod cron;
pub mod field;
pub mod handlers;
pub mod misc;
pub mod networking;
pub mod pod;
pub mod pod_update;
pub use krust_runtime::quantity;
pub mod quota;
pub mod rbac;
pub mod resources;
pub mod service;
pub mod storage;
pub mod volume;

#[cfg(test)]
mod tests;

use k8s_openapi::api as k8s;

use super::{Defaulted, Validated};
use crate::errors::FieldError;

macro_rules! validated {
    ($t:ty, |$n:ident| $create:expr, |$new:ident, $old:ident| $update:expr) => {
        impl Validated for $t {
            fn validate(&self) -> Vec<FieldError> {
                let $n = self;
                $create
            }
            fn validate_update(&self, old: &Self) -> Vec<FieldError> {
                // kube-apiserver defaults objects as it reads them from storage: compare against
                // the defaulted old object, so objects stored before a default existed still
                // compare equal.
                let mut defaulted_old = old.clone();
                Defaulted::set_defaults(&mut defaulted_old);
                let ($new, $old) = (self, &defaulted_old);
                $update
            }
        }
    };
    ($t:ty, |$n:ident| $create:expr) => {
        impl Validated for $t {
            fn validate(&self) -> Vec<FieldError> {
                let $n = self;
                $create
            }
        }
    };
}

// core/v1
validated!(k8s::core::v1::Namespace, |n| core::namespace(n), |n, o| core::namespace_update(n, o));
validated!(k8s::core::v1::Pod, |p| pod_update::pod_create(p), |n, o| pod_update::pod_update(n, o));
validated!(k8s::core::v1::Service, |s| service::validate(s), |n, o| service::validate_update(n, o));
validated!(k8s::core::v1::Endpoints, |e| core::endpoints(e));
validated!(k8s::core::v1::Node, |n| core::node(n), |n, o| core::node_update(n, o));
validated!(k8s::core::v1::ConfigMap, |c| core::config_map(c), |n, o| core::config_map_update(n, o));
validated!(k8s::core::v1::Secret, |s| core::secret(s), |n, o| core::secret_update(n, o));
impl Validated for k8s::core::v1::ServiceAccount {}
validated!(k8s::core::v1::Event, |e| core::event(e));
validated!(k8s::core::v1::LimitRange, |l| quota::limit_range(l));
validated!(k8s::core::v1::ResourceQuota, |r| quota::resource_quota(r), |n, o| {
    quota::resource_quota_update(n, o)
});
validated!(k8s::core::v1::PersistentVolume, |p| storage::pv(p), |n, o| storage::pv_update(n, o));
validated!(k8s::core::v1::PersistentVolumeClaim, |p| storage::pvc(p), |n, o| storage::pvc_update(
    n, o
));
validated!(k8s::core::v1::PodTemplate, |p| core::pod_template(p));
validated!(k8s::core::v1::ReplicationController, |r| core::replication_controller(r));

// apps/v1
validated!(k8s::apps::v1::Deployment, |d| apps::deployment(d), |n, o| apps::deployment_update(
    n, o
));
validated!(k8s::apps::v1::ReplicaSet, |r| apps::replica_set(r), |n, o| apps::replica_set_update(
    n, o
));
validated!(
    k8s::apps::v1::StatefulSet,
    |s| apps::stateful_set(s),
    |n, o| apps::stateful_set_update(n, o)
);
validated!(k8s::apps::v1::DaemonSet, |d| apps::daemon_set(d), |n, o| apps::daemon_set_update(n, o));
validated!(k8s::apps::v1::ControllerRevision, |c| apps::controller_revision(c), |n, o| {
    apps::controller_revision_update(n, o)
});

// batch/v1
validated!(k8s::batch::v1::Job, |j| batch::job(j), |n, o| batch::job_update(n, o));
validated!(k8s::batch::v1::CronJob, |c| batch::cron_job(c), |n, o| batch::cron_job_update(n, o));

// others
validated!(k8s::autoscaling::v2::HorizontalPodAutoscaler, |h| autoscaling::hpa(h));
validated!(k8s::coordination::v1::Lease, |l| misc::lease(l));
validated!(k8s::discovery::v1::EndpointSlice, |e| misc::endpoint_slice(e), |n, o| {
    misc::endpoint_slice_update(n, o)
});
validated!(k8s::events::v1::Event, |e| misc::event(e), |n, o| misc::event_update(n, o));
validated!(k8s::networking::v1::Ingress, |i| networking::ingress(i));
validated!(k8s::networking::v1::IngressClass, |i| networking::ingress_class(i), |n, o| {
    networking::ingress_class_update(n, o)
});
validated!(k8s::networking::v1::NetworkPolicy, |n| networking::network_policy(n));
validated!(k8s::policy::v1::PodDisruptionBudget, |p| misc::pdb(p));
validated!(
    k8s::rbac::v1::ClusterRoleBinding,
    |b| rbac::role_binding(&b.role_ref, b.subjects.as_ref(), false),
    |n, o| {
        let mut errs = rbac::role_binding(&n.role_ref, n.subjects.as_ref(), false);
        errs.extend(rbac::role_ref_update(&n.role_ref, &o.role_ref));
        errs
    }
);
validated!(k8s::rbac::v1::ClusterRole, |r| rbac::cluster_role(
    r.rules.as_ref(),
    r.aggregation_rule.as_ref()
));
validated!(
    k8s::rbac::v1::RoleBinding,
    |b| rbac::role_binding(&b.role_ref, b.subjects.as_ref(), true),
    |n, o| {
        let mut errs = rbac::role_binding(&n.role_ref, n.subjects.as_ref(), true);
        errs.extend(rbac::role_ref_update(&n.role_ref, &o.role_ref));
        errs
    }
);
validated!(k8s::rbac::v1::Role, |r| rbac::rules(r.rules.as_ref(), true));
validated!(k8s::scheduling::v1::PriorityClass, |p| misc::priority_class(p), |n, o| {
    misc::priority_class_update(n, o)
});
validated!(k8s::storage::v1::StorageClass, |s| storage::storage_class(s), |n, o| {
    storage::storage_class_update(n, o)
});
