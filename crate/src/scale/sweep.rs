//! The post's searches at scale: N simulated searches of one second each, run
//! concurrently in one of four ways, with the wall time and the memory they
//! took.
//!
//! The post gathers three searches; this module asks what happens with ten
//! million. Each search is a 1-s sleep, so the physical limit is 1 s whatever
//! N is: everything above it is the cost of the machinery. [`Mode`] names the
//! four ways; [`run_scale`] runs one of them and returns a [`ScaleRun`], the
//! JSON line the `scale` example prints and `make bench` collects.

use crate::lessons::single_thread::drive_on_own_thread;
use crate::post::gather::gather;
use crate::post::workloads::SEARCH_STEP;
use crate::timing::stopwatch::Stopwatch;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Stack size of a thread in [`Mode::Threads`]: a search needs almost none,
/// and the default 2 MiB would only reserve address space.
pub(crate) const THREAD_STACK: usize = 64 * 1024;

/// How the N searches run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// All N futures in one [`gather`] on one task of a current-thread runtime.
    Gather,
    /// One `tokio::spawn`ed task per search on the multi-thread runtime.
    Spawn,
    /// One spawned task per search on a current-thread runtime.
    CurrentThread,
    /// One OS thread per search, blocked in `std::thread::sleep`.
    Threads,
}

