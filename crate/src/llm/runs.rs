//! The runs of notebook 04: ways to send many prompts to an LLM, a streamed
//! answer and a RAG fan-out, each against a fresh [`MockLlm`] server that
//! lives only as long as the run (so none outlives its notebook cell).
//!
//! With `LLM_BASE_URL` set ([`ExternalLlm`]), the calls go to that
//! OpenAI-compatible server instead (llama.cpp's server, vLLM, Ollama...):
//! the same cells, a real model. The mock still serves the two RAG stages
//! no LLM server has (vector search and database lookup).
//!
//! [`measure`] starts the server, records the run as a [`Timeline`] (one row
//! per prompt or stage), stops the server and reports the time taken and the
//! most requests the *server* saw at once. The run functions print their
//! results only once everything is in, in input order: answers that arrive
//! in the same millisecond arrive in any order, and the notebook's output
//! must be the same on every run.

use crate::llm::client::LlmClient;
use crate::llm::mock::{Completion, MockLlm, MockLlmServer, ServerStats};
use crate::llm::retry::{Retried, RetryPolicy, with_retries};
use crate::notebook::console::say;
use crate::notebook::display::NotebookDisplay;
use crate::notebook::own_runtime::on_own_runtime;
use crate::post::gather::gather;
use crate::timing::stopwatch::{Stopwatch, python_seconds};
use crate::timing::timeline::{Row, Timeline, record_future};
use anyhow::Context;
use futures::StreamExt;
use std::future::Future;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How many tokens each prompt asks for.
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
/// or the server of `LLM_BASE_URL`) and returns its output, on a runtime of
/// its own, so it is called without `.await`, and when it returns nothing it
/// started is left running.
pub fn talk_to_llm<T, F, Fut>(config: MockLlm, work: F) -> anyhow::Result<T>
where
    F: FnOnce(LlmClient) -> Fut + Send,
    Fut: Future<Output = T>,
    T: Send,
{
    on_own_runtime(|| async move {
        let (client, mock) = start_llm(config).await?;
        let output = work(client).await;
        mock.shutdown().await;
        Ok(output)
    })
}

/// Starts a mock LLM with `config`, runs `work` with a client for it (or for
/// the server of `LLM_BASE_URL`) while recording a timeline titled `title`,
/// then stops the mock. Prints how long the run took and the most requests
/// in flight at once: as the mock counted them, or, for another server, as
/// the client did.
///
/// All of it runs [`on_own_runtime`], so it is called without `.await`, and
/// when it returns nothing it started is left running.
pub fn measure<T, F, Fut>(title: &str, config: MockLlm, work: F) -> anyhow::Result<Measured<T>>
where
    F: FnOnce(LlmClient) -> Fut + Send,
    Fut: Future<Output = T>,
    T: Send,
{
    let external = ExternalLlm::from_env()?.is_some();
    on_own_runtime(|| async move {
        let (client, mock) = start_llm(config).await?;
        let stopwatch = Stopwatch::start();
        let (output, timeline) = record_future(title, work(client.clone())).await;
        let elapsed = stopwatch.elapsed();
        let server = mock.stats();
        mock.shutdown().await;
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
    })
}

impl<T> NotebookDisplay for Measured<T> {
    /// Shows the run's timeline.
    fn evcxr_display(&self) {
        self.timeline.evcxr_display();
    }
}

/// `count` prompts: `prompt 1`, `prompt 2`, ...
pub fn prompts(count: usize) -> Vec<String> {
    (1..=count).map(|n| format!("prompt {n}")).collect()
}

/// Sends one prompt and waits for its answer: one bar on the prompt's row.
pub async fn ask(client: &LlmClient, prompt: &str) -> anyhow::Result<Completion> {
    let row = Row::start(prompt);
    row.step_future(client.complete(prompt, MAX_TOKENS)).await
}

/// Sends the prompts one after another, each once the previous is answered.
pub async fn ask_sequentially(
    client: &LlmClient,
    prompts: &[String],
) -> Vec<anyhow::Result<Completion>> {
    let mut answers = Vec::new();
    for prompt in prompts {
        answers.push(ask(client, prompt).await);
    }
    report_answers(prompts, &answers);
    answers
}

/// Sends all the prompts at once and waits for every answer.
pub async fn ask_gathered(
    client: &LlmClient,
    prompts: &[String],
) -> Vec<anyhow::Result<Completion>> {
    let answers = gather(prompts.iter().map(|prompt| ask(client, prompt))).await;
    report_answers(prompts, &answers);
    answers
}

/// Sends the prompts with at most `limit` in flight: each waits for one of
/// `limit` permits before it is sent and hands it back once answered.
pub async fn ask_bounded(
    client: &LlmClient,
    prompts: &[String],
    limit: usize,
) -> Vec<anyhow::Result<Completion>> {
    let permits = &Semaphore::new(limit);
    let answers = gather(prompts.iter().map(|prompt| async move {
        // The row starts now, so the picture shows the wait for a permit.
        let row = Row::start(prompt);
        let _permit = permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        row.step_future(client.complete(prompt, MAX_TOKENS)).await
    }))
    .await;
    report_answers(prompts, &answers);
    answers
}

