//! The etcd backend: the [`Store`] contract over a real etcd v3 cluster, through the
//! `etcd-client` crate.
//!
//! The contract was written with etcd's semantics, so most calls map one to one:
//!
//! - **Keys and ranges.** A [`KeyRange`] with `end: None` is a single-key request; `end` of
//!   empty bytes ("no upper bound") becomes etcd's `"\0"` range end. Conversely an `end` of
//!   exactly `"\0"` means an *empty* range `[start, "\0")` to us, while etcd would read it as
//!   "no upper bound": it is sent as `range_end = start`, which etcd also treats as empty.
//!   Key rules are checked with [`crate::validate_key`] / [`crate::validate_txn`] before
//!   anything reaches etcd, so bad input fails with the same error on every backend (a range
//!   start is only required to be non-empty: it may be a continuation key ending in `\0`).
//! - **Reads.** `revision`, `limit` and `count_only` are passed through; `count` and `more` are
//!   etcd's. [`RangeResponse::revision`] is the revision the read was served at: the requested
//!   one for a read at a past revision (etcd's header reports the *current* revision there, which
//!   would make a paginated read jump snapshots), the header revision for a read at revision 0.
//! - **Transactions.** [`Compare::ModRevision`] is etcd's `mod_revision == equals` (0 matches a
//!   missing key). Puts and deletes always ask for `prev_kv`; a delete is a single-key
//!   `DeleteRange`; a get is a single-key `Range` at the transaction's revision.
//!   [`TxnResponse::revision`] is the header revision, which etcd bumps only when the
//!   transaction changed something.
//! - **Watches.** One etcd watch stream per call. `watch()` returns only after etcd confirmed the
//!   watcher was created, so any write issued after it returns is delivered. Each etcd
//!   `WatchResponse` with events becomes one batch (etcd never splits a revision across
//!   responses as we do not ask for fragmentation); created, progress and other empty responses
//!   are skipped. A response carrying `compact_revision` becomes [`StoreError::Compacted`] and
//!   ends the stream; any other cancellation, a transport error or the server closing the stream
//!   becomes [`StoreError::Etcd`] and ends it. Dropping the stream drops the gRPC stream, which
//!   cancels the watcher on the server.
//! - **Leases.** Grant, revoke and time-to-live map directly; a keep-alive is one round trip on
//!   a short-lived keep-alive stream (etcd answers TTL 0 for a lease it does not know). etcd
//!   rounds a TTL below its minimum (2 s with the default election timeout) up, and reports
//!   the TTL it granted, which is what [`Store::lease_grant`] returns.
//! - **Compaction** is etcd's physical compaction (the call returns once the space is freed).
//!
//! Errors: etcd reports conditions as gRPC status messages. These are recognised and mapped to
//! the typed errors: `mvcc: required revision has been compacted` → [`StoreError::Compacted`],
//! `mvcc: required revision is a future revision` → [`StoreError::FutureRevision`],
//! `requested lease not found` → [`StoreError::LeaseNotFound`], `request is too large` (or
//! gRPC's own message size limit) → [`StoreError::RequestTooLarge`]. etcd does not say which
//! revision the store is compacted to (nor, for a future revision, the current one), so it is
//! looked up: a watch from revision 1 on a key nobody writes is cancelled with the compacted
//! revision (this costs one watch round trip and up to etcd's 100 ms watcher sync). The
//! FutureRevision's `current` is read the same way as [`Store::current_revision`]; if a lookup
//! fails, 0 stands for the unknown value. Everything else becomes [`StoreError::Etcd`] with
//! etcd's message and gRPC status (so it counts as retryable, even when etcd's answer was
//! definite, e.g. `too many operations in txn request`).

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use etcd_client::{
    Client, CompactionOptions, CompareOp, ConnectOptions, DeleteOptions, GetOptions, KvClient,
    LeaseClient, LeaseTimeToLiveOptions, PutOptions, TxnOp, TxnOpResponse, WatchClient,
    WatchOptions,
};

