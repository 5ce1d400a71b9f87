//! [`LoopbackServer`]: serves an axum [`Router`] on 127.0.0.1 and stops when
//! its handle is dropped.
//!
//! Why not `axum::serve`? Three things the notebooks and the load benchmark
//! need that it does not let us set:
//!
//! * **HTTP/2 with many streams.** The serving layer calls the mock LLM once
//!   per request it holds. With thousands of requests in flight, HTTP/1 would
//!   need a connection per call, and every connection costs a file descriptor
//!   at both ends (the benchmark process has 20,000 in all). HTTP/2 carries the
//!   calls as streams of one connection, but hyper allows only 200 concurrent
//!   streams per connection unless told otherwise; `axum::serve` cannot tell it.
//! * **A listen backlog larger than tokio's 1024**, so a burst of thousands of
//!   connections is queued by the kernel rather than refused or retried.
//! * **Shutdown from a handle**: [`LoopbackServer::shutdown`] stops accepting
//!   at once, lets requests in progress finish for up to [`SHUTDOWN_GRACE`],
//!   then cuts whatever is left; dropping the handle cuts everything at once.
//!   Either way no server or connection task outlives the cell or test that
//!   started it.
//!
//! So connections are accepted here and handed to hyper. [`LoopbackServer::start`]
//! uses hyper-util's `auto` builder, which speaks HTTP/1.1 and HTTP/2 (prior
//! knowledge) on the same port. [`LoopbackServer::start_http1`] speaks only
//! HTTP/1.1, for a server whose clients all do: `auto` learns the version from
//! a connection's first bytes, so it reads them separately and builds the
//! connection's HTTP/1 state only when the first request arrives, in the middle
//! of a burst. On the serving layer's one thread, with 5,000 requests arriving
//! at once, that extra read and lazy set-up (with the page faults of its fresh
//! buffers) were a sixth of the thread's work while the requests came in.
//!
//! # Bad clients
//!
//! A client that misbehaves costs its own connection, never the server:
//!
//! * a request head must arrive within [`HEADER_READ_TIMEOUT`] (hyper's
//!   `header_read_timeout`), so slow or silent clients do not pile up;
//!   (a client that sends only part of an HTTP/2 preface is not covered:
//!   hyper-util's version detection has no timer, and none of our clients
//!   speaks HTTP/2 that slowly);
//! * a request body must keep coming: a pause longer than
//!   [`BODY_READ_TIMEOUT`] fails the request (tower-http's body timeout);
//! * a request head larger than [`MAX_HEADER_BYTES`] is answered with 431;
//! * when the process is out of file descriptors, accepting pauses briefly
//!   and resumes (see [`ACCEPT_RETRY`]), instead of ending the server or
//!   spinning on the error;
//! * a client that goes away before its answer is ready makes hyper drop the
//!   handler's future, and with it whatever the handler was waiting for.
//!
//! `crate/tests/reliability.rs` holds each of these to a measured figure.

use anyhow::Context;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower_http::timeout::RequestBodyTimeoutLayer;

/// Connections the kernel may queue before they are accepted. Linux caps it
/// at `net.core.somaxconn` (4096 on the project machine).
pub(crate) const LISTEN_BACKLOG: u32 = 8192;

/// Concurrent HTTP/2 streams allowed on one connection: enough for every call
/// of the largest load benchmark to share one connection.
pub(crate) const MAX_CONCURRENT_STREAMS: u32 = 65_536;

/// How long a client may take to send a whole request head, counted from
/// when the server starts waiting for it (the connection's start, or the end
/// of the previous answer on a kept-alive connection, so it is also how long
/// an idle connection is kept).
///
/// Why 10 s: every client of these servers is a program on the same machine
/// that writes its request head in one go, in microseconds; the largest burst
/// (the serving benchmark's 5,000 clients) opens all its connections within
/// about a third of a second before sending. Ten seconds leaves a wide margin
/// for a loaded machine, and a third of hyper's 30 s default, which is meant
/// for clients on slow links. It is also short enough for `cargo test` to
/// watch 2,000 slow clients being dropped.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request body may stall between two of its pieces. A client
/// that sends a head announcing a body and then stops would otherwise hold
/// its connection and its handler for good: hyper's header timeout ends
/// with the head. The same 10 s as [`HEADER_READ_TIMEOUT`], for the same
/// reasons; the handler's extractor then answers 400.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest HTTP/1 request head read, 64 KiB: hyper answers a larger
/// one with 431 and closes the connection. hyper's own default is about
/// 400 KB; no client here sends more than a few hundred bytes of headers.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// How long [`LoopbackServer::shutdown`] lets requests in progress run before
/// cutting them. Longer than any answer the notebooks wait for (completions of
/// 0.5 s, slow faults of 2 s), so a normal shutdown cuts nothing; short enough
/// that a stuck stream holds a cell or a test for seconds, not minutes.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The pause after a failed `accept` (out of file descriptors, or a
/// connection reset before it was accepted). The error repeats at once while
/// the descriptor table is full, so retrying without a pause would spin a
/// core; 1 ms keeps the loop near idle (measured in the reliability tests)
/// and serves again within a millisecond of a descriptor being freed.
/// (`axum::serve` sleeps a whole second here.)
pub(crate) const ACCEPT_RETRY: Duration = Duration::from_millis(1);

