//! The mock LLM server over real HTTP on 127.0.0.1: good and bad requests,
//! fault injection, metrics, the server's in-flight count and shutdown. No assert
//! here is on wall time; latencies are kept short so the tests run fast.

use async_walkthrough::http::ErrorBody;
use async_walkthrough::llm::*;
use async_walkthrough::post::gather;
use async_walkthrough::serving::*;
use async_walkthrough::timing::SpanKind;
use futures::StreamExt;
use reqwest::StatusCode;
use std::time::Duration;

fn quick() -> MockLlm {
    MockLlm {
        latency: Duration::from_millis(5),
        token_delay: Duration::from_millis(1),
        stages: StageLatencies {
            embedding: Duration::from_millis(1),
            search: Duration::from_millis(1),
            lookup: Duration::from_millis(1),
        },
        ..MockLlm::default()
    }
}

async fn start(config: MockLlm) -> MockLlmServer {
    config.start().await.expect("the mock LLM starts")
}

/// Sends a raw request and returns the status and the parsed JSON error body.
async fn raw(request: reqwest::RequestBuilder) -> (StatusCode, ErrorBody) {
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE].clone();
    assert_eq!(content_type, "application/json", "status {status}");
    let body = response.json().await.expect("a JSON error body");
    (status, body)
}

/// After a bad request, a good one is still answered.
async fn still_serves(llm: &MockLlmServer) {
    let client = LlmClient::new(llm.url());
    let completion = client.complete("still there?", 3).await.unwrap();
    assert_eq!(completion.text, answer_tokens(3).concat());
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test]
async fn answers_health_and_completions() {
    let llm = start(quick()).await;
    let client = LlmClient::new(llm.url());
    client.health().await.unwrap();
    let completion = client.complete("hello", 5).await.unwrap();
    assert_eq!(completion.tokens, 5);
    assert_eq!(completion.text, "Async lets one thread wait");
    let text = client.complete_text("hello", 3).await.unwrap();
    assert_eq!(text.text, "Async lets one");
    assert_eq!(client.models().await.unwrap(), ["mock-llm"]);
    let stats = llm.stats();
    assert_eq!(
        stats.requests, 2,
        "health and models are not model requests"
    );
    assert_eq!(stats.in_flight, 0);
    assert_eq!(stats.max_in_flight, 1);
}

#[tokio::test]
async fn a_completion_stops_at_the_end_of_the_answer() {
    let llm = start(quick()).await;
    let client = LlmClient::new(llm.url());
    let completion = client.complete("long", 40).await.unwrap();
    assert_eq!(completion.tokens, answer_length());
    assert!(
        completion.text.ends_with("adding up."),
        "{}",
        completion.text
    );
}

#[tokio::test]
async fn streams_the_same_tokens_one_event_each() {
    let llm = start(quick()).await;
    let client = LlmClient::new(llm.url());
    let tokens: Vec<String> = client
        .stream("hello", 6)
        .await
        .unwrap()
        .map(|token| token.unwrap())
        .collect()
        .await;
    assert_eq!(tokens, answer_tokens(6));
    assert_eq!(llm.stats().in_flight, 0, "the stream ended at [DONE]");
}

#[tokio::test]
async fn serves_the_rag_stages() {
    let llm = start(quick()).await;
    let client = LlmClient::new(llm.url());
    let embedding = client.embed("how do retries work?").await.unwrap();
    assert_eq!(embedding.len(), EMBEDDING_SIZE);
    let norm: f32 = embedding.iter().map(|x| x * x).sum();
    assert!((norm - 1.0).abs() < 1e-5, "a unit vector, not {norm}");
    assert_eq!(
        embedding,
        client.embed("how do retries work?").await.unwrap()
    );
    let documents = client.search("How do retries work?", 3).await.unwrap();
    assert_eq!(documents.len(), 3);
    assert_eq!(documents[0], "doc-05 timeouts and retries");
    let record = client.lookup("user-42").await.unwrap();
    assert_eq!(record.key, "user-42");
    assert!(record.value.contains("user-42"));
    assert_eq!(llm.stats().requests, 4);
}

#[tokio::test]
async fn malformed_json_is_a_400_with_a_json_error() {
    let llm = start(quick()).await;
    let (status, body) = raw(http()
        .post(format!("{}/v1/completions", llm.url()))
        .header("content-type", "application/json")
        .body("{\"prompt\": \"unterminated"))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.error.message.contains("parse"), "{:?}", body.error);
    assert_eq!(body.error.kind, "invalid_request_error");
    still_serves(&llm).await;
}

