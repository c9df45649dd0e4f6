//! The embedded backend: krust's own MVCC layer over a crash-safe `redb` file.
//!
//! Layout (see docs/ARCHITECTURE.md for the long form):
//! - on disk, table `revs` maps `(revision, sub)` to the record of one change (a value or a
//!   tombstone, see [`codec`]); table `leases` maps lease id to TTL; table `meta` holds the
//!   format marker, the compacted revision and the next lease id;
//! - in memory, [`index::Index`] maps every key to the revisions at which it changed since the
//!   last compaction, so a read at any retained revision finds its record with one lookup. It is
//!   rebuilt by scanning `revs` when the store opens.
//!
//! All writes go through one writer thread ([`Request`]). It drains whatever requests are
//! queued, applies them in order (each transaction that changes something gets the next
//! revision), commits them with one fsync, and only then updates the index, publishes the
//! events to watchers and acknowledges: group commit, so throughput grows with concurrency while
//! every acknowledged write is durable and no reader ever sees a write that is not.

mod codec;
mod index;
mod watch;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{mpsc as std_mpsc, Arc, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use redb::{ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;

use self::codec::{decode, encode, rev_key, split_rev_key, Record};
use self::index::{IdxRev, Index, IndexChange};
use self::watch::{Hub, Watcher, WATCH_BUFFER};
use crate::{
    validate_txn, Event, EventKind, KeyRange, KeyValue, Lease, LeaseStatus, Op, OpResponse,
    RangeRequest, RangeResponse, Result, Store, StoreError, Txn, TxnResponse, WatchRequest,
    WatchStream,
};

const REVS: TableDefinition<u128, &[u8]> = TableDefinition::new("revs");
const LEASES: TableDefinition<i64, i64> = TableDefinition::new("leases");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

const FORMAT: &[u8] = b"krust-store/1";
const META_FORMAT: &str = "format";
const META_COMPACTED: &str = "compacted_revision";
const META_NEXT_LEASE: &str = "next_lease_id";

/// Most transactions committed together.
const MAX_BATCH: usize = 1024;
/// Records a catching-up watcher reads from disk per step.
const CATCH_UP_CHUNK: usize = 1000;
/// Records deleted per write transaction while compacting.
const COMPACT_CHUNK: usize = 10_000;
/// How often lease expiry is checked (etcd checks every 500 ms).
const LEASE_TICK: Duration = Duration::from_millis(250);

/// Tuning for [`EmbeddedStore::open_with`].
#[derive(Clone, Debug)]
pub struct EmbeddedOptions {
    /// Page cache of the storage engine, in bytes.
    pub cache_bytes: usize,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        EmbeddedOptions { cache_bytes: 32 * 1024 * 1024 }
    }
}

/// The embedded store. Cheap to clone; all clones share one database.
#[derive(Clone)]
pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    tx: Mutex<Option<std_mpsc::Sender<Request>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.tx.lock().take();
        self.shared.hub.lock().close();
    }
}

struct Shared {
    db: redb::Database,
    path: PathBuf,
    state: RwLock<State>,
    leases: Mutex<LeaseTable>,
    hub: Mutex<Hub>,
    runtime: tokio::runtime::Handle,
}

struct State {
    index: Index,
    current: i64,
    compacted: i64,
}

#[derive(Default)]
struct LeaseTable {
    leases: HashMap<i64, LeaseEntry>,
    next_id: i64,
}

struct LeaseEntry {
    ttl: i64,
    expiry: Instant,
    keys: BTreeSet<Bytes>,
}

type Reply<T> = oneshot::Sender<Result<T>>;

/// Work for the writer thread.
enum Request {
    Txn(Txn, Reply<TxnResponse>),
    Grant(i64, Reply<Lease>),
    /// `expired_only`: sent by the expiry task; skipped if the lease was renewed meanwhile.
    Revoke {
        id: i64,
        expired_only: bool,
        reply: Option<Reply<()>>,
    },
    Compact(i64, Reply<()>),
}

impl EmbeddedStore {
    /// Opens (or creates) the store in the file `path`, creating its directory if needed.
    /// Must be called inside a tokio runtime (watch delivery and lease expiry run on it).
    pub fn open(path: impl AsRef<Path>) -> Result<EmbeddedStore> {
        Self::open_with(path, EmbeddedOptions::default())
    }

