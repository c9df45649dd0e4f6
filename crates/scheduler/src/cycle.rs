//! The scheduling cycle's decisions, without IO (kube-scheduler's `schedule_one.go`
//! `schedulePod`): PreFilter, Filter over enough nodes, PreScore/Score over the feasible ones,
//! and the pick. Also the `FailedScheduling` message ("0/3 nodes are available: ...").

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rand::Rng;
use rayon::prelude::*;

use crate::framework::{
    Code, CycleState, Framework, NodeInfo, NodeToStatus, PodInfo, Snapshot, Status,
};

/// Below this many nodes every node is checked.
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// Floor of the adaptive percentage.
pub const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: usize = 5;
/// Filtering goes parallel from this many nodes on (below it threads cost more than they save).
const PARALLEL_FILTER_THRESHOLD: usize = 512;
const FILTER_CHUNK: usize = 64;

/// How many feasible nodes to find before scoring: all of them in small clusters, then a
/// percentage that shrinks as the cluster grows (50% at 0 nodes, minus 1% per 125 nodes, at
/// least 5%), never fewer than 100.
pub fn num_feasible_nodes_to_find(percentage: Option<u32>, num_all_nodes: usize) -> usize {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let pct = match percentage {
        Some(p) if p > 0 => (p as usize).min(100),
        _ => 50usize.saturating_sub(num_all_nodes / 125).max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND),
    };
    if pct >= 100 {
        return num_all_nodes;
    }
    (num_all_nodes * pct / 100).max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// Why a pod fits nowhere.
#[derive(Clone, Debug, Default)]
pub struct Diagnosis {
    pub node_to_status: NodeToStatus,
    /// Set when PreFilter rejected the pod outright.
    pub pre_filter_msg: String,
    /// Set when PostFilter (preemption) ran and failed.
    pub post_filter_msg: String,
    /// Plugins that rejected the pod (to decide which events can help).
    pub unschedulable_plugins: std::collections::HashSet<&'static str>,
}

#[derive(Clone, Debug)]
pub struct FitError {
    pub num_all_nodes: usize,
    pub diagnosis: Diagnosis,
}

impl std::fmt::Display for FitError {
    /// kube-scheduler's `FitError.Error()`: a histogram of per-node reasons, sorted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "0/{} nodes are available:", self.num_all_nodes)?;
        let d = &self.diagnosis;
        if !d.pre_filter_msg.is_empty() {
            write!(f, " {}.", d.pre_filter_msg)?;
        } else {
            let mut histogram: BTreeMap<&str, usize> = BTreeMap::new();
            for s in d.node_to_status.values() {
                for r in &s.reasons {
                    *histogram.entry(r.as_str()).or_default() += 1;
                }
            }
            let mut reasons: Vec<String> =
                histogram.into_iter().map(|(r, n)| format!("{n} {r}")).collect();
            reasons.sort();
            if !reasons.is_empty() {
                write!(f, " {}.", reasons.join(", "))?;
            }
        }
        if !d.post_filter_msg.is_empty() {
            write!(f, " {}.", d.post_filter_msg)?;
        }
        Ok(())
    }
}

#[derive(Debug)]
pub enum ScheduleError {
    /// The pod fits nowhere (Unschedulable).
    Fit(Box<FitError>),
    /// There are no nodes at all.
    NoNodes,
    /// A plugin failed.
    Error(Status),
}

