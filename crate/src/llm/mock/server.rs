//! Starting the mock LLM, and [`MockLlmServer`], the handle of a running one.

use crate::http::loopback::LoopbackServer;
use crate::llm::mock::config::MockLlm;
use crate::llm::mock::routes::router;
use crate::llm::mock::state::{ServerStats, Shared};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// A running mock LLM. Dropping it shuts the server down.
///
/// # Examples
///
/// ```
/// use async_walkthrough::llm::LlmClient;
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> anyhow::Result<()> {
/// let server = MockLlm { latency: Duration::ZERO, ..MockLlm::default() }.start().await?;
/// LlmClient::new(server.url()).complete("Why async?", 2).await?;
/// let stats = server.stats();
/// assert_eq!((stats.requests, stats.in_flight, stats.max_in_flight), (1, 0, 1));
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct MockLlmServer {
    server: LoopbackServer,
    shared: Arc<Shared>,
}

impl MockLlm {
    /// Serves the mock LLM on 127.0.0.1, on a port the system picks, from the
    /// current tokio runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_walkthrough::llm::{LlmClient, MockLlm};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> anyhow::Result<()> {
    /// let server = MockLlm {
    ///     latency: Duration::from_millis(10),
    ///     ..MockLlm::default()
    /// }
    /// .start()
    /// .await?;
    /// let llm = LlmClient::new(server.url());
    /// let answer = llm.complete("Why async?", 3).await?;
    /// assert_eq!(answer.text.split_whitespace().count(), 3);
    /// server.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(self) -> anyhow::Result<MockLlmServer> {
        self.start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
    }

    /// Serves the mock LLM on `addr` (port 0: one the system picks), from the
    /// current tokio runtime.
    pub async fn start_on(self, addr: SocketAddr) -> anyhow::Result<MockLlmServer> {
        let shared = Arc::new(Shared::new(self));
        let server = LoopbackServer::start_on(router(Arc::clone(&shared)), addr).await?;
        Ok(MockLlmServer { server, shared })
    }
}

impl MockLlmServer {
    /// The base URL, such as `http://127.0.0.1:40123`; OpenAI clients take
    /// it with `/v1` added.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The counts so far.
    pub fn stats(&self) -> ServerStats {
        self.shared.stats()
    }

    /// Stops the server, letting the requests in progress finish.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
