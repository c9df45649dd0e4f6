//! The watch cache: per resource, one store watch feeds an in-memory copy of every object and a
//! window of recent events, from which all API watches (and lists that allow it) are served —
//! kube-apiserver's "cacher". A thousand `kubectl get -w` cost one store watch.
//!
//! Objects are kept as the bytes they are served as (see `object.rs`) plus a small "sparse"
//! JSON holding only what selectors look at (name, namespace, labels and the kind's selectable
//! fields), so memory stays close to the size of the data and serving needs no encoding.
//!
//! States of a cacher: *loading* (initial list not done: requests wait up to a few seconds,
//! then fall back to the store), *ready* (fed by the store watch), and on a feed failure
//! (compaction overtook it, store closed) it drops every watcher — clients re-watch, as they do
//! with kube-apiserver — and reloads.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use krust_store::{EventKind, KeyRange, RangeRequest, Store, WatchRequest};
use parking_lot::Mutex;
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, watch};

use crate::object;
use crate::resources::ResourceInfo;

/// Events kept for resuming watches from a recent resourceVersion.
const EVENT_WINDOW: usize = 10_000;
/// Per-watcher queue; a watcher this far behind is closed (the client re-watches).
const WATCHER_BUFFER: usize = 1_000;
/// How long a request waits for the cache to load or catch up before using the store.
const WAIT_FOR_FRESHNESS: Duration = Duration::from_secs(3);

/// One object as the cache holds it.
#[derive(Debug)]
pub struct CachedObject {
    pub key: Bytes,
    pub rev: i64,
    /// The object as served (resourceVersion stamped).
    pub json: Bytes,
    /// What selectors need: metadata name/namespace/labels and the kind's selectable fields.
    pub sparse: Value,
}

/// One change, in revision order.
#[derive(Debug)]
pub struct CachedEvent {
    pub rev: i64,
    pub kind: EventKind,
    /// The new state, or for a delete the last state stamped with the delete's revision.
    pub object: Arc<CachedObject>,
    pub prev: Option<Arc<CachedObject>>,
}

struct Watcher {
    prefix: Bytes,
    min_rev: i64,
    tx: mpsc::Sender<Arc<CachedEvent>>,
}

#[derive(Default)]
struct State {
    loaded: bool,
    objects: BTreeMap<Bytes, Arc<CachedObject>>,
    rev: i64,
    /// Events after this revision are all in `events`.
    window_start: i64,
    events: VecDeque<Arc<CachedEvent>>,
    watchers: Vec<Watcher>,
}

pub struct Cacher {
    res: &'static ResourceInfo,
    state: Mutex<State>,
    rev_tx: watch::Sender<i64>,
}

/// How a watch wants to start.
#[derive(Clone, Copy, Debug)]
pub enum WatchStart {
    /// Every current object as ADDED first (resourceVersion "" or "0", or sendInitialEvents).
    WithInitialState,
    /// Changes after this resourceVersion.
    After(i64),
}

/// What a cache watch hands back: the events to send first, then the live channel.
pub struct CacheWatch {
    pub initial: Vec<Arc<CachedObject>>,
    pub replay: Vec<Arc<CachedEvent>>,
    /// The revision the initial state or replay reaches.
    pub rev: i64,
    pub live: mpsc::Receiver<Arc<CachedEvent>>,
}

#[derive(Debug)]
pub enum CacheError {
    /// The cache is not usable right now; use the store.
    Unavailable,
    /// The requested resourceVersion is older than the event window.
    TooOld { requested: i64, oldest: i64 },
}

/// Builds the sparse form used for selector matching.
fn sparse_of(res: &ResourceInfo, full: &Value) -> Value {
    let mut meta = Map::new();
    if let Some(m) = full.get("metadata").and_then(Value::as_object) {
        for f in ["name", "namespace", "labels"] {
            if let Some(v) = m.get(f) {
                meta.insert(f.into(), v.clone());
            }
        }
    }
    let mut out = json!({ "metadata": meta });
    for field in crate::selectors::supported_fields(res) {
        let path = format!("/{}", field.replace('.', "/"));
        if let Some(v) = full.pointer(&path) {
            set_path(&mut out, field, v.clone());
        }
    }
    // Fields some kinds' selectors read that are not named like their path.
    for extra in [
        "/spec/hostNetwork",
        "/status/podIP",
        "/source/component",
        "/reportingController",
        "/regarding",
        "/involvedObject",
        "/type",
        "/reason",
        "/reportingComponent",
        "/spec/unschedulable",
        "/status/phase",
        "/status/replicas",
        "/status/succeeded",
        "/spec/nodeName",
    ] {
        if let Some(v) = full.pointer(extra) {
            let dotted = extra.trim_start_matches('/').replace('/', ".");
            set_path(&mut out, &dotted, v.clone());
        }
    }
    out
}

