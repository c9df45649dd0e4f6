//! The framework: ordered plugin lists per extension point and the functions that run them
//! (kube-scheduler's `framework/runtime/framework.go`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::oneshot;

use super::cycle_state::CycleState;
use super::interface::*;
use super::snapshot::Snapshot;
use super::status::{Code, Status};
use super::types::{NodeInfo, PodInfo};

/// A score plugin with its weight (kube-scheduler's default profile weights).
pub struct WeightedScore {
    pub plugin: Arc<dyn ScorePlugin>,
    pub weight: i64,
}

/// One scheduling profile: a scheduler name and the plugins that run for its pods.
#[derive(Default)]
pub struct Framework {
    /// `spec.schedulerName` this profile serves.
    pub scheduler_name: String,
    /// Percentage of nodes to find feasible before scoring; `None` = Kubernetes' adaptive default.
    pub percentage_of_nodes_to_score: Option<u32>,
    /// Filter large clusters on several threads. Off by default on machines with two cores or
    /// fewer: there the API server needs the other core, and splitting the node list costs
    /// more than it saves (measured with `krust bench scheduler`).
    pub parallel_filter: bool,
    pub pre_enqueue: Vec<Arc<dyn PreEnqueuePlugin>>,
    pub pre_filter: Vec<Arc<dyn PreFilterPlugin>>,
    pub filter: Vec<Arc<dyn FilterPlugin>>,
    pub post_filter: Vec<Arc<dyn PostFilterPlugin>>,
    pub pre_score: Vec<Arc<dyn PreScorePlugin>>,
    pub score: Vec<WeightedScore>,
    pub reserve: Vec<Arc<dyn ReservePlugin>>,
    pub permit: Vec<Arc<dyn PermitPlugin>>,
    pub pre_bind: Vec<Arc<dyn PreBindPlugin>>,
    pub bind: Vec<Arc<dyn BindPlugin>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Status>>>,
}

impl Framework {
    pub fn new(scheduler_name: &str) -> Self {
        Framework {
            scheduler_name: scheduler_name.to_string(),
            parallel_filter: std::thread::available_parallelism().is_ok_and(|n| n.get() > 2),
            ..Default::default()
        }
    }

    pub fn run_pre_enqueue(&self, pod: &k8s_openapi::api::core::v1::Pod) -> Status {
        for p in &self.pre_enqueue {
            let s = p.pre_enqueue(pod);
            if !s.is_success() {
                return s.with_plugin(p.name());
            }
        }
        Status::success()
    }

