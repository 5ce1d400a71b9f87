//! [`MockLlm`]: a stand-in for an LLM API that speaks OpenAI's API, served
//! over real HTTP, so that notebook 04 can measure what async does for LLM
//! calls without a network, a GPU or an account, and so that the clients
//! people use against real servers (the `openai` Python package,
//! async-openai, anything that talks to llama.cpp, vLLM or Ollama) work
//! against it unchanged.
//!
//! It does no inference: an answer is a fixed sentence cut to `max_tokens`
//! words, sent after a configurable latency. What it does model faithfully is
//! what a client sees: answers take time, many requests can wait at once, a
//! streamed answer arrives token by token (a time to first token, then a time
//! between tokens), and some answers fail or are slow ([`Faults`], seeded so
//! a notebook shows the same failures every run).
//!
//! Routes:
//!
//! | route | body | answer |
//! | --- | --- | --- |
//! | `GET /health` | | `{"status": "ok"}` |
//! | `GET /metrics` | | Prometheus text: requests by route and status, in flight, latency histogram |
//! | `GET /v1/models` | | the one model it serves, as a `list` |
//! | `POST /v1/chat/completions` | `{"model", "messages", "max_tokens"?, "max_completion_tokens"?, "stream"?, "stream_options"?}` | a `chat.completion`, or `chat.completion.chunk` server-sent events ending with `data: [DONE]` |
//! | `POST /v1/completions` | `{"model", "prompt", "max_tokens"?, "stream"?}` | a `text_completion` (`choices[].text`), or its chunks |
//! | `POST /v1/embeddings` | `{"model", "input"}` | `data[].embedding`, unit vectors |
//! | `POST /v1/search` | `{"query", "top_k"}` | [`SearchResults`] |
//! | `POST /v1/lookup` | `{"key"}` | [`Record`] |
//!
//! The last three are the stages of a retrieval-augmented (RAG) answer, each
//! with its own latency ([`StageLatencies`]); search and lookup have no
//! OpenAI counterpart and stay in the mock's own shape. Errors come in
//! OpenAI's shape ([`ApiError`]): 400 for malformed JSON or a value out of
//! range, 422 for a missing or wrongly typed field, 401 when an API key is
//! required and missing or wrong, 404 for an unknown model or path, 429 (with
//! `retry-after`), 500 and 503 for injected faults. The server keeps serving.
//!
//! The server counts the requests it is serving at each moment and the most
//! it ever served at once ([`ServerStats`]), so a notebook can show a
//! concurrency limit as measured by the server rather than assumed.

use crate::http::api_error::{ApiError, BODY_LIMIT, method_not_allowed, not_found};
use crate::http::loopback::LoopbackServer;
use crate::llm::faults::{Failure, Fate, Faults};
use crate::mix::fnv1a;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most tokens one completion may ask for.
pub const MAX_TOKENS_LIMIT: u32 = 1024;

/// The model the mock serves unless told otherwise.
pub const DEFAULT_MODEL: &str = "mock-llm";

/// The mock model's one answer; a request for fewer tokens gets it cut short
/// (`finish_reason: "length"`), any other the whole of it (`"stop"`).
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

/// The buckets of the latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 10] = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

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

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user`, `assistant`...
    pub role: String,
    /// A string, or OpenAI's list of parts (`{"type": "text", "text"}`).
    #[serde(default)]
    pub content: Value,
}

/// `stream_options` of a streamed request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamOptions {
    /// Send a last chunk with the token counts before `[DONE]`.
    #[serde(default)]
    pub include_usage: bool,
}

/// The body of `POST /v1/chat/completions`: the fields the mock reads (others
/// are accepted and ignored, as real servers do).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The model to answer.
    pub model: String,
    /// The conversation so far.
    pub messages: Vec<ChatMessage>,
    /// The most tokens to generate (older name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// The most tokens to generate; wins over `max_tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    /// Send the answer as server-sent events as it is generated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Options of a streamed answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
}