#[tokio::test]
async fn a_missing_field_is_a_422_naming_it() {
    let llm = start(quick()).await;
    let (status, body) = raw(http()
        .post(format!("{}/v1/chat/completions", llm.url()))
        .json(&serde_json::json!({ "model": "mock-llm" })))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.error.message.contains("messages"), "{:?}", body.error);
    still_serves(&llm).await;
}

#[tokio::test]
async fn a_wrongly_typed_field_is_a_422_naming_it() {
    let llm = start(quick()).await;
    let (status, body) = raw(http()
        .post(format!("{}/v1/completions", llm.url()))
        .json(&serde_json::json!({ "model": "mock-llm", "prompt": "x", "max_tokens": "ten" })))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.error.message.contains("max_tokens"),
        "{:?}",
        body.error
    );
    still_serves(&llm).await;
}

#[tokio::test]
async fn max_tokens_out_of_range_is_a_400_naming_it() {
    let llm = start(quick()).await;
    for max_tokens in [0, 1025] {
        let (status, body) = raw(http().post(format!("{}/v1/completions", llm.url())).json(
            &serde_json::json!({ "model": "mock-llm", "prompt": "x", "max_tokens": max_tokens }),
        ))
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body.error.message, "max_tokens must be from 1 to 1024");
        assert_eq!(body.error.param.as_deref(), Some("max_tokens"));
    }
    let (status, body) = raw(http()
        .post(format!("{}/v1/chat/completions", llm.url()))
        .json(&serde_json::json!({
            "model": "mock-llm",
            "messages": [{"role": "user", "content": "x"}],
            "max_completion_tokens": 0,
        })))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body.error.param.as_deref(), Some("max_completion_tokens"));
    assert_eq!(llm.stats().requests, 0, "rejected requests are not served");
    still_serves(&llm).await;
}

#[tokio::test]
async fn a_missing_content_type_is_a_415() {
    let llm = start(quick()).await;
    let (status, _) = raw(http()
        .post(format!("{}/v1/embeddings", llm.url()))
        .body("{\"model\": \"mock-llm\", \"input\": \"x\"}"))
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    still_serves(&llm).await;
}

#[tokio::test]
async fn a_wrong_method_is_a_405_with_a_json_error() {
    let llm = start(quick()).await;
    let (status, body) = raw(http().get(format!("{}/v1/completions", llm.url()))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body.error.message, "method not allowed on this path");
    let (status, _) = raw(http().post(format!("{}/health", llm.url()))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    still_serves(&llm).await;
}

#[tokio::test]
async fn an_unknown_path_is_a_404_with_a_json_error() {
    let llm = start(quick()).await;
    let (status, body) = raw(http().get(format!("{}/v2/nothing", llm.url()))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body.error.message, "no such path");
    still_serves(&llm).await;
}

#[tokio::test]
async fn a_body_over_one_mib_is_a_413_with_a_json_error() {
    let llm = start(quick()).await;
    let prompt = "x".repeat(1024 * 1024);
    let (status, body) = raw(http()
        .post(format!("{}/v1/completions", llm.url()))
        .json(&serde_json::json!({ "model": "mock-llm", "prompt": prompt, "max_tokens": 1 })))
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body.error.message.contains("length limit"),
        "{:?}",
        body.error
    );
    still_serves(&llm).await;
}

#[tokio::test]
async fn a_body_just_under_the_limit_is_served() {
    let llm = start(quick()).await;
    let client = LlmClient::new(llm.url());
    // The JSON around the prompt takes under 100 bytes.
    let prompt = "x".repeat(1024 * 1024 - 128);
    client.complete(&prompt, 1).await.unwrap();
}

#[tokio::test]
async fn client_errors_name_the_url_and_the_cause() {
    let llm = start(quick()).await;
    let client = LlmClient::new(llm.url());
    let error = client.complete("x", 0).await.unwrap_err();
    let status = error
        .downcast_ref::<HttpStatusError>()
        .expect("a status error");
    assert_eq!(status.status, StatusCode::BAD_REQUEST);
    assert!(!status.is_retryable());
    assert_eq!(
        format!("{error:#}"),
        format!(
            "POST {}/v1/chat/completions: 400 Bad Request: max_tokens must be from 1 to 1024",
            llm.url()
        )
    );
}

