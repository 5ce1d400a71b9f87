//! The post's workloads: simulated user searches, run one after another and
//! concurrently.
//!
//! Each search step takes one second. The sync functions spend it blocked in
//! `std::thread::sleep`; the async ones spend it in `tokio::time::sleep`, which
//! hands the thread back to the runtime so other futures can run meanwhile.
//! The printed lines are the post's, word for word, so a notebook can be held
//! against what CPython prints.
//!
//! The lines ending in `// timeline` record each search as a step in the row
//! of its `find_users` call, for the timeline pictures; they do nothing unless
//! a run is being recorded, and [`source_of`](crate::notebook::source_of)
//! leaves them out, so a notebook shows the post's functions as the post
//! wrote them. What is left must compile as shown (`build.rs` checks it), so
//! the drivers, which return their run's timeline, record it in plain sight:
//! the post's body is their `run`.

use crate::notebook::console::say;
use crate::post::gather::gather;
use crate::timing::stopwatch::{Stopwatch, python_seconds};
use crate::timing::timeline::{Row, Timeline, record, record_future};
use std::time::Duration;

/// How long one simulated user search takes.
pub const SEARCH_STEP: Duration = Duration::from_secs(1);

/// Searches `n` users one by one, blocking the thread for a second each.
///
/// It prints with [`say`], `println!` that a caller can collect instead:
/// searches on threads of their own print at the same instant, in an order
/// that changes from run to run, so notebook 02 collects each thread's lines
/// and prints them thread by thread; the tests hold the lines against
/// CPython's.
///
/// # Examples
///
/// ```
/// use async_walkthrough::notebook::capture;
/// use async_walkthrough::prelude::*;
///
/// // Each user blocks for a real second; a search of nobody takes none.
/// let ((), lines) = capture(|| find_users_sync(0));
/// assert_eq!(lines, ["Total 0 people have been searched!"]);
/// ```
pub fn find_users_sync(n: u32) {
    let row = Row::start(format_args!("find_users({n})")); // timeline
    for i in 1..=n {
        say(format!("{i}th user is being searched out of {n} people..."));
        let step = row.step(); // timeline
        std::thread::sleep(SEARCH_STEP);
        step.end(); // timeline
    }
    say(format!("Total {n} people have been searched!"));
}

/// Searches `n` users one by one, awaiting a one-second timer each. It prints
/// with [`say`], as [`find_users_sync`] does.
///
/// Calling it runs nothing: it returns a future, and the searches happen only
/// while that future is awaited (or polled by something like [`gather`]).
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let stopwatch = Stopwatch::start();
/// let ((), lines) = capture_future(find_users_async(2)).await;
/// assert_eq!(stopwatch.elapsed_secs(), 2.0);
/// assert_eq!(lines[2], "Total 2 people have been searched!");
/// # }
/// ```
pub async fn find_users_async(n: u32) {
    let row = Row::start(format_args!("find_users({n})")); // timeline
    for i in 1..=n {
        say(format!("{i}th user is being searched out of {n} people..."));
        let step = row.step(); // timeline
        tokio::time::sleep(SEARCH_STEP).await;
        step.end(); // timeline
    }
    say(format!("Total {n} people have been searched!"));
}

/// Runs searches of 3, 2 and 1 users back to back: about 6 seconds.
///
/// `run` is the post's function; [`record`] runs it and also hands back its
/// timeline, which the post's version does not have.
///
/// # Examples
///
/// ```no_run
/// use async_walkthrough::prelude::*;
///
/// // Six real seconds: each search blocks the thread.
/// let sync_run: Timeline = process_sync();
/// assert_eq!(sync_run.tasks.len(), 3);
/// ```
pub fn process_sync() -> Timeline {
    let run = || {
        let stopwatch = Stopwatch::start();
        find_users_sync(3);
        find_users_sync(2);
        find_users_sync(1);
        let seconds = python_seconds(stopwatch.elapsed_secs());
        say(format!(" >>> total time taken for sync process: {seconds}"));
    };
    let ((), timeline) = record("process_sync()", run);
    timeline
}

/// Runs searches of 3, 2 and 1 users concurrently with [`gather`]: about 3
/// seconds, the length of the longest one.
///
/// `run` is the post's function; [`record_future`] awaits it and also hands
/// back its timeline, which the post's version does not have.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let async_run: Timeline = process_async().await;
/// assert_eq!(async_run.total, Duration::from_secs(3));
/// assert_eq!(async_run.tasks.len(), 3);
/// # }
/// ```
pub async fn process_async() -> Timeline {
    let run = async {
        let stopwatch = Stopwatch::start();
        gather([
            find_users_async(3),
            find_users_async(2),
            find_users_async(1),
        ])
        .await;
        let seconds = python_seconds(stopwatch.elapsed_secs());
        say(format!(
            " >>> total time taken for async process: {seconds}"
        ));
    };
    let ((), timeline) = record_future("process_async()", run).await;
    timeline
}

/// Checks a run of the three searches (3, 2 and 1 users) each on a thread of
/// its own: their first steps overlap (each starts before any of them ends),
/// and since a search prints all its lines without waiting on the others, the
/// lines come out search by search, then the `total_label` timing line.
#[cfg(test)]
pub(crate) fn assert_searches_ran_side_by_side(
    timeline: &Timeline,
    lines: &[String],
    total_label: &str,
) {
    use crate::timing::timeline::SpanKind;
    let first_steps: Vec<_> = timeline
        .tasks
        .iter()
        .filter_map(|task| {
            timeline
                .spans_of(task)
                .find(|span| span.kind == SpanKind::Step)
        })
        .collect();
    assert_eq!(first_steps.len(), 3, "every search records a step");
    let last_start = first_steps.iter().map(|span| span.start).max();
    let first_end = first_steps.iter().map(|span| span.end).min();
    assert!(last_start < first_end, "{first_steps:?}");
    assert_eq!(
        lines[..9],
        [
            "1th user is being searched out of 3 people...",
            "2th user is being searched out of 3 people...",
            "3th user is being searched out of 3 people...",
            "Total 3 people have been searched!",
            "1th user is being searched out of 2 people...",
            "2th user is being searched out of 2 people...",
            "Total 2 people have been searched!",
            "1th user is being searched out of 1 people...",
            "Total 1 people have been searched!",
        ]
    );
    let total = format!(" >>> total time taken for {total_label}: ");
    assert!(lines[9].starts_with(&total), "{}", lines[9]);
}
