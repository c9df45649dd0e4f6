use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;

use crate::StoreError;

/// A stored key with its value and MVCC metadata, as etcd's `mvccpb.KeyValue`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct KeyValue {
    pub key: Bytes,
    /// Empty for the `kv` of a delete event.
    pub value: Bytes,
    /// Revision of the write that created the key (reset when the key is deleted and re-created).
    pub create_revision: i64,
    /// Revision of the last write to the key (for a delete event: the delete's revision).
    pub mod_revision: i64,
    /// Number of writes since the key was created: 1 after creation.
    pub version: i64,
    /// Lease the key is attached to; 0 for none.
    pub lease: i64,
}

/// A key, or a half-open range of keys `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRange {
    pub start: Bytes,
    /// `None`: the single key `start`.
    pub end: Option<Bytes>,
}

impl KeyRange {
    /// Exactly one key.
    pub fn key(key: impl AsRef<[u8]>) -> Self {
        KeyRange { start: Bytes::copy_from_slice(key.as_ref()), end: None }
    }

    /// Every key that starts with `prefix`.
    pub fn prefix(prefix: impl AsRef<[u8]>) -> Self {
        let start = Bytes::copy_from_slice(prefix.as_ref());
        let end = prefix_end(&start);
        KeyRange { start, end: Some(end) }
    }

    /// Keys in `[start, end)`.
    pub fn between(start: impl AsRef<[u8]>, end: impl AsRef<[u8]>) -> Self {
        KeyRange {
            start: Bytes::copy_from_slice(start.as_ref()),
            end: Some(Bytes::copy_from_slice(end.as_ref())),
        }
    }

    /// The rest of this range after `last_key`: how a paginated read continues.
    pub fn continue_after(&self, last_key: &[u8]) -> Self {
        let mut start = Vec::with_capacity(last_key.len() + 1);
        start.extend_from_slice(last_key);
        start.push(0);
        KeyRange { start: start.into(), end: self.end.clone() }
    }

    /// Whether `key` falls in this range.
    pub fn contains(&self, key: &[u8]) -> bool {
        match &self.end {
            None => key == &self.start[..],
            Some(end) => key >= &self.start[..] && (end.is_empty() || key < &end[..]),
        }
    }
}

/// The smallest key greater than every key starting with `prefix` (etcd's `GetPrefixRangeEnd`).
/// An empty result means "no upper bound".
pub fn prefix_end(prefix: &[u8]) -> Bytes {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end.into();
        }
    }
    Bytes::new()
}

/// A read request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeRequest {
    pub range: KeyRange,
    /// Read at this revision; 0 for the current one.
    pub revision: i64,
    /// Return at most this many keys (in key order); 0 for no limit.
    pub limit: usize,
    /// Return only the count.
    pub count_only: bool,
}

impl RangeRequest {
    pub fn key(key: impl AsRef<[u8]>) -> Self {
        Self::new(KeyRange::key(key))
    }
    pub fn prefix(prefix: impl AsRef<[u8]>) -> Self {
        Self::new(KeyRange::prefix(prefix))
    }
    pub fn new(range: KeyRange) -> Self {
        RangeRequest { range, revision: 0, limit: 0, count_only: false }
    }
    pub fn at_revision(mut self, revision: i64) -> Self {
        self.revision = revision;
        self
    }
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    pub fn count_only(mut self) -> Self {
        self.count_only = true;
        self
    }
}

/// The answer to a [`RangeRequest`].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RangeResponse {
    /// The keys found, in key order (empty for a count-only read).
    pub kvs: Vec<KeyValue>,
    /// How many keys the whole range holds at the read revision, regardless of `limit`.
    pub count: u64,
    /// Whether keys beyond `limit` remain: continue with [`KeyRange::continue_after`] at
    /// `revision`.
    pub more: bool,
    /// The revision the read was served at (the current revision for a read at revision 0).
    pub revision: i64,
}

/// A transaction guard. Only `mod_revision` equality is needed by the API server: a target of
/// 0 means "the key does not exist".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compare {
    ModRevision { key: Bytes, equals: i64 },
}

impl Compare {
    pub fn mod_revision(key: impl AsRef<[u8]>, equals: i64) -> Self {
        Compare::ModRevision { key: Bytes::copy_from_slice(key.as_ref()), equals }
    }
    pub fn key(&self) -> &[u8] {
        match self {
            Compare::ModRevision { key, .. } => key,
        }
    }
}

/// An operation inside a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Writes a key; `lease` 0 detaches it from any lease.
    Put { key: Bytes, value: Bytes, lease: i64 },
    /// Deletes one key.
    Delete { key: Bytes },
    /// Reads one key (at the transaction's revision).
    Get { key: Bytes },
}

