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
//! * **Shutdown from a handle**: dropping the handle stops accepting at once,
//!   lets requests in progress finish and closes idle connections, so no
//!   server outlives the cell or test that started it.
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

use anyhow::Context;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Connections the kernel may queue before they are accepted. Linux caps it
/// at `net.core.somaxconn` (4096 on the project machine).
pub const LISTEN_BACKLOG: u32 = 8192;

/// Concurrent HTTP/2 streams allowed on one connection: enough for every call
/// of the largest load benchmark to share one connection.
pub const MAX_CONCURRENT_STREAMS: u32 = 65_536;

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
    /// for every connection to close.
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
    /// Closes the listening socket at once. Dropping the accept task also
    /// drops its [`GracefulShutdown`], which tells every open connection to
    /// finish its request in progress and close.
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
    both.http2().max_concurrent_streams(MAX_CONCURRENT_STREAMS);
    let http1 = http1::Builder::new();
    let connections = GracefulShutdown::new();
    loop {
        let stream = tokio::select! {
            // A dropped sender stops the server as well as a sent signal.
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                // Out of file descriptors or a connection reset before it was
                // accepted: the listener itself is fine. Pause briefly so a
                // full descriptor table has a chance to drain.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    continue;
                }
            },
        };
        // Small answers go out at once instead of waiting for more data.
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(stream);
        let service = TowerToHyperService::new(router.clone());
        match protocols {
            Protocols::Http1AndHttp2 => {
                let connection = both.serve_connection(io, service).into_owned();
                tokio::spawn(connections.watch(connection));
            }
            Protocols::Http1 => {
                let connection = http1.serve_connection(io, service);
                tokio::spawn(connections.watch(connection));
            }
        }
    }
    drop(listener);
    connections.shutdown().await;
}
