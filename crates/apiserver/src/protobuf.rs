//! Protobuf request bodies (`application/vnd.kubernetes.protobuf`), decoded into the JSON the
//! same object would have been sent as.
//!
//! client-go's typed clients (kubectl's `create` generators, `auth can-i`, drain, Helm's release
//! storage, ...) send request bodies only as protobuf. The wire format (apimachinery
//! `runtime/serializer/protobuf`) is the magic `k8s\0`, then a `runtime.Unknown` message
//! `{typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3, contentType = 4}`
//! whose `raw` is the typed message of Kubernetes' `generated.proto`.
//!
//! Decoding is driven by a generated table of those messages ([`schema`], made by
//! `scripts/gen-protobuf-schema.py`): field numbers, wire types and JSON names. The walker
//! reproduces what Go's `encoding/json` would print for the decoded Go object:
//!
//! - Go's protobuf encoder always writes non-pointer fields, so a zero scalar (`""`, `0`,
//!   `false`) on the wire is dropped (`omitempty`) unless the field is required or a Go pointer
//!   (`Field::keep_zero`): `replicas: 0` and `automountServiceAccountToken: false` survive,
//!   `generateName: ""` does not. Empty repeated and map fields are absent on the wire and so
//!   omitted; a present non-pointer struct prints as `{}`, as in Go.
//! - `metav1.Time` prints as RFC 3339 seconds, `MicroTime` with microseconds, the zero time is
//!   omitted (Go prints `null`); `Duration` as Go's `time.Duration` string; `Quantity` as its
//!   string; `IntOrString` as a number or a string; `[]byte` as base64; `RawExtension` and
//!   `FieldsV1` as the JSON they carry; `ExtraValue` as a list of strings; embedded Go structs
//!   (`json:",inline"`, e.g. `Volume.volumeSource`) are flattened into their parent.
//! - Unknown field numbers are skipped, as Go does.

mod schema;

use base64::Engine as _;
use serde_json::{Map, Number, Value};

use crate::errors::{ApiError, ApiResult};

/// The prefix of every protobuf-encoded Kubernetes object.
pub const MAGIC: &[u8] = b"k8s\0";

/// Deeper nesting than any Kubernetes type has; bounds the recursion on hostile input.
const MAX_DEPTH: u32 = 100;

/// A field's protobuf type (for a map, the value type; keys are always strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    String,
    Bytes,
    Bool,
    Int32,
    Int64,
    Double,
    /// Index into [`schema::MESSAGES`].
    Message(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Card {
    Optional,
    Repeated,
    /// `map<string, Ty>`.
    Map,
    /// An optional message whose fields Go's JSON embeds in the parent object.
    Inline,
}

/// Messages whose JSON form is not the object of their fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Special {
    None,
    Time,
    MicroTime,
    Duration,
    /// `bytes raw = 1` holding JSON (`RawExtension`, `FieldsV1`).
    RawJson,
    /// A nested `runtime.Unknown`.
    Unknown,
    IntOrString,
    Quantity,
    /// `repeated string items = 1` printed as a plain list (`ExtraValue`, `Verbs`).
    StringList,
}

#[derive(Debug)]
pub(crate) struct Field {
    pub tag: u32,
    pub json: &'static str,
    pub ty: Ty,
    pub card: Card,
    /// Print a zero scalar (required field or Go pointer) instead of omitting it.
    pub keep_zero: bool,
}

#[derive(Debug)]
pub(crate) struct Message {
    /// The OpenAPI definition name (`io.k8s.api.core.v1.ConfigMap`).
    pub name: &'static str,
    pub special: Special,
    /// Sorted by tag.
    pub fields: &'static [Field],
}

impl Message {
    fn field(&self, tag: u32) -> Option<&'static Field> {
        self.fields.binary_search_by_key(&tag, |f| f.tag).ok().map(|i| &self.fields[i])
    }
}

fn message(index: u16) -> &'static Message {
    // Indices come from the generated table itself, so they are always in range.
    &schema::MESSAGES[usize::from(index)]
}

/// The message of `kind` in `apiVersion`, if the table has it.
fn lookup_kind(api_version: &str, kind: &str) -> Option<&'static Message> {
    let find = |av: &str| {
        schema::KINDS
            .binary_search_by(|(a, k, _)| (*a, *k).cmp(&(av, kind)))
            .ok()
            .map(|i| message(schema::KINDS[i].2))
    };
    find(api_version).or_else(|| find("*"))
}