impl Op {
    pub fn put(key: impl AsRef<[u8]>, value: impl Into<Bytes>) -> Self {
        Op::Put { key: Bytes::copy_from_slice(key.as_ref()), value: value.into(), lease: 0 }
    }
    pub fn put_with_lease(key: impl AsRef<[u8]>, value: impl Into<Bytes>, lease: i64) -> Self {
        Op::Put { key: Bytes::copy_from_slice(key.as_ref()), value: value.into(), lease }
    }
    pub fn delete(key: impl AsRef<[u8]>) -> Self {
        Op::Delete { key: Bytes::copy_from_slice(key.as_ref()) }
    }
    pub fn get(key: impl AsRef<[u8]>) -> Self {
        Op::Get { key: Bytes::copy_from_slice(key.as_ref()) }
    }
    pub fn key(&self) -> &[u8] {
        match self {
            Op::Put { key, .. } | Op::Delete { key } | Op::Get { key } => key,
        }
    }
}

/// A compare-then-write transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Txn {
    pub compares: Vec<Compare>,
    pub success: Vec<Op>,
    pub failure: Vec<Op>,
}

impl Txn {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn when(mut self, cmp: Compare) -> Self {
        self.compares.push(cmp);
        self
    }
    pub fn success(mut self, op: Op) -> Self {
        self.success.push(op);
        self
    }
    pub fn failure(mut self, op: Op) -> Self {
        self.failure.push(op);
        self
    }
}

/// The result of one [`Op`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpResponse {
    /// `prev`: the value before the put, if the key existed.
    Put {
        prev: Option<KeyValue>,
    },
    /// `prev`: the deleted value; `None` if the key did not exist (nothing was written).
    Delete {
        prev: Option<KeyValue>,
    },
    Get {
        kv: Option<KeyValue>,
    },
}

/// The answer to a [`Txn`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnResponse {
    /// Whether the comparisons held (and so `success` ran).
    pub succeeded: bool,
    /// The store's revision after the transaction: the new revision if it wrote anything.
    pub revision: i64,
    /// One response per operation of the branch that ran.
    pub responses: Vec<OpResponse>,
}

impl TxnResponse {
    /// The first `Get` result of the branch that ran.
    pub fn into_get(self) -> Option<KeyValue> {
        self.responses.into_iter().find_map(|r| match r {
            OpResponse::Get { kv } => kv,
            _ => None,
        })
    }
}

/// A watch request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchRequest {
    pub range: KeyRange,
    /// First revision to deliver; 0 for "changes after the current revision".
    pub start_revision: i64,
    /// Whether events carry the previous value.
    pub prev_kv: bool,
}

impl WatchRequest {
    pub fn key(key: impl AsRef<[u8]>) -> Self {
        WatchRequest { range: KeyRange::key(key), start_revision: 0, prev_kv: false }
    }
    pub fn prefix(prefix: impl AsRef<[u8]>) -> Self {
        WatchRequest { range: KeyRange::prefix(prefix), start_revision: 0, prev_kv: false }
    }
    pub fn from_revision(mut self, revision: i64) -> Self {
        self.start_revision = revision;
        self
    }
    pub fn with_prev_kv(mut self) -> Self {
        self.prev_kv = true;
        self
    }
}

/// What happened to a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Put,
    Delete,
}

/// One change seen by a watch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// The key after the change (for a delete: key and `mod_revision` only).
    pub kv: KeyValue,
    /// The value before the change, if requested and the key existed.
    pub prev_kv: Option<KeyValue>,
}

/// A stream of watch batches; each batch holds the events of one or more whole revisions.
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<Vec<Event>, StoreError>> + Send>>;

/// A granted or renewed lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    pub id: i64,
    pub ttl: i64,
}

/// A lease's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseStatus {
    pub id: i64,
    /// The TTL granted.
    pub granted_ttl: i64,
    /// Seconds until expiry, rounded down.
    pub remaining_ttl: i64,
    /// Keys attached, sorted.
    pub keys: Vec<Bytes>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_increments_last_byte() {
        assert_eq!(&prefix_end(b"/a")[..], b"/b");
        assert_eq!(&prefix_end(b"/a\xff")[..], b"/b");
        assert_eq!(&prefix_end(b"\xff\xff")[..], b"");
    }

    #[test]
    fn range_contains() {
        let r = KeyRange::prefix("/registry/pods/");
        assert!(r.contains(b"/registry/pods/a"));
        assert!(!r.contains(b"/registry/podsx"));
        assert!(KeyRange::key("/k").contains(b"/k"));
        assert!(!KeyRange::key("/k").contains(b"/k2"));
        let rest = r.continue_after(b"/registry/pods/a");
        assert!(!rest.contains(b"/registry/pods/a"));
        assert!(rest.contains(b"/registry/pods/a0"));
    }
}
