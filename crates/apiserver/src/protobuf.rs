//! Protobuf request bodies (`application/vnd.kubernetes.protobuf`): not decoded yet.

use serde_json::Value;

use crate::errors::{ApiError, ApiResult};

pub fn decode(_body: &[u8]) -> ApiResult<Value> {
    Err(ApiError::UnsupportedMediaType(
        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (protobuf bodies are not supported by this krust server yet)".into(),
    ))
}
