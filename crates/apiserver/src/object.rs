//! The stored form of objects, chosen so that reads need no parsing.
//!
//! An object is stored as compact JSON whose first member is always `"metadata"` and whose
//! metadata never holds `resourceVersion` (the resourceVersion of an object *is* its key's
//! store revision). Serving an object at revision N is then a byte splice: insert
//! `"resourceVersion":"N"` right after the leading `{"metadata":{`. Lists and watch events are
//! assembled from these bytes without ever building a `serde_json::Value`, which is what makes
//! large lists and many watchers cheap.

use bytes::{BufMut, Bytes, BytesMut};
use serde_json::Value;

const HEAD: &[u8] = br#"{"metadata":{"#;

/// Encodes an object for storage: metadata first, without resourceVersion.
pub fn encode(obj: &Value) -> Result<Bytes, String> {
    let map = obj.as_object().ok_or("an object must be a JSON object")?;
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(br#"{"metadata":"#);
    let mut meta =
        map.get("metadata").cloned().unwrap_or_else(|| Value::Object(Default::default()));
    if let Some(m) = meta.as_object_mut() {
        m.remove("resourceVersion");
    } else {
        meta = Value::Object(Default::default());
    }
    serde_json::to_writer(&mut out, &meta).map_err(|e| e.to_string())?;
    for (k, v) in map {
        if k == "metadata" {
            continue;
        }
        out.push(b',');
        serde_json::to_writer(&mut out, k).map_err(|e| e.to_string())?;
        out.push(b':');
        serde_json::to_writer(&mut out, v).map_err(|e| e.to_string())?;
    }
    out.push(b'}');
    Ok(Bytes::from(out))
}

/// The stored bytes with `metadata.resourceVersion` set to `rev`.
pub fn stamp(stored: &[u8], rev: i64) -> Bytes {
    if let Some(rest) = stored.strip_prefix(HEAD) {
        let mut out = BytesMut::with_capacity(stored.len() + 32);
        out.put_slice(HEAD);
        out.put_slice(br#""resourceVersion":""#);
        out.put_slice(rev.to_string().as_bytes());
        out.put_u8(b'"');
        if rest.first() != Some(&b'}') {
            out.put_u8(b',');
        }
        out.put_slice(rest);
        return out.freeze();
    }
    // Not in our layout (written by something else): take the slow, general path.
    match serde_json::from_slice::<Value>(stored) {
        Ok(mut v) => {
            crate::meta::set(&mut v, "resourceVersion", Value::String(rev.to_string()));
            Bytes::from(serde_json::to_vec(&v).unwrap_or_default())
        }
        Err(_) => Bytes::copy_from_slice(stored),
    }
}

/// Parses served bytes into a value.
pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("stored object is not valid JSON: {e}"))
}

/// `{"kind":K,"apiVersion":V,"metadata":M,"items":[...]}` from item bytes.
pub fn list_bytes(kind: &str, api_version: &str, list_meta: &Value, items: &[Bytes]) -> Bytes {
    let total: usize = items.iter().map(|i| i.len() + 1).sum();
    let mut out = BytesMut::with_capacity(total + 128);
    out.put_slice(br#"{"kind":"#);
    out.put_slice(&serde_json::to_vec(kind).unwrap_or_default());
    out.put_slice(br#","apiVersion":"#);
    out.put_slice(&serde_json::to_vec(api_version).unwrap_or_default());
    out.put_slice(br#","metadata":"#);
    out.put_slice(&serde_json::to_vec(list_meta).unwrap_or_default());
    out.put_slice(br#","items":["#);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.put_u8(b',');
        }
        out.put_slice(item);
    }
    out.put_slice(b"]}");
    out.freeze()
}

/// One watch event line: `{"type":T,"object":O}\n`.
pub fn watch_line(kind: &str, object: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(object.len() + 32);
    out.put_slice(br#"{"type":""#);
    out.put_slice(kind.as_bytes());
    out.put_slice(br#"","object":"#);
    out.put_slice(object);
    out.put_slice(b"}\n");
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stamp_matches_the_slow_path() {
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"metadata": "x"},
                         "metadata": {"name": "a", "resourceVersion": "9", "labels": {"k": "v"}}});
        let stored = encode(&obj).expect("encode");
        assert!(stored.starts_with(HEAD));
        let served = parse(&stamp(&stored, 42)).expect("parse");
        let mut expected = obj.clone();
        expected["metadata"]["resourceVersion"] = json!("42");
        assert_eq!(served, expected);
        // Empty metadata.
        let bare = encode(&json!({"kind": "X"})).expect("encode");
        assert_eq!(
            parse(&stamp(&bare, 1)).expect("parse"),
            json!({"kind": "X", "metadata": {"resourceVersion": "1"}})
        );
        // Foreign layout.
        let foreign = br#"{"kind":"X","metadata":{"name":"n"}}"#;
        assert_eq!(parse(&stamp(foreign, 5)).expect("parse")["metadata"]["resourceVersion"], "5");
    }

    #[test]
    fn lists_and_watch_lines_are_valid_json() {
        let items = vec![Bytes::from_static(br#"{"a":1}"#), Bytes::from_static(br#"{"b":2}"#)];
        let list = parse(&list_bytes("PodList", "v1", &json!({"resourceVersion": "3"}), &items))
            .expect("list");
        assert_eq!(list["items"][1]["b"], 2);
        let line = watch_line("ADDED", br#"{"a":1}"#);
        assert!(line.ends_with(b"\n"));
        assert_eq!(parse(&line[..line.len() - 1]).expect("line")["type"], "ADDED");
    }
}