    pub fn open_with(path: impl AsRef<Path>, opts: EmbeddedOptions) -> Result<EmbeddedStore> {
        let path = path.as_ref().to_path_buf();
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| StoreError::Engine {
            path: path.clone(),
            detail: "the embedded store must be opened inside a tokio runtime".into(),
        })?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                op: "creating directory",
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let db = open_database(&path, &opts)?;
        let (state, leases) = load(&db, &path)?;
        let published = state.current;
        let shared = Arc::new(Shared {
            db,
            path,
            state: RwLock::new(state),
            leases: Mutex::new(leases),
            hub: Mutex::new(Hub { published, ..Hub::default() }),
            runtime,
        });
        let (tx, rx) = std_mpsc::channel();
        let writer_shared = shared.clone();
        let writer = std::thread::Builder::new()
            .name("krust-store-writer".into())
            .spawn(move || writer_loop(writer_shared, rx))
            .map_err(|source| StoreError::Io {
                op: "starting the writer thread for",
                path: shared.path.clone(),
                source,
            })?;
        let inner =
            Arc::new(Inner { shared, tx: Mutex::new(Some(tx)), writer: Mutex::new(Some(writer)) });
        inner.shared.runtime.spawn(lease_expiry_loop(Arc::downgrade(&inner)));
        Ok(EmbeddedStore { inner })
    }

    /// Stops the writer after the queued requests and ends every watch. The database file is
    /// released once the last clone and watch stream are gone.
    pub async fn close(self) {
        self.inner.tx.lock().take();
        self.inner.shared.hub.lock().close();
        let writer = self.inner.writer.lock().take();
        if let Some(handle) = writer {
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.inner.shared.path
    }

    /// The revision below which history is gone.
    pub fn compacted_revision(&self) -> i64 {
        self.inner.shared.state.read().compacted
    }

    /// Number of keys in the index (live keys plus keys whose deletion is still in history).
    pub fn indexed_keys(&self) -> usize {
        self.inner.shared.state.read().index.len()
    }

    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T> {
        let (reply, rx) = oneshot::channel();
        {
            let tx = self.inner.tx.lock();
            let tx = tx.as_ref().ok_or(StoreError::Closed)?;
            tx.send(make(reply)).map_err(|_| StoreError::Closed)?;
        }
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

fn engine_err(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Engine { path: path.to_path_buf(), detail: e.to_string() }
}

fn open_database(path: &Path, opts: &EmbeddedOptions) -> Result<redb::Database> {
    let mut builder = redb::Builder::new();
    builder.set_cache_size(opts.cache_bytes);
    // The engine is third-party code reading a file we do not control; a damaged file must
    // become an error naming the path, never take the process down.
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.create(path)));
    let corrupt = |detail: String| StoreError::Corrupt { path: path.to_path_buf(), detail };
    match opened {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(redb::DatabaseError::DatabaseAlreadyOpen)) => {
            Err(StoreError::Locked { path: path.to_path_buf() })
        }
        Ok(Err(redb::DatabaseError::Storage(redb::StorageError::Io(source)))) => {
            if source.kind() == std::io::ErrorKind::InvalidData {
                Err(corrupt(source.to_string()))
            } else {
                Err(StoreError::Io { op: "opening", path: path.to_path_buf(), source })
            }
        }
        Ok(Err(e)) => Err(corrupt(e.to_string())),
        Err(_) => Err(corrupt("the storage engine failed to read it".into())),
    }
}