use crate::{
    Compare, Event, EventKind, KeyRange, KeyValue, Lease, LeaseStatus, Op, OpResponse,
    RangeRequest, RangeResponse, Result, Store, StoreError, Txn, TxnResponse, WatchRequest,
    WatchStream, MAX_REQUEST_BYTES,
};

/// How long [`EtcdStore::connect`] waits for etcd to answer a first read.
const CONNECT_DEADLINE: Duration = Duration::from_secs(10);

/// TCP connect timeout for each endpoint.
const DIAL_TIMEOUT: Duration = Duration::from_secs(5);

/// HTTP/2 keep-alive while streams (watches) are open: catches a dead connection that would
/// otherwise leave a watch silent forever. Not sent while idle, because etcd's gRPC server
/// answers idle pings with `too_many_pings` and closes the connection.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest response accepted from etcd: lists and watch catch-up batches can be large; this is
/// the Go client's default (`math.MaxInt32`) rather than tonic's 4 MiB.
const MAX_RESPONSE_BYTES: usize = i32::MAX as usize;

/// How long the lookup of the compacted revision may take before giving up on it.
const COMPACTED_LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// A key no krust write can touch (keys must start with `/` and contain no NUL): watched to
/// learn the compacted revision, and in place of an empty watch range that etcd refuses.
const UNWRITTEN_KEY: &[u8] = b"\0krust-unwritten";

/// The [`Store`] over an etcd v3 cluster. Cheap to share: every call clones the gRPC clients,
/// which share one connection pool.
#[derive(Clone)]
pub struct EtcdStore {
    endpoints: Vec<String>,
    kv: KvClient,
    watch: WatchClient,
    lease: LeaseClient,
}

impl fmt::Debug for EtcdStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EtcdStore").field("endpoints", &self.endpoints).finish_non_exhaustive()
    }
}

impl EtcdStore {
    /// Connects to an etcd cluster (`http://host:port` URLs, or `host:port`) and checks that it
    /// answers a read within 10 seconds.
    pub async fn connect(endpoints: &[String]) -> Result<EtcdStore> {
        if endpoints.is_empty() {
            return Err(StoreError::Etcd("no etcd endpoints given".to_owned()));
        }
        let options = ConnectOptions::new()
            .with_connect_timeout(DIAL_TIMEOUT)
            .with_keep_alive(KEEP_ALIVE_INTERVAL, KEEP_ALIVE_TIMEOUT)
            .with_keep_alive_while_idle(false);
        let client = Client::connect(endpoints, Some(options))
            .await
            .map_err(|e| StoreError::Etcd(format!("connecting to {endpoints:?}: {e}")))?;
        let store = EtcdStore {
            endpoints: endpoints.to_vec(),
            kv: client.kv_client().max_decoding_message_size(MAX_RESPONSE_BYTES),
            watch: client.watch_client().max_decoding_message_size(MAX_RESPONSE_BYTES),
            lease: client.lease_client(),
        };
        match tokio::time::timeout(CONNECT_DEADLINE, store.current_revision()).await {
            Ok(Ok(_)) => Ok(store),
            Ok(Err(StoreError::Etcd(e))) => {
                Err(StoreError::Etcd(format!("etcd at {endpoints:?} is not usable: {e}")))
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StoreError::Etcd(format!(
                "etcd at {endpoints:?} did not answer within {} s",
                CONNECT_DEADLINE.as_secs()
            ))),
        }
    }

