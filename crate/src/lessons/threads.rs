//! The post's searches on threads.
//!
//! `std::thread::scope` starts threads that may borrow from the caller and
//! are all joined before `scope` returns, so none can outlive the call.
//! Notebook 02's cell runs the blocking `find_users_sync` on three of them;
//! together they take about 3 s, like the async run, at the price of one OS
//! thread per search. [`spawn_captured`] starts each thread so that its
//! searches join the cell's timeline and its lines are kept for the cell to
//! print once the thread is joined: three threads printing in the same
//! instant would interleave differently on every run.
//!
//! Sharing mutable data between threads without synchronisation is a data
//! race, and in Rust a compile error (see `snippets/shared_counter_race.rs`
//! and [`rustc_says`](crate::notebook::rustc_says)); the notebook's next cell
//! counts with an atomic instead.

use crate::notebook::console::capture;
use crate::timing::timeline::carry_thread;
use std::thread::{Scope, ScopedJoinHandle};

/// Spawns `work` on a thread of `scope`. The thread joins the recording
/// active here, if any (its rows are listed in the order the threads were
/// spawned), and the lines its workloads [`say`](crate::notebook::say) are
/// kept instead of printed: joining the thread gives `work`'s result with
/// them.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// let ((), lines) = std::thread::scope(|scope| {
///     let thread = spawn_captured(scope, || find_users_sync(0));
///     thread.join().unwrap()
/// });
/// assert_eq!(lines, ["Total 0 people have been searched!"]);
/// ```
pub fn spawn_captured<'scope, R>(
    scope: &'scope Scope<'scope, '_>,
    work: impl FnOnce() -> R + Send + 'scope,
) -> ScopedJoinHandle<'scope, (R, Vec<String>)>
where
    R: Send + 'scope,
{
    scope.spawn(carry_thread(move || capture(work)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notebook::console::say;
    use crate::post::workloads::{assert_searches_ran_side_by_side, find_users_sync};
    use crate::timing::stopwatch::Stopwatch;
    use crate::timing::timeline::record;

    #[test]
    fn a_captured_thread_gives_its_result_and_lines() {
        let (result, lines) = std::thread::scope(|scope| {
            spawn_captured(scope, || {
                say("one");
                say("two");
                7
            })
            .join()
            .expect("the thread does not panic")
        });
        assert_eq!(result, 7);
        assert_eq!(lines, ["one", "two"]);
    }

    /// As notebook 02's cell runs them: the searches run on three threads at
    /// once (each thread's first step starts before any first step ends),
    /// rows in spawn order, lines thread by thread.
    #[test]
    fn threads_overlap_and_print_thread_by_thread() {
        let (lines, timeline) = record("threads", || {
            let stopwatch = Stopwatch::start();
            let mut lines: Vec<String> = std::thread::scope(|scope| {
                let threads = [3, 2, 1].map(|n| spawn_captured(scope, move || find_users_sync(n)));
                threads
                    .into_iter()
                    .flat_map(|thread| thread.join().expect("a search does not panic").1)
                    .collect()
            });
            let seconds = stopwatch.elapsed_secs();
            lines.push(format!(
                " >>> total time taken for threads process: {seconds:?}"
            ));
            lines
        });
        let tasks: Vec<&str> = timeline.tasks.iter().map(|task| &**task).collect();
        assert_eq!(tasks, ["find_users(3)", "find_users(2)", "find_users(1)"]);
        assert_searches_ran_side_by_side(&timeline, &lines, "threads process");
    }
}
