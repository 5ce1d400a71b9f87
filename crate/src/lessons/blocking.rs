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
//! [`find_users_spawn_blocking`] does. Notebook 02 gathers both in its cells.
//!
//! As in [`post`](crate::post), the lines ending in `// timeline` record the
//! searches for the timeline pictures and are left out of what
//! [`source_of`](crate::notebook::source_of) shows.

use crate::notebook::console::say;
use crate::post::workloads::SEARCH_STEP;
use crate::timing::timeline::Row;

/// Searches `n` users like `find_users_async`, but blocks the thread for each
/// search: an async function in name only. It prints with [`say`], as
/// `find_users_sync` does.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// // Each user blocks for a real second; a search of nobody takes none.
/// let ((), lines) = capture_future(find_users_blocking(0)).await;
/// assert_eq!(lines, ["Total 0 people have been searched!"]);
/// # }
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub async fn find_users_blocking(n: u32) {
    let row = Row::start(format_args!("find_users_blocking({n})")); // timeline
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
/// It prints with [`say`], as `find_users_sync` does: searches whose sleeps
/// end on other threads at the same instant resume in any order, so
/// notebook 02 collects each search's lines and prints them in turn.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // Each user blocks a pool thread for a real second; nobody, none.
/// let ((), lines) = capture_future(find_users_spawn_blocking(0)).await;
/// assert_eq!(lines, ["Total 0 people have been searched!"]);
/// # }
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub async fn find_users_spawn_blocking(n: u32) {
    let row = Row::start(format_args!("find_users_spawn_blocking({n})")); // timeline
    for i in 1..=n {
        say(format!("{i}th user is being searched out of {n} people..."));
        let step = row.step(); // timeline
        tokio::task::spawn_blocking(|| std::thread::sleep(SEARCH_STEP))
            .await
            .expect("a sleeping thread neither panics nor is cancelled");
        step.end(); // timeline
    }
    say(format!("Total {n} people have been searched!"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notebook::console::capture_future;
    use crate::post::gather::gather;
    use crate::post::workloads::assert_searches_ran_side_by_side;
    use crate::post::workloads::find_users_async;
    use crate::timing::stopwatch::Stopwatch;
    use crate::timing::timeline::record_future;
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

    /// Gathered as notebook 02's cell gathers them, on the blocking pool the
    /// three searches' first steps overlap: each starts before any of them
    /// ends. Each search's lines, captured, come out search by search.
    #[tokio::test]
    async fn spawn_blocking_searches_overlap_and_print_search_by_search() {
        let (lines, timeline) = record_future("spawn_blocking", async {
            let stopwatch = Stopwatch::start();
            let searches = gather([
                capture_future(find_users_spawn_blocking(3)),
                capture_future(find_users_spawn_blocking(2)),
                capture_future(find_users_spawn_blocking(1)),
            ])
            .await;
            let seconds = stopwatch.elapsed_secs();
            let mut lines: Vec<String> =
                searches.into_iter().flat_map(|((), lines)| lines).collect();
            lines.push(format!(
                " >>> total time taken for spawn_blocking process: {seconds:?}"
            ));
            lines
        })
        .await;
        assert_searches_ran_side_by_side(&timeline, &lines, "spawn_blocking process");
    }
}
