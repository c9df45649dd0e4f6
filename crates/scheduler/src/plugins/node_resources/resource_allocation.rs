//! The scoring machinery NodeResourcesFit's strategies and NodeResourcesBalancedAllocation
//! share (kube-scheduler's `noderesources/resource_allocation.go` and the strategy files
//! `least_allocated.go`, `most_allocated.go`, `requested_to_capacity_ratio.go`): which
//! resources are scored with which weight, how a node's allocatable and requested amounts are
//! read for each, and the per-strategy formulas.
//!
//! Scoring runs once per feasible node, so names are resolved to [`ResourceKey`]s once when
//! the plugin is built and the per-node path neither allocates nor compares strings for CPU
//! and memory.

use crate::framework::types::{is_scalar_resource, NodeInfo, PodInfo, Resource};
use crate::framework::MAX_NODE_SCORE;

/// A resource a scoring strategy looks at and its weight (`config.ResourceSpec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceSpec {
    pub name: String,
    pub weight: i64,
}

impl ResourceSpec {
    pub fn new(name: &str, weight: i64) -> ResourceSpec {
        ResourceSpec { name: name.to_string(), weight }
    }
}

/// CPU and memory with weight 1 each: the default for both plugins.
pub fn default_resources() -> Vec<ResourceSpec> {
    vec![ResourceSpec::new("cpu", 1), ResourceSpec::new("memory", 1)]
}

/// Highest weight a resource may have (`config.MaxNodeScore` in the validation).
pub const MAX_RESOURCE_WEIGHT: i64 = 100;

/// Validates resource specs as `ValidateNodeResourcesFitArgs`/`...BalancedAllocationArgs` do:
/// weights in 1..=100 and no resource named twice.
pub fn validate_resources(resources: &[ResourceSpec], field: &str) -> Result<(), String> {
    for (i, r) in resources.iter().enumerate() {
        if !(1..=MAX_RESOURCE_WEIGHT).contains(&r.weight) {
            return Err(format!(
                "{field}[{i}].weight: Invalid value: {}: resource weight of {} \
                 should be in the range [1, {MAX_RESOURCE_WEIGHT}]",
                r.weight, r.name
            ));
        }
        if resources[..i].iter().any(|o| o.name == r.name) {
            return Err(format!("{field}[{i}].name: Duplicate value: \"{}\"", r.name));
        }
    }
    Ok(())
}

/// A resource name resolved once, so the per-node path matches on an enum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceKey {
    Cpu,
    Memory,
    EphemeralStorage,
    /// Extended, hugepages and attachable-volume resources, kept by name.
    Scalar(String),
    /// Anything the scheduler does not account per node (e.g. `pods`): never scored.
    Other,
}

impl ResourceKey {
    pub fn new(name: &str) -> ResourceKey {
        match name {
            "cpu" => ResourceKey::Cpu,
            "memory" => ResourceKey::Memory,
            "ephemeral-storage" => ResourceKey::EphemeralStorage,
            n if is_scalar_resource(n) => ResourceKey::Scalar(n.to_string()),
            _ => ResourceKey::Other,
        }
    }

    fn amount(&self, r: &Resource) -> i64 {
        match self {
            ResourceKey::Cpu => r.milli_cpu,
            ResourceKey::Memory => r.memory,
            ResourceKey::EphemeralStorage => r.ephemeral_storage,
            ResourceKey::Scalar(n) => r.scalar_resources.get(n).copied().unwrap_or(0),
            ResourceKey::Other => 0,
        }
    }
}

/// The resources to score with their weights, and whether CPU/memory come from the plain
/// requests (BalancedAllocation) or the non-zero ones that count request-less containers at
/// the scheduler's defaults (NodeResourcesFit's strategies).
#[derive(Clone, Debug)]
pub struct ResourceAllocationScorer {
    keys: Vec<(ResourceKey, i64)>,
    use_requested: bool,
}

