//! What the notebooks' cells call, for `use async_walkthrough::prelude::*;`.
//!
//! Only names a notebook uses, and the display traits that let a cell end in
//! a future, a result or a plain value. Anything else is reachable by its
//! path, such as `async_walkthrough::scale::Mode`.

pub use crate::notebook::{
    DebugDisplay, FutureDisplay, NotebookDisplay, OneTokio, capture_future, rustc_says, source_of,
};
pub use crate::post::{find_users_async, find_users_sync, gather, process_async, process_sync};
pub use crate::require_one_tokio;
pub use crate::timing::{Row, Stopwatch, Timeline, carry, fastest_of, record, record_future};

pub use crate::lessons::{
    busy_work, find_users_blocking, find_users_spawn_blocking, on_one_thread, runtime_workers,
    spawn_captured,
};
pub use crate::scale::ScaleResults;

pub use crate::exercises::{
    Job, Kitchen, Order, Verdict, check_gives_up_after_two_seconds, check_group_fails_fast,
    check_orders_flow, check_searches_never_block, check_searches_overlap, exercises_passed,
};
#[cfg(feature = "llm")]
pub use crate::exercises::{check_at_most_three_in_flight, check_survives_flaky_llm};

#[cfg(feature = "llm")]
pub use crate::llm::{
    Completion, Faults, LlmClient, MAX_TOKENS, MockLlm, MockLlmServer, Retried, RetryPolicy,
    llm_in_use, measure_llm, numbered_prompts, talk_to_llm, timed_call, with_retries,
};
#[cfg(feature = "llm")]
pub use crate::serving::{LoadReport, ServingLayer, load_test};
#[cfg(feature = "llm")]
pub use anyhow;
#[cfg(feature = "llm")]
pub use futures::StreamExt;
