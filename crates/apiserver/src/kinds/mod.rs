//! Per-kind behaviour on the typed objects (`k8s-openapi` structs): defaulting, validation,
//! and the dispatch from a resource in the catalogue to its Rust type.
//!
//! The registry works on JSON; [`normalize`] decodes an incoming object into its typed form
//! (refusing malformed input and reporting unknown fields), applies the kind's defaults and
//! encodes it back, so what is stored is what kube-apiserver would store.

pub mod defaults;
pub mod validation;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::errors::FieldError;
use crate::resources::ResourceInfo;

/// Kubernetes' defaulting for a kind (`SetDefaults_*` in kube-apiserver).
pub trait Defaulted {
    fn set_defaults(&mut self) {}
}

/// Kind-specific validation (`Validate*` in kube-apiserver), beyond ObjectMeta. Paths are
/// relative to the object root (`spec.containers[0].image`).
pub trait Validated {
    fn validate(&self) -> Vec<FieldError> {
        Vec::new()
    }
    fn validate_update(&self, _old: &Self) -> Vec<FieldError> {
        self.validate()
    }
}

/// The result of decoding an object into its typed form.
pub struct Normalized {
    pub object: Value,
    /// Paths of fields in the input the type does not know (dropped).
    pub unknown_fields: Vec<String>,
}

/// Why an object could not be decoded.
#[derive(Debug)]
pub struct DecodeError(pub String);

fn roundtrip<T>(
    res: &ResourceInfo,
    input: Value,
    old: Option<&Value>,
) -> Result<(Normalized, Vec<FieldError>), DecodeError>
where
    T: DeserializeOwned + Serialize + Defaulted + Validated,
{
    let original = input.clone();
    let mut typed: T = serde_path_to_error::deserialize(input).map_err(|e| {
        let path = e.path().to_string();
        DecodeError(format!(
            "{kind} in version \"{v}\" cannot be handled as a {kind}: {path}: {inner}",
            kind = res.kind,
            v = res.version,
            inner = e.inner()
        ))
    })?;
    typed.set_defaults();
    let errors = match old.map(|o| serde_json::from_value::<T>(o.clone())) {
        Some(Ok(old)) => typed.validate_update(&old),
        _ => typed.validate(),
    };
    let object = serde_json::to_value(&typed).map_err(|e| DecodeError(e.to_string()))?;
    let mut unknown_fields = Vec::new();
    find_unknown(&original, &object, String::new(), &mut unknown_fields);
    // Write-only fields that defaulting folds away are known, not unknown.
    if res.kind == "Secret" {
        unknown_fields.retain(|f| f != "stringData" && !f.starts_with("stringData."));
    }
    Ok((Normalized { object, unknown_fields }, errors))
}

/// Fields present (and not null) in `input` that the typed round trip dropped.
fn find_unknown(input: &Value, output: &Value, path: String, out: &mut Vec<String>) {
    match (input, output) {
        (Value::Object(i), Value::Object(o)) => {
            for (k, v) in i {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match o.get(k) {
                    Some(ov) => find_unknown(v, ov, p, out),
                    None if v.is_null() => {}
                    None => out.push(p),
                }
            }
        }
        (Value::Array(i), Value::Array(o)) => {
            for (n, (iv, ov)) in i.iter().zip(o).enumerate() {
                find_unknown(iv, ov, format!("{path}[{n}]"), out);
            }
        }
        _ => {}
    }
}

macro_rules! dispatch {
    ($res:expr, $input:expr, $old:expr; $(($g:literal, $v:literal, $k:literal) => $t:ty),* $(,)?) => {
        match ($res.group, $res.version, $res.kind) {
            $(($g, $v, $k) => roundtrip::<$t>($res, $input, $old),)*
            _ => Ok((Normalized { object: $input, unknown_fields: Vec::new() }, Vec::new())),
        }
    };
}