    /// Runs every PreFilter; a rejection names its plugin. Skips are remembered in `state`.
    pub fn run_pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
    ) -> (PreFilterResult, Status) {
        let mut result = PreFilterResult::all_nodes();
        let mut narrowed_by = Vec::new();
        for p in &self.pre_filter {
            let (r, s) = p.pre_filter(state, pod, snapshot);
            if s.is_skip() {
                state.skip_filter_plugins.insert(p.name());
                continue;
            }
            if !s.is_success() {
                return (PreFilterResult::all_nodes(), s.with_plugin(p.name()));
            }
            if r.node_names.is_some() {
                narrowed_by.push(p.name());
            }
            result = result.merge(r);
            if result.node_names.as_ref().is_some_and(|n| n.is_empty()) {
                let msg = format!("node(s) didn't satisfy plugin(s) [{}]", narrowed_by.join(" "));
                return (result, Status::unresolvable(msg).with_plugin(p.name()));
            }
        }
        if self.filter.len() <= 64 {
            let mut mask = 0u64;
            for (i, p) in self.filter.iter().enumerate() {
                if state.skip_filter_plugins.contains(p.name()) {
                    mask |= 1 << i;
                }
            }
            state.filter_skip_mask = Some(mask);
        }
        (result, Status::success())
    }

    /// Runs the PreFilter extensions of every plugin that has them, as if `to_add` ran on `node`.
    pub fn run_pre_filter_add_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        to_add: &Arc<PodInfo>,
        node: &NodeInfo,
        snapshot: &Snapshot,
    ) -> Status {
        self.run_pre_filter_extensions(state, |p, state| {
            p.add_pod(state, pod, to_add, node, snapshot)
        })
    }

    /// The same, as if `to_remove` were gone from `node`.
    pub fn run_pre_filter_remove_pod(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        to_remove: &Arc<PodInfo>,
        node: &NodeInfo,
        snapshot: &Snapshot,
    ) -> Status {
        self.run_pre_filter_extensions(state, |p, state| {
            p.remove_pod(state, pod, to_remove, node, snapshot)
        })
    }

    fn run_pre_filter_extensions(
        &self,
        state: &mut CycleState,
        mut call: impl FnMut(&dyn PreFilterPlugin, &mut CycleState) -> Status,
    ) -> Status {
        for p in self.pre_filter.iter().filter(|p| p.has_extensions()) {
            if state.skip_filter_plugins.contains(p.name()) {
                continue;
            }
            let s = call(p.as_ref(), state);
            if !s.is_success() {
                return s.with_plugin(p.name());
            }
        }
        Status::success()
    }

    /// Runs the filters on one node; the first rejection wins.
    pub fn run_filter(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        for (i, p) in self.filter.iter().enumerate() {
            let skip = match state.filter_skip_mask {
                Some(mask) => mask & (1 << i) != 0,
                None => state.skip_filter_plugins.contains(p.name()),
            };
            if skip {
                continue;
            }
            let s = p.filter(state, pod, node);
            if !s.is_success() {
                let s = if s.code == Code::Error || s.is_rejected() {
                    s
                } else {
                    Status::error(format!("filter plugin returned unexpected {:?}", s.code))
                };
                return s.with_plugin(p.name());
            }
        }
        Status::success()
    }

    /// Filters a node as kube-scheduler's `RunFilterPluginsWithNominatedPods` does: pods
    /// nominated to this node with at least this pod's priority count as if running there, and
    /// the pod must fit both with and without them.
    pub fn run_filter_with_nominated_pods(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        node: &NodeInfo,
        nominated: &[Arc<PodInfo>],
        snapshot: &Snapshot,
    ) -> Status {
        let higher: Vec<&Arc<PodInfo>> = nominated
            .iter()
            .filter(|n| n.uid() != pod.uid() && n.priority() >= pod.priority())
            .collect();
        if !higher.is_empty() {
            let mut state = state.clone();
            let mut node = node.clone();
            for n in higher {
                node.add_pod(n.clone());
                let s = self.run_pre_filter_add_pod(&mut state, pod, n, &node, snapshot);
                if !s.is_success() {
                    return s;
                }
            }
            let s = self.run_filter(&state, pod, &node);
            if !s.is_success() {
                return s;
            }
        }
        self.run_filter(state, pod, node)
    }

    pub fn run_post_filter(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
        statuses: &NodeToStatus,
    ) -> (PostFilterResult, Status) {
        let mut last = Status::unschedulable("no post filter plugin ran");
        for p in &self.post_filter {
            let (r, s) = p.post_filter(self, state, pod, snapshot, statuses);
            if s.is_success() {
                return (r, s);
            }
            if !s.is_rejected() {
                return (r, s.with_plugin(p.name()));
            }
            last = s.with_plugin(p.name());
        }
        (PostFilterResult::default(), last)
    }

    pub fn run_pre_score(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        nodes: &[Arc<NodeInfo>],
        snapshot: &Snapshot,
    ) -> Status {
        for p in &self.pre_score {
            let s = p.pre_score(state, pod, nodes, snapshot);
            if s.is_skip() {
                state.skip_score_plugins.insert(p.name());
                continue;
            }
            if !s.is_success() {
                return s.with_plugin(p.name());
            }
        }
        Status::success()
    }

    /// Scores every node with every score plugin, normalizes, weighs and sums.
    pub fn run_score(
        &self,
        state: &CycleState,
        pod: &PodInfo,
        nodes: &[Arc<NodeInfo>],
    ) -> Result<Vec<i64>, Status> {
        let mut totals = vec![0i64; nodes.len()];
        let mut scores = vec![0i64; nodes.len()];
        for w in &self.score {
            let p = &w.plugin;
            if state.skip_score_plugins.contains(p.name()) {
                continue;
            }
            for (i, n) in nodes.iter().enumerate() {
                let (score, s) = p.score(state, pod, n);
                if !s.is_success() {
                    return Err(s.with_plugin(p.name()));
                }
                scores[i] = score;
            }
            let s = p.normalize_score(state, pod, &mut scores);
            if !s.is_success() {
                return Err(s.with_plugin(p.name()));
            }
            for (t, s) in totals.iter_mut().zip(&scores) {
                if !(MIN_NODE_SCORE..=MAX_NODE_SCORE).contains(s) {
                    return Err(Status::error(format!(
                        "plugin {} returned an invalid score {s}",
                        p.name()
                    )));
                }
                *t += s * w.weight;
            }
        }
        Ok(totals)
    }

    pub fn run_reserve(&self, state: &mut CycleState, pod: &PodInfo, node: &str) -> Status {
        for p in &self.reserve {
            let s = p.reserve(state, pod, node);
            if !s.is_success() {
                return s.with_plugin(p.name());
            }
        }
        Status::success()
    }

    /// Unreserve runs in reverse order, always for every plugin.
    pub fn run_unreserve(&self, state: &mut CycleState, pod: &PodInfo, node: &str) {
        for p in self.reserve.iter().rev() {
            p.unreserve(state, pod, node);
        }
    }

    /// Returns the combined verdict and, for `Wait`, how long to wait.
    pub fn run_permit(&self, state: &CycleState, pod: &PodInfo, node: &str) -> (Status, Duration) {
        let mut wait = None::<Duration>;
        for p in &self.permit {
            let (s, d) = p.permit(state, pod, node);
            match s.code {
                Code::Success => {}
                Code::Wait => wait = Some(wait.map_or(d, |w| w.min(d))),
                _ => return (s.with_plugin(p.name()), Duration::ZERO),
            }
        }
        match wait {
            Some(d) => (Status::new(Code::Wait, "waiting on permit"), d),
            None => (Status::success(), Duration::ZERO),
        }
    }

    /// Registers a pod held by Permit and returns what to await.
    pub fn register_waiting_pod(&self, uid: &str) -> oneshot::Receiver<Status> {
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().insert(uid.to_string(), tx);
        rx
    }

    /// Lets a waiting pod proceed to binding.
    pub fn allow_waiting_pod(&self, uid: &str) -> bool {
        self.waiting.lock().remove(uid).is_some_and(|tx| tx.send(Status::success()).is_ok())
    }

    /// Rejects a waiting pod; it goes back to the queue.
    pub fn reject_waiting_pod(&self, uid: &str, msg: &str) -> bool {
        self.waiting
            .lock()
            .remove(uid)
            .is_some_and(|tx| tx.send(Status::unschedulable(msg)).is_ok())
    }

    pub fn forget_waiting_pod(&self, uid: &str) {
        self.waiting.lock().remove(uid);
    }

    pub async fn run_pre_bind(&self, state: &CycleState, pod: &PodInfo, node: &str) -> Status {
        for p in &self.pre_bind {
            let s = p.pre_bind(state, pod, node).await;
            if !s.is_success() {
                return s.with_plugin(p.name());
            }
        }
        Status::success()
    }

    pub async fn run_bind(&self, state: &CycleState, pod: &PodInfo, node: &str) -> Status {
        for p in &self.bind {
            let s = p.bind(state, pod, node).await;
            if s.is_skip() {
                continue;
            }
            return if s.is_success() { s } else { s.with_plugin(p.name()) };
        }
        Status::error("no bind plugin bound the pod")
    }
}