/// The body of `POST /v1/completions` (OpenAI's legacy completions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextCompletionRequest {
    /// The model to answer.
    pub model: String,
    /// A string or a list of strings; each gets its own choice.
    pub prompt: Value,
    /// The most tokens to generate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Send the answer as server-sent events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Options of a streamed answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
}

/// A `chat.completion` answer: the fields clients read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletion {
    /// `chatcmpl-...`.
    pub id: String,
    /// Always `chat.completion`.
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    /// The model that answered.
    pub model: String,
    /// The answers; the mock gives one.
    pub choices: Vec<ChatChoice>,
    /// Token counts.
    pub usage: Option<Usage>,
}

/// One answer of a [`ChatCompletion`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChoice {
    /// Its position among the choices.
    pub index: u32,
    /// What the assistant said.
    pub message: AssistantMessage,
    /// `stop` when the answer is complete, `length` when cut at `max_tokens`.
    pub finish_reason: Option<String>,
}

/// The assistant's message in a [`ChatChoice`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssistantMessage {
    /// Always `assistant`.
    pub role: String,
    /// The answer's text.
    pub content: Option<String>,
}

/// Token counts of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens of the prompt (the mock counts words).
    pub prompt_tokens: u32,
    /// Tokens generated.
    pub completion_tokens: u32,
    /// Their sum.
    pub total_tokens: u32,
}

/// A completed answer, as the crate's clients return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    /// The generated text.
    pub text: String,
    /// How many tokens it has.
    pub tokens: u32,
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
    /// Completions answered with an injected 429, 500 or 503.
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
    ///
    /// # Examples
    ///
    /// ```
    /// use async_walkthrough::llm::{LlmClient, MockLlm};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> anyhow::Result<()> {
    /// let server = MockLlm {
    ///     latency: Duration::from_millis(10),
    ///     ..MockLlm::default()
    /// }
    /// .start()
    /// .await?;
    /// let llm = LlmClient::new(server.url());
    /// let answer = llm.complete("Why async?", 3).await?;
    /// assert_eq!(answer.text.split_whitespace().count(), 3);
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(self) -> anyhow::Result<MockLlmServer> {
        self.start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
    }

    /// Serves the mock LLM on `addr` (port 0: one the system picks), from the
    /// current tokio runtime.
    pub async fn start_on(self, addr: SocketAddr) -> anyhow::Result<MockLlmServer> {
        let shared = Arc::new(Shared::new(self));
        let server = LoopbackServer::start_on(router(Arc::clone(&shared)), addr).await?;
        Ok(MockLlmServer { server, shared })
    }
}

impl MockLlmServer {
    /// The base URL, such as `http://127.0.0.1:40123`; OpenAI clients take
    /// it with `/v1` added.
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

/// The labels of the request counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: &'static str,
    status: u16,
}

/// The label of the latency histogram.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: &'static str,
}

/// What `GET /metrics` reports, kept by the prometheus-client crate.
#[derive(Debug)]
struct Metrics {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    latency: Family<RouteLabel, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    max_in_flight: Gauge,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("mock_llm");
        let requests = Family::<RouteStatus, Counter>::default();
        let latency: Family<RouteLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        let in_flight = Gauge::default();
        let max_in_flight = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request to the head of its answer (for a stream, before its first token)",
            latency.clone(),
        );
        registry.register(
            "requests_in_flight",
            "Model requests (completions and RAG stages) being served",
            in_flight.clone(),
        );
        registry.register(
            "max_requests_in_flight",
            "The most model requests ever served at once",
            max_in_flight.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            in_flight,
            max_in_flight,
        }
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
    /// Numbers the answers' ids.
    answers: AtomicU64,
    metrics: Metrics,
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
            answers: AtomicU64::new(0),
            metrics: Metrics::new(),
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
            Fate::Error(_) => self.injected_errors.fetch_add(1, Ordering::Relaxed),
            Fate::Slow => self.injected_slow.fetch_add(1, Ordering::Relaxed),
            Fate::Normal => 0,
        };
        fate
    }

    /// A 404 unless `model` is the one served.
    fn check_model(&self, model: &str) -> Result<(), ApiError> {
        if model == self.config.model {
            return Ok(());
        }
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "The model `{model}` does not exist; this server serves `{}`",
                self.config.model
            ),
        )
        .param("model")
        .code("model_not_found"))
    }

    fn next_id(&self, prefix: &str) -> String {
        let n = self.answers.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{prefix}-mock{n}")
    }
}

struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The routes, under a check of the API key (for `/v1/`) and the metrics.
fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/completions", post(text_completions))
        .route("/v1/embeddings", post(embed))
        .route("/v1/search", post(search))
        .route("/v1/lookup", post(lookup))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            authorize,
        ))
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), count))
        .with_state(shared)
}

/// The routes the metrics name; any other path counts as `other`, so a
/// client probing random paths cannot grow the label set without bound.
const ROUTES: [&str; 8] = [
    "/health",
    "/metrics",
    "/v1/models",
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/embeddings",
    "/v1/search",
    "/v1/lookup",
];

/// Counts every answer by route and status and times it.
async fn count(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let route = ROUTES
        .into_iter()
        .find(|route| *route == request.uri().path())
        .unwrap_or("other");
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &shared.metrics;
    metrics
        .latency
        .get_or_create(&RouteLabel { route })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RouteStatus {
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// With an API key configured, a `/v1/` request without `Authorization:
/// Bearer <key>` gets a 401. Health and metrics stay open, as on vLLM, so
/// probes and scrapers need no key.
async fn authorize(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if let Some(key) = &shared.config.api_key
        && request.uri().path().starts_with("/v1/")
    {
        let presented = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        if presented != Some(key.as_str()) {
            let message = match presented {
                None => "No API key provided: send Authorization: Bearer <key>",
                Some(_) => "Incorrect API key provided",
            };
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, message).code("invalid_api_key"));
        }
    }
    Ok(next.run(request).await)
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Prometheus's text format (OpenMetrics flavour), with the in-flight gauges
/// read at the moment of the scrape.
async fn metrics(State(shared): State<Arc<Shared>>) -> Result<Response, ApiError> {
    let stats = shared.stats();
    let metrics = &shared.metrics;
    metrics.in_flight.set(stats.in_flight as i64);
    metrics.max_in_flight.set(stats.max_in_flight as i64);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &metrics.registry).map_err(|error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("encoding the metrics: {error}"),
        )
    })?;
    let content_type =
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
    Ok(([(CONTENT_TYPE, content_type)], text).into_response())
}

async fn models(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({
        "object": "list",
        "data": [{
            "id": shared.config.model,
            "object": "model",
            "created": 0,
            "owned_by": "async-walkthrough",
        }],
    }))
}

/// The first `count` tokens of the mock's answer, at most all of it; each but
/// the first starts with its space, so the tokens join into the text.
pub fn answer_tokens(count: u32) -> Vec<String> {
    ANSWER
        .split_whitespace()
        .take(count as usize)
        .enumerate()
        .map(|(index, word)| {
            if index == 0 {
                word.to_owned()
            } else {
                format!(" {word}")
            }
        })
        .collect()
}

/// How many tokens the whole answer has: a request for as many or more gets
/// `finish_reason: "stop"`.
pub fn answer_length() -> u32 {
    ANSWER.split_whitespace().count() as u32
}

