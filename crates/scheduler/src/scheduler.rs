//! The async shell around the pure scheduling cycle: informers feed the cache and the queue,
//! one loop pops pods and runs the cycle, and each decision is bound in its own task so the
//! next pod need not wait for the API round trip (kube-scheduler's `scheduler.go` and
//! `schedule_one.go`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use k8s_openapi::api::apps::v1::{ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{
    Namespace, Node, ObjectReference, Pod, ReplicationController, Service,
};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use krust_runtime::events::{EventRecorder, EventType};
use krust_runtime::leader::{LeaderElectionConfig, LeaderElector};
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::{Client, Resource};
use parking_lot::Mutex;
use serde_json::json;
use tokio::sync::watch;

use crate::cache::Cache;
use crate::cycle::{self, Cursor, ScheduleError};
use crate::framework::{ClusterObjects, Code, CycleState, Framework, PodInfo, Snapshot, Status};
use crate::plugins::default_binder;
use crate::queue::{ClusterEvent, QueuedPodInfo, SchedulingQueue};

pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

#[derive(Clone, Debug)]
pub struct SchedulerConfig {
    /// The `spec.schedulerName` served.
    pub scheduler_name: String,
    /// `None` runs without leader election (a single scheduler).
    pub leader_election: Option<LeaderElectionConfig>,
    pub percentage_of_nodes_to_score: Option<u32>,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            scheduler_name: DEFAULT_SCHEDULER_NAME.into(),
            leader_election: None,
            percentage_of_nodes_to_score: None,
        }
    }
}

/// Counters for benchmarks and logs.
#[derive(Default)]
pub struct Metrics {
    pub scheduled: AtomicU64,
    pub bound: AtomicU64,
    pub unschedulable: AtomicU64,
    pub errors: AtomicU64,
    pub preemptions: AtomicU64,
}

/// Listers for what plugins consult besides pods and nodes.
struct Objects {
    namespaces: Store<Namespace>,
    pdbs: Store<PodDisruptionBudget>,
    services: Store<Service>,
    replica_sets: Store<ReplicaSet>,
    stateful_sets: Store<StatefulSet>,
    replication_controllers: Store<ReplicationController>,
    dirty: Arc<AtomicBool>,
}

impl Objects {
    fn build(&self) -> ClusterObjects {
        ClusterObjects {
            namespace_labels: self
                .namespaces
                .state()
                .iter()
                .map(|n| {
                    (
                        n.metadata.name.clone().unwrap_or_default(),
                        n.metadata.labels.clone().unwrap_or_default(),
                    )
                })
                .collect::<HashMap<String, BTreeMap<String, String>>>(),
            pdbs: self.pdbs.state(),
            services: self.services.state(),
            replica_sets: self.replica_sets.state(),
            stateful_sets: self.stateful_sets.state(),
            replication_controllers: self.replication_controllers.state(),
        }
    }
}

struct Shared {
    fw: Arc<Framework>,
    queue: Arc<SchedulingQueue>,
    cache: Mutex<Cache>,
    client: Client,
    recorder: EventRecorder,
    metrics: Arc<Metrics>,
}

