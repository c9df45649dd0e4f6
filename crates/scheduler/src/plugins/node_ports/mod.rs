//! NodePorts: a pod asking for host ports fits only nodes where no running pod holds the same
//! (address, protocol, port); `0.0.0.0` clashes with every address.

use crate::framework::{
    CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, PreFilterPlugin, PreFilterResult,
    Snapshot, Status,
};

pub const NAME: &str = "NodePorts";
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

#[derive(Clone, Copy, Debug, Default)]
pub struct NodePorts;

/// The pod's host ports as (ip, protocol, port), computed once per cycle.
#[derive(Clone, Debug)]
struct PreFilterState(Vec<(String, String, i32)>);

/// Whether none of `want` clashes with the ports in use on `node`.
pub fn fits_ports(want: &[(String, String, i32)], node: &NodeInfo) -> bool {
    !want.iter().any(|(ip, proto, port)| node.used_ports.check_conflict(ip, proto, *port))
}

impl Plugin for NodePorts {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl PreFilterPlugin for NodePorts {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _snapshot: &Snapshot,
    ) -> (PreFilterResult, Status) {
        let ports = pod.host_ports();
        // Most pods ask for no host port: skip the filter for them.
        if ports.is_empty() {
            return (PreFilterResult::all_nodes(), Status::skip());
        }
        state.write(PreFilterState(ports));
        (PreFilterResult::all_nodes(), Status::success())
    }
}

impl FilterPlugin for NodePorts {
    fn filter(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        let fits = match state.read::<PreFilterState>() {
            Some(s) => fits_ports(&s.0, node),
            // PreFilter did not run: compute here.
            None => fits_ports(&pod.host_ports(), node),
        };
        if fits {
            Status::success()
        } else {
            Status::unschedulable(ERR_REASON)
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

    /// A pod with one container port per "PROTO/IP/PORT" spec, as the Kubernetes tests write them.
    fn pod(ports: &[&str]) -> Arc<PodInfo> {
        let ports: Vec<Value> = ports
            .iter()
            .map(|p| {
                let parts: Vec<&str> = p.split('/').collect();
                let port: i32 = parts[2].parse().expect("port");
                json!({"protocol": parts[0], "hostIP": parts[1], "hostPort": port, "containerPort": port})
            })
            .collect();
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p", "uid": format!("{ports:?}")},
            "spec": {"containers": [{"name": "c", "ports": ports}]}
        }))
        .expect("pod");
        Arc::new(PodInfo::new(Arc::new(pod)))
    }

    fn node_with(existing: &[&str]) -> NodeInfo {
        let node: Node = serde_json::from_value(json!({"metadata": {"name": "n"}})).expect("node");
        let mut ni = NodeInfo::new(Arc::new(node));
        if !existing.is_empty() {
            ni.add_pod(pod(existing));
        }
        ni
    }

    fn run(want: &[&str], existing: &[&str]) -> Status {
        let p = pod(want);
        let node = node_with(existing);
        let mut state = CycleState::new();
        let (_, s) = NodePorts.pre_filter(&mut state, &p, &Snapshot::default());
        if s.is_skip() {
            return s;
        }
        assert!(s.is_success());
        NodePorts.filter(&state, &p, &node)
    }

    #[test]
    fn cases_from_kubernetes() {
        let fits = |want: &[&str], existing: &[&str]| {
            let s = run(want, existing);
            assert!(s.is_success(), "{want:?} on {existing:?}: {s:?}");
        };
        let conflicts = |want: &[&str], existing: &[&str]| {
            let s = run(want, existing);
            assert_eq!(s.code, Code::Unschedulable, "{want:?} on {existing:?}");
            assert_eq!(s.message(), "node(s) didn't have free ports for the requested pod ports");
        };
        // nothing running
        fits(&["UDP/127.0.0.1/8080"], &[]);
        fits(&["UDP/127.0.0.1/8080"], &["UDP/127.0.0.1/9090"]);
        conflicts(&["UDP/127.0.0.1/8080"], &["UDP/127.0.0.1/8080"]);
        conflicts(&["TCP/127.0.0.1/8080"], &["TCP/127.0.0.1/8080"]);
        // different host IP
        fits(&["TCP/127.0.0.1/8080"], &["TCP/127.0.0.2/8080"]);
        // different protocol
        fits(&["UDP/127.0.0.1/8080"], &["TCP/127.0.0.1/8080"]);
        conflicts(&["UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"], &["UDP/127.0.0.1/8080"]);
        conflicts(
            &["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"],
            &["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8081"],
        );
        // 0.0.0.0 against a specific address, either way round
        conflicts(&["TCP/0.0.0.0/8001"], &["TCP/127.0.0.1/8001"]);
        conflicts(&["TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"], &["TCP/127.0.0.1/8001"]);
        conflicts(&["TCP/127.0.0.1/8001"], &["TCP/0.0.0.0/8001"]);
        conflicts(&["TCP/127.0.0.1/8001"], &["TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"]);
        fits(&["UDP/127.0.0.1/8001"], &["TCP/0.0.0.0/8001"]);
        conflicts(&["UDP/0.0.0.0/8001"], &["UDP/127.0.0.1/8001"]);
    }

    #[test]
    fn pods_without_host_ports_skip_the_filter() {
        let no_host_ports: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]}
        }))
        .expect("pod");
        let info = PodInfo::new(Arc::new(no_host_ports));
        let (r, s) = NodePorts.pre_filter(&mut CycleState::new(), &info, &Snapshot::default());
        assert_eq!(s.code, Code::Skip);
        assert!(r.node_names.is_none());
        // without PreFilter state the filter still checks
        let p = pod(&["TCP/127.0.0.1/80"]);
        assert_eq!(
            NodePorts.filter(&CycleState::new(), &p, &node_with(&["TCP/0.0.0.0/80"])).code,
            Code::Unschedulable
        );
    }
}
