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
//! Also like wrk, a client writes a request prepared in advance and reads the
//! answer with a plain HTTP/1.1 response parser (`httparse`, hyper's own),
//! rather than through an HTTP client library. The clients share the machine
//! with the server they measure, so their cost per request counts: hyper's
//! client drives each connection from a second task and gives it 16 KiB of
//! buffers, and with 5,000 clients that took a fifth of the clients' core
//! while the requests went out. (reqwest, the crate's client elsewhere,
//! cannot open a connection without sending a request on it.)

use crate::notebook::display::{NotebookDisplay, emit_to_notebook};
use crate::serving::layer::{Answer, Question};
use crate::timing::stopwatch::python_seconds;
use anyhow::{Context, bail};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Barrier;
use tokio::time::Instant;

/// The largest answer a client accepts: the serving layer's answers are a
/// few hundred bytes.
const MAX_ANSWER: usize = 64 * 1024;

/// Header lines a client parses in an answer; the serving layer sends three.
const MAX_HEADERS: usize = 16;

/// What a load test measured.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// let report = LoadReport {
///     connections: 2,
///     wall_s: 0.5,
///     p50_ms: 250.0,
///     p99_ms: 500.0,
///     errors: 0,
///     connect_s: 0.01,
/// };
/// assert_eq!(
///     report.to_string(),
///     "2 clients, 0 errors: all answered 0.5 s after sending\n\
///      latency p50 0.25 s, p99 0.5 s\n\
///      (the connections were opened beforehand, in 0.01 s)"
/// );
/// ```
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

impl NotebookDisplay for LoadReport {
    /// Shows the report in words.
    fn evcxr_display(&self) {
        emit_to_notebook(&[("text/plain", &self.to_string())]);
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

/// Opens `connections` connections to the serving layer at `addr`, then has
/// each send `POST /ask` at once, and measures every answer's latency. Each
/// client is its own task on the current runtime.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> anyhow::Result<()> {
/// let llm = MockLlm { latency: Duration::from_millis(10), ..MockLlm::default() }.start().await?;
/// let serving = ServingLayer::start(llm.addr())?;
/// let report = load_test(serving.addr(), 5).await;
/// assert_eq!((report.connections, report.errors), (5, 0));
/// drop(serving);
/// llm.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[must_use = "the report is what the load test measured"]
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
    drop(open_connections);
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

async fn open(addr: SocketAddr) -> anyhow::Result<TcpStream> {
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// The bytes of client `n`'s `POST /ask` request.
fn question_request(addr: SocketAddr, n: usize) -> anyhow::Result<Vec<u8>> {
    let body = serde_json::to_string(&Question {
        question: format!("question {n}"),
    })?;
    Ok(format!(
        "POST /ask HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes())
}

/// Sends one question on its own connection; when its answer came, its
/// latency, and the connection, still open.
async fn ask(
    mut connection: TcpStream,
    addr: SocketAddr,
    request: Vec<u8>,
) -> anyhow::Result<(Instant, Duration, TcpStream)> {
    let context = || format!("POST http://{addr}/ask");
    let sent = Instant::now();
    connection.write_all(&request).await.with_context(context)?;
    let (status, body) = read_answer(&mut connection).await.with_context(context)?;
    let answered = Instant::now();
    if !(200..300).contains(&status) {
        bail!(
            "POST http://{addr}/ask: status {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let _: Answer = serde_json::from_slice(&body)
        .with_context(|| format!("POST http://{addr}/ask: reading the JSON answer"))?;
    Ok((answered, answered - sent, connection))
}

/// Reads one HTTP/1.1 answer with a `content-length`: its status and body.
async fn read_answer(connection: &mut TcpStream) -> anyhow::Result<(u16, Vec<u8>)> {
    let mut received = Vec::with_capacity(512);
    loop {
        if received.len() >= MAX_ANSWER {
            bail!("the answer is over {MAX_ANSWER} bytes");
        }
        let read = connection
            .read_buf(&mut received)
            .await
            .context("reading the answer")?;
        if read == 0 {
            bail!("the connection closed before the answer was complete");
        }
        if let Some((status, body)) = complete_answer(&received)? {
            return Ok((status, body.to_vec()));
        }
    }
}

/// The status and body of the answer in `received`, or `None` if more of it
/// is still to come.
fn complete_answer(received: &[u8]) -> anyhow::Result<Option<(u16, &[u8])>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head_len) = response
        .parse(received)
        .context("parsing the answer's head")?
    else {
        return Ok(None);
    };
    let status = response.code.context("the answer has no status")?;
    let length = response
        .headers
        .iter()
        .find(|header| header.name.eq_ignore_ascii_case("content-length"))
        .context("the answer has no content-length")?;
    let length: usize = std::str::from_utf8(length.value)
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .context("the answer's content-length is not a number")?;
    Ok(received[head_len..]
        .get(..length)
        .map(|body| (status, body)))
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
    fn reads_an_answer_only_once_it_is_complete() {
        let answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                       Content-Length: 13\r\n\r\n{\"answer\":\"\"}";
        for cut in 0..answer.len() {
            assert_eq!(
                complete_answer(&answer[..cut]).unwrap(),
                None,
                "cut at {cut}"
            );
        }
        assert_eq!(
            complete_answer(answer).unwrap(),
            Some((200, &b"{\"answer\":\"\"}"[..]))
        );
    }

    #[test]
    fn names_what_is_wrong_with_a_bad_answer() {
        let problems = [
            (
                &b"HTTP/1.1 200 OK\r\n\r\n"[..],
                "the answer has no content-length",
            ),
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: many\r\n\r\n",
                "the answer's content-length is not a number",
            ),
            (b"SMTP ready\r\n\r\n", "parsing the answer's head"),
        ];
        for (answer, problem) in problems {
            let error = complete_answer(answer).unwrap_err();
            assert_eq!(error.to_string(), problem);
        }
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let latencies: Vec<_> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&latencies, 0.50), 50.0);
        assert_eq!(percentile_ms(&latencies, 0.99), 99.0);
        assert_eq!(percentile_ms(&[Duration::from_millis(7)], 0.99), 7.0);
        assert_eq!(percentile_ms(&[], 0.5), 0.0);
    }
}