/// A running scheduler.
pub struct Scheduler {
    pub metrics: Arc<Metrics>,
    /// Whether this instance currently leads (always true without leader election).
    pub leading: watch::Receiver<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    queue: Arc<SchedulingQueue>,
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.queue.close();
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Scheduler {
    /// Starts informers, leader election (if configured) and the scheduling loop, with the
    /// framework `build` makes (normally [`crate::profile::default_framework`]).
    pub fn start(
        client: Client,
        cfg: SchedulerConfig,
        build: impl FnOnce(Client, &SchedulerConfig) -> Framework,
    ) -> Scheduler {
        let mut fw = build(client.clone(), &cfg);
        fw.scheduler_name = cfg.scheduler_name.clone();
        fw.percentage_of_nodes_to_score = cfg.percentage_of_nodes_to_score;
        let fw = Arc::new(fw);
        let queue = Arc::new(SchedulingQueue::new());
        let identity = cfg
            .leader_election
            .as_ref()
            .map(|l| l.identity.clone())
            .unwrap_or_else(krust_runtime::leader::default_identity);
        let recorder = EventRecorder::start(client.clone(), &cfg.scheduler_name, &identity);
        let metrics = Arc::new(Metrics::default());
        let shared = Arc::new(Shared {
            fw,
            queue: queue.clone(),
            cache: Mutex::new(Cache::new()),
            client: client.clone(),
            recorder,
            metrics: metrics.clone(),
        });
        let mut tasks = Vec::new();
        let (leading, elector_task) = match cfg.leader_election.clone() {
            Some(le) => {
                let (rx, task) = LeaderElector::new(client.clone(), le).spawn();
                (rx, Some(task))
            }
            None => {
                let (tx, rx) = watch::channel(true);
                // Keep the sender alive for as long as the scheduler runs.
                tasks.push(tokio::spawn(async move {
                    tx.closed().await;
                }));
                (rx, None)
            }
        };
        tasks.extend(elector_task);

        let dirty = Arc::new(AtomicBool::new(true));
        let objects = Objects {
            namespaces: reflect::<Namespace>(&client, &dirty, &queue, &mut tasks),
            pdbs: reflect::<PodDisruptionBudget>(&client, &dirty, &queue, &mut tasks),
            services: reflect::<Service>(&client, &dirty, &queue, &mut tasks),
            replica_sets: reflect::<ReplicaSet>(&client, &dirty, &queue, &mut tasks),
            stateful_sets: reflect::<StatefulSet>(&client, &dirty, &queue, &mut tasks),
            replication_controllers: reflect::<ReplicationController>(
                &client, &dirty, &queue, &mut tasks,
            ),
            dirty,
        };
        tasks.push(tokio::spawn(watch_nodes(shared.clone())));
        tasks.push(tokio::spawn(watch_pods(shared.clone())));
        let q = queue.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tick.tick().await;
                q.flush_unschedulable_left_over();
            }
        }));
        tasks.push(tokio::spawn(scheduling_loop(shared, objects, leading.clone())));
        Scheduler { metrics, leading, tasks, queue }
    }
}

/// Runs a reflector for `K` whose changes mark the cluster objects dirty and retry parked pods.
fn reflect<K>(
    client: &Client,
    dirty: &Arc<AtomicBool>,
    queue: &Arc<SchedulingQueue>,
    tasks: &mut Vec<tokio::task::JoinHandle<()>>,
) -> Store<K>
where
    K: Resource<DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static,
{
    let (reader, writer) = reflector::store::<K>();
    let api: Api<K> = Api::all(client.clone());
    let stream = reflector::reflector(writer, watcher::watcher(api, watcher::Config::default()))
        .default_backoff()
        .touched_objects();
    let dirty = dirty.clone();
    let queue = queue.clone();
    tasks.push(tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            match item {
                Ok(_) => {
                    dirty.store(true, Ordering::Release);
                    queue.move_all_to_active_or_backoff(ClusterEvent::Other);
                }
                Err(e) => tracing::debug!(kind = %K::kind(&()), error = %e, "watch failed"),
            }
        }
    }));
    reader
}

