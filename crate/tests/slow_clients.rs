//! Case 1 of the reliability tests: 2,000 clients that send a request head
//! one byte per second, and 50 that connect and send nothing. While they are
//! all connected, `GET /health` on fresh connections keeps answering fast;
//! then the server closes every one of them after its header-read timeout.
//!
//! The mock LLM runs in a child process (this binary run again), so the
//! clients' 2,000 tasks do not share its runtime, as with a real server.

mod common;

use async_walkthrough::http::HEADER_READ_TIMEOUT;
use async_walkthrough::llm::MockLlm;
use common::*;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SLOW_CLIENTS: usize = 2_000;
const SILENT_CLIENTS: usize = 50;
/// The goal for `/health` while the slow clients are connected.
const HEALTH_GOAL: Duration = Duration::from_millis(50);
/// How long after the timeout the last slow connection may be closed: the
/// server has 2,050 timers firing within the same second, on a shared
/// machine.
const CLOSE_MARGIN: Duration = Duration::from_secs(5);

/// A head long enough that it cannot arrive within the timeout at one byte
/// a second.
fn slow_head() -> Vec<u8> {
    let head = format!(
        "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: {}\r\n\r\n",
        "p".repeat(2 * HEADER_READ_TIMEOUT.as_secs() as usize)
    );
    head.into_bytes()
}

/// Dribbles the head one byte a second; returns when the server closed the
/// connection, measured from the connection's start, and whether the server
/// answered anything first. Gives up (returns `None`) after three times the
/// timeout.
async fn dribble(mut stream: TcpStream, head: &[u8]) -> Option<(Duration, bool)> {
    let start = Instant::now();
    let mut answered = false;
    let mut buffer = [0u8; 512];
    for byte in head.iter().cycle() {
        if start.elapsed() > 3 * HEADER_READ_TIMEOUT {
            return None;
        }
        if stream.write_all(&[*byte]).await.is_err() {
            return Some((start.elapsed(), answered));
        }
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return Some((start.elapsed(), answered)),
            Ok(Ok(_)) => answered = true,
            Err(_) => {} // nothing yet: next byte
        }
    }
    None
}

/// Connects and sends nothing; returns when the server closed it.
async fn stay_silent(mut stream: TcpStream) -> Option<Duration> {
    let start = Instant::now();
    let mut buffer = [0u8; 64];
    match tokio::time::timeout(3 * HEADER_READ_TIMEOUT, stream.read(&mut buffer)).await {
        Ok(Ok(0) | Err(_)) => Some(start.elapsed()),
        _ => None,
    }
}

#[test]
fn slow_clients_are_timed_out_while_health_stays_fast() {
    if std::env::var(CHILD_ROLE).is_ok() {
        return serve_mock_llms(vec![MockLlm {
            latency: Duration::from_millis(50),
            ..MockLlm::default()
        }]);
    }
    let server = ServerChild::start(
        "slow_clients_are_timed_out_while_health_stays_fast",
        "mock-llm",
        1,
    );
    let addr = server.addrs[0];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(run(addr));
    drop(server);
}

async fn run(addr: SocketAddr) {
    let head = slow_head();
    let start = Instant::now();
    let mut slow = tokio::task::JoinSet::new();
    for _ in 0..SLOW_CLIENTS {
        let stream = TcpStream::connect(addr)
            .await
            .expect("a slow client connects");
        let head = head.clone();
        slow.spawn(async move { dribble(stream, &head).await });
    }
    let mut silent = tokio::task::JoinSet::new();
    for _ in 0..SILENT_CLIENTS {
        let stream = TcpStream::connect(addr)
            .await
            .expect("a silent client connects");
        silent.spawn(stay_silent(stream));
    }
    let connected_after = start.elapsed();

    // Probe while every slow client is surely still held: until half a
    // second before the first could time out.
    let mut latencies = Vec::new();
    let mut failures = 0;
    while start.elapsed() + Duration::from_millis(500) < HEADER_READ_TIMEOUT {
        match health_latency(addr, Duration::from_secs(2)).await {
            Some(latency) => latencies.push(latency),
            None => failures += 1,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut closed_after = Vec::new();
    let mut answered = 0;
    while let Some(result) = slow.join_next().await {
        let (after, got_answer) = result
            .unwrap()
            .expect("the server closed the slow connection");
        closed_after.push(after);
        answered += usize::from(got_answer);
    }
    let mut silent_closed = Vec::new();
    while let Some(result) = silent.join_next().await {
        silent_closed.push(
            result
                .unwrap()
                .expect("the server closed the silent connection"),
        );
    }
    let after_all = health_latency(addr, Duration::from_secs(2)).await;

    latencies.sort();
    closed_after.sort();
    silent_closed.sort();
    figure(
        "1 slow clients",
        format!(
            "{SLOW_CLIENTS} slow + {SILENT_CLIENTS} silent connections open after {:.2} s; \
             GET /health over {} probes: median {}, p90 {}, p99 {}, max {}, {failures} failed; \
             slow connections closed after {:.2} s (first) / {:.2} s (median) / {:.2} s (last), \
             silent ones after {:.2} s / {:.2} s; header-read timeout {} s; {}",
            connected_after.as_secs_f64(),
            latencies.len(),
            ms(quantile(&latencies, 0.5)),
            ms(quantile(&latencies, 0.9)),
            ms(quantile(&latencies, 0.99)),
            ms(*latencies.last().unwrap()),
            closed_after[0].as_secs_f64(),
            quantile(&closed_after, 0.5).as_secs_f64(),
            closed_after.last().unwrap().as_secs_f64(),
            silent_closed[0].as_secs_f64(),
            silent_closed.last().unwrap().as_secs_f64(),
            HEADER_READ_TIMEOUT.as_secs(),
            machine_state(),
        ),
    );
    assert!(latencies.len() >= 100, "only {} probes", latencies.len());
    assert_eq!(
        failures, 0,
        "health probes failed while the slow clients were connected"
    );
    assert!(
        quantile(&latencies, 0.9) < HEALTH_GOAL,
        "p90 of /health {} over the {} goal",
        ms(quantile(&latencies, 0.9)),
        ms(HEALTH_GOAL)
    );
    assert_eq!(
        answered, 0,
        "a slow head was answered before it was complete"
    );
    for closed in closed_after.iter().chain(&silent_closed) {
        assert!(
            *closed + Duration::from_millis(100) >= HEADER_READ_TIMEOUT
                && *closed <= HEADER_READ_TIMEOUT + CLOSE_MARGIN,
            "a connection closed after {closed:?}, not at the {HEADER_READ_TIMEOUT:?} timeout"
        );
    }
    assert!(
        after_all.is_some(),
        "the server answers after the slow clients"
    );
}