    /// The endpoints this store was connected to.
    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// The revision etcd is compacted to, or `None` if it cannot be learned.
    ///
    /// etcd does not report it with the error, so: if a read at revision 1 fails as compacted,
    /// a watch from revision 1 on a key nobody writes is cancelled with the compacted revision
    /// (within etcd's 100 ms watcher sync); if the read succeeds, the store is compacted to 1 at
    /// most, and 1 is the answer.
    async fn compacted_revision(&self) -> Option<i64> {
        let mut kv = self.kv.clone();
        let options = GetOptions::new().with_count_only().with_revision(1);
        match kv.get(UNWRITTEN_KEY, Some(options)).await {
            Ok(_) => return Some(1),
            Err(e) if Failure::classify(&e).kind == FailureKind::Compacted => {}
            Err(_) => return None,
        }
        let mut watch = self.watch.clone();
        let lookup = async move {
            let options = WatchOptions::new().with_start_revision(1);
            let mut stream = watch.watch(UNWRITTEN_KEY, Some(options)).await.ok()?;
            loop {
                let resp = stream.message().await.ok()??;
                if resp.compact_revision() != 0 {
                    return Some(resp.compact_revision());
                }
                if resp.canceled() {
                    return None;
                }
            }
        };
        tokio::time::timeout(COMPACTED_LOOKUP_TIMEOUT, lookup).await.ok().flatten()
    }

    async fn compacted_error(&self, requested: i64) -> StoreError {
        let compacted = self.compacted_revision().await.unwrap_or(0);
        StoreError::Compacted { requested, compacted }
    }

    async fn future_error(&self, requested: i64) -> StoreError {
        let current = self.current_revision().await.unwrap_or(0);
        StoreError::FutureRevision { requested, current }
    }

    /// Maps the failure of a read at `revision`.
    async fn read_error(&self, err: etcd_client::Error, revision: i64) -> StoreError {
        let failure = Failure::classify(&err);
        match failure.kind {
            FailureKind::Compacted => self.compacted_error(revision).await,
            FailureKind::FutureRevision => self.future_error(revision).await,
            _ => StoreError::Etcd(failure.message),
        }
    }

    /// Maps the failure of a transaction.
    async fn txn_error(&self, err: etcd_client::Error, txn: &Txn) -> StoreError {
        let failure = Failure::classify(&err);
        match failure.kind {
            FailureKind::LeaseNotFound => StoreError::LeaseNotFound(self.missing_lease(txn).await),
            FailureKind::TooLarge => too_large(txn),
            _ => StoreError::Etcd(failure.message),
        }
    }

    /// Which lease of a transaction etcd did not find: the only one named, or the first one
    /// etcd does not know any more.
    async fn missing_lease(&self, txn: &Txn) -> i64 {
        let mut leases: Vec<i64> = Vec::new();
        for op in txn.success.iter().chain(&txn.failure) {
            if let Op::Put { lease, .. } = op {
                if *lease != 0 && !leases.contains(lease) {
                    leases.push(*lease);
                }
            }
        }
        if leases.len() > 1 {
            for &id in &leases {
                if let Ok(None) = self.lease_time_to_live(id).await {
                    return id;
                }
            }
        }
        leases.first().copied().unwrap_or(0)
    }

    /// Maps the failure of a lease call about lease `id`.
    fn lease_error(err: etcd_client::Error, id: i64) -> StoreError {
        let failure = Failure::classify(&err);
        match failure.kind {
            FailureKind::LeaseNotFound => StoreError::LeaseNotFound(id),
            _ => StoreError::Etcd(failure.message),
        }
    }
}

#[async_trait]
impl Store for EtcdStore {
    async fn range(&self, req: RangeRequest) -> Result<RangeResponse> {
        validate_range(&req.range)?;
        let (key, range_end) = wire_range(&req.range);
        let mut options = GetOptions::new().with_revision(req.revision);
        if let Some(end) = range_end {
            options = options.with_range(end);
        }
        if req.limit > 0 {
            options = options.with_limit(i64::try_from(req.limit).unwrap_or(i64::MAX));
        }
        if req.count_only {
            options = options.with_count_only();
        }
        let mut kv = self.kv.clone();
        let mut resp = match kv.get(key, Some(options)).await {
            Ok(resp) => resp,
            Err(e) => return Err(self.read_error(e, req.revision).await),
        };
        let header = header_revision(resp.header().map(|h| h.revision()))?;
        let count = u64::try_from(resp.count()).unwrap_or(0);
        let more = resp.more();
        let kvs = resp.take_kvs().into_iter().map(kv_from_etcd).collect();
        Ok(RangeResponse {
            kvs,
            count,
            more,
            revision: if req.revision > 0 { req.revision } else { header },
        })
    }