impl Mode {
    /// Every mode, in the order tables and charts list them.
    pub const ALL: [Mode; 4] = [
        Mode::Gather,
        Mode::Spawn,
        Mode::CurrentThread,
        Mode::Threads,
    ];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Gather => "gather",
            Mode::Spawn => "spawn",
            Mode::CurrentThread => "current-thread",
            Mode::Threads => "threads",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mode {
    type Err = anyhow::Error;

    fn from_str(name: &str) -> anyhow::Result<Self> {
        Mode::ALL
            .into_iter()
            .find(|mode| mode.name() == name)
            .with_context(|| {
                let names: Vec<_> = Mode::ALL.iter().map(|mode| mode.name()).collect();
                format!(
                    "unknown mode {name:?}; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// One measured run: the line the `scale` example prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleRun {
    /// How the searches ran.
    pub mode: Mode,
    /// Searches asked for.
    pub tasks: u64,
    /// From the first search created to the last one finished.
    pub wall_s: f64,
    /// The process's peak resident memory (VmHWM), in MiB.
    pub peak_rss_mb: f64,
    /// Peak resident memory above what the process held before the run,
    /// divided by the searches that ran.
    pub bytes_per_task: f64,
    /// In [`Mode::Threads`], the number of threads running when the system
    /// refused one more; the run then measures those.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<u64>,
}

/// Runs `tasks` searches in `mode` and measures them.
///
/// Meant for a fresh process (the `scale` example): the peak memory is the
/// process's, so earlier work in the same process inflates it.
pub fn run_scale(mode: Mode, tasks: u64) -> anyhow::Result<ScaleRun> {
    if tasks == 0 {
        bail!("--tasks must be at least 1");
    }
    let count = usize::try_from(tasks).context("--tasks does not fit in memory here")?;
    let rss_before = memory_kib("VmRSS")?;
    let (wall, failed_at) = time_searches(mode, count)?;
    let peak = memory_kib("VmHWM")?;
    let ran = failed_at.unwrap_or(tasks);
    Ok(ScaleRun {
        mode,
        tasks,
        wall_s: rounded(wall.as_secs_f64(), 6),
        peak_rss_mb: rounded(peak as f64 / 1024.0, 1),
        bytes_per_task: rounded(
            peak.saturating_sub(rss_before) as f64 * 1024.0 / ran as f64,
            0,
        ),
        failed_at,
    })
}

/// `value` to `decimals` places, so the JSON line shows what was measured and
/// no float noise.
fn rounded(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// Reads the `scale` example's arguments, `--mode MODE --tasks N`.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> anyhow::Result<(Mode, u64)> {
    let (mut mode, mut tasks) = (None, None);
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--mode" => mode = Some(value.parse::<Mode>()?),
            "--tasks" => {
                let count: u64 = value
                    .parse()
                    .with_context(|| format!("--tasks {value:?} is not a whole number"))?;
                if count == 0 {
                    bail!("--tasks must be at least 1");
                }
                tasks = Some(count);
            }
            other => bail!("unknown argument {other:?}"),
        }
    }
    Ok((
        mode.context("--mode is required")?,
        tasks.context("--tasks is required")?,
    ))
}

/// Runs `count` searches in `mode`: the time they took and, for threads, the
/// count the machine stopped at.
fn time_searches(mode: Mode, count: usize) -> anyhow::Result<(Duration, Option<u64>)> {
    Ok(match mode {
        Mode::Gather => (
            drive_on_own_thread(current_thread()?, gather_searches(count)),
            None,
        ),
        Mode::Spawn => (
            drive_on_own_thread(multi_thread()?, spawn_searches(count)),
            None,
        ),
        Mode::CurrentThread => (
            drive_on_own_thread(current_thread()?, spawn_searches(count)),
            None,
        ),
        Mode::Threads => thread_searches(count),
    })
}

/// Wall times of every mode at every count, run one after another in this
/// process: a sweep small enough for a notebook cell.
pub fn sweep(modes: &[Mode], counts: &[usize]) -> anyhow::Result<Sweep> {
    let mut rows = Vec::new();
    for &mode in modes {
        for &count in counts {
            let (wall, failed_at) = time_searches(mode, count)?;
            rows.push(SweepRow {
                mode,
                count,
                wall,
                failed_at,
            });
        }
    }
    Ok(Sweep { rows })
}

/// One measured point of a [`sweep`].
#[derive(Debug, Clone)]
pub struct SweepRow {
    pub mode: Mode,
    pub count: usize,
    pub wall: Duration,
    pub failed_at: Option<u64>,
}

/// The result of a [`sweep`], displayed as a table.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// One row per point, in the order they ran.
    pub rows: Vec<SweepRow>,
}

impl Sweep {
    /// One line per point: mode, searches, wall time.
    pub fn table(&self) -> String {
        let mut table = format!("{:>15} {:>9} {:>8}\n", "mode", "searches", "wall");
        for row in &self.rows {
            let refused = match row.failed_at {
                Some(ran) => format!("  (machine refused more than {ran})"),
                None => String::new(),
            };
            table += &format!(
                "{:>15} {:>9} {:>6.2} s{refused}\n",
                row.mode.name(),
                row.count,
                row.wall.as_secs_f64()
            );
        }
        table
    }

    /// Evcxr display: the table.
    pub fn evcxr_display(&self) {
        crate::notebook::display::emit_to_notebook(&[("text/plain", &self.table())]);
    }
}

/// One simulated search: a second of waiting that prints nothing.
pub(crate) async fn simulated_search() {
    tokio::time::sleep(SEARCH_STEP).await;
}

/// Times `count` searches gathered on the current task.
pub(crate) async fn gather_searches(count: usize) -> Duration {
    let stopwatch = Stopwatch::start();
    gather((0..count).map(|_| simulated_search())).await;
    stopwatch.elapsed()
}

/// Times `count` searches, one spawned task each, joined in order.
pub(crate) async fn spawn_searches(count: usize) -> Duration {
    let stopwatch = Stopwatch::start();
    let handles: Vec<_> = (0..count)
        .map(|_| tokio::spawn(simulated_search()))
        .collect();
    for handle in handles {
        // A search cannot panic, and nothing aborts it.
        handle.await.expect("a simulated search never fails");
    }
    stopwatch.elapsed()
}

/// Times `count` searches on one OS thread each. When the system refuses a
/// thread, the ones already running finish and the count reached is returned
/// beside the time.
pub(crate) fn thread_searches(count: usize) -> (Duration, Option<u64>) {
    let allowed = thread_budget().unwrap_or(usize::MAX);
    let stopwatch = Stopwatch::start();
    let mut failed_at = (count > allowed).then_some(allowed as u64);
    std::thread::scope(|scope| {
        for running in 0..count.min(allowed) {
            let spawned = std::thread::Builder::new()
                .stack_size(THREAD_STACK)
                .spawn_scoped(scope, || std::thread::sleep(SEARCH_STEP));
            if spawned.is_err() {
                failed_at = Some(running as u64);
                break;
            }
        }
        // The scope joins every thread before returning.
    });
    (stopwatch.elapsed(), failed_at)
}

/// Memory mappings a new thread may add: its stack and guard page, and the
/// signal stack and guard page std gives every thread.
const MAPPINGS_PER_THREAD: usize = 4;

/// Mappings left for the allocator and the runtime after the threads.
const MAPPINGS_HELD_BACK: usize = 1024;

/// How many more threads the kernel's limit on memory mappings
/// (`vm.max_map_count`) leaves room for.
///
/// Why ask in advance: when that limit is hit, thread creation itself still
/// succeeds, and the new thread then fails to map its signal stack and aborts
/// the whole process. Refusals that `spawn` does report (the process or
/// cgroup thread limits) are handled where the threads are spawned.
fn thread_budget() -> Option<usize> {
    let limit: usize = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let in_use = std::fs::read_to_string("/proc/self/maps")
        .ok()?
        .lines()
        .count();
    Some(limit.saturating_sub(in_use + MAPPINGS_HELD_BACK) / MAPPINGS_PER_THREAD)
}

fn current_thread() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .context("building a current-thread tokio runtime")
}

fn multi_thread() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_time()
        .build()
        .context("building a multi-thread tokio runtime")
}

