//! Pod quality-of-service class (`status.qosClass`), computed as kube-apiserver does from the
//! containers' requests and limits.

use serde_json::Value;

/// `Guaranteed` when every container (init containers included) sets cpu and memory limits
/// equal to its requests; `BestEffort` when no container requests or limits anything;
/// `Burstable` otherwise.
pub fn pod_qos_class(spec: Option<&Value>) -> &'static str {
    let Some(spec) = spec else { return "BestEffort" };
    let containers = ["containers", "initContainers"]
        .iter()
        .filter_map(|f| spec.get(*f).and_then(Value::as_array))
        .flatten();
    let mut any = false;
    let mut guaranteed = true;
    for c in containers {
        let requests = c.pointer("/resources/requests").and_then(Value::as_object);
        let limits = c.pointer("/resources/limits").and_then(Value::as_object);
        let interesting = |m: Option<&serde_json::Map<String, Value>>| {
            m.is_some_and(|m| m.keys().any(|k| k == "cpu" || k == "memory"))
        };
        if interesting(requests) || interesting(limits) {
            any = true;
        }
        for r in ["cpu", "memory"] {
            let limit = limits.and_then(|l| l.get(r));
            let request = requests.and_then(|q| q.get(r)).or(limit);
            if limit.is_none() || request != limit {
                guaranteed = false;
            }
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classes() {
        assert_eq!(pod_qos_class(Some(&json!({"containers": [{"name": "a"}]}))), "BestEffort");
        let g = json!({"containers": [{"resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]});
        assert_eq!(pod_qos_class(Some(&g)), "Guaranteed");
        let b = json!({"containers": [{"resources": {"requests": {"cpu": "100m"}}}]});
        assert_eq!(pod_qos_class(Some(&b)), "Burstable");
    }
}
