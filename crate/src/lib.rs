//! Async Rust, step by step: the support crate behind the notebooks that
//! rebuild the beginner post "Introduction to Python Asynchronous Programming
//! (Asyncio)" on the evcxr Rust kernel.
//!
//! A notebook loads it with
//! `:dep async_walkthrough = { path = "../crate" }` and `use async_walkthrough::*;`.
//!
//! # Layout
//!
//! The post itself (notebook 01), and the pieces every notebook uses:
//!
//! - [`workloads`]: the post's functions, [`find_users_sync`],
//!   [`find_users_async`], [`process_sync`] and [`process_async`], printing the
//!   post's lines word for word.
//! - [`gather`](mod@gather): [`gather()`], asyncio.gather's counterpart, which
//!   polls futures woken together in input order so output interleaves as in
//!   CPython.
//! - [`timing`]: [`Stopwatch`], [`time_it`] and [`time_future`] for the post's
//!   `start = time.time() ... end - start` pattern.
//! - [`timeline`]: opt-in recording of what each task did when ([`record`],
//!   [`record_future`], [`row`], [`carry`]), giving a [`Timeline`] to draw.
//! - [`timeline_chart`]: draws a [`Timeline`] as SVG (plotters) and as text.
//! - [`console`]: where workload lines go: stdout, or a capture for tests.
//! - [`display`]: notebook outputs, among them [`FutureDisplay`], which shows an
//!   unawaited future as a value instead of failing the cell, and
//!   [`DebugDisplay`], which saves evcxr a second compile for plain values.
//! - [`kernel`]: [`later`] and [`create_task`], a future kept unstarted in a
//!   variable and a task that runs on between cells, despite every cell
//!   having its own copy of tokio.
//! - [`listing`]: [`source_of`], the crate's own source of a function, so a
//!   notebook shows the code that actually runs.
//!
//! What the post leaves out (notebook 02):
//!
//! - [`blocking`]: [`find_users_blocking`], an async function that blocks its
//!   thread, and [`find_users_spawn_blocking`], which moves the blocking onto
//!   tokio's blocking pool.
//! - [`cpu`]: a fixed busy loop gathered on one task and spawned as tasks,
//!   [`compare_cpu_bound`]: concurrency is not parallelism.
//! - [`single_thread`]: [`on_one_thread`], a future run on a current-thread
//!   runtime.
//! - [`cancel`]: [`process_timeout`] and [`process_race`]: dropping a future
//!   cancels it.
//! - [`threads`]: [`process_threads`], the searches on scoped threads, and
//!   [`count_on_threads`], a shared counter that is safe.
//! - [`compiler`]: [`rustc_says`], the real compiler's message on a snippet in
//!   `crate/snippets/` that must not compile.
//!
//! At scale (notebook 03):
//!
//! - [`scale`]: N one-second searches gathered, spawned or on threads
//!   ([`scale::Mode`]), timed and measured; behind the `scale` example,
//!   `make bench` and the notebook's live [`scale::sweep`].
//! - [`scale_report`]: `make bench`'s results file as a table and log-log
//!   charts ([`ScaleResults`]).
//!
//! LLM serving (notebook 04):
//!
//! - [`mock_llm`]: [`MockLlm`], a stand-in LLM speaking OpenAI's API over
//!   HTTP on 127.0.0.1 (axum), with latencies, streaming, RAG stages,
//!   Prometheus metrics and seeded [`Faults`] ([`faults`]).
//! - [`llm_client`]: [`LlmClient`], its client (async-openai), for any
//!   OpenAI-compatible server; errors name the URL.
//!   [`llm_channel`]: [`LlmChannel`], completions as streams of one HTTP/2
//!   connection, for the serving layer.
//! - [`retry`]: [`with_retries`], a per-attempt timeout and retries with
//!   backoff.
//! - [`llm_runs`]: the notebook's runs against the mock LLM (or the server of
//!   `LLM_BASE_URL`, [`ExternalLlm`]), [`measure`]d and drawn as timelines.
//! - [`serving`]: [`ServingLayer`], an endpoint on one thread in front of the
//!   LLM; [`load_test`](mod@load_test): [`load_test()`], many clients asking
//!   it at once (the `serve_bench` example).
//! - [`loopback`]: [`LoopbackServer`], which serves those apps on 127.0.0.1
//!   and stops when dropped; [`api_error`]: their JSON error answers.
//! - [`own_runtime`]: [`on_own_runtime`], a tokio runtime per notebook cell,
//!   since evcxr's shared one cannot run tasks spawned from later cells.
//!
//! Notebook 04's modules need the `llm` feature, which brings the HTTP stack
//! (axum, hyper, h2, reqwest); notebooks 01-03 load the crate without it.

