//! [`LlmClient`]: calls an OpenAI-compatible LLM API (the
//! [`MockLlm`](crate::llm::MockLlm), or llama.cpp's server, vLLM, Ollama...)
//! through async-openai, the Rust OpenAI client.
//!
//! async-openai is built with only the APIs used here and without its TLS
//! features, so its reqwest needs no system libraries; a server across the
//! network would need its `rustls` feature. Its own retries are turned off:
//! the caller decides (see [`with_retries`](crate::llm::with_retries)). The mock's two RAG stages with no
//! OpenAI counterpart (search and lookup) and its health check are plain
//! reqwest calls.
//!
//! Every error names the request and its cause, such as
//! `POST http://127.0.0.1:40123/v1/chat/completions: 503 Service
//! Unavailable: injected fault: ...`. An answer with an error status is an
//! [`HttpStatusError`] underneath that context, so a caller can tell a server
//! fault or rate limit (worth a retry) from its own mistake (not worth one).

use crate::http::api_error::ErrorBody;
use crate::llm::mock::DEFAULT_MODEL;
use crate::llm::mock::wire::{Completion, LookupRequest, Record, SearchRequest, SearchResults};
use anyhow::{Context, anyhow};
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestUserMessage, CreateChatCompletionRequest,
};
use async_openai::types::completions::CreateCompletionRequest;
use async_openai::types::embeddings::{CreateEmbeddingRequest, EmbeddingInput};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A client for one LLM server. Cloning it is cheap and shares its
/// connections.
///
/// # Examples
///
/// ```no_run
/// use async_walkthrough::llm::LlmClient;
///
/// # async fn example() -> anyhow::Result<()> {
/// // llama.cpp's server, vLLM or Ollama: their base URL ends in /v1.
/// let client = LlmClient::openai("http://127.0.0.1:8080/v1", None, "qwen2.5-0.5b");
/// let answer = client.complete("Why async?", 12).await?;
/// println!("{}", answer.text);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct LlmClient {
    openai: async_openai::Client<OpenAIConfig>,
    http: reqwest::Client,
    /// OpenAI's base URL, ending in `/v1`.
    api_base: String,
    /// Where the mock's own routes (health, search, lookup) are served.
    stages_url: String,
    model: String,
    embedding_model: String,
    /// Calls in flight, counted here, shared by the clones: what a notebook
    /// can show of a server that does not count them itself.
    calls: Arc<CallCount>,
}

#[derive(Debug, Default)]
struct CallCount {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// One call counted as in flight until dropped.
struct Call(Arc<CallCount>);

impl Call {
    fn start(count: &Arc<CallCount>) -> Self {
        let now = count.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        count.max_in_flight.fetch_max(now, Ordering::AcqRel);
        Self(Arc::clone(count))
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer whose status is not a success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpStatusError {
    /// The answer's status.
    pub status: StatusCode,
    /// The server's explanation: the `message` of its error object, or the
    /// body.
    pub message: String,
    /// OpenAI's error `type`, such as `rate_limit_error`, if the server sent
    /// one.
    pub kind: Option<String>,
    /// OpenAI's error `code`, such as `model_not_found`, if the server sent
    /// one.
    pub code: Option<String>,
}

impl fmt::Display for HttpStatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for HttpStatusError {}

impl HttpStatusError {
    /// Whether the server failed (5xx): the same request may succeed later.
    pub fn is_server_error(&self) -> bool {
        self.status.is_server_error()
    }

    /// Whether a retry may succeed: a server error or a rate limit (429).
    /// Official OpenAI clients retry the same statuses.
    pub fn is_retryable(&self) -> bool {
        self.is_server_error() || self.status == StatusCode::TOO_MANY_REQUESTS
    }

    /// The error of an answer with `status` and `body`: OpenAI's error object
    /// if the body is one, else the body as text.
    pub fn from_body(status: StatusCode, body: &[u8]) -> Self {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(ErrorBody { error }) => Self {
                status,
                message: error.message,
                kind: Some(error.kind),
                code: error.code,
            },
            Err(_) => Self {
                status,
                message: String::from_utf8_lossy(body).into_owned(),
                kind: None,
                code: None,
            },
        }
    }
}

/// A reqwest client that ignores proxies from the environment (HTTP_PROXY),
/// which must not capture calls to a server on this machine.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client without TLS or proxies always builds")
}

impl LlmClient {
    /// A client for the mock LLM at `server_url` (such as
    /// `http://127.0.0.1:40123`), asking for its model with no API key.
    pub fn new(server_url: impl Into<String>) -> Self {
        let server_url = server_url.into();
        let mut client = Self::openai(format!("{server_url}/v1"), None, DEFAULT_MODEL);
        client.stages_url = server_url;
        client
    }

