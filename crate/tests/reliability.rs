//! Cases 2, 4 and 5 of the reliability tests, against the mock LLM served in
//! this process: clients that vanish, garbage of every kind (with property
//! tests over random bytes and random JSON), and shutdown with requests in
//! flight. Clients speak raw HTTP/1.1 over TCP, so they spawn no task of
//! their own and the runtime's count of live tasks is the server's.

mod common;

use async_walkthrough::http::{BODY_READ_TIMEOUT, MAX_HEADER_BYTES, SHUTDOWN_GRACE};
use async_walkthrough::llm::*;
use common::*;
use proptest::prelude::*;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn quick() -> MockLlm {
    MockLlm {
        latency: Duration::from_millis(1),
        token_delay: Duration::from_millis(1),
        stages: StageLatencies {
            embedding: Duration::from_millis(1),
            search: Duration::from_millis(1),
            lookup: Duration::from_millis(1),
        },
        faults: Faults::NONE,
        ..MockLlm::default()
    }
}

/// Tasks alive on the current runtime: the server's accept task and one per
/// connection (the tests' clients spawn none).
fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Polls `condition` every millisecond for up to `limit`; returns how long
/// it took to hold, or `None`.
async fn within(limit: Duration, mut condition: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if condition() {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    None
}

async fn still_serves(addr: SocketAddr) {
    assert!(
        health_latency(addr, Duration::from_secs(5)).await.is_some(),
        "the server stopped answering /health"
    );
}

// --- case 2: vanishing clients ------------------------------------------

#[tokio::test]
async fn a_client_that_leaves_before_a_slow_answer_stops_its_request() {
    // The answer would take 30 s: the request can only end sooner by being
    // dropped.
    let llm = MockLlm {
        latency: Duration::from_secs(30),
        ..quick()
    }
    .start()
    .await
    .unwrap();
    let idle = alive_tasks();
    let mut stream = TcpStream::connect(llm.addr()).await.unwrap();
    let body = r#"{"model": "mock-llm", "prompt": "are you there?", "max_tokens": 3}"#;
    stream
        .write_all(&post_json("/v1/completions", body))
        .await
        .unwrap();
    within(Duration::from_secs(5), || llm.stats().in_flight == 1)
        .await
        .expect("the request reaches its handler");
    assert_eq!(alive_tasks(), idle + 1, "one task for the connection");
    drop(stream);
    let stopped = within(Duration::from_secs(10), || {
        llm.stats().in_flight == 0 && alive_tasks() == idle
    })
    .await;
    figure(
        "2 vanishing clients",
        format!(
            "client gone before a 30 s answer: in-flight gauge back to 0 and the \
             connection's task gone after {}",
            stopped.map_or("never (10 s)".into(), ms)
        ),
    );
    assert!(
        stopped.is_some(),
        "the request went on after its client left"
    );
    still_serves(llm.addr()).await;
    assert_eq!(llm.stats().requests, 1);
    llm.shutdown().await;
}

#[tokio::test]
async fn a_client_that_leaves_mid_stream_stops_its_stream() {
    // A thousand tokens 20 ms apart: 20 s if nobody stopped it.
    let llm = MockLlm {
        token_delay: Duration::from_millis(20),
        ..quick()
    }
    .start()
    .await
    .unwrap();
    let idle = alive_tasks();
    let mut stream = TcpStream::connect(llm.addr()).await.unwrap();
    let body =
        r#"{"model": "mock-llm", "prompt": "tell me more", "max_tokens": 1000, "stream": true}"#;
    stream
        .write_all(&post_json("/v1/completions", body))
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    while received.windows(5).filter(|w| w == b"data:").count() < 3 {
        let read = stream.read(&mut chunk).await.unwrap();
        assert!(read > 0, "the stream ended early");
        received.extend_from_slice(&chunk[..read]);
    }
    assert_eq!(llm.stats().in_flight, 1);
    drop(stream);
    let stopped = within(Duration::from_secs(10), || {
        llm.stats().in_flight == 0 && alive_tasks() == idle
    })
    .await;
    figure(
        "2 vanishing clients",
        format!(
            "client gone after 3 of 1,000 streamed tokens: gauge back to 0 and task gone after {}",
            stopped.map_or("never (10 s)".into(), ms)
        ),
    );
    assert!(
        stopped.is_some(),
        "the stream went on after its client left"
    );
    still_serves(llm.addr()).await;
    llm.shutdown().await;
}

// --- case 4: garbage ---------------------------------------------------------

/// A repeatable stream of bytes (xorshift), so a failure can be replayed.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// Sends `request`, half-closes (so the server is not left waiting for more
/// bytes) and reads what comes back.
async fn send_and_finish(addr: SocketAddr, request: &[u8]) -> Option<Outcome> {
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let _ = stream.write_all(request).await;
        let _ = stream.shutdown().await;
        Some(read_outcome(&mut stream).await)
    })
    .await
    .ok()
    .flatten()
}

