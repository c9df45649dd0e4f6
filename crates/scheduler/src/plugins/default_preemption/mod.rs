//! DefaultPreemption (kube-scheduler's `plugins/defaultpreemption` and
//! `framework/preemption/preemption.go`): when a pod fits nowhere, find a node where evicting
//! lower-priority pods would make room, choose the fewest and least important such pods, and
//! nominate the pod to that node.
//!
//! Sans-IO: the plugin only decides. It returns the node, the victims to delete and the
//! lower-priority nominations to clear in a [`PostFilterResult`]; the scheduler's async shell
//! marks the victims (`DisruptionTarget` condition, reason `PreemptionByScheduler`), deletes
//! them and records the nomination.
//!
//! The search follows Kubernetes: only nodes whose filter status was Unschedulable (not
//! UnschedulableAndUnresolvable) are tried, starting at a random offset, until enough
//! candidates are found (10% of them, at least 100). On each, every lower-priority pod is
//! removed; if the pod then fits, victims are reprieved one by one from the most important
//! down, those whose eviction would break a PodDisruptionBudget first. Among the candidates
//! the node with the fewest budget violations wins, then the lowest highest victim priority,
//! the smallest priority sum, the fewest victims and the most recently started victims.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::jiff::Timestamp;
use kube::core::{Selector, SelectorExt};
use rand::Rng;

use crate::framework::types::{labels, NodeInfo, PodInfo};
use crate::framework::{
    Code, CycleState, Framework, NodeToStatus, Plugin, PostFilterPlugin, PostFilterResult,
    Snapshot, Status,
};

pub const NAME: &str = "DefaultPreemption";

/// Reason for nodes preemption was not tried on (their filter status was unresolvable).
pub const PREEMPTION_NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
/// Reason for a node without lower-priority pods.
pub const NO_VICTIMS_FOUND: &str = "No preemption victims found for incoming pod";

/// `config.DefaultPreemptionArgs`: how many candidate nodes to find before choosing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefaultPreemptionArgs {
    /// Percentage of the potential nodes to find candidates on.
    pub min_candidate_nodes_percentage: i32,
    /// At least this many candidates (capped by the number of potential nodes).
    pub min_candidate_nodes_absolute: i32,
}

impl Default for DefaultPreemptionArgs {
    fn default() -> Self {
        DefaultPreemptionArgs {
            min_candidate_nodes_percentage: 10,
            min_candidate_nodes_absolute: 100,
        }
    }
}

/// A node where evicting `victims` makes room for the pod.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub node: String,
    /// Ordered from the most to the least important.
    pub victims: Vec<Arc<PodInfo>>,
    /// How many victims' eviction would break a PodDisruptionBudget.
    pub num_pdb_violations: usize,
}

#[derive(Clone, Debug, Default)]
pub struct DefaultPreemption {
    args: DefaultPreemptionArgs,
    /// Where to start the search among the potential nodes; `None` = random, as Kubernetes.
    fixed_offset: Option<usize>,
}

impl DefaultPreemption {
    /// Builds the plugin, validating the args as `ValidateDefaultPreemptionArgs` does.
    pub fn new(args: DefaultPreemptionArgs) -> Result<DefaultPreemption, String> {
        if !(0..=100).contains(&args.min_candidate_nodes_percentage) {
            return Err(format!(
                "minCandidateNodesPercentage: Invalid value: {}: not in valid range [0, 100]",
                args.min_candidate_nodes_percentage
            ));
        }
        if args.min_candidate_nodes_absolute < 0 {
            return Err(format!(
                "minCandidateNodesAbsolute: Invalid value: {}: not in valid range [0, inf)",
                args.min_candidate_nodes_absolute
            ));
        }
        if args.min_candidate_nodes_percentage == 0 && args.min_candidate_nodes_absolute == 0 {
            return Err("minCandidateNodesPercentage, minCandidateNodesAbsolute: Invalid value: \
                        both cannot be zero"
                .into());
        }
        Ok(DefaultPreemption { args, fixed_offset: None })
    }

    /// Starts the candidate search at this index instead of a random one (deterministic
    /// tests and benchmarks).
    pub fn with_offset(mut self, offset: usize) -> DefaultPreemption {
        self.fixed_offset = Some(offset);
        self
    }

