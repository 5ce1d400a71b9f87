//! The spawned-task trap in notebooks, and the rule that avoids it.
//!
//! `tokio::spawn` starts a task that runs on its own: nothing waits for it
//! unless its `JoinHandle` is awaited, and dropping the handle does not stop
//! it. In a notebook the runtime lives on after a cell ends, so a task left
//! running goes on printing into whatever cell runs next, or into none, and a
//! learner sees lines that the cell in front of them never produced.
//!
//! The rule this crate follows: a task is joined or aborted before the code
//! that spawned it returns. [`JoinSet`] does both: `join_all` waits for every
//! task, and dropping the set aborts those still running.
//!
//! [`two_cells`] plays two notebook cells in a row within one future. Run on a
//! runtime of its own ([`on_one_thread`](crate::on_one_thread)), the stray
//! lines of [`CellEnding::LeaveRunning`] land in the second "cell" of the same
//! output instead of in some later cell of the notebook, and the task is
//! dropped with that runtime at the latest.

use crate::console::say;
use crate::workloads::find_users_async;
use std::time::Duration;
use tokio::task::JoinSet;

/// How the first cell deals with the task it spawned before it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellEnding {
    /// It lets go of the task: the trap.
    LeaveRunning,
    /// It waits for the task to finish.
    Join,
    /// It aborts the task.
    Abort,
}

/// How long each cell's own work takes: the first cell ends mid-way through
/// the spawned two-second search.
const CELL_WORK: Duration = Duration::from_millis(1500);

/// Plays two cells: cell A spawns `find_users_async(2)`, does 1.5 s of its own
/// work and ends as `ending` says; cell B then does 1.5 s of work of its own.
///
/// Run it with [`on_one_thread`](crate::on_one_thread): the runtime, and with
/// it the stray task of [`CellEnding::LeaveRunning`], is gone when that
/// returns, and with one thread the lines come in the same order every run.
pub async fn two_cells(ending: CellEnding) {
    say("[cell A] spawns find_users_async(2)");
    let mut tasks = JoinSet::new();
    tasks.spawn(find_users_async(2));
    tokio::time::sleep(CELL_WORK).await;
    match ending {
        CellEnding::LeaveRunning => tasks.detach_all(),
        CellEnding::Join => {
            tasks.join_all().await;
        }
        CellEnding::Abort => drop(tasks),
    }
    say(format!("[cell A] ends ({ending:?})"));
    say("[cell B] starts its own work");
    tokio::time::sleep(CELL_WORK).await;
    say("[cell B] ends");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::capture;

    /// The lines of both cells, on a current-thread runtime whose paused clock
    /// makes the 3 s of cell work take no time.
    fn lines_of(ending: CellEnding) -> Vec<String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        capture(|| runtime.block_on(two_cells(ending))).1
    }

    #[test]
    fn a_task_left_running_prints_into_the_next_cell() {
        assert_eq!(
            lines_of(CellEnding::LeaveRunning),
            [
                "[cell A] spawns find_users_async(2)",
                "1th user is being searched out of 2 people...",
                "2th user is being searched out of 2 people...",
                "[cell A] ends (LeaveRunning)",
                "[cell B] starts its own work",
                "Total 2 people have been searched!",
                "[cell B] ends",
            ]
        );
    }

    #[test]
    fn a_joined_task_finishes_inside_its_cell() {
        assert_eq!(
            lines_of(CellEnding::Join),
            [
                "[cell A] spawns find_users_async(2)",
                "1th user is being searched out of 2 people...",
                "2th user is being searched out of 2 people...",
                "Total 2 people have been searched!",
                "[cell A] ends (Join)",
                "[cell B] starts its own work",
                "[cell B] ends",
            ]
        );
    }

    #[test]
    fn an_aborted_task_prints_nothing_more() {
        assert_eq!(
            lines_of(CellEnding::Abort),
            [
                "[cell A] spawns find_users_async(2)",
                "1th user is being searched out of 2 people...",
                "2th user is being searched out of 2 people...",
                "[cell A] ends (Abort)",
                "[cell B] starts its own work",
                "[cell B] ends",
            ]
        );
    }
}