impl ResourceAllocationScorer {
    pub fn new(resources: &[ResourceSpec], use_requested: bool) -> ResourceAllocationScorer {
        ResourceAllocationScorer {
            keys: resources.iter().map(|r| (ResourceKey::new(&r.name), r.weight)).collect(),
            use_requested,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The pod's request for each scored resource, in spec order
    /// (`calculatePodResourceRequestList`).
    pub fn pod_requests(&self, pod: &PodInfo) -> Vec<i64> {
        let r = if self.use_requested { &pod.requests } else { &pod.non_zero_requests };
        self.keys.iter().map(|(k, _)| k.amount(r)).collect()
    }

    /// `(allocatable, requested including the pod)` of resource `i` on `node`
    /// (`calculateResourceAllocatableRequest`). `(0, 0)` means "leave this resource out",
    /// which is what an extended resource the pod does not ask for, or one the node does not
    /// have, gets.
    fn allocatable_requested(
        &self,
        key: &ResourceKey,
        node: &NodeInfo,
        pod_request: i64,
    ) -> (i64, i64) {
        let requested = if self.use_requested { &node.requested } else { &node.non_zero_requested };
        match key {
            ResourceKey::Cpu => (node.allocatable.milli_cpu, requested.milli_cpu + pod_request),
            ResourceKey::Memory => (node.allocatable.memory, requested.memory + pod_request),
            // Ephemeral storage has no non-zero default, so the plain requests are used.
            ResourceKey::EphemeralStorage => {
                (node.allocatable.ephemeral_storage, node.requested.ephemeral_storage + pod_request)
            }
            ResourceKey::Scalar(_) if pod_request == 0 => (0, 0),
            ResourceKey::Scalar(name) => match node.allocatable.scalar_resources.get(name) {
                Some(&alloc) => (
                    alloc,
                    node.requested.scalar_resources.get(name).copied().unwrap_or(0) + pod_request,
                ),
                None => (0, 0),
            },
            ResourceKey::Other => (0, 0),
        }
    }

    /// Calls `f(requested, allocatable, weight)` for every scored resource the node has
    /// (allocatable non-zero), in spec order: the entries Kubernetes' scorers do not skip.
    pub fn for_each_resource(
        &self,
        node: &NodeInfo,
        pod_requests: &[i64],
        mut f: impl FnMut(i64, i64, i64),
    ) {
        for ((key, weight), &pod_request) in self.keys.iter().zip(pod_requests) {
            let (alloc, req) = self.allocatable_requested(key, node, pod_request);
            if alloc != 0 {
                f(req, alloc, *weight);
            }
        }
    }
}

/// Free capacity on a 0–100 scale; over-committed counts as none left.
pub fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

/// Used capacity on a 0–100 scale; requests can exceed capacity because request-less
/// containers count at the defaults, so it is capped.
pub fn most_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    requested.min(capacity) * MAX_NODE_SCORE / capacity
}

/// LeastAllocated: the weighted average of [`least_requested_score`].
pub fn least_allocated_score(s: &ResourceAllocationScorer, node: &NodeInfo, pod: &[i64]) -> i64 {
    weighted_average(s, node, pod, least_requested_score)
}

/// MostAllocated: the weighted average of [`most_requested_score`].
pub fn most_allocated_score(s: &ResourceAllocationScorer, node: &NodeInfo, pod: &[i64]) -> i64 {
    weighted_average(s, node, pod, most_requested_score)
}

fn weighted_average(
    s: &ResourceAllocationScorer,
    node: &NodeInfo,
    pod: &[i64],
    score: fn(i64, i64) -> i64,
) -> i64 {
    let (mut node_score, mut weight_sum) = (0i64, 0i64);
    s.for_each_resource(node, pod, |req, alloc, weight| {
        node_score += score(req, alloc) * weight;
        weight_sum += weight;
    });
    if weight_sum == 0 {
        0
    } else {
        node_score / weight_sum
    }
}

/// A point of a RequestedToCapacityRatio shape: utilization in 0..=100 maps to a score in
/// 0..=10 (`config.UtilizationShapePoint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtilizationShapePoint {
    pub utilization: i32,
    pub score: i32,
}

/// Largest score a shape point may name (`config.MaxCustomPriorityScore`).
pub const MAX_CUSTOM_PRIORITY_SCORE: i64 = 10;
const MAX_UTILIZATION: i64 = 100;

/// Validates a shape as `validateFunctionShape` does: at least one point, utilization in
/// 0..=100 and strictly increasing, score in 0..=10.
pub fn validate_shape(shape: &[UtilizationShapePoint]) -> Result<(), String> {
    const FIELD: &str = "scoringStrategy.requestedToCapacityRatio.shape";
    if shape.is_empty() {
        return Err(format!("{FIELD}: Required value: at least one point must be specified"));
    }
    for (i, p) in shape.iter().enumerate() {
        let u = p.utilization;
        if !(0..=MAX_UTILIZATION as i32).contains(&u) {
            return Err(format!(
                "{FIELD}[{i}].utilization: Invalid value: {u}: not in valid range [0-100]"
            ));
        }
        if i > 0 && shape[i - 1].utilization >= u {
            return Err(format!(
                "{FIELD}[{i}].utilization: Invalid value: {u}: \
                 utilization values must be sorted in increasing order"
            ));
        }
        if !(0..=MAX_CUSTOM_PRIORITY_SCORE as i32).contains(&p.score) {
            return Err(format!(
                "{FIELD}[{i}].score: Invalid value: {}: not in valid range [0-10]",
                p.score
            ));
        }
    }
    Ok(())
}

/// A shape scaled to node scores (0–100), ready to evaluate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenLinearFunction(Vec<(i64, i64)>);

