//! NodeResourcesFit (kube-scheduler's `noderesources/fit.go`): a node fits a pod when it has
//! a free pod slot and, for every resource the pod requests, allocatable minus what the
//! node's pods already request covers the request. It also scores feasible nodes with a
//! configurable strategy (LeastAllocated by default) over the non-zero requests.

use std::collections::HashSet;
use std::sync::Arc;

use crate::framework::types::{NodeInfo, PodInfo};
use crate::framework::{
    Code, CycleState, FilterPlugin, Plugin, PreFilterPlugin, PreFilterResult, PreScorePlugin,
    ScorePlugin, Snapshot, Status,
};

use super::resource_allocation::{
    default_resources, least_allocated_score, most_allocated_score,
    requested_to_capacity_ratio_score, validate_resources, validate_shape, BrokenLinearFunction,
    ResourceAllocationScorer, ResourceSpec, UtilizationShapePoint,
};

pub const NAME: &str = "NodeResourcesFit";
/// The plugin's weight in the default profile.
pub const DEFAULT_WEIGHT: i64 = 1;

/// How feasible nodes are ranked (`config.ScoringStrategyType`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ScoringStrategyType {
    /// Favour nodes with the most free capacity (spreading).
    #[default]
    LeastAllocated,
    /// Favour nodes with the least free capacity (bin packing).
    MostAllocated,
    /// Map each resource's utilization through a piecewise-linear shape.
    RequestedToCapacityRatio(Vec<UtilizationShapePoint>),
}

/// `config.ScoringStrategy`: the strategy and the resources it weighs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoringStrategy {
    pub strategy: ScoringStrategyType,
    pub resources: Vec<ResourceSpec>,
}

impl Default for ScoringStrategy {
    fn default() -> Self {
        ScoringStrategy {
            strategy: ScoringStrategyType::LeastAllocated,
            resources: default_resources(),
        }
    }
}

/// `config.NodeResourcesFitArgs`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeResourcesFitArgs {
    /// Extended resources the filter does not check (e.g. ones a cluster autoscaler adds later).
    pub ignored_resources: HashSet<String>,
    /// Extended-resource groups (the part before `/`) the filter does not check.
    pub ignored_resource_groups: HashSet<String>,
    pub scoring_strategy: ScoringStrategy,
}

/// How the configured strategy scores, resolved once.
#[derive(Clone, Debug)]
enum Scorer {
    LeastAllocated,
    MostAllocated,
    RequestedToCapacityRatio(BrokenLinearFunction),
}

pub struct NodeResourcesFit {
    ignored_resources: HashSet<String>,
    ignored_resource_groups: HashSet<String>,
    allocation: ResourceAllocationScorer,
    scorer: Scorer,
}

impl Default for NodeResourcesFit {
    fn default() -> Self {
        // The default args are valid by construction.
        NodeResourcesFit::build(NodeResourcesFitArgs::default())
    }
}

impl NodeResourcesFit {
    /// Builds the plugin, validating the args as `ValidateNodeResourcesFitArgs` does.
    pub fn new(args: NodeResourcesFitArgs) -> Result<NodeResourcesFit, String> {
        validate_resources(&args.scoring_strategy.resources, "scoringStrategy.resources")?;
        if let ScoringStrategyType::RequestedToCapacityRatio(shape) =
            &args.scoring_strategy.strategy
        {
            validate_shape(shape)?;
        }
        Ok(NodeResourcesFit::build(args))
    }

    fn build(args: NodeResourcesFitArgs) -> NodeResourcesFit {
        let scorer = match &args.scoring_strategy.strategy {
            ScoringStrategyType::LeastAllocated => Scorer::LeastAllocated,
            ScoringStrategyType::MostAllocated => Scorer::MostAllocated,
            ScoringStrategyType::RequestedToCapacityRatio(shape) => {
                Scorer::RequestedToCapacityRatio(BrokenLinearFunction::new(shape))
            }
        };
        NodeResourcesFit {
            ignored_resources: args.ignored_resources,
            ignored_resource_groups: args.ignored_resource_groups,
            // Fit scores with the non-zero requests so request-less pods still weigh.
            allocation: ResourceAllocationScorer::new(&args.scoring_strategy.resources, false),
            scorer,
        }
    }

