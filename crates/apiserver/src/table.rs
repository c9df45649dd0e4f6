//! TEMPORARY minimal Table printing (Name, Age); replaced by the full per-kind printers.
use serde_json::{json, Value};
use crate::resources::ResourceInfo;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncludeObject { None, Metadata, Object }
impl IncludeObject {
    pub fn parse(s: Option<&str>) -> Self {
        match s { Some("None") => IncludeObject::None, Some("Object") => IncludeObject::Object, _ => IncludeObject::Metadata }
    }
}
pub fn to_partial_object_metadata(obj: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata").cloned().unwrap_or(json!({}))})
}
pub fn to_partial_object_metadata_list(items: &[Value], list_meta: Value) -> Value {
    json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
           "items": items.iter().map(to_partial_object_metadata).collect::<Vec<_>>()})
}
pub fn to_table(_res: &ResourceInfo, items: &[Value], include: IncludeObject, list_meta: Option<Value>) -> Value {
    let rows: Vec<Value> = items.iter().map(|o| {
        let mut row = json!({"cells": [o.pointer("/metadata/name").cloned().unwrap_or(json!("")), o.pointer("/metadata/creationTimestamp").cloned().unwrap_or(json!(""))]});
        match include {
            IncludeObject::None => {}
            IncludeObject::Metadata => row["object"] = to_partial_object_metadata(o),
            IncludeObject::Object => row["object"] = o.clone(),
        }
        row
    }).collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta.unwrap_or(json!({})),
           "columnDefinitions": [{"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0},
                                 {"name": "Created At", "type": "date", "format": "", "description": "", "priority": 0}],
           "rows": rows})
}