impl BrokenLinearFunction {
    pub fn new(shape: &[UtilizationShapePoint]) -> BrokenLinearFunction {
        BrokenLinearFunction(
            shape
                .iter()
                .map(|p| {
                    (
                        i64::from(p.utilization),
                        i64::from(p.score) * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE),
                    )
                })
                .collect(),
        )
    }

    /// The first point's score below it, the last point's above it, linear in between
    /// (`helper.BuildBrokenLinearFunction`).
    pub fn eval(&self, p: i64) -> i64 {
        let s = &self.0;
        for (i, &(u, score)) in s.iter().enumerate() {
            if p <= u {
                if i == 0 {
                    return score;
                }
                let (pu, ps) = s[i - 1];
                return ps + (score - ps) * (p - pu) / (u - pu);
            }
        }
        s.last().map_or(0, |&(_, score)| score)
    }
}

/// RequestedToCapacityRatio: each resource's utilization through the shape, weighted and
/// rounded; resources scoring 0 are left out of the average.
pub fn requested_to_capacity_ratio_score(
    s: &ResourceAllocationScorer,
    f: &BrokenLinearFunction,
    node: &NodeInfo,
    pod: &[i64],
) -> i64 {
    let (mut node_score, mut weight_sum) = (0i64, 0i64);
    s.for_each_resource(node, pod, |req, alloc, weight| {
        let resource_score = if req > alloc {
            f.eval(MAX_UTILIZATION)
        } else {
            f.eval(req * MAX_UTILIZATION / alloc)
        };
        if resource_score > 0 {
            node_score += resource_score * weight;
            weight_sum += weight;
        }
    });
    if weight_sum == 0 {
        return 0;
    }
    // Go's math.Round: halves away from zero, which f64::round also does.
    (node_score as f64 / weight_sum as f64).round() as i64
}

/// BalancedAllocation: `(1 - std) * 100` over the requested fractions (each capped at 1) of
/// the resources the node has; for two resources the std is `|f1 - f2| / 2`.
pub fn balanced_resource_score(s: &ResourceAllocationScorer, node: &NodeInfo, pod: &[i64]) -> i64 {
    let fraction = |req: i64, alloc: i64| (req as f64 / alloc as f64).min(1.0);
    let (mut count, mut total) = (0usize, 0f64);
    let mut first_two = [0f64; 2];
    s.for_each_resource(node, pod, |req, alloc, _| {
        let f = fraction(req, alloc);
        if count < 2 {
            first_two[count] = f;
        }
        count += 1;
        total += f;
    });
    let std = match count {
        2 => ((first_two[0] - first_two[1]) / 2.0).abs(),
        n if n > 2 => {
            // A second pass rather than a buffer: scoring must not allocate per node.
            let mean = total / n as f64;
            let mut sum = 0f64;
            s.for_each_resource(node, pod, |req, alloc, _| {
                let d = fraction(req, alloc) - mean;
                sum += d * d;
            });
            (sum / n as f64).sqrt()
        }
        _ => 0.0,
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_linear_function_interpolates_and_clamps() {
        let f = BrokenLinearFunction::new(&[
            UtilizationShapePoint { utilization: 10, score: 1 },
            UtilizationShapePoint { utilization: 50, score: 5 },
            UtilizationShapePoint { utilization: 90, score: 1 },
        ]);
        assert_eq!(f.eval(0), 10);
        assert_eq!(f.eval(10), 10);
        assert_eq!(f.eval(30), 30);
        assert_eq!(f.eval(50), 50);
        assert_eq!(f.eval(70), 30);
        assert_eq!(f.eval(100), 10);
    }

    #[test]
    fn per_resource_scores() {
        assert_eq!(least_requested_score(3000, 4000), 25);
        assert_eq!(least_requested_score(5000, 4000), 0);
        assert_eq!(least_requested_score(1, 0), 0);
        assert_eq!(most_requested_score(3000, 4000), 75);
        assert_eq!(most_requested_score(5000, 4000), 100);
        assert_eq!(most_requested_score(1, 0), 0);
    }

    #[test]
    fn validation_rejects_bad_weights_and_shapes() {
        assert!(validate_resources(&default_resources(), "resources").is_ok());
        assert!(validate_resources(&[ResourceSpec::new("cpu", 0)], "resources").is_err());
        assert!(validate_resources(&[ResourceSpec::new("cpu", 101)], "resources").is_err());
        assert!(validate_resources(
            &[ResourceSpec::new("cpu", 1), ResourceSpec::new("cpu", 2)],
            "resources"
        )
        .is_err());
        let p = |utilization, score| UtilizationShapePoint { utilization, score };
        assert!(validate_shape(&[p(0, 10), p(100, 0)]).is_ok());
        assert!(validate_shape(&[]).is_err());
        assert!(validate_shape(&[p(50, 1), p(50, 2)]).is_err());
        assert!(validate_shape(&[p(0, 11)]).is_err());
        assert!(validate_shape(&[p(101, 1)]).is_err());
    }
}
