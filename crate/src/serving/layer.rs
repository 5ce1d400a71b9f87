//! The serving layer: the post's "FastAPI-style" endpoint in front of an LLM,
//! on one thread. [`load_test`](super::load_test()) measures how many
//! concurrent requests it carries.
//!
//! [`ServingLayer`] runs an axum app on a *current-thread* tokio runtime in a
//! thread of its own: every request it holds is a future on that one thread.
//! Its handler awaits the LLM, so while thousands of requests wait for their
//! answers, the thread is idle, not blocked, and a request costs only the
//! memory of its future. The LLM is called over HTTP/2, so all those calls
//! share one connection (see [`LlmChannel`]).
//!
//! The thread is stopped and joined when the handle is dropped.
//!
//! [`ServingLayer::start_with`] puts it in front of any OpenAI-compatible
//! server ([`Upstream`]): over HTTP/2 for a server that speaks it without TLS
//! (the mock LLM), or through [`LlmClient`] over HTTP/1.1, which every such
//! server speaks. That is the `serve` example.

use crate::http::api_error::{ApiError, BODY_LIMIT, method_not_allowed, not_found};
use crate::http::loopback::LoopbackServer;
use crate::llm::channel::LlmChannel;
use crate::llm::client::LlmClient;
use crate::llm::mock::DEFAULT_MODEL;
use crate::llm::mock::wire::Completion;
use anyhow::Context;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::mpsc;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// How many tokens the serving layer asks the LLM for per question.
pub(crate) const ANSWER_TOKENS: u32 = 8;

/// The body of `POST /ask`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Question {
    /// What the user asks.
    pub question: String,
}

/// The answer of `POST /ask`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Answer {
    /// The LLM's answer.
    pub answer: String,
}

/// The LLM a serving layer asks.
///
/// # Examples
///
/// ```
/// use async_walkthrough::serving::Upstream;
///
/// let llama_cpp = Upstream {
///     api_base: "http://127.0.0.1:8080/v1".into(),
///     api_key: None,
///     model: "qwen2.5-0.5b".into(),
///     http2: false,
/// };
/// assert_eq!(llama_cpp.host_and_port().unwrap(), ("127.0.0.1".to_owned(), 8080));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// OpenAI's base URL of the server, ending in `/v1`.
    pub api_base: String,
    /// Its API key, if it needs one.
    pub api_key: Option<String>,
    /// The model to ask.
    pub model: String,
    /// Call it over one HTTP/2 connection (without TLS, prior knowledge)
    /// instead of HTTP/1.1 connections.
    pub http2: bool,
}

impl Upstream {
    /// The host and port of [`api_base`](Self::api_base), for the HTTP/2
    /// connection.
    pub fn host_and_port(&self) -> anyhow::Result<(String, u16)> {
        let url = reqwest::Url::parse(&self.api_base)
            .with_context(|| format!("the LLM's URL {:?}", self.api_base))?;
        if url.scheme() != "http" {
            anyhow::bail!(
                "the LLM's URL {:?}: only http:// is supported (no TLS)",
                self.api_base
            );
        }
        let host = url
            .host_str()
            .with_context(|| format!("the LLM's URL {:?} has no host", self.api_base))?;
        let port = url.port_or_known_default().unwrap_or(80);
        Ok((host.to_owned(), port))
    }
}

/// How the serving layer's handler reaches the LLM.
#[derive(Debug, Clone)]
pub(crate) enum LlmCaller {
    /// Streams of one HTTP/2 connection.
    Http2(LlmChannel),
    /// async-openai's client over HTTP/1.1.
    Http1(LlmClient),
}

impl LlmCaller {
    async fn connect(upstream: &Upstream) -> anyhow::Result<Self> {
        if !upstream.http2 {
            let client = LlmClient::openai(
                &upstream.api_base,
                upstream.api_key.as_deref(),
                &upstream.model,
            );
            return Ok(Self::Http1(client));
        }
        let (host, port) = upstream.host_and_port()?;
        let addr = tokio::net::lookup_host((host.as_str(), port))
            .await
            .with_context(|| format!("looking up {host}"))?
            .next()
            .with_context(|| format!("{host} has no address"))?;
        let channel =
            LlmChannel::connect_to(addr, &upstream.model, upstream.api_key.as_deref()).await?;
        Ok(Self::Http2(channel))
    }