/// Applies watcher events as add/update/delete, including deletions missed across a re-list.
async fn drive<K, S>(stream: S, mut on_apply: impl FnMut(Arc<K>), mut on_delete: impl FnMut(Arc<K>))
where
    K: Resource + Clone,
    S: Stream<Item = Result<Event<K>, watcher::Error>>,
{
    let mut stream = std::pin::pin!(stream);
    let mut known: HashMap<String, Arc<K>> = HashMap::new();
    let mut relist: Option<HashSet<String>> = None;
    let key = |o: &K| o.meta().uid.clone().unwrap_or_default();
    while let Some(ev) = stream.next().await {
        match ev {
            Ok(Event::Apply(o)) => {
                let o = Arc::new(o);
                known.insert(key(&o), o.clone());
                on_apply(o);
            }
            Ok(Event::Delete(o)) => {
                let o = Arc::new(o);
                known.remove(&key(&o));
                on_delete(o);
            }
            Ok(Event::Init) => relist = Some(HashSet::new()),
            Ok(Event::InitApply(o)) => {
                let o = Arc::new(o);
                let k = key(&o);
                if let Some(seen) = relist.as_mut() {
                    seen.insert(k.clone());
                }
                known.insert(k, o.clone());
                on_apply(o);
            }
            Ok(Event::InitDone) => {
                if let Some(seen) = relist.take() {
                    let gone: Vec<String> =
                        known.keys().filter(|k| !seen.contains(*k)).cloned().collect();
                    for k in gone {
                        if let Some(o) = known.remove(&k) {
                            on_delete(o);
                        }
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "watch failed; retrying"),
        }
    }
}

async fn watch_nodes(shared: Arc<Shared>) {
    let api: Api<Node> = Api::all(shared.client.clone());
    let stream = watcher::watcher(api, watcher::Config::default()).default_backoff();
    // The last version of each node, to tell additions from updates that matter.
    let seen: Mutex<HashMap<String, Arc<Node>>> = Mutex::new(HashMap::new());
    drive(
        stream,
        |node: Arc<Node>| {
            let name = node.metadata.name.clone().unwrap_or_default();
            let event = match seen.lock().insert(name, node.clone()) {
                None => Some(ClusterEvent::NodeAdd),
                Some(old) if node_changed_for_scheduling(&old, &node) => {
                    Some(ClusterEvent::NodeUpdate)
                }
                Some(_) => None,
            };
            shared.cache.lock().add_or_update_node(node);
            if let Some(e) = event {
                shared.queue.move_all_to_active_or_backoff(e);
            }
        },
        |node: Arc<Node>| {
            let name = node.metadata.name.clone().unwrap_or_default();
            seen.lock().remove(&name);
            shared.cache.lock().remove_node(&name);
        },
    )
    .await;
}

/// Node changes that can make a parked pod fit (heartbeats alone do not).
fn node_changed_for_scheduling(old: &Node, new: &Node) -> bool {
    let alloc = |n: &Node| n.status.as_ref().and_then(|s| s.allocatable.clone());
    let images = |n: &Node| n.status.as_ref().map(|s| s.images.as_ref().map(Vec::len));
    old.metadata.labels != new.metadata.labels
        || old.spec != new.spec
        || alloc(old) != alloc(new)
        || images(old) != images(new)
}

fn pod_node(pod: &Pod) -> &str {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).unwrap_or("")
}

fn is_terminal(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded") | Some("Failed")
    )
}

async fn watch_pods(shared: Arc<Shared>) {
    let api: Api<Pod> = Api::all(shared.client.clone());
    // kube-scheduler's pod informer: finished pods hold no resources.
    let cfg = watcher::Config::default().fields("status.phase!=Succeeded,status.phase!=Failed");
    let stream = watcher::watcher(api, cfg).default_backoff();
    let name = shared.fw.scheduler_name.clone();
    let del_shared = shared.clone();
    drive(
        stream,
        |pod: Arc<Pod>| on_pod(&shared, &name, pod),
        |pod: Arc<Pod>| on_pod_delete(&del_shared, &pod),
    )
    .await;
}

fn on_pod(shared: &Shared, scheduler_name: &str, pod: Arc<Pod>) {
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    if is_terminal(&pod) {
        on_pod_delete(shared, &pod);
        return;
    }
    if !pod_node(&pod).is_empty() {
        shared.queue.delete(&uid);
        let mut cache = shared.cache.lock();
        let known = cache.contains_pod(&uid);
        cache.update_pod(pod);
        drop(cache);
        if !known {
            shared.queue.move_all_to_active_or_backoff(ClusterEvent::AssignedPodAdd);
        }
        return;
    }
    let responsible = pod
        .spec
        .as_ref()
        .map(|s| s.scheduler_name.as_deref().unwrap_or(DEFAULT_SCHEDULER_NAME) == scheduler_name)
        .unwrap_or(false);
    if !responsible || pod.metadata.deletion_timestamp.is_some() {
        shared.queue.delete(&uid);
        return;
    }
    // Our own assumed pod whose binding is in flight: nothing to schedule.
    if shared.cache.lock().is_assumed(&uid) {
        return;
    }
    let gated = !shared.fw.run_pre_enqueue(&pod).is_success();
    shared.queue.add(Arc::new(PodInfo::new(pod)), gated);
}

fn on_pod_delete(shared: &Shared, pod: &Pod) {
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    shared.queue.delete(&uid);
    shared.fw.reject_waiting_pod(&uid, "pod was deleted");
    let mut cache = shared.cache.lock();
    if cache.contains_pod(&uid) {
        cache.remove_pod(&uid);
        drop(cache);
        shared.queue.move_all_to_active_or_backoff(ClusterEvent::AssignedPodDelete);
    }
}

