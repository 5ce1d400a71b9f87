//! What notebook 04's cells build on: a fresh [`MockLlm`] server per cell
//! that lives only as long as the cell's work ([`talk_to_llm`],
//! [`measure_llm`]), prompts to send ([`numbered_prompts`]) and one bar of
//! the timeline per call ([`timed_call`](crate::timing::timed_call)). The ways of sending the prompts
//! are the cells' own code.
//!
//! With `LLM_BASE_URL` set ([`ExternalLlm`]), the calls go to that
//! OpenAI-compatible server instead (llama.cpp's server, vLLM, Ollama...):
//! the same cells, a real model. The mock still serves the two RAG stages
//! no LLM server has (vector search and database lookup).
//!
//! [`measure_llm`] starts the server, records the run as a [`Timeline`] (one
//! row per prompt or stage), stops the server and reports the time taken and
//! the most requests the *server* saw at once. What the run returned is
//! reported only once everything is in, in input order ([`RunReport`]):
//! answers that arrive in the same millisecond arrive in any order, and the
//! notebook's output must be the same on every run.

use crate::llm::client::LlmClient;
use crate::llm::mock::{MockLlm, MockLlmServer, ServerStats};
use crate::llm::retry::Retried;
use crate::notebook::console::say;
use crate::notebook::display::NotebookDisplay;
use crate::timing::stopwatch::{Stopwatch, python_seconds};
use crate::timing::timeline::{Timeline, record_future};
use anyhow::Context;
use std::future::Future;
use std::time::Duration;

/// How many tokens each prompt asks for.
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
/// let answer = LlmClient::new(server.url()).complete("prompt 1", MAX_TOKENS).await?;
/// assert_eq!(answer.tokens, MAX_TOKENS);
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub const MAX_TOKENS: u32 = 12;

/// A run against the mock LLM: what it returned, its timeline, how long it
/// took and what the server counted.
#[derive(Debug)]
pub struct Measured<T> {
    /// What the run returned.
    pub output: T,
    /// What each prompt or stage did when.
    pub timeline: Timeline,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// The server's counts at the end of the run.
    pub server: ServerStats,
}

/// An OpenAI-compatible server to run notebook 04 against instead of the
/// mock, read from the environment:
///
/// | variable | |
/// | --- | --- |
/// | `LLM_BASE_URL` | its base URL, as OpenAI clients take it, such as `http://127.0.0.1:8080/v1` |
/// | `LLM_MODEL` | the model to ask (required with `LLM_BASE_URL`) |
/// | `LLM_API_KEY` | its API key, if it needs one |
/// | `LLM_EMBEDDING_MODEL` | the model for embeddings, if not `LLM_MODEL` |
///
/// # Examples
///
/// ```
/// use async_walkthrough::llm::ExternalLlm;
///
/// let vars = |name: &str| match name {
///     "LLM_BASE_URL" => Some("http://127.0.0.1:8080/v1/".to_owned()),
///     "LLM_MODEL" => Some("qwen2.5-0.5b".to_owned()),
///     _ => None,
/// };
/// let llm = ExternalLlm::from_vars(vars).unwrap().unwrap();
/// assert_eq!(llm.api_base, "http://127.0.0.1:8080/v1");
/// assert_eq!(llm.embedding_model, "qwen2.5-0.5b");
/// assert_eq!(ExternalLlm::from_vars(|_| None).unwrap(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalLlm {
    /// OpenAI's base URL of the server, without a trailing `/`.
    pub api_base: String,
    /// Its API key, if it needs one.
    pub api_key: Option<String>,
    /// The model asked for completions.
    pub model: String,
    /// The model asked for embeddings.
    pub embedding_model: String,
}

impl ExternalLlm {
    /// The server named by the process's environment, or `None` when
    /// `LLM_BASE_URL` is unset or empty.
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The server named by `var` (a lookup of environment variables), or
    /// `None` when `LLM_BASE_URL` is unset or empty.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<Self>> {
        let set = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let Some(api_base) = set("LLM_BASE_URL") else {
            return Ok(None);
        };
        let model = set("LLM_MODEL")
            .context("LLM_BASE_URL is set, so LLM_MODEL must name the model to ask")?;
        Ok(Some(Self {
            api_base: api_base.trim().trim_end_matches('/').to_owned(),
            api_key: set("LLM_API_KEY"),
            embedding_model: set("LLM_EMBEDDING_MODEL").unwrap_or_else(|| model.clone()),
            model,
        }))
    }

    /// A client for this server, with the RAG stages it lacks at `stages_url`.
    pub fn client(&self, stages_url: &str) -> LlmClient {
        LlmClient::openai(&self.api_base, self.api_key.as_deref(), &self.model)
            .with_embedding_model(&self.embedding_model)
            .with_stages(stages_url)
    }
}

/// Which LLM notebook 04's cells talk to, in one line: the mock, or the
/// server of `LLM_BASE_URL`.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// // Without LLM_BASE_URL, the cells talk to the mock.
/// if std::env::var_os("LLM_BASE_URL").is_none() {
///     assert!(llm_in_use().starts_with("LLM: the mock LLM on 127.0.0.1, model mock-llm"));
/// }
/// ```
pub fn llm_in_use() -> String {
    match ExternalLlm::from_env() {
        Ok(None) => format!(
            "LLM: the mock LLM on 127.0.0.1, model {} (set LLM_BASE_URL and LLM_MODEL for another server)",
            MockLlm::default().model
        ),
        Ok(Some(llm)) => format!("LLM: {}, model {}", llm.api_base, llm.model),
        Err(error) => format!("LLM: {error:#}"),
    }
}

