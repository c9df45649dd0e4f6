//! Automatic compaction, the way kube-apiserver does it: every interval, compact at the
//! revision observed one interval earlier, so at least one interval of history is always kept
//! (default five minutes). Several API servers sharing one etcd coordinate through a
//! compare-and-swap on [`COMPACT_REV_KEY`]: only the one whose swap succeeds compacts; the others
//! adopt what they saw and try again next interval.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::{Compare, Op, Result, Store, StoreError, Txn};

/// Key holding the last compaction's revision (kube-apiserver uses `compact_rev_key`).
pub const COMPACT_REV_KEY: &[u8] = b"/compact_rev_key";

/// History kept by default, as kube-apiserver's `--etcd-compaction-interval`.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// The compactor's memory between ticks.
#[derive(Debug, Default, Clone)]
pub struct Compactor {
    /// `mod_revision` of [`COMPACT_REV_KEY`] as this compactor last saw it.
    key_mod_revision: i64,
    /// Revision observed at the previous tick: the next compaction point.
    last_revision: i64,
}

impl Compactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// One tick. Returns the revision compacted at, if this tick compacted.
    pub async fn tick(&mut self, store: &dyn Store) -> Result<Option<i64>> {
        let current = store.current_revision().await?;
        let txn = Txn::new()
            .when(Compare::mod_revision(COMPACT_REV_KEY, self.key_mod_revision))
            .success(Op::put(COMPACT_REV_KEY, Bytes::from(current.to_string())))
            .failure(Op::get(COMPACT_REV_KEY));
        let resp = store.txn(txn).await?;
        if !resp.succeeded {
            // Someone else compacted within this interval: follow them.
            self.key_mod_revision = resp.clone().into_get().map_or(0, |kv| kv.mod_revision);
            self.last_revision = resp.revision;
            return Ok(None);
        }
        self.key_mod_revision = resp.revision;
        let target = std::mem::replace(&mut self.last_revision, resp.revision);
        if target == 0 {
            return Ok(None);
        }
        match store.compact(target).await {
            Ok(()) => Ok(Some(target)),
            // Already compacted there (by hand or by another server): nothing to do.
            Err(StoreError::Compacted { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Runs a [`Compactor`] every `interval` until the task is dropped. Errors are logged and
/// retried at the next tick.
pub async fn run(store: Arc<dyn Store>, interval: Duration) {
    let mut compactor = Compactor::new();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match compactor.tick(store.as_ref()).await {
            Ok(Some(rev)) => tracing::info!(revision = rev, "compacted store history"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "store compaction failed; will retry"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedded::EmbeddedStore;
    use crate::RangeRequest;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn compacts_at_the_revision_seen_one_tick_earlier() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = EmbeddedStore::open(dir.path().join("db")).expect("open");
        store.put(b"/a", Bytes::from_static(b"1")).await.expect("put");
        let mut c = Compactor::new();
        assert_eq!(c.tick(&store).await.expect("tick"), None, "first tick only records");
        let seen = store.current_revision().await.expect("rev");
        store.put(b"/a", Bytes::from_static(b"2")).await.expect("put");
        assert_eq!(c.tick(&store).await.expect("tick"), Some(seen));
        assert_eq!(store.compacted_revision(), seen);
        // History after the compaction point is intact.
        let r = store.range(RangeRequest::key("/a").at_revision(seen)).await.expect("read");
        assert_eq!(&r.kvs[0].value[..], b"1");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_compactors_on_one_store_take_turns() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = EmbeddedStore::open(dir.path().join("db")).expect("open");
        let (mut a, mut b) = (Compactor::new(), Compactor::new());
        assert_eq!(a.tick(&store).await.expect("tick"), None);
        // b's swap fails (a moved the key): it adopts a's view instead of compacting.
        assert_eq!(b.tick(&store).await.expect("tick"), None);
        store.put(b"/x", Bytes::from_static(b"1")).await.expect("put");
        assert!(a.tick(&store).await.expect("tick").is_some());
        assert_eq!(b.tick(&store).await.expect("tick"), None, "b lost the race again");
    }
}
