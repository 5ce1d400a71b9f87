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

pub mod console;
pub mod display;
pub mod gather;
pub mod listing;
pub mod scale;
pub mod scale_report;
pub mod timeline;
pub mod timeline_chart;
pub mod timing;
pub mod workloads;

pub use console::{capture, capture_future, say};
pub use display::{FutureDisplay, describe_future};
pub use gather::gather;
pub use listing::{Listing, ListingDisplay, source_of};
pub use scale::{Mode, sweep};
pub use scale_report::ScaleResults;
pub use timeline::{Timeline, carry, record, record_future, row};
pub use timing::{Stopwatch, time_future, time_it};
pub use workloads::{find_users_async, find_users_sync, process_async, process_sync};