    fn is_ignored(&self, name: &str) -> bool {
        if !is_extended_resource_name(name) {
            return false;
        }
        let group = name.split('/').next().unwrap_or("");
        self.ignored_resources.contains(name) || self.ignored_resource_groups.contains(group)
    }

    fn score_node(&self, node: &NodeInfo, pod_requests: &[i64]) -> (i64, Status) {
        if self.allocation.is_empty() {
            return (0, Status::error("resources not found"));
        }
        let score = match &self.scorer {
            Scorer::LeastAllocated => least_allocated_score(&self.allocation, node, pod_requests),
            Scorer::MostAllocated => most_allocated_score(&self.allocation, node, pod_requests),
            Scorer::RequestedToCapacityRatio(f) => {
                requested_to_capacity_ratio_score(&self.allocation, f, node, pod_requests)
            }
        };
        (score, Status::success())
    }
}

/// An extended resource (`example.com/gpu`): a name with a domain that is not Kubernetes'
/// own and not a quota `requests.` name (`v1helper.IsExtendedResourceName`). Only these can be
/// ignored through the args.
pub fn is_extended_resource_name(name: &str) -> bool {
    name.contains('/') && !name.contains("kubernetes.io/") && !name.starts_with("requests.")
}

/// What PreFilter computed: the pod's requests, flattened for a cheap per-node filter.
#[derive(Clone, Debug, Default)]
struct PreFilterState {
    milli_cpu: i64,
    memory: i64,
    ephemeral_storage: i64,
    /// Scalar resources with a non-zero request that are not ignored.
    scalars: Vec<(String, i64)>,
    /// The pod requests nothing at all (no scalar resource named, even at zero).
    requests_nothing: bool,
}

/// What PreScore computed: the pod's request for each scored resource, in spec order.
#[derive(Clone, Debug)]
struct PreScoreState {
    pod_requests: Vec<i64>,
}

impl Plugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl PreFilterPlugin for NodeResourcesFit {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _snapshot: &Snapshot,
    ) -> (PreFilterResult, Status) {
        let r = &pod.requests;
        state.write(PreFilterState {
            milli_cpu: r.milli_cpu,
            memory: r.memory,
            ephemeral_storage: r.ephemeral_storage,
            scalars: r
                .scalar_resources
                .iter()
                .filter(|(name, &q)| q != 0 && !self.is_ignored(name))
                .map(|(name, &q)| (name.clone(), q))
                .collect(),
            requests_nothing: r.milli_cpu == 0
                && r.memory == 0
                && r.ephemeral_storage == 0
                && r.scalar_resources.is_empty(),
        });
        (PreFilterResult::all_nodes(), Status::success())
    }
    // Added and removed pods change NodeInfo's requested resources, which Filter reads
    // directly, so there is no state of ours to update.
}

/// Checks `fitsRequest`: every insufficiency is reported, in Kubernetes' order (pods, cpu,
/// memory, ephemeral-storage, then scalar resources by name). A request larger than the
/// node's whole allocatable cannot be fixed by preemption, so it makes the status
/// UnschedulableAndUnresolvable.
fn fits_request(s: &PreFilterState, node: &NodeInfo) -> Status {
    let mut reasons = Vec::new();
    let mut unresolvable = false;
    let alloc = &node.allocatable;
    let used = &node.requested;
    if node.pods.len() as i64 + 1 > alloc.allowed_pod_number {
        reasons.push("Too many pods".to_string());
    }
    if !s.requests_nothing {
        let mut check = |req: i64, alloc: i64, used: i64, reason: &str| {
            if req > 0 && req > alloc - used {
                reasons.push(reason.to_string());
                unresolvable |= req > alloc;
            }
        };
        check(s.milli_cpu, alloc.milli_cpu, used.milli_cpu, "Insufficient cpu");
        check(s.memory, alloc.memory, used.memory, "Insufficient memory");
        check(
            s.ephemeral_storage,
            alloc.ephemeral_storage,
            used.ephemeral_storage,
            "Insufficient ephemeral-storage",
        );
        for (name, req) in &s.scalars {
            // A resource the node does not have counts as zero allocatable.
            let a = alloc.scalar_resources.get(name).copied().unwrap_or(0);
            let u = used.scalar_resources.get(name).copied().unwrap_or(0);
            if *req > a - u {
                reasons.push(format!("Insufficient {name}"));
                unresolvable |= *req > a;
            }
        }
    }
    if reasons.is_empty() {
        return Status::success();
    }
    let code = if unresolvable { Code::UnschedulableAndUnresolvable } else { Code::Unschedulable };
    Status { code, reasons, plugin: "" }
}

