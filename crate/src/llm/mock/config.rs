//! How the mock LLM behaves: [`MockLlm`], read by every handler once the
//! server is started.

use crate::llm::faults::Faults;
use std::time::Duration;

/// The model the mock serves unless told otherwise.
pub const DEFAULT_MODEL: &str = "mock-llm";

/// How the mock LLM behaves. Start it with [`MockLlm::start`].
///
/// # Examples
///
/// ```
/// use async_walkthrough::llm::MockLlm;
/// use std::time::Duration;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let config = MockLlm { latency: Duration::from_millis(1), ..MockLlm::default() };
/// let llm = config.start().await.unwrap();
/// assert!(llm.url().starts_with("http://127.0.0.1:"));
/// llm.shutdown().await;
/// # });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MockLlm {
    /// How long a completion takes; for a streamed one, the time to its first
    /// token.
    pub latency: Duration,
    /// The time between streamed tokens after the first.
    pub token_delay: Duration,
    /// The latencies of the RAG stages.
    pub stages: StageLatencies,
    /// Which completions fail or are slow.
    pub faults: Faults,
    /// The one model served, listed by `GET /v1/models`; asking for another
    /// is a 404.
    pub model: String,
    /// If set, every `/v1/` request must carry `Authorization: Bearer <key>`,
    /// or it gets a 401.
    pub api_key: Option<String>,
}

/// The latency of each RAG stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageLatencies {
    /// `POST /v1/embeddings`.
    pub embedding: Duration,
    /// `POST /v1/search`.
    pub search: Duration,
    /// `POST /v1/lookup`.
    pub lookup: Duration,
}

impl Default for MockLlm {
    /// Half a second per completion, a token every 100 ms when streaming,
    /// stages of 0.3, 0.6 and 0.4 s, no faults, model [`DEFAULT_MODEL`] and
    /// no API key.
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(500),
            token_delay: Duration::from_millis(100),
            stages: StageLatencies {
                embedding: Duration::from_millis(300),
                search: Duration::from_millis(600),
                lookup: Duration::from_millis(400),
            },
            faults: Faults::NONE,
            model: DEFAULT_MODEL.to_owned(),
            api_key: None,
        }
    }
}