    async fn txn(&self, txn: Txn) -> Result<TxnResponse> {
        crate::validate_txn(&txn)?;
        let compares: Vec<etcd_client::Compare> = txn
            .compares
            .iter()
            .map(|cmp| match cmp {
                Compare::ModRevision { key, equals } => {
                    etcd_client::Compare::mod_revision(key.to_vec(), CompareOp::Equal, *equals)
                }
            })
            .collect();
        let request = etcd_client::Txn::new()
            .when(compares)
            .and_then(txn.success.iter().map(txn_op).collect::<Vec<_>>())
            .or_else(txn.failure.iter().map(txn_op).collect::<Vec<_>>());
        let mut kv = self.kv.clone();
        let resp = match kv.txn(request).await {
            Ok(resp) => resp,
            Err(e) => return Err(self.txn_error(e, &txn).await),
        };
        let revision = header_revision(resp.header().map(|h| h.revision()))?;
        let responses = resp
            .op_responses()
            .into_iter()
            .map(|op| match op {
                TxnOpResponse::Put(mut put) => {
                    Ok(OpResponse::Put { prev: put.take_prev_key().map(kv_from_etcd) })
                }
                TxnOpResponse::Delete(mut delete) => Ok(OpResponse::Delete {
                    prev: delete.take_prev_kvs().into_iter().next().map(kv_from_etcd),
                }),
                TxnOpResponse::Get(mut get) => {
                    Ok(OpResponse::Get { kv: get.take_kvs().into_iter().next().map(kv_from_etcd) })
                }
                TxnOpResponse::Txn(_) => {
                    Err(StoreError::Etcd("unexpected nested transaction response".to_owned()))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TxnResponse { succeeded: resp.succeeded(), revision, responses })
    }

    async fn watch(&self, req: WatchRequest) -> Result<WatchStream> {
        validate_range(&req.range)?;
        let (key, range_end) = match wire_range(&req.range) {
            // etcd refuses an empty watch range; watch a key nobody writes instead, which
            // still reports compaction like any watch.
            (start, Some(end)) if end[..] != [0] && end <= start => (UNWRITTEN_KEY.to_vec(), None),
            other => other,
        };
        let mut options = WatchOptions::new().with_start_revision(req.start_revision);
        if let Some(end) = range_end {
            options = options.with_range(end);
        }
        if req.prev_kv {
            options = options.with_prev_key();
        }
        let mut client = self.watch.clone();
        let mut stream = client.watch(key, Some(options)).await.map_err(etcd_error)?;

        // Wait for etcd to confirm the watcher: from then on every write is delivered.
        let created = loop {
            match stream.message().await {
                Ok(Some(resp)) if resp.created() => break resp,
                // Nothing else can come before the created response; skip it if it does.
                Ok(Some(_)) => continue,
                Ok(None) => {
                    return Err(StoreError::Etcd(
                        "watch stream closed before the watcher was created".to_owned(),
                    ))
                }
                Err(e) => return Err(etcd_error(e)),
            }
        };
        let next_revision = if req.start_revision > 0 {
            req.start_revision
        } else {
            header_revision(created.header().map(|h| h.revision()))? + 1
        };
        let mut state =
            WatchState { stream: Some(stream), prev_kv: req.prev_kv, next_revision, pending: None };
        // The created response may already carry the cancellation (an invalid request, or the
        // start below the compacted revision on some etcd versions).
        state.pending = state.terminal(&created);
        Ok(Box::pin(futures::stream::unfold(state, WatchState::next)))
    }

    async fn lease_grant(&self, ttl_seconds: i64) -> Result<Lease> {
        if ttl_seconds <= 0 {
            return Err(StoreError::InvalidTtl(ttl_seconds));
        }
        let mut lease = self.lease.clone();
        let resp = lease.grant(ttl_seconds, None).await.map_err(etcd_error)?;
        if !resp.error().is_empty() {
            return Err(StoreError::Etcd(format!("lease grant: {}", resp.error())));
        }
        Ok(Lease { id: resp.id(), ttl: resp.ttl() })
    }

    async fn lease_keep_alive(&self, id: i64) -> Result<Lease> {
        let mut lease = self.lease.clone();
        // `keep_alive` opens the stream, sends one keep-alive and reads its answer (TTL 0, which
        // it reports as "lease not found", for a lease etcd does not know) but does not return
        // the answer, so the renewed TTL is read from a second round trip on the same stream.
        let (mut keeper, mut responses) = match lease.keep_alive(id).await {
            Ok(pair) => pair,
            Err(etcd_client::Error::LeaseKeepAliveError(msg)) if msg == "lease not found" => {
                return Err(StoreError::LeaseNotFound(id))
            }
            Err(e) => return Err(Self::lease_error(e, id)),
        };
        keeper.keep_alive().await.map_err(|e| Self::lease_error(e, id))?;
        match responses.message().await {
            Ok(Some(resp)) if resp.ttl() > 0 => Ok(Lease { id, ttl: resp.ttl() }),
            Ok(Some(_)) => Err(StoreError::LeaseNotFound(id)),
            Ok(None) => Err(StoreError::Etcd("lease keep-alive stream closed by etcd".to_owned())),
            Err(e) => Err(Self::lease_error(e, id)),
        }
    }

    async fn lease_revoke(&self, id: i64) -> Result<()> {
        let mut lease = self.lease.clone();
        lease.revoke(id).await.map_err(|e| Self::lease_error(e, id))?;
        Ok(())
    }

    async fn lease_time_to_live(&self, id: i64) -> Result<Option<LeaseStatus>> {
        let mut lease = self.lease.clone();
        let options = LeaseTimeToLiveOptions::new().with_keys();
        let resp =
            lease.time_to_live(id, Some(options)).await.map_err(|e| Self::lease_error(e, id))?;
        // etcd answers TTL -1 for a lease it does not know; a lease past its expiry that the
        // leader has not revoked yet reports a negative remaining time as well.
        if resp.ttl() < 0 {
            return Ok(None);
        }
        let mut keys: Vec<Bytes> = resp.keys().iter().map(|k| Bytes::copy_from_slice(k)).collect();
        keys.sort();
        Ok(Some(LeaseStatus {
            id,
            granted_ttl: resp.granted_ttl(),
            remaining_ttl: resp.ttl(),
            keys,
        }))
    }

    async fn compact(&self, revision: i64) -> Result<()> {
        let mut kv = self.kv.clone();
        let options = CompactionOptions::new().with_physical();
        match kv.compact(revision, Some(options)).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let failure = Failure::classify(&e);
                match failure.kind {
                    // Compacting at or below the compacted revision: etcd is compacted to at
                    // least `revision`.
                    FailureKind::Compacted => {
                        let compacted =
                            self.compacted_revision().await.map_or(revision, |c| c.max(revision));
                        Err(StoreError::Compacted { requested: revision, compacted })
                    }
                    FailureKind::FutureRevision => Err(self.future_error(revision).await),
                    _ => Err(StoreError::Etcd(failure.message)),
                }
            }
        }
    }