/// Reads everything back: checks the format marker, rebuilds the index from the revision table,
/// finishes an interrupted compaction and restores leases (with a fresh TTL, as etcd does).
fn load(db: &redb::Database, path: &Path) -> Result<(State, LeaseTable)> {
    let corrupt = |detail: String| StoreError::Corrupt { path: path.to_path_buf(), detail };
    let eng = |e: &dyn std::fmt::Display| engine_err(path, e);

    // A new file has no tables: initialise it. A file with tables but no krust marker is
    // someone else's database and is refused rather than silently treated as empty.
    {
        let rtxn = db.begin_read().map_err(|e| eng(&e))?;
        let tables: Vec<String> =
            rtxn.list_tables().map_err(|e| eng(&e))?.map(|t| t.name().to_string()).collect();
        if tables.is_empty() {
            drop(rtxn);
            let w = db.begin_write().map_err(|e| eng(&e))?;
            {
                let mut meta = w.open_table(META).map_err(|e| eng(&e))?;
                meta.insert(META_FORMAT, FORMAT).map_err(|e| eng(&e))?;
                w.open_table(REVS).map_err(|e| eng(&e))?;
                w.open_table(LEASES).map_err(|e| eng(&e))?;
            }
            w.commit().map_err(|e| eng(&e))?;
        } else if !tables.iter().any(|t| t == "meta") {
            return Err(corrupt(format!(
                "no krust metadata; it holds the tables {tables:?}: not a krust store"
            )));
        }
    }

    let rtxn = db.begin_read().map_err(|e| eng(&e))?;
    let meta = rtxn.open_table(META).map_err(|e| corrupt(e.to_string()))?;
    let format = meta.get(META_FORMAT).map_err(|e| eng(&e))?;
    match format {
        Some(f) if f.value() == FORMAT => {}
        Some(f) => {
            return Err(corrupt(format!("unknown format {:?}", String::from_utf8_lossy(f.value()))))
        }
        None => return Err(corrupt("no format marker: not a krust store".into())),
    }
    let read_i64 = |name: &str| -> Result<i64> {
        match meta.get(name).map_err(|e| eng(&e))? {
            None => Ok(0),
            Some(v) => v
                .value()
                .try_into()
                .map(i64::from_le_bytes)
                .map_err(|_| corrupt(format!("meta value {name} is malformed"))),
        }
    };
    let compacted = read_i64(META_COMPACTED)?;
    let next_lease = read_i64(META_NEXT_LEASE)?.max(1);

    let mut index = Index::default();
    let mut last_rev = 0i64;
    let revs = rtxn.open_table(REVS).map_err(|e| corrupt(e.to_string()))?;
    for item in revs.iter().map_err(|e| eng(&e))? {
        let (k, v) = item.map_err(|e| eng(&e))?;
        let (rev, sub) = split_rev_key(k.value());
        let rec = decode(v.value())
            .ok_or_else(|| corrupt(format!("record at revision {rev}.{sub} is malformed")))?;
        if rev < last_rev || rev <= 0 {
            return Err(corrupt(format!("revision {rev} is out of order")));
        }
        last_rev = rev;
        index.apply(IndexChange {
            key: rec.key,
            entry: IdxRev { rev, sub, tombstone: rec.tombstone },
            create_revision: rec.create_revision,
            version: rec.version,
            lease: rec.lease,
        });
    }
    let leftovers = if compacted > 0 { index.compact(compacted) } else { Vec::new() };

    let now = Instant::now();
    let mut leases = LeaseTable { next_id: next_lease, ..LeaseTable::default() };
    let lease_table = rtxn.open_table(LEASES).map_err(|e| corrupt(e.to_string()))?;
    for item in lease_table.iter().map_err(|e| eng(&e))? {
        let (id, ttl) = item.map_err(|e| eng(&e))?;
        let ttl = ttl.value();
        leases
            .leases
            .insert(id.value(), LeaseEntry { ttl, expiry: now + secs(ttl), keys: BTreeSet::new() });
    }
    index.scan(&KeyRange::between("/", ""), |key, ki| {
        if ki.live().is_some() && ki.lease != 0 {
            match leases.leases.get_mut(&ki.lease) {
                Some(l) => {
                    l.keys.insert(key.clone());
                }
                None => tracing::warn!(key = %String::from_utf8_lossy(key), lease = ki.lease,
                    "key is attached to a lease that no longer exists"),
            }
        }
        true
    });
    drop((meta, revs, lease_table, rtxn));

    if !leftovers.is_empty() {
        tracing::info!(records = leftovers.len(), compacted, "finishing an interrupted compaction");
        delete_records(db, path, &leftovers, None)?;
    }
    let current = last_rev.max(compacted);
    tracing::debug!(path = %path.display(), current, compacted, keys = index.len(), "store opened");
    Ok((State { index, current, compacted }, leases))
}

fn secs(ttl: i64) -> Duration {
    Duration::from_secs(ttl.max(0) as u64)
}

/// Deletes records in chunks of [`COMPACT_CHUNK`], writing `compacted` into meta with the first.
fn delete_records(
    db: &redb::Database,
    path: &Path,
    keys: &[u128],
    compacted: Option<i64>,
) -> Result<()> {
    let eng = |e: &dyn std::fmt::Display| engine_err(path, e);
    let mut chunks: Vec<&[u128]> = keys.chunks(COMPACT_CHUNK).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    for (i, chunk) in chunks.into_iter().enumerate() {
        let w = db.begin_write().map_err(|e| eng(&e))?;
        {
            if i == 0 {
                if let Some(rev) = compacted {
                    let mut meta = w.open_table(META).map_err(|e| eng(&e))?;
                    meta.insert(META_COMPACTED, &rev.to_le_bytes()[..]).map_err(|e| eng(&e))?;
                }
            }
            let mut revs = w.open_table(REVS).map_err(|e| eng(&e))?;
            for k in chunk {
                revs.remove(*k).map_err(|e| eng(&e))?;
            }
        }
        w.commit().map_err(|e| eng(&e))?;
    }
    Ok(())
}

