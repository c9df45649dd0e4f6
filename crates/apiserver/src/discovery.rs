//! Discovery documents, legacy (`APIVersions`, `APIGroupList`, `APIResourceList`) and
//! aggregated (`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`), built from the catalogue.

use serde_json::{json, Value};

use crate::resources::{groups, in_group_version, ResourceInfo};

/// The Content-Type that makes clients treat a response as aggregated discovery.
pub const AGGREGATED_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// `GET /api` (legacy).
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": server_address }],
    })
}

fn api_group(name: &str, versions: &[&str]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({ "groupVersion": group_version(name, v), "version": v }))
        .collect();
    json!({
        "name": name,
        "versions": vs,
        "preferredVersion": vs.first().cloned().unwrap_or(Value::Null),
    })
}

/// `GET /apis` (legacy).
pub fn api_group_list() -> Value {
    let groups: Vec<Value> = groups()
        .into_iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, vs)| api_group(g, &vs))
        .collect();
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups })
}

/// `GET /apis/<group>`.
pub fn api_group_doc(group: &str) -> Option<Value> {
    let (g, vs) = groups().into_iter().find(|(g, _)| !g.is_empty() && *g == group)?;
    let mut doc = api_group(g, &vs);
    doc["kind"] = json!("APIGroup");
    doc["apiVersion"] = json!("v1");
    Some(doc)
}

/// `GET /api/v1` or `/apis/<group>/<version>`.
pub fn api_resource_list(group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for r in in_group_version(group, version) {
        let mut entry = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs,
        });
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            entry["categories"] = json!(r.categories);
        }
        resources.push(entry);
        for s in r.subresources {
            let mut sub = json!({
                "name": format!("{}/{}", r.plural, s.name),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": s.kind,
                "verbs": s.verbs,
            });
            if s.group != r.group || s.version != r.version {
                sub["group"] = json!(s.group);
                sub["version"] = json!(s.version);
            }
            resources.push(sub);
        }
    }
    if resources.is_empty() {
        return None;
    }
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version(group, version),
        "resources": resources,
    }))
}

fn aggregated_resource(r: &ResourceInfo) -> Value {
    let mut entry = json!({
        "resource": r.plural,
        "singularResource": r.singular,
        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
        "responseKind": { "group": r.group, "version": r.version, "kind": r.kind },
        "verbs": r.verbs,
    });
    if !r.short_names.is_empty() {
        entry["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        entry["categories"] = json!(r.categories);
    }
    if !r.subresources.is_empty() {
        entry["subresources"] = r
            .subresources
            .iter()
            .map(|s| {
                json!({
                    "subresource": s.name,
                    "responseKind": { "group": s.group, "version": s.version, "kind": s.kind },
                    "verbs": s.verbs,
                })
            })
            .collect();
    }
    entry
}

/// Aggregated discovery: for `/api` (`core = true`, the one item named "") or `/apis`.
pub fn aggregated(core: bool) -> Value {
    let items: Vec<Value> = groups()
        .into_iter()
        .filter(|(g, _)| g.is_empty() == core)
        .map(|(g, vs)| {
            let versions: Vec<Value> = vs
                .iter()
                .map(|v| {
                    json!({
                        "version": v,
                        "freshness": "Current",
                        "resources": in_group_version(g, v).map(aggregated_resource).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({ "metadata": { "name": g }, "versions": versions })
        })
        .collect();
    json!({ "kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregated_has_response_kinds_everywhere() {
        let apis = aggregated(false);
        let items = apis["items"].as_array().expect("items");
        assert!(items.iter().any(|i| i["metadata"]["name"] == "apps"));
        for item in items {
            for v in item["versions"].as_array().expect("versions") {
                for r in v["resources"].as_array().expect("resources") {
                    assert!(
                        r["responseKind"]["kind"].as_str().is_some_and(|k| !k.is_empty()),
                        "{r}"
                    );
                }
            }
        }
        let core = aggregated(true);
        assert_eq!(core["items"][0]["metadata"]["name"], "");
    }

    #[test]
    fn legacy_lists_subresources() {
        let v1 = api_resource_list("", "v1").expect("core");
        let names: Vec<&str> = v1["resources"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(names.contains(&"pods/log"));
        assert!(names.contains(&"namespaces"));
        let apps = api_resource_list("apps", "v1").expect("apps");
        let scale = apps["resources"]
            .as_array()
            .expect("list")
            .iter()
            .find(|r| r["name"] == "deployments/scale")
            .expect("scale");
        assert_eq!(scale["group"], "autoscaling");
        assert!(api_group_doc("apps").is_some());
        assert!(api_resource_list("nope", "v1").is_none());
    }
}