/// Decodes a protobuf request body into the object's JSON form.
pub fn decode(body: &[u8]) -> ApiResult<Value> {
    let Some(rest) = body.strip_prefix(MAGIC) else {
        return Err(ApiError::BadRequest(
            "the protobuf request body does not start with the Kubernetes protobuf prefix \"k8s\\x00\"".into(),
        ));
    };
    decode_unknown(rest, 0).map_err(|e| {
        ApiError::BadRequest(format!("the protobuf request body could not be decoded: {e}"))
    })
}

type Result<T> = std::result::Result<T, String>;

/// Decodes a `runtime.Unknown` envelope and the object it carries.
fn decode_unknown(buf: &[u8], depth: u32) -> Result<Value> {
    let (mut api_version, mut kind, mut raw, mut encoding, mut content_type) =
        (String::new(), String::new(), &[][..], String::new(), String::new());
    let mut r = Reader::new(buf);
    while !r.done() {
        let (tag, wt) = r.key()?;
        match tag {
            1 => {
                let mut tm = Reader::new(r.bytes_of(wt, "runtime.Unknown.typeMeta")?);
                while !tm.done() {
                    let (tag, wt) = tm.key()?;
                    match tag {
                        1 => api_version = tm.string_of(wt, "runtime.TypeMeta.apiVersion")?,
                        2 => kind = tm.string_of(wt, "runtime.TypeMeta.kind")?,
                        _ => tm.skip(wt)?,
                    }
                }
            }
            2 => raw = r.bytes_of(wt, "runtime.Unknown.raw")?,
            3 => encoding = r.string_of(wt, "runtime.Unknown.contentEncoding")?,
            4 => content_type = r.string_of(wt, "runtime.Unknown.contentType")?,
            _ => r.skip(wt)?,
        }
    }
    if !encoding.is_empty() {
        return Err(format!("content encoding {encoding:?} is not supported"));
    }
    match content_type.as_str() {
        "" | "application/vnd.kubernetes.protobuf" => {}
        "application/json" => {
            return serde_json::from_slice(raw)
                .map_err(|e| format!("the embedded JSON object is invalid: {e}"));
        }
        other => {
            return Err(format!("content type {other:?} of the embedded object is not supported"))
        }
    }
    if kind.is_empty() {
        return Err("the object has no kind (runtime.Unknown.typeMeta.kind is empty)".into());
    }
    let Some(msg) = lookup_kind(&api_version, &kind) else {
        return Err(format!(
            "no kind \"{kind}\" is known in version \"{api_version}\" for protobuf decoding"
        ));
    };
    let mut out = Map::new();
    if !api_version.is_empty() {
        out.insert("apiVersion".into(), Value::String(api_version));
    }
    out.insert("kind".into(), Value::String(kind));
    decode_fields(msg, raw, depth + 1, &mut out)?;
    Ok(Value::Object(out))
}

