//! Conversion between the API versions of resources that share one storage prefix.
//!
//! kube-apiserver stores one form of such a resource and converts on every read and write.
//! The only case krust has is Events: core `v1` and `events.k8s.io/v1` Events both live under
//! `/registry/events/` and are stored in the core `v1` form (see [`events`]).
//!
//! The hooks here take the resource a request is for: [`for_storage`] on writes (the object
//! after admission, in the request's version, to the stored form) and [`served_bytes`] /
//! [`served_value`] on reads (the stored form to the request's version). Everything else
//! passes through untouched.

pub mod events;

use std::borrow::Cow;

use serde_json::Value;

use crate::resources::ResourceInfo;

/// The form a resource's objects are served in, when it may differ from the stored one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum View {
    CoreEvent,
    EventsV1Event,
}

fn view(res: &ResourceInfo) -> Option<View> {
    match (res.group, res.plural) {
        ("", "events") => Some(View::CoreEvent),
        ("events.k8s.io", "events") => Some(View::EventsV1Event),
        _ => None,
    }
}

/// An object as `res` writes it, in the form it is stored in.
pub fn for_storage<'a>(res: &ResourceInfo, obj: &'a Value) -> Cow<'a, Value> {
    match view(res) {
        Some(View::EventsV1Event) => Cow::Owned(events::to_core(obj.clone())),
        _ => Cow::Borrowed(obj),
    }
}

/// A stored object (already parsed) as `res` serves it.
pub fn served_value(res: &ResourceInfo, stored: Value) -> Value {
    match view(res) {
        Some(View::CoreEvent) if events::is_events_form(&stored) => events::to_core(stored),
        Some(View::EventsV1Event) => events::from_core(stored),
        _ => stored,
    }
}

/// Stored bytes as `res` serves them (still in the stored layout of `object.rs`, without
/// resourceVersion). Borrowed when no conversion is needed; bytes that are not a JSON object
/// are passed through for the caller to report.
pub fn served_bytes<'a>(res: &ResourceInfo, stored: &'a [u8]) -> Cow<'a, [u8]> {
    let Some(v) = view(res) else { return Cow::Borrowed(stored) };
    // Core events written through core v1 (almost all of them) need no parsing.
    if v == View::CoreEvent && !contains(stored, events::GROUP_PREFIX.as_bytes()) {
        return Cow::Borrowed(stored);
    }
    let Ok(parsed) = serde_json::from_slice::<Value>(stored) else {
        return Cow::Borrowed(stored);
    };
    let needs = match v {
        View::CoreEvent => events::is_events_form(&parsed),
        View::EventsV1Event => {
            parsed.get("apiVersion").and_then(Value::as_str) != Some(events::API_VERSION)
                || parsed.get("kind").and_then(Value::as_str) != Some("Event")
        }
    };
    if !needs {
        return Cow::Borrowed(stored);
    }
    match crate::object::encode(&served_value(res, parsed)) {
        Ok(b) => Cow::Owned(b.to_vec()),
        Err(_) => Cow::Borrowed(stored),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::lookup;
    use serde_json::json;

    fn parse(b: &[u8]) -> Value {
        serde_json::from_slice(b).expect("json")
    }

    #[test]
    fn reads_convert_either_stored_form() {
        let core = lookup("", "v1", "events").expect("core events");
        let new = lookup("events.k8s.io", "v1", "events").expect("events.k8s.io events");
        let stored_core = crate::object::encode(&json!({"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "e", "namespace": "default"}, "message": "m",
            "involvedObject": {"kind": "Pod", "name": "p"}}))
        .expect("encode");
        let stored_new = crate::object::encode(&json!({"apiVersion": "events.k8s.io/v1",
            "kind": "Event", "metadata": {"name": "e", "namespace": "default"}, "note": "m",
            "regarding": {"kind": "Pod", "name": "p"}}))
        .expect("encode");
        assert!(matches!(served_bytes(core, &stored_core), Cow::Borrowed(_)));
        assert!(matches!(served_bytes(new, &stored_new), Cow::Borrowed(_)));
        for stored in [&stored_core, &stored_new] {
            let c = parse(&served_bytes(core, stored));
            assert_eq!(c["apiVersion"], "v1");
            assert_eq!(c["message"], "m");
            assert_eq!(c["involvedObject"]["name"], "p");
            let n = parse(&served_bytes(new, stored));
            assert_eq!(n["apiVersion"], "events.k8s.io/v1");
            assert_eq!(n["note"], "m");
            assert_eq!(n["regarding"]["name"], "p");
            // Still in the stored layout: metadata first.
            assert!(served_bytes(new, stored).starts_with(br#"{"metadata":"#));
        }
        // Garbage passes through for the caller to report; other resources are untouched.
        assert_eq!(&*served_bytes(new, b"not json"), b"not json");
        let cms = lookup("", "v1", "configmaps").expect("configmaps");
        assert!(matches!(served_bytes(cms, &stored_new), Cow::Borrowed(_)));
        assert_eq!(for_storage(new, &json!({"note": "x"}))["message"], "x");
        assert_eq!(for_storage(core, &json!({"note": "x"}))["note"], "x");
    }
}
