//! Concurrency is not parallelism: CPU-bound work on one task and on many.
//!
//! A future only lets others run while it waits. A busy loop never waits, so
//! gathering several of them on one task runs them one after another: the
//! total is the sum of the parts, exactly as in the sync run. Spawned as
//! separate tasks onto the multi-thread runtime they can run on different
//! cores at the same time; how much faster that is depends on the cores the
//! machine has, so [`compare_cpu_bound`] reports them next to the speed-up.

use crate::mix::{splitmix64, splitmix64_next};
use crate::post::gather::gather;
use crate::timing::stopwatch::Stopwatch;
use std::fmt;
use std::hint::black_box;
use std::time::Duration;
use tokio::task::JoinSet;

/// How many rounds of [`busy_work`] one job runs: about half a second on the
/// project machine at evcxr's default optimisation level (2).
pub const JOB_ROUNDS: u64 = 160_000_000;

/// How many jobs [`compare_cpu_bound`] runs each way.
pub const JOBS: u64 = 4;

/// A fixed, deterministic busy loop: `rounds` steps of the splitmix64 mixer,
/// seeded with `seed`. The result depends on every step, and `black_box`
/// keeps the optimiser from skipping any, so the time it takes is the work.
pub fn busy_work(seed: u64, rounds: u64) -> u64 {
    let mut state = seed;
    let mut mixed = 0;
    for _ in 0..rounds {
        mixed ^= black_box(splitmix64(state));
        state = splitmix64_next(state);
    }
    mixed
}

/// One job as an async function: it never awaits, so while it runs nothing
/// else on its task can.
pub async fn crunch(job: u64, rounds: u64) -> u64 {
    busy_work(job, rounds)
}

/// Runs `jobs` jobs gathered on the current task; returns their results in
/// job order.
pub async fn crunch_gathered(jobs: u64, rounds: u64) -> Vec<u64> {
    gather((0..jobs).map(|job| crunch(job, rounds))).await
}

/// Runs `jobs` jobs as tasks spawned onto the runtime; returns their results
/// in job order.
///
/// The tasks live in a [`JoinSet`], which aborts whatever is still running
/// when it is dropped: if this future is dropped (a timeout, a cancelled
/// cell), no task is left behind. (A busy loop cannot be stopped mid-way, so
/// an aborted job still finishes the loop it is in, then is dropped.)
pub async fn crunch_spawned(jobs: u64, rounds: u64) -> Vec<u64> {
    let mut tasks = JoinSet::new();
    for job in 0..jobs {
        tasks.spawn(async move { (job, crunch(job, rounds).await) });
    }
    let mut results = vec![0; jobs as usize];
    while let Some(finished) = tasks.join_next().await {
        let (job, result) = finished.expect("a busy loop neither panics nor is aborted here");
        results[job as usize] = result;
    }
    results
}

/// The same CPU-bound jobs gathered on one task and spawned as tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuComparison {
    /// How many jobs ran each way.
    pub jobs: u64,
    /// The cores the operating system lets this process use.
    pub cores: usize,
    /// The jobs' combined result, the same both ways: the same work was done.
    pub checksum: u64,
    /// How many times each way was measured.
    pub measurements: u32,
    /// The fastest time with every job gathered on the current task.
    pub gathered: Duration,
    /// The fastest time with every job spawned onto the runtime.
    pub spawned: Duration,
}

impl CpuComparison {
    /// How many times faster the spawned run was.
    pub fn speed_up(&self) -> f64 {
        self.gathered.as_secs_f64() / self.spawned.as_secs_f64()
    }
}

/// How many times [`compare_cpu_bound`] measures each way; it keeps the
/// fastest. Other programs on the machine can only slow a run down, so the
/// fastest of a few is the closest to what the code itself costs.
pub const MEASUREMENTS: u32 = 3;

/// Runs `JOBS` jobs of `JOB_ROUNDS` rounds gathered, then spawned, keeps
/// the fastest of `MEASUREMENTS` times each way, and reports them with the
/// machine's core count.
///
/// Call it on the multi-thread runtime (a notebook cell with `.await`): on a
/// current-thread runtime spawned tasks share the one thread too.
pub async fn compare_cpu_bound() -> CpuComparison {
    compare_with(JOBS, JOB_ROUNDS, MEASUREMENTS).await
}

async fn compare_with(jobs: u64, rounds: u64, measurements: u32) -> CpuComparison {
    let mut gathered = Duration::MAX;
    let mut spawned = Duration::MAX;
    let mut checksum = None;
    for _ in 0..measurements {
        let stopwatch = Stopwatch::start();
        let gathered_results = crunch_gathered(jobs, rounds).await;
        gathered = gathered.min(stopwatch.elapsed());
        let stopwatch = Stopwatch::start();
        let spawned_results = crunch_spawned(jobs, rounds).await;
        spawned = spawned.min(stopwatch.elapsed());
        assert_eq!(
            gathered_results, spawned_results,
            "the same jobs give the same results"
        );
        checksum = Some(gathered_results.iter().fold(0, |all, result| all ^ result));
    }
    CpuComparison {
        jobs,
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        checksum: checksum.unwrap_or_default(),
        measurements,
        gathered,
        spawned,
    }
}

impl fmt::Display for CpuComparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} jobs of the same busy loop, checksum {:016x}",
            self.jobs, self.checksum
        )?;
        writeln!(
            f,
            "gathered on one task:  {:.3} s (fastest of {})",
            self.gathered.as_secs_f64(),
            self.measurements
        )?;
        writeln!(
            f,
            "spawned as {} tasks:    {:.3} s (fastest of {})",
            self.jobs,
            self.spawned.as_secs_f64(),
            self.measurements
        )?;
        write!(
            f,
            "speed-up: {:.2}x on {} cores",
            self.speed_up(),
            self.cores
        )
    }
}

impl CpuComparison {
    /// Shows the comparison as text.
    pub fn evcxr_display(&self) {
        crate::notebook::display::emit_to_notebook(&[("text/plain", &self.to_string())]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_work_is_deterministic_and_depends_on_its_inputs() {
        assert_eq!(busy_work(1, 1000), busy_work(1, 1000));
        assert_ne!(busy_work(1, 1000), busy_work(2, 1000));
        assert_ne!(busy_work(1, 1000), busy_work(1, 1001));
        assert_eq!(busy_work(7, 0), 0);
    }

    /// Gathered or spawned, the same jobs give the same results in job order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn gathered_and_spawned_jobs_agree() {
        let gathered = crunch_gathered(5, 10_000).await;
        let spawned = crunch_spawned(5, 10_000).await;
        assert_eq!(gathered, spawned);
        let expected: Vec<_> = (0..5).map(|job| busy_work(job, 10_000)).collect();
        assert_eq!(gathered, expected);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_comparison_reports_jobs_cores_and_the_shared_checksum() {
        let comparison = compare_with(3, 1000, 2).await;
        assert_eq!(comparison.jobs, 3);
        assert_eq!(comparison.measurements, 2);
        assert!(comparison.cores >= 1);
        let expected = (0..3).fold(0, |all, job| all ^ busy_work(job, 1000));
        assert_eq!(comparison.checksum, expected);
        let text = comparison.to_string();
        assert!(
            text.starts_with(&format!(
                "3 jobs of the same busy loop, checksum {expected:016x}\n"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("x on {} cores", comparison.cores)),
            "{text}"
        );
    }
}
