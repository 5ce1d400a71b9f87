//! [`MockLlm`]: a stand-in for an LLM API, served over real HTTP on
//! 127.0.0.1, so that notebook 04 can measure what async does for LLM calls
//! without a network, a GPU or an account.
//!
//! It does no inference: a completion is a fixed sentence cut to `max_tokens`
//! words, sent after a configurable latency. What it does model faithfully is
//! what a client sees: answers take time, many requests can wait at once, a
//! streamed answer arrives token by token, and some answers fail or are slow
//! ([`Faults`], seeded so a notebook shows the same failures every run).
//!
//! Routes:
//!
//! | route | body | answer |
//! | --- | --- | --- |
//! | `GET /health` | | `{"status": "ok"}` |
//! | `POST /v1/completions` | `{"prompt", "max_tokens", "stream"?}` | [`Completion`], or server-sent events, one token each, then `[DONE]` |
//! | `POST /v1/embeddings` | `{"input"}` | [`Embedding`] |
//! | `POST /v1/search` | `{"query", "top_k"}` | [`SearchResults`] |
//! | `POST /v1/lookup` | `{"key"}` | [`Record`] |
//!
//! The last three are the stages of a retrieval-augmented (RAG) answer, each
//! with its own latency ([`StageLatencies`]). Bad requests get a 4xx answer
//! with a JSON body (see [`ApiError`]), and the server keeps serving.
//!
//! The server counts the requests it is serving at each moment and the most
//! it ever served at once ([`ServerStats`]), so a notebook can show a
//! concurrency limit as measured by the server rather than assumed.

use crate::api_error::{ApiError, BODY_LIMIT, method_not_allowed, not_found};
use crate::faults::{Fate, Faults};
use crate::loopback::LoopbackServer;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The most tokens one completion may ask for.
pub const MAX_TOKENS_LIMIT: u32 = 1024;

/// The mock model's one answer, cut to the tokens asked for (and repeated if
/// more are asked for than it has).
const ANSWER: &str = "Async lets one thread wait on many requests at once, \
                      so their waiting overlaps instead of adding up.";

/// How many numbers an embedding has.
pub const EMBEDDING_SIZE: usize = 64;

/// The documents the mock vector search ranks.
const DOCUMENTS: &[&str] = &[
    "doc-01 event loops",
    "doc-02 futures and polling",
    "doc-03 tokio runtimes",
    "doc-04 backpressure",
    "doc-05 timeouts and retries",
    "doc-06 streaming responses",
    "doc-07 connection pools",
    "doc-08 rate limits",
];

/// How the mock LLM behaves. Start it with [`MockLlm::start`].
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
    /// stages of 0.3, 0.6 and 0.4 s, and no faults.
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
        }
    }
}

/// The body of `POST /v1/completions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionRequest {
    /// The text to complete.
    pub prompt: String,
    /// How many tokens to generate, 1 to [`MAX_TOKENS_LIMIT`].
    pub max_tokens: u32,
    /// Send the tokens as server-sent events as they are generated.
    #[serde(default)]
    pub stream: bool,
}

/// The answer to a completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    /// The generated text.
    pub text: String,
    /// How many tokens it has.
    pub tokens: u32,
}

/// The body of `POST /v1/embeddings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingRequest {
    /// The text to embed.
    pub input: String,
}

/// The answer to an embedding request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedding {
    /// A unit vector that depends only on the input.
    pub embedding: Vec<f32>,
}

/// The body of `POST /v1/search`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// What to search for.
    pub query: String,
    /// How many documents to return.
    pub top_k: u32,
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    /// The best-matching documents, best first.
    pub documents: Vec<String>,
}

/// The body of `POST /v1/lookup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupRequest {
    /// The database key.
    pub key: String,
}

/// The answer to a database lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The key looked up.
    pub key: String,
    /// What the database holds for it.
    pub value: String,
}

/// What the server has counted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Well-formed requests to the model routes (completions and stages).
    pub requests: u64,
    /// Those being served right now.
    pub in_flight: usize,
    /// The most ever served at the same time.
    pub max_in_flight: usize,
    /// Completions answered with an injected 503.
    pub injected_errors: u64,
    /// Completions answered slowly on purpose.
    pub injected_slow: u64,
}

/// A running mock LLM. Dropping it shuts the server down.
#[derive(Debug)]
pub struct MockLlmServer {
    server: LoopbackServer,
    shared: Arc<Shared>,
}

impl MockLlm {
    /// Serves the mock LLM on 127.0.0.1, on a port the system picks, from the
    /// current tokio runtime.
    pub async fn start(self) -> anyhow::Result<MockLlmServer> {
        let shared = Arc::new(Shared::new(self));
        let server = LoopbackServer::start(router(Arc::clone(&shared))).await?;
        Ok(MockLlmServer { server, shared })
    }
}

impl MockLlmServer {
    /// The base URL, such as `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The counts so far.
    pub fn stats(&self) -> ServerStats {
        self.shared.stats()
    }

    /// Stops the server, letting the requests in progress finish.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// The server's configuration and counters, shared by its handlers.
#[derive(Debug)]
struct Shared {
    config: MockLlm,
    /// How many times each prompt has been asked, for [`Faults::fate`].
    seen: Mutex<HashMap<String, u32>>,
    requests: AtomicU64,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    injected_errors: AtomicU64,
    injected_slow: AtomicU64,
}

impl Shared {
    fn new(config: MockLlm) -> Self {
        Self {
            config,
            seen: Mutex::default(),
            requests: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            injected_errors: AtomicU64::new(0),
            injected_slow: AtomicU64::new(0),
        }
    }