/// Starts a mock LLM with `config` and a client: for the mock, or for the
/// server of `LLM_BASE_URL` if set (see [`ExternalLlm`]), with the mock
/// serving the RAG stages. The caller stops the mock.
async fn start_llm(config: MockLlm) -> anyhow::Result<(LlmClient, MockLlmServer)> {
    let external = ExternalLlm::from_env()?;
    let mock = config.start().await?;
    let client = match &external {
        None => LlmClient::new(mock.url()),
        Some(external) => external.client(&mock.url()),
    };
    Ok((client, mock))
}

/// Runs `work` with a client for the LLM (the mock started with `config`,
/// or the server of `LLM_BASE_URL`) and returns its output, then stops the
/// mock: when it returns, nothing it started is left running, and dropping
/// it half-way (a cell interrupted, a timeout) stops the mock as well.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let quick = MockLlm { latency: Duration::from_millis(1), ..MockLlm::default() };
/// let models = talk_to_llm(quick, |llm| async move { llm.models().await.unwrap() })
///     .await
///     .unwrap();
/// assert_eq!(models, ["mock-llm"]);
/// # }
/// ```
pub async fn talk_to_llm<T, F, Fut>(config: MockLlm, work: F) -> anyhow::Result<T>
where
    F: FnOnce(LlmClient) -> Fut,
    Fut: Future<Output = T>,
{
    let (client, mock) = start_llm(config).await?;
    let output = work(client).await;
    mock.shutdown().await;
    Ok(output)
}

/// Starts a mock LLM with `config`, runs `work` with a client for it (or for
/// the server of `LLM_BASE_URL`) while recording a timeline titled `title`,
/// then stops the mock. Prints the [`RunReport`] of what `work` returned, how
/// long the run took and the most requests in flight at once: as the mock
/// counted them, or, for another server, as the client did.
///
/// When it returns, nothing it started is left running; dropped half-way, it
/// stops the mock as well.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let quick = MockLlm { latency: Duration::from_millis(20), ..MockLlm::default() };
/// let run = measure_llm("two at once", quick, |llm| async move {
///     let prompts = numbered_prompts(2);
///     gather(prompts.iter().map(|prompt| timed_call(prompt, llm.complete(prompt, MAX_TOKENS)))).await
/// })
/// .await
/// .unwrap();
/// assert_eq!(run.server.max_in_flight, 2);
/// assert_eq!(run.timeline.tasks.len(), 2);
/// # }
/// ```
pub async fn measure_llm<T, F, Fut>(
    title: &str,
    config: MockLlm,
    work: F,
) -> anyhow::Result<Measured<T>>
where
    F: FnOnce(LlmClient) -> Fut,
    Fut: Future<Output = T>,
    T: RunReport,
{
    let external = ExternalLlm::from_env()?.is_some();
    let (client, mock) = start_llm(config).await?;
    let stopwatch = Stopwatch::start();
    let (output, timeline) = record_future(title, work(client.clone())).await;
    let elapsed = stopwatch.elapsed();
    let server = mock.stats();
    mock.shutdown().await;
    output.report();
    let in_flight = if external {
        format!(
            "at most {} request(s) in flight, counted by the client",
            client.max_in_flight()
        )
    } else {
        format!(
            "at most {} request(s) in flight at the server",
            server.max_in_flight
        )
    };
    say(format!(
        "{title}: took {} s, {in_flight}",
        python_seconds(elapsed.as_secs_f64()),
    ));
    Ok(Measured {
        output,
        timeline,
        elapsed,
        server,
    })
}

impl<T> NotebookDisplay for Measured<T> {
    /// Shows the run's timeline.
    fn evcxr_display(&self) {
        self.timeline.evcxr_display();
    }
}

/// `count` prompts: `prompt 1`, `prompt 2`, ...
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// assert_eq!(numbered_prompts(2), ["prompt 1", "prompt 2"]);
/// ```
pub fn numbered_prompts(count: usize) -> Vec<String> {
    (1..=count).map(|n| format!("prompt {n}")).collect()
}

/// What the output of a [`measure_llm`] run says once the run is over,
/// printed in input order whatever the order the answers came in.
pub trait RunReport {
    /// Prints the report's lines.
    fn report(&self);
}

impl RunReport for () {
    /// Nothing to say.
    fn report(&self) {}
}

impl<T> RunReport for anyhow::Result<T> {
    /// Nothing, or the error.
    fn report(&self) {
        if let Err(error) = self {
            say(format!("failed: {error:#}"));
        }
    }
}

impl<T> RunReport for Vec<anyhow::Result<T>> {
    /// How many calls succeeded, and why any failed.
    fn report(&self) {
        let succeeded = self.iter().filter(|result| result.is_ok()).count();
        say(format!("{succeeded} of {} calls answered", self.len()));
        for (number, result) in (1..).zip(self) {
            if let Err(error) = result {
                say(format!("call {number} failed: {error:#}"));
            }
        }
    }
}

impl<T> RunReport for Vec<Retried<T>> {
    /// What each call's attempts met, then how many calls succeeded.
    fn report(&self) {
        for outcome in self {
            say(outcome.to_string());
        }
        let succeeded = self.iter().filter(|outcome| outcome.result.is_ok()).count();
        say(format!("{succeeded} of {} calls answered", self.len()));
    }
}
