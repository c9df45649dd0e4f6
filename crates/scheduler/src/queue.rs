//! The scheduling queue (kube-scheduler's `internal/queue/scheduling_queue.go`): pods waiting
//! for a scheduling attempt, in three places —
//!
//! * **active**: ready to be tried, highest priority first, then oldest (PrioritySort);
//! * **backoff**: failed recently, waiting out an exponential delay (1 s doubling to 10 s);
//! * **unschedulable**: rejected by the plugins, parked until a cluster event that could make
//!   them fit (a node added or changed, a pod deleted, ...) or for at most five minutes.
//!
//! Gated pods (PreEnqueue said Pending) wait in unschedulable until an update lifts the gate.
//! If a cluster event arrives while a pod is being tried, a rejection of that attempt sends the
//! pod to backoff instead of unschedulable, so the event is not missed.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::framework::PodInfo;
use crate::plugins::queue_sort::less;

pub const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// `podMaxInUnschedulablePodsDuration`.
pub const MAX_IN_UNSCHEDULABLE: Duration = Duration::from_secs(5 * 60);

/// A pod in the queue with its scheduling history.
#[derive(Clone, Debug)]
pub struct QueuedPodInfo {
    pub pod_info: Arc<PodInfo>,
    /// When it last entered the queue (PrioritySort's tie-breaker).
    pub timestamp: Instant,
    /// Scheduling attempts so far.
    pub attempts: u32,
    /// When the first attempt started (for latency metrics and events).
    pub initial_attempt: Option<Instant>,
    /// Plugins that rejected the last attempt: which events can help it.
    pub unschedulable_plugins: HashSet<&'static str>,
    /// Parked by a PreEnqueue plugin.
    pub gated: bool,
    /// Set when the last attempt failed with an error (not a rejection).
    pub errored: bool,
}

impl QueuedPodInfo {
    pub fn new(pod_info: Arc<PodInfo>) -> Self {
        QueuedPodInfo {
            pod_info,
            timestamp: Instant::now(),
            attempts: 0,
            initial_attempt: None,
            unschedulable_plugins: HashSet::new(),
            gated: false,
            errored: false,
        }
    }

    pub fn uid(&self) -> &str {
        self.pod_info.uid()
    }

    /// When its backoff ends: 1 s doubled per attempt after the first, at most 10 s.
    pub fn backoff_expiry(&self) -> Instant {
        let mut d = INITIAL_BACKOFF;
        for _ in 1..self.attempts {
            d *= 2;
            if d >= MAX_BACKOFF {
                d = MAX_BACKOFF;
                break;
            }
        }
        self.timestamp + d
    }
}

/// What happened in the cluster, for deciding which parked pods to retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterEvent {
    NodeAdd,
    NodeUpdate,
    /// A pod on a node went away (room freed).
    AssignedPodDelete,
    /// A pod landed on a node (affinity/spread may now be satisfiable).
    AssignedPodAdd,
    /// Something else changed that plugins read (PDBs, services, namespaces, ...).
    Other,
}

