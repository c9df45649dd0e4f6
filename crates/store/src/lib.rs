//! krust's cluster store: a revisioned, watchable key-value store with etcd v3 semantics.
//!
//! Everything the API server persists goes through the [`Store`] trait defined here. Two
//! backends implement it and pass one conformance suite ([`testing::conformance`]):
//!
//! - [`embedded::EmbeddedStore`], the default: our own MVCC layer (an in-memory key index
//!   pointing at revision-keyed records) over a crash-safe `redb` file, with group commit,
//!   an in-memory watch hub and leases. Start reading at `embedded/mod.rs`.
//! - [`etcd::EtcdStore`]: the same contract over a real etcd v3 cluster, for HA.
//!
//! The contract, in short (see [`Store`] for the details):
//! - one cluster-wide revision, bumped by one per committed write transaction that changes
//!   something; every key carries `create_revision`, `mod_revision` and `version`;
//! - reads of a key or a range, at the current or a past revision, with `limit` and a
//!   continuation, or count-only;
//! - transactions guarded by `mod_revision` comparisons (the basis of `resourceVersion`
//!   optimistic concurrency);
//! - watches from a revision that deliver every later change exactly once, in order, with the
//!   previous value;
//! - leases, compaction (manual and [`compactor`]) and the distinct [`StoreError::Compacted`].

mod error;
mod types;

pub mod compactor;
pub mod embedded;
pub mod etcd;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::StoreError;
pub use types::*;

use async_trait::async_trait;
use bytes::Bytes;

/// Result alias for store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Largest request (key plus value of every put in one transaction) a store accepts. This is
/// etcd's default `--max-request-bytes` (1.5 MiB), so that both backends refuse the same input.
pub const MAX_REQUEST_BYTES: usize = 1536 * 1024;

/// Largest key accepted. etcd has no separate key limit; Kubernetes keys are short paths, and a
/// bound keeps the in-memory index of the embedded backend from being abused.
pub const MAX_KEY_BYTES: usize = 8 * 1024;