/// A running server; dropping it shuts the server down.
#[derive(Debug)]
pub struct LoopbackServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl LoopbackServer {
    /// Binds 127.0.0.1 on a port the system picks and serves `router` on the
    /// current tokio runtime, over HTTP/1.1 and HTTP/2.
    pub async fn start(router: Router) -> anyhow::Result<Self> {
        Self::serve_router(router, Protocols::Http1AndHttp2, loopback_any_port())
    }

    /// Like [`start`](Self::start), but speaks only HTTP/1.1, and sets each
    /// connection up as soon as it is accepted.
    pub async fn start_http1(router: Router) -> anyhow::Result<Self> {
        Self::serve_router(router, Protocols::Http1, loopback_any_port())
    }

    /// Like [`start`](Self::start), on `addr`: the standalone servers'
    /// `--host` and `--port`.
    pub async fn start_on(router: Router, addr: SocketAddr) -> anyhow::Result<Self> {
        Self::serve_router(router, Protocols::Http1AndHttp2, addr)
    }

    /// Like [`start_http1`](Self::start_http1), on `addr`.
    pub async fn start_http1_on(router: Router, addr: SocketAddr) -> anyhow::Result<Self> {
        Self::serve_router(router, Protocols::Http1, addr)
    }

    fn serve_router(
        router: Router,
        protocols: Protocols,
        addr: SocketAddr,
    ) -> anyhow::Result<Self> {
        let router = router.layer(RequestBodyTimeoutLayer::new(BODY_READ_TIMEOUT));
        let listener = bind(addr).with_context(|| format!("binding {addr} for a server"))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, router, protocols, stopped));
        Ok(Self {
            addr,
            stop: Some(stop),
            task,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's base URL, such as `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, waits for the requests in progress to be answered and
    /// for every connection to close, for at most [`SHUTDOWN_GRACE`]; then
    /// cuts the connections still open. When it returns, every task of the
    /// server has ended or been aborted (the runtime drops an aborted task at
    /// its next turn).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // The task only ends by itself; a panic in it is a bug worth seeing.
        if let Err(error) = (&mut self.task).await
            && error.is_panic()
        {
            std::panic::resume_unwind(error.into_panic());
        }
    }
}

impl Drop for LoopbackServer {
    /// Stops the server at once: closes the listening socket and cuts every
    /// connection, requests in progress included (the accept task owns the
    /// connections' tasks, and aborting it drops them). Use
    /// [`shutdown`](Self::shutdown) to let requests finish.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}

/// The HTTP versions a server speaks.
#[derive(Debug, Clone, Copy)]
enum Protocols {
    Http1AndHttp2,
    Http1,
}

fn loopback_any_port() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // A standalone server restarted on its port must not wait out the old
    // connections' TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

async fn serve(
    listener: TcpListener,
    router: Router,
    protocols: Protocols,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut both = auto::Builder::new(TokioExecutor::new());
    both.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEADER_BYTES);
    both.http2().max_concurrent_streams(MAX_CONCURRENT_STREAMS);
    let both = Arc::new(both);
    let mut http1 = http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEADER_BYTES);
    let graceful = GracefulShutdown::new();
    // Tells connections still waiting for their first bytes that the server
    // is stopping (graceful shutdown only reaches connections hyper serves).
    let (stopping, _) = watch::channel(());
    // Every connection's task, so that none outlives the server: dropping the
    // set aborts them. Finished ones are reaped as they end.
    let mut connections = JoinSet::new();
    loop {
        let stream = tokio::select! {
            biased;
            // A dropped sender stops the server as well as a sent signal.
            _ = &mut stopped => break,
            Some(_) = connections.join_next() => continue,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                // Out of file descriptors or a connection reset before it was
                // accepted: the listener itself is fine.
                Err(_) => {
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
        };
        // Small answers go out at once instead of waiting for more data.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        match protocols {
            Protocols::Http1AndHttp2 => {
                let both = Arc::clone(&both);
                let watcher = graceful.watcher();
                let mut stopping = stopping.subscribe();
                connections.spawn(async move {
                    // hyper-util's `auto` reads the first bytes to learn the
                    // version before any of hyper's timers runs, so a client
                    // that never sends a byte would be held forever. Wait for
                    // them here, as long as a whole head may take.
                    // (`readable()` may report a fresh socket ready before
                    // any byte came; `peek` waits for a byte, or the end.)
                    let mut first = [0u8; 1];
                    tokio::select! {
                        peeked = tokio::time::timeout(HEADER_READ_TIMEOUT, stream.peek(&mut first)) => {
                            if !matches!(peeked, Ok(Ok(1..))) {
                                return;
                            }
                        }
                        _ = stopping.changed() => return,
                    }
                    let connection = both.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(connection).await;
                });
            }
            Protocols::Http1 => {
                let connection = http1.serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                connections.spawn(async move {
                    // A connection's error (a reset, a timeout, a malformed
                    // request) concerns that client only.
                    let _ = connection.await;
                });
            }
        }
    }
    drop(listener);
    stopping.send_replace(());
    // Requests in progress get the grace period; then dropping `connections`
    // aborts every task still running.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}