fn set_path(root: &mut Value, dotted: &str, v: Value) {
    let mut cur = root;
    let parts: Vec<&str> = dotted.split('.').collect();
    for (i, p) in parts.iter().enumerate() {
        if !cur.is_object() {
            return;
        }
        let Some(map) = cur.as_object_mut() else { return };
        if i == parts.len() - 1 {
            map.insert((*p).to_string(), v);
            return;
        }
        cur = map.entry((*p).to_string()).or_insert_with(|| json!({}));
    }
}

fn cached(res: &ResourceInfo, key: Bytes, stored: &[u8], rev: i64) -> Arc<CachedObject> {
    let json = object::stamp(&crate::convert::served_bytes(res, stored), rev);
    let sparse = object::parse(&json).map(|v| sparse_of(res, &v)).unwrap_or(Value::Null);
    Arc::new(CachedObject { key, rev, json, sparse })
}

/// Converts one store event into a cache event (for watches served from store history).
pub fn from_store_event(res: &ResourceInfo, e: krust_store::Event) -> Option<CachedEvent> {
    let rev = e.kv.mod_revision;
    let prev = e.prev_kv.as_ref().map(|p| cached(res, p.key.clone(), &p.value, p.mod_revision));
    let object = match e.kind {
        EventKind::Put => cached(res, e.kv.key.clone(), &e.kv.value, rev),
        EventKind::Delete => {
            let p = e.prev_kv.as_ref()?;
            cached(res, p.key.clone(), &p.value, rev)
        }
    };
    Some(CachedEvent { rev, kind: e.kind, object, prev })
}

impl Cacher {
    /// Waits until the initial load is done (or the timeout passes).
    pub async fn wait_loaded(&self, timeout: Duration) -> bool {
        self.wait_fresh_for(0, timeout).await
    }

    async fn wait_fresh_for(&self, min_rev: i64, timeout: Duration) -> bool {
        let mut rx = self.rev_tx.subscribe();
        let loaded = || self.state.lock().loaded;
        let ok = matches!(
            tokio::time::timeout(timeout, rx.wait_for(|r| *r >= min_rev && loaded())).await,
            Ok(Ok(_))
        );
        ok
    }