    /// How many candidates to find among `num_nodes` potential nodes
    /// (`calculateNumCandidates`).
    pub fn num_candidates(&self, num_nodes: usize) -> usize {
        let num_nodes = num_nodes as i64;
        let n = (num_nodes * i64::from(self.args.min_candidate_nodes_percentage) / 100)
            .max(i64::from(self.args.min_candidate_nodes_absolute))
            .min(num_nodes);
        n.max(0) as usize
    }

    fn offset(&self, num_nodes: usize) -> usize {
        match self.fixed_offset {
            Some(o) => o % num_nodes,
            None => rand::thread_rng().gen_range(0..num_nodes),
        }
    }

    /// `Evaluator.Preempt`, with the plugin's "preemption: " prefix added by the caller.
    fn preempt(
        &self,
        fw: &Framework,
        state: &CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
        statuses: &NodeToStatus,
    ) -> (PostFilterResult, Status) {
        if let Err(msg) = pod_eligible_to_preempt_others(pod, snapshot, statuses) {
            return (PostFilterResult::default(), Status::unschedulable(msg));
        }
        if snapshot.node_info_list.is_empty() {
            return (PostFilterResult::default(), Status::error("no nodes available"));
        }

        // Only nodes a filter found Unschedulable can be helped by evicting pods. Nodes
        // missing from the map count as UnschedulableAndUnresolvable, Kubernetes' default
        // for nodes without an explicit status.
        let potential: Vec<&Arc<NodeInfo>> = snapshot
            .node_info_list
            .iter()
            .filter(|n| statuses.get(&n.name).is_some_and(|s| s.code == Code::Unschedulable))
            .collect();
        let (candidates, node_statuses, errors) = if potential.is_empty() {
            (Vec::new(), Vec::new(), Vec::new())
        } else {
            let budgets = Budget::from_pdbs(&snapshot.objects.pdbs);
            self.dry_run_preemption(fw, state, pod, snapshot, &potential, &budgets)
        };
        if candidates.is_empty() {
            if !errors.is_empty() {
                return (PostFilterResult::default(), Status::error(aggregate(errors)));
            }
            let msg = fit_error_message(snapshot.num_nodes(), &node_statuses);
            // An empty nomination clears whatever node the pod was nominated to before.
            let result =
                PostFilterResult { nominated_node: Some(String::new()), ..Default::default() };
            return (result, Status::unschedulable(msg));
        }

        let best = select_candidate(&candidates);
        let Some(best) = candidates.get(best) else {
            return (
                PostFilterResult::default(),
                Status::unschedulable("no candidate node for preemption"),
            );
        };
        let victims = best
            .victims
            .iter()
            // Victims already on their way out need no second deletion.
            .filter(|v| v.pod.metadata.deletion_timestamp.is_none())
            .cloned()
            .collect();
        // Lower-priority pods nominated here may no longer fit once this pod takes the room;
        // clearing their nomination sends them back to look elsewhere.
        let clear_nominations = snapshot
            .nominated_pods(&best.node)
            .iter()
            .filter(|p| p.priority() < pod.priority())
            .map(|p| p.pod.clone())
            .collect();
        let result = PostFilterResult {
            nominated_node: Some(best.node.clone()),
            victims,
            clear_nominations,
        };
        (result, Status::success())
    }

    /// Tries the potential nodes from a random offset until enough candidates are found
    /// (`DryRunPreemption`). Returns the candidates (those violating no budget first), the
    /// status of every node tried that is not a candidate, and the errors met.
    fn dry_run_preemption(
        &self,
        fw: &Framework,
        state: &CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
        potential: &[&Arc<NodeInfo>],
        budgets: &[Budget],
    ) -> (Vec<Candidate>, Vec<(String, Status)>, Vec<String>) {
        let n = potential.len();
        let wanted = self.num_candidates(n);
        let offset = self.offset(n);
        let mut non_violating: Vec<Candidate> = Vec::new();
        let mut violating: Vec<Candidate> = Vec::new();
        let mut statuses = Vec::new();
        let mut errors = Vec::new();
        for i in 0..n {
            let node_info = potential[(offset + i) % n];
            // Simulate on copies: the snapshot and the cycle's state stay untouched.
            let mut node = NodeInfo::clone(node_info);
            let mut state = state.clone();
            let status =
                match select_victims_on_node(fw, &mut state, pod, &mut node, snapshot, budgets) {
                    Ok((victims, _)) if victims.is_empty() => Status::error(format!(
                        "expected at least one victim pod on node \"{}\"",
                        node.name
                    )),
                    Ok((victims, num_pdb_violations)) => {
                        let list = if num_pdb_violations == 0 {
                            &mut non_violating
                        } else {
                            &mut violating
                        };
                        if list.len() < wanted {
                            list.push(Candidate {
                                node: node.name.clone(),
                                victims,
                                num_pdb_violations,
                            });
                        }
                        if !non_violating.is_empty()
                            && non_violating.len() + violating.len() >= wanted
                        {
                            break;
                        }
                        continue;
                    }
                    Err(s) => s,
                };
            if status.code == Code::Error {
                errors.push(status.message());
            }
            statuses.push((node.name.clone(), status));
        }
        non_violating.extend(violating);
        (non_violating, statuses, errors)
    }
}

