// -*- coding: utf-8 -*-
// ---
// jupyter:
//   jupytext:
//     formats: ipynb,rs:percent
//     text_representation:
//       extension: .rs
//       format_name: percent
//       format_version: '1.3'
//       jupytext_version: 1.19.6
//   kernelspec:
//     display_name: Rust
//     language: rust
//     name: rust
// ---

// %% [markdown]
// # 04 · LLM calls, RAG and a serving layer, measured
//
// The post closes with a promise: async is what makes calls to LLM APIs, retrieval-augmented (RAG) pipelines and a FastAPI-style serving layer fast and cheap, even on a single thread. It shows none of it. This notebook runs each claim over real HTTP and measures it.
//
// There is no real model here. The crate has a small **mock LLM server** (built on axum) that listens on 127.0.0.1 and answers after a latency we choose. It speaks OpenAI's API (chat completions, streamed or not, embeddings, the models list, OpenAI's error objects), and from the client's side it behaves like the real thing where it matters: each answer takes time, many requests can wait at once, streamed answers come token by token, and some answers fail or stall when we ask it to.
//
// Because it speaks OpenAI's API, the same cells run against a real model. Set `LLM_BASE_URL` to an OpenAI-compatible server (`http://127.0.0.1:8080/v1` for llama.cpp's server, for example), `LLM_MODEL` to its model and, if it needs one, `LLM_API_KEY`, then start Jupyter. The latencies and faults below are the mock's and do not apply to a real server; the outputs saved in this notebook are the mock's.
//
// Every cell starts its own server and stops it before the cell ends, so no server lingers between cells. Run the notebook top to bottom; the whole run waits about 15 seconds in total, and the two exercises at the end about 6 more.
//
// Each cell awaits its work on the kernel's one tokio runtime, like notebook 01's cells, and a server started in a cell spawns its connections there too. That needs a kernel whose cells share one tokio, which the first cell checks.

// %% [markdown]
// The usual start: load the crate next to this folder, with its `llm` feature (the HTTP stack), and name tokio, which the cells use directly.

// %%
// :dep async_walkthrough = { path = "../crate", features = ["llm"] }
// :dep tokio = { version = "1", features = ["full"] }
use async_walkthrough::prelude::*;
use std::time::Duration;
require_one_tokio!()

// %% [markdown]
// Which LLM the cells below talk to: the mock, unless `LLM_BASE_URL` is set.

// %%
println!("{}", llm_in_use());

// %% [markdown]
// ## Talking to the LLM
//
// `MockLlm::default()` answers a chat completion after half a second. `LlmClient` is built on async-openai, the Rust OpenAI client, without a TLS stack (it only talks to this machine, and so needs no system libraries). `talk_to_llm` starts the mock, hands the cell a client, and stops the mock when the cell's work is done.
//
// First the models the server lists, then a chat completion: the prompt goes out as one user message with `max_tokens`, and the mock always says the same sentence, cut to that length.
//
// The last call asks for zero tokens, which the server refuses with `400 Bad Request` and an OpenAI error object. The client's error names the request and the cause (the port is picked by the system, so it differs between runs).

// %%
talk_to_llm(MockLlm::default(), |llm| async move {
    match llm.models().await {
        Ok(models) => println!("models: {}", models.join(", ")),
        Err(error) => println!("models failed: {error:#}"),
    }
    match llm.complete("What does async buy us?", MAX_TOKENS).await {
        Ok(completion) => println!("answer: {}", completion.text),
        Err(error) => println!("failed: {error:#}"),
    }
    if let Err(error) = llm.complete("What does async buy us?", 0).await {
        println!("refused: {error:#}");
    }
})
.await
.expect("the mock LLM starts");

// %% [markdown]
// ## Ten prompts, one after another
//
// The obvious way to handle ten prompts is a loop: send one, wait for its answer, send the next. `numbered_prompts(10)` makes the prompts (`prompt 1` to `prompt 10`), and `timed_call(name, call)` awaits a call and draws the wait as one bar on the row `name` of the timeline.
//
// `measure_llm` starts a fresh mock LLM, runs the cell's work against it while recording the timeline, then stops the server and reports how many calls were answered, the time taken and the most requests the **server** saw at once. Ten answers of half a second each, in a row: about 5 seconds, never more than one request at the server.

// %%
measure_llm("sequential", MockLlm::default(), |llm| async move {
    let mut answers = Vec::new();
    for prompt in numbered_prompts(10) {
        answers.push(timed_call(&prompt, llm.complete(&prompt, MAX_TOKENS)).await);
    }
    answers
})
.await

// %% [markdown]
// ## Ten prompts at once
//
// The same ten calls handed to `gather`, as in notebook 01. All ten requests are sent before the first answer comes back, so their waits overlap: the whole batch should take about as long as one call, half a second, with all ten requests in flight at the server together.