impl FilterPlugin for NodeResourcesFit {
    fn filter(&self, state: &CycleState, _pod: &PodInfo, node: &NodeInfo) -> Status {
        match state.read::<PreFilterState>() {
            Some(s) => fits_request(s, node),
            None => Status::error(format!(
                "error reading \"PreFilter{NAME}\" from cycleState: not found"
            )),
        }
    }
}

impl PreScorePlugin for NodeResourcesFit {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _nodes: &[Arc<NodeInfo>],
        _snapshot: &Snapshot,
    ) -> Status {
        state.write(PreScoreState { pod_requests: self.allocation.pod_requests(pod) });
        Status::success()
    }
}

impl ScorePlugin for NodeResourcesFit {
    fn score(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> (i64, Status) {
        match state.read::<PreScoreState>() {
            Some(s) => self.score_node(node, &s.pod_requests),
            // Like Kubernetes, compute the requests on the spot when PreScore did not run.
            None => self.score_node(node, &self.allocation.pod_requests(pod)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Node, Pod};
    use serde_json::{json, Value};

    fn pod_with(containers: Value, init: Value, overhead: Value) -> PodInfo {
        let mut spec = json!({ "containers": containers });
        if !init.is_null() {
            spec["initContainers"] = init;
        }
        if !overhead.is_null() {
            spec["overhead"] = overhead;
        }
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "default", "uid": "p"},
            "spec": spec
        }))
        .expect("test pod");
        PodInfo::new(Arc::new(pod))
    }

    /// A container requesting `(cpu millicores, memory bytes)` plus extra resources.
    fn c(cpu: i64, mem: i64, extra: Value) -> Value {
        let mut req = json!({"cpu": format!("{cpu}m"), "memory": mem.to_string()});
        if let Value::Object(m) = extra {
            for (k, v) in m {
                req[k] = v;
            }
        }
        json!({"name": "c", "resources": {"requests": req}})
    }

    fn e() -> Value {
        json!({})
    }

    fn pod(containers: &[Value]) -> PodInfo {
        pod_with(Value::Array(containers.to_vec()), Value::Null, Value::Null)
    }

    fn init_pod(containers: &[Value], init: &[Value]) -> PodInfo {
        pod_with(Value::Array(containers.to_vec()), Value::Array(init.to_vec()), Value::Null)
    }

    fn node(allocatable: Value) -> NodeInfo {
        let n: Node = serde_json::from_value(json!({
            "metadata": {"name": "n"},
            "status": {"allocatable": allocatable, "capacity": allocatable}
        }))
        .expect("test node");
        NodeInfo::new(Arc::new(n))
    }

    /// Kubernetes' `makeAllocatableResources(10, 20, 32, 5, 20, 5)`.
    fn standard_node(existing: PodInfo) -> NodeInfo {
        let mut n = node(json!({
            "cpu": "10m", "memory": "20", "pods": "32", "example.com/aaa": "5",
            "ephemeral-storage": "20", "hugepages-2Mi": "5"
        }));
        n.add_pod(Arc::new(existing));
        n
    }

    fn run_filter(plugin: &NodeResourcesFit, pod: &PodInfo, node: &NodeInfo) -> Status {
        let mut state = CycleState::new();
        let (_, s) = plugin.pre_filter(&mut state, pod, &Snapshot::default());
        assert!(s.is_success());
        plugin.filter(&state, pod, node)
    }

    fn status(code: Code, reasons: &[&str]) -> Status {
        Status { code, reasons: reasons.iter().map(|r| r.to_string()).collect(), plugin: "" }
    }

    #[test]
    fn enough_requests() {
        use Code::{Unschedulable as U, UnschedulableAndUnresolvable as UU};
        let aaa = |n: i64| json!({"example.com/aaa": n.to_string()});
        let cases: Vec<(&str, PodInfo, PodInfo, Option<Status>)> = vec![
            ("no resources requested always fits", pod(&[]), pod(&[c(10, 20, e())]), None),
            (
                "too many resources fails",
                pod(&[c(1, 1, e())]),
                pod(&[c(10, 20, e())]),
                Some(status(U, &["Insufficient cpu", "Insufficient memory"])),
            ),
            (
                "too many resources fails due to init container cpu",
                init_pod(&[c(1, 1, e())], &[c(3, 1, e())]),
                pod(&[c(8, 19, e())]),
                Some(status(U, &["Insufficient cpu"])),
            ),
            (
                "too many resources fails due to highest init container cpu",
                init_pod(&[c(1, 1, e())], &[c(3, 1, e()), c(2, 1, e())]),
                pod(&[c(8, 19, e())]),
                Some(status(U, &["Insufficient cpu"])),
            ),
            (
                "too many resources fails due to init container memory",
                init_pod(&[c(1, 1, e())], &[c(1, 3, e())]),
                pod(&[c(9, 19, e())]),
                Some(status(U, &["Insufficient memory"])),
            ),
            (
                "init container fits: the max, not the sum, of containers and init containers",
                init_pod(&[c(1, 1, e())], &[c(1, 1, e()), c(1, 1, e())]),
                pod(&[c(9, 19, e())]),
                None,
            ),
            ("both resources fit", pod(&[c(1, 1, e())]), pod(&[c(5, 5, e())]), None),
            (
                "one resource memory fits",
                pod(&[c(2, 1, e())]),
                pod(&[c(9, 5, e())]),
                Some(status(U, &["Insufficient cpu"])),
            ),
            (
                "one resource cpu fits",
                pod(&[c(1, 2, e())]),
                pod(&[c(5, 19, e())]),
                Some(status(U, &["Insufficient memory"])),
            ),
            ("equal edge case", pod(&[c(5, 1, e())]), pod(&[c(5, 19, e())]), None),
            (
                "equal edge case for init container",
                init_pod(&[c(4, 1, e())], &[c(5, 1, e())]),
                pod(&[c(5, 19, e())]),
                None,
            ),
            ("extended resource fits", pod(&[c(0, 0, aaa(1))]), pod(&[]), None),
            (
                "extended resource fits for init container",
                init_pod(&[], &[c(0, 0, aaa(1))]),
                pod(&[]),
                None,
            ),
            (
                "extended resource capacity enforced",
                pod(&[c(1, 1, aaa(10))]),
                pod(&[c(0, 0, aaa(0))]),
                Some(status(UU, &["Insufficient example.com/aaa"])),
            ),
            (
                "extended resource capacity enforced for init container",
                init_pod(&[], &[c(1, 1, aaa(10))]),
                pod(&[c(0, 0, aaa(0))]),
                Some(status(UU, &["Insufficient example.com/aaa"])),
            ),
            (
                "extended resource allocatable enforced",
                pod(&[c(1, 1, aaa(1))]),
                pod(&[c(0, 0, aaa(5))]),
                Some(status(U, &["Insufficient example.com/aaa"])),
            ),
            (
                "extended resource allocatable enforced for multiple containers",
                pod(&[c(1, 1, aaa(3)), c(1, 1, aaa(3))]),
                pod(&[c(0, 0, aaa(2))]),
                Some(status(UU, &["Insufficient example.com/aaa"])),
            ),
            (
                "extended resource allocatable admits multiple init containers",
                init_pod(&[], &[c(1, 1, aaa(3)), c(1, 1, aaa(3))]),
                pod(&[c(0, 0, aaa(2))]),
                None,
            ),
            (
                "extended resource allocatable enforced for multiple init containers",
                init_pod(&[], &[c(1, 1, aaa(6)), c(1, 1, aaa(3))]),
                pod(&[c(0, 0, aaa(2))]),
                Some(status(UU, &["Insufficient example.com/aaa"])),
            ),
            (
                "extended resource allocatable enforced for unknown resource",
                pod(&[c(1, 1, json!({"example.com/bbb": "1"}))]),
                pod(&[]),
                Some(status(UU, &["Insufficient example.com/bbb"])),
            ),
            (
                "prefixed native resource capacity enforced",
                pod(&[c(1, 1, json!({"subdomain.kubernetes.io/something": "10"}))]),
                pod(&[]),
                Some(status(UU, &["Insufficient subdomain.kubernetes.io/something"])),
            ),
            (
                "hugepages resource capacity enforced",
                pod(&[c(1, 1, json!({"hugepages-2Mi": "10"}))]),
                pod(&[]),
                Some(status(UU, &["Insufficient hugepages-2Mi"])),
            ),
            (
                "hugepages resource allocatable enforced for multiple containers",
                pod(&[
                    c(1, 1, json!({"hugepages-2Mi": "3"})),
                    c(1, 1, json!({"hugepages-2Mi": "3"})),
                ]),
                pod(&[c(0, 0, json!({"hugepages-2Mi": "2"}))]),
                Some(status(UU, &["Insufficient hugepages-2Mi"])),
            ),
            (
                "resources + pod overhead fits",
                pod_with(json!([c(1, 1, e())]), Value::Null, json!({"cpu": "3m", "memory": "13"})),
                pod(&[c(5, 5, e())]),
                None,
            ),
            (
                "requests + overhead does not fit for memory",
                pod_with(json!([c(1, 1, e())]), Value::Null, json!({"cpu": "1m", "memory": "15"})),
                pod(&[c(5, 5, e())]),
                Some(status(U, &["Insufficient memory"])),
            ),
            (
                "skip checking extended resource request with quantity zero",
                pod(&[c(1, 1, aaa(0))]),
                pod(&[c(0, 0, aaa(6))]),
                None,
            ),
            (
                "skip checking resource request with quantity zero",
                pod(&[c(0, 0, aaa(1))]),
                pod(&[c(20, 30, aaa(1))]),
                None,
            ),
            (
                "every insufficient resource is reported, in order",
                pod(&[c(
                    11,
                    21,
                    json!({
                        "ephemeral-storage": "1", "example.com/aaa": "1", "example.com/bbb": "1"
                    }),
                )]),
                pod(&[c(0, 0, aaa(5))]),
                Some(status(
                    UU,
                    &[
                        "Insufficient cpu",
                        "Insufficient memory",
                        "Insufficient example.com/aaa",
                        "Insufficient example.com/bbb",
                    ],
                )),
            ),
        ];
        let plugin = NodeResourcesFit::default();
        for (name, p, existing, want) in cases {
            let got = run_filter(&plugin, &p, &standard_node(existing));
            assert_eq!(got, want.unwrap_or_default(), "{name}");
        }
    }

    #[test]
    fn ignored_resources_and_groups() {
        let args = NodeResourcesFitArgs {
            ignored_resources: ["example.com/bbb".to_string()].into(),
            ..Default::default()
        };
        let plugin = NodeResourcesFit::new(args).expect("valid args");
        let p = pod(&[c(1, 1, json!({"example.com/bbb": "1"}))]);
        assert!(run_filter(&plugin, &p, &standard_node(pod(&[]))).is_success());

        let args = NodeResourcesFitArgs {
            ignored_resource_groups: ["example.com".to_string()].into(),
            ..Default::default()
        };
        let plugin = NodeResourcesFit::new(args).expect("valid args");
        // Only extended resources can be ignored; a prefixed native one is still checked.
        let p = pod(&[c(
            1,
            1,
            json!({"example.com/bbb": "1", "subdomain.kubernetes.io/something": "1"}),
        )]);
        assert_eq!(
            run_filter(&plugin, &p, &standard_node(pod(&[]))),
            status(
                Code::UnschedulableAndUnresolvable,
                &["Insufficient subdomain.kubernetes.io/something"]
            )
        );
    }

    #[test]
    fn not_enough_pod_slots() {
        let one_slot = |existing: PodInfo| {
            let mut n = node(json!({"cpu": "10m", "memory": "20", "pods": "1"}));
            n.add_pod(Arc::new(existing));
            n
        };
        let plugin = NodeResourcesFit::default();
        let too_many = status(Code::Unschedulable, &["Too many pods"]);
        let cases = [
            (pod(&[]), pod(&[c(10, 20, e())])),
            (pod(&[c(1, 1, e())]), pod(&[c(5, 5, e())])),
            (pod(&[c(5, 1, e())]), pod(&[c(5, 19, e())])),
            (init_pod(&[c(5, 1, e())], &[c(5, 1, e())]), pod(&[c(5, 19, e())])),
        ];
        for (p, existing) in cases {
            assert_eq!(run_filter(&plugin, &p, &one_slot(existing)), too_many);
        }
        // A full node also short of cpu reports both, pods first; still resolvable.
        let got = run_filter(&plugin, &pod(&[c(2, 1, e())]), &one_slot(pod(&[c(9, 1, e())])));
        assert_eq!(got, status(Code::Unschedulable, &["Too many pods", "Insufficient cpu"]));
    }

    #[test]
    fn storage_requests() {
        let plugin = NodeResourcesFit::default();
        let eph = |n: i64| json!({"ephemeral-storage": n.to_string()});
        assert!(run_filter(&plugin, &pod(&[c(1, 1, e())]), &standard_node(pod(&[c(2, 10, e())])))
            .is_success());
        assert_eq!(
            run_filter(&plugin, &pod(&[c(0, 0, eph(25))]), &standard_node(pod(&[c(2, 2, e())]))),
            status(Code::UnschedulableAndUnresolvable, &["Insufficient ephemeral-storage"])
        );
        assert_eq!(
            run_filter(
                &plugin,
                &pod(&[c(0, 0, eph(15))]),
                &standard_node(pod(&[c(2, 2, eph(10))]))
            ),
            status(Code::Unschedulable, &["Insufficient ephemeral-storage"])
        );
        assert!(run_filter(
            &plugin,
            &pod(&[c(0, 0, eph(5))]),
            &standard_node(pod(&[c(2, 2, eph(10))]))
        )
        .is_success());
        assert!(run_filter(
            &plugin,
            &pod(&[c(0, 0, eph(10))]),
            &standard_node(pod(&[c(2, 2, e())]))
        )
        .is_success());
    }

    #[test]
    fn filter_without_pre_filter_is_an_error() {
        let plugin = NodeResourcesFit::default();
        let s = plugin.filter(&CycleState::new(), &pod(&[]), &standard_node(pod(&[])));
        assert_eq!(s.code, Code::Error);
        assert_eq!(
            s.message(),
            "error reading \"PreFilterNodeResourcesFit\" from cycleState: not found"
        );
    }

    // Scoring: least_allocated_test.go, most_allocated_test.go,
    // requested_to_capacity_ratio_test.go.

    /// A node with `cpu` and `memory` given as Kubernetes' tests do (whole cores, bytes).
    fn sized_node(name: &str, resources: Value, existing: &[PodInfo]) -> NodeInfo {
        let n: Node = serde_json::from_value(json!({
            "metadata": {"name": name},
            "status": {"allocatable": resources, "capacity": resources}
        }))
        .expect("test node");
        let mut ni = NodeInfo::new(Arc::new(n));
        for p in existing {
            ni.add_pod(Arc::new(p.clone()));
        }
        ni
    }

    /// A pod whose containers request the given `{resource: quantity}` maps.
    fn req_pod(reqs: &[Value]) -> PodInfo {
        pod(&reqs
            .iter()
            .map(|r| json!({"name": "c", "resources": {"requests": r}}))
            .collect::<Vec<_>>())
    }

    fn scores(plugin: &NodeResourcesFit, p: &PodInfo, nodes: &[NodeInfo]) -> Vec<i64> {
        let mut state = CycleState::new();
        let arcs: Vec<Arc<NodeInfo>> = nodes.iter().cloned().map(Arc::new).collect();
        assert!(plugin.pre_score(&mut state, p, &arcs, &Snapshot::default()).is_success());
        nodes
            .iter()
            .map(|n| {
                let (score, s) = plugin.score(&state, p, n);
                assert!(s.is_success(), "{s:?}");
                score
            })
            .collect()
    }

    fn with_strategy(
        strategy: ScoringStrategyType,
        resources: Vec<ResourceSpec>,
    ) -> NodeResourcesFit {
        NodeResourcesFit::new(NodeResourcesFitArgs {
            scoring_strategy: ScoringStrategy { strategy, resources },
            ..Default::default()
        })
        .expect("valid args")
    }

    #[test]
    fn least_allocated_scores() {
        let plugin = NodeResourcesFit::default();
        let cap = |cpu: &str, mem: &str| json!({"cpu": cpu, "memory": mem});
        let requested = req_pod(&[
            json!({"cpu": "1000", "memory": "2000"}),
            json!({"cpu": "2000", "memory": "3000"}),
        ]);
        // CPU (4000-3000)*100/4000 = 25, memory (10000-5000)*100/10000 = 50 → 37;
        // node2: 50 and 50 → 50.
        let nodes = [
            sized_node("n1", cap("4000", "10000"), &[]),
            sized_node("n2", cap("6000", "10000"), &[]),
        ];
        assert_eq!(scores(&plugin, &requested, &nodes), [37, 50]);

        // Scheduled pods count: node1 cpu 40, memory 75 → 57; node2 cpu 40, memory 50 → 45.
        let on1 = req_pod(&[json!({"cpu": "3000", "memory": "0"})]);
        let on2 = req_pod(&[json!({"cpu": "3000", "memory": "5000"})]);
        let nodes = [
            sized_node("n1", cap("10000", "20000"), std::slice::from_ref(&on1)),
            sized_node("n2", cap("10000", "20000"), std::slice::from_ref(&on2)),
        ];
        assert_eq!(scores(&plugin, &requested, &nodes), [57, 45]);
        let nodes = [
            sized_node("n1", cap("10000", "20000"), std::slice::from_ref(&on1)),
            sized_node("n2", cap("10000", "50000"), std::slice::from_ref(&on2)),
        ];
        assert_eq!(scores(&plugin, &requested, &nodes), [57, 60]);

        // Requests beyond capacity score 0 for that resource: (0 + 100)/2, (0 + 50)/2.
        let big = req_pod(&[json!({"cpu": "3000", "memory": "0"})]);
        let nodes = [
            sized_node("n1", cap("4000", "10000"), std::slice::from_ref(&on1)),
            sized_node("n2", cap("4000", "10000"), std::slice::from_ref(&on2)),
        ];
        assert_eq!(scores(&plugin, &big, &nodes), [50, 25]);

        // Nodes without allocatable score 0 (every resource is left out).
        let nodes = [sized_node("n1", json!({}), &[on1]), sized_node("n2", json!({}), &[on2])];
        assert_eq!(scores(&plugin, &req_pod(&[json!({})]), &nodes), [0, 0]);

        // Weights: (25*1 + 50*2)/3 = 41; (50 + 100)/3 = 50.
        let weighted = with_strategy(
            ScoringStrategyType::LeastAllocated,
            vec![ResourceSpec::new("memory", 2), ResourceSpec::new("cpu", 1)],
        );
        let nodes = [
            sized_node("n1", cap("4000", "10000"), &[]),
            sized_node("n2", cap("6000", "10000"), &[]),
        ];
        assert_eq!(scores(&weighted, &requested, &nodes), [41, 50]);
    }

    #[test]
    fn least_allocated_counts_request_less_containers_at_the_defaults() {
        // 100m and 200Mi for a container without requests, also for pods already there.
        let plugin = NodeResourcesFit::default();
        let n = sized_node("n", json!({"cpu": "1", "memory": "1000Mi"}), &[req_pod(&[json!({})])]);
        // cpu (1000 - 200)*100/1000 = 80, memory (1000Mi - 400Mi)*100/1000Mi = 60 → 70.
        assert_eq!(scores(&plugin, &req_pod(&[json!({})]), &[n]), [70]);
    }

    #[test]
    fn extended_resources_score_only_when_requested() {
        let resources = vec![
            ResourceSpec::new("cpu", 1),
            ResourceSpec::new("memory", 1),
            ResourceSpec::new("intel.com/foo", 1),
        ];
        let plugin = with_strategy(ScoringStrategyType::LeastAllocated, resources);
        let nodes = [
            sized_node("n1", json!({"cpu": "6000", "memory": "10000", "intel.com/foo": "4"}), &[]),
            sized_node("n2", json!({"cpu": "6000", "memory": "10000", "intel.com/foo": "10"}), &[]),
        ];
        let base = json!({"cpu": "1000", "memory": "2000"});
        let p = req_pod(&[base.clone(), json!({"cpu": "2000", "memory": "3000"})]);
        assert_eq!(scores(&plugin, &p, &nodes), [50, 50]);
        // node1 foo (4-2)/4 → 50; node2 (10-2)/10 → 80: (50+50+50)/3, (50+50+80)/3.
        let p = req_pod(&[base, json!({"cpu": "2000", "memory": "3000", "intel.com/foo": "2"})]);
        assert_eq!(scores(&plugin, &p, &nodes), [50, 60]);
    }

    #[test]
    fn most_allocated_scores() {
        let plugin = with_strategy(ScoringStrategyType::MostAllocated, default_resources());
        let cap = |cpu: &str, mem: &str| json!({"cpu": cpu, "memory": mem});
        let requested = req_pod(&[
            json!({"cpu": "1000", "memory": "2000"}),
            json!({"cpu": "2000", "memory": "3000"}),
        ]);
        // node1 cpu 3000*100/4000 = 75, memory 50 → 62; node2 50, 50 → 50.
        let nodes = [
            sized_node("n1", cap("4000", "10000"), &[]),
            sized_node("n2", cap("6000", "10000"), &[]),
        ];
        assert_eq!(scores(&plugin, &requested, &nodes), [62, 50]);
        // Over capacity counts as full: cpu 100, memory 50 → 75.
        let full = sized_node(
            "n",
            cap("4000", "10000"),
            &[req_pod(&[json!({"cpu": "3000", "memory": "0"})])],
        );
        assert_eq!(scores(&plugin, &requested, &[full]), [75]);
    }

    #[test]
    fn requested_to_capacity_ratio_scores() {
        let p = |utilization, score| UtilizationShapePoint { utilization, score };
        let requested = req_pod(&[json!({"cpu": "3000", "memory": "5000"})]);
        let nodes = [sized_node("n", json!({"cpu": "4000", "memory": "10000"}), &[])];
        // Least-allocated shape: cpu at 75% → 25, memory at 50% → 50; round(37.5) = 38.
        let least = with_strategy(
            ScoringStrategyType::RequestedToCapacityRatio(vec![p(0, 10), p(100, 0)]),
            default_resources(),
        );
        assert_eq!(scores(&least, &requested, &nodes), [38]);
        // Bin-packing shape: a resource scoring 0 is left out of the average.
        let most = with_strategy(
            ScoringStrategyType::RequestedToCapacityRatio(vec![p(0, 0), p(100, 10)]),
            default_resources(),
        );
        let cpu_only = req_pod(&[json!({"cpu": "3000", "memory": "0"})]);
        assert_eq!(scores(&most, &cpu_only, &nodes), [75]);
        assert_eq!(scores(&most, &requested, &nodes), [63]);
        assert!(NodeResourcesFit::new(NodeResourcesFitArgs {
            scoring_strategy: ScoringStrategy {
                strategy: ScoringStrategyType::RequestedToCapacityRatio(vec![]),
                resources: default_resources(),
            },
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn score_without_resources_is_an_error() {
        let plugin = NodeResourcesFit::build(NodeResourcesFitArgs {
            scoring_strategy: ScoringStrategy {
                strategy: ScoringStrategyType::LeastAllocated,
                resources: vec![],
            },
            ..Default::default()
        });
        let n = sized_node("n", json!({"cpu": "1", "memory": "1Gi"}), &[]);
        let (_, s) = plugin.score(&CycleState::new(), &req_pod(&[json!({})]), &n);
        assert_eq!(s, Status::error("resources not found"));
    }
}
