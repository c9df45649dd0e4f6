//! The in-memory key index: for every key, the revisions at which it changed since the last
//! compaction. Values live on disk under those revisions; the index says which record answers a
//! read at a given revision. This is etcd's `treeIndex` in spirit, kept deliberately small: one
//! sorted vector of 16-byte entries per key.

use std::collections::BTreeMap;
use std::ops::Bound;

use bytes::Bytes;

use super::codec::rev_key;
use crate::KeyRange;

/// One change of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IdxRev {
    pub rev: i64,
    pub sub: u32,
    pub tombstone: bool,
}

impl IdxRev {
    pub fn table_key(&self) -> u128 {
        rev_key(self.rev, self.sub)
    }
}

/// A key's history plus the metadata of its live value, so that writes need not read the disk
/// to compute `create_revision`, `version` or the lease to detach from.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyIndex {
    pub revs: Vec<IdxRev>,
    pub create_revision: i64,
    pub version: i64,
    pub lease: i64,
}

impl KeyIndex {
    /// The live entry (the last change, if it is not a delete).
    pub fn live(&self) -> Option<IdxRev> {
        self.revs.last().copied().filter(|r| !r.tombstone)
    }

    /// The entry that answers a read at `rev`.
    pub fn at(&self, rev: i64) -> Option<IdxRev> {
        let n = self.revs.partition_point(|r| r.rev <= rev);
        n.checked_sub(1).map(|i| self.revs[i]).filter(|r| !r.tombstone)
    }

    /// The live entry just before the change `(rev, sub)`: the previous value of an event.
    pub fn before(&self, rev: i64, sub: u32) -> Option<IdxRev> {
        let n = self.revs.partition_point(|r| (r.rev, r.sub) < (rev, sub));
        n.checked_sub(1).map(|i| self.revs[i]).filter(|r| !r.tombstone)
    }
}

/// Metadata of a change applied to the index.
#[derive(Clone, Debug)]
pub(crate) struct IndexChange {
    pub key: Bytes,
    pub entry: IdxRev,
    pub create_revision: i64,
    pub version: i64,
    pub lease: i64,
}

#[derive(Default)]
pub(crate) struct Index {
    keys: BTreeMap<Bytes, KeyIndex>,
}

impl Index {
    pub fn get(&self, key: &[u8]) -> Option<&KeyIndex> {
        self.keys.get(key)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Records a change. Changes must arrive in revision order.
    pub fn apply(&mut self, c: IndexChange) {
        let ki = self.keys.entry(c.key).or_default();
        ki.revs.push(c.entry);
        if c.entry.tombstone {
            ki.create_revision = 0;
            ki.version = 0;
            ki.lease = 0;
        } else {
            ki.create_revision = c.create_revision;
            ki.version = c.version;
            ki.lease = c.lease;
        }
    }

    /// Calls `f` for every key in `range`, in key order, until it returns false.
    pub fn scan<'a>(
        &'a self,
        range: &KeyRange,
        mut f: impl FnMut(&'a Bytes, &'a KeyIndex) -> bool,
    ) {
        match &range.end {
            None => {
                if let Some((k, v)) = self.keys.get_key_value(&range.start[..]) {
                    f(k, v);
                }
            }
            Some(end) => {
                let upper =
                    if end.is_empty() { Bound::Unbounded } else { Bound::Excluded(&end[..]) };
                if !end.is_empty() && end[..] <= range.start[..] {
                    return;
                }
                let iter = self.keys.range::<[u8], _>((Bound::Included(&range.start[..]), upper));
                for (k, v) in iter {
                    if !f(k, v) {
                        break;
                    }
                }
            }
        }
    }