    /// Asks for a chat completion of `prompt` and waits for the whole answer.
    pub(crate) async fn complete(
        &self,
        prompt: &str,
        max_tokens: u32,
    ) -> anyhow::Result<Completion> {
        match self {
            Self::Http2(channel) => channel.complete(prompt, max_tokens).await,
            Self::Http1(client) => client.complete(prompt, max_tokens).await,
        }
    }
}

/// The serving layer, running on its own thread. Dropping it stops the
/// server and joins the thread.
///
/// # Examples
///
/// ```
/// use async_walkthrough::llm::answer_tokens;
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> anyhow::Result<()> {
/// let llm = MockLlm { latency: Duration::from_millis(10), ..MockLlm::default() }.start().await?;
/// let serving = ServingLayer::start(llm.addr())?;
/// let answer: serde_json::Value = reqwest::Client::new()
///     .post(format!("{}/ask", serving.url()))
///     .json(&serde_json::json!({ "question": "Why async?" }))
///     .send()
///     .await?
///     .json()
///     .await?;
/// assert_eq!(answer["answer"], answer_tokens(8).concat());
/// drop(serving);
/// llm.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct ServingLayer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServingLayer {
    /// Starts the serving layer on 127.0.0.1, on a port the system picks, in
    /// a new thread with a current-thread runtime. It answers `POST /ask` by
    /// asking the LLM listening at `llm_addr`.
    pub fn start(llm_addr: SocketAddr) -> anyhow::Result<Self> {
        let upstream = Upstream {
            api_base: format!("http://{llm_addr}/v1"),
            api_key: None,
            model: DEFAULT_MODEL.to_owned(),
            http2: true,
        };
        Self::start_with(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), upstream)
    }

    /// Starts the serving layer on `listen` (port 0: one the system picks),
    /// in a new thread with a current-thread runtime, answering `POST /ask`
    /// by asking `upstream`.
    pub fn start_with(listen: SocketAddr, upstream: Upstream) -> anyhow::Result<Self> {
        let (started, bound) = mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("serving-layer".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = started.send(Err(anyhow::Error::new(error)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let server = async {
                        let llm = LlmCaller::connect(&upstream).await?;
                        LoopbackServer::start_http1_on(router(llm), listen).await
                    };
                    match server.await {
                        Ok(server) => {
                            let _ = started.send(Ok(server.addr()));
                            // A dropped handle stops the server as well.
                            let _ = stopped.await;
                            server.shutdown().await;
                        }
                        Err(error) => {
                            let _ = started.send(Err(error));
                        }
                    }
                });
            })
            .context("starting the serving layer's thread")?;
        let addr = bound
            .recv()
            .context("the serving layer's thread ended before it started serving")?
            .context("starting the serving layer")?;
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The base URL, such as `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the serving layer listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ServingLayer {
    /// Stops accepting, lets the requests in progress finish, then joins the
    /// thread.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
            && !std::thread::panicking()
        {
            panic!("the serving layer's thread panicked");
        }
    }
}

fn router(llm: LlmCaller) -> Router {
    Router::new()
        .route("/ask", post(answer_question))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(llm)
}

/// `POST /ask`: awaits the LLM's completion of the question. While it waits,
/// the thread serves every other request.
pub(crate) async fn answer_question(
    State(llm): State<LlmCaller>,
    body: Result<Json<Question>, JsonRejection>,
) -> Result<Json<Answer>, ApiError> {
    let Json(question) = body?;
    let completion = llm
        .complete(&question.question, ANSWER_TOKENS)
        .await
        .map_err(|error| ApiError::new(StatusCode::BAD_GATEWAY, format!("{error:#}")))?;
    Ok(Json(Answer {
        answer: completion.text,
    }))
}