impl std::fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScheduleError::Fit(e) => e.fmt(f),
            ScheduleError::NoNodes => f.write_str("no nodes available to schedule pods"),
            ScheduleError::Error(s) => {
                if s.plugin.is_empty() {
                    write!(f, "{}", s.message())
                } else {
                    write!(f, "running {} plugin: {}", s.plugin, s.message())
                }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleResult {
    pub suggested_host: String,
    pub evaluated_nodes: usize,
    pub feasible_nodes: usize,
}

/// Where the next cycle starts filtering, so successive pods look at different nodes.
#[derive(Default)]
pub struct Cursor {
    pub next_start_node_index: usize,
}

/// Runs one scheduling attempt's decisions for `pod` over `snapshot`.
pub fn schedule_pod(
    fw: &Framework,
    state: &mut CycleState,
    pod: &PodInfo,
    snapshot: &Snapshot,
    cursor: &mut Cursor,
) -> Result<ScheduleResult, ScheduleError> {
    if snapshot.num_nodes() == 0 {
        return Err(ScheduleError::NoNodes);
    }
    let (feasible, diagnosis) = find_nodes_that_fit(fw, state, pod, snapshot, cursor)?;
    if feasible.is_empty() {
        let num_all_nodes = snapshot.num_nodes();
        return Err(ScheduleError::Fit(Box::new(FitError { num_all_nodes, diagnosis })));
    }
    let evaluated = feasible.len() + diagnosis.node_to_status.len();
    if feasible.len() == 1 {
        return Ok(ScheduleResult {
            suggested_host: feasible[0].name.clone(),
            evaluated_nodes: evaluated,
            feasible_nodes: 1,
        });
    }
    let scores = prioritize_nodes(fw, state, pod, &feasible, snapshot)?;
    let host = select_host(&feasible, &scores);
    Ok(ScheduleResult {
        suggested_host: host,
        evaluated_nodes: evaluated,
        feasible_nodes: feasible.len(),
    })
}

/// PreFilter, then Filter over the candidate nodes until enough feasible ones are found.
pub fn find_nodes_that_fit(
    fw: &Framework,
    state: &mut CycleState,
    pod: &PodInfo,
    snapshot: &Snapshot,
    cursor: &mut Cursor,
) -> Result<(Vec<Arc<NodeInfo>>, Diagnosis), ScheduleError> {
    let mut diagnosis = Diagnosis::default();
    if let Some(e) = &pod.parse_error {
        return Err(ScheduleError::Error(Status::error(format!("invalid affinity: {e}"))));
    }
    let (pre, s) = fw.run_pre_filter(state, pod, snapshot);
    if !s.is_success() {
        if !s.is_rejected() {
            return Err(ScheduleError::Error(s));
        }
        diagnosis.pre_filter_msg = s.message();
        diagnosis.unschedulable_plugins.insert(s.plugin);
        for n in &snapshot.node_info_list {
            diagnosis.node_to_status.insert(n.name.clone(), s.clone());
        }
        return Ok((Vec::new(), diagnosis));
    }

    // A pod nominated by an earlier preemption tries its node first.
    let nominated = pod.pod.status.as_ref().and_then(|s| s.nominated_node_name.as_deref());
    if let Some(n) = nominated.filter(|n| !n.is_empty()).and_then(|n| snapshot.get(n)) {
        let s = fw.run_filter_with_nominated_pods(
            state,
            pod,
            n,
            snapshot.nominated_pods(&n.name),
            snapshot,
        );
        if s.is_success() {
            return Ok((vec![n.clone()], diagnosis));
        }
    }

    let candidates: Vec<&Arc<NodeInfo>> = match &pre.node_names {
        Some(names) => snapshot.node_info_list.iter().filter(|n| names.contains(&n.name)).collect(),
        None => snapshot.node_info_list.iter().collect(),
    };
    if pre.node_names.is_some() {
        // Nodes PreFilter excluded count as unresolvable for this pod.
        for n in &snapshot.node_info_list {
            if !pre.node_names.as_ref().is_some_and(|names| names.contains(&n.name)) {
                diagnosis.node_to_status.insert(
                    n.name.clone(),
                    Status::unresolvable("node(s) didn't satisfy plugin(s) [NodeAffinity]"),
                );
            }
        }
    }
    let all = candidates.len();
    if all == 0 {
        return Ok((Vec::new(), diagnosis));
    }
    let to_find = num_feasible_nodes_to_find(fw.percentage_of_nodes_to_score, all);
    let start = cursor.next_start_node_index % all;
    let state: &CycleState = state;
    let check = |i: usize| -> (usize, Status) {
        let n = candidates[(start + i) % all];
        let s = if snapshot.nominated.is_empty() {
            fw.run_filter(state, pod, n)
        } else {
            fw.run_filter_with_nominated_pods(
                state,
                pod,
                n,
                snapshot.nominated_pods(&n.name),
                snapshot,
            )
        };
        (i, s)
    };

    let mut feasible_idx: Vec<usize> = Vec::new();
    let mut failed: Vec<(usize, Status)> = Vec::new();
    let processed;
    if all < PARALLEL_FILTER_THRESHOLD || !fw.parallel_filter {
        let mut i = 0;
        while i < all && feasible_idx.len() < to_find {
            let (i2, s) = check(i);
            if s.is_success() {
                feasible_idx.push(i2);
            } else {
                failed.push((i2, s));
            }
            i += 1;
        }
        processed = i;
    } else {
        // Chunks in parallel; stop handing out work once enough nodes fit.
        let found = AtomicUsize::new(0);
        let results: Vec<Vec<(usize, Status)>> = (0..all.div_ceil(FILTER_CHUNK))
            .into_par_iter()
            .map(|c| {
                let mut out = Vec::new();
                if found.load(Ordering::Relaxed) >= to_find {
                    return out;
                }
                for i in c * FILTER_CHUNK..((c + 1) * FILTER_CHUNK).min(all) {
                    let r = check(i);
                    if r.1.is_success() {
                        found.fetch_add(1, Ordering::Relaxed);
                    }
                    out.push(r);
                }
                out
            })
            .collect();
        // Keep the order nodes were visited in and cut at `to_find` like the serial path.
        let mut max_i = 0;
        for (i, s) in results.into_iter().flatten() {
            if s.is_success() {
                if feasible_idx.len() < to_find {
                    feasible_idx.push(i);
                    max_i = max_i.max(i + 1);
                }
            } else {
                failed.push((i, s));
                max_i = max_i.max(i + 1);
            }
        }
        processed = if feasible_idx.len() >= to_find { max_i } else { all };
    }
    cursor.next_start_node_index = (start + processed) % all;
    for (i, s) in failed {
        if s.code == Code::Error {
            return Err(ScheduleError::Error(s));
        }
        diagnosis.unschedulable_plugins.insert(s.plugin);
        diagnosis.node_to_status.insert(candidates[(start + i) % all].name.clone(), s);
    }
    let feasible =
        feasible_idx.into_iter().map(|i| candidates[(start + i) % all].clone()).collect();
    Ok((feasible, diagnosis))
}

/// PreScore and Score: one weighted total per feasible node.
pub fn prioritize_nodes(
    fw: &Framework,
    state: &mut CycleState,
    pod: &PodInfo,
    feasible: &[Arc<NodeInfo>],
    snapshot: &Snapshot,
) -> Result<Vec<i64>, ScheduleError> {
    let s = fw.run_pre_score(state, pod, feasible, snapshot);
    if !s.is_success() {
        return Err(ScheduleError::Error(s));
    }
    fw.run_score(state, pod, feasible).map_err(ScheduleError::Error)
}

/// The highest score wins; ties are broken uniformly at random (reservoir sampling).
pub fn select_host(nodes: &[Arc<NodeInfo>], scores: &[i64]) -> String {
    let mut rng = rand::thread_rng();
    let mut best = 0usize;
    let mut ties = 1u32;
    for i in 1..nodes.len().min(scores.len()) {
        if scores[i] > scores[best] {
            best = i;
            ties = 1;
        } else if scores[i] == scores[best] {
            ties += 1;
            if rng.gen_range(0..ties) == 0 {
                best = i;
            }
        }
    }
    nodes.get(best).map(|n| n.name.clone()).unwrap_or_default()
}

/// Reasons of a failed attempt, per node, grouped (for logs).
pub fn reasons_by_node(d: &Diagnosis) -> HashMap<String, String> {
    d.node_to_status.iter().map(|(n, s)| (n.clone(), s.message())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_percentage_of_nodes_to_score() {
        assert_eq!(num_feasible_nodes_to_find(None, 50), 50);
        assert_eq!(num_feasible_nodes_to_find(None, 100), 100);
        // 500 nodes: 50 - 4 = 46%
        assert_eq!(num_feasible_nodes_to_find(None, 500), 230);
        // 5000 nodes: 50 - 40 = 10%
        assert_eq!(num_feasible_nodes_to_find(None, 5000), 500);
        // 6000 nodes: floor of 5%
        assert_eq!(num_feasible_nodes_to_find(None, 6000), 300);
        assert_eq!(num_feasible_nodes_to_find(Some(100), 6000), 6000);
        assert_eq!(num_feasible_nodes_to_find(Some(1), 1000), 100);
    }

    #[test]
    fn parallel_and_serial_filtering_agree() {
        use crate::framework::types::NodeInfo;
        use crate::plugins::node_resources::fit::NodeResourcesFit;
        use serde_json::json;
        // 2,000 nodes, every third one too small: both paths find the same number of feasible
        // nodes, report the same failures and move the cursor the same way.
        let nodes: Vec<NodeInfo> = (0..2000)
            .map(|i| {
                let cpu = if i % 3 == 0 { "100m" } else { "4" };
                let n: k8s_openapi::api::core::v1::Node = serde_json::from_value(json!({
                    "metadata": {"name": format!("n{i:04}")},
                    "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}}
                }))
                .expect("node");
                NodeInfo::new(Arc::new(n))
            })
            .collect();
        let snapshot = Snapshot::from_nodes(nodes);
        let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "default", "uid": "u"},
            "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]}
        }))
        .expect("pod");
        let pod = PodInfo::new(Arc::new(pod));
        let run = |parallel: bool, pct: u32| {
            let mut fw = Framework::new("default-scheduler");
            fw.parallel_filter = parallel;
            fw.percentage_of_nodes_to_score = Some(pct);
            let fit = Arc::new(NodeResourcesFit::default());
            fw.pre_filter.push(fit.clone());
            fw.filter.push(fit);
            let mut state = CycleState::new();
            let mut cursor = Cursor::default();
            let (feasible, d) =
                find_nodes_that_fit(&fw, &mut state, &pod, &snapshot, &mut cursor).expect("fits");
            (feasible.len(), d.node_to_status.len(), cursor.next_start_node_index)
        };
        // Everything examined: identical results.
        assert_eq!(run(true, 100), run(false, 100));
        assert_eq!(run(true, 100), (1333, 667, 0));
        // Stopping early: both find exactly the number asked for.
        let (feasible, _, _) = run(true, 10);
        assert_eq!(feasible, 200);
        assert_eq!(run(false, 10).0, 200);
    }

    #[test]
    fn fit_error_message_matches_kube_scheduler() {
        let mut d = Diagnosis::default();
        d.node_to_status.insert("a".into(), Status::unschedulable("Insufficient cpu"));
        d.node_to_status.insert(
            "b".into(),
            Status::unresolvable(
                "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
            ),
        );
        d.node_to_status.insert(
            "c".into(),
            Status::unresolvable(
                "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
            ),
        );
        d.post_filter_msg =
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling"
                .into();
        let e = FitError { num_all_nodes: 3, diagnosis: d };
        assert_eq!(
            e.to_string(),
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
    }
}