    async fn current_revision(&self) -> Result<i64> {
        let mut kv = self.kv.clone();
        let resp = kv
            .get(b"/".to_vec(), Some(GetOptions::new().with_count_only()))
            .await
            .map_err(etcd_error)?;
        header_revision(resp.header().map(|h| h.revision()))
    }
}

/// What a watch stream carries between polls.
struct WatchState {
    /// `None` once the stream ended.
    stream: Option<etcd_client::WatchStream>,
    prev_kv: bool,
    /// The first revision not delivered yet, reported as `requested` if the watcher is
    /// compacted.
    next_revision: i64,
    /// A terminal error to yield before anything else.
    pending: Option<StoreError>,
}

impl WatchState {
    async fn next(mut self) -> Option<(Result<Vec<Event>>, WatchState)> {
        if let Some(err) = self.pending.take() {
            self.stream = None;
            return Some((Err(err), self));
        }
        let mut stream = self.stream.take()?;
        loop {
            let resp = match stream.message().await {
                Ok(Some(resp)) => resp,
                Ok(None) => {
                    let err = StoreError::Etcd("watch stream closed by etcd".to_owned());
                    return Some((Err(err), self));
                }
                Err(e) => return Some((Err(etcd_error(e)), self)),
            };
            if let Some(err) = self.terminal(&resp) {
                return Some((Err(err), self));
            }
            if resp.events().is_empty() {
                continue;
            }
            let events: Vec<Event> = resp.events().iter().map(|e| self.event(e)).collect();
            if let Some(last) = events.last() {
                self.next_revision = last.kv.mod_revision + 1;
            }
            self.stream = Some(stream);
            return Some((Ok(events), self));
        }
    }