#[tokio::test]
async fn a_refused_connection_names_the_url() {
    let llm = start(quick()).await;
    let url = llm.url();
    llm.shutdown().await;
    let error = LlmClient::new(&url).complete("x", 1).await.unwrap_err();
    let text = format!("{error:#}");
    assert!(
        text.starts_with(&format!("POST {url}/v1/chat/completions: ")),
        "{text}"
    );
    assert!(text.contains("connect"), "{text}");
}

#[tokio::test]
async fn every_completion_fails_when_the_error_share_is_one() {
    let llm = start(MockLlm {
        faults: Faults {
            error_share: 1.0,
            ..Faults::NONE
        },
        ..quick()
    })
    .await;
    let client = LlmClient::new(llm.url());
    let mut statuses = Vec::new();
    for n in 0..30 {
        let error = client.complete(&format!("x{n}"), 1).await.unwrap_err();
        let status = error.downcast_ref::<HttpStatusError>().unwrap();
        assert!(status.is_retryable(), "{status}");
        statuses.push(status.status.as_u16());
    }
    statuses.sort_unstable();
    statuses.dedup();
    assert_eq!(statuses, [429, 500, 503]);
    assert_eq!(llm.stats().injected_errors, 30);
    client.embed("stages are never faulted").await.unwrap();
}

#[tokio::test]
async fn faults_follow_the_seed_whatever_the_order_of_arrival() {
    let faults = Faults {
        seed: 11,
        error_share: 0.4,
        slow_share: 0.0,
        slow_latency: Duration::ZERO,
    };
    let prompts = numbered_prompts(12);
    let outcomes = |results: Vec<anyhow::Result<Completion>>| -> Vec<bool> {
        results.iter().map(Result::is_ok).collect()
    };
    let llm = start(MockLlm { faults, ..quick() }).await;
    let client = LlmClient::new(llm.url());
    let mut forward = Vec::new();
    for prompt in &prompts {
        forward.push(client.complete(prompt, 1).await);
    }
    let llm = start(MockLlm { faults, ..quick() }).await;
    let client = LlmClient::new(llm.url());
    let mut backward = Vec::new();
    for prompt in prompts.iter().rev() {
        backward.push(client.complete(prompt, 1).await);
    }
    backward.reverse();
    let forward = outcomes(forward);
    assert_eq!(forward, outcomes(backward));
    let expected: Vec<bool> = prompts
        .iter()
        .map(|prompt| faults.fate(prompt, 0) == Fate::Normal)
        .collect();
    assert_eq!(forward, expected);
    assert!(forward.contains(&true) && forward.contains(&false));
}

#[tokio::test]
async fn the_server_measures_requests_in_flight() {
    let config = MockLlm {
        latency: Duration::from_millis(200),
        ..quick()
    };
    let bounded = measure_llm("bounded", config.clone(), |llm| async move {
        let permits = tokio::sync::Semaphore::new(4);
        gather(numbered_prompts(10).iter().map(|prompt| async {
            let _permit = permits.acquire().await?;
            timed_call(prompt, llm.complete(prompt, MAX_TOKENS)).await
        }))
        .await
    })
    .await
    .unwrap();
    assert!(bounded.output.iter().all(Result::is_ok));
    assert_eq!(bounded.server.max_in_flight, 4);
    assert_eq!(bounded.server.requests, 10);
    assert_eq!(bounded.timeline.tasks.len(), 10, "a row per prompt");
    let gathered = measure_llm("gathered", config, |llm| async move {
        let prompts = numbered_prompts(10);
        gather(
            prompts
                .iter()
                .map(|prompt| llm.complete(prompt, MAX_TOKENS)),
        )
        .await
    })
    .await
    .unwrap();
    assert_eq!(gathered.server.max_in_flight, 10);
}

