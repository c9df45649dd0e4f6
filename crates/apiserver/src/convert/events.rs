//! Core `v1` Event <-> `events.k8s.io/v1` Event, as kube-apiserver converts them
//! (`pkg/apis/events/v1/conversion.go`). Events are stored in the core form.
//!
//! Renamed fields (events.k8s.io/v1 <-> core v1): `regarding` <-> `involvedObject`, `note` <->
//! `message`, `reportingController` <-> `reportingComponent`, `deprecatedSource` <-> `source`,
//! `deprecatedFirstTimestamp` <-> `firstTimestamp`, `deprecatedLastTimestamp` <->
//! `lastTimestamp`, `deprecatedCount` <-> `count`. Everything else (metadata, `eventTime`,
//! `series`, `action`, `reason`, `type`, `related`, `reportingInstance`) is the same.
//! Both functions are total: anything that is not a JSON object comes back unchanged.

use serde_json::{Map, Value};

/// The events.k8s.io group version objects are served in.
pub const API_VERSION: &str = "events.k8s.io/v1";
/// What every events.k8s.io apiVersion starts with.
pub const GROUP_PREFIX: &str = "events.k8s.io/";

/// (events.k8s.io/v1 name, core v1 name).
const RENAMED: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

/// Whether an object is in the events.k8s.io form: by its apiVersion, or without one by its
/// fields.
pub fn is_events_form(obj: &Value) -> bool {
    obj.as_object().is_some_and(map_is_events_form)
}

fn map_is_events_form(m: &Map<String, Value>) -> bool {
    match m.get("apiVersion").and_then(Value::as_str) {
        Some(v) => v.starts_with(GROUP_PREFIX),
        None => RENAMED.iter().any(|(new, _)| m.contains_key(*new)),
    }
}

/// Renames the keys of `map` by `rename`; renamed keys win over keys that already had the
/// target name.
fn rename(
    map: Map<String, Value>,
    rename: impl Fn(&str) -> Option<&'static str>,
) -> Map<String, Value> {
    let mut out = Map::new();
    let mut renamed = Vec::new();
    for (k, v) in map {
        match rename(&k) {
            Some(to) => renamed.push((to, v)),
            None => {
                out.insert(k, v);
            }
        }
    }
    for (k, v) in renamed {
        out.insert(k.to_string(), v);
    }
    out
}

/// An events.k8s.io/v1 Event in the core v1 form (a core Event is returned as is).
pub fn to_core(obj: Value) -> Value {
    if !is_events_form(&obj) {
        return obj;
    }
    let Value::Object(map) = obj else { return obj };
    let mut out = rename(map, |k| RENAMED.iter().find(|(new, _)| *new == k).map(|(_, core)| *core));
    out.insert("apiVersion".into(), Value::String("v1".into()));
    out.insert("kind".into(), Value::String("Event".into()));
    Value::Object(out)
}

/// A core v1 Event in the events.k8s.io/v1 form (an events.k8s.io Event keeps its fields and
/// gets the v1 apiVersion).
pub fn from_core(obj: Value) -> Value {
    let Value::Object(map) = obj else { return obj };
    let mut out = if map_is_events_form(&map) {
        map
    } else {
        rename(map, |k| RENAMED.iter().find(|(_, core)| *core == k).map(|(new, _)| *new))
    };
    out.insert("apiVersion".into(), Value::String(API_VERSION.into()));
    out.insert("kind".into(), Value::String("Event".into()));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn new_event() -> Value {
        json!({
            "apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": "e1", "namespace": "default", "labels": {"a": "b"}},
            "eventTime": "2024-05-01T12:00:00.000000Z",
            "series": {"count": 3, "lastObservedTime": "2024-05-01T12:05:00.000000Z"},
            "reportingController": "krust.io/scheduler", "reportingInstance": "node-1",
            "action": "Scheduling", "reason": "FailedScheduling", "type": "Warning",
            "regarding": {"kind": "Pod", "namespace": "default", "name": "p", "uid": "u"},
            "related": {"kind": "Node", "name": "n1"},
            "note": "0/1 nodes are available",
            "deprecatedSource": {"component": "scheduler", "host": "h"},
            "deprecatedFirstTimestamp": "2024-05-01T11:00:00Z",
            "deprecatedLastTimestamp": "2024-05-01T11:30:00Z",
            "deprecatedCount": 4,
        })
    }

    fn core_event() -> Value {
        json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "e1", "namespace": "default", "labels": {"a": "b"}},
            "eventTime": "2024-05-01T12:00:00.000000Z",
            "series": {"count": 3, "lastObservedTime": "2024-05-01T12:05:00.000000Z"},
            "reportingComponent": "krust.io/scheduler", "reportingInstance": "node-1",
            "action": "Scheduling", "reason": "FailedScheduling", "type": "Warning",
            "involvedObject": {"kind": "Pod", "namespace": "default", "name": "p", "uid": "u"},
            "related": {"kind": "Node", "name": "n1"},
            "message": "0/1 nodes are available",
            "source": {"component": "scheduler", "host": "h"},
            "firstTimestamp": "2024-05-01T11:00:00Z",
            "lastTimestamp": "2024-05-01T11:30:00Z",
            "count": 4,
        })
    }

    #[test]
    fn converts_both_ways() {
        assert_eq!(to_core(new_event()), core_event());
        assert_eq!(from_core(core_event()), new_event());
        assert_eq!(from_core(to_core(new_event())), new_event());
        assert_eq!(to_core(from_core(core_event())), core_event());
    }

    #[test]
    fn each_form_is_left_alone_by_its_own_direction() {
        assert_eq!(to_core(core_event()), core_event());
        assert_eq!(from_core(new_event()), new_event());
        // An old events.k8s.io version is served as v1.
        let mut beta = new_event();
        beta["apiVersion"] = json!("events.k8s.io/v1beta1");
        assert_eq!(from_core(beta.clone()), new_event());
        assert_eq!(to_core(beta), core_event());
        // Without apiVersion the fields tell.
        let bare = json!({"metadata": {"name": "x"}, "note": "n"});
        assert!(is_events_form(&bare));
        assert_eq!(to_core(bare)["message"], "n");
        let bare = json!({"metadata": {"name": "x"}, "message": "n"});
        assert!(!is_events_form(&bare));
        assert_eq!(from_core(bare)["note"], "n");
    }

    #[test]
    fn renamed_fields_win_and_non_objects_pass_through() {
        let odd = json!({"apiVersion": "events.k8s.io/v1", "message": "stale", "note": "real"});
        assert_eq!(to_core(odd)["message"], "real");
        for v in [json!(null), json!(3), json!("s"), json!([1, 2])] {
            assert_eq!(to_core(v.clone()), v);
            assert_eq!(from_core(v.clone()), v);
        }
        let minimal = from_core(json!({"metadata": {"name": "m"}}));
        assert_eq!(
            minimal,
            json!({"apiVersion": API_VERSION, "kind": "Event",
                                   "metadata": {"name": "m"}})
        );
    }
}