async fn scheduling_loop(
    shared: Arc<Shared>,
    objects: Objects,
    mut leading: watch::Receiver<bool>,
) {
    let mut snapshot = Snapshot::default();
    let mut cursor = Cursor::default();
    loop {
        if !*leading.borrow() {
            if leading.changed().await.is_err() {
                return;
            }
            continue;
        }
        let Some((qpi, cycle)) = shared.queue.pop().await else { return };
        if !*leading.borrow() {
            // Lost the lease while waiting: hand the pod back untouched.
            shared.queue.add_unschedulable(qpi, cycle, HashSet::new(), true);
            continue;
        }
        if objects.dirty.swap(false, Ordering::AcqRel) {
            snapshot.objects = Arc::new(objects.build());
        }
        schedule_one(&shared, &mut snapshot, &mut cursor, qpi, cycle);
    }
}

fn pod_ref(pod: &Pod) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Pod".into()),
        name: pod.metadata.name.clone(),
        namespace: pod.metadata.namespace.clone(),
        uid: pod.metadata.uid.clone(),
        resource_version: pod.metadata.resource_version.clone(),
        ..Default::default()
    }
}

fn schedule_one(
    shared: &Arc<Shared>,
    snapshot: &mut Snapshot,
    cursor: &mut Cursor,
    qpi: QueuedPodInfo,
    cycle: u64,
) {
    let pod_info = qpi.pod_info.clone();
    let span = tracing::debug_span!("scheduling_cycle", pod = %crate::framework::types::pod_key(&pod_info.pod), attempt = qpi.attempts);
    let _enter = span.enter();
    {
        let mut cache = shared.cache.lock();
        if cache.contains_pod(pod_info.uid()) {
            drop(cache);
            shared.queue.done(pod_info.uid());
            return;
        }
        cache.update_snapshot(snapshot);
    }
    let nominations = shared.queue.has_nominations();
    if nominations || !snapshot.nominated.is_empty() {
        snapshot.nominated =
            Arc::new(if nominations { shared.queue.nominated_by_node() } else { HashMap::new() });
    }
    let fw = &shared.fw;
    let mut state = CycleState::new();
    match cycle::schedule_pod(fw, &mut state, &pod_info, snapshot, cursor) {
        Ok(result) => {
            let host = result.suggested_host;
            if let Err(e) = shared.cache.lock().assume_pod(pod_info.clone(), &host) {
                tracing::warn!(error = %e, "assuming the pod failed");
                shared.queue.add_unschedulable(qpi, cycle, HashSet::new(), true);
                return;
            }
            let s = fw.run_reserve(&mut state, &pod_info, &host);
            if !s.is_success() {
                fail_after_assume(shared, &mut state, qpi, cycle, &host, s);
                return;
            }
            let (permit, wait) = fw.run_permit(&state, &pod_info, &host);
            if !permit.is_success() && permit.code != Code::Wait {
                fail_after_assume(shared, &mut state, qpi, cycle, &host, permit);
                return;
            }
            let waiting = (permit.code == Code::Wait)
                .then(|| (fw.register_waiting_pod(pod_info.uid()), wait));
            shared.queue.done(pod_info.uid());
            shared.queue.set_nominated(pod_info.clone(), None);
            shared.metrics.scheduled.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(binding_cycle(shared.clone(), state, qpi, host, waiting));
        }
        Err(ScheduleError::Fit(mut fit)) => {
            let mut nominated = None;
            let plugins: HashSet<&'static str> = fit.diagnosis.unschedulable_plugins.clone();
            let mut clear_nomination = false;
            if !fw.post_filter.is_empty() {
                let (r, s) =
                    fw.run_post_filter(&state, &pod_info, snapshot, &fit.diagnosis.node_to_status);
                match r.nominated_node.as_deref() {
                    Some(n) if s.is_success() && !n.is_empty() => {
                        nominated = Some(n.to_string());
                        shared.metrics.preemptions.fetch_add(1, Ordering::Relaxed);
                        prepare_candidate(shared, &pod_info, &r);
                    }
                    // Preemption found nothing: an earlier nomination no longer holds.
                    Some("") => clear_nomination = true,
                    _ => {}
                }
                if !s.is_success() && !s.message().is_empty() {
                    fit.diagnosis.post_filter_msg = s.message();
                }
            }
            if clear_nomination {
                shared.queue.set_nominated(pod_info.clone(), None);
            }
            let msg = fit.to_string();
            shared.metrics.unschedulable.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(reason = %msg, "pod is unschedulable");
            if let Some(n) = &nominated {
                shared.queue.set_nominated(pod_info.clone(), Some(n));
            }
            shared.queue.add_unschedulable(qpi, cycle, plugins, false);
            report_failure(shared, &pod_info.pod, "Unschedulable", msg, nominated);
        }
        Err(ScheduleError::NoNodes) => {
            shared.metrics.unschedulable.fetch_add(1, Ordering::Relaxed);
            shared.queue.add_unschedulable(qpi, cycle, HashSet::new(), false);
            let msg = ScheduleError::NoNodes.to_string();
            report_failure(shared, &pod_info.pod, "Unschedulable", msg, None);
        }
        Err(e @ ScheduleError::Error(_)) => {
            shared.metrics.errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, "scheduling attempt failed");
            shared.queue.add_unschedulable(qpi, cycle, HashSet::new(), true);
            report_failure(shared, &pod_info.pod, "SchedulerError", e.to_string(), None);
        }
    }
}

