//! Admission control: the plugins kube-apiserver runs on a write between decoding it and
//! storing it (`plugin/pkg/admission`).
//!
//! The registry's write pipeline (`Registry::admit`) follows kube-apiserver's order: decode
//! and default; record managedFields; [`admit`] (mutating admission); validation (the kind's
//! and ObjectMeta's); [`validate`] (validating admission); store. It runs alike for POST,
//! PUT, every PATCH type, server-side apply (create-on-apply included) and dry runs.
//!
//! Plugins see the request ([`Attributes`]) and the object as JSON, already decoded and
//! defaulted, so its fields have their types. A plugin that mutates a request says so in
//! [`mutates`]: the registry then validates the object after admission rather than while
//! decoding it. Plugins, in kube-apiserver's order:
//! - `Priority` ([`priority`]): a new pod's priority from its PriorityClass; one default class.

pub mod priority;

use serde_json::Value;

use crate::errors::{ApiError, ApiResult};
use crate::registry::Registry;
use crate::resources::ResourceInfo;

/// The operation being admitted (kube-apiserver also admits DELETE and CONNECT; no plugin
/// here needs them yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
}

/// What a plugin knows about the request (`admission.Attributes`).
#[derive(Clone, Copy, Debug)]
pub struct Attributes<'a> {
    pub res: &'static ResourceInfo,
    pub operation: Operation,
    pub namespace: Option<&'a str>,
    /// The object's name. On create, its `generateName` when the name is to be generated:
    /// kube-apiserver generates names after admission, and its messages show the prefix.
    pub name: &'a str,
    /// `status`, `binding`, `scale`, ... or None for the resource itself.
    pub subresource: Option<&'a str>,
    /// The stored object, on update.
    pub old: Option<&'a Value>,
}

impl Attributes<'_> {
    /// Whether the request is for the resource itself (not a subresource) of `group`/`plural`.
    pub fn is_for(&self, group: &str, plural: &str) -> bool {
        self.subresource.is_none() && self.res.group == group && self.res.plural == plural
    }

    /// The 403 a plugin refuses a request with (`admission.NewForbidden`):
    /// `pods "web" is forbidden: <reason>`.
    pub fn forbidden(&self, reason: impl std::fmt::Display) -> ApiError {
        let name = if self.name.is_empty() { "Unknown" } else { self.name };
        ApiError::Forbidden(format!(
            "{} \"{name}\" is forbidden: {reason}",
            self.res.qualified_plural()
        ))
    }
}

/// Whether a mutating plugin handles this request (`admission.Interface.Handles`).
pub fn mutates(a: &Attributes<'_>) -> bool {
    priority::mutates(a)
}

/// Mutating admission, after decoding and defaulting and before validation.
pub async fn admit(registry: &Registry, a: &Attributes<'_>, obj: &mut Value) -> ApiResult<()> {
    if priority::mutates(a) {
        priority::admit(registry, a, obj).await?;
    }
    Ok(())
}

/// Validating admission, after validation and before the object is stored.
pub async fn validate(registry: &Registry, a: &Attributes<'_>, obj: &Value) -> ApiResult<()> {
    priority::validate(registry, a, obj).await
}