/// Decodes, defaults and validates an object of resource `res`. `old` is the stored object on
/// update. Returns the normalized object and the kind's field errors.
pub fn normalize(
    res: &ResourceInfo,
    input: Value,
    old: Option<&Value>,
) -> Result<(Normalized, Vec<FieldError>), DecodeError> {
    use k8s_openapi::api::*;
    dispatch!(res, input, old;
        ("", "v1", "Namespace") => core::v1::Namespace,
        ("", "v1", "Pod") => core::v1::Pod,
        ("", "v1", "Service") => core::v1::Service,
        ("", "v1", "Endpoints") => core::v1::Endpoints,
        ("", "v1", "Node") => core::v1::Node,
        ("", "v1", "ConfigMap") => core::v1::ConfigMap,
        ("", "v1", "Secret") => core::v1::Secret,
        ("", "v1", "ServiceAccount") => core::v1::ServiceAccount,
        ("", "v1", "Event") => core::v1::Event,
        ("", "v1", "LimitRange") => core::v1::LimitRange,
        ("", "v1", "ResourceQuota") => core::v1::ResourceQuota,
        ("", "v1", "PersistentVolume") => core::v1::PersistentVolume,
        ("", "v1", "PersistentVolumeClaim") => core::v1::PersistentVolumeClaim,
        ("", "v1", "PodTemplate") => core::v1::PodTemplate,
        ("", "v1", "ReplicationController") => core::v1::ReplicationController,
        ("apps", "v1", "Deployment") => apps::v1::Deployment,
        ("apps", "v1", "ReplicaSet") => apps::v1::ReplicaSet,
        ("apps", "v1", "StatefulSet") => apps::v1::StatefulSet,
        ("apps", "v1", "DaemonSet") => apps::v1::DaemonSet,
        ("apps", "v1", "ControllerRevision") => apps::v1::ControllerRevision,
        ("batch", "v1", "Job") => batch::v1::Job,
        ("batch", "v1", "CronJob") => batch::v1::CronJob,
        ("autoscaling", "v2", "HorizontalPodAutoscaler") => autoscaling::v2::HorizontalPodAutoscaler,
        ("coordination.k8s.io", "v1", "Lease") => coordination::v1::Lease,
        ("discovery.k8s.io", "v1", "EndpointSlice") => discovery::v1::EndpointSlice,
        ("events.k8s.io", "v1", "Event") => events::v1::Event,
        ("networking.k8s.io", "v1", "Ingress") => networking::v1::Ingress,
        ("networking.k8s.io", "v1", "IngressClass") => networking::v1::IngressClass,
        ("networking.k8s.io", "v1", "NetworkPolicy") => networking::v1::NetworkPolicy,
        ("policy", "v1", "PodDisruptionBudget") => policy::v1::PodDisruptionBudget,
        ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding") => rbac::v1::ClusterRoleBinding,
        ("rbac.authorization.k8s.io", "v1", "ClusterRole") => rbac::v1::ClusterRole,
        ("rbac.authorization.k8s.io", "v1", "RoleBinding") => rbac::v1::RoleBinding,
        ("rbac.authorization.k8s.io", "v1", "Role") => rbac::v1::Role,
        ("scheduling.k8s.io", "v1", "PriorityClass") => scheduling::v1::PriorityClass,
        ("storage.k8s.io", "v1", "StorageClass") => storage::v1::StorageClass,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::lookup;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_reported_with_paths() {
        let res = lookup("", "v1", "configmaps").expect("configmaps");
        let input = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "bogus": 1},
                           "data": {"a": "b"}, "extra": {"deep": true}});
        let (n, errs) = normalize(res, input, None).expect("decodes");
        assert!(errs.is_empty());
        assert_eq!(n.unknown_fields, vec!["extra".to_string(), "metadata.bogus".to_string()]);
        assert_eq!(n.object["data"]["a"], "b");
    }

    #[test]
    fn malformed_objects_are_decode_errors_with_a_path() {
        let res = lookup("apps", "v1", "deployments").expect("deployments");
        let input = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
                           "spec": {"replicas": "three"}});
        let err = normalize(res, input, None).err().expect("must fail");
        assert!(err.0.contains("spec.replicas"), "{}", err.0);
    }
}
