//! The post's three searches on threads, and what Rust does about the
//! thread-safety the post warns of.
//!
//! `std::thread::scope` starts threads that may borrow from the caller and
//! are all joined before `scope` returns, so none can outlive the call. Each
//! thread runs the blocking `find_users_sync`; together they take about 3 s,
//! like the async run, at the price of one OS thread per search.
//!
//! Sharing mutable data between threads without synchronisation is a data
//! race, and in Rust a compile error (see `snippets/shared_counter_race.rs`
//! and [`rustc_says`](crate::notebook::rustc_says)). [`count_on_threads`] is the same
//! code with an atomic counter, which compiles and always counts right.

use crate::notebook::console::{capture, say};
use crate::post::workloads::find_users_sync;
use crate::timing::stopwatch::{Stopwatch, python_seconds};
use crate::timing::timeline::{Timeline, carry, record};
use std::sync::atomic::{AtomicU32, Ordering};

/// The searches [`process_threads`] runs, one thread each.
const SEARCHES: [u32; 3] = [3, 2, 1];

/// Runs searches of 3, 2 and 1 users on three scoped threads: about 3
/// seconds. Returns the run's timeline.
///
/// Each thread's lines are collected and printed after the join, thread by
/// thread: three threads printing in the same instant would interleave
/// differently on every run.
pub fn process_threads() -> Timeline {
    let ((), mut timeline) = record("process_threads()", || {
        let stopwatch = Stopwatch::start();
        let searches: Vec<Vec<String>> = std::thread::scope(|scope| {
            let threads =
                SEARCHES.map(|n| scope.spawn(carry(move || capture(|| find_users_sync(n)).1)));
            threads
                .into_iter()
                .map(|thread| {
                    thread
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        let seconds = python_seconds(stopwatch.elapsed_secs());
        for lines in searches {
            lines.into_iter().for_each(say);
        }
        say(format!(
            " >>> total time taken for threads process: {seconds}"
        ));
    });
    // The threads add their rows as they start, in no fixed order; list them
    // in the order they were spawned so that the picture is the same every run.
    let spawn_order = SEARCHES.map(|n| format!("find_users({n})"));
    timeline
        .tasks
        .sort_by_key(|task| spawn_order.iter().position(|name| **name == **task));
    timeline
}

/// Three threads count searched users in one shared counter: an atomic one,
/// so every increment is a single indivisible step. Always 3000.
pub fn count_on_threads() -> u32 {
    let users_searched = AtomicU32::new(0);
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                for _ in 0..1_000 {
                    users_searched.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    users_searched.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::post::workloads::assert_searches_ran_side_by_side;

    #[test]
    fn the_atomic_counter_counts_every_increment() {
        for _ in 0..20 {
            assert_eq!(count_on_threads(), 3000);
        }
    }

    /// The searches run on three threads at once: each thread's first step
    /// starts before any first step ends; lines come out thread by thread.
    #[test]
    fn threads_overlap_and_print_thread_by_thread() {
        let (timeline, lines) = capture(process_threads);
        let tasks: Vec<&str> = timeline.tasks.iter().map(|task| &**task).collect();
        assert_eq!(tasks, ["find_users(3)", "find_users(2)", "find_users(1)"]);
        assert_searches_ran_side_by_side(&timeline, &lines, "threads process");
    }
}
