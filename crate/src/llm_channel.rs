//! [`LlmChannel`]: completions over one HTTP/2 connection to the LLM, for a
//! server that holds thousands of requests at once.
//!
//! The serving layer calls the LLM once per request it holds. Over HTTP/1.1
//! every call in flight needs a connection of its own, and a file descriptor
//! at each end: 5,000 requests held would mean 20,000 descriptors with the
//! clients' connections, the whole budget of the benchmark's process. Over
//! HTTP/2 the calls are streams of one connection.
//!
//! It speaks hyper's HTTP/2 client directly rather than going through
//! [`LlmClient`](crate::LlmClient) (reqwest): on the serving layer's single
//! thread, reqwest's per-request work (parsing the URL, checking out a pooled
//! connection, its middleware) was a large share of each call's cost.

use crate::api_error::ErrorBody;
use crate::llm_client::HttpStatusError;
use crate::mock_llm::{Completion, CompletionRequest};
use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::net::SocketAddr;
use tokio::net::TcpStream;

/// One HTTP/2 connection to an LLM server. Cloning it is cheap: clones send
/// their requests as further streams of the same connection.
#[derive(Debug, Clone)]
pub struct LlmChannel {
    sender: http2::SendRequest<Full<Bytes>>,
    addr: SocketAddr,
}

impl LlmChannel {
    /// Connects to the LLM server at `addr` (HTTP/2 without TLS). The
    /// connection is driven by a task on the current runtime, which ends when
    /// the last clone of the channel is dropped or the runtime stops.
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to the LLM at {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .with_context(|| format!("HTTP/2 handshake with the LLM at {addr}"))?;
        tokio::spawn(async move {
            // A broken connection fails the requests on it; they report it.
            let _ = connection.await;
        });
        Ok(Self { sender, addr })
    }

    /// Asks for a completion of `prompt` and waits for the whole answer.
    pub async fn complete(&self, prompt: &str, max_tokens: u32) -> anyhow::Result<Completion> {
        let url = format!("http://{}/v1/completions", self.addr);
        let body = serde_json::to_vec(&CompletionRequest {
            prompt: prompt.to_owned(),
            max_tokens,
            stream: false,
        })?;
        let request = hyper::Request::post(&url)
            .header(HOST, self.addr.to_string())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))?;
        let response = self
            .sender
            .clone()
            .send_request(request)
            .await
            .with_context(|| format!("POST {url}"))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .with_context(|| format!("POST {url}: reading the answer"))?
            .to_bytes();
        if !status.is_success() {
            let message = serde_json::from_slice::<ErrorBody>(&body)
                .map(|body| body.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).into_owned());
            let error = HttpStatusError { status, message };
            return Err(anyhow::Error::new(error).context(format!("POST {url}")));
        }
        serde_json::from_slice(&body)
            .with_context(|| format!("POST {url}: reading the JSON answer"))
    }
}
