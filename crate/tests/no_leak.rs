//! Case 6 of the reliability tests: no leak. 100,000 requests one after
//! another, then 100,000 completions in waves of 1,000 at once, against mock
//! LLMs in a child process (this binary run again).
//!
//! A leak grows with the requests served, so each phase compares the child's
//! memory after its first 1,000 requests with its memory after all 100,000:
//! the 99,000 in between may add at most [`GROWTH_BOUND`]. (Comparing the end
//! of the concurrent phase with the start of the sequential one would instead
//! measure the buffers of 1,000 open connections.) Memory is measured twice:
//! as resident memory from `/proc` after asking glibc to return freed memory
//! (`malloc_trim`), and as the bytes the child's allocator has handed out and
//! not had back, counted by a global allocator in this binary, which no
//! allocator caching or fragmentation can blur.
//!
//! The child serves on a current-thread runtime: one thread, one malloc arena,
//! and no hand-offs between threads, which cost this debug build half its
//! time per request.

mod common;

use async_walkthrough::http::LoopbackServer;
use async_walkthrough::llm::MockLlm;
use axum::Router;
use axum::routing::get;
use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

const REQUESTS: usize = 100_000;
/// Sequential requests share a kept-alive connection, a fresh one every
/// thousand, so connections come and go too.
const PER_CONNECTION: usize = 1_000;
const WAVE: usize = 1_000;
/// 4 MiB over 99,000 requests: a leak of 43 bytes a request would exceed it.
const GROWTH_BOUND: u64 = 4 << 20;
/// 100 KiB of live heap over 99,000 requests: about one byte a request.
const HEAP_BOUND: u64 = 100 << 10;

/// Counts the heap bytes handed out and not yet freed, in the whole process.
struct Counting;

static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

// SAFETY: every call is passed straight to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The child's side: the two mock LLMs, and a third server whose `GET /heap`
/// returns glibc's freed memory to the system and answers the live heap
/// bytes.
fn serve() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // One answering at once, one after 20 ms so that each wave's
        // thousand requests are really in flight together.
        let instant = MockLlm {
            latency: Duration::ZERO,
            ..MockLlm::default()
        };
        let slow = MockLlm {
            latency: Duration::from_millis(20),
            ..MockLlm::default()
        };
        let mut servers = Vec::new();
        for config in [instant, slow] {
            let server = config.start().await.unwrap();
            announce(server.addr());
            servers.push(server);
        }
        let heap = Router::new().route(
            "/heap",
            get(|| async {
                // SAFETY: malloc_trim only releases free memory.
                unsafe { libc::malloc_trim(0) };
                LIVE_BYTES.load(Ordering::Relaxed).to_string()
            }),
        );
        let heap = LoopbackServer::start(heap).await.unwrap();
        announce(heap.addr());
        until_stdin_closes().await;
        heap.shutdown().await;
        for server in servers {
            server.shutdown().await;
        }
    });
}

/// The child's memory: resident (after trimming) and live heap bytes.
#[derive(Debug, Clone, Copy)]
struct Memory {
    rss: u64,
    heap: u64,
}

/// Measures the child's memory, once the connections it served have closed.
fn memory(heap_addr: SocketAddr, pid: u32) -> Memory {
    use std::io::{Read, Write};
    std::thread::sleep(Duration::from_millis(200));
    let mut stream = std::net::TcpStream::connect(heap_addr).unwrap();
    stream
        .write_all(b"GET /heap HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let heap = answer
        .rsplit("\r\n\r\n")
        .next()
        .and_then(|body| body.trim().parse().ok())
        .expect("the live heap bytes");
    Memory {
        rss: rss_bytes(pid),
        heap,
    }
}
const TEST: &str = "a_hundred_thousand_requests_twice_leave_memory_flat";

/// A completion of `prompt N` (ten prompts in turn: the mock LLM remembers
/// how often it saw each prompt, for its seeded faults, which is meant to
/// grow with distinct prompts).
fn completion(index: usize, max_tokens: u32) -> Vec<u8> {
    post_json(
        "/v1/completions",
        &format!(
            r#"{{"model": "mock-llm", "prompt": "prompt {}", "max_tokens": {max_tokens}}}"#,
            index % 10
        ),
    )
}

/// The length of a whole answer in `buffer`, once its head and body are in.
fn answer_length(buffer: &[u8]) -> Option<(u16, usize)> {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head) = response.parse(buffer).ok()? else {
        return None;
    };
    let length: usize = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
        .expect("a content-length");
    (buffer.len() >= head + length).then(|| (response.code.unwrap_or_default(), head + length))
}

/// Sends one request on a kept-alive connection and reads its whole answer;
/// returns its status. Blocking: the clients need no runtime, so that the
/// two cores go to the server as far as possible.
fn exchange(stream: &mut std::net::TcpStream, request: &[u8], buffer: &mut Vec<u8>) -> u16 {
    use std::io::Write;
    stream.write_all(request).expect("the request is sent");
    receive(stream, buffer)
}

/// Reads one whole answer; returns its status.
fn receive(stream: &mut std::net::TcpStream, buffer: &mut Vec<u8>) -> u16 {
    use std::io::Read;
    buffer.clear();
    let mut chunk = [0u8; 4096];
    loop {
        let read = stream.read(&mut chunk).expect("the answer arrives");
        assert!(read > 0, "the server closed a kept-alive connection");
        buffer.extend_from_slice(&chunk[..read]);
        if let Some((status, _)) = answer_length(buffer) {
            return status;
        }
    }
}