/// The text of a message's `content`: a string, or the text parts of a list.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// The mock's tokens are words.
fn count_tokens(text: &str) -> u32 {
    text.split_whitespace().count() as u32
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// What one completion will send, once its fate allows it.
struct Generation {
    tokens: Vec<String>,
    finish_reason: &'static str,
    usage: Usage,
    first_token_after: Duration,
    /// Held until the last token is sent or the client goes away.
    in_flight: InFlight,
}

/// Checks the model and the token limit, counts the request and draws its
/// fate; an injected failure is answered here, after the usual latency
/// (a rate limit at once, as real APIs do).
async fn generate(
    shared: &Arc<Shared>,
    model: &str,
    prompt: &str,
    max_tokens: Option<u32>,
    max_tokens_param: &str,
) -> Result<Generation, ApiError> {
    shared.check_model(model)?;
    if let Some(max_tokens) = max_tokens
        && !(1..=MAX_TOKENS_LIMIT).contains(&max_tokens)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("{max_tokens_param} must be from 1 to {MAX_TOKENS_LIMIT}"),
        )
        .param(max_tokens_param));
    }
    let in_flight = shared.serving();
    let config = &shared.config;
    let first_token_after = match shared.fate_of(prompt) {
        Fate::Normal => config.latency,
        Fate::Slow => config.faults.slow_latency,
        Fate::Error(Failure::RateLimited) => {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "injected fault: rate limit reached, retry after 1 s",
            )
            .code("rate_limit_exceeded")
            .retry_after(1));
        }
        Fate::Error(failure) => {
            tokio::time::sleep(config.latency).await;
            let (status, message) = match failure {
                Failure::Internal => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "injected fault: the model crashed, try again",
                ),
                _ => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "injected fault: the model is overloaded, try again",
                ),
            };
            return Err(ApiError::new(status, message));
        }
    };
    let whole = answer_length();
    let wanted = max_tokens.unwrap_or(whole);
    let tokens = answer_tokens(wanted);
    let prompt_tokens = count_tokens(prompt);
    let completion_tokens = tokens.len() as u32;
    Ok(Generation {
        tokens,
        finish_reason: if wanted < whole { "length" } else { "stop" },
        usage: Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
        },
        first_token_after,
        in_flight,
    })
}

/// Sends `chunks` as server-sent events, the first after `first_after`, each
/// next after `between`, then `usage` (if asked for) and `[DONE]`; the
/// in-flight guard is held until the last event is sent.
fn event_stream(
    chunks: Vec<Value>,
    first_after: Duration,
    between: Duration,
    tail: Vec<Value>,
    in_flight: InFlight,
) -> Response {
    let delays = std::iter::once(first_after).chain(std::iter::repeat(between));
    let events = futures::stream::iter(chunks.into_iter().zip(delays))
        .then(|(chunk, delay)| async move {
            tokio::time::sleep(delay).await;
            Event::default().data(chunk.to_string())
        })
        .chain(futures::stream::iter(
            tail.into_iter()
                .map(|chunk| Event::default().data(chunk.to_string())),
        ))
        .chain(futures::stream::once(async {
            Event::default().data("[DONE]")
        }))
        // The stream owns the in-flight guard: the request counts as served
        // until its last event is sent or the client goes away.
        .map(move |event| {
            let _ = &in_flight;
            Ok::<_, Infallible>(event)
        });
    Sse::new(events).into_response()
}

async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    body: Result<Json<ChatRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = body?;
    if request.messages.is_empty() {
        return Err(
            ApiError::new(StatusCode::BAD_REQUEST, "messages must not be empty").param("messages"),
        );
    }
    let prompt = request
        .messages
        .iter()
        .map(|message| content_text(&message.content))
        .collect::<Vec<_>>()
        .join(
            "
",
        );
    let (max_tokens, param) = match request.max_completion_tokens {
        Some(limit) => (Some(limit), "max_completion_tokens"),
        None => (request.max_tokens, "max_tokens"),
    };
    let generation = generate(&shared, &request.model, &prompt, max_tokens, param).await?;
    let id = shared.next_id("chatcmpl");
    let created = unix_now();
    let model = &shared.config.model;
    if request.stream != Some(true) {
        tokio::time::sleep(generation.first_token_after).await;
        let answer = ChatCompletion {
            id,
            object: "chat.completion".into(),
            created,
            model: model.clone(),
            choices: vec![ChatChoice {
                index: 0,
                message: AssistantMessage {
                    role: "assistant".into(),
                    content: Some(generation.tokens.concat()),
                },
                finish_reason: Some(generation.finish_reason.into()),
            }],
            usage: Some(generation.usage),
        };
        return Ok(Json(answer).into_response());
    }
    let chunk = |delta: Value, finish_reason: Option<&str>| {
        json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        })
    };
    // The role comes with the first token, when the model has one to send.
    let chunks = generation
        .tokens
        .iter()
        .enumerate()
        .map(|(index, token)| match index {
            0 => chunk(json!({"role": "assistant", "content": token}), None),
            _ => chunk(json!({"content": token}), None),
        })
        .collect();
    let mut tail = vec![chunk(json!({}), Some(generation.finish_reason))];
    if request
        .stream_options
        .is_some_and(|options| options.include_usage)
    {
        tail.push(json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [], "usage": generation.usage,
        }));
    }
    Ok(event_stream(
        chunks,
        generation.first_token_after,
        shared.config.token_delay,
        tail,
        generation.in_flight,
    ))
}