// %%
measure_llm("gathered", MockLlm::default(), |llm| async move {
    let prompts: Vec<String> = numbered_prompts(10);
    gather(prompts.iter().map(|prompt| timed_call(prompt, llm.complete(prompt, MAX_TOKENS)))).await
})
.await

// %% [markdown]
// ## At most four at a time
//
// LLM providers limit mostly rates: requests and tokens per minute for each API key, answered with `429 Too Many Requests` beyond them. A server we run ourselves may instead serve only so many requests at once (llama.cpp's server has a fixed number of slots) and queue the rest. A semaphore bounds concurrency, how many of our requests are out at the same moment, not a rate; with answers of a known latency it caps the rate too (four at a time, half a second each: at most eight requests a second).
//
// Here the semaphore has four permits. Every prompt starts at once, but it must hold a permit while its request is out, so a prompt's bar begins only when it gets one. Ten prompts in batches of four: 4 + 4 + 2, three rounds of half a second, about 1.5 seconds, with the limit checked by the server's own count rather than taken on trust. Change the 4 and run the cell again.

// %%
measure_llm("bounded, 4 at a time", MockLlm::default(), |llm| async move {
    let permits = tokio::sync::Semaphore::new(4);
    gather(numbered_prompts(10).iter().map(|prompt| async {
        let _permit = permits.acquire().await?;
        timed_call(prompt, llm.complete(prompt, MAX_TOKENS)).await
    }))
    .await
})
.await

// %% [markdown]
// ## Timeouts and retries
//
// Now the mock misbehaves. With a fixed seed it fails about one request in five, with `429 Too Many Requests` (a rate limit, answered at once), `500 Internal Server Error` or `503 Service Unavailable`, and stalls on about one in seven for 3 seconds. Which requests fail depends only on the seed, the prompt and how often that prompt was sent before, never on timing, so the failures are the same on every run.
//
// The defence is a timeout on each attempt and a retry, after a pause that doubles each time, when an attempt timed out, met a 5xx error or was rate limited (429), the same cases OpenAI's own clients retry. Any other 4xx error is not retried: the request itself is wrong, and sending it again cannot help.

// %%
source_of("with_retries")

// %% [markdown]
// All ten prompts go out together, each through `with_retries` with up to four attempts of at most one second. The lines below list what each prompt went through, and in the picture every attempt is its own bar, the gaps between them being the pauses. Try a shorter timeout or fewer attempts in `policy` and run the two cells again.

// %%
let flaky = MockLlm {
    faults: Faults {
        seed: 34,
        error_share: 0.2,
        slow_share: 0.15,
        slow_latency: Duration::from_secs(3),
    },
    ..MockLlm::default()
};
let policy = RetryPolicy {
    attempts: 4,
    timeout: Duration::from_secs(1),
    first_backoff: Duration::from_millis(200),
};

// %%
measure_llm("retries", flaky.clone(), |llm| async move {
    gather(numbered_prompts(10).iter().map(|prompt| {
        with_retries(prompt, &policy, || llm.complete(prompt, MAX_TOKENS))
    }))
    .await
})
.await

// %% [markdown]
// ## Streaming
//
// Waiting for a whole answer is not the only choice. Asked to stream, the mock sends each token as a server-sent event as soon as it is "generated": the first after half a second, then one every 100 ms. The client prints each token when it arrives, with the time since the request.

// %%
measure_llm("streaming", MockLlm::default(), |llm| async move {
    let stopwatch = Stopwatch::start();
    let mut tokens = llm.stream("Why stream?", MAX_TOKENS).await?;
    let mut answer = String::new();
    while let Some(token) = timed_call("Why stream?", tokens.next()).await {
        let token = token?;
        println!("{:>4.1} s  {token:?}", stopwatch.elapsed_secs());
        answer.push_str(&token);
    }
    println!("answer: {answer}");
    anyhow::Ok(())
})
.await

// %% [markdown]
// ## RAG fan-out
//
// A retrieval-augmented answer needs a few things before the model can be asked: here the question's embedding, a vector search over documents and the user's record from a database. The mock serves each as its own endpoint with its own latency: 0.3, 0.6 and 0.4 seconds. None of the three depends on another, so they are fetched together, and the completion (0.5 s) is asked once all three are in.
//
// End to end it should take the longest branch plus the completion, 0.6 + 0.5 = 1.1 seconds, where fetching one after another would take 0.3 + 0.6 + 0.4 + 0.5 = 1.8.