/// Sends all the prompts at once, each with a timeout per attempt and retries
/// after a 5xx answer or a timeout; then prints each prompt's attempts.
pub async fn ask_with_retries(
    client: &LlmClient,
    prompts: &[String],
    policy: &RetryPolicy,
) -> Vec<Retried<Completion>> {
    let outcomes = gather(prompts.iter().map(|prompt| async move {
        let row = Row::start(prompt);
        with_retries(policy, &row, || client.complete(prompt, MAX_TOKENS)).await
    }))
    .await;
    for (prompt, outcome) in prompts.iter().zip(&outcomes) {
        say(format!("{prompt}: {}", attempt_story(outcome)));
    }
    let answered = outcomes.iter().filter(|outcome| outcome.result.is_ok());
    say(format!(
        "{} of {} prompts answered",
        answered.count(),
        prompts.len()
    ));
    outcomes
}

/// One line on what the attempts of one call met.
fn attempt_story<T>(outcome: &Retried<T>) -> String {
    let mut parts: Vec<String> = outcome
        .failures
        .iter()
        .map(|failure| match failure.backoff {
            Some(backoff) => format!(
                "{}, retried after {} s",
                failure.reason,
                python_seconds(backoff.as_secs_f64())
            ),
            None => format!("{}, gave up", failure.reason),
        })
        .collect();
    if outcome.result.is_ok() {
        parts.push(format!("answered on attempt {}", outcome.attempts()));
    }
    parts.join("; ")
}

/// Prints how many prompts were answered, and why any were not.
fn report_answers(prompts: &[String], answers: &[anyhow::Result<Completion>]) {
    let answered = answers.iter().filter(|answer| answer.is_ok()).count();
    say(format!("{answered} of {} prompts answered", prompts.len()));
    for (prompt, answer) in prompts.iter().zip(answers) {
        if let Err(error) = answer {
            say(format!("{prompt} failed: {error:#}"));
        }
    }
}

/// Asks for a streamed answer and prints each token on its own line as it
/// arrives, with the time since the request to the nearest 0.1 s. Returns the
/// whole answer, or `None` after printing why there is none.
pub async fn stream_answer(client: &LlmClient, prompt: &str, max_tokens: u32) -> Option<String> {
    let row = Row::start(prompt);
    let stopwatch = Stopwatch::start();
    let tokens = match client.stream(prompt, max_tokens).await {
        Ok(tokens) => tokens,
        Err(error) => {
            say(format!("{prompt} failed: {error:#}"));
            return None;
        }
    };
    let mut tokens = std::pin::pin!(tokens);
    let mut text = String::new();
    loop {
        // Each token's wait is one bar of the prompt's row.
        let Some(token) = row.step_future(tokens.next()).await else {
            break;
        };
        match token {
            Ok(token) => {
                say(format!("{:>4.1} s  {token:?}", stopwatch.elapsed_secs()));
                text.push_str(&token);
            }
            Err(error) => {
                say(format!("{prompt} failed: {error:#}"));
                return None;
            }
        }
    }
    say(format!("answer: {text}"));
    Some(text)
}

/// Answers `question` the RAG way: its embedding, a vector search and the
/// user's database record are fetched concurrently, then the completion is
/// asked with what they found. Each stage is a row of the timeline. Returns
/// the answer, or `None` after printing why there is none.
pub async fn rag_answer(client: &LlmClient, question: &str, user: &str) -> Option<String> {
    // Rows are made up front so they appear in this order in the picture.
    let embedding_row = Row::start("embedding");
    let search_row = Row::start("vector search");
    let lookup_row = Row::start("database lookup");
    let completion_row = Row::start("completion");
    let fetched = tokio::try_join!(
        embedding_row.step_future(client.embed(question)),
        search_row.step_future(client.search(question, 3)),
        lookup_row.step_future(client.lookup(user)),
    );
    drop((embedding_row, search_row, lookup_row));
    let (embedding, documents, record) = match fetched {
        Ok(fetched) => fetched,
        Err(error) => {
            say(format!("retrieval failed: {error:#}"));
            return None;
        }
    };
    say(format!("embedding: {} numbers", embedding.len()));
    say(format!("documents: {}", documents.join(", ")));
    say(format!("record: {}", record.value));
    let prompt = format!(
        "Context: {}. User: {}. Question: {question}",
        documents.join("; "),
        record.value
    );
    match completion_row
        .step_future(client.complete(&prompt, MAX_TOKENS))
        .await
    {
        Ok(completion) => {
            say(format!("answer: {}", completion.text));
            Some(completion.text)
        }
        Err(error) => {
            say(format!("completion failed: {error:#}"));
            None
        }
    }
}
