//! Async Rust, step by step: the support crate behind the notebooks that
//! rebuild the beginner post "Introduction to Python Asynchronous Programming
//! (Asyncio)" on the evcxr Rust kernel.
//!
//! A notebook loads it with
//! `:dep async_walkthrough = { path = "../crate" }` and `use async_walkthrough::*;`.
//!
//! # Layout
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
//!   unawaited future as a value instead of failing the cell.
//! - [`listing`]: [`source_of`], the crate's own source of a function, so a
//!   notebook shows the code that actually runs.
//! - [`scale`]: the searches at scale: N one-second searches gathered,
//!   spawned or on threads ([`scale::Mode`]), timed and measured; behind the
//!   `scale` example, `make bench` and notebook 03's live [`scale::sweep`].
//! - [`scale_report`]: `make bench`'s results file as a table and log-log
//!   charts ([`ScaleResults`]).
//! - [`mock_llm`]: [`MockLlm`], a stand-in LLM API over HTTP on 127.0.0.1
//!   (axum), with latencies, streaming, RAG stages and seeded [`Faults`]
//!   ([`faults`]).
//! - [`llm_client`]: [`LlmClient`], its reqwest client; errors name the URL.
//!   [`llm_channel`]: [`LlmChannel`], completions as streams of one HTTP/2
//!   connection, for the serving layer.
//! - [`retry`]: [`with_retries`], a per-attempt timeout and retries with
//!   backoff.
//! - [`llm_runs`]: notebook 04's runs against the mock LLM, [`measure`]d and
//!   drawn as timelines.
//! - [`serving`]: [`ServingLayer`], an endpoint on one thread in front of the
//!   LLM; [`load_test`](mod@load_test): [`load_test()`], many clients asking
//!   it at once (the `serve_bench` example).
//! - [`loopback`]: [`LoopbackServer`], which serves those apps on 127.0.0.1
//!   and stops when dropped; [`api_error`]: their JSON error answers.
//! - [`own_runtime`]: [`on_own_runtime`], a tokio runtime per notebook cell,
//!   since evcxr's shared one cannot run tasks spawned from later cells.

pub mod api_error;
pub mod console;
pub mod display;
pub mod faults;
pub mod gather;
pub mod listing;
pub mod llm_channel;
pub mod llm_client;
pub mod llm_runs;
pub mod load_test;
pub mod loopback;
pub mod mock_llm;
pub mod own_runtime;
pub mod retry;
pub mod scale;
pub mod scale_report;
pub mod serving;
pub mod timeline;
pub mod timeline_chart;
pub mod timing;
pub mod workloads;

pub use console::{capture, capture_future, say};
pub use display::{FutureDisplay, describe_future};
pub use faults::{Fate, Faults};
pub use gather::gather;
pub use listing::{Listing, ListingDisplay, source_of};
pub use llm_channel::LlmChannel;
pub use llm_client::{HttpStatusError, LlmClient};
pub use llm_runs::{
    MAX_TOKENS, Measured, OutcomeDisplay, ask, ask_bounded, ask_gathered, ask_sequentially,
    ask_with_retries, measure, prompts, rag_answer, stream_answer,
};
pub use load_test::{LoadReport, load_test};
pub use loopback::LoopbackServer;
pub use mock_llm::{Completion, MockLlm, MockLlmServer, ServerStats, StageLatencies};
pub use own_runtime::on_own_runtime;
pub use retry::{Retried, RetryPolicy, with_retries};
pub use scale::{Mode, sweep};
pub use scale_report::ScaleResults;
pub use serving::{ServingLayer, serve_under_load};
pub use timeline::{Timeline, carry, record, record_future, row};
pub use timing::{Stopwatch, time_future, time_it};
pub use workloads::{find_users_async, find_users_sync, process_async, process_sync};