fn fail_after_assume(
    shared: &Arc<Shared>,
    state: &mut CycleState,
    qpi: QueuedPodInfo,
    cycle: u64,
    host: &str,
    s: Status,
) {
    let pod_info = qpi.pod_info.clone();
    shared.fw.run_unreserve(state, &pod_info, host);
    let _ = shared.cache.lock().forget_pod(pod_info.uid());
    let rejected = s.is_rejected();
    let plugins: HashSet<&'static str> = [s.plugin].into_iter().filter(|p| !p.is_empty()).collect();
    shared.queue.add_unschedulable(qpi, cycle, plugins, !rejected);
    let reason = if rejected { "Unschedulable" } else { "SchedulerError" };
    report_failure(shared, &pod_info.pod, reason, s.message(), None);
}

/// Deletes preemption victims and clears nominations of lower-priority pods, in the
/// background (kube-scheduler's `prepareCandidate`).
fn prepare_candidate(
    shared: &Arc<Shared>,
    preemptor: &PodInfo,
    r: &crate::framework::PostFilterResult,
) {
    let client = shared.client.clone();
    let recorder = shared.recorder.clone();
    let victims = r.victims.clone();
    let clear = r.clear_nominations.clone();
    let node = r.nominated_node.clone().unwrap_or_default();
    let preemptor_key = crate::framework::types::pod_key(&preemptor.pod);
    let scheduler_name = shared.fw.scheduler_name.clone();
    tokio::spawn(async move {
        for v in victims {
            let api: Api<Pod> = Api::namespaced(client.clone(), v.namespace());
            // Say why before deleting, as kube-scheduler does: the victim's controller and the
            // preemption eligibility check read this condition.
            let condition = json!({ "status": { "conditions": [{
                "type": "DisruptionTarget",
                "status": "True",
                "reason": "PreemptionByScheduler",
                "message": format!("{scheduler_name}: preempting to accommodate a higher priority pod"),
                "lastTransitionTime": k8s_openapi::jiff::Timestamp::now().to_string(),
            }]}});
            if let Err(e) = api
                .patch_status(v.name(), &PatchParams::default(), &Patch::Strategic(&condition))
                .await
            {
                tracing::debug!(victim = v.name(), error = %e, "marking a preemption victim failed");
            }
            let dp = DeleteParams::default();
            match api.delete(v.name(), &dp).await {
                Ok(_) => recorder.publish(
                    pod_ref(&v.pod),
                    EventType::Normal,
                    "Preempted",
                    "Preempting",
                    format!("Preempted by pod {} on node {node}", preemptor_key),
                ),
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => {
                    tracing::warn!(victim = v.name(), error = %e, "deleting a preemption victim failed")
                }
            }
        }
        for p in clear {
            let api: Api<Pod> = Api::namespaced(
                client.clone(),
                p.metadata.namespace.as_deref().unwrap_or("default"),
            );
            let patch = json!({ "status": { "nominatedNodeName": null } });
            let name = p.metadata.name.clone().unwrap_or_default();
            let _ = api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch)).await;
        }
    });
}

