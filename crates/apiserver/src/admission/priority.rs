//! The `Priority` admission plugin (kube-apiserver's `plugin/pkg/admission/priority`).
//!
//! - A new pod gets `spec.priority` and `spec.preemptionPolicy` from the PriorityClass named
//!   in `spec.priorityClassName`; an unknown class is a 403. A pod naming no class gets the
//!   global default class (its name too), or priority 0 and `PreemptLowerPriority` when there
//!   is none. A pod may carry either field only with the value the class gives (a copy of a
//!   created pod does); any other value is a 403.
//! - An update that omits the two fields keeps the stored ones (validation makes them
//!   immutable; this spares clients that send a pod without them).
//! - A PriorityClass may be `globalDefault` only if no other class is (403 otherwise).
//!
//! Classes are read from the store, not a cache: a class just created is seen at once.
//! The system classes ([`SYSTEM_PRIORITY_CLASSES`]) are created when the server starts.

use serde_json::{json, Value};

use super::{Attributes, Operation};
use crate::errors::{ApiError, ApiResult};
use crate::meta;
use crate::registry::{ListOptions, Registry};
use crate::resources::{lookup, ResourceInfo};

/// The preemption policy of a class that sets none, and of pods without a class.
pub const PREEMPT_LOWER_PRIORITY: &str = "PreemptLowerPriority";

/// The priority of a pod without a class when no class is the global default.
const DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS: i32 = 0;

/// A PriorityClass every cluster has (`scheduling.SystemPriorityClasses`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SystemPriorityClass {
    pub name: &'static str,
    pub value: i32,
    pub description: &'static str,
}

impl SystemPriorityClass {
    /// The object the server creates at start.
    pub fn object(&self) -> Value {
        json!({
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": { "name": self.name },
            "value": self.value,
            "description": self.description,
        })
    }
}

/// The start of the priority range of critical system components.
const SYSTEM_CRITICAL_PRIORITY: i32 = 2_000_000_000;

/// The system priority classes, as kube-apiserver defines them.
pub const SYSTEM_PRIORITY_CLASSES: &[SystemPriorityClass] = &[
    SystemPriorityClass {
        name: "system-node-critical",
        value: SYSTEM_CRITICAL_PRIORITY + 1000,
        description: "Used for system critical pods that must not be moved from their current node.",
    },
    SystemPriorityClass {
        name: "system-cluster-critical",
        value: SYSTEM_CRITICAL_PRIORITY,
        description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
    },
];

pub fn priority_classes() -> &'static ResourceInfo {
    lookup("scheduling.k8s.io", "v1", "priorityclasses")
        .expect("priorityclasses are in the catalogue")
}

/// What a pod's priority resolves to.
struct Resolved {
    /// The class's name; empty when no class applies.
    class_name: String,
    priority: i32,
    preemption_policy: String,
}

impl Resolved {
    fn from_class(pc: &Value) -> Self {
        Resolved {
            class_name: meta::name(pc).unwrap_or_default().to_string(),
            priority: class_value(pc),
            // Stored classes are defaulted; an older one without the field means the default.
            preemption_policy: pc
                .get("preemptionPolicy")
                .and_then(Value::as_str)
                .filter(|p| !p.is_empty())
                .unwrap_or(PREEMPT_LOWER_PRIORITY)
                .to_string(),
        }
    }

    fn no_class() -> Self {
        Resolved {
            class_name: String::new(),
            priority: DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS,
            preemption_policy: PREEMPT_LOWER_PRIORITY.to_string(),
        }
    }
}

/// A class's `value` (an int32 by validation; anything else reads as 0).
fn class_value(pc: &Value) -> i32 {
    pc.get("value").and_then(Value::as_i64).and_then(|v| i32::try_from(v).ok()).unwrap_or(0)
}

fn is_global_default(pc: &Value) -> bool {
    pc.get("globalDefault").and_then(Value::as_bool) == Some(true)
}

/// The plugin mutates pods, on create and update.
pub fn mutates(a: &Attributes<'_>) -> bool {
    a.is_for("", "pods")
}

pub async fn admit(registry: &Registry, a: &Attributes<'_>, pod: &mut Value) -> ApiResult<()> {
    if !mutates(a) {
        return Ok(());
    }
    match a.operation {
        Operation::Create => admit_new_pod(registry, a, pod).await,
        Operation::Update => {
            keep_stored_fields(a.old, pod);
            Ok(())
        }
    }
}