/// Decodes one message; `Value::Null` means "omit" (a zero time, an empty raw extension).
fn decode_message(msg: &'static Message, buf: &[u8], depth: u32) -> Result<Value> {
    if depth > MAX_DEPTH {
        return Err(format!("objects nested deeper than {MAX_DEPTH} levels"));
    }
    match msg.special {
        Special::None => {
            let mut out = Map::new();
            decode_fields(msg, buf, depth, &mut out)?;
            Ok(Value::Object(out))
        }
        Special::Time | Special::MicroTime => {
            let (mut seconds, mut nanos, mut any) = (0i64, 0i32, false);
            let mut r = Reader::new(buf);
            while !r.done() {
                let (tag, wt) = r.key()?;
                match tag {
                    1 => (seconds, any) = (r.varint_of(wt, msg.name)? as i64, true),
                    2 => (nanos, any) = (r.varint_of(wt, msg.name)? as i32, true),
                    _ => r.skip(wt)?,
                }
            }
            // Go encodes its zero time as an empty message (and prints it as null).
            const GO_ZERO_TIME: i64 = -62_135_596_800;
            if !any || (seconds == GO_ZERO_TIME && nanos == 0) {
                return Ok(Value::Null);
            }
            format_time(seconds, nanos, msg.special == Special::MicroTime).map(Value::String)
        }
        Special::Duration => {
            let mut nanos = 0i64;
            let mut r = Reader::new(buf);
            while !r.done() {
                let (tag, wt) = r.key()?;
                match tag {
                    1 => nanos = r.varint_of(wt, msg.name)? as i64,
                    _ => r.skip(wt)?,
                }
            }
            Ok(Value::String(go_duration(nanos)))
        }
        Special::RawJson => {
            let mut raw: &[u8] = &[];
            let mut r = Reader::new(buf);
            while !r.done() {
                let (tag, wt) = r.key()?;
                match tag {
                    1 => raw = r.bytes_of(wt, msg.name)?,
                    _ => r.skip(wt)?,
                }
            }
            if raw.is_empty() {
                Ok(Value::Null)
            } else if let Some(nested) = raw.strip_prefix(MAGIC) {
                decode_unknown(nested, depth + 1)
            } else {
                serde_json::from_slice(raw)
                    .map_err(|e| format!("{} does not hold valid JSON: {e}", msg.name))
            }
        }
        Special::Unknown => decode_unknown(buf, depth + 1),
        Special::IntOrString => {
            let (mut ty, mut int_val, mut str_val) = (0i64, 0i32, String::new());
            let mut r = Reader::new(buf);
            while !r.done() {
                let (tag, wt) = r.key()?;
                match tag {
                    1 => ty = r.varint_of(wt, "IntOrString.type")? as i64,
                    2 => int_val = r.varint_of(wt, "IntOrString.intVal")? as i32,
                    3 => str_val = r.string_of(wt, "IntOrString.strVal")?,
                    _ => r.skip(wt)?,
                }
            }
            match ty {
                0 => Ok(Value::from(int_val)),
                1 => Ok(Value::String(str_val)),
                other => Err(format!("IntOrString has an invalid type {other}")),
            }
        }
        Special::Quantity => {
            let mut s = String::new();
            let mut r = Reader::new(buf);
            while !r.done() {
                let (tag, wt) = r.key()?;
                match tag {
                    1 => s = r.string_of(wt, "Quantity.string")?,
                    _ => r.skip(wt)?,
                }
            }
            Ok(Value::String(if s.is_empty() { "0".into() } else { s }))
        }
        Special::StringList => {
            let mut items = Vec::new();
            let mut r = Reader::new(buf);
            while !r.done() {
                let (tag, wt) = r.key()?;
                match tag {
                    1 => items.push(Value::String(r.string_of(wt, msg.name)?)),
                    _ => r.skip(wt)?,
                }
            }
            Ok(Value::Array(items))
        }
    }
}

/// Decodes the fields of an ordinary message into `out`.
fn decode_fields(
    msg: &'static Message,
    buf: &[u8],
    depth: u32,
    out: &mut Map<String, Value>,
) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(format!("objects nested deeper than {MAX_DEPTH} levels"));
    }
    let mut r = Reader::new(buf);
    while !r.done() {
        let (tag, wt) = r.key()?;
        let Some(field) = msg.field(tag) else {
            r.skip(wt)?;
            continue;
        };
        let ctx = Ctx { msg, field };
        match field.card {
            Card::Optional => {
                let v = read_value(&mut r, wt, field.ty, depth, ctx)?;
                if v.is_null() || (!field.keep_zero && is_zero_scalar(field.ty, &v)) {
                    out.remove(field.json);
                } else {
                    match out.get_mut(field.json) {
                        // A message field seen twice is merged, as protobuf (and gogo) do.
                        Some(old @ Value::Object(_)) if v.is_object() => merge(old, v),
                        _ => {
                            out.insert(field.json.into(), v);
                        }
                    }
                }
            }
            Card::Repeated => {
                let list = out.entry(field.json).or_insert_with(|| Value::Array(Vec::new()));
                let Value::Array(list) = list else {
                    return Err(format!("{ctx}: repeated field clashes with another field"));
                };
                if wt == WT_LEN && is_packable(field.ty) {
                    let mut packed = Reader::new(r.len_delimited()?);
                    while !packed.done() {
                        list.push(read_value(
                            &mut packed,
                            packed_wire_type(field.ty),
                            field.ty,
                            depth,
                            ctx,
                        )?);
                    }
                } else {
                    list.push(read_value(&mut r, wt, field.ty, depth, ctx)?);
                }
            }
            Card::Map => {
                let entry = r.bytes_of(wt, field.json)?;
                let (key, value) = read_map_entry(entry, field.ty, depth, ctx)?;
                let map = out.entry(field.json).or_insert_with(|| Value::Object(Map::new()));
                let Value::Object(map) = map else {
                    return Err(format!("{ctx}: map field clashes with another field"));
                };
                map.insert(key, value);
            }
            Card::Inline => {
                let Ty::Message(idx) = field.ty else {
                    return Err(format!("{ctx}: inline field is not a message"));
                };
                let bytes = r.bytes_of(wt, field.json)?;
                decode_fields(message(idx), bytes, depth + 1, out)?;
            }
        }
    }
    Ok(())
}