impl Plugin for DefaultPreemption {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl PostFilterPlugin for DefaultPreemption {
    fn post_filter(
        &self,
        fw: &Framework,
        state: &CycleState,
        pod: &PodInfo,
        snapshot: &Snapshot,
        statuses: &NodeToStatus,
    ) -> (PostFilterResult, Status) {
        let (result, status) = self.preempt(fw, state, pod, snapshot, statuses);
        let msg = status.message();
        if msg.is_empty() {
            return (result, status);
        }
        (result, Status::new(status.code, format!("preemption: {msg}")))
    }
}

/// Whether the pod may preempt at all (`PodEligibleToPreemptOthers`): not with
/// `preemptionPolicy: Never`, and not while lower-priority pods it already preempted are
/// still terminating on the node it is nominated to — unless that node has since become
/// unresolvable for it.
pub fn pod_eligible_to_preempt_others(
    pod: &PodInfo,
    snapshot: &Snapshot,
    statuses: &NodeToStatus,
) -> Result<(), &'static str> {
    let spec = pod.pod.spec.as_ref();
    if spec.and_then(|s| s.preemption_policy.as_deref()) == Some("Never") {
        return Err("not eligible due to preemptionPolicy=Never.");
    }
    let nominated = pod
        .pod
        .status
        .as_ref()
        .and_then(|s| s.nominated_node_name.as_deref())
        .filter(|n| !n.is_empty());
    if let Some(nominated) = nominated {
        // A node absent from the map counts as unresolvable, as Kubernetes' default.
        let code = statuses.get(nominated).map_or(Code::UnschedulableAndUnresolvable, |s| s.code);
        if code == Code::UnschedulableAndUnresolvable {
            return Ok(());
        }
        if let Some(node) = snapshot.get(nominated) {
            let priority = pod.priority();
            if node
                .pods
                .iter()
                .any(|p| p.priority() < priority && terminating_by_preemption(&p.pod))
            {
                return Err("not eligible due to a terminating pod on the nominated node.");
            }
        }
    }
    Ok(())
}

/// A pod being deleted because the scheduler preempted it (`podTerminatingByPreemption`).
pub fn terminating_by_preemption(pod: &Pod) -> bool {
    if pod.metadata.deletion_timestamp.is_none() {
        return false;
    }
    let conditions = pod.status.as_ref().and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
    conditions
        .iter()
        .find(|c| c.type_ == "DisruptionTarget")
        .is_some_and(|c| c.status == "True" && c.reason.as_deref() == Some("PreemptionByScheduler"))
}

/// `status.startTime`; a pod that has not started counts as starting now, i.e. after every
/// pod that has (`util.GetPodStartTime`). `None` sorts last.
fn start_time(p: &PodInfo) -> (bool, Option<Timestamp>) {
    let t = p.pod.status.as_ref().and_then(|s| s.start_time.as_ref()).map(|t| t.0);
    (t.is_none(), t)
}

/// Higher priority first, then the longer-running pod (`util.MoreImportantPod`).
fn more_important_first(a: &Arc<PodInfo>, b: &Arc<PodInfo>) -> Ordering {
    b.priority().cmp(&a.priority()).then_with(|| start_time(a).cmp(&start_time(b)))
}

/// A PodDisruptionBudget reduced to what victim selection needs, parsed once per preemption.
struct Budget<'a> {
    namespace: &'a str,
    selector: Selector,
    disruptions_allowed: i32,
    /// Pods the API server already counted as disrupted.
    disrupted_pods:
        Option<&'a BTreeMap<String, k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>>,
}