fn is_4xx_or_closed(outcome: Option<Outcome>) -> bool {
    matches!(
        outcome,
        Some(Outcome::Closed) | Some(Outcome::Status(400..=499))
    )
}

#[tokio::test]
async fn garbage_gets_a_4xx_or_a_closed_connection() {
    let llm = quick().start().await.unwrap();
    let big_head = format!(
        "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {}\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    let mut h2_junk = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    h2_junk.extend(noise(2, 1024));
    let cut_body =
        b"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"prompt\": \"cut"
            .to_vec();
    let invalid_utf8 = {
        let mut body = b"{\"prompt\": \"".to_vec();
        body.extend([0xff, 0xfe, 0xc3, 0x28]);
        body.extend(b"\", \"max_tokens\": 3}");
        let mut request = format!(
            "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend(body);
        request
    };
    let nested = format!(
        "{{\"prompt\": {}, \"max_tokens\": 3}}",
        "[".repeat(100_000) + &"]".repeat(100_000)
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("4 KiB of random bytes", noise(1, 4096)),
        ("random bytes after a request line", {
            let mut request = b"POST /v1/completions HTTP/1.1\r\n".to_vec();
            request.extend(noise(3, 4096));
            request
        }),
        ("an HTTP/2 preface, then junk", h2_junk),
        ("a body cut short of its Content-Length", cut_body),
        ("a bare newline flood", b"\r\n".repeat(40_000)),
        ("a 100 KiB request head", big_head.into_bytes()),
        ("invalid UTF-8 in a JSON body", invalid_utf8),
        (
            "JSON nested 100,000 deep",
            post_json("/v1/completions", &nested),
        ),
    ];
    let mut report = Vec::new();
    for (index, (name, request)) in cases.iter().enumerate() {
        // The last three are whole requests: they are sent as a client would
        // and the connection kept open. The others end with a half-close, so
        // that the server is not left waiting for the rest of a head.
        let outcome = if index + 3 >= cases.len() {
            send_raw(llm.addr(), request, Duration::from_secs(5)).await
        } else {
            send_and_finish(llm.addr(), request).await
        };
        report.push(format!("{name}: {outcome:?}"));
        assert!(
            is_4xx_or_closed(outcome),
            "{name}: got {outcome:?}, not a 4xx or a closed connection"
        );
        still_serves(llm.addr()).await;
    }
    figure(
        "4 garbage",
        format!("{} (head limit {MAX_HEADER_BYTES} B)", report.join("; ")),
    );
    assert_eq!(llm.stats().in_flight, 0);
    llm.shutdown().await;
}

/// A client that announces a body and stops sending it, with its connection
/// left open, is answered 400 once the body has stalled for
/// [`BODY_READ_TIMEOUT`].
#[tokio::test]
async fn a_stalled_body_is_answered_after_the_body_timeout() {
    let llm = quick().start().await.unwrap();
    let mut stream = TcpStream::connect(llm.addr()).await.unwrap();
    stream
        .write_all(
            b"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"prompt\"",
        )
        .await
        .unwrap();
    let start = Instant::now();
    let outcome = tokio::time::timeout(BODY_READ_TIMEOUT * 2, read_outcome(&mut stream)).await;
    let waited = start.elapsed();
    figure(
        "4 garbage",
        format!(
            "a body stalled with the connection open: {outcome:?} after {:.2} s (body timeout {} s)",
            waited.as_secs_f64(),
            BODY_READ_TIMEOUT.as_secs()
        ),
    );
    assert!(
        is_4xx_or_closed(outcome.as_ref().ok().copied()),
        "{outcome:?}"
    );
    assert!(waited + Duration::from_millis(100) >= BODY_READ_TIMEOUT);
    still_serves(llm.addr()).await;
    llm.shutdown().await;
}

/// Runs a property test's cases against one server on one runtime.
struct Target {
    runtime: tokio::runtime::Runtime,
    llm: MockLlmServer,
}

impl Target {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let llm = runtime.block_on(quick().start()).unwrap();
        Self { runtime, llm }
    }
}

/// An HTTP/1.1 request line and headers followed by random bytes, or random
/// bytes alone.
fn request_bytes() -> impl Strategy<Value = Vec<u8>> {
    let prefix = prop_oneof![
        Just(Vec::new()),
        Just(b"GET /health HTTP/1.1\r\n".to_vec()),
        Just(
            b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                .to_vec()
        ),
    ];
    (prefix, prop::collection::vec(any::<u8>(), 0..2048)).prop_map(|(mut prefix, tail)| {
        prefix.extend(tail);
        prefix
    })
}

/// Any JSON value, nested up to four deep; objects with the routes' own keys
/// holding values of any type; and bodies of the routes' own shape.
fn json_body() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,40}".prop_map(serde_json::Value::from),
    ];
    let any_value = leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::from),
            prop::collection::btree_map(".{0,12}", inner, 0..8)
                .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    });
    let keys = prop::sample::select(vec![
        "prompt",
        "max_tokens",
        "stream",
        "input",
        "query",
        "top_k",
        "key",
    ]);
    // Bodies of the right shape with values in and out of range, so that
    // the handlers run too, not only the extractors.
    let well_typed = (".{0,40}", -5i64..1100, any::<bool>(), 0i64..20).prop_map(
        |(text, number, stream, top_k)| {
            serde_json::json!({
                "prompt": text, "max_tokens": number, "stream": stream,
                "input": text, "query": text, "top_k": top_k, "key": text,
            })
        },
    );
    prop_oneof![
        well_typed,
        any_value.clone(),
        prop::collection::btree_map(keys, any_value, 0..5).prop_map(|map| {
            serde_json::Value::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
        }),
    ]
}

