//! An event recorder in the shape of client-go's broadcaster: callers hand an event over
//! without waiting (the scheduler must not slow down for its events), a background task writes
//! it, and an event identical to one written in the last six minutes (same object, reason,
//! action and message) has its `count` and `lastTimestamp` bumped instead of becoming a new
//! object. Events are best effort, as in Kubernetes: when the buffer is full they are dropped.
//!
//! Events are written as core/v1 Events (what `kubectl describe` lists) with the
//! `events.k8s.io` fields (`reportingComponent`, `action`, `eventTime`) filled in too.

use std::collections::HashMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::Client;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long an event stays a candidate for a series (client-go's `maxTriesPerEvent` window).
const SERIES_WINDOW: Duration = Duration::from_secs(6 * 60);
const BUFFER: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

struct Pending {
    regarding: ObjectReference,
    type_: EventType,
    reason: String,
    action: String,
    note: String,
}

/// Hands events to the writer task. Cheap to clone.
#[derive(Clone)]
pub struct EventRecorder {
    tx: mpsc::Sender<Pending>,
}

impl EventRecorder {
    /// Starts the writer task. `controller` is `reportingController` (e.g. `default-scheduler`),
    /// `instance` is `reportingInstance`.
    pub fn start(client: Client, controller: &str, instance: &str) -> Self {
        let (tx, rx) = mpsc::channel(BUFFER);
        tokio::spawn(write_events(client, controller.to_string(), instance.to_string(), rx));
        EventRecorder { tx }
    }

    /// Records an event about `regarding`; never waits.
    pub fn publish(
        &self,
        regarding: ObjectReference,
        type_: EventType,
        reason: &str,
        action: &str,
        note: String,
    ) {
        let p = Pending {
            regarding,
            type_,
            reason: reason.to_string(),
            action: action.to_string(),
            note: truncate_note(note),
        };
        if self.tx.try_send(p).is_err() {
            tracing::debug!(reason, "event buffer full; event dropped");
        }
    }
}

/// The API server refuses notes over 1 KiB.
fn truncate_note(mut note: String) -> String {
    const MAX: usize = 1024;
    if note.len() > MAX {
        let mut cut = MAX - 3;
        while !note.is_char_boundary(cut) {
            cut -= 1;
        }
        note.truncate(cut);
        note.push_str("...");
    }
    note
}

struct Recent {
    namespace: String,
    name: String,
    count: i32,
    first: Instant,
}

async fn write_events(
    client: Client,
    controller: String,
    instance: String,
    mut rx: mpsc::Receiver<Pending>,
) {
    let mut recent: HashMap<(String, String, String, String), Recent> = HashMap::new();
    while let Some(p) = rx.recv().await {
        let now = Instant::now();
        recent.retain(|_, r| now.duration_since(r.first) < SERIES_WINDOW);
        let namespace = p.regarding.namespace.clone().unwrap_or_else(|| "default".into());
        let key = (
            p.regarding.uid.clone().unwrap_or_default(),
            p.reason.clone(),
            p.action.clone(),
            p.note.clone(),
        );
        let api: Api<Event> = Api::namespaced(client.clone(), &namespace);
        if let Some(r) = recent.get_mut(&key) {
            r.count += 1;
            let patch = serde_json::json!({
                "count": r.count,
                "lastTimestamp": Time(Timestamp::now()),
            });
            let res = Api::<Event>::namespaced(client.clone(), &r.namespace)
                .patch(&r.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await;
            if let Err(e) = res {
                tracing::debug!(error = %e, "updating an event series failed");
                recent.remove(&key);
            }
            continue;
        }
        let base = p.regarding.name.clone().unwrap_or_else(|| "event".into());
        let nanos = Timestamp::now().as_nanosecond();
        let name = format!("{base}.{nanos:x}");
        let event = Event {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(namespace.clone()),
                ..Default::default()
            },
            event_time: Some(MicroTime(Timestamp::now())),
            first_timestamp: Some(Time(Timestamp::now())),
            last_timestamp: Some(Time(Timestamp::now())),
            count: Some(1),
            action: Some(p.action),
            reason: Some(p.reason),
            message: Some(p.note),
            type_: Some(p.type_.as_str().to_string()),
            involved_object: p.regarding,
            source: Some(EventSource { component: Some(controller.clone()), host: None }),
            reporting_component: Some(controller.clone()),
            reporting_instance: Some(instance.clone()),
            ..Default::default()
        };
        match api.create(&PostParams::default(), &event).await {
            Ok(_) => {
                recent.insert(key, Recent { namespace, name, count: 1, first: now });
            }
            Err(e) => tracing::debug!(error = %e, "writing an event failed"),
        }
    }
}