/// One request after another: `GET /health` and a completion with
/// `max_tokens` 0, rejected with 400 (OpenAI's status for a bad value) before
/// any wait, in turn. (A completion
/// that is answered waits on a timer, and tokio's timers tick by the
/// millisecond: 100,000 of them in a row would take 100 s.)
fn sequential(addr: SocketAddr, heap: SocketAddr, pid: u32) -> (Memory, Memory) {
    let health = HEALTH_KEPT_ALIVE;
    let mut buffer = Vec::new();
    let mut after_first = None;
    for connection in 0..REQUESTS / PER_CONNECTION {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        for index in 0..PER_CONNECTION {
            if index % 2 == 0 {
                assert_eq!(exchange(&mut stream, health, &mut buffer), 200);
            } else {
                let rejected = completion(index, 0);
                assert_eq!(exchange(&mut stream, &rejected, &mut buffer), 400);
            }
        }
        drop(stream);
        if connection == 0 {
            after_first = Some(memory(heap, pid));
        }
    }
    (after_first.unwrap(), memory(heap, pid))
}

const HEALTH_KEPT_ALIVE: &[u8] = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// Waves of [`WAVE`] completions at once, each answered after 20 ms, over
/// [`WAVE`] kept-alive connections that are replaced every ten waves. A wave
/// writes all its requests before it reads the first answer, so all 1,000
/// are in flight together at the server. The first wave has connections of
/// its own, closed before the memory is measured, so that both measurements
/// are taken with no connection open. Returns the memory after the first
/// wave, after the last, and after every tenth (with its 1,000 connections
/// open).
fn in_waves(addr: SocketAddr, heap: SocketAddr, pid: u32) -> (Memory, Memory, Vec<Memory>) {
    use std::io::Write;
    let mut streams: Vec<std::net::TcpStream> = Vec::new();
    let mut buffer = Vec::new();
    let mut after_first = None;
    let mut trend = Vec::new();
    for wave in 0..REQUESTS / WAVE {
        if wave % 10 == 0 || wave == 1 {
            streams.clear();
            for _ in 0..WAVE {
                let stream = std::net::TcpStream::connect(addr).unwrap();
                stream.set_nodelay(true).unwrap();
                streams.push(stream);
            }
        }
        for (index, stream) in streams.iter_mut().enumerate() {
            stream
                .write_all(&completion(index, 3))
                .expect("the request is sent");
        }
        for stream in &mut streams {
            assert_eq!(receive(stream, &mut buffer), 200);
        }
        if wave == 0 {
            streams.clear();
            after_first = Some(memory(heap, pid));
        }
        if wave % 10 == 9 {
            trend.push(memory(heap, pid));
        }
    }
    drop(streams);
    (after_first.unwrap(), memory(heap, pid), trend)
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

fn growth(phase: &str, first: Memory, last: Memory, took: Duration) -> String {
    let per_request = |a: u64, b: u64| (b as f64 - a as f64) / (REQUESTS - 1_000) as f64;
    format!(
        "{phase}: resident {} after the first 1,000, {} after 100,000 ({:+.1} B a request); \
         live heap {} -> {} ({:+.2} B a request); {:.1} s",
        mib(first.rss),
        mib(last.rss),
        per_request(first.rss, last.rss),
        kib(first.heap),
        kib(last.heap),
        per_request(first.heap, last.heap),
        took.as_secs_f64()
    )
}

#[test]
fn a_hundred_thousand_requests_twice_leave_memory_flat() {
    if std::env::var(CHILD_ROLE).is_ok() {
        return serve();
    }
    let mut server = ServerChild::start(TEST, "no-leak", 3);
    let pid = server.pid();
    let [instant, slow, heap] = server.addrs[..] else {
        panic!("three addresses");
    };
    let start = Instant::now();
    let (seq_first, seq_last) = sequential(instant, heap, pid);
    let seq_took = start.elapsed();
    let start = Instant::now();
    let (wave_first, wave_last, trend) = in_waves(slow, heap, pid);
    let waves_took = start.elapsed();
    figure(
        "6 no leak",
        format!(
            "{}; {} (with 1,000 connections open, every 10 waves: resident {}; live heap {}); {}",
            growth("one after another", seq_first, seq_last, seq_took),
            growth("waves of 1,000", wave_first, wave_last, waves_took),
            trend
                .iter()
                .map(|m| mib(m.rss))
                .collect::<Vec<_>>()
                .join(", "),
            trend
                .iter()
                .map(|m| kib(m.heap))
                .collect::<Vec<_>>()
                .join(", "),
            machine_state()
        ),
    );
    for (first, last) in [(seq_first, seq_last), (wave_first, wave_last)] {
        assert!(
            last.rss <= first.rss + GROWTH_BOUND,
            "resident memory grew from {} to {}",
            mib(first.rss),
            mib(last.rss)
        );
        assert!(
            last.heap <= first.heap + HEAP_BOUND,
            "the live heap grew from {} to {} bytes",
            first.heap,
            last.heap
        );
    }
    assert!(server.stop(Duration::from_secs(10)));
}