    /// Starts a cacher for `res`; it loads in the background.
    pub fn start(res: &'static ResourceInfo, store: Arc<dyn Store>) -> Arc<Cacher> {
        let (rev_tx, _) = watch::channel(0);
        let cacher = Arc::new(Cacher { res, state: Mutex::new(State::default()), rev_tx });
        let weak = Arc::downgrade(&cacher);
        tokio::spawn(async move {
            loop {
                let Some(c) = weak.upgrade() else { return };
                if let Err(e) = c.run(store.clone()).await {
                    if matches!(e, krust_store::StoreError::Closed) {
                        // The server is shutting down.
                        return;
                    }
                    tracing::warn!(resource = c.res.plural, error = %e, "watch cache feed failed; reloading");
                    c.reset();
                    drop(c);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        });
        cacher
    }

    /// Drops all state and watchers (they see their stream end and re-watch).
    fn reset(&self) {
        let mut st = self.state.lock();
        *st = State::default();
    }

    /// Loads the current state, then applies the store watch until it fails.
    async fn run(self: &Arc<Self>, store: Arc<dyn Store>) -> Result<(), krust_store::StoreError> {
        let prefix = self.res.storage_prefix();
        let resp = store.range(RangeRequest::prefix(&prefix)).await?;
        let rev = resp.revision;
        {
            let mut st = self.state.lock();
            st.objects = resp
                .kvs
                .iter()
                .map(|kv| {
                    (kv.key.clone(), cached(self.res, kv.key.clone(), &kv.value, kv.mod_revision))
                })
                .collect();
            st.rev = rev;
            st.window_start = rev;
            st.events.clear();
            st.loaded = true;
        }
        self.rev_tx.send_replace(rev);
        tracing::debug!(
            resource = self.res.plural,
            rev,
            objects = resp.kvs.len(),
            "watch cache loaded"
        );
        let mut w = store
            .watch(WatchRequest {
                range: KeyRange::prefix(&prefix),
                start_revision: rev + 1,
                prev_kv: true,
            })
            .await?;
        while let Some(batch) = w.next().await {
            self.apply(batch?);
        }
        Err(krust_store::StoreError::Closed)
    }

    fn apply(&self, batch: Vec<krust_store::Event>) {
        let mut st = self.state.lock();
        let mut last = st.rev;
        for e in batch {
            let rev = e.kv.mod_revision;
            last = last.max(rev);
            // The previous state is the one the cache already holds: share it rather than
            // decoding the store's copy again.
            let prev = match st.objects.get(&e.kv.key) {
                Some(o) => Some(o.clone()),
                None => e
                    .prev_kv
                    .as_ref()
                    .map(|p| cached(self.res, p.key.clone(), &p.value, p.mod_revision)),
            };
            let (object, kind) = match e.kind {
                EventKind::Put => {
                    let o = cached(self.res, e.kv.key.clone(), &e.kv.value, rev);
                    st.objects.insert(e.kv.key.clone(), o.clone());
                    (o, EventKind::Put)
                }
                EventKind::Delete => {
                    let Some(old) = st.objects.remove(&e.kv.key).or_else(|| prev.clone()) else {
                        continue;
                    };
                    // The last state, stamped with the delete's revision.
                    let json = match &e.prev_kv {
                        Some(p) => {
                            object::stamp(&crate::convert::served_bytes(self.res, &p.value), rev)
                        }
                        None => {
                            let mut v = object::parse(&old.json).unwrap_or(Value::Null);
                            crate::meta::set(&mut v, "resourceVersion", json!(rev.to_string()));
                            Bytes::from(serde_json::to_vec(&v).unwrap_or_default())
                        }
                    };
                    (
                        Arc::new(CachedObject {
                            key: old.key.clone(),
                            rev,
                            json,
                            sparse: old.sparse.clone(),
                        }),
                        EventKind::Delete,
                    )
                }
            };
            let ev = Arc::new(CachedEvent { rev, kind, object, prev });
            st.events.push_back(ev.clone());
            if st.events.len() > EVENT_WINDOW {
                if let Some(old) = st.events.pop_front() {
                    st.window_start = old.rev;
                }
            }
            st.watchers.retain(|w| {
                if ev.rev < w.min_rev || !ev.object.key.starts_with(&w.prefix) {
                    return !w.tx.is_closed();
                }
                match w.tx.try_send(ev.clone()) {
                    Ok(()) => true,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        tracing::debug!(
                            "closing a watcher that fell {WATCHER_BUFFER} events behind"
                        );
                        false
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                }
            });
        }
        st.rev = last;
        drop(st);
        self.rev_tx.send_replace(last);
    }

    /// Waits until the cache is loaded and has reached `min_rev`.
    async fn wait_fresh(&self, min_rev: i64) -> Result<(), CacheError> {
        let mut rx = self.rev_tx.subscribe();
        let loaded = || self.state.lock().loaded;
        let ok =
            tokio::time::timeout(WAIT_FOR_FRESHNESS, rx.wait_for(|r| *r >= min_rev && loaded()))
                .await;
        match ok {
            Ok(Ok(_)) => Ok(()),
            _ => Err(CacheError::Unavailable),
        }
    }

    /// All objects under `prefix` at the cache's revision (at least `min_rev`).
    pub async fn list(
        &self,
        prefix: &[u8],
        min_rev: i64,
    ) -> Result<(Vec<Arc<CachedObject>>, i64), CacheError> {
        self.wait_fresh(min_rev).await?;
        let st = self.state.lock();
        let items = st
            .objects
            .range::<[u8], _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.clone())
            .collect();
        Ok((items, st.rev))
    }

    /// Registers a watch on keys under `prefix`.
    pub async fn watch(&self, prefix: &[u8], start: WatchStart) -> Result<CacheWatch, CacheError> {
        let min = match start {
            WatchStart::After(n) => n,
            WatchStart::WithInitialState => 0,
        };
        if self.wait_fresh(0).await.is_err() {
            return Err(CacheError::Unavailable);
        }
        // A watch from a future revision waits for it, as etcd does.
        if min > 0 {
            let _ = self.wait_fresh(min).await;
        }
        let mut st = self.state.lock();
        let (tx, live) = mpsc::channel(WATCHER_BUFFER);
        let prefix = Bytes::copy_from_slice(prefix);
        let mut initial = Vec::new();
        let mut replay = Vec::new();
        match start {
            WatchStart::WithInitialState => {
                initial = st
                    .objects
                    .range::<[u8], _>((
                        std::ops::Bound::Included(&prefix[..]),
                        std::ops::Bound::Unbounded,
                    ))
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .map(|(_, v)| v.clone())
                    .collect();
            }
            WatchStart::After(n) => {
                if n < st.window_start {
                    return Err(CacheError::TooOld { requested: n, oldest: st.window_start });
                }
                replay = st
                    .events
                    .iter()
                    .filter(|e| e.rev > n && e.object.key.starts_with(&prefix))
                    .cloned()
                    .collect();
            }
        }
        let rev = st.rev;
        let min_rev = match start {
            WatchStart::After(n) if n > rev => n + 1,
            _ => rev + 1,
        };
        st.watchers.push(Watcher { prefix, min_rev, tx });
        Ok(CacheWatch { initial, replay, rev, live })
    }

    pub fn watcher_count(&self) -> usize {
        self.state.lock().watchers.len()
    }
}
