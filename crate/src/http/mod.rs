//! HTTP plumbing shared by the crate's two servers, the mock LLM and the
//! serving layer: [`LoopbackServer`], which serves an axum app on 127.0.0.1
//! and stops when dropped, and [`ApiError`], their answers in OpenAI's error
//! shape.

pub(crate) mod api_error;
pub(crate) mod loopback;

pub use api_error::{ApiError, BODY_LIMIT, ErrorBody, ErrorDetail};
pub use loopback::{
    BODY_READ_TIMEOUT, HEADER_READ_TIMEOUT, LoopbackServer, MAX_HEADER_BYTES, SHUTDOWN_GRACE,
};
