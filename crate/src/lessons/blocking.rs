//! Blocking the executor, and the two ways out.
//!
//! An `async fn` is only as concurrent as the waits it hands back to the
//! runtime. [`find_users_blocking`] has the shape of
//! [`find_users_async`](crate::post::find_users_async) but waits with
//! `std::thread::sleep`: the thread stops, and with it every future polled on
//! it, so gathering three such searches takes the 6 s of the sync run.
//!
//! The fixes: await a timer (`tokio::time::sleep`, as `find_users_async`
//! does), or, for work that really has to block (a synchronous library call,
//! a heavy computation), hand it to tokio's blocking thread pool with
//! `tokio::task::spawn_blocking` and await its result, as
//! [`find_users_spawn_blocking`] does.

use crate::notebook::console::{capture_future, say};
use crate::post::gather::gather;
use crate::post::workloads::SEARCH_STEP;
use crate::timing::stopwatch::{Stopwatch, python_seconds};
use crate::timing::timeline::{Row, Timeline, record_future};

/// Searches `n` users like `find_users_async`, but blocks the thread for each
/// search: an async function in name only.
pub async fn find_users_blocking(n: u32) {
    let row = Row::start(format_args!("find_users_blocking({n})"));
    for i in 1..=n {
        say(format!("{i}th user is being searched out of {n} people..."));
        let step = row.step(); // timeline
        std::thread::sleep(SEARCH_STEP);
        step.end(); // timeline
    }
    say(format!("Total {n} people have been searched!"));
}

/// Searches `n` users with the same blocking sleep, run on tokio's blocking
/// thread pool: the search waits for it without holding up anything else.
pub async fn find_users_spawn_blocking(n: u32) {
    let row = Row::start(format_args!("find_users_spawn_blocking({n})"));
    for i in 1..=n {
        say(format!("{i}th user is being searched out of {n} people..."));
        let search = tokio::task::spawn_blocking(|| std::thread::sleep(SEARCH_STEP));
        row.step_future(search)
            .await
            .expect("a sleeping thread neither panics nor is cancelled");
    }
    say(format!("Total {n} people have been searched!"));
}

/// Gathers blocking searches of 3, 2 and 1 users: about 6 seconds, because
/// each one runs to its end in its first poll. Returns the run's timeline.
pub async fn process_blocking() -> Timeline {
    let ((), timeline) = record_future("process_blocking()", async {
        let stopwatch = Stopwatch::start();
        gather([
            find_users_blocking(3),
            find_users_blocking(2),
            find_users_blocking(1),
        ])
        .await;
        let seconds = python_seconds(stopwatch.elapsed_secs());
        say(format!(
            " >>> total time taken for blocking process: {seconds}"
        ));
    })
    .await;
    timeline
}

/// Gathers searches of 3, 2 and 1 users whose blocking sleeps run on the
/// blocking pool: about 3 seconds. Returns the run's timeline.
///
/// Each search's lines are collected and printed when all are done, search by
/// search. Printed live, they would come out in a different order from run to
/// run: three pool threads that finish "at the same moment" finish in no
/// fixed order. (Timer wake-ups, by contrast, are handled in one batch, which
/// is what keeps `process_async`'s interleaving the same every time.)
pub async fn process_spawn_blocking() -> Timeline {
    let ((), timeline) = record_future("process_spawn_blocking()", async {
        let stopwatch = Stopwatch::start();
        let searches = gather([
            capture_future(find_users_spawn_blocking(3)),
            capture_future(find_users_spawn_blocking(2)),
            capture_future(find_users_spawn_blocking(1)),
        ])
        .await;
        let seconds = python_seconds(stopwatch.elapsed_secs());
        for ((), lines) in searches {
            lines.into_iter().for_each(say);
        }
        say(format!(
            " >>> total time taken for spawn_blocking process: {seconds}"
        ));
    })
    .await;
    timeline
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::post::workloads::assert_searches_ran_side_by_side;
    use crate::post::workloads::find_users_async;
    use std::future::Future;
    use std::pin::Pin;
    use std::time::Duration;

    type Search = Pin<Box<dyn Future<Output = ()>>>;

    /// A timer-based ticker gathered after a search: its second line shows
    /// when the runtime got the thread back.
    fn with_ticker(search: Search) -> [Search; 2] {
        let ticker = Box::pin(async {
            say("tick 0");
            tokio::time::sleep(Duration::from_millis(500)).await;
            say("tick 1");
        });
        [search, ticker]
    }

    /// The blocking search holds the thread: the ticker's half-second timer
    /// cannot fire until both of the search's seconds are over.
    #[tokio::test(start_paused = true)]
    async fn a_blocking_search_holds_up_every_future_on_its_task() {
        let (_, lines) =
            capture_future(gather(with_ticker(Box::pin(find_users_blocking(2))))).await;
        assert_eq!(
            lines,
            [
                "1th user is being searched out of 2 people...",
                "2th user is being searched out of 2 people...",
                "Total 2 people have been searched!",
                "tick 0",
                "tick 1",
            ]
        );
    }

    /// The same gather with the timer-based search: the ticker runs in the
    /// search's first second.
    #[tokio::test(start_paused = true)]
    async fn an_awaited_timer_lets_the_other_futures_run() {
        let (_, lines) = capture_future(gather(with_ticker(Box::pin(find_users_async(2))))).await;
        assert_eq!(
            lines,
            [
                "1th user is being searched out of 2 people...",
                "tick 0",
                "tick 1",
                "2th user is being searched out of 2 people...",
                "Total 2 people have been searched!",
            ]
        );
    }

    /// On the blocking pool the three searches' first steps overlap: each
    /// starts before any of them ends. Lines come out search by search.
    #[tokio::test]
    async fn spawn_blocking_searches_overlap_and_print_search_by_search() {
        let (timeline, lines) = capture_future(process_spawn_blocking()).await;
        assert_searches_ran_side_by_side(&timeline, &lines, "spawn_blocking process");
    }
}
