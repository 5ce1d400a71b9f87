//! [`ApiError`]: how the crate's HTTP servers answer a request they cannot
//! serve, always in OpenAI's error shape,
//! `{"error": {"message", "type", "param", "code"}}`, with a 4xx or 5xx status.
//!
//! Official OpenAI clients turn the status into an exception class (400
//! `BadRequestError`, 401 `AuthenticationError`, 404 `NotFoundError`, 422
//! `UnprocessableEntityError`, 429 `RateLimitError`, 5xx
//! `InternalServerError`) and show the `message`, so every error answer, axum's
//! own rejections included, goes out in that shape. axum would otherwise answer
//! malformed JSON in plain text and a wrong method with an empty 405.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// The largest request body the servers read: 1 MiB.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// An error answer: a status and what OpenAI's error object says.
///
/// # Examples
///
/// ```
/// use async_walkthrough::http::ApiError;
/// use axum::http::StatusCode;
///
/// let error = ApiError::new(StatusCode::NOT_FOUND, "The model `gpt-9` does not exist")
///     .param("model")
///     .code("model_not_found");
/// assert_eq!(error.kind, "invalid_request_error");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status, 4xx for the client's mistakes, 5xx for the server's.
    pub status: StatusCode,
    /// What went wrong, in words.
    pub message: String,
    /// OpenAI's `type`, derived from the status (see [`ApiError::new`]).
    pub kind: &'static str,
    /// The request field at fault, if one is.
    pub param: Option<String>,
    /// A machine-readable code, such as `model_not_found`.
    pub code: Option<String>,
    /// For a 429: the seconds after which a retry may succeed, sent as the
    /// `retry-after` header that clients wait on.
    pub retry_after: Option<u32>,
}

/// The JSON body of an error answer: OpenAI's `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error object.
    pub error: ErrorDetail,
}

/// OpenAI's error object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// What went wrong, in words.
    pub message: String,
    /// The error's class, such as `invalid_request_error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The request field at fault, or `null`.
    pub param: Option<String>,
    /// A machine-readable code, or `null`.
    pub code: Option<String>,
}

impl ApiError {
    /// An error answer with `status` and `message`. Its `type` follows the
    /// status as OpenAI's API names them: `authentication_error` (401),
    /// `rate_limit_error` (429), `server_error` (5xx), otherwise
    /// `invalid_request_error`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let kind = match status.as_u16() {
            401 => "authentication_error",
            429 => "rate_limit_error",
            500.. => "server_error",
            _ => "invalid_request_error",
        };
        Self {
            status,
            message: message.into(),
            kind,
            param: None,
            code: None,
            retry_after: None,
        }
    }

    /// Names the request field at fault.
    #[must_use]
    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// Sets the machine-readable code.
    #[must_use]
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Tells the client to wait `seconds` before retrying.
    #[must_use]
    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                message: self.message,
                kind: self.kind.to_owned(),
                param: self.param,
                code: self.code,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Malformed JSON (400), a missing or wrongly typed field (422), a missing
/// `Content-Type: application/json` (415) or a body over [`BODY_LIMIT`] (413):
/// axum's status, with its explanation as the message.
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::new(rejection.status(), rejection.body_text())
    }
}

/// The answer to a method a route does not take, such as `GET /v1/completions`.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this path",
    )
}

/// The answer to a path no route serves.
pub(crate) async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such path")
}
