//! [`LlmClient`]: calls an LLM API shaped like the [`mock_llm`](crate::mock_llm)
//! over HTTP, with reqwest.
//!
//! reqwest is built without its default features: no TLS stack, so no system
//! libraries, since it only ever talks to servers on 127.0.0.1.
//!
//! Every error names the request and its cause, such as
//! `POST http://127.0.0.1:40123/v1/completions: 503 Service Unavailable:
//! injected fault: ...`. An answer with an error status is an
//! [`HttpStatusError`] underneath that context, so a caller can tell a server
//! fault (worth a retry) from its own mistake (not worth one).

use crate::api_error::ErrorBody;
use crate::mock_llm::{
    Completion, CompletionRequest, Embedding, EmbeddingRequest, LookupRequest, Record,
    SearchRequest, SearchResults,
};
use anyhow::{Context, anyhow};
use eventsource_stream::Eventsource;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;

/// A client for one LLM server. Cloning it is cheap and shares its
/// connections.
#[derive(Debug, Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    base_url: String,
}

/// An answer whose status is not a success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpStatusError {
    /// The answer's status.
    pub status: StatusCode,
    /// The server's explanation: the `error` of its JSON body, or the body.
    pub message: String,
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
}

impl LlmClient {
    /// A client over HTTP/1.1: one connection per request in flight, kept
    /// open for the next request.
    pub fn new(base_url: impl Into<String>) -> Self {
        // A proxy from the environment (HTTP_PROXY) must not capture calls to
        // a server on this machine.
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("a client without TLS or proxies always builds");
        Self {
            http,
            base_url: base_url.into(),
        }
    }

    /// The full URL of `path` on this client's server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
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

    /// Asks for a completion of `prompt` and waits for the whole answer.
    pub async fn complete(&self, prompt: &str, max_tokens: u32) -> anyhow::Result<Completion> {
        let request = CompletionRequest {
            prompt: prompt.to_owned(),
            max_tokens,
            stream: false,
        };
        self.post("/v1/completions", &request).await
    }

    /// Asks for a streamed completion of `prompt`: the tokens, each as soon as
    /// the server sends it.
    pub async fn stream(
        &self,
        prompt: &str,
        max_tokens: u32,
    ) -> anyhow::Result<BoxStream<'static, anyhow::Result<String>>> {
        let url = self.url("/v1/completions");
        let request = CompletionRequest {
            prompt: prompt.to_owned(),
            max_tokens,
            stream: true,
        };
        let tokens = self
            .send(&url, &request)
            .await?
            .bytes_stream()
            .eventsource()
            .map_err(move |error| anyhow!("POST {url}: reading the event stream: {error}"))
            .try_take_while(|event| std::future::ready(Ok(event.data != "[DONE]")))
            .map_ok(|event| event.data);
        Ok(tokens.boxed())
    }

    /// The embedding of `input`.
    pub async fn embed(&self, input: &str) -> anyhow::Result<Vec<f32>> {
        let request = EmbeddingRequest {
            input: input.to_owned(),
        };
        let answer: Embedding = self.post("/v1/embeddings", &request).await?;
        Ok(answer.embedding)
    }

    /// The `top_k` documents that best match `query`, best first.
    pub async fn search(&self, query: &str, top_k: u32) -> anyhow::Result<Vec<String>> {
        let request = SearchRequest {
            query: query.to_owned(),
            top_k,
        };
        let answer: SearchResults = self.post("/v1/search", &request).await?;
        Ok(answer.documents)
    }

    /// The database record under `key`.
    pub async fn lookup(&self, key: &str) -> anyhow::Result<Record> {
        let request = LookupRequest {
            key: key.to_owned(),
        };
        self.post("/v1/lookup", &request).await
    }

    /// Posts `body` as JSON to `path` and reads the JSON answer.
    pub async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> anyhow::Result<R> {
        let url = self.url(path);
        self.send(&url, body)
            .await?
            .json()
            .await
            .with_context(|| format!("POST {url}: reading the JSON answer"))
    }

    /// Posts `body` as JSON to `url`; the response if its status is a
    /// success, else an error naming the URL and the cause.
    async fn send(&self, url: &str, body: &impl Serialize) -> anyhow::Result<reqwest::Response> {
        let response = self
            .http
            .post(url)
            .json(body)
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        success(response)
            .await
            .with_context(|| format!("POST {url}"))
    }
}

/// The response if its status is a success, else an [`HttpStatusError`] with
/// the server's explanation.
async fn success(response: reqwest::Response) -> anyhow::Result<reqwest::Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<ErrorBody>(&body)
        .map(|body| body.error)
        .unwrap_or(body);
    Err(HttpStatusError { status, message }.into())
}