pub mod console;
pub mod display;
pub mod gather;
pub mod kernel;
pub mod listing;
pub mod timeline;
pub mod timeline_chart;
pub mod timing;
pub mod workloads;

pub mod blocking;
pub mod cancel;
pub mod compiler;
pub mod cpu;
pub mod single_thread;
pub mod threads;

pub mod scale;
pub mod scale_report;

#[cfg(feature = "llm")]
pub mod api_error;
#[cfg(feature = "llm")]
pub mod faults;
#[cfg(feature = "llm")]
pub mod llm_channel;
#[cfg(feature = "llm")]
pub mod llm_client;
#[cfg(feature = "llm")]
pub mod llm_runs;
#[cfg(feature = "llm")]
pub mod load_test;
#[cfg(feature = "llm")]
pub mod loopback;
#[cfg(feature = "llm")]
pub mod mock_llm;
pub mod own_runtime;
#[cfg(feature = "llm")]
pub mod retry;
#[cfg(feature = "llm")]
pub mod serving;

pub use console::{capture, capture_future, say};
pub use display::{DebugDisplay, FutureDisplay, describe_future};
#[cfg(feature = "llm")]
pub use faults::{Fate, Faults};
pub use gather::gather;
pub use kernel::{Later, LaterRun, Task, create_task, later};
pub use listing::{Listing, ListingDisplay, source_of};
#[cfg(feature = "llm")]
pub use llm_channel::LlmChannel;
#[cfg(feature = "llm")]
pub use llm_client::{HttpStatusError, LlmClient};
#[cfg(feature = "llm")]
pub use llm_runs::{
    ExternalLlm, MAX_TOKENS, Measured, OutcomeDisplay, ask, ask_bounded, ask_gathered,
    ask_sequentially, ask_with_retries, llm_in_use, measure, prompts, rag_answer, stream_answer,
    talk_to_llm,
};
#[cfg(feature = "llm")]
pub use load_test::{LoadReport, load_test};
#[cfg(feature = "llm")]
pub use loopback::LoopbackServer;
#[cfg(feature = "llm")]
pub use mock_llm::{Completion, MockLlm, MockLlmServer, ServerStats, StageLatencies};
pub use own_runtime::on_own_runtime;
#[cfg(feature = "llm")]
pub use retry::{Retried, RetryPolicy, with_retries};
pub use scale::{Mode, sweep};
pub use scale_report::ScaleResults;
#[cfg(feature = "llm")]
pub use serving::{ServingLayer, Upstream, serve_under_load};
pub use timeline::{Timeline, carry, record, record_future, row};
pub use timing::{Stopwatch, time_future, time_it};
pub use workloads::{find_users_async, find_users_sync, process_async, process_sync};

pub use blocking::{
    find_users_blocking, find_users_spawn_blocking, process_blocking, process_spawn_blocking,
};
pub use cancel::{Winner, process_race, process_timeout};
pub use compiler::{RustcReport, RustcReportDisplay, rustc_says, snippet};
pub use cpu::{CpuComparison, busy_work, compare_cpu_bound};
pub use single_thread::{on_one_thread, runtime_workers};
pub use threads::{count_on_threads, process_threads};
pub use timeline::carry_fn;
