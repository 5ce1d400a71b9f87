//! Notebook 05's group of jobs: fail as soon as one fails, and cancel the
//! rest.

use super::{Verdict, tenths};
use crate::timing::stopwatch::Stopwatch;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// One job of a group: a future that gives a number or fails with a message,
/// boxed so that jobs of different bodies fit one `Vec`, and `Send` so that
/// it can be spawned.
pub type Job = Pin<Box<dyn Future<Output = Result<u32, String>> + Send>>;

/// The group the check hands over: (how long, how it ends). Job 3 fails at
/// 0.5 s, while jobs 2 and 4 would run on for up to 2 s.
const JOBS: [(u64, Result<u32, &str>); 4] = [
    (300, Ok(1)),
    (2000, Ok(2)),
    (500, Err("job 3 failed")),
    (1500, Ok(4)),
];

/// When the failure happens, and how late the answer may come: a run that
/// waits for job 2 first answers at 2 s.
const FAILS_AT: Duration = Duration::from_millis(500);
const ANSWERED_AT_MOST: Duration = Duration::from_millis(1200);

/// How long after the answer the check looks for jobs still running: a
/// cancelled task's future is dropped at its next poll, well within this.
const SETTLE: Duration = Duration::from_millis(200);

/// Counts its job as running until it is dropped: done or cancelled.
struct Running(Arc<AtomicUsize>);

impl Running {
    fn start(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(count))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn jobs(running: &Arc<AtomicUsize>) -> Vec<Job> {
    JOBS.iter()
        .map(|&(millis, outcome)| {
            let running = Arc::clone(running);
            Box::pin(async move {
                let _running = Running::start(&running);
                tokio::time::sleep(Duration::from_millis(millis)).await;
                outcome.map_err(str::to_owned)
            }) as Job
        })
        .collect()
}

/// Awaits `run_all` on four jobs, of which the third fails after 0.5 s while
/// two others would run on for up to 2 s, and says whether it failed fast:
/// it returned job 3's error, as soon as job 3 failed, with no job left
/// running behind it.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// // try_join_all drops the other jobs as soon as one fails.
/// async fn run_all(jobs: Vec<Job>) -> Result<Vec<u32>, String> {
///     futures::future::try_join_all(jobs).await
/// }
/// let verdict: Verdict = check_group_fails_fast(run_all).await;
/// assert!(verdict.passed());
/// # }
/// ```
pub async fn check_group_fails_fast<F, Fut>(run_all: F) -> Verdict
where
    F: FnOnce(Vec<Job>) -> Fut,
    Fut: Future<Output = Result<Vec<u32>, String>>,
{
    let running = Arc::new(AtomicUsize::new(0));
    let stopwatch = Stopwatch::start();
    let outcome = run_all(jobs(&running)).await;
    let answered = stopwatch.elapsed();
    tokio::time::sleep(SETTLE).await;
    judge(&outcome, answered, running.load(Ordering::SeqCst)).announce()
}

fn judge(outcome: &Result<Vec<u32>, String>, answered: Duration, still_running: usize) -> Verdict {
    let mut verdict = Verdict::new("fail fast");
    match outcome {
        Err(error) if error == "job 3 failed" => {
            verdict.point(true, "it returned job 3's error");
        }
        Err(error) => verdict.point(
            false,
            format!("it returned the error {error:?}; job 3's is \"job 3 failed\""),
        ),
        Ok(numbers) => verdict.point(
            false,
            format!("it returned Ok({numbers:?}); job 3 failed, so the group has failed"),
        ),
    }
    if (FAILS_AT..=ANSWERED_AT_MOST).contains(&answered) {
        verdict.point(
            true,
            "it answered as soon as job 3 failed, without waiting for the others",
        );
    } else {
        verdict.point(
            false,
            format!(
                "it answered after {} s; job 3 failed at {} s, and that is the answer",
                tenths(answered),
                tenths(FAILS_AT)
            ),
        );
    }
    if still_running == 0 {
        verdict.point(true, "no job was left running");
    } else {
        verdict.point(
            false,
            format!(
                "{still_running} job(s) still running after it answered: a dropped JoinHandle lets its task run on; cancel them"
            ),
        );
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_in_order_answers_late() {
        let verdict = judge(&Err("job 3 failed".into()), Duration::from_millis(2003), 0);
        assert_eq!(
            verdict.lines()[1..],
            [
                "✗ it answered after 2.0 s; job 3 failed at 0.5 s, and that is the answer",
                "✓ no job was left running",
                "fail fast: not yet, 2 of 3 points hold",
            ]
        );
    }

    #[test]
    fn jobs_left_behind_are_counted() {
        let verdict = judge(&Err("job 3 failed".into()), Duration::from_millis(501), 2);
        assert!(verdict.lines()[2].starts_with("✗ 2 job(s) still running"));
    }
}
