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
    validate: bool,
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
    let errors = if validate { validate_typed(&typed, old) } else { Vec::new() };
    let object = serde_json::to_value(&typed).map_err(|e| DecodeError(e.to_string()))?;
    let mut unknown_fields = Vec::new();
    find_unknown(&original, &object, String::new(), &mut unknown_fields);
    // Write-only fields that defaulting folds away are known, not unknown.
    if res.kind == "Secret" {
        unknown_fields.retain(|f| f != "stringData" && !f.starts_with("stringData."));
    }
    Ok((Normalized { object, unknown_fields }, errors))
}

/// The kind's validation of `typed`: as an update of `old` if there is one.
fn validate_typed<T>(typed: &T, old: Option<&Value>) -> Vec<FieldError>
where
    T: DeserializeOwned + Validated,
{
    match old.map(T::deserialize) {
        Some(Ok(old)) => typed.validate_update(&old),
        _ => typed.validate(),
    }
}

/// Validates an already normalized object (see [`validate`]).
fn revalidate<T>(
    res: &ResourceInfo,
    object: &Value,
    old: Option<&Value>,
) -> Result<Vec<FieldError>, DecodeError>
where
    T: DeserializeOwned + Validated,
{
    let typed = T::deserialize(object).map_err(|e| {
        DecodeError(format!("{} cannot be handled as a {}: {e}", res.kind, res.kind))
    })?;
    Ok(validate_typed(&typed, old))
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

/// Calls `$f::<T>($args)` with `T` the `k8s-openapi` type of resource `$res`, or evaluates
/// `$other` for a resource without one (served as plain JSON).
macro_rules! by_kind {
    ($res:expr, $f:ident($($arg:expr),*), $other:expr) => {{
        use k8s_openapi::api::*;
        match ($res.group, $res.version, $res.kind) {
            ("", "v1", "Namespace") => $f::<core::v1::Namespace>($($arg),*),
            ("", "v1", "Pod") => $f::<core::v1::Pod>($($arg),*),
            ("", "v1", "Service") => $f::<core::v1::Service>($($arg),*),
            ("", "v1", "Endpoints") => $f::<core::v1::Endpoints>($($arg),*),
            ("", "v1", "Node") => $f::<core::v1::Node>($($arg),*),
            ("", "v1", "ConfigMap") => $f::<core::v1::ConfigMap>($($arg),*),
            ("", "v1", "Secret") => $f::<core::v1::Secret>($($arg),*),
            ("", "v1", "ServiceAccount") => $f::<core::v1::ServiceAccount>($($arg),*),
            ("", "v1", "Event") => $f::<core::v1::Event>($($arg),*),
            ("", "v1", "LimitRange") => $f::<core::v1::LimitRange>($($arg),*),
            ("", "v1", "ResourceQuota") => $f::<core::v1::ResourceQuota>($($arg),*),
            ("", "v1", "PersistentVolume") => $f::<core::v1::PersistentVolume>($($arg),*),
            ("", "v1", "PersistentVolumeClaim") => $f::<core::v1::PersistentVolumeClaim>($($arg),*),
            ("", "v1", "PodTemplate") => $f::<core::v1::PodTemplate>($($arg),*),
            ("", "v1", "ReplicationController") => $f::<core::v1::ReplicationController>($($arg),*),
            ("apps", "v1", "Deployment") => $f::<apps::v1::Deployment>($($arg),*),
            ("apps", "v1", "ReplicaSet") => $f::<apps::v1::ReplicaSet>($($arg),*),
            ("apps", "v1", "StatefulSet") => $f::<apps::v1::StatefulSet>($($arg),*),
            ("apps", "v1", "DaemonSet") => $f::<apps::v1::DaemonSet>($($arg),*),
            ("apps", "v1", "ControllerRevision") => $f::<apps::v1::ControllerRevision>($($arg),*),
            ("batch", "v1", "Job") => $f::<batch::v1::Job>($($arg),*),
            ("batch", "v1", "CronJob") => $f::<batch::v1::CronJob>($($arg),*),
            ("autoscaling", "v2", "HorizontalPodAutoscaler") => $f::<autoscaling::v2::HorizontalPodAutoscaler>($($arg),*),
            ("coordination.k8s.io", "v1", "Lease") => $f::<coordination::v1::Lease>($($arg),*),
            ("discovery.k8s.io", "v1", "EndpointSlice") => $f::<discovery::v1::EndpointSlice>($($arg),*),
            ("events.k8s.io", "v1", "Event") => $f::<events::v1::Event>($($arg),*),
            ("networking.k8s.io", "v1", "Ingress") => $f::<networking::v1::Ingress>($($arg),*),
            ("networking.k8s.io", "v1", "IngressClass") => $f::<networking::v1::IngressClass>($($arg),*),
            ("networking.k8s.io", "v1", "NetworkPolicy") => $f::<networking::v1::NetworkPolicy>($($arg),*),
            ("policy", "v1", "PodDisruptionBudget") => $f::<policy::v1::PodDisruptionBudget>($($arg),*),
            ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding") => $f::<rbac::v1::ClusterRoleBinding>($($arg),*),
            ("rbac.authorization.k8s.io", "v1", "ClusterRole") => $f::<rbac::v1::ClusterRole>($($arg),*),
            ("rbac.authorization.k8s.io", "v1", "RoleBinding") => $f::<rbac::v1::RoleBinding>($($arg),*),
            ("rbac.authorization.k8s.io", "v1", "Role") => $f::<rbac::v1::Role>($($arg),*),
            ("scheduling.k8s.io", "v1", "PriorityClass") => $f::<scheduling::v1::PriorityClass>($($arg),*),
            ("storage.k8s.io", "v1", "StorageClass") => $f::<storage::v1::StorageClass>($($arg),*),
            _ => $other,
        }
    }};
}

/// Decodes, defaults and validates an object of resource `res`. `old` is the stored object on
/// update. Returns the normalized object and the kind's field errors.
pub fn normalize(
    res: &ResourceInfo,
    input: Value,
    old: Option<&Value>,
) -> Result<(Normalized, Vec<FieldError>), DecodeError> {
    by_kind!(
        res,
        roundtrip(res, input, old, true),
        Ok((Normalized { object: input, unknown_fields: Vec::new() }, Vec::new()))
    )
}

/// Decodes and defaults an object without validating it: for writes that admission mutates
/// before they are validated ([`validate`]).
pub fn decode(res: &ResourceInfo, input: Value) -> Result<Normalized, DecodeError> {
    by_kind!(
        res,
        roundtrip(res, input, None, false),
        Ok((Normalized { object: input, unknown_fields: Vec::new() }, Vec::new()))
    )
    .map(|(normalized, _)| normalized)
}

/// The kind's validation of a normalized object (from [`decode`], possibly changed since),
/// as an update of `old` if given.
pub fn validate(
    res: &ResourceInfo,
    object: &Value,
    old: Option<&Value>,
) -> Result<Vec<FieldError>, DecodeError> {
    by_kind!(res, revalidate(res, object, old), Ok(Vec::new()))
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
