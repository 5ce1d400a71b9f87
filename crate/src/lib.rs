//! Async Rust, step by step: the support crate behind the notebooks that
//! rebuild the beginner post "Introduction to Python Asynchronous Programming
//! (Asyncio)" on the evcxr Rust kernel.
//!
//! A notebook loads it with
//! `:dep async_walkthrough = { path = "../crate" }` and
//! `use async_walkthrough::prelude::*;`; the [`prelude`] holds just what the
//! notebooks' cells call, and everything else is reachable by path.
//!
//! # Layout
//!
//! One folder per concern, in the order the notebooks meet them:
//!
//! - [`post`]: the post's workloads ([`find_users_sync`](post::find_users_sync),
//!   [`process_async`](post::process_async), ...) printing its lines word for
//!   word, and [`gather`](fn@post::gather), asyncio.gather's counterpart, which
//!   polls futures woken together in the order they were passed.
//! - [`timing`]: [`Stopwatch`](timing::Stopwatch); recording a run as a
//!   [`Timeline`](timing::Timeline) of rows and steps; drawing it as SVG and
//!   text (recording knows nothing of drawing).
//! - [`notebook`]: life in the evcxr kernel: value displays (an unawaited
//!   future shown like a coroutine object), where workload lines go,
//!   [`require_one_tokio!`] for notebooks whose tasks and futures outlive
//!   their cell, [`source_of`](notebook::source_of) and
//!   [`rustc_says`](notebook::rustc_says) for code and compiler messages as
//!   outputs.
//! - [`lessons`]: what notebooks 02 and 05 build on to show what the post
//!   leaves out: a blocking search and one on the blocking pool, a busy loop,
//!   a current-thread runtime (asyncio's one-thread loop), scoped threads
//!   whose lines are kept (the demonstrations themselves, cancellation among
//!   them, are in the cells).
//! - [`scale`]: the searches from 10 to 10 million at once, and `make bench`'s
//!   results (notebook 03).
//! - [`exercises`]: the checks of the notebooks' exercises, which run the
//!   learner's code and judge what it did (overlap, time, requests in flight,
//!   tasks left running), with the [`Verdict`](exercises::Verdict) each
//!   prints.
//!
//! Behind the `llm` feature, which brings the HTTP stack (axum, hyper, h2,
//! reqwest, async-openai) that the other notebooks neither build nor link:
//!
//! - [`http`]: [`LoopbackServer`](http::LoopbackServer), serving an app on
//!   127.0.0.1 until dropped, and the servers' OpenAI-shaped errors.
//! - [`llm`]: the mock LLM speaking OpenAI's API, its client, retries, and
//!   what notebook 04's cells build on to run against it.
//! - [`serving`]: a serving layer on one thread in front of the LLM, and the
//!   load test that measures it.
//!
//! Two private modules serve several folders: `mix` (the FNV-1a hash and the
//! SplitMix64 step behind seeded choices and the busy loop) and `sync` (one
//! way to take a mutex).
//!
//! Dependencies point one way: `post` and `timing` use `notebook`'s console
//! and displays; `lessons` and `scale` build on `post` and `timing`; `llm` on
//! `http` and those; `serving` on `llm` and `http`; `exercises` on `post`,
//! `timing` and `llm`.

// Every public item says what it is for, and `pub` means reachable from
// outside: an item only the crate uses is `pub(crate)`, so what a notebook can
// call is exactly what the docs list.
#![warn(missing_docs)]
#![warn(unreachable_pub)]

pub mod exercises;
pub mod lessons;
pub mod notebook;
pub mod post;
pub mod prelude;
pub mod scale;
pub mod timing;

mod mix;
mod sync;

#[cfg(feature = "llm")]
pub mod http;
#[cfg(feature = "llm")]
pub mod llm;
#[cfg(feature = "llm")]
pub mod serving;
