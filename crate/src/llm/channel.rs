//! [`LlmChannel`]: chat completions (OpenAI's API) over one HTTP/2
//! connection to the LLM, for a server that holds thousands of requests at
//! once. The LLM must speak HTTP/2 without TLS from the first byte ("prior
//! knowledge"), as the mock LLM does; for servers that speak only HTTP/1.1
//! (most OpenAI-compatible ones), the serving layer uses
//! [`LlmClient`](crate::llm::LlmClient) instead.
//!
//! The serving layer calls the LLM once per request it holds. Over HTTP/1.1
//! every call in flight needs a connection of its own, and a file descriptor
//! at each end: 5,000 requests held would mean 20,000 descriptors with the
//! clients' connections, the whole budget of the benchmark's process. Over
//! HTTP/2 the calls are streams of one connection.
//!
//! It speaks HTTP/2 through the `h2` crate (hyper's own HTTP/2 layer)
//! directly. On the serving layer's single thread every microsecond per call
//! counts: reqwest ([`LlmClient`](crate::llm::LlmClient)) parses the URL and checks
//! out a pooled connection per call, and hyper's client adds a channel hop and
//! a spawned task per call on top of `h2`.

use crate::llm::client::HttpStatusError;
use crate::llm::mock::DEFAULT_MODEL;
use crate::llm::mock::wire::{ChatCompletion, ChatMessage, ChatRequest, Completion};
use anyhow::Context;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderValue, Request, Uri};
use bytes::{Bytes, BytesMut};
use h2::client::SendRequest;
use std::net::SocketAddr;
use tokio::net::TcpStream;

/// How much answer data the LLM may send before the channel has read it: on
/// the connection, enough for every answer of the largest load benchmark; per
/// call, far more than one answer.
const CONNECTION_WINDOW: u32 = 16 << 20;
const STREAM_WINDOW: u32 = 1 << 20;

/// One HTTP/2 connection to an LLM server. Cloning it is cheap: clones send
/// their requests as further streams of the same connection.
#[derive(Debug, Clone)]
pub struct LlmChannel {
    sender: SendRequest<Bytes>,
    completions: Uri,
    model: String,
    /// `Bearer <key>`, if the LLM needs a key.
    authorization: Option<HeaderValue>,
}

impl LlmChannel {
    /// Connects to the LLM server at `addr` (HTTP/2 without TLS). The
    /// connection is driven by a task on the current runtime, which ends when
    /// the last clone of the channel is dropped or the runtime stops.
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        Self::connect_to(addr, DEFAULT_MODEL, None).await
    }

    /// Like [`connect`](Self::connect), asking for `model`, with an API key
    /// if the LLM needs one.
    pub async fn connect_to(
        addr: SocketAddr,
        model: &str,
        api_key: Option<&str>,
    ) -> anyhow::Result<Self> {
        let authorization = api_key
            .map(|key| HeaderValue::try_from(format!("Bearer {key}")))
            .transpose()
            .context("the API key is not a valid header value")?;
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to the LLM at {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = h2::client::Builder::new()
            .initial_connection_window_size(CONNECTION_WINDOW)
            .initial_window_size(STREAM_WINDOW)
            .handshake(stream)
            .await
            .with_context(|| format!("HTTP/2 handshake with the LLM at {addr}"))?;
        tokio::spawn(async move {
            // A broken connection fails the calls on it; they report it.
            let _ = connection.await;
        });
        let completions = format!("http://{addr}/v1/chat/completions")
            .parse()
            .context("the chat completions URL")?;
        Ok(Self {
            sender,
            completions,
            model: model.to_owned(),
            authorization,
        })
    }

    /// Asks for a chat completion of `prompt` (one user message) and waits
    /// for the whole answer.
    pub async fn complete(&self, prompt: &str, max_tokens: u32) -> anyhow::Result<Completion> {
        let url = &self.completions;
        let (status, body) = self
            .post(prompt, max_tokens)
            .await
            .with_context(|| format!("POST {url}"))?;
        if !status.is_success() {
            let error = HttpStatusError::from_body(status, &body);
            return Err(anyhow::Error::new(error).context(format!("POST {url}")));
        }
        let answer: ChatCompletion = serde_json::from_slice(&body)
            .with_context(|| format!("POST {url}: reading the JSON answer"))?;
        let choice = answer
            .choices
            .into_iter()
            .next()
            .with_context(|| format!("POST {url}: the answer has no choices"))?;
        let text = choice.message.content.unwrap_or_default();
        let tokens = answer.usage.map_or_else(
            || text.split_whitespace().count() as u32,
            |usage| usage.completion_tokens,
        );
        Ok(Completion { text, tokens })
    }

    /// Sends the completion request as a new stream and reads the whole
    /// answer.
    async fn post(
        &self,
        prompt: &str,
        max_tokens: u32,
    ) -> anyhow::Result<(axum::http::StatusCode, Bytes)> {
        let body = serde_json::to_vec(&ChatRequest {
            model: self.model.clone(),
            messages: vec![ChatMessage {
                role: "user".into(),
                content: prompt.into(),
            }],
            max_tokens: Some(max_tokens),
            max_completion_tokens: None,
            stream: None,
            stream_options: None,
        })?;
        let mut request = Request::post(self.completions.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization.clone());
        }
        let request = request.body(())?;
        let mut sender = self.sender.clone().ready().await?;
        let (response, mut request_body) = sender.send_request(request, false)?;
        request_body.send_data(Bytes::from(body), true)?;
        let (parts, mut answer) = response.await?.into_parts();
        let mut bytes = BytesMut::new();
        while let Some(chunk) = answer.data().await {
            let chunk = chunk?;
            answer.flow_control().release_capacity(chunk.len())?;
            bytes.extend_from_slice(&chunk);
        }
        Ok((parts.status, bytes.freeze()))
    }
}