fn record_to_kv(rec: Record, rev: i64) -> KeyValue {
    KeyValue {
        key: rec.key,
        value: rec.value,
        create_revision: rec.create_revision,
        mod_revision: rev,
        version: rec.version,
        lease: rec.lease,
    }
}

/// Reads the value an index entry points at.
fn read_kv(
    table: &impl ReadableTable<u128, &'static [u8]>,
    path: &Path,
    e: IdxRev,
) -> Result<KeyValue> {
    let guard =
        table.get(e.table_key()).map_err(|err| engine_err(path, err))?.ok_or_else(|| {
            StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: format!("index points at missing record {}.{}", e.rev, e.sub),
            }
        })?;
    let rec = decode(guard.value()).ok_or_else(|| StoreError::Corrupt {
        path: path.to_path_buf(),
        detail: format!("record at revision {}.{} is malformed", e.rev, e.sub),
    })?;
    Ok(record_to_kv(rec, e.rev))
}

// ------------------------------------------------------------------------------------------
// Reads
// ------------------------------------------------------------------------------------------

impl Shared {
    fn range(&self, req: &RangeRequest) -> Result<RangeResponse> {
        if req.range.start.is_empty() {
            return Err(StoreError::InvalidKey { key: String::new(), reason: "key is empty" });
        }
        let st = self.state.read();
        let rev = if req.revision <= 0 { st.current } else { req.revision };
        if rev > st.current {
            return Err(StoreError::FutureRevision { requested: rev, current: st.current });
        }
        if rev < st.compacted {
            return Err(StoreError::Compacted { requested: rev, compacted: st.compacted });
        }
        let mut count = 0u64;
        let mut ptrs = Vec::new();
        st.index.scan(&req.range, |_, ki| {
            if let Some(e) = ki.at(rev) {
                count += 1;
                if !req.count_only && (req.limit == 0 || ptrs.len() < req.limit) {
                    ptrs.push(e);
                }
            }
            true
        });
        if ptrs.is_empty() {
            return Ok(RangeResponse { kvs: Vec::new(), count, more: false, revision: rev });
        }
        // Begin the snapshot while holding the index lock: every record the index points at now
        // is in it, even if a compaction removes them right after.
        let rtxn = self.db.begin_read().map_err(|e| engine_err(&self.path, e))?;
        drop(st);
        let table = rtxn.open_table(REVS).map_err(|e| engine_err(&self.path, e))?;
        let mut kvs = Vec::with_capacity(ptrs.len());
        for e in ptrs {
            kvs.push(read_kv(&table, &self.path, e)?);
        }
        let more = (kvs.len() as u64) < count;
        Ok(RangeResponse { kvs, count, more, revision: rev })
    }

    /// Reads history from `from` (inclusive) for a catching-up watcher: at most about
    /// `max_records` records, never splitting a revision. Returns the events and the next
    /// revision to read; `caught_up` when it reached the last published revision.
    fn read_history(
        &self,
        range: &KeyRange,
        from: i64,
        max_records: usize,
    ) -> Result<(Vec<Event>, i64, bool)> {
        let target = self.hub.lock().published;
        let st = self.state.read();
        if from < st.compacted {
            return Err(StoreError::Compacted { requested: from, compacted: st.compacted });
        }
        if from > target {
            return Ok((Vec::new(), from, true));
        }
        let rtxn = self.db.begin_read().map_err(|e| engine_err(&self.path, e))?;
        let table = rtxn.open_table(REVS).map_err(|e| engine_err(&self.path, e))?;
        let mut events = Vec::new();
        let mut last_rev = from - 1;
        let iter = table
            .range(rev_key(from, 0)..rev_key(target + 1, 0))
            .map_err(|e| engine_err(&self.path, e))?;
        for (seen, item) in iter.enumerate() {
            let (k, v) = item.map_err(|e| engine_err(&self.path, e))?;
            let (rev, sub) = split_rev_key(k.value());
            if seen >= max_records && rev != last_rev {
                return Ok((events, rev, false));
            }
            last_rev = rev;
            let rec = decode(v.value()).ok_or_else(|| StoreError::Corrupt {
                path: self.path.clone(),
                detail: format!("record at revision {rev}.{sub} is malformed"),
            })?;
            if !range.contains(&rec.key) {
                continue;
            }
            let prev = match st.index.get(&rec.key).and_then(|ki| ki.before(rev, sub)) {
                Some(p) => Some(read_kv(&table, &self.path, p)?),
                None => None,
            };
            let kind = if rec.tombstone { EventKind::Delete } else { EventKind::Put };
            events.push(Event { kind, kv: record_to_kv(rec, rev), prev_kv: prev });
        }
        Ok((events, target + 1, true))
    }
}