/// The property tests' cases: proptest's default number is 256; 64 keep the
/// two tests near a second while still trying varied inputs (each failure is
/// shrunk and reported with its input).
const CASES: u32 = 64;

/// Runs `strategy`'s cases through `test` and returns how many ended in each
/// outcome, for the printed figure.
fn run_cases<S: Strategy>(
    strategy: S,
    test: impl Fn(S::Value) -> Result<Option<Outcome>, TestCaseError>,
) -> std::collections::BTreeMap<String, usize> {
    let tally = std::cell::RefCell::new(std::collections::BTreeMap::new());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&strategy, |value| {
        let outcome = test(value)?;
        let key = match outcome {
            Some(Outcome::Status(status)) => status.to_string(),
            Some(Outcome::Closed) => "closed".into(),
            None => "no answer".into(),
        };
        *tally.borrow_mut().entry(key).or_insert(0) += 1;
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    tally.into_inner()
}

fn tally_text(tally: &std::collections::BTreeMap<String, usize>) -> String {
    tally
        .iter()
        .map(|(outcome, count)| format!("{count} x {outcome}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whatever bytes arrive, the answer is never a 5xx, the exchange ends, and
/// `/health` still answers.
#[test]
fn random_request_bytes_never_break_the_server() {
    let target = Target::start();
    let addr = target.llm.addr();
    let tally = run_cases(request_bytes(), |request| {
        let (outcome, healthy) = target.runtime.block_on(async {
            let outcome = send_and_finish(addr, &request).await;
            let healthy = health_latency(addr, Duration::from_secs(5)).await.is_some();
            (outcome, healthy)
        });
        prop_assert!(
            matches!(
                outcome,
                Some(Outcome::Closed) | Some(Outcome::Status(200..=499))
            ),
            "{outcome:?}"
        );
        prop_assert!(healthy, "/health failed after this request");
        Ok(outcome)
    });
    figure(
        "4 garbage",
        format!(
            "proptest, {CASES} random requests: {}; /health answered after each",
            tally_text(&tally)
        ),
    );
}

/// Whatever JSON is posted to a model route, the answer is a success or a
/// 4xx, never a 5xx or silence.
#[test]
fn random_json_bodies_get_an_answer_or_a_4xx() {
    let target = Target::start();
    let addr = target.llm.addr();
    let paths = prop::sample::select(vec![
        "/v1/completions",
        "/v1/embeddings",
        "/v1/search",
        "/v1/lookup",
    ]);
    let tally = run_cases((json_body(), paths), |(body, path)| {
        let request = post_json(path, &body.to_string());
        let outcome = target
            .runtime
            .block_on(send_raw(addr, &request, Duration::from_secs(5)));
        prop_assert!(
            matches!(outcome, Some(Outcome::Status(200 | 400..=499))),
            "{path} {body}: {outcome:?}"
        );
        Ok(outcome)
    });
    figure(
        "4 garbage",
        format!(
            "proptest, {CASES} random JSON bodies: {}",
            tally_text(&tally)
        ),
    );
}

// --- case 5: shutdown with requests in flight --------------------------------

/// Reads a server-sent event stream to its end; returns the events and
/// whether `[DONE]` came.
async fn read_stream(mut stream: TcpStream) -> (usize, bool) {
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(read @ 1..) = stream.read(&mut chunk).await {
        received.extend_from_slice(&chunk[..read]);
    }
    let events = received.windows(5).filter(|w| w == b"data:").count();
    let done = received.windows(6).any(|w| w == b"[DONE]");
    (events, done)
}

#[tokio::test]
async fn shutdown_lets_short_requests_finish_and_cuts_the_rest_within_the_grace() {
    // A completion takes 300 ms; a streamed one sends a token a second, a
    // thousand of them.
    let llm = MockLlm {
        latency: Duration::from_millis(300),
        token_delay: Duration::from_secs(1),
        ..quick()
    }
    .start()
    .await
    .unwrap();
    let addr = llm.addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let body =
        r#"{"model": "mock-llm", "prompt": "a long story", "max_tokens": 1000, "stream": true}"#;
    stream
        .write_all(&post_json("/v1/completions", body))
        .await
        .unwrap();
    let streaming = tokio::spawn(read_stream(stream));
    within(Duration::from_secs(5), || llm.stats().in_flight == 1)
        .await
        .unwrap();
    let short = tokio::spawn(async move {
        let request = post_json(
            "/v1/completions",
            r#"{"model": "mock-llm", "prompt": "short", "max_tokens": 2}"#,
        );
        send_raw(addr, &request, Duration::from_secs(30)).await
    });
    // A kept-alive connection that has had its answer and a client halfway
    // through a request head.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_outcome(&mut idle).await, Outcome::Status(200));
    let idle = tokio::spawn(async move {
        let start = Instant::now();
        let mut buffer = [0u8; 64];
        let _ = idle.read(&mut buffer).await;
        start.elapsed()
    });
    let mut halfway = TcpStream::connect(addr).await.unwrap();
    halfway.write_all(b"GET /heal").await.unwrap();
    let halfway = tokio::spawn(async move { read_outcome(&mut halfway).await });
    within(Duration::from_secs(5), || llm.stats().in_flight == 2)
        .await
        .unwrap();

    let start = Instant::now();
    llm.shutdown().await;
    let took = start.elapsed();
    let short = short.await.unwrap();
    let (events, done) = streaming.await.unwrap();
    let idle_closed_after = idle.await.unwrap();
    let halfway = halfway.await.unwrap();
    // Let the runtime drop the finished client tasks before counting.
    tokio::task::yield_now().await;
    let left = alive_tasks();
    figure(
        "5 shutdown",
        format!(
            "shutdown took {:.2} s (grace {} s): 300 ms completion {short:?}; 1,000-token \
             stream cut after {events} events; idle kept-alive connection closed after {}; \
             half-sent head {halfway:?}; tasks left {left}",
            took.as_secs_f64(),
            SHUTDOWN_GRACE.as_secs(),
            ms(idle_closed_after),
        ),
    );
    assert_eq!(
        short,
        Some(Outcome::Status(200)),
        "the short request finished"
    );
    assert!(!done, "the stream was cut, not finished");
    assert_eq!(halfway, Outcome::Closed);
    assert!(
        took + Duration::from_millis(100) >= SHUTDOWN_GRACE,
        "the stream should hold shutdown for the grace period, it took {took:?}"
    );
    assert!(
        took <= SHUTDOWN_GRACE + Duration::from_secs(2),
        "shutdown overran its {SHUTDOWN_GRACE:?} grace: {took:?}"
    );
    assert_eq!(left, 0, "a task outlived the server");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the port still accepts"
    );
}

#[tokio::test]
async fn dropping_the_server_cuts_its_requests_at_once() {
    let llm = MockLlm {
        latency: Duration::from_secs(30),
        ..quick()
    }
    .start()
    .await
    .unwrap();
    let addr = llm.addr();
    let waiting = tokio::spawn(async move {
        let request = post_json(
            "/v1/completions",
            r#"{"model": "mock-llm", "prompt": "wait", "max_tokens": 2}"#,
        );
        send_raw(addr, &request, Duration::from_secs(30)).await
    });
    within(Duration::from_secs(5), || llm.stats().in_flight == 1)
        .await
        .unwrap();
    let start = Instant::now();
    drop(llm);
    let outcome = waiting.await.unwrap();
    let cut_after = start.elapsed();
    let gone = within(Duration::from_secs(5), || alive_tasks() == 0).await;
    figure(
        "5 shutdown",
        format!(
            "dropped handle: the 30 s request was cut ({outcome:?}) after {}, every task gone after {}",
            ms(cut_after),
            gone.map_or("never (5 s)".into(), ms)
        ),
    );
    assert_eq!(outcome, Some(Outcome::Closed));
    assert!(gone.is_some(), "a task outlived the dropped server");
}
