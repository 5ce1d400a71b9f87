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
//!
//! Notebook 02, what the post leaves out:
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
//! - [`spawn_trap`]: [`two_cells`], a spawned task that outlives its cell, and
//!   the rule that prevents it.

pub mod console;
pub mod display;
pub mod gather;
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
pub mod spawn_trap;
pub mod threads;

pub use console::{capture, capture_future, say};
pub use display::{FutureDisplay, describe_future};
pub use gather::gather;
pub use listing::{Listing, ListingDisplay, source_of};
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
pub use spawn_trap::{CellEnding, two_cells};
pub use threads::{count_on_threads, process_threads};
pub use timeline::carry_fn;