fn read_map_entry(entry: &[u8], ty: Ty, depth: u32, ctx: Ctx) -> Result<(String, Value)> {
    let mut key = String::new();
    let mut value = None;
    let mut r = Reader::new(entry);
    while !r.done() {
        let (tag, wt) = r.key()?;
        match tag {
            1 => key = r.string_of(wt, ctx.field.json)?,
            2 => value = Some(read_value(&mut r, wt, ty, depth, ctx)?),
            _ => r.skip(wt)?,
        }
    }
    let value = match value {
        Some(v) => v,
        // A missing value is the type's zero value.
        None => match ty {
            Ty::String | Ty::Bytes => Value::String(String::new()),
            Ty::Bool => Value::Bool(false),
            Ty::Int32 | Ty::Int64 => Value::from(0),
            Ty::Double => Value::from(0.0),
            Ty::Message(idx) => decode_message(message(idx), &[], depth + 1)?,
        },
    };
    Ok((key, value))
}

/// Reads one value of type `ty` whose key (with wire type `wt`) was just read.
fn read_value(r: &mut Reader<'_>, wt: u8, ty: Ty, depth: u32, ctx: Ctx) -> Result<Value> {
    let expected = match ty {
        Ty::String | Ty::Bytes | Ty::Message(_) => WT_LEN,
        Ty::Bool | Ty::Int32 | Ty::Int64 => WT_VARINT,
        Ty::Double => WT_FIXED64,
    };
    if wt != expected {
        return Err(format!("{ctx}: wire type {wt} where {expected} was expected"));
    }
    Ok(match ty {
        Ty::String => Value::String(String::from_utf8_lossy(r.len_delimited()?).into_owned()),
        Ty::Bytes => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(r.len_delimited()?))
        }
        Ty::Bool => Value::Bool(r.varint()? != 0),
        // Go truncates varints to the field's width.
        Ty::Int32 => Value::from(r.varint()? as i32),
        Ty::Int64 => Value::from(r.varint()? as i64),
        Ty::Double => {
            let v = f64::from_bits(r.fixed64()?);
            Value::Number(
                Number::from_f64(v)
                    .ok_or_else(|| format!("{ctx}: {v} cannot be represented in JSON"))?,
            )
        }
        Ty::Message(idx) => decode_message(message(idx), r.len_delimited()?, depth + 1)?,
    })
}

fn is_zero_scalar(ty: Ty, v: &Value) -> bool {
    match (ty, v) {
        (Ty::String | Ty::Bytes, Value::String(s)) => s.is_empty(),
        (Ty::Bool, Value::Bool(b)) => !b,
        (Ty::Int32 | Ty::Int64 | Ty::Double, Value::Number(n)) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

fn is_packable(ty: Ty) -> bool {
    matches!(ty, Ty::Bool | Ty::Int32 | Ty::Int64 | Ty::Double)
}

fn packed_wire_type(ty: Ty) -> u8 {
    if ty == Ty::Double {
        WT_FIXED64
    } else {
        WT_VARINT
    }
}

/// Merges `new` into `old` (objects key by key, lists appended, anything else replaced).
fn merge(old: &mut Value, new: Value) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for (k, v) in n {
                match o.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        o.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(o), Value::Array(n)) => o.extend(n),
        (old, new) => *old = new,
    }
}

