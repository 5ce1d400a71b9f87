//! [`ApiError`]: how the crate's HTTP servers answer a request they cannot
//! serve, always as a JSON body `{"error": "..."}` with a 4xx or 5xx status.
//!
//! axum's own rejections (malformed JSON, a missing field, a body over the
//! limit) answer in plain text, and a wrong method gets an empty 405. A client
//! that parses every answer as JSON would then fail on the error instead of
//! reporting it, so every such answer is turned into the same JSON shape.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// The largest request body the servers read: 1 MiB.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// An error answer: a status and a message for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status, 4xx for the client's mistakes, 5xx for the server's.
    pub status: StatusCode,
    /// What went wrong, in words.
    pub message: String,
}

/// The JSON body of an error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong, in words.
    pub error: String,
}

impl ApiError {
    /// An error answer with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

/// Malformed JSON (400), a missing or wrongly typed field (422), a missing
/// `Content-Type: application/json` (415) or a body over [`BODY_LIMIT`] (413):
/// axum's status, with its explanation as the JSON message.
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::new(rejection.status(), rejection.body_text())
    }
}

/// The answer to a method a route does not take, such as `GET /v1/completions`.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this path",
    )
}

/// The answer to a path no route serves.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such path")
}
