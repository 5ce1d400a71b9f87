//! The serving layer: the post's "FastAPI-style" endpoint in front of an LLM,
//! on one thread. [`load_test`](crate::load_test()) measures how many
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

use crate::api_error::{ApiError, BODY_LIMIT, method_not_allowed, not_found};
use crate::llm_channel::LlmChannel;
use crate::load_test::{LoadReport, load_test};
use crate::loopback::LoopbackServer;
use crate::mock_llm::MockLlm;
use anyhow::Context;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

/// How many tokens the serving layer asks the LLM for per question.
pub const ANSWER_TOKENS: u32 = 8;

/// The body of `POST /ask`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// What the user asks.
    pub question: String,
}

/// The answer of `POST /ask`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The LLM's answer.
    pub answer: String,
}

/// The serving layer, running on its own thread. Dropping it stops the
/// server and joins the thread.
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
                        let llm = LlmChannel::connect(llm_addr).await?;
                        LoopbackServer::start_http1(router(llm)).await
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

fn router(llm: LlmChannel) -> Router {
    Router::new()
        .route("/ask", post(answer_question))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(llm)
}

/// `POST /ask`: awaits the LLM's completion of the question. While it waits,
/// the thread serves every other request.
pub async fn answer_question(
    State(llm): State<LlmChannel>,
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

/// Starts a mock LLM answering after `llm_latency` and a serving layer in
/// front of it, has [`load_test`] send `connections` questions at once, and
/// stops both. The mock LLM and the clients run on the current runtime; the
/// serving layer on its own thread.
pub async fn serve_under_load(
    connections: usize,
    llm_latency: Duration,
) -> anyhow::Result<LoadReport> {
    let llm = MockLlm {
        latency: llm_latency,
        ..MockLlm::default()
    }
    .start()
    .await?;
    let serving = ServingLayer::start(llm.addr())?;
    let report = load_test(serving.addr(), connections).await;
    // Joins the serving layer's thread, which closes its connection to the
    // LLM; only then can the LLM's shutdown finish.
    drop(serving);
    llm.shutdown().await;
    Ok(report)
}