impl ClusterEvent {
    /// Whether a pod rejected by `plugins` may fit after this event. An empty set (rejected
    /// before any plugin ran, or by an error) is always retried.
    fn may_help(self, plugins: &HashSet<&'static str>) -> bool {
        if plugins.is_empty() {
            return true;
        }
        match self {
            ClusterEvent::AssignedPodAdd => plugins.iter().any(|p| {
                matches!(*p, "InterPodAffinity" | "PodTopologySpread" | "DefaultPreemption")
            }),
            ClusterEvent::Other => plugins.iter().any(|p| {
                matches!(*p, "InterPodAffinity" | "PodTopologySpread" | "DefaultPreemption")
            }),
            _ => true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Where {
    Active,
    Backoff,
    Unschedulable,
    /// Popped; being scheduled.
    InFlight,
}

struct Entry {
    qpi: QueuedPodInfo,
    place: Where,
    /// Bumped on every move so stale heap items are recognized and skipped.
    version: u64,
}

struct ActiveItem {
    priority: i32,
    timestamp: Instant,
    seq: u64,
    uid: String,
    version: u64,
}

impl PartialEq for ActiveItem {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for ActiveItem {}
impl PartialOrd for ActiveItem {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for ActiveItem {
    /// Max-heap order by PrioritySort: higher priority, then earlier timestamp (then earlier
    /// arrival, so the order is total).
    fn cmp(&self, o: &Self) -> Ordering {
        let (a, b) = ((self.timestamp, self.seq), (o.timestamp, o.seq));
        if less(self.priority, a, o.priority, b) {
            Ordering::Greater
        } else if less(o.priority, b, self.priority, a) {
            Ordering::Less
        } else {
            Ordering::Equal
        }
    }
}

struct BackoffItem {
    expiry: Instant,
    uid: String,
    version: u64,
}
impl PartialEq for BackoffItem {
    fn eq(&self, o: &Self) -> bool {
        self.expiry == o.expiry
    }
}
impl Eq for BackoffItem {}
impl PartialOrd for BackoffItem {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for BackoffItem {
    /// Min-heap on expiry.
    fn cmp(&self, o: &Self) -> Ordering {
        o.expiry.cmp(&self.expiry)
    }
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    active: BinaryHeap<ActiveItem>,
    backoff: BinaryHeap<BackoffItem>,
    seq: u64,
    scheduling_cycle: u64,
    /// The cycle during which the last move request happened.
    move_request_cycle: u64,
    closed: bool,
    /// uid → (node, pod) for pods nominated by preemption.
    nominated: HashMap<String, (String, Arc<PodInfo>)>,
    /// Pods in unschedulable (so events need not scan the whole queue).
    parked: HashSet<String>,
}

impl Inner {
    fn set_place(&mut self, uid: &str, place: Where) {
        let Some(e) = self.entries.get_mut(uid) else { return };
        e.place = place;
        e.version += 1;
        if place == Where::Unschedulable {
            self.parked.insert(uid.to_string());
        } else {
            self.parked.remove(uid);
        }
    }

    fn push_active(&mut self, uid: &str) {
        self.seq += 1;
        let seq = self.seq;
        self.set_place(uid, Where::Active);
        let Some(e) = self.entries.get(uid) else { return };
        self.active.push(ActiveItem {
            priority: e.qpi.pod_info.priority(),
            timestamp: e.qpi.timestamp,
            seq,
            uid: uid.to_string(),
            version: e.version,
        });
    }

    fn push_backoff(&mut self, uid: &str) {
        self.set_place(uid, Where::Backoff);
        let Some(e) = self.entries.get(uid) else { return };
        self.backoff.push(BackoffItem {
            expiry: e.qpi.backoff_expiry(),
            uid: uid.to_string(),
            version: e.version,
        });
    }

    /// Moves backoff pods whose delay is over to active.
    fn flush_backoff(&mut self, now: Instant) -> bool {
        let mut moved = false;
        while let Some(top) = self.backoff.peek() {
            if top.expiry > now {
                break;
            }
            let Some(item) = self.backoff.pop() else { break };
            let current = self
                .entries
                .get(&item.uid)
                .is_some_and(|e| e.place == Where::Backoff && e.version == item.version);
            if current {
                self.push_active(&item.uid);
                moved = true;
            }
        }
        moved
    }

    /// Moves an unschedulable or backoff pod on: active when its backoff is over.
    fn requeue(&mut self, uid: &str, now: Instant) {
        let Some(e) = self.entries.get(uid) else { return };
        if e.qpi.backoff_expiry() <= now {
            self.push_active(uid);
        } else {
            self.push_backoff(uid);
        }
    }
}

/// The queue, shared between the informer handlers and the scheduling loop.
#[derive(Default)]
pub struct SchedulingQueue {
    inner: Mutex<Inner>,
    notify: Notify,
}

impl SchedulingQueue {
    pub fn new() -> Self {
        SchedulingQueue::default()
    }

    /// A new pending pod. `gated` when PreEnqueue held it back.
    pub fn add(&self, pod_info: Arc<PodInfo>, gated: bool) {
        let mut inner = self.inner.lock();
        let uid = pod_info.uid().to_string();
        if inner.entries.contains_key(&uid) {
            drop(inner);
            self.update(pod_info, gated);
            return;
        }
        let mut qpi = QueuedPodInfo::new(pod_info);
        qpi.gated = gated;
        let place = if gated { Where::Unschedulable } else { Where::Active };
        inner.entries.insert(uid.clone(), Entry { qpi, place, version: 0 });
        if place == Where::Unschedulable {
            inner.parked.insert(uid.clone());
        }
        if place == Where::Active {
            inner.push_active(&uid);
            drop(inner);
            self.notify.notify_one();
        }
    }

    /// A pending pod changed. Its new spec may fit now: parked pods are retried.
    pub fn update(&self, pod_info: Arc<PodInfo>, gated: bool) {
        let mut inner = self.inner.lock();
        let uid = pod_info.uid().to_string();
        let Some(e) = inner.entries.get_mut(&uid) else {
            drop(inner);
            self.add(pod_info, gated);
            return;
        };
        e.qpi.pod_info = pod_info;
        let was_gated = e.qpi.gated;
        e.qpi.gated = gated;
        let place = e.place;
        match place {
            Where::Unschedulable if !gated => {
                if was_gated {
                    // Gates lifted: a first attempt, not a retry.
                    e.qpi.timestamp = Instant::now();
                    inner.push_active(&uid);
                } else {
                    inner.requeue(&uid, Instant::now());
                }
            }
            Where::Active => inner.push_active(&uid),
            Where::Backoff | Where::InFlight | Where::Unschedulable => {}
        }
        drop(inner);
        self.notify.notify_one();
    }

    /// The pod is gone or was bound by someone else.
    pub fn delete(&self, uid: &str) {
        let mut inner = self.inner.lock();
        inner.entries.remove(uid);
        inner.parked.remove(uid);
        inner.nominated.remove(uid);
    }

    pub fn contains(&self, uid: &str) -> bool {
        self.inner.lock().entries.contains_key(uid)
    }

    /// Waits for the next pod to try; `None` once closed. The returned pod is in flight until
    /// `done`, `add_unschedulable` or `add_backoff` is called for it.
    pub async fn pop(&self) -> Option<(QueuedPodInfo, u64)> {
        loop {
            let notified = self.notify.notified();
            {
                let mut inner = self.inner.lock();
                if inner.closed {
                    return None;
                }
                inner.flush_backoff(Instant::now());
                while let Some(item) = inner.active.pop() {
                    let current = inner
                        .entries
                        .get(&item.uid)
                        .is_some_and(|e| e.place == Where::Active && e.version == item.version);
                    if !current {
                        continue;
                    }
                    inner.scheduling_cycle += 1;
                    let cycle = inner.scheduling_cycle;
                    inner.set_place(&item.uid, Where::InFlight);
                    let Some(e) = inner.entries.get_mut(&item.uid) else { continue };
                    e.qpi.attempts += 1;
                    e.qpi.initial_attempt.get_or_insert_with(Instant::now);
                    return Some((e.qpi.clone(), cycle));
                }
            }
            // Wake for new pods, or when the earliest backoff ends (at least once a second).
            let wait = {
                let inner = self.inner.lock();
                inner
                    .backoff
                    .peek()
                    .map(|b| b.expiry.saturating_duration_since(Instant::now()))
                    .unwrap_or(Duration::from_secs(1))
                    .min(Duration::from_secs(1))
            };
            let _ = tokio::time::timeout(wait, notified).await;
        }
    }

    /// The attempt succeeded (the pod is assumed); it leaves the queue.
    pub fn done(&self, uid: &str) {
        let mut inner = self.inner.lock();
        if inner.entries.get(uid).is_some_and(|e| e.place == Where::InFlight) {
            inner.entries.remove(uid);
        }
    }

    /// The attempt in `cycle` was rejected by `plugins` (or failed with an error when
    /// `errored`). Parks the pod, or backs it off if a cluster event arrived meanwhile.
    pub fn add_unschedulable(
        &self,
        qpi: QueuedPodInfo,
        cycle: u64,
        plugins: HashSet<&'static str>,
        errored: bool,
    ) {
        let mut inner = self.inner.lock();
        let uid = qpi.uid().to_string();
        let move_request_cycle = inner.move_request_cycle;
        let Some(e) = inner.entries.get_mut(&uid) else {
            // Deleted while in flight: forget it.
            return;
        };
        let mut qpi = qpi;
        qpi.pod_info = e.qpi.pod_info.clone(); // keep any update seen while in flight
        qpi.timestamp = Instant::now();
        qpi.unschedulable_plugins = plugins;
        qpi.errored = errored;
        e.qpi = qpi;
        if errored || move_request_cycle >= cycle {
            inner.push_backoff(&uid);
        } else {
            inner.set_place(&uid, Where::Unschedulable);
        }
        drop(inner);
        self.notify.notify_one();
    }

    /// A pod whose binding failed comes back (it had left the queue when assumed).
    pub fn requeue_after_bind_failure(&self, qpi: QueuedPodInfo) {
        let mut inner = self.inner.lock();
        let uid = qpi.uid().to_string();
        let mut qpi = qpi;
        qpi.timestamp = Instant::now();
        qpi.errored = true;
        inner.entries.insert(uid.clone(), Entry { qpi, place: Where::Backoff, version: 0 });
        inner.push_backoff(&uid);
        drop(inner);
        self.notify.notify_one();
    }

    /// A cluster event: parked pods it may help are moved to active (or backoff).
    pub fn move_all_to_active_or_backoff(&self, event: ClusterEvent) {
        let mut inner = self.inner.lock();
        inner.move_request_cycle = inner.scheduling_cycle;
        let now = Instant::now();
        let movable: Vec<String> = inner
            .parked
            .iter()
            .filter(|uid| {
                inner
                    .entries
                    .get(*uid)
                    .is_some_and(|e| !e.qpi.gated && event.may_help(&e.qpi.unschedulable_plugins))
            })
            .cloned()
            .collect();
        let any = !movable.is_empty();
        for uid in movable {
            inner.requeue(&uid, now);
        }
        drop(inner);
        if any {
            self.notify.notify_one();
        }
    }

    /// Moves pods parked longer than five minutes back (run periodically).
    pub fn flush_unschedulable_left_over(&self) {
        let mut inner = self.inner.lock();
        let now = Instant::now();
        let stale: Vec<String> = inner
            .parked
            .iter()
            .filter(|uid| {
                inner.entries.get(*uid).is_some_and(|e| {
                    !e.qpi.gated && now.duration_since(e.qpi.timestamp) >= MAX_IN_UNSCHEDULABLE
                })
            })
            .cloned()
            .collect();
        for uid in stale {
            inner.requeue(&uid, now);
        }
    }

    pub fn close(&self) {
        self.inner.lock().closed = true;
        self.notify.notify_waiters();
    }

    /// (active, backoff, unschedulable, in flight) counts.
    pub fn lens(&self) -> (usize, usize, usize, usize) {
        let inner = self.inner.lock();
        let count = |w: Where| inner.entries.values().filter(|e| e.place == w).count();
        (
            count(Where::Active),
            count(Where::Backoff),
            count(Where::Unschedulable),
            count(Where::InFlight),
        )
    }

    /// Records that preemption nominated `node` for this pod (or clears it with `None`).
    pub fn set_nominated(&self, pod_info: Arc<PodInfo>, node: Option<&str>) {
        let mut inner = self.inner.lock();
        let uid = pod_info.uid().to_string();
        match node {
            Some(n) => {
                inner.nominated.insert(uid, (n.to_string(), pod_info));
            }
            None => {
                inner.nominated.remove(&uid);
            }
        }
    }

    /// Node name → pods nominated there.
    pub fn nominated_by_node(&self) -> HashMap<String, Vec<Arc<PodInfo>>> {
        let inner = self.inner.lock();
        let mut out: HashMap<String, Vec<Arc<PodInfo>>> = HashMap::new();
        for (node, p) in inner.nominated.values() {
            out.entry(node.clone()).or_default().push(p.clone());
        }
        out
    }

    pub fn has_nominations(&self) -> bool {
        !self.inner.lock().nominated.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pi(name: &str, priority: i32) -> Arc<PodInfo> {
        let pod = serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "default", "uid": name},
            "spec": {"priority": priority, "containers": [{"name": "c"}]}
        }))
        .expect("pod");
        Arc::new(PodInfo::new(Arc::new(pod)))
    }

    async fn pop_name(q: &SchedulingQueue) -> (QueuedPodInfo, u64) {
        q.pop().await.expect("a pod")
    }

    #[tokio::test(start_paused = true)]
    async fn higher_priority_first_then_fifo() {
        let q = SchedulingQueue::new();
        q.add(pi("low", 0), false);
        tokio::time::advance(Duration::from_millis(1)).await;
        q.add(pi("high", 100), false);
        tokio::time::advance(Duration::from_millis(1)).await;
        q.add(pi("low2", 0), false);
        let order: Vec<String> = [
            pop_name(&q).await.0.uid().to_string(),
            pop_name(&q).await.0.uid().to_string(),
            pop_name(&q).await.0.uid().to_string(),
        ]
        .into();
        assert_eq!(order, ["high", "low", "low2"]);
    }

    #[tokio::test(start_paused = true)]
    async fn rejected_pods_wait_for_an_event_then_back_off() {
        let q = SchedulingQueue::new();
        q.add(pi("a", 0), false);
        let (qpi, cycle) = pop_name(&q).await;
        q.add_unschedulable(qpi, cycle, ["NodeResourcesFit"].into(), false);
        assert_eq!(q.lens(), (0, 0, 1, 0));
        // An event that cannot help leaves it parked.
        q.move_all_to_active_or_backoff(ClusterEvent::AssignedPodAdd);
        assert_eq!(q.lens(), (0, 0, 1, 0));
        // A node change can: it goes to backoff (1 s after the first attempt), then active.
        q.move_all_to_active_or_backoff(ClusterEvent::NodeAdd);
        assert_eq!(q.lens(), (0, 1, 0, 0));
        let start = Instant::now();
        let (qpi, _) = pop_name(&q).await;
        assert!(Instant::now().duration_since(start) >= Duration::from_millis(900));
        assert_eq!(qpi.attempts, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn an_event_during_the_attempt_sends_the_pod_to_backoff() {
        let q = SchedulingQueue::new();
        q.add(pi("a", 0), false);
        let (qpi, cycle) = pop_name(&q).await;
        q.move_all_to_active_or_backoff(ClusterEvent::NodeAdd);
        q.add_unschedulable(qpi, cycle, ["NodeResourcesFit"].into(), false);
        assert_eq!(q.lens(), (0, 1, 0, 0));
    }

    #[test]
    fn backoff_doubles_up_to_ten_seconds() {
        let mut qpi = QueuedPodInfo::new(pi("a", 0));
        let t = qpi.timestamp;
        let delays: Vec<u64> = (1..=6)
            .map(|n| {
                qpi.attempts = n;
                qpi.backoff_expiry().duration_since(t).as_secs()
            })
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 10, 10]);
    }

    #[tokio::test(start_paused = true)]
    async fn gated_pods_wait_until_the_gate_is_lifted() {
        let q = SchedulingQueue::new();
        q.add(pi("g", 0), true);
        assert_eq!(q.lens(), (0, 0, 1, 0));
        q.move_all_to_active_or_backoff(ClusterEvent::NodeAdd);
        assert_eq!(q.lens(), (0, 0, 1, 0));
        q.update(pi("g", 0), false);
        assert_eq!(q.lens(), (1, 0, 0, 0));
        let (qpi, _) = pop_name(&q).await;
        assert_eq!(qpi.attempts, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn deleted_pods_leave_the_queue() {
        let q = SchedulingQueue::new();
        q.add(pi("a", 0), false);
        q.add(pi("b", 0), false);
        q.delete("a");
        let (qpi, _) = pop_name(&q).await;
        assert_eq!(qpi.uid(), "b");
        q.close();
        assert!(q.pop().await.is_none());
    }
}
