//! The Rust client notebook 04 uses ([`LlmClient`], async-openai underneath)
//! against the standalone mock LLM in its own process, `--example mock_llm`,
//! as against any OpenAI-compatible server: a chat completion, a stream read
//! to its end, a completion, embeddings, the models list, and each error
//! status the mock answers, seen once (the client does not retry by itself).
//!
//! `cargo test` builds the examples before it runs the tests; the binary is
//! found next to this test's own executable. Every server is stopped by a
//! guard, also when a test fails.

use async_walkthrough::llm::{HttpStatusError, LlmClient, answer_length, answer_tokens};
use futures::StreamExt;
use reqwest::StatusCode;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const MODEL: &str = "mock-llm";

/// `mock_llm --port 0 FLAGS...` in its own process; killed when dropped.
struct MockLlmProcess {
    child: Child,
    api_base: String,
}

impl MockLlmProcess {
    fn start(flags: &[&str]) -> Self {
        let binary = example_binary("mock_llm");
        let child = Command::new(&binary)
            .args(["--port", "0"])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| panic!("starting {}: {error}", binary.display()));
        // The guard first, so that the server is stopped whatever fails next.
        let mut server = Self {
            child,
            api_base: String::new(),
        };
        let mut line = String::new();
        let stdout = server.child.stdout.take().expect("a piped stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("reading mock_llm's first line");
        // "mock_llm: serving model mock-llm at http://127.0.0.1:PORT/v1 (...)"
        let (_, rest) = line
            .split_once(" at ")
            .unwrap_or_else(|| panic!("mock_llm did not start: {line:?}"));
        server.api_base = rest.split_whitespace().next().unwrap().to_owned();
        server
    }

    fn client(&self, api_key: Option<&str>) -> LlmClient {
        LlmClient::openai(&self.api_base, api_key, MODEL)
    }
}

impl Drop for MockLlmProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/<profile>/examples/<name>`: this test runs from
/// `target/<profile>/deps/`.
fn example_binary(name: &str) -> PathBuf {
    let test = std::env::current_exe().expect("the test's own path");
    let profile_dir = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/<profile>/deps");
    let binary = profile_dir.join("examples").join(name);
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build --all-features --examples` first (`make test` does)",
        binary.display()
    );
    binary
}

fn status_of(error: &anyhow::Error) -> &HttpStatusError {
    error
        .downcast_ref::<HttpStatusError>()
        .unwrap_or_else(|| panic!("not a status error: {error:#}"))
}

#[tokio::test]
async fn chat_stream_completion_embeddings_and_models() {
    let server = MockLlmProcess::start(&["--latency-ms", "5", "--token-delay-ms", "1"]);
    let client = server.client(None);

    let answer = client.complete("What does async buy us?", 5).await.unwrap();
    assert_eq!(answer.text, "Async lets one thread wait");
    assert_eq!(answer.tokens, 5);

    let tokens: Vec<String> = client
        .stream("Why stream?", 1000)
        .await
        .unwrap()
        .map(|token| token.unwrap())
        .collect()
        .await;
    assert_eq!(tokens, answer_tokens(answer_length()));

    let text = client.complete_text("Say it", 3).await.unwrap();
    assert_eq!(text.text, "Async lets one");

    let embedding = client.embed("how do retries work?").await.unwrap();
    assert_eq!(embedding.len(), 64);
    let norm: f32 = embedding.iter().map(|x| x * x).sum();
    assert!((norm - 1.0).abs() < 1e-5, "{norm}");

    assert_eq!(client.models().await.unwrap(), [MODEL]);
}

#[tokio::test]
async fn client_mistakes_are_4xx_and_not_retryable() {
    let server = MockLlmProcess::start(&["--latency-ms", "1", "--api-key", "sesame"]);

    let error = server.client(None).complete("x", 1).await.unwrap_err();
    assert_eq!(status_of(&error).status, StatusCode::UNAUTHORIZED);
    let error = server.client(Some("wrong")).models().await.unwrap_err();
    assert_eq!(status_of(&error).code.as_deref(), Some("invalid_api_key"));

    let client = server.client(Some("sesame"));
    let error = client.complete("x", 0).await.unwrap_err();
    let status = status_of(&error);
    assert_eq!(status.status, StatusCode::BAD_REQUEST);
    assert_eq!(status.message, "max_tokens must be from 1 to 1024");
    assert!(!status.is_retryable());

    let unknown = LlmClient::openai(&server.api_base, Some("sesame"), "gpt-nonexistent");
    let error = unknown.complete("x", 1).await.unwrap_err();
    let status = status_of(&error);
    assert_eq!(status.status, StatusCode::NOT_FOUND);
    assert_eq!(status.code.as_deref(), Some("model_not_found"));
    assert!(!status.is_retryable());

    assert_eq!(client.complete("x", 2).await.unwrap().tokens, 2);
}

#[tokio::test]
async fn injected_faults_are_429_500_and_503_each_seen_once() {
    let server = MockLlmProcess::start(&["--latency-ms", "1", "--fail-rate", "1", "--seed", "7"]);
    let client = server.client(None);
    let mut seen = Vec::new();
    for n in 0..40 {
        let error = client
            .complete(&format!("prompt {n}"), 1)
            .await
            .unwrap_err();
        let status = status_of(&error);
        assert!(status.is_retryable(), "{status}");
        let kind = status.kind.clone().unwrap_or_default();
        seen.push((status.status.as_u16(), kind));
    }
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen,
        [
            (429, "rate_limit_error".to_owned()),
            (500, "server_error".to_owned()),
            (503, "server_error".to_owned()),
        ]
    );
    // One request per call: the metrics count 40 failures, no hidden retries.
    let metrics = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(server.api_base.replace("/v1", "/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let failures: u64 = metrics
        .lines()
        .filter(|line| {
            line.starts_with("mock_llm_http_requests_total{route=\"/v1/chat/completions\"")
        })
        .map(|line| line.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(failures, 40);
}