    /// Discards history that no read at or after `rev` can need, and returns the table keys of
    /// the records that became unreachable. For each key the latest change at or before `rev`
    /// is kept if it is a value (it answers reads at `rev`), or if it is a delete at exactly
    /// `rev` (a watch from `rev` must still see it); everything older goes.
    pub fn compact(&mut self, rev: i64) -> Vec<u128> {
        let mut dropped = Vec::new();
        self.keys.retain(|_, ki| {
            let n = ki.revs.partition_point(|r| r.rev <= rev);
            if n == 0 {
                return true;
            }
            let keep_from = match ki.revs[n - 1] {
                r if r.tombstone && r.rev < rev => n,
                _ => n - 1,
            };
            dropped.extend(ki.revs.drain(..keep_from).map(|r| r.table_key()));
            !ki.revs.is_empty()
        });
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(idx: &mut Index, key: &str, rev: i64) {
        idx.apply(IndexChange {
            key: Bytes::copy_from_slice(key.as_bytes()),
            entry: IdxRev { rev, sub: 0, tombstone: false },
            create_revision: rev,
            version: 1,
            lease: 0,
        });
    }

    fn del(idx: &mut Index, key: &str, rev: i64) {
        idx.apply(IndexChange {
            key: Bytes::copy_from_slice(key.as_bytes()),
            entry: IdxRev { rev, sub: 0, tombstone: true },
            create_revision: 0,
            version: 0,
            lease: 0,
        });
    }

    #[test]
    fn reads_at_revisions() {
        let mut idx = Index::default();
        put(&mut idx, "/a", 2);
        put(&mut idx, "/a", 5);
        del(&mut idx, "/a", 7);
        let ki = idx.get(b"/a").expect("indexed");
        assert_eq!(ki.at(1), None);
        assert_eq!(ki.at(2).map(|r| r.rev), Some(2));
        assert_eq!(ki.at(6).map(|r| r.rev), Some(5));
        assert_eq!(ki.at(7), None);
        assert_eq!(ki.before(5, 0).map(|r| r.rev), Some(2));
        assert_eq!(ki.before(7, 0).map(|r| r.rev), Some(5));
        assert_eq!(ki.live(), None);
    }

    #[test]
    fn compaction_keeps_what_reads_need() {
        let mut idx = Index::default();
        put(&mut idx, "/a", 1);
        put(&mut idx, "/a", 3);
        put(&mut idx, "/a", 6);
        put(&mut idx, "/b", 2);
        del(&mut idx, "/b", 4);
        put(&mut idx, "/c", 5);
        let dropped = idx.compact(4);
        // /a keeps 3 (it answers reads at 4) and 6; /b keeps only its delete at exactly 4;
        // /c is untouched.
        assert_eq!(idx.get(b"/a").map(|k| k.revs.len()), Some(2));
        assert_eq!(idx.get(b"/b").map(|k| k.revs.len()), Some(1));
        assert_eq!(idx.get(b"/c").map(|k| k.revs.len()), Some(1));
        let mut d: Vec<i64> = dropped.iter().map(|k| (k >> 32) as i64).collect();
        d.sort();
        assert_eq!(d, vec![1, 2]);
        assert_eq!(idx.compact(5).len(), 1);
        assert!(idx.get(b"/b").is_none());
    }

    #[test]
    fn compaction_keeps_a_delete_at_exactly_the_compacted_revision() {
        let mut idx = Index::default();
        put(&mut idx, "/a", 1);
        del(&mut idx, "/a", 2);
        assert_eq!(idx.compact(2).len(), 1);
        assert_eq!(idx.get(b"/a").map(|k| k.revs.len()), Some(1));
        assert_eq!(idx.compact(3).len(), 1);
        assert!(idx.get(b"/a").is_none());
    }

    #[test]
    fn scan_respects_bounds() {
        let mut idx = Index::default();
        for (i, k) in ["/a", "/b/1", "/b/2", "/c"].iter().enumerate() {
            put(&mut idx, k, i as i64 + 1);
        }
        let mut seen = vec![];
        idx.scan(&KeyRange::prefix("/b/"), |k, _| {
            seen.push(k.clone());
            true
        });
        assert_eq!(seen, vec![Bytes::from_static(b"/b/1"), Bytes::from_static(b"/b/2")]);
        let mut n = 0;
        idx.scan(&KeyRange::between("/", ""), |_, _| {
            n += 1;
            true
        });
        assert_eq!(n, 4);
    }
}