#[tokio::test]
async fn retries_answer_every_prompt_despite_injected_faults() {
    let config = MockLlm {
        faults: Faults {
            // Every prompt meets a normal answer within six attempts.
            seed: 6,
            error_share: 0.3,
            slow_share: 0.2,
            slow_latency: Duration::from_secs(5),
        },
        ..quick()
    };
    let policy = RetryPolicy {
        attempts: 6,
        timeout: Duration::from_millis(100),
        first_backoff: Duration::from_millis(1),
    };
    let measured = measure_llm("retries", config, |llm| async move {
        gather(
            numbered_prompts(10)
                .iter()
                .map(|prompt| with_retries(prompt, &policy, || llm.complete(prompt, MAX_TOKENS))),
        )
        .await
    })
    .await
    .unwrap();
    for outcome in &measured.output {
        assert!(outcome.result.is_ok(), "{outcome}");
    }
    let stats = measured.server;
    assert!(
        stats.injected_errors > 0 && stats.injected_slow > 0,
        "{stats:?}"
    );
    assert_eq!(
        stats.requests,
        10 + stats.injected_errors + stats.injected_slow,
        "one retry per fault"
    );
    let steps = measured
        .timeline
        .spans
        .iter()
        .filter(|span| span.kind == SpanKind::Step);
    assert_eq!(steps.count() as u64, stats.requests, "a bar per attempt");
}

#[tokio::test]
async fn a_streamed_answer_is_one_row_with_a_bar_per_token() {
    let streamed = measure_llm("streaming", quick(), |llm| async move {
        let mut tokens = llm.stream("why stream?", 5).await?;
        let mut answer = String::new();
        while let Some(token) = timed_call("why stream?", tokens.next()).await {
            answer.push_str(&token?);
        }
        anyhow::Ok(answer)
    })
    .await
    .unwrap();
    assert_eq!(streamed.output.unwrap(), answer_tokens(5).concat());
    assert_eq!(streamed.timeline.tasks.len(), 1);
    let steps = streamed
        .timeline
        .spans
        .iter()
        .filter(|span| span.kind == SpanKind::Step);
    assert_eq!(steps.count(), 6, "five tokens and the end of the stream");
}

#[tokio::test]
async fn a_rag_fan_out_has_a_row_per_stage() {
    let rag = measure_llm("rag", quick(), |llm| async move {
        let question = "how do retries work?";
        let (embedding, documents, record) = tokio::try_join!(
            timed_call("embedding", llm.embed(question)),
            timed_call("vector search", llm.search(question, 3)),
            timed_call("database lookup", llm.lookup("user-42")),
        )?;
        assert_eq!(embedding.len(), EMBEDDING_SIZE);
        let prompt = format!("{documents:?} {}: {question}", record.value);
        timed_call("completion", llm.complete(&prompt, MAX_TOKENS)).await
    })
    .await
    .unwrap();
    assert_eq!(rag.output.unwrap().text, answer_tokens(MAX_TOKENS).concat());
    assert_eq!(rag.server.requests, 4, "three stages and the completion");
    let rows: Vec<_> = rag.timeline.tasks.iter().map(|task| &**task).collect();
    assert_eq!(
        rows,
        [
            "embedding",
            "vector search",
            "database lookup",
            "completion"
        ]
    );
}

