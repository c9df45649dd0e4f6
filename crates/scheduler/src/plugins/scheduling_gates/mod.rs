//! SchedulingGates: a pod with `spec.schedulingGates` waits outside the active queue until
//! whoever owns the gates removes them all.

use k8s_openapi::api::core::v1::Pod;

use crate::framework::{Code, Plugin, PreEnqueuePlugin, Status};

pub const NAME: &str = "SchedulingGates";

#[derive(Clone, Copy, Debug, Default)]
pub struct SchedulingGates;

impl Plugin for SchedulingGates {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl PreEnqueuePlugin for SchedulingGates {
    /// Kubernetes returns this as UnschedulableAndUnresolvable; krust's framework has a
    /// dedicated [`Code::Pending`] for "waiting on something outside the scheduler", which the
    /// queue treats the same way (the pod is parked, not failed). The message is Kubernetes'
    /// (`%v` of the gate names: `[a b]`).
    fn pre_enqueue(&self, pod: &Pod) -> Status {
        let gates = pod.spec.as_ref().and_then(|s| s.scheduling_gates.as_deref()).unwrap_or(&[]);
        if gates.is_empty() {
            return Status::success();
        }
        let names: Vec<&str> = gates.iter().map(|g| g.name.as_str()).collect();
        Status::new(Code::Pending, format!("waiting for scheduling gates: [{}]", names.join(" ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pre_enqueue(gates: serde_json::Value) -> Status {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"}, "spec": {"containers": [], "schedulingGates": gates}
        }))
        .expect("pod");
        SchedulingGates.pre_enqueue(&pod)
    }

    #[test]
    fn gated_pods_wait() {
        assert!(pre_enqueue(json!(null)).is_success());
        assert!(pre_enqueue(json!([])).is_success());
        let s = pre_enqueue(json!([{"name": "foo"}, {"name": "bar"}]));
        assert_eq!(s.code, Code::Pending);
        assert!(s.is_rejected());
        assert_eq!(s.message(), "waiting for scheduling gates: [foo bar]");
        assert_eq!(
            pre_enqueue(json!([{"name": "foo"}])).message(),
            "waiting for scheduling gates: [foo]"
        );
        assert!(SchedulingGates.pre_enqueue(&Pod::default()).is_success());
    }
}
