//! [`load_test`]: many concurrent clients, each with its own connection,
//! asking the serving layer one question at the same moment.
//!
//! Like wrk and other load generators, it opens the connections first and
//! starts the clock when every one of them is ready; then each sends its
//! request at once. So `wall_s` measures how long the server takes to answer
//! that many requests in flight together, not how fast this machine's kernel
//! completes thousands of TCP handshakes (that time is reported apart, as
//! `connect_s`).
//!
//! It uses hyper's client directly, rather than reqwest, because reqwest
//! offers no way to open a connection without sending a request on it.

use crate::serving::{Answer, Question};
use crate::timing::python_seconds;
use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::Barrier;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// What a load test measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadReport {
    /// How many clients sent a request at once, each on its own connection.
    pub connections: usize,
    /// From the moment the requests were sent to the last answer, in seconds.
    pub wall_s: f64,
    /// The median time from sending a request to its answer, in ms.
    pub p50_ms: f64,
    /// The 99th percentile of that time, in ms.
    pub p99_ms: f64,
    /// Clients that could not connect, or whose request failed or got an
    /// error answer.
    pub errors: usize,
    /// How long opening all the connections took beforehand, in seconds.
    pub connect_s: f64,
}

impl LoadReport {
    /// Shows the report in words.
    pub fn evcxr_display(&self) {
        crate::display::emit_to_notebook(&[("text/plain", &self.to_string())]);
    }
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = |ms: f64| python_seconds(ms / 1000.0);
        writeln!(
            f,
            "{} clients, {} errors: all answered {} s after sending",
            self.connections,
            self.errors,
            python_seconds(self.wall_s)
        )?;
        writeln!(
            f,
            "latency p50 {} s, p99 {} s",
            secs(self.p50_ms),
            secs(self.p99_ms)
        )?;
        write!(
            f,
            "(the connections were opened beforehand, in {} s)",
            python_seconds(self.connect_s)
        )
    }
}

/// One client's open connection: what sends its request, and the task that
/// drives the connection until the sender is dropped.
struct OpenConnection {
    sender: http1::SendRequest<Full<Bytes>>,
    driver: JoinHandle<()>,
}

/// Opens `connections` connections to the serving layer at `addr`, then has
/// each send `POST /ask` at once, and measures every answer's latency. Each
/// client is its own task on the current runtime.
pub async fn load_test(addr: SocketAddr, connections: usize) -> LoadReport {
    let opening = Instant::now();
    let opened = spawn_all((0..connections).map(|_| open(addr))).await;
    let connect = opening.elapsed();

    // Every client builds its request, then waits at the barrier with the
    // others; the clock starts when the last one is ready, so it measures the
    // server, not the spawning of thousands of client tasks.
    let ready = opened.iter().filter(|opened| opened.is_ok()).count();
    let start_line = Arc::new(Barrier::new(ready + 1));
    let clients: Vec<_> = opened
        .into_iter()
        .enumerate()
        .filter_map(|(n, opened)| {
            let connection = opened.ok()?;
            let start_line = Arc::clone(&start_line);
            Some(tokio::spawn(async move {
                let request = question_request(addr, n)?;
                start_line.wait().await;
                ask(connection, addr, request).await
            }))
        })
        .collect();
    start_line.wait().await;
    let started = Instant::now();
    let mut requests = Vec::with_capacity(clients.len());
    for client in clients {
        requests.push(
            client
                .await
                .context("a load-test client panicked")
                .and_then(|output| output),
        );
    }

    let mut errors = connections - requests.len();
    let mut latencies = Vec::with_capacity(connections);
    let mut last_answer = started;
    let mut open_connections = Vec::with_capacity(connections);
    for request in requests {
        match request {
            Ok((answered, latency, connection)) => {
                latencies.push(latency);
                last_answer = last_answer.max(answered);
                open_connections.push(connection);
            }
            Err(_) => errors += 1,
        }
    }
    // Closing thousands of connections costs the kernel and the server real
    // work; done only now, it does not slow the answers still on their way.
    let drivers: Vec<_> = open_connections
        .into_iter()
        .map(|connection| connection.driver)
        .collect();
    for driver in drivers {
        let _ = driver.await;
    }
    let wall = last_answer - started;
    latencies.sort_unstable();
    LoadReport {
        connections,
        wall_s: wall.as_secs_f64(),
        p50_ms: percentile_ms(&latencies, 0.50),
        p99_ms: percentile_ms(&latencies, 0.99),
        errors,
        connect_s: connect.as_secs_f64(),
    }
}

/// Runs every future as its own task and returns their outputs in order; a
/// task that panicked counts as an error.
async fn spawn_all<T: Send + 'static>(
    futures: impl Iterator<Item = impl Future<Output = anyhow::Result<T>> + Send + 'static>,
) -> Vec<anyhow::Result<T>> {
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(
            task.await
                .context("a load-test client panicked")
                .and_then(|output| output),
        );
    }
    outputs
}

async fn open(addr: SocketAddr) -> anyhow::Result<OpenConnection> {
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .with_context(|| format!("HTTP/1.1 handshake with {addr}"))?;
    let driver = tokio::spawn(async move {
        // The connection's errors reach the request that was on it.
        let _ = connection.await;
    });
    Ok(OpenConnection { sender, driver })
}

/// The `POST /ask` request of client `n`.
fn question_request(addr: SocketAddr, n: usize) -> anyhow::Result<hyper::Request<Full<Bytes>>> {
    let body = serde_json::to_vec(&Question {
        question: format!("question {n}"),
    })?;
    Ok(hyper::Request::post("/ask")
        .header(HOST, addr.to_string())
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))?)
}

/// Sends one question on its own connection; when its answer came, its
/// latency, and the connection, still open.
async fn ask(
    mut connection: OpenConnection,
    addr: SocketAddr,
    request: hyper::Request<Full<Bytes>>,
) -> anyhow::Result<(Instant, Duration, OpenConnection)> {
    let sent = Instant::now();
    let response = connection
        .sender
        .send_request(request)
        .await
        .with_context(|| format!("POST http://{addr}/ask"))?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    let answered = Instant::now();
    if !status.is_success() {
        bail!(
            "POST http://{addr}/ask: {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let _: Answer = serde_json::from_slice(&body)
        .with_context(|| format!("POST http://{addr}/ask: reading the JSON answer"))?;
    Ok((answered, answered - sent, connection))
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