/// Delivers the history a watcher missed, then hands it to the hub.
async fn catch_up(shared: Arc<Shared>, mut w: Watcher, mut next: i64) {
    loop {
        let step = shared.read_history(&w.range, next, CATCH_UP_CHUNK);
        let (events, after, caught_up) = match step {
            Ok(s) => s,
            Err(e) => {
                let _ = w.tx.send(Err(e)).await;
                return;
            }
        };
        let events = w.select(&events);
        if !events.is_empty() && w.tx.send(Ok(events)).await.is_err() {
            return;
        }
        next = after;
        w.min_rev = next;
        if caught_up {
            let mut hub = shared.hub.lock();
            if hub.closed {
                let _ = w.tx.try_send(Err(StoreError::Closed));
                return;
            }
            if hub.published < next {
                hub.watchers.push(w);
                return;
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// The writer
// ------------------------------------------------------------------------------------------

fn writer_loop(shared: Arc<Shared>, rx: std_mpsc::Receiver<Request>) {
    let mut pending: Option<Request> = None;
    loop {
        let first = match pending.take() {
            Some(r) => r,
            None => match rx.recv() {
                Ok(r) => r,
                Err(_) => return,
            },
        };
        match first {
            Request::Txn(txn, reply) => {
                let mut batch = vec![(txn, reply)];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(Request::Txn(t, r)) => batch.push((t, r)),
                        Ok(other) => {
                            pending = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                shared.commit_txns(batch);
            }
            Request::Grant(ttl, reply) => {
                let _ = reply.send(shared.grant(ttl));
            }
            Request::Revoke { id, expired_only, reply } => {
                let res = shared.revoke(id, expired_only);
                if let Err(e) = &res {
                    if reply.is_none() && !matches!(e, StoreError::LeaseNotFound(_)) {
                        tracing::error!(lease = id, error = %e, "revoking an expired lease failed");
                    }
                }
                if let Some(reply) = reply {
                    let _ = reply.send(res);
                }
            }
            Request::Compact(rev, reply) => {
                let _ = reply.send(shared.compact(rev));
            }
        }
    }
}

/// A key's state as the batch being built sees it.
#[derive(Clone)]
struct Live {
    entry: IdxRev,
    kv: KeyValue,
}

/// What a committed batch changes in memory.
#[derive(Default)]
struct Applied {
    index: Vec<IndexChange>,
    /// (key, lease detached from, lease attached to)
    lease_moves: Vec<(Bytes, i64, i64)>,
    events: Vec<Event>,
}

/// A batch's view of the keys: its own writes first, then the committed index and disk.
struct BatchView<'a> {
    index: &'a Index,
    path: &'a Path,
    overlay: HashMap<Bytes, Option<Live>>,
}

impl BatchView<'_> {
    fn live(
        &self,
        table: &impl ReadableTable<u128, &'static [u8]>,
        key: &[u8],
    ) -> Result<Option<Live>> {
        if let Some(o) = self.overlay.get(key) {
            return Ok(o.clone());
        }
        match self.index.get(key).and_then(|ki| ki.live()) {
            None => Ok(None),
            Some(entry) => Ok(Some(Live { entry, kv: read_kv(table, self.path, entry)? })),
        }
    }

    fn mod_revision(&self, key: &[u8]) -> i64 {
        if let Some(o) = self.overlay.get(key) {
            return o.as_ref().map_or(0, |l| l.entry.rev);
        }
        self.index.get(key).and_then(|ki| ki.live()).map_or(0, |e| e.rev)
    }
}

impl Shared {
    fn eng(&self, e: impl std::fmt::Display) -> StoreError {
        engine_err(&self.path, e)
    }

    /// Applies a batch of transactions in one write transaction and one fsync.
    fn commit_txns(self: &Arc<Self>, batch: Vec<(Txn, Reply<TxnResponse>)>) {
        let mut replies = Vec::with_capacity(batch.len());
        let mut applied = Applied::default();
        let outcome = (|| -> Result<i64> {
            let st = self.state.read();
            let mut rev = st.current;
            let w = self.db.begin_write().map_err(|e| self.eng(e))?;
            {
                let mut table = w.open_table(REVS).map_err(|e| self.eng(e))?;
                let mut view =
                    BatchView { index: &st.index, path: &self.path, overlay: HashMap::new() };
                for (txn, reply) in batch {
                    let res = self.apply_txn(&mut table, &mut view, &mut applied, &txn, rev + 1);
                    if let Ok(r) = &res {
                        rev = r.revision;
                    }
                    replies.push((reply, res));
                }
            }
            if applied.events.is_empty() {
                w.abort().map_err(|e| self.eng(e))?;
            } else {
                w.commit().map_err(|e| self.eng(e))?;
            }
            Ok(rev)
        })();
        let rev = match outcome {
            Ok(rev) => rev,
            Err(e) => {
                tracing::error!(error = %e, "committing a write batch failed");
                for (reply, res) in replies {
                    let _ = reply.send(res.and(Err(self.eng(&e))));
                }
                return;
            }
        };
        self.install(applied, rev);
        for (reply, res) in replies {
            let _ = reply.send(res);
        }
    }

    /// Evaluates and stages one transaction at revision `new_rev` (used only if it writes).
    fn apply_txn(
        &self,
        table: &mut redb::Table<u128, &'static [u8]>,
        view: &mut BatchView<'_>,
        applied: &mut Applied,
        txn: &Txn,
        new_rev: i64,
    ) -> Result<TxnResponse> {
        let succeeded = txn.compares.iter().all(|c| match c {
            crate::Compare::ModRevision { key, equals } => view.mod_revision(key) == *equals,
        });
        let ops = if succeeded { &txn.success } else { &txn.failure };
        {
            let leases = self.leases.lock();
            for op in ops {
                if let Op::Put { lease, .. } = op {
                    if *lease != 0 && !leases.leases.contains_key(lease) {
                        return Err(StoreError::LeaseNotFound(*lease));
                    }
                }
            }
        }
        let mut sub = 0u32;
        let mut responses = Vec::with_capacity(ops.len());
        for op in ops {
            match op {
                Op::Get { key } => {
                    let kv = view.live(&*table, key)?.map(|l| l.kv);
                    responses.push(OpResponse::Get { kv });
                }
                Op::Put { key, value, lease } => {
                    let prev = view.live(&*table, key)?;
                    let rec = Record {
                        tombstone: false,
                        key: key.clone(),
                        create_revision: prev.as_ref().map_or(new_rev, |p| p.kv.create_revision),
                        version: prev.as_ref().map_or(1, |p| p.kv.version + 1),
                        lease: *lease,
                        value: value.clone(),
                    };
                    let entry = IdxRev { rev: new_rev, sub, tombstone: false };
                    table.insert(entry.table_key(), &encode(&rec)[..]).map_err(|e| self.eng(e))?;
                    let kv = record_to_kv(rec, new_rev);
                    applied.index.push(IndexChange {
                        key: key.clone(),
                        entry,
                        create_revision: kv.create_revision,
                        version: kv.version,
                        lease: *lease,
                    });
                    let old_lease = prev.as_ref().map_or(0, |p| p.kv.lease);
                    if old_lease != *lease {
                        applied.lease_moves.push((key.clone(), old_lease, *lease));
                    }
                    let prev_kv = prev.map(|p| p.kv);
                    applied.events.push(Event {
                        kind: EventKind::Put,
                        kv: kv.clone(),
                        prev_kv: prev_kv.clone(),
                    });
                    view.overlay.insert(key.clone(), Some(Live { entry, kv }));
                    responses.push(OpResponse::Put { prev: prev_kv });
                    sub += 1;
                }
                Op::Delete { key } => {
                    let prev = view.live(&*table, key)?;
                    let Some(prev) = prev else {
                        responses.push(OpResponse::Delete { prev: None });
                        continue;
                    };
                    self.stage_delete(table, applied, key, prev.kv.clone(), new_rev, sub)?;
                    view.overlay.insert(key.clone(), None);
                    responses.push(OpResponse::Delete { prev: Some(prev.kv) });
                    sub += 1;
                }
            }
        }
        let revision = if sub > 0 { new_rev } else { new_rev - 1 };
        Ok(TxnResponse { succeeded, revision, responses })
    }

    fn stage_delete(
        &self,
        table: &mut redb::Table<u128, &'static [u8]>,
        applied: &mut Applied,
        key: &Bytes,
        prev: KeyValue,
        rev: i64,
        sub: u32,
    ) -> Result<()> {
        let rec = Record {
            tombstone: true,
            key: key.clone(),
            create_revision: 0,
            version: 0,
            lease: 0,
            value: Bytes::new(),
        };
        let entry = IdxRev { rev, sub, tombstone: true };
        table.insert(entry.table_key(), &encode(&rec)[..]).map_err(|e| self.eng(e))?;
        applied.index.push(IndexChange {
            key: key.clone(),
            entry,
            create_revision: 0,
            version: 0,
            lease: 0,
        });
        if prev.lease != 0 {
            applied.lease_moves.push((key.clone(), prev.lease, 0));
        }
        let kv = KeyValue { key: key.clone(), mod_revision: rev, ..KeyValue::default() };
        applied.events.push(Event { kind: EventKind::Delete, kv, prev_kv: Some(prev) });
        Ok(())
    }

    /// Makes a committed batch visible: index, lease attachments, then watchers.
    fn install(self: &Arc<Self>, applied: Applied, rev: i64) {
        {
            let mut st = self.state.write();
            for c in applied.index {
                st.index.apply(c);
            }
            st.current = rev;
        }
        if !applied.lease_moves.is_empty() {
            let mut leases = self.leases.lock();
            for (key, from, to) in applied.lease_moves {
                if let Some(l) = leases.leases.get_mut(&from) {
                    l.keys.remove(&key);
                }
                if let Some(l) = leases.leases.get_mut(&to) {
                    l.keys.insert(key);
                }
            }
        }
        let lagging = self.hub.lock().publish(&applied.events, rev);
        if !lagging.is_empty() {
            for (w, resume) in lagging {
                tracing::debug!(resume, "watcher fell behind; catching up from disk");
                self.runtime.spawn(catch_up(self.clone(), w, resume));
            }
        }
    }

    fn grant(&self, ttl: i64) -> Result<Lease> {
        if ttl <= 0 {
            return Err(StoreError::InvalidTtl(ttl));
        }
        let id = self.leases.lock().next_id;
        let w = self.db.begin_write().map_err(|e| self.eng(e))?;
        {
            let mut t = w.open_table(LEASES).map_err(|e| self.eng(e))?;
            t.insert(id, ttl).map_err(|e| self.eng(e))?;
            let mut meta = w.open_table(META).map_err(|e| self.eng(e))?;
            meta.insert(META_NEXT_LEASE, &(id + 1).to_le_bytes()[..]).map_err(|e| self.eng(e))?;
        }
        w.commit().map_err(|e| self.eng(e))?;
        let mut leases = self.leases.lock();
        leases.next_id = id + 1;
        leases.leases.insert(
            id,
            LeaseEntry { ttl, expiry: Instant::now() + secs(ttl), keys: BTreeSet::new() },
        );
        Ok(Lease { id, ttl })
    }

    fn revoke(self: &Arc<Self>, id: i64, expired_only: bool) -> Result<()> {
        let keys: Vec<Bytes> = {
            let leases = self.leases.lock();
            let l = leases.leases.get(&id).ok_or(StoreError::LeaseNotFound(id))?;
            if expired_only && l.expiry > Instant::now() {
                return Ok(());
            }
            l.keys.iter().cloned().collect()
        };
        let mut applied = Applied::default();
        let rev = {
            let st = self.state.read();
            let new_rev = st.current + 1;
            let w = self.db.begin_write().map_err(|e| self.eng(e))?;
            {
                let mut table = w.open_table(REVS).map_err(|e| self.eng(e))?;
                let mut sub = 0u32;
                for key in &keys {
                    let Some(entry) = st.index.get(key).and_then(|ki| ki.live()) else { continue };
                    let prev = read_kv(&table, &self.path, entry)?;
                    self.stage_delete(&mut table, &mut applied, key, prev, new_rev, sub)?;
                    sub += 1;
                }
                let mut t = w.open_table(LEASES).map_err(|e| self.eng(e))?;
                t.remove(id).map_err(|e| self.eng(e))?;
            }
            w.commit().map_err(|e| self.eng(e))?;
            if applied.events.is_empty() {
                st.current
            } else {
                new_rev
            }
        };
        self.leases.lock().leases.remove(&id);
        self.install(applied, rev);
        Ok(())
    }

    fn compact(&self, rev: i64) -> Result<()> {
        let dropped = {
            let mut st = self.state.write();
            if rev <= st.compacted {
                return Err(StoreError::Compacted { requested: rev, compacted: st.compacted });
            }
            if rev > st.current {
                return Err(StoreError::FutureRevision { requested: rev, current: st.current });
            }
            st.compacted = rev;
            st.index.compact(rev)
        };
        tracing::debug!(revision = rev, records = dropped.len(), "compacting");
        delete_records(&self.db, &self.path, &dropped, Some(rev))
    }
}

async fn lease_expiry_loop(inner: Weak<Inner>) {
    let mut tick = tokio::time::interval(LEASE_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        let now = Instant::now();
        let expired: Vec<i64> = inner
            .shared
            .leases
            .lock()
            .leases
            .iter()
            .filter(|(_, l)| l.expiry <= now)
            .map(|(id, _)| *id)
            .collect();
        let tx = inner.tx.lock();
        let Some(tx) = tx.as_ref() else { return };
        for id in expired {
            let _ = tx.send(Request::Revoke { id, expired_only: true, reply: None });
        }
    }
}

// ------------------------------------------------------------------------------------------
// The trait
// ------------------------------------------------------------------------------------------

#[async_trait]
impl Store for EmbeddedStore {
    async fn range(&self, req: RangeRequest) -> Result<RangeResponse> {
        self.inner.shared.range(&req)
    }

    async fn txn(&self, txn: Txn) -> Result<TxnResponse> {
        validate_txn(&txn)?;
        self.call(|reply| Request::Txn(txn, reply)).await
    }

    async fn watch(&self, req: WatchRequest) -> Result<WatchStream> {
        if req.range.start.is_empty() {
            return Err(StoreError::InvalidKey { key: String::new(), reason: "key is empty" });
        }
        let (tx, rx) = mpsc::channel(WATCH_BUFFER);
        let shared = &self.inner.shared;
        let mut w = Watcher { range: req.range, min_rev: 0, prev_kv: req.prev_kv, tx };
        {
            let mut hub = shared.hub.lock();
            if hub.closed {
                return Err(StoreError::Closed);
            }
            let start =
                if req.start_revision <= 0 { hub.published + 1 } else { req.start_revision };
            w.min_rev = start;
            if start > hub.published {
                hub.watchers.push(w);
            } else {
                shared.runtime.spawn(catch_up(shared.clone(), w, start));
            }
        }
        Ok(Box::pin(ReceiverStream::new(rx)))
    }

    async fn lease_grant(&self, ttl_seconds: i64) -> Result<Lease> {
        if ttl_seconds <= 0 {
            return Err(StoreError::InvalidTtl(ttl_seconds));
        }
        self.call(|reply| Request::Grant(ttl_seconds, reply)).await
    }

    async fn lease_keep_alive(&self, id: i64) -> Result<Lease> {
        let mut leases = self.inner.shared.leases.lock();
        let l = leases.leases.get_mut(&id).ok_or(StoreError::LeaseNotFound(id))?;
        let now = Instant::now();
        if l.expiry <= now {
            // Expired, its revocation is queued: too late to renew.
            return Err(StoreError::LeaseNotFound(id));
        }
        l.expiry = now + secs(l.ttl);
        Ok(Lease { id, ttl: l.ttl })
    }

    async fn lease_revoke(&self, id: i64) -> Result<()> {
        self.call(|reply| Request::Revoke { id, expired_only: false, reply: Some(reply) }).await
    }

    async fn lease_time_to_live(&self, id: i64) -> Result<Option<LeaseStatus>> {
        let leases = self.inner.shared.leases.lock();
        Ok(leases.leases.get(&id).map(|l| LeaseStatus {
            id,
            granted_ttl: l.ttl,
            remaining_ttl: l.expiry.saturating_duration_since(Instant::now()).as_secs() as i64,
            keys: l.keys.iter().cloned().collect(),
        }))
    }

    async fn compact(&self, revision: i64) -> Result<()> {
        self.call(|reply| Request::Compact(revision, reply)).await
    }

    async fn current_revision(&self) -> Result<i64> {
        Ok(self.inner.shared.state.read().current)
    }
}
