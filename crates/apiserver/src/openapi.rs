//! TEMPORARY: an empty OpenAPI v3 index; replaced by the generated documents.
use std::sync::Arc;
pub struct OpenApiDoc { pub json: bytes::Bytes, pub hash: String }
pub fn index() -> serde_json::Value { serde_json::json!({"paths": {}}) }
pub fn document(_group: &str, _version: &str) -> Option<Arc<OpenApiDoc>> { None }