    /// The error ending the stream, if this response cancels the watcher.
    fn terminal(&self, resp: &etcd_client::WatchResponse) -> Option<StoreError> {
        if resp.compact_revision() != 0 {
            return Some(StoreError::Compacted {
                requested: self.next_revision,
                compacted: resp.compact_revision(),
            });
        }
        if resp.canceled() {
            let reason = match resp.cancel_reason() {
                "" => "no reason given",
                reason => reason,
            };
            return Some(StoreError::Etcd(format!("watch cancelled by etcd: {reason}")));
        }
        None
    }

    fn event(&self, event: &etcd_client::Event) -> Event {
        let kind = match event.event_type() {
            etcd_client::EventType::Put => EventKind::Put,
            etcd_client::EventType::Delete => EventKind::Delete,
        };
        let kv = event.kv().map(kv_from_etcd_ref).unwrap_or_default();
        let prev_kv = if self.prev_kv { event.prev_kv().map(kv_from_etcd_ref) } else { None };
        Event { kind, kv, prev_kv }
    }
}

/// A classified etcd failure, with the message to report if it is not mapped to a typed error.
struct Failure {
    kind: FailureKind,
    message: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FailureKind {
    Compacted,
    FutureRevision,
    LeaseNotFound,
    TooLarge,
    Other,
}

impl Failure {
    fn classify(err: &etcd_client::Error) -> Failure {
        let etcd_client::Error::GRpcStatus(status) = err else {
            return Failure { kind: FailureKind::Other, message: err.to_string() };
        };
        let msg = status.message();
        let kind = if msg.contains("required revision has been compacted") {
            FailureKind::Compacted
        } else if msg.contains("required revision is a future revision") {
            FailureKind::FutureRevision
        } else if msg.contains("requested lease not found") {
            FailureKind::LeaseNotFound
        } else if msg.contains("request is too large")
            || msg.contains("larger than max")
            || msg.contains("message length too large")
        {
            FailureKind::TooLarge
        } else {
            FailureKind::Other
        };
        Failure { kind, message: format!("{msg} (gRPC status {:?})", status.code()) }
    }
}

/// Any etcd failure as [`StoreError::Etcd`].
fn etcd_error(err: etcd_client::Error) -> StoreError {
    StoreError::Etcd(Failure::classify(&err).message)
}

/// etcd refused a transaction as too large (its limit counts the encoded request, so it can
/// refuse slightly below [`MAX_REQUEST_BYTES`] of keys and values, or a transaction whose two
/// branches are each within the limit): report the size of every key and value sent.
fn too_large(txn: &Txn) -> StoreError {
    let mut size = 0usize;
    let mut largest: Option<(&[u8], usize)> = None;
    for op in txn.success.iter().chain(&txn.failure) {
        let op_size = match op {
            Op::Put { key, value, .. } => key.len() + value.len(),
            Op::Delete { key } | Op::Get { key } => key.len(),
        };
        size += op_size;
        if largest.is_none_or(|(_, s)| op_size > s) {
            largest = Some((op.key(), op_size));
        }
    }
    let key = largest.map(|(k, _)| String::from_utf8_lossy(k).into_owned()).unwrap_or_default();
    StoreError::RequestTooLarge { key, size, limit: MAX_REQUEST_BYTES }
}

/// Checks the start of a range: a single key must be valid; a range start only non-empty, as
/// it may be a continuation key (`last_key + "\0"`).
fn validate_range(range: &KeyRange) -> Result<()> {
    match &range.end {
        None => crate::validate_key(&range.start),
        Some(_) if range.start.is_empty() => {
            Err(StoreError::InvalidKey { key: String::new(), reason: "key is empty" })
        }
        Some(_) => Ok(()),
    }
}

/// A [`KeyRange`] as etcd's `(key, range_end)`: `None` for a single key.
fn wire_range(range: &KeyRange) -> (Vec<u8>, Option<Vec<u8>>) {
    let start = range.start.to_vec();
    match &range.end {
        None => (start, None),
        // No upper bound.
        Some(end) if end.is_empty() => (start, Some(vec![0])),
        // To us `[start, "\0")` is empty; to etcd "\0" means "no upper bound". `range_end ==
        // key` is empty to etcd.
        Some(end) if end[..] == [0] => {
            let end = start.clone();
            (start, Some(end))
        }
        Some(end) => (start, Some(end.to_vec())),
    }
}

fn txn_op(op: &Op) -> TxnOp {
    match op {
        Op::Put { key, value, lease } => {
            let mut options = PutOptions::new().with_prev_key();
            if *lease != 0 {
                options = options.with_lease(*lease);
            }
            TxnOp::put(key.to_vec(), value.to_vec(), Some(options))
        }
        Op::Delete { key } => {
            TxnOp::delete(key.to_vec(), Some(DeleteOptions::new().with_prev_key()))
        }
        Op::Get { key } => TxnOp::get(key.to_vec(), None),
    }
}

fn header_revision(revision: Option<i64>) -> Result<i64> {
    revision.ok_or_else(|| StoreError::Etcd("etcd response without a header".to_owned()))
}

fn kv_from_etcd(kv: etcd_client::KeyValue) -> KeyValue {
    let (create_revision, mod_revision, version, lease) =
        (kv.create_revision(), kv.mod_revision(), kv.version(), kv.lease());
    let (key, value) = kv.into_key_value();
    KeyValue { key: key.into(), value: value.into(), create_revision, mod_revision, version, lease }
}

fn kv_from_etcd_ref(kv: &etcd_client::KeyValue) -> KeyValue {
    KeyValue {
        key: Bytes::copy_from_slice(kv.key()),
        value: Bytes::copy_from_slice(kv.value()),
        create_revision: kv.create_revision(),
        mod_revision: kv.mod_revision(),
        version: kv.version(),
        lease: kv.lease(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_ranges() {
        assert_eq!(wire_range(&KeyRange::key("/a")), (b"/a".to_vec(), None));
        assert_eq!(wire_range(&KeyRange::prefix("/a/")), (b"/a/".to_vec(), Some(b"/a0".to_vec())));
        assert_eq!(wire_range(&KeyRange::prefix([0xffu8])), (vec![0xff], Some(vec![0])));
        assert_eq!(
            wire_range(&KeyRange::between("/a", [0u8])),
            (b"/a".to_vec(), Some(b"/a".to_vec()))
        );
    }

    #[test]
    fn range_validation() {
        assert!(validate_range(&KeyRange::key("/a")).is_ok());
        assert!(validate_range(&KeyRange::key("a")).is_err());
        assert!(validate_range(&KeyRange::between("/a\0", "/b")).is_ok());
        assert!(validate_range(&KeyRange::between("", "/b")).is_err());
    }
}