/// Where a decoding error happened, for messages.
#[derive(Clone, Copy)]
struct Ctx {
    msg: &'static Message,
    field: &'static Field,
}

impl std::fmt::Display for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{} (field {})", self.msg.name, self.field.json, self.field.tag)
    }
}

/// `2026-01-02T03:04:05Z` (Time) or `2026-01-02T03:04:05.123456Z` (MicroTime), in UTC.
fn format_time(seconds: i64, nanos: i32, micro: bool) -> Result<String> {
    let nanos = u32::try_from(nanos).ok().filter(|n| *n < 1_000_000_000);
    let t = nanos
        .and_then(|n| chrono::DateTime::from_timestamp(seconds, if micro { n } else { 0 }))
        .ok_or_else(|| format!("time {seconds}s {nanos:?}ns is out of range"))?;
    Ok(if micro {
        t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    })
}

/// Go's `time.Duration.String()`: `1h2m3.5s`, `1.5ms`, `0s`.
fn go_duration(nanos: i64) -> String {
    fn frac(v: u64, prec: u32) -> String {
        let digits = format!("{v:0width$}", width = prec as usize);
        let digits = digits.trim_end_matches('0');
        if digits.is_empty() {
            String::new()
        } else {
            format!(".{digits}")
        }
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let u = nanos.unsigned_abs();
    if u == 0 {
        return "0s".into();
    }
    if u < 1_000_000_000 {
        let (prec, unit) = match u {
            0..1_000 => (0, "ns"),
            1_000..1_000_000 => (3, "µs"),
            _ => (6, "ms"),
        };
        let scale = 10u64.pow(prec);
        return format!("{sign}{}{}{unit}", u / scale, frac(u % scale, prec));
    }
    let secs = u / 1_000_000_000;
    let sub = frac(u % 1_000_000_000, 9);
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{sign}{h}h{m}m{s}{sub}s")
    } else if secs >= 60 {
        format!("{sign}{m}m{s}{sub}s")
    } else {
        format!("{sign}{s}{sub}s")
    }
}

const WT_VARINT: u8 = 0;
const WT_FIXED64: u8 = 1;
const WT_LEN: u8 = 2;
const WT_FIXED32: u8 = 5;

/// A cursor over protobuf wire data.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err("truncated data (in a varint)".into());
            };
            self.pos += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err("a varint is longer than 10 bytes".into())
    }

    fn key(&mut self) -> Result<(u32, u8)> {
        let k = self.varint()?;
        let tag = u32::try_from(k >> 3).map_err(|_| format!("invalid field number {}", k >> 3))?;
        if tag == 0 {
            return Err("invalid field number 0".into());
        }
        Ok((tag, (k & 7) as u8))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len()).ok_or_else(|| {
            format!("truncated data ({n} bytes announced, {} left)", self.buf.len() - self.pos)
        })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn len_delimited(&mut self) -> Result<&'a [u8]> {
        let n = self.varint()?;
        let n = usize::try_from(n).map_err(|_| format!("length {n} is too large"))?;
        self.take(n)
    }

    fn fixed64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A length-delimited field's bytes, checking the wire type.
    fn bytes_of(&mut self, wt: u8, what: &str) -> Result<&'a [u8]> {
        if wt != WT_LEN {
            return Err(format!("{what}: wire type {wt} where {WT_LEN} was expected"));
        }
        self.len_delimited()
    }

    fn string_of(&mut self, wt: u8, what: &str) -> Result<String> {
        Ok(String::from_utf8_lossy(self.bytes_of(wt, what)?).into_owned())
    }

    fn varint_of(&mut self, wt: u8, what: &str) -> Result<u64> {
        if wt != WT_VARINT {
            return Err(format!("{what}: wire type {wt} where {WT_VARINT} was expected"));
        }
        self.varint()
    }

    /// Skips an unknown field's value.
    fn skip(&mut self, wt: u8) -> Result<()> {
        match wt {
            WT_VARINT => self.varint().map(drop),
            WT_FIXED64 => self.take(8).map(drop),
            WT_LEN => self.len_delimited().map(drop),
            WT_FIXED32 => self.take(4).map(drop),
            other => Err(format!("unsupported wire type {other}")),
        }
    }
}

#[cfg(test)]
mod tests;
