//! Exercises that check themselves: a learner changes a cell, and a check
//! says what the change did.
//!
//! Each check runs the learner's code (a function the exercise cell defines,
//! passed to the check by name) and judges only what it *did*: which searches
//! overlapped on the timeline, how long the run took, whether the thread was
//! held up, how many requests the mock LLM saw at once, which tasks were still
//! running when the code returned. It never reads the code. It prints one line
//! per point, `✓` or `✗` with what it saw, and a summary line, and returns the
//! [`Verdict`] so that the notebook's last cell can count the exercises solved
//! ([`exercises_passed`]).
//!
//! Bounds leave room for a busy machine: a run that overlaps takes its
//! longest search plus scheduling noise, never the sum of its searches, so a
//! bound half-way between the two holds under load and still tells them
//! apart. Lines a check prints hold only numbers that a correct and a wrong
//! run keep from one run to the next (whole tenths of seconds, truncated, of
//! timers that cannot fire early), so a notebook's committed outputs stay
//! comparable.
//!
//! The exercises' solutions are not here: they are in the repository's
//! `exercises/solutions/`, with wrong attempts that `make test` runs to show
//! that every check can fail.
//!
//! # Examples
//!
//! ```
//! use async_walkthrough::prelude::*;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! // Searching one after another: the check says so.
//! async fn search_everyone() {
//!     find_users_async(3).await;
//!     find_users_async(2).await;
//!     find_users_async(1).await;
//! }
//! let verdict: Verdict = check_searches_overlap(search_everyone).await;
//! assert!(!verdict.passed());
//! exercises_passed(&[&verdict]);
//! # }
//! ```

mod deadline;
mod groups;
mod kitchen;
#[cfg(feature = "llm")]
mod llm;
mod searches;

pub use deadline::check_gives_up_after_two_seconds;
pub use groups::{Job, check_group_fails_fast};
pub use kitchen::{Kitchen, Order, Orders, check_orders_flow};
#[cfg(feature = "llm")]
pub use llm::{check_at_most_three_in_flight, check_survives_flaky_llm};
pub use searches::{check_searches_never_block, check_searches_overlap};

use crate::notebook::console::say;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// What a check found: one line per point, each holding or not.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// async fn search_everyone() {
///     gather([find_users_async(3), find_users_async(2), find_users_async(1)]).await;
/// }
/// let verdict: Verdict = check_searches_overlap(search_everyone).await;
/// assert!(verdict.passed());
/// assert_eq!(verdict.lines().last().unwrap(), "searches together: solved, all 3 points hold");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    exercise: &'static str,
    points: Vec<(bool, String)>,
}

impl Verdict {
    fn new(exercise: &'static str) -> Self {
        Self {
            exercise,
            points: Vec::new(),
        }
    }

    /// Adds a point: `holds`, and what was seen.
    fn point(&mut self, holds: bool, seen: impl Into<String>) {
        self.points.push((holds, seen.into()));
    }

    /// The exercise's name, such as `searches together`.
    pub fn exercise(&self) -> &str {
        self.exercise
    }

    /// Whether every point holds.
    pub fn passed(&self) -> bool {
        self.points.iter().all(|(holds, _)| *holds)
    }

    /// The lines the check prints: a `✓` or `✗` line per point, then the
    /// summary.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .points
            .iter()
            .map(|(holds, seen)| format!("{} {seen}", if *holds { '✓' } else { '✗' }))
            .collect();
        lines.push(self.summary());
        lines
    }

    fn summary(&self) -> String {
        let holding = self.points.iter().filter(|(holds, _)| *holds).count();
        let all = self.points.len();
        if self.passed() {
            format!("{}: solved, all {all} points hold", self.exercise)
        } else {
            format!("{}: not yet, {holding} of {all} points hold", self.exercise)
        }
    }

    /// Prints the lines and hands the verdict on.
    fn announce(self) -> Self {
        for line in self.lines() {
            say(line);
        }
        self
    }
}

/// Prints how many of a notebook's exercises are solved, one line each.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// async fn search_everyone() {
///     find_users_async(1).await;
/// }
/// let verdict: Verdict = check_searches_overlap(search_everyone).await;
/// // Prints "0 of 1 exercises solved" and "✗ searches together".
/// exercises_passed(&[&verdict]);
/// # }
/// ```
pub fn exercises_passed(verdicts: &[&Verdict]) {
    let solved = verdicts.iter().filter(|verdict| verdict.passed()).count();
    say(format!("{solved} of {} exercises solved", verdicts.len()));
    for verdict in verdicts {
        let mark = if verdict.passed() { '✓' } else { '✗' };
        say(format!("{mark} {}", verdict.exercise));
    }
}

/// Seconds to one decimal, truncated: a timer never fires early, so a run of
/// 3 s reads 3.0 however late the machine wakes it, short of 100 ms.
fn tenths(duration: Duration) -> String {
    format!("{:.1}", (duration.as_secs_f64() * 10.0).floor() / 10.0)
}

/// How often the heartbeat of [`with_heartbeat`] beats.
const BEAT: Duration = Duration::from_millis(50);

/// Awaits `work` beside a heartbeat on the same task, and returns its output
/// with the longest time between two beats (or the last beat and the end):
/// one beat when `work` lets others run while it waits, and as long as
/// `work` held the thread when it blocked.
async fn with_heartbeat<F: Future>(work: F) -> (F::Output, Duration) {
    let mut work = std::pin::pin!(work);
    let mut beats = tokio::time::interval(BEAT);
    beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = Instant::now();
    let mut longest = Duration::ZERO;
    loop {
        tokio::select! {
            biased;
            output = &mut work => {
                return (output, longest.max(last.elapsed()));
            }
            _ = beats.tick() => {
                longest = longest.max(last.elapsed());
                last = Instant::now();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_counts_its_points() {
        let mut verdict = Verdict::new("demo");
        verdict.point(true, "one holds");
        verdict.point(false, "one does not");
        assert!(!verdict.passed());
        assert_eq!(
            verdict.lines(),
            [
                "✓ one holds",
                "✗ one does not",
                "demo: not yet, 1 of 2 points hold"
            ]
        );
    }

    #[test]
    fn tenths_truncate() {
        assert_eq!(tenths(Duration::from_millis(3099)), "3.0");
        assert_eq!(tenths(Duration::from_millis(6000)), "6.0");
        assert_eq!(tenths(Duration::from_millis(40)), "0.0");
    }

    #[tokio::test(start_paused = true)]
    async fn the_heartbeat_sees_a_blocked_thread() {
        let ((), free) = with_heartbeat(tokio::time::sleep(Duration::from_secs(1))).await;
        assert!(free <= BEAT, "{free:?}");
        let ((), held) = with_heartbeat(async {
            tokio::time::sleep(Duration::from_millis(120)).await;
            // Under a paused clock, advancing it stands for a blocked thread.
            tokio::time::advance(Duration::from_secs(1)).await;
        })
        .await;
        assert!(held >= Duration::from_millis(950), "{held:?}");
    }
}