impl<'a> Budget<'a> {
    fn from_pdbs(pdbs: &'a [Arc<PodDisruptionBudget>]) -> Vec<Budget<'a>> {
        pdbs.iter()
            .filter_map(|pdb| {
                let ls = pdb.spec.as_ref()?.selector.as_ref()?;
                // An invalid selector matches nothing, and so does a nil or empty one.
                let selector = Selector::try_from(ls.clone()).ok()?;
                if selector.selects_all() {
                    return None;
                }
                let status = pdb.status.as_ref();
                Some(Budget {
                    namespace: pdb.metadata.namespace.as_deref().unwrap_or(""),
                    selector,
                    disruptions_allowed: status.map_or(0, |s| s.disruptions_allowed),
                    disrupted_pods: status.and_then(|s| s.disrupted_pods.as_ref()),
                })
            })
            .collect()
    }
}

/// Splits `pods` (order kept) into those whose eviction would take a matching budget below
/// zero and the rest, spending each budget's allowance as it goes
/// (`filterPodsWithPDBViolation`).
fn filter_pods_with_pdb_violation(
    pods: &[Arc<PodInfo>],
    budgets: &[Budget],
) -> (Vec<Arc<PodInfo>>, Vec<Arc<PodInfo>>) {
    let mut allowed: Vec<i32> = budgets.iter().map(|b| b.disruptions_allowed).collect();
    let (mut violating, mut non_violating) = (Vec::new(), Vec::new());
    for p in pods {
        let pod_labels = labels(&p.pod);
        let mut violated = false;
        // A pod without labels matches no budget.
        if !pod_labels.is_empty() {
            for (b, allowed) in budgets.iter().zip(allowed.iter_mut()) {
                if b.namespace != p.namespace() || !b.selector.matches(pod_labels) {
                    continue;
                }
                if b.disrupted_pods.is_some_and(|d| d.contains_key(p.name())) {
                    continue;
                }
                *allowed -= 1;
                if *allowed < 0 {
                    violated = true;
                }
            }
        }
        if violated {
            violating.push(p.clone());
        } else {
            non_violating.push(p.clone());
        }
    }
    (violating, non_violating)
}

/// Finds the fewest, least important pods on `node` whose eviction lets `pod` fit
/// (`SelectVictimsOnNode`); `node` and `state` are the caller's copies and are modified.
/// Returns the victims (most important first) and how many of them break a budget.
fn select_victims_on_node(
    fw: &Framework,
    state: &mut CycleState,
    pod: &PodInfo,
    node: &mut NodeInfo,
    snapshot: &Snapshot,
    budgets: &[Budget],
) -> Result<(Vec<Arc<PodInfo>>, usize), Status> {
    let remove = |state: &mut CycleState, node: &mut NodeInfo, victim: &Arc<PodInfo>| {
        if !node.remove_pod(victim.uid()) {
            return Err(Status::error(format!(
                "no corresponding pod {} in pods of node {}",
                victim.name(),
                node.name
            )));
        }
        let s = fw.run_pre_filter_remove_pod(state, pod, victim, node, snapshot);
        if s.is_success() {
            Ok(())
        } else {
            Err(Status::error(s.message()))
        }
    };
    let add = |state: &mut CycleState, node: &mut NodeInfo, victim: &Arc<PodInfo>| {
        node.add_pod(victim.clone());
        let s = fw.run_pre_filter_add_pod(state, pod, victim, node, snapshot);
        if s.is_success() {
            Ok(())
        } else {
            Err(Status::error(s.message()))
        }
    };

    let priority = pod.priority();
    let mut potential: Vec<Arc<PodInfo>> =
        node.pods.iter().filter(|p| p.priority() < priority).cloned().collect();
    for victim in &potential {
        remove(state, node, victim)?;
    }
    if potential.is_empty() {
        return Err(Status::unresolvable(NO_VICTIMS_FOUND));
    }
    let nominated = snapshot.nominated_pods(&node.name);
    // If the pod does not fit even with every lower-priority pod gone, this node cannot
    // help. (Affinity to a victim is not considered, as in Kubernetes.)
    let s = fw.run_filter_with_nominated_pods(state, pod, node, nominated, snapshot);
    if !s.is_success() {
        return Err(s);
    }

    potential.sort_by(more_important_first);
    let (violating, non_violating) = filter_pods_with_pdb_violation(&potential, budgets);
    let mut victims = Vec::new();
    let mut reprieve = |state: &mut CycleState, node: &mut NodeInfo, p: &Arc<PodInfo>| {
        add(state, node, p)?;
        let fits =
            fw.run_filter_with_nominated_pods(state, pod, node, nominated, snapshot).is_success();
        if !fits {
            remove(state, node, p)?;
            victims.push(p.clone());
        }
        Ok::<bool, Status>(fits)
    };
    // Reprieve budget-protected pods first, so evictions land on unprotected ones.
    let mut num_violating = 0;
    for p in &violating {
        if !reprieve(state, node, p)? {
            num_violating += 1;
        }
    }
    for p in &non_violating {
        reprieve(state, node, p)?;
    }
    if !violating.is_empty() && !non_violating.is_empty() {
        victims.sort_by(more_important_first);
    }
    Ok((victims, num_violating))
}

/// The index of the candidate to preempt on (`SelectCandidate` / `pickOneNodeForPreemption`):
/// each criterion keeps the best-scoring candidates, the next breaks ties, then the first.
pub fn select_candidate(candidates: &[Candidate]) -> usize {
    // Every score is "higher is better".
    let criteria: [fn(&Candidate) -> i128; 5] = [
        // Fewest PodDisruptionBudget violations.
        |c| -(c.num_pdb_violations as i128),
        // Lowest priority among the most important victims (victims[0] is the highest).
        |c| -i128::from(c.victims.first().map_or(0, |v| v.priority())),
        // Smallest sum of priorities, each shifted to be non-negative so that many
        // negative-priority victims do not look cheaper than a few.
        |c| {
            -c.victims
                .iter()
                .map(|v| i128::from(v.priority()) + i128::from(i32::MAX) + 1)
                .sum::<i128>()
        },
        // Fewest victims.
        |c| -(c.victims.len() as i128),
        // Most recent start among the highest-priority victims: disrupt the least work done.
        |c| earliest_start_of_highest_priority(&c.victims),
    ];
    let mut remaining: Vec<usize> = (0..candidates.len()).collect();
    for criterion in criteria {
        if remaining.len() <= 1 {
            break;
        }
        let best = remaining.iter().map(|&i| criterion(&candidates[i])).max().unwrap_or(0);
        remaining.retain(|&i| criterion(&candidates[i]) == best);
    }
    remaining.first().copied().unwrap_or(0)
}

/// Earliest start time among the victims with the highest priority, in nanoseconds; a pod
/// that has not started counts as starting now, later than any that has
/// (`util.GetEarliestPodStartTime`).
fn earliest_start_of_highest_priority(victims: &[Arc<PodInfo>]) -> i128 {
    let Some(max_priority) = victims.iter().map(|v| v.priority()).max() else {
        return i128::MIN;
    };
    let earliest =
        victims.iter().filter(|v| v.priority() == max_priority).map(|v| start_time(v)).min();
    match earliest {
        Some((false, Some(t))) => t.as_nanosecond(),
        _ => i128::MAX,
    }
}

/// The FitError text for "no candidate anywhere": reason counts over all nodes, the ones not
/// tried counted as "Preemption is not helpful for scheduling", sorted as strings.
fn fit_error_message(num_all_nodes: usize, statuses: &[(String, Status)]) -> String {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, s) in statuses {
        for r in &s.reasons {
            *counts.entry(r.as_str()).or_default() += 1;
        }
    }
    if statuses.len() < num_all_nodes {
        *counts.entry(PREEMPTION_NOT_HELPFUL).or_default() += num_all_nodes - statuses.len();
    }
    let mut parts: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    let mut msg = format!("0/{num_all_nodes} nodes are available:");
    if !parts.is_empty() {
        msg.push_str(&format!(" {}.", parts.join(", ")));
    }
    msg
}

/// Several errors as `utilerrors.NewAggregate` prints them: duplicates dropped, one as is,
/// more in brackets.
fn aggregate(errors: Vec<String>) -> String {
    let mut unique: Vec<String> = Vec::with_capacity(errors.len());
    for e in errors {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    if unique.len() == 1 {
        unique.remove(0)
    } else {
        format!("[{}]", unique.join(", "))
    }
}

#[cfg(test)]
mod tests;