/// Records `FailedScheduling` and sets `PodScheduled=False` (and the nomination) on the pod,
/// in the background. The status is written only when it changes.
fn report_failure(
    shared: &Arc<Shared>,
    pod: &Arc<Pod>,
    reason: &str,
    msg: String,
    nominated: Option<String>,
) {
    shared.recorder.publish(
        pod_ref(pod),
        EventType::Warning,
        "FailedScheduling",
        "Scheduling",
        msg.clone(),
    );
    let current = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "PodScheduled"));
    let same = current.is_some_and(|c| {
        c.status == "False"
            && c.reason.as_deref() == Some(reason)
            && c.message.as_deref() == Some(msg.as_str())
    });
    let current_nomination = pod.status.as_ref().and_then(|s| s.nominated_node_name.clone());
    if same && (nominated.is_none() || nominated == current_nomination) {
        return;
    }
    let client = shared.client.clone();
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let reason = reason.to_string();
    tokio::spawn(async move {
        let api: Api<Pod> = Api::namespaced(client, &ns);
        let mut status = json!({
            "conditions": [{
                "type": "PodScheduled",
                "status": "False",
                "reason": reason,
                "message": msg,
                "lastProbeTime": null,
                "lastTransitionTime": k8s_openapi::jiff::Timestamp::now().to_string(),
            }]
        });
        if let Some(n) = nominated {
            status["nominatedNodeName"] = json!(n);
        }
        let patch = json!({ "status": status });
        if let Err(e) =
            api.patch_status(&name, &PatchParams::default(), &Patch::Strategic(&patch)).await
        {
            tracing::debug!(pod = %name, error = %e, "updating the pod's scheduling condition failed");
        }
    });
}

async fn binding_cycle(
    shared: Arc<Shared>,
    mut state: CycleState,
    qpi: QueuedPodInfo,
    host: String,
    waiting: Option<(tokio::sync::oneshot::Receiver<Status>, Duration)>,
) {
    let fw = shared.fw.clone();
    let pod_info = qpi.pod_info.clone();
    let mut s = Status::success();
    if let Some((rx, wait)) = waiting {
        s = match tokio::time::timeout(wait, rx).await {
            Ok(Ok(s)) => s,
            Ok(Err(_)) => Status::unschedulable("rejected while waiting on permit"),
            Err(_) => {
                fw.forget_waiting_pod(pod_info.uid());
                Status::unschedulable("rejected due to timeout after waiting on permit")
            }
        };
    }
    if s.is_success() {
        s = fw.run_pre_bind(&state, &pod_info, &host).await;
    }
    if s.is_success() {
        s = fw.run_bind(&state, &pod_info, &host).await;
    }
    if s.is_success() {
        shared.metrics.bound.fetch_add(1, Ordering::Relaxed);
        shared.recorder.publish(
            pod_ref(&pod_info.pod),
            EventType::Normal,
            "Scheduled",
            "Binding",
            format!("Successfully assigned {}/{} to {host}", pod_info.namespace(), pod_info.name()),
        );
        return;
    }
    fw.run_unreserve(&mut state, &pod_info, &host);
    let _ = shared.cache.lock().forget_pod(pod_info.uid());
    shared.queue.move_all_to_active_or_backoff(ClusterEvent::AssignedPodDelete);
    let msg = s.message();
    if msg == default_binder::POD_GONE || msg.starts_with(default_binder::ALREADY_BOUND) {
        // Deleted meanwhile, or bound by someone else: the watch tells the rest.
        return;
    }
    shared.metrics.errors.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(pod = pod_info.name(), node = %host, error = %msg, "binding failed");
    shared.queue.requeue_after_bind_failure(qpi);
    report_failure(
        &shared,
        &pod_info.pod,
        "SchedulerError",
        format!("Binding rejected: {msg}"),
        None,
    );
}

/// Runs a scheduler until the stream of pods ends; convenient for `krust scheduler`.
pub async fn run_forever(client: Client, cfg: SchedulerConfig) {
    let s = Scheduler::start(client, cfg, crate::profile::default_framework);
    let _keep = s;
    std::future::pending::<()>().await;
}
