//! On-disk encoding of one revision record.
//!
//! A record is stored under the 128-bit key `(revision << 32) | sub`, where `sub` numbers the
//! changes inside one revision (a lease revocation deletes several keys at once). Its value:
//!
//! ```text
//! flags: u8 (bit 0: tombstone) | key_len: u32 LE | key | create_revision: i64 LE |
//! version: i64 LE | lease: i64 LE | value (the rest)
//! ```
//!
//! A tombstone records a delete; its value is empty and its create_revision/version are 0.

use bytes::Bytes;

const HEADER: usize = 1 + 4;
const TAIL: usize = 8 * 3;

/// One change as stored on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub tombstone: bool,
    pub key: Bytes,
    pub create_revision: i64,
    pub version: i64,
    pub lease: i64,
    pub value: Bytes,
}

/// Packs a revision and sub-revision into the table key; ordering matches `(rev, sub)`.
pub(crate) fn rev_key(rev: i64, sub: u32) -> u128 {
    ((rev as u128) << 32) | sub as u128
}

/// Unpacks a table key into `(rev, sub)`.
pub(crate) fn split_rev_key(k: u128) -> (i64, u32) {
    ((k >> 32) as i64, (k & 0xffff_ffff) as u32)
}

pub(crate) fn encode(r: &Record) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + r.key.len() + TAIL + r.value.len());
    out.push(u8::from(r.tombstone));
    out.extend_from_slice(&(r.key.len() as u32).to_le_bytes());
    out.extend_from_slice(&r.key);
    out.extend_from_slice(&r.create_revision.to_le_bytes());
    out.extend_from_slice(&r.version.to_le_bytes());
    out.extend_from_slice(&r.lease.to_le_bytes());
    out.extend_from_slice(&r.value);
    out
}

/// Decodes a record; `None` if the bytes are not a well-formed record.
pub(crate) fn decode(b: &[u8]) -> Option<Record> {
    let flags = *b.first()?;
    if flags > 1 {
        return None;
    }
    let key_len = u32::from_le_bytes(b.get(1..5)?.try_into().ok()?) as usize;
    let key_end = HEADER.checked_add(key_len)?;
    let key = b.get(HEADER..key_end)?;
    let tail = b.get(key_end..key_end + TAIL)?;
    let int = |i: usize| i64::from_le_bytes(tail[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    Some(Record {
        tombstone: flags == 1,
        key: Bytes::copy_from_slice(key),
        create_revision: int(0),
        version: int(1),
        lease: int(2),
        value: Bytes::copy_from_slice(&b[key_end + TAIL..]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let r = Record {
            tombstone: false,
            key: Bytes::from_static(b"/registry/pods/default/a"),
            create_revision: 7,
            version: 3,
            lease: 42,
            value: Bytes::from_static(b"{\"kind\":\"Pod\"}"),
        };
        assert_eq!(decode(&encode(&r)), Some(r));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&[7, 0, 0, 0, 0]), None);
        assert_eq!(decode(&[0, 255, 255, 255, 255, 1, 2]), None);
        assert_eq!(decode(&[0, 1, 0, 0, 0, b'/']), None);
    }

    #[test]
    fn rev_keys_sort_by_revision_then_sub() {
        assert!(rev_key(1, u32::MAX) < rev_key(2, 0));
        assert_eq!(split_rev_key(rev_key(123, 9)), (123, 9));
    }
}