    /// A client for any OpenAI-compatible server: `api_base` as its clients
    /// take it (ending in `/v1`), an API key if it needs one, and the model
    /// to ask for (for embeddings too, unless
    /// [`with_embedding_model`](Self::with_embedding_model) says otherwise).
    pub fn openai(api_base: impl Into<String>, api_key: Option<&str>, model: &str) -> Self {
        let api_base = api_base.into().trim_end_matches('/').to_owned();
        let config = OpenAIConfig::new()
            .with_api_base(&api_base)
            .with_api_key(api_key.unwrap_or(""));
        let http = http_client();
        let stages_url = api_base.strip_suffix("/v1").unwrap_or(&api_base).to_owned();
        // async-openai retries 429s and 5xx three times by default, out of
        // sight; a plain reqwest service leaves retrying to the caller
        // (`with_retries`), whose attempts the notebook shows, as the official
        // Python client does with `max_retries=0`.
        let service = async_openai::middleware::ReqwestService::new(http.clone());
        Self {
            openai: async_openai::Client::with_config(config).with_http_service(service),
            http,
            api_base,
            stages_url,
            model: model.to_owned(),
            embedding_model: model.to_owned(),
            calls: Arc::default(),
        }
    }

    /// The most calls this client (and its clones) had in flight at once,
    /// counted from when a request is sent to when its answer is read.
    pub fn max_in_flight(&self) -> usize {
        self.calls.max_in_flight.load(Ordering::Acquire)
    }

    /// The same client, with the mock's own routes (health, search, lookup)
    /// served at `server_url`.
    #[must_use]
    pub fn with_stages(mut self, server_url: impl Into<String>) -> Self {
        self.stages_url = server_url.into();
        self
    }

    /// The same client, embedding with `model`.
    #[must_use]
    pub fn with_embedding_model(mut self, model: &str) -> Self {
        self.embedding_model = model.to_owned();
        self
    }

    /// The model asked for completions.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// OpenAI's base URL of the server, ending in `/v1`.
    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// The full URL of `path` under the mock's own routes.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.stages_url)
    }

    /// Checks that the server answers `GET /health`.
    pub async fn health(&self) -> anyhow::Result<()> {
        let url = self.url("/health");
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        success(response)
            .await
            .with_context(|| format!("GET {url}"))?;
        Ok(())
    }

    /// The chat request of one user message.
    // `max_tokens` rather than `max_completion_tokens`: OpenAI deprecates it
    // but still takes it, and every local server (llama.cpp, vLLM, Ollama)
    // knows it, not all of them the newer name.
    #[allow(deprecated)]
    fn chat_request(&self, prompt: &str, max_tokens: u32) -> CreateChatCompletionRequest {
        CreateChatCompletionRequest {
            model: self.model.clone(),
            messages: vec![ChatCompletionRequestMessage::User(
                ChatCompletionRequestUserMessage::from(prompt),
            )],
            max_tokens: Some(max_tokens),
            ..Default::default()
        }
    }