/// A memory figure of this process from /proc/self/status, in KiB.
fn memory_kib(field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")
        .context("reading /proc/self/status (memory figures need Linux)")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().strip_suffix("kB")?.trim().parse().ok())
        .with_context(|| format!("no {field} line in /proc/self/status"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_through_their_names() {
        for mode in Mode::ALL {
            assert_eq!(mode.name().parse::<Mode>().unwrap(), mode);
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(json, format!("\"{}\"", mode.name()));
        }
    }

    #[test]
    fn an_unknown_mode_names_the_known_ones() {
        let error = "fibers".parse::<Mode>().unwrap_err().to_string();
        assert_eq!(
            error,
            "unknown mode \"fibers\"; expected one of gather, spawn, current-thread, threads"
        );
    }

    fn parse(line: &str) -> anyhow::Result<(Mode, u64)> {
        parse_args(line.split_whitespace().map(String::from))
    }

    #[test]
    fn arguments_give_mode_and_tasks() {
        assert_eq!(parse("--mode spawn --tasks 10").unwrap(), (Mode::Spawn, 10));
        assert_eq!(
            parse("--tasks 7 --mode threads").unwrap(),
            (Mode::Threads, 7)
        );
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        for (line, message) in [
            ("--mode gather --tasks 0", "--tasks must be at least 1"),
            (
                "--mode gather --tasks -5",
                "--tasks \"-5\" is not a whole number",
            ),
            (
                "--mode gather --tasks many",
                "--tasks \"many\" is not a whole number",
            ),
            (
                "--mode fibers --tasks 5",
                "unknown mode \"fibers\"; expected one of gather, spawn, current-thread, threads",
            ),
            ("--mode gather", "--tasks is required"),
            ("--tasks 5", "--mode is required"),
            ("--mode", "--mode needs a value"),
            (
                "--mode gather --tasks 5 --fast yes",
                "unknown argument \"--fast\"",
            ),
        ] {
            assert_eq!(
                parse(line).unwrap_err().to_string(),
                message,
                "for {line:?}"
            );
        }
    }

    #[test]
    fn zero_tasks_is_refused() {
        let error = run_scale(Mode::Gather, 0).unwrap_err().to_string();
        assert_eq!(error, "--tasks must be at least 1");
    }

    #[tokio::test(start_paused = true)]
    async fn gathered_searches_take_one_search_time() {
        assert_eq!(gather_searches(10_000).await, SEARCH_STEP);
    }

    #[tokio::test(start_paused = true)]
    async fn spawned_searches_take_one_search_time() {
        assert_eq!(spawn_searches(10_000).await, SEARCH_STEP);
    }

    #[test]
    fn a_sweep_tabulates_every_point() {
        let sweep = sweep(&[Mode::Threads], &[1, 2]).unwrap();
        let table = sweep.table();
        let lines: Vec<_> = table.lines().collect();
        assert_eq!(lines[0], "           mode  searches     wall");
        assert!(
            lines[1].starts_with("        threads         1   1."),
            "{table}"
        );
        assert!(
            lines[2].starts_with("        threads         2   1."),
            "{table}"
        );
        assert_eq!(lines.len(), 3);
    }

    /// As in a cell of the project's kernel, which runs inside evcxr's runtime.
    #[tokio::test]
    async fn a_sweep_runs_from_inside_a_runtime() {
        let sweep = sweep(&[Mode::Gather, Mode::Spawn, Mode::CurrentThread], &[10]).unwrap();
        assert_eq!(sweep.table().lines().count(), 4);
    }

    #[test]
    fn a_run_reports_every_field() {
        let run = run_scale(Mode::Threads, 3).unwrap();
        assert_eq!(
            (run.mode, run.tasks, run.failed_at),
            (Mode::Threads, 3, None)
        );
        assert!(run.wall_s >= SEARCH_STEP.as_secs_f64());
        assert!(run.peak_rss_mb > 0.0);
        let line = serde_json::to_string(&run).unwrap();
        assert!(
            line.starts_with(r#"{"mode":"threads","tasks":3,"wall_s":"#),
            "{line}"
        );
    }
}