/// The store contract: etcd v3 semantics, implemented by every backend.
///
/// Revisions are `i64` as in etcd. Revision `0` in a request means "current". A read or a watch
/// below the compacted revision fails with [`StoreError::Compacted`].
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Reads a key or a range of keys.
    async fn range(&self, req: RangeRequest) -> Result<RangeResponse>;

    /// Runs a transaction: if every comparison holds, the `success` operations are applied as one
    /// revision, else the `failure` operations are.
    async fn txn(&self, txn: Txn) -> Result<TxnResponse>;

    /// Watches a key or range. The stream yields every change with revision >= `start_revision`
    /// (or, when it is 0, every change after the current revision), grouped by revision, in
    /// order. If the start is below the compacted revision, or the watcher fell behind one, the
    /// stream yields [`StoreError::Compacted`] and ends.
    async fn watch(&self, req: WatchRequest) -> Result<WatchStream>;

    /// Grants a lease with a time to live in seconds (a backend may round a tiny TTL up, as
    /// etcd does to its minimum). Returns the lease id and the granted TTL.
    async fn lease_grant(&self, ttl_seconds: i64) -> Result<Lease>;

    /// Renews a lease for its full TTL. Fails with [`StoreError::LeaseNotFound`] once it expired.
    async fn lease_keep_alive(&self, id: i64) -> Result<Lease>;

    /// Revokes a lease, deleting every key attached to it as one revision.
    async fn lease_revoke(&self, id: i64) -> Result<()>;

    /// Reports a lease's TTL, remaining seconds and attached keys, or `None` if it does not
    /// exist (expired or revoked).
    async fn lease_time_to_live(&self, id: i64) -> Result<Option<LeaseStatus>>;

    /// Discards the history older than `revision`: reads and watches below it fail with
    /// [`StoreError::Compacted`] afterwards, and the space it held is reused.
    async fn compact(&self, revision: i64) -> Result<()>;

    /// The current revision (the revision of the last committed change).
    async fn current_revision(&self) -> Result<i64>;

    // ---- conveniences over `range` and `txn`, used by the API server ----

    /// Reads one key at the current revision.
    async fn get(&self, key: &[u8]) -> Result<Option<KeyValue>> {
        let resp = self.range(RangeRequest::key(key)).await?;
        Ok(resp.kvs.into_iter().next())
    }

    /// Writes a key unconditionally; returns the new revision.
    async fn put(&self, key: &[u8], value: Bytes) -> Result<i64> {
        let resp = self.txn(Txn::new().success(Op::put(key, value))).await?;
        Ok(resp.revision)
    }

    /// Creates a key if it does not exist. Returns `Ok(Some(revision))` on success and
    /// `Ok(None)` if the key already exists.
    async fn create(&self, key: &[u8], value: Bytes) -> Result<Option<i64>> {
        let txn = Txn::new().when(Compare::mod_revision(key, 0)).success(Op::put(key, value));
        let resp = self.txn(txn).await?;
        Ok(resp.succeeded.then_some(resp.revision))
    }

    /// Replaces a key if its `mod_revision` is still `expected`. On conflict returns
    /// `Err(current)` with the current value (`None` if it was deleted).
    async fn update_if(
        &self,
        key: &[u8],
        expected_mod_revision: i64,
        value: Bytes,
    ) -> Result<std::result::Result<i64, Option<KeyValue>>> {
        let txn = Txn::new()
            .when(Compare::mod_revision(key, expected_mod_revision))
            .success(Op::put(key, value))
            .failure(Op::get(key));
        let resp = self.txn(txn).await?;
        if resp.succeeded {
            Ok(Ok(resp.revision))
        } else {
            Ok(Err(resp.into_get()))
        }
    }

    /// Deletes a key if its `mod_revision` is still `expected`. On conflict returns
    /// `Err(current)`; on success the deleted value.
    async fn delete_if(
        &self,
        key: &[u8],
        expected_mod_revision: i64,
    ) -> Result<std::result::Result<(i64, Option<KeyValue>), Option<KeyValue>>> {
        let txn = Txn::new()
            .when(Compare::mod_revision(key, expected_mod_revision))
            .success(Op::delete(key))
            .failure(Op::get(key));
        let resp = self.txn(txn).await?;
        let revision = resp.revision;
        if resp.succeeded {
            let prev = match resp.responses.into_iter().next() {
                Some(OpResponse::Delete { prev }) => prev,
                _ => None,
            };
            Ok(Ok((revision, prev)))
        } else {
            Ok(Err(resp.into_get()))
        }
    }

    /// Deletes a key unconditionally; returns the deleted value, if any.
    async fn delete(&self, key: &[u8]) -> Result<Option<KeyValue>> {
        let resp = self.txn(Txn::new().success(Op::delete(key))).await?;
        Ok(match resp.responses.into_iter().next() {
            Some(OpResponse::Delete { prev }) => prev,
            _ => None,
        })
    }
}

/// Checks a key against the rules every backend enforces: not empty, starts with `/`, no NUL
/// byte, at most [`MAX_KEY_BYTES`].
pub fn validate_key(key: &[u8]) -> Result<()> {
    let reason = if key.is_empty() {
        "key is empty"
    } else if key[0] != b'/' {
        "key must start with '/'"
    } else if key.contains(&0) {
        "key contains a NUL byte"
    } else if key.len() > MAX_KEY_BYTES {
        "key is longer than 8 KiB"
    } else {
        return Ok(());
    };
    Err(StoreError::InvalidKey {
        key: String::from_utf8_lossy(&key[..key.len().min(128)]).into_owned(),
        reason,
    })
}

/// Validates a whole transaction before any backend sees it, so that bad input is refused with
/// the same error everywhere and nothing is half-written.
pub fn validate_txn(txn: &Txn) -> Result<()> {
    for cmp in &txn.compares {
        validate_key(cmp.key())?;
    }
    for ops in [&txn.success, &txn.failure] {
        let mut size = 0usize;
        let mut seen: Vec<&[u8]> = Vec::new();
        for op in ops.iter() {
            validate_key(op.key())?;
            size += op.key().len();
            if let Op::Put { key, value, .. } = op {
                size += value.len();
                if size > MAX_REQUEST_BYTES {
                    return Err(StoreError::RequestTooLarge {
                        key: String::from_utf8_lossy(key).into_owned(),
                        size,
                        limit: MAX_REQUEST_BYTES,
                    });
                }
            }
            if !matches!(op, Op::Get { .. }) {
                if seen.contains(&op.key()) {
                    return Err(StoreError::DuplicateKey {
                        key: String::from_utf8_lossy(op.key()).into_owned(),
                    });
                }
                seen.push(op.key());
            }
        }
    }
    Ok(())
}