#[tokio::test]
async fn shutdown_frees_the_port_and_ends_the_server() {
    let llm = start(quick()).await;
    let addr = llm.addr();
    llm.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn dropping_the_handle_frees_the_port() {
    let llm = start(quick()).await;
    let addr = llm.addr();
    drop(llm);
    // The accept task is aborted; it is dropped, closing the listener, the
    // next time this runtime runs it.
    let mut refused = false;
    for _ in 0..100 {
        tokio::task::yield_now().await;
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "the port still accepts connections");
}

#[tokio::test]
async fn shutdown_lets_a_request_in_progress_finish() {
    let llm = start(MockLlm {
        latency: Duration::from_millis(200),
        ..quick()
    })
    .await;
    let client = LlmClient::new(llm.url());
    let request = tokio::spawn(async move { client.complete("in flight", 2).await });
    while llm.stats().in_flight == 0 {
        tokio::task::yield_now().await;
    }
    llm.shutdown().await;
    assert_eq!(request.await.unwrap().unwrap().tokens, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serving_layer_answers_through_the_llm_and_stops_when_dropped() {
    let llm = start(quick()).await;
    let serving = ServingLayer::start(llm.addr()).unwrap();
    let report = load_test(serving.addr(), 50).await;
    assert_eq!(report.connections, 50);
    assert_eq!(report.errors, 0);
    assert_eq!(llm.stats().requests, 50);
    let (status, body) = raw(http()
        .post(format!("{}/ask", serving.url()))
        .json(&serde_json::json!({ "query": "wrong field" })))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.error.message.contains("question"), "{:?}", body.error);
    let addr = serving.addr();
    drop(serving); // joins its thread
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serving_layer_reports_a_failing_llm_as_a_502() {
    let llm = start(MockLlm {
        faults: Faults {
            error_share: 1.0,
            ..Faults::NONE
        },
        ..quick()
    })
    .await;
    let serving = ServingLayer::start(llm.addr()).unwrap();
    let (status, body) = raw(http()
        .post(format!("{}/ask", serving.url()))
        .json(&serde_json::json!({ "question": "anyone?" })))
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(
        [
            "429 Too Many Requests",
            "500 Internal Server Error",
            "503 Service Unavailable"
        ]
        .iter()
        .any(|status| body.error.message.contains(status)),
        "{:?}",
        body.error
    );
    assert_eq!(body.error.kind, "server_error");
    let report = load_test(serving.addr(), 5).await;
    assert_eq!((report.connections, report.errors), (5, 5));
}

#[tokio::test]
async fn a_load_test_counts_clients_that_cannot_connect_as_errors() {
    let closed = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    };
    let report = load_test(closed, 3).await;
    assert_eq!((report.connections, report.errors), (3, 3));
}

#[tokio::test]
async fn an_unknown_model_is_a_404_naming_it() {
    let llm = start(quick()).await;
    let client = LlmClient::openai(format!("{}/v1", llm.url()), None, "gpt-nonexistent");
    let error = client.complete("x", 1).await.unwrap_err();
    let status = error.downcast_ref::<HttpStatusError>().unwrap();
    assert_eq!(status.status, StatusCode::NOT_FOUND);
    assert_eq!(status.code.as_deref(), Some("model_not_found"));
    assert_eq!(llm.stats().requests, 0, "refused before it is served");
    still_serves(&llm).await;
}

#[tokio::test]
async fn with_an_api_key_only_health_and_metrics_are_open() {
    let llm = start(MockLlm {
        api_key: Some("sesame".into()),
        ..quick()
    })
    .await;
    let base = format!("{}/v1", llm.url());
    for key in [None, Some("wrong")] {
        let error = LlmClient::openai(&base, key, "mock-llm")
            .complete("x", 1)
            .await
            .unwrap_err();
        let status = error.downcast_ref::<HttpStatusError>().unwrap();
        assert_eq!(status.status, StatusCode::UNAUTHORIZED, "key {key:?}");
        assert_eq!(status.kind.as_deref(), Some("authentication_error"));
    }
    let client = LlmClient::openai(&base, Some("sesame"), "mock-llm");
    assert_eq!(client.complete("x", 2).await.unwrap().tokens, 2);
    client.health().await.unwrap();
    let metrics = http().get(format!("{}/metrics", llm.url())).send().await;
    assert_eq!(metrics.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn a_rate_limit_says_when_to_retry() {
    let llm = start(MockLlm {
        faults: Faults {
            seed: 7,
            error_share: 1.0,
            ..Faults::NONE
        },
        ..quick()
    })
    .await;
    let mut rate_limited = None;
    for n in 0..30 {
        let response = http()
            .post(format!("{}/v1/chat/completions", llm.url()))
            .json(&serde_json::json!({
                "model": "mock-llm",
                "messages": [{"role": "user", "content": format!("prompt {n}")}],
            }))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            rate_limited = Some(response);
            break;
        }
    }
    let response = rate_limited.expect("a 429 among 30 failures");
    assert_eq!(response.headers()["retry-after"], "1");
    let body: ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.kind, "rate_limit_error");
    assert_eq!(body.error.code.as_deref(), Some("rate_limit_exceeded"));
}

#[tokio::test]
async fn a_stream_sends_chunks_then_usage_then_done() {
    let llm = start(quick()).await;
    let body = http()
        .post(format!("{}/v1/chat/completions", llm.url()))
        .json(&serde_json::json!({
            "model": "mock-llm",
            "messages": [{"role": "user", "content": "why stream"}],
            "max_completion_tokens": 3,
            "stream": true,
            "stream_options": {"include_usage": true},
        }))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events: Vec<&str> = body
        .split("\n\n")
        .filter(|event| !event.is_empty())
        .map(|event| event.strip_prefix("data: ").expect("a data line"))
        .collect();
    assert_eq!(events.last(), Some(&"[DONE]"));
    let chunks: Vec<serde_json::Value> = events[..events.len() - 1]
        .iter()
        .map(|event| serde_json::from_str(event).unwrap())
        .collect();
    let contents: Vec<&str> = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(contents, answer_tokens(3));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let finish = &chunks[chunks.len() - 2]["choices"][0];
    assert_eq!(finish["finish_reason"], "length");
    let usage = &chunks[chunks.len() - 1];
    assert_eq!(usage["choices"], serde_json::json!([]));
    assert_eq!(usage["usage"]["completion_tokens"], 3);
    assert_eq!(usage["usage"]["prompt_tokens"], 2);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let llm = start(quick()).await;
    let client = LlmClient::new(llm.url());
    client.complete("one", 1).await.unwrap();
    client.complete("two", 1).await.unwrap();
    client.complete("bad", 0).await.unwrap_err();
    client.embed("three").await.unwrap();
    let response = http()
        .get(format!("{}/metrics", llm.url()))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for expected in [
        r#"mock_llm_http_requests_total{route="/v1/chat/completions",status="200"} 2"#,
        r#"mock_llm_http_requests_total{route="/v1/chat/completions",status="400"} 1"#,
        r#"mock_llm_http_requests_total{route="/v1/embeddings",status="200"} 1"#,
        r#"mock_llm_http_request_duration_seconds_count{route="/v1/chat/completions"} 3"#,
        r#"mock_llm_http_request_duration_seconds_bucket{le="+Inf",route="/v1/embeddings"} 1"#,
        "mock_llm_requests_in_flight 0",
        "mock_llm_max_requests_in_flight 1",
    ] {
        assert!(lines.contains(&expected), "{expected} not in\n{text}");
    }
    assert_eq!(lines.last(), Some(&"# EOF"));
}

#[tokio::test]
async fn another_server_gets_the_llm_calls_and_the_mock_keeps_the_stages() {
    let real = start(MockLlm {
        model: "real-model".into(),
        api_key: Some("k".into()),
        ..quick()
    })
    .await;
    let stages = start(quick()).await;
    let base_url = format!("{}/v1/", real.url());
    let external = ExternalLlm::from_vars(|name| match name {
        "LLM_BASE_URL" => Some(base_url.clone()),
        "LLM_MODEL" => Some("real-model".into()),
        "LLM_API_KEY" => Some("k".into()),
        _ => None,
    })
    .unwrap()
    .expect("LLM_BASE_URL is set");
    let client = external.client(&stages.url());
    let prompts = numbered_prompts(10);
    let answers = gather(prompts.iter().map(|prompt| client.complete(prompt, 1))).await;
    assert!(answers.iter().all(Result::is_ok));
    assert_eq!(client.max_in_flight(), 10, "counted by the client");
    let question = "how do retries work?";
    let (embedding, documents, record) = tokio::try_join!(
        client.embed(question),
        client.search(question, 3),
        client.lookup("user-42"),
    )
    .unwrap();
    assert!(!embedding.is_empty() && !documents.is_empty() && !record.value.is_empty());
    client.complete(question, 1).await.unwrap();
    // Ten prompts, the embedding and the completion went to the other
    // server; search and lookup to the mock.
    assert_eq!(real.stats().requests, 12);
    assert_eq!(stages.stats().requests, 2);
}

#[test]
fn llm_base_url_without_a_model_is_a_clear_error() {
    let error = ExternalLlm::from_vars(|name| {
        (name == "LLM_BASE_URL").then(|| "http://127.0.0.1:8080/v1".to_owned())
    })
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "LLM_BASE_URL is set, so LLM_MODEL must name the model to ask"
    );
    let empty = ExternalLlm::from_vars(|name| (name == "LLM_BASE_URL").then(String::new));
    assert_eq!(empty.unwrap(), None, "an empty LLM_BASE_URL means the mock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serving_layer_also_asks_an_http1_server_with_a_key() {
    let llm = start(MockLlm {
        model: "served".into(),
        api_key: Some("k".into()),
        ..quick()
    })
    .await;
    let upstream = Upstream {
        api_base: format!("{}/v1", llm.url()),
        api_key: Some("k".into()),
        model: "served".into(),
        http2: false,
    };
    let serving = ServingLayer::start_with("127.0.0.1:0".parse().unwrap(), upstream).unwrap();
    let report = load_test(serving.addr(), 20).await;
    assert_eq!((report.connections, report.errors), (20, 0));
    assert_eq!(llm.stats().requests, 20);
    drop(serving);
}
