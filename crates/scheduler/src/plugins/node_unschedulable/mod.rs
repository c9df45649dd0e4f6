//! NodeUnschedulable: keeps pods off cordoned nodes (`spec.unschedulable`), unless the pod
//! tolerates the `node.kubernetes.io/unschedulable:NoSchedule` taint that cordoning implies.

use k8s_openapi::api::core::v1::Taint;

use super::taint_toleration::{
    pod_tolerations, tolerations_tolerate_taint, TAINT_EFFECT_NO_SCHEDULE,
};
use crate::framework::{CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, Status};

pub const NAME: &str = "NodeUnschedulable";
/// The taint the node lifecycle controller puts on cordoned nodes.
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
pub const ERR_REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";

#[derive(Clone, Copy, Debug, Default)]
pub struct NodeUnschedulable;

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl FilterPlugin for NodeUnschedulable {
    fn filter(&self, _state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        let Some(n) = node.node() else { return Status::error("node not found") };
        if !n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false) {
            return Status::success();
        }
        // A pod tolerating the unschedulable taint also tolerates `spec.unschedulable`
        // (DaemonSet pods do, so they land on cordoned nodes).
        let unschedulable_taint = Taint {
            key: TAINT_NODE_UNSCHEDULABLE.to_string(),
            effect: TAINT_EFFECT_NO_SCHEDULE.to_string(),
            ..Default::default()
        };
        if tolerations_tolerate_taint(pod_tolerations(&pod.pod), &unschedulable_taint) {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON_UNSCHEDULABLE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Code;
    use k8s_openapi::api::core::v1::{Node, Pod};
    use serde_json::{json, Value};
    use std::sync::Arc;

    fn filter(tolerations: Value, node_spec: Value) -> Status {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"}, "spec": {"containers": [], "tolerations": tolerations}
        }))
        .expect("pod");
        let node: Node =
            serde_json::from_value(json!({"metadata": {"name": "n"}, "spec": node_spec}))
                .expect("node");
        NodeUnschedulable.filter(
            &CycleState::new(),
            &PodInfo::new(Arc::new(pod)),
            &NodeInfo::new(Arc::new(node)),
        )
    }

    #[test]
    fn cases_from_kubernetes() {
        // does not fit an unschedulable node
        let s = filter(json!([]), json!({"unschedulable": true}));
        assert_eq!(s.code, Code::UnschedulableAndUnresolvable);
        assert_eq!(s.message(), "node(s) were unschedulable");
        // fits a schedulable node, explicitly or by default
        assert!(filter(json!([]), json!({"unschedulable": false})).is_success());
        assert!(filter(json!([]), json!({})).is_success());
        // fits an unschedulable node when tolerating the unschedulable taint
        assert!(filter(
            json!([{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]),
            json!({"unschedulable": true})
        )
        .is_success());
        assert!(
            filter(json!([{"operator": "Exists"}]), json!({"unschedulable": true})).is_success()
        );
        // a toleration for another effect does not help
        let s = filter(
            json!([{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoExecute"}]),
            json!({"unschedulable": true}),
        );
        assert_eq!(s.code, Code::UnschedulableAndUnresolvable);
    }
}