async fn text_completions(
    State(shared): State<Arc<Shared>>,
    body: Result<Json<TextCompletionRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = body?;
    let prompt = match &request.prompt {
        Value::String(prompt) => prompt.clone(),
        Value::Array(parts) if parts.len() == 1 && parts[0].is_string() => {
            content_text(&Value::Array(vec![json!({"text": parts[0]})]))
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "prompt must be a string (or a list of one string)",
            )
            .param("prompt"));
        }
    };
    let generation = generate(
        &shared,
        &request.model,
        &prompt,
        request.max_tokens,
        "max_tokens",
    )
    .await?;
    let id = shared.next_id("cmpl");
    let created = unix_now();
    let model = &shared.config.model;
    let choice = |text: &str, finish_reason: Option<&str>| json!({"text": text, "index": 0, "logprobs": null, "finish_reason": finish_reason});
    if request.stream != Some(true) {
        tokio::time::sleep(generation.first_token_after).await;
        let answer = json!({
            "id": id, "object": "text_completion", "created": created, "model": model,
            "choices": [choice(&generation.tokens.concat(), Some(generation.finish_reason))],
            "usage": generation.usage,
        });
        return Ok(Json(answer).into_response());
    }
    let chunk = |choices: Value| json!({"id": id, "object": "text_completion", "created": created, "model": model, "choices": choices});
    let chunks = generation
        .tokens
        .iter()
        .map(|token| chunk(json!([choice(token, None)])))
        .collect();
    let mut tail = vec![chunk(json!([choice("", Some(generation.finish_reason))]))];
    if request
        .stream_options
        .is_some_and(|options| options.include_usage)
    {
        let mut usage = chunk(json!([]));
        usage["usage"] = json!(generation.usage);
        tail.push(usage);
    }
    Ok(event_stream(
        chunks,
        generation.first_token_after,
        shared.config.token_delay,
        tail,
        generation.in_flight,
    ))
}

/// Waits out a stage's latency while counted as in flight.
async fn stage(shared: &Arc<Shared>, latency: Duration) {
    let _in_flight = shared.serving();
    tokio::time::sleep(latency).await;
}

/// The body of `POST /v1/embeddings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingRequest {
    /// The model to embed with.
    pub model: String,
    /// A string or a list of strings.
    pub input: Value,
}

async fn embed(
    State(shared): State<Arc<Shared>>,
    body: Result<Json<EmbeddingRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(request) = body?;
    shared.check_model(&request.model)?;
    let inputs: Vec<&str> = match &request.input {
        Value::String(input) => vec![input],
        Value::Array(inputs) if !inputs.is_empty() => inputs
            .iter()
            .map(|input| input.as_str())
            .collect::<Option<_>>()
            .ok_or_else(|| {
                ApiError::new(StatusCode::BAD_REQUEST, "input must be strings").param("input")
            })?,
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "input must be a string or a list of strings",
            )
            .param("input"));
        }
    };
    stage(&shared, shared.config.stages.embedding).await;
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, input)| {
            json!({"object": "embedding", "index": index, "embedding": embedding_of(input)})
        })
        .collect();
    let tokens: u32 = inputs.iter().map(|input| count_tokens(input)).sum();
    Ok(Json(json!({
        "object": "list",
        "data": data,
        "model": shared.config.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    })))
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
        let hash = fnv1a(word.to_lowercase().bytes());
        vector[(hash % EMBEDDING_SIZE as u64) as usize] += 1.0;
    }
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt().max(1.0);
    vector.iter().map(|x| x / norm).collect()
}
