//! Cancellation: dropping a future stops it at the `.await` where it waits.
//!
//! A Rust future does work only while something polls it. `tokio::time::timeout`
//! and `tokio::select!` stop polling the futures they give up on and drop
//! them, so those futures never run another line: no cleanup callback, no
//! exception to catch, the rest of the body simply never happens. (asyncio
//! cancels a task by throwing `CancelledError` into it instead.)
//!
//! Both runs below go on waiting after the cut until the cancelled search
//! would have finished, so that a line it still printed would show up.

use crate::notebook::console::say;
use crate::post::workloads::{SEARCH_STEP, find_users_async};
use crate::timing::stopwatch::python_seconds;
use crate::timing::timeline::{Row, Timeline, record_future};
use std::time::Duration;
use tokio::time::{Instant, sleep_until, timeout};

/// How long [`process_timeout`] gives `find_users_async(3)`.
pub const TIME_LIMIT: Duration = Duration::from_millis(1500);

/// Gives `find_users_async(3)` `TIME_LIMIT` (1.5 s) with
/// `tokio::time::timeout`, reports the outcome, then waits out the 3 s the
/// search would have taken. Returns the run's timeline, in which the timeout
/// has a row of its own above the search's.
pub async fn process_timeout() -> Timeline {
    let ((), timeline) = record_future("process_timeout()", async {
        let started = Instant::now();
        let limit = Row::start("timeout(1.5 s)");
        let outcome = limit
            .step_future(timeout(TIME_LIMIT, find_users_async(3)))
            .await;
        drop(limit);
        let seconds = python_seconds(started.elapsed().as_secs_f64());
        say(format!(" >>> {outcome:?} after {seconds}"));
        sleep_until(started + 3 * SEARCH_STEP).await;
        say(" >>> 3 s after the start: nothing more from find_users(3)");
    })
    .await;
    timeline
}

/// Which search won a race.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Winner {
    /// `find_users_async(3)`.
    ThreeUsers,
    /// `find_users_async(1)`.
    OneUser,
}

/// Races `find_users_async(3)` against `find_users_async(1)` with
/// `tokio::select!`, reports the winner, then waits out the 3 s the loser
/// would have taken. Returns the run's timeline.
///
/// `biased;` makes `select!` poll its branches in the order written instead of
/// at random, so when both wake at the same second their lines come out in
/// the same order on every run.
pub async fn process_race() -> Timeline {
    let ((), timeline) = record_future("process_race()", async {
        let started = Instant::now();
        let winner = tokio::select! {
            biased;
            () = find_users_async(3) => Winner::ThreeUsers,
            () = find_users_async(1) => Winner::OneUser,
        };
        let seconds = python_seconds(started.elapsed().as_secs_f64());
        say(format!(" >>> {winner:?} won after {seconds}"));
        sleep_until(started + 3 * SEARCH_STEP).await;
        say(" >>> 3 s after the start: nothing more from the loser");
    })
    .await;
    timeline
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notebook::console::capture_future;
    use crate::timing::timeline::SpanKind;

    #[tokio::test(start_paused = true)]
    async fn the_timeout_cuts_the_search_after_its_second_line() {
        let (timeline, lines) = capture_future(process_timeout()).await;
        assert_eq!(
            lines,
            [
                "1th user is being searched out of 3 people...",
                "2th user is being searched out of 3 people...",
                " >>> Err(Elapsed(())) after 1.5",
                " >>> 3 s after the start: nothing more from find_users(3)",
            ]
        );
        let call = timeline
            .spans_of("find_users(3)")
            .find(|span| span.kind == SpanKind::Call)
            .expect("the dropped search's row still records its call");
        assert_eq!(call.end, TIME_LIMIT, "the search was dropped at the limit");
        assert_eq!(
            timeline.tasks,
            ["timeout(1.5 s)", "find_users(3)"].map(std::sync::Arc::<str>::from)
        );
        assert_eq!(timeline.total, 3 * SEARCH_STEP);
    }

    #[tokio::test(start_paused = true)]
    async fn the_race_stops_the_loser_mid_way() {
        let (timeline, lines) = capture_future(process_race()).await;
        assert_eq!(
            lines,
            [
                "1th user is being searched out of 3 people...",
                "1th user is being searched out of 1 people...",
                "2th user is being searched out of 3 people...",
                "Total 1 people have been searched!",
                " >>> OneUser won after 1.0",
                " >>> 3 s after the start: nothing more from the loser",
            ]
        );
        let loser_steps = timeline
            .spans_of("find_users(3)")
            .filter(|span| span.kind == SpanKind::Step)
            .count();
        assert_eq!(loser_steps, 1, "only the loser's first search finished");
    }
}