    /// Asks for a chat completion of `prompt` (one user message) and waits
    /// for the whole answer.
    pub async fn complete(&self, prompt: &str, max_tokens: u32) -> anyhow::Result<Completion> {
        let _call = Call::start(&self.calls);
        let context = || format!("POST {}/chat/completions", self.api_base);
        let answer = self
            .openai
            .chat()
            .create(self.chat_request(prompt, max_tokens))
            .await
            .map_err(api_error)
            .with_context(context)?;
        let choice = answer
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| anyhow!("the answer has no choices"))
            .with_context(context)?;
        let text = choice.message.content.unwrap_or_default();
        let tokens = answer
            .usage
            .map_or_else(|| count_words(&text), |usage| usage.completion_tokens);
        Ok(Completion { text, tokens })
    }

    /// Asks for a streamed chat completion of `prompt`: the text of each
    /// chunk, as soon as the server sends it (chunks without text, such as
    /// the last one with the finish reason, are skipped).
    pub async fn stream(
        &self,
        prompt: &str,
        max_tokens: u32,
    ) -> anyhow::Result<BoxStream<'static, anyhow::Result<String>>> {
        let call = Call::start(&self.calls);
        let url = format!("{}/chat/completions", self.api_base);
        let mut request = self.chat_request(prompt, max_tokens);
        request.stream = Some(true);
        let chunks = self
            .openai
            .chat()
            .create_stream(request)
            .await
            .map_err(api_error)
            .with_context(|| format!("POST {url}"))?;
        let tokens = chunks
            .map_err(move |error| anyhow!("POST {url}: reading the event stream: {error}"))
            .try_filter_map(|chunk| {
                let text = chunk
                    .choices
                    .into_iter()
                    .filter_map(|choice| choice.delta.content)
                    .collect::<String>();
                std::future::ready(Ok((!text.is_empty()).then_some(text)))
            })
            // The stream holds the call until it ends or is dropped.
            .inspect(move |_| {
                let _ = &call;
            });
        Ok(tokens.boxed())
    }

    /// Asks for a completion of `prompt` through OpenAI's older completions
    /// API (`POST /v1/completions`).
    pub async fn complete_text(&self, prompt: &str, max_tokens: u32) -> anyhow::Result<Completion> {
        let _call = Call::start(&self.calls);
        let context = || format!("POST {}/completions", self.api_base);
        let request = CreateCompletionRequest {
            model: self.model.clone(),
            prompt: prompt.into(),
            max_tokens: Some(max_tokens),
            ..Default::default()
        };
        let answer = self
            .openai
            .completions()
            .create(request)
            .await
            .map_err(api_error)
            .with_context(context)?;
        let text = answer
            .choices
            .into_iter()
            .next()
            .map(|choice| choice.text)
            .ok_or_else(|| anyhow!("the answer has no choices"))
            .with_context(context)?;
        let tokens = answer
            .usage
            .map_or_else(|| count_words(&text), |usage| usage.completion_tokens);
        Ok(Completion { text, tokens })
    }

    /// The embedding of `input`.
    pub async fn embed(&self, input: &str) -> anyhow::Result<Vec<f32>> {
        let _call = Call::start(&self.calls);
        let context = || format!("POST {}/embeddings", self.api_base);
        let request = CreateEmbeddingRequest {
            model: self.embedding_model.clone(),
            input: EmbeddingInput::String(input.to_owned()),
            ..Default::default()
        };
        let answer = self
            .openai
            .embeddings()
            .create(request)
            .await
            .map_err(api_error)
            .with_context(context)?;
        answer
            .data
            .into_iter()
            .next()
            .map(|embedding| embedding.embedding)
            .ok_or_else(|| anyhow!("the answer has no embedding"))
            .with_context(context)
    }

    /// The ids of the models the server serves (`GET /v1/models`).
    pub async fn models(&self) -> anyhow::Result<Vec<String>> {
        let list = self
            .openai
            .models()
            .list()
            .await
            .map_err(api_error)
            .with_context(|| format!("GET {}/models", self.api_base))?;
        Ok(list.data.into_iter().map(|model| model.id).collect())
    }

    /// The `top_k` documents that best match `query`, best first (a mock
    /// route).
    pub async fn search(&self, query: &str, top_k: u32) -> anyhow::Result<Vec<String>> {
        let request = SearchRequest {
            query: query.to_owned(),
            top_k,
        };
        let answer: SearchResults = self.post("/v1/search", &request).await?;
        Ok(answer.documents)
    }

    /// The database record under `key` (a mock route).
    pub async fn lookup(&self, key: &str) -> anyhow::Result<Record> {
        let request = LookupRequest {
            key: key.to_owned(),
        };
        self.post("/v1/lookup", &request).await
    }

    /// Posts `body` as JSON to `path` of the mock's own routes and reads the
    /// JSON answer.
    pub async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> anyhow::Result<R> {
        let _call = Call::start(&self.calls);
        let url = self.url(path);
        let response = self
            .http
            .post(&url)
            .json(body)
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        success(response)
            .await
            .with_context(|| format!("POST {url}"))?
            .json()
            .await
            .with_context(|| format!("POST {url}: reading the JSON answer"))
    }
}

fn count_words(text: &str) -> u32 {
    text.split_whitespace().count() as u32
}

/// async-openai's error as an [`HttpStatusError`] when the server answered
/// with an error status, so retries can tell the kinds apart.
fn api_error(error: OpenAIError) -> anyhow::Error {
    match error {
        OpenAIError::ApiError(answer) => {
            let status = answer.status_code;
            let api_error = answer.api_error;
            // async-openai keeps a 5xx body as text, since OpenAI does not
            // promise JSON there; the mock and most servers do send it.
            let error = if api_error.r#type.is_none() && api_error.code.is_none() {
                HttpStatusError::from_body(status, api_error.message.as_bytes())
            } else {
                HttpStatusError {
                    status,
                    message: api_error.message,
                    kind: api_error.r#type,
                    code: api_error.code,
                }
            };
            error.into()
        }
        other => anyhow::Error::new(other),
    }
}

/// The response if its status is a success, else an [`HttpStatusError`] with
/// the server's explanation.
async fn success(response: reqwest::Response) -> anyhow::Result<reqwest::Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.bytes().await.unwrap_or_default();
    Err(HttpStatusError::from_body(status, &body).into())
}