/// Resolves a new pod's priority and preemption policy from its class.
async fn admit_new_pod(registry: &Registry, a: &Attributes<'_>, pod: &mut Value) -> ApiResult<()> {
    let class_name = pod
        .pointer("/spec/priorityClassName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let resolved = if class_name.is_empty() {
        match default_class(registry).await? {
            Some(pc) => Resolved::from_class(&pc),
            None => Resolved::no_class(),
        }
    } else {
        // A name no class can have (validation reports it after admission) is not looked up.
        let lookup = match meta::is_dns1123_subdomain(&class_name) {
            Some(_) => Err(ApiError::not_found(priority_classes(), &class_name)),
            None => registry.get(priority_classes(), None, &class_name).await,
        };
        match lookup {
            Ok(pc) => Resolved::from_class(&pc),
            Err(ApiError::NotFound { .. }) => {
                return Err(
                    a.forbidden(format!("no PriorityClass with name {class_name} was found"))
                )
            }
            Err(e) => {
                return Err(ApiError::Internal(format!(
                    "failed to get PriorityClass with name {class_name}: {e}"
                )))
            }
        }
    };
    if let Some(given) = pod.pointer("/spec/priority").filter(|p| !p.is_null()) {
        if given.as_i64() != Some(i64::from(resolved.priority)) {
            return Err(a.forbidden(format!(
                "the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {} from the given PriorityClass name",
                resolved.priority
            )));
        }
    }
    if let Some(given) = pod.pointer("/spec/preemptionPolicy").filter(|p| !p.is_null()) {
        if given.as_str() != Some(resolved.preemption_policy.as_str()) {
            let given = given.as_str().map(String::from).unwrap_or_else(|| given.to_string());
            return Err(a.forbidden(format!(
                "the string value of PreemptionPolicy ({given}) must not be provided in pod spec; priority admission controller computed {} from the given PriorityClass name",
                resolved.preemption_policy
            )));
        }
    }
    let Some(root) = pod.as_object_mut() else { return Ok(()) };
    let Some(spec) = root.entry("spec").or_insert_with(|| json!({})).as_object_mut() else {
        return Ok(());
    };
    if class_name.is_empty() && !resolved.class_name.is_empty() {
        spec.insert("priorityClassName".into(), json!(resolved.class_name));
    }
    spec.insert("priority".into(), json!(resolved.priority));
    spec.insert("preemptionPolicy".into(), json!(resolved.preemption_policy));
    Ok(())
}

/// On update, `spec.priority` and `spec.preemptionPolicy` left out keep their stored values.
fn keep_stored_fields(old: Option<&Value>, pod: &mut Value) {
    let Some(old_spec) = old.and_then(|o| o.get("spec")) else { return };
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else { return };
    for field in ["priority", "preemptionPolicy"] {
        if spec.get(field).is_some_and(|v| !v.is_null()) {
            continue;
        }
        if let Some(stored) = old_spec.get(field).filter(|v| !v.is_null()) {
            spec.insert(field.into(), stored.clone());
        }
    }
}

/// Refuses a second global default PriorityClass.
pub async fn validate(registry: &Registry, a: &Attributes<'_>, pc: &Value) -> ApiResult<()> {
    if !a.is_for("scheduling.k8s.io", "priorityclasses") || !is_global_default(pc) {
        return Ok(());
    }
    let Some(current) = default_class(registry).await? else { return Ok(()) };
    let current = meta::name(&current).unwrap_or_default();
    // Updating the default class itself is fine; any other class may not become a default.
    if a.operation == Operation::Create || Some(current) != meta::name(pc) {
        return Err(a.forbidden(format!(
            "PriorityClass {current} is already marked as default. Only one default can exist"
        )));
    }
    Ok(())
}

/// The global default class: the lowest-valued one if several are (two writers can race
/// past the one-default check).
async fn default_class(registry: &Registry) -> ApiResult<Option<Value>> {
    let failed =
        |e: String| ApiError::Internal(format!("failed to get default priority class: {e}"));
    let list = registry
        .list(priority_classes(), None, &ListOptions::default())
        .await
        .map_err(|e| failed(e.to_string()))?;
    let mut default: Option<Value> = None;
    for item in &list.items {
        let pc = crate::object::parse(item).map_err(failed)?;
        if is_global_default(&pc)
            && default.as_ref().is_none_or(|d| class_value(d) > class_value(&pc))
        {
            default = Some(pc);
        }
    }
    Ok(default)
}