    fn stats(&self) -> ServerStats {
        ServerStats {
            requests: self.requests.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            max_in_flight: self.max_in_flight.load(Ordering::Relaxed),
            injected_errors: self.injected_errors.load(Ordering::Relaxed),
            injected_slow: self.injected_slow.load(Ordering::Relaxed),
        }
    }

    /// Counts a well-formed request as being served until the guard drops,
    /// also when the client goes away and the handler is cancelled.
    fn serving(self: &Arc<Self>) -> InFlight {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let now = self.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        self.max_in_flight.fetch_max(now, Ordering::AcqRel);
        InFlight(Arc::clone(self))
    }

    fn fate_of(&self, prompt: &str) -> Fate {
        let seen_before = {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            let count = seen.entry(prompt.to_owned()).or_insert(0);
            *count += 1;
            *count - 1
        };
        let fate = self.config.faults.fate(prompt, seen_before);
        match fate {
            Fate::Error => self.injected_errors.fetch_add(1, Ordering::Relaxed),
            Fate::Slow => self.injected_slow.fetch_add(1, Ordering::Relaxed),
            Fate::Normal => 0,
        };
        fate
    }
}

struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/v1/completions", post(complete))
        .route("/v1/embeddings", post(embed))
        .route("/v1/search", post(search))
        .route("/v1/lookup", post(lookup))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// The first `count` tokens of the mock's answer; each but the first starts
/// with its space, so the tokens join into the text.
pub fn answer_tokens(count: u32) -> Vec<String> {
    let words: Vec<&str> = ANSWER.split_whitespace().collect();
    (0..count as usize)
        .map(|index| {
            let word = words[index % words.len()];
            if index == 0 {
                word.to_owned()
            } else {
                format!(" {word}")
            }
        })
        .collect()
}

async fn complete(
    State(shared): State<Arc<Shared>>,
    body: Result<Json<CompletionRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = body?;
    if !(1..=MAX_TOKENS_LIMIT).contains(&request.max_tokens) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("max_tokens must be from 1 to {MAX_TOKENS_LIMIT}"),
        ));
    }
    let in_flight = shared.serving();
    let config = &shared.config;
    let first_token_after = match shared.fate_of(&request.prompt) {
        Fate::Normal => config.latency,
        Fate::Slow => config.faults.slow_latency,
        Fate::Error => {
            tokio::time::sleep(config.latency).await;
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "injected fault: the model is overloaded, try again",
            ));
        }
    };
    let tokens = answer_tokens(request.max_tokens);
    if !request.stream {
        tokio::time::sleep(first_token_after).await;
        let completion = Completion {
            text: tokens.concat(),
            tokens: request.max_tokens,
        };
        return Ok(Json(completion).into_response());
    }
    let token_delay = config.token_delay;
    let delays = std::iter::once(first_token_after).chain(std::iter::repeat(token_delay));
    let events = futures::stream::iter(tokens.into_iter().zip(delays))
        .then(|(token, delay)| async move {
            tokio::time::sleep(delay).await;
            Event::default().data(token)
        })
        .chain(futures::stream::once(async {
            Event::default().data("[DONE]")
        }))
        // The stream owns the in-flight guard: the request counts as served
        // until its last event is sent or the client goes away.
        .map(move |event| {
            let _ = &in_flight;
            Ok::<_, Infallible>(event)
        });
    Ok(Sse::new(events).into_response())
}

/// Waits out a stage's latency while counted as in flight.
async fn stage(shared: &Arc<Shared>, latency: Duration) {
    let _in_flight = shared.serving();
    tokio::time::sleep(latency).await;
}

async fn embed(
    State(shared): State<Arc<Shared>>,
    body: Result<Json<EmbeddingRequest>, JsonRejection>,
) -> Result<Json<Embedding>, ApiError> {
    let Json(request) = body?;
    stage(&shared, shared.config.stages.embedding).await;
    Ok(Json(Embedding {
        embedding: embedding_of(&request.input),
    }))
}

async fn search(
    State(shared): State<Arc<Shared>>,
    body: Result<Json<SearchRequest>, JsonRejection>,
) -> Result<Json<SearchResults>, ApiError> {
    let Json(request) = body?;
    stage(&shared, shared.config.stages.search).await;
    let query = embedding_of(&request.query);
    // A document is ranked by its title, without its id.
    let score = |document: &str| -> f32 {
        let title = document
            .split_once(' ')
            .map_or(document, |(_id, title)| title);
        let vector = embedding_of(title);
        query.iter().zip(&vector).map(|(a, b)| a * b).sum()
    };
    let mut ranked: Vec<&str> = DOCUMENTS.to_vec();
    ranked.sort_by(|a, b| score(b).total_cmp(&score(a)));
    let documents = ranked
        .into_iter()
        .take(request.top_k as usize)
        .map(str::to_owned)
        .collect();
    Ok(Json(SearchResults { documents }))
}

async fn lookup(
    State(shared): State<Arc<Shared>>,
    body: Result<Json<LookupRequest>, JsonRejection>,
) -> Result<Json<Record>, ApiError> {
    let Json(request) = body?;
    stage(&shared, shared.config.stages.lookup).await;
    let value = format!("profile of {}: prefers short answers", request.key);
    Ok(Json(Record {
        key: request.key,
        value,
    }))
}

/// A unit vector of [`EMBEDDING_SIZE`] numbers that depends only on `text`:
/// the same text always embeds the same way, and texts sharing words embed
/// closer (each word adds to one hashed position).
fn embedding_of(text: &str) -> Vec<f32> {
    let mut vector = [0f32; EMBEDDING_SIZE];
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let hash = word
            .to_lowercase()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
            });
        vector[(hash % EMBEDDING_SIZE as u64) as usize] += 1.0;
    }
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt().max(1.0);
    vector.iter().map(|x| x / norm).collect()
}
