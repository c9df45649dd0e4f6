//! NodeName: a pod that names a node in `spec.nodeName` fits only that node.

use crate::framework::{CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, Status};

pub const NAME: &str = "NodeName";
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

#[derive(Clone, Copy, Debug, Default)]
pub struct NodeName;

/// Whether `pod` may run on the node called `node_name`: it names no node, or this one.
pub fn fits(pod: &PodInfo, node_name: &str) -> bool {
    let wanted = pod.pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).unwrap_or("");
    wanted.is_empty() || wanted == node_name
}

impl Plugin for NodeName {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl FilterPlugin for NodeName {
    fn filter(&self, _state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        if node.node().is_none() {
            return Status::error("node not found");
        }
        if fits(pod, &node.name) {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Code;
    use k8s_openapi::api::core::v1::{Node, Pod};
    use serde_json::json;
    use std::sync::Arc;

    fn filter(pod_node_name: Option<&str>, node_name: &str) -> Status {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"}, "spec": {"containers": [], "nodeName": pod_node_name}
        }))
        .expect("pod");
        let node: Node =
            serde_json::from_value(json!({"metadata": {"name": node_name}})).expect("node");
        NodeName.filter(
            &CycleState::new(),
            &PodInfo::new(Arc::new(pod)),
            &NodeInfo::new(Arc::new(node)),
        )
    }

    #[test]
    fn cases_from_kubernetes() {
        assert!(filter(None, "foo").is_success(), "no host specified");
        assert!(filter(Some(""), "foo").is_success(), "empty host");
        assert!(filter(Some("foo"), "foo").is_success(), "host matches");
        let s = filter(Some("bar"), "foo");
        assert_eq!(s.code, Code::UnschedulableAndUnresolvable);
        assert_eq!(s.message(), "node(s) didn't match the requested node name");
        let s = NodeName.filter(
            &CycleState::new(),
            &PodInfo::new(Arc::new(Pod::default())),
            &NodeInfo::default(),
        );
        assert_eq!(s.code, Code::Error);
    }
}
