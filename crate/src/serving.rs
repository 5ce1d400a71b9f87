//! The serving layer: the post's "FastAPI-style" endpoint in front of an LLM,
//! on one thread, and [`load_test`], which measures how many concurrent
//! requests it carries.
//!
//! [`ServingLayer`] runs an axum app on a *current-thread* tokio runtime in a
//! thread of its own: every request it holds is a future on that one thread.
//! Its handler awaits the LLM, so while thousands of requests wait for their
//! answers, the thread is idle, not blocked, and a request costs only the
//! memory of its future. The LLM is called over HTTP/2, so all those calls
//! share one connection (see [`LlmClient::multiplexed`]).
//!
//! The thread is stopped and joined when the handle is dropped.

use crate::api_error::{ApiError, BODY_LIMIT, method_not_allowed, not_found};
use crate::llm_client::LlmClient;
use crate::loopback::LoopbackServer;
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
use tokio::time::Instant;

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
    /// asking the LLM at `llm_url`.
    pub fn start(llm_url: &str) -> anyhow::Result<Self> {
        let llm = LlmClient::multiplexed(llm_url);
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
                    match LoopbackServer::start(router(llm)).await {
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

fn router(llm: LlmClient) -> Router {
    Router::new()
        .route("/ask", post(ask))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(llm)
}

async fn ask(
    State(llm): State<LlmClient>,
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

/// What a load test measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadReport {
    /// How many requests were sent at once, each on its own connection.
    pub connections: usize,
    /// From the first request sent to the last answer, in seconds.
    pub wall_s: f64,
    /// The median time from sending a request to its answer, in ms.
    pub p50_ms: f64,
    /// The 99th percentile of that time, in ms.
    pub p99_ms: f64,
    /// Requests that failed or got an error answer.
    pub errors: usize,
}

/// Sends `connections` questions to the serving layer at `url` at once, each
/// as its own task on the current runtime and its own connection, and
/// measures each one's latency.
pub async fn load_test(url: &str, connections: usize) -> LoadReport {
    // HTTP/1.1: with every request in flight at once, none can reuse another's
    // connection, so each is a client of its own, as in the benchmark's goal.
    let client = LlmClient::new(url);
    let started = Instant::now();
    let requests: Vec<_> = (0..connections)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move {
                let sent = Instant::now();
                let question = Question {
                    question: format!("question {n}"),
                };
                let answer: anyhow::Result<Answer> = client.post("/ask", &question).await;
                answer.map(|_| sent.elapsed())
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(connections);
    let mut errors = 0;
    for request in requests {
        match request.await {
            Ok(Ok(latency)) => latencies.push(latency),
            _ => errors += 1,
        }
    }
    let wall = started.elapsed();
    latencies.sort_unstable();
    LoadReport {
        connections,
        wall_s: wall.as_secs_f64(),
        p50_ms: percentile_ms(&latencies, 0.50),
        p99_ms: percentile_ms(&latencies, 0.99),
        errors,
    }
}

/// The `share` percentile of sorted `latencies` (nearest rank), in ms; 0 for
/// none.
fn percentile_ms(latencies: &[Duration], share: f64) -> f64 {
    if latencies.is_empty() {
        return 0.0;
    }
    let rank = (share * latencies.len() as f64).ceil() as usize;
    latencies[rank.clamp(1, latencies.len()) - 1].as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let latencies: Vec<_> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&latencies, 0.50), 50.0);
        assert_eq!(percentile_ms(&latencies, 0.99), 99.0);
        assert_eq!(percentile_ms(&[Duration::from_millis(7)], 0.99), 7.0);
        assert_eq!(percentile_ms(&[], 0.5), 0.0);
    }
}