// %%
measure_llm("RAG fan-out", MockLlm::default(), |llm| async move {
    let question = "How do retries work?";
    let (embedding, documents, record) = tokio::try_join!(
        timed_call("embedding", llm.embed(question)),
        timed_call("vector search", llm.search(question, 3)),
        timed_call("database lookup", llm.lookup("user-42")),
    )?;
    println!("embedding: {} numbers", embedding.len());
    println!("documents: {}", documents.join(", "));
    println!("record: {}", record.value);
    let prompt = format!("Context: {}. User: {}. Question: {question}", documents.join("; "), record.value);
    let answer = timed_call("completion", llm.complete(&prompt, MAX_TOKENS)).await?;
    println!("answer: {}", answer.text);
    anyhow::Ok(())
})
.await

// %% [markdown]
// ## A serving layer on one thread
//
// Last, the server side. `ServingLayer` is an axum app on a tokio runtime with a single thread. Its one endpoint, `POST /ask`, passes the question on to the LLM as a chat completion and returns the answer, so every request it holds spends a second waiting.
//
// The load test below always asks a mock that answers in one second, even with `LLM_BASE_URL` set: it measures the serving layer, and a thousand questions at once to a real model would measure the model instead. To put the same layer in front of a real server, run `cargo run --release -p async_walkthrough --example serve -- --port 8001 --llm URL`.

// %%
source_of("answer_question")

// %% [markdown]
// The cell starts that mock and the serving layer in front of it, then `load_test` has a thousand clients, each on its own connection, send a question at the same moment. Waiting costs the thread nothing, so all thousand should be answered in about one second. A thread per request, or a handler that blocked, would need a thousand threads or a thousand seconds.
//
// (The clients open their connections first and start the clock once all are open, the way load-testing tools do; `cargo run --release -p async_walkthrough --example serve_bench -- --connections 5000 --latency-ms 1000` runs the same test with 5,000; `make bench-serving` also measures the standalone `serve` example with oha, a load generator we did not write.)

// %%
async {
    let llm = MockLlm { latency: Duration::from_secs(1), ..MockLlm::default() }.start().await?;
    let serving = ServingLayer::start(llm.addr())?;
    let report = load_test(serving.addr(), 1000).await;
    drop(serving); // its thread ends, closing its connection to the LLM
    llm.shutdown().await;
    anyhow::Ok(report)
}
.await

// %% [markdown]
// That is the post's closing claim, measured: while requests wait on the network, async lets one thread keep thousands of them going, whether it sends them (gathered, bounded, retried, streamed, fanned out) or serves them.

// %% [markdown] tags=["exercises"]
// ## Exercises
//
// Two exercises against the mock LLM. Each check starts a mock of its own, runs your function against it, counts at the server what your code sent, and stops the mock, whatever `LLM_BASE_URL` says: the counts are the point. ✓ or ✗ per point, then a summary. Hints are folded below each; solutions are in the repository's `exercises/solutions/`.

// %% [markdown]
// ### Exercise 1 · Three at a time
//
// Your provider allows 3 requests at once. `ask_all` sends all 10 prompts together, which is fast but breaks that limit. Change it so that at most 3 requests are out at any moment, while still using all 3 slots: ten answers of half a second, three at a time, take about 2 seconds, where one at a time take 5.

// %% tags=["exercise=three-at-a-time"]
async fn ask_all(llm: LlmClient, prompts: Vec<String>) -> Vec<anyhow::Result<Completion>> {
    gather(prompts.iter().map(|prompt| llm.complete(prompt, MAX_TOKENS))).await
}

// %% tags=["check=three-at-a-time"]
let three_at_a_time: Verdict = check_at_most_three_in_flight(ask_all).await;

// %% [markdown]
// <details><summary>Hint</summary>
//
// "At most four at a time" above does this with a semaphore. A permit holds its slot only while it is alive: bind it to a name that lives until the call's answer is in (`let _ = ...` drops it at once).
// </details>

// %% [markdown]
// ### Exercise 2 · Survive a flaky LLM
//
// The check's mock fails like the one in "Timeouts and retries" (some answers are errors, some stall), except that its stalls last 5 seconds. `ask` sends one prompt once. Change it so that every prompt gets its answer: give each attempt at most a second, and try again after an error worth retrying or a timeout. The check also counts the requests: send a retry only after a failure.

// %% tags=["exercise=flaky-llm"]
async fn ask(llm: LlmClient, prompt: String) -> anyhow::Result<Completion> {
    llm.complete(&prompt, MAX_TOKENS).await
}

// %% tags=["check=flaky-llm"]
let flaky_llm: Verdict = check_survives_flaky_llm(ask).await;

// %% [markdown]
// <details><summary>Hint</summary>
//
// `with_retries` above takes a `RetryPolicy` and a closure that makes one attempt; its outcome's `result` is what `ask` returns. You can also write the loop yourself with `tokio::time::timeout`.
// </details>

// %% [markdown]
// ### Your exercises
//
// Run this cell after the checks to see how many of this notebook's exercises you have solved.

// %% tags=["exercise-tally"]
exercises_passed(&[&three_at_a_time, &flaky_llm]);
