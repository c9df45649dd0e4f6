//! API errors and their one mapping to `metav1.Status`.
//!
//! Every failure the API server returns goes through [`ApiError`]; `status_json` is the only
//! place that shapes a Status body, so codes, reasons and messages stay consistent with
//! kube-apiserver's (clients branch on `reason` and `code`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use krust_store::StoreError;
use serde_json::{json, Value};

use crate::resources::ResourceInfo;

/// One invalid field, with its path (`spec.containers[0].image`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`,
    /// `FieldValueDuplicate`, `FieldValueForbidden`, `FieldValueTooLong`, ...
    pub reason: &'static str,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn required(field: impl Into<String>) -> Self {
        FieldError {
            reason: "FieldValueRequired",
            field: field.into(),
            message: "Required value".into(),
        }
    }
    pub fn invalid(field: impl Into<String>, value: impl std::fmt::Display, detail: &str) -> Self {
        FieldError {
            reason: "FieldValueInvalid",
            field: field.into(),
            message: format!("Invalid value: \"{value}\": {detail}"),
        }
    }
    pub fn not_supported(
        field: impl Into<String>,
        value: impl std::fmt::Display,
        supported: &[&str],
    ) -> Self {
        let list: Vec<String> = supported.iter().map(|s| format!("\"{s}\"")).collect();
        FieldError {
            reason: "FieldValueNotSupported",
            field: field.into(),
            message: format!(
                "Unsupported value: \"{value}\": supported values: {}",
                list.join(", ")
            ),
        }
    }
    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            reason: "FieldValueForbidden",
            field: field.into(),
            message: format!("Forbidden: {}", detail.into()),
        }
    }
    pub fn duplicate(field: impl Into<String>, value: impl std::fmt::Display) -> Self {
        FieldError {
            reason: "FieldValueDuplicate",
            field: field.into(),
            message: format!("Duplicate value: \"{value}\""),
        }
    }
    /// `field: message`, as kube-apiserver prints a field error.
    pub fn render(&self) -> String {
        format!("{}: {}", self.field, self.message)
    }
}

/// Which object an error is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub group: String,
    /// Plural resource name (`pods`), or for Invalid the Kind.
    pub kind: String,
    pub name: String,
}

impl Target {
    pub fn resource(res: &ResourceInfo, name: &str) -> Self {
        Target {
            group: res.group.to_string(),
            kind: res.plural.to_string(),
            name: name.to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    NotFound { target: Target, message: String },
    #[error("{message}")]
    AlreadyExists { target: Target, message: String },
    #[error("{message}")]
    Conflict { target: Target, message: String, causes: Vec<FieldError> },
    #[error("{message}")]
    Invalid { target: Target, message: String, causes: Vec<FieldError> },
    #[error("{0}")]
    BadRequest(String),
    /// A 422 without field causes (e.g. a patch that does not apply).
    #[error("{0}")]
    Unprocessable(String),
    #[error("Unauthorized")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    RequestEntityTooLarge(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    ServiceUnavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    pub fn not_found(res: &ResourceInfo, name: &str) -> Self {
        ApiError::NotFound {
            target: Target::resource(res, name),
            message: format!("{} \"{name}\" not found", res.qualified_plural()),
        }
    }

    pub fn already_exists(res: &ResourceInfo, name: &str) -> Self {
        ApiError::AlreadyExists {
            target: Target::resource(res, name),
            message: format!("{} \"{name}\" already exists", res.qualified_plural()),
        }
    }

    pub fn conflict(res: &ResourceInfo, name: &str, detail: &str) -> Self {
        ApiError::Conflict {
            target: Target::resource(res, name),
            message: format!(
                "Operation cannot be fulfilled on {} \"{name}\": {detail}",
                res.qualified_plural()
            ),
            causes: Vec::new(),
        }
    }

    /// The optimistic-concurrency conflict kubectl knows how to retry.
    pub fn stale(res: &ResourceInfo, name: &str) -> Self {
        Self::conflict(
            res,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    pub fn invalid(res: &ResourceInfo, name: &str, causes: Vec<FieldError>) -> Self {
        let rendered: Vec<String> = causes.iter().map(FieldError::render).collect();
        let list = if rendered.len() == 1 {
            rendered[0].clone()
        } else {
            format!("[{}]", rendered.join(", "))
        };
        ApiError::Invalid {
            target: Target {
                group: res.group.to_string(),
                kind: res.kind.to_string(),
                name: name.to_string(),
            },
            message: format!("{} \"{name}\" is invalid: {list}", res.kind),
            causes,
        }
    }

    pub fn code(&self) -> StatusCode {
        match self {
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::AlreadyExists { .. } | ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::RequestEntityTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn reason(&self) -> &'static str {
        match self {
            ApiError::NotFound { .. } => "NotFound",
            ApiError::AlreadyExists { .. } => "AlreadyExists",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::Invalid { .. } => "Invalid",
            ApiError::BadRequest(_) => "BadRequest",
            ApiError::Unprocessable(_) => "",
            ApiError::Unauthorized => "Unauthorized",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::Gone(_) => "Expired",
            ApiError::MethodNotAllowed(_) => "MethodNotAllowed",
            ApiError::UnsupportedMediaType(_) => "UnsupportedMediaType",
            ApiError::NotAcceptable(_) => "NotAcceptable",
            ApiError::RequestEntityTooLarge(_) => "RequestEntityTooLarge",
            ApiError::TooManyRequests(_) => "TooManyRequests",
            ApiError::ServiceUnavailable(_) => "ServiceUnavailable",
            ApiError::Internal(_) => "InternalError",
        }
    }

    /// The `metav1.Status` body.
    pub fn status_json(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_string(),
            "reason": self.reason(),

            "code": self.code().as_u16(),
        });
        let details = match self {
            ApiError::NotFound { target, .. } | ApiError::AlreadyExists { target, .. } => {
                Some(details(target, &[]))
            }
            ApiError::Conflict { target, causes, .. }
            | ApiError::Invalid { target, causes, .. } => Some(details(target, causes)),
            _ => None,
        };
        if let Some(d) = details {
            status["details"] = d;
        }
        status
    }
}

fn details(t: &Target, causes: &[FieldError]) -> Value {
    let mut d = json!({ "name": t.name, "kind": t.kind });
    if !t.group.is_empty() {
        d["group"] = json!(t.group);
    }
    if !causes.is_empty() {
        d["causes"] = causes
            .iter()
            .map(|c| json!({ "reason": c.reason, "message": c.message, "field": c.field }))
            .collect();
    }
    d
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.status_json()).unwrap_or_default();
        (self.code(), [(axum::http::header::CONTENT_TYPE, "application/json")], body)
            .into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Compacted { requested, compacted } => ApiError::Gone(format!(
                "The resourceVersion for the provided list is too old (requested {requested}, compacted {compacted})."
            )),
            StoreError::FutureRevision { requested, current } => ApiError::Gone(format!(
                "Too large resource version: {requested}, current: {current}"
            )),
            StoreError::RequestTooLarge { .. } => {
                ApiError::RequestEntityTooLarge("etcdserver: request is too large".into())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
