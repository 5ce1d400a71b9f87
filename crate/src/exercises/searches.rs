//! Notebook 01's and 02's searches: did they overlap, and did they leave the
//! thread free while they waited?

use super::{Verdict, tenths, with_heartbeat};
use crate::post::gather::gather;
use crate::timing::stopwatch::Stopwatch;
use crate::timing::timeline::{RecordingEverywhere, SpanKind, Timeline};
use std::future::Future;
use std::time::Duration;

/// The searches every check runs: 3, 2 and 1 users, as in the post.
const SIZES: [u32; 3] = [3, 2, 1];

/// A run of the three searches that overlaps takes as long as the longest,
/// 3 s; one after another they take 6 s. Half-way between is beyond any
/// scheduling noise and short of a second search in a row.
const TOGETHER_AT_MOST: Duration = Duration::from_millis(4500);

/// Runs `search_everyone`, which should search 3, 2 and 1 users with
/// [`find_users_async`](crate::post::find_users_async) so that the three
/// searches overlap, and says whether they did: every search ran to the end,
/// all three were under way at once, and the run took about as long as the
/// longest one. It sees the searches wherever they run (awaited, gathered,
/// spawned).
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// async fn search_everyone() {
///     // Built but never awaited: nothing runs.
///     let _searches = gather([find_users_async(3), find_users_async(2), find_users_async(1)]);
/// }
/// let verdict: Verdict = check_searches_overlap(search_everyone).await;
/// assert_eq!(verdict.lines()[0], "✗ nothing was searched: a future runs only when it is awaited");
/// # }
/// ```
pub async fn check_searches_overlap<F, Fut>(search_everyone: F) -> Verdict
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    let recording = RecordingEverywhere::start();
    let stopwatch = Stopwatch::start();
    search_everyone().await;
    let took = stopwatch.elapsed();
    judge_overlap(&recording.finish("your searches"), took).announce()
}

/// What one search of the run did: when its call began and ended, and how
/// many users it searched.
struct Searched {
    name: String,
    users: u32,
    call: Option<(Duration, Duration)>,
    steps: usize,
}

fn searches_in(timeline: &Timeline) -> Vec<Searched> {
    SIZES
        .iter()
        .map(|&users| {
            let name = format!("find_users({users})");
            let spans: Vec<_> = timeline.spans_of(&name).collect();
            Searched {
                call: spans
                    .iter()
                    .find(|span| span.kind == SpanKind::Call)
                    .map(|span| (span.start, span.end)),
                steps: spans.iter().filter(|s| s.kind == SpanKind::Step).count(),
                name,
                users,
            }
        })
        .collect()
}

fn judge_overlap(timeline: &Timeline, took: Duration) -> Verdict {
    let mut verdict = Verdict::new("searches together");
    let searches = searches_in(timeline);
    let unfinished: Vec<String> = searches
        .iter()
        .filter(|search| search.steps < search.users as usize)
        .map(|search| {
            format!(
                "{} searched {} of {} users",
                search.name, search.steps, search.users
            )
        })
        .collect();
    if searches.iter().all(|search| search.steps == 0) {
        verdict.point(
            false,
            "nothing was searched: a future runs only when it is awaited",
        );
    } else if unfinished.is_empty() {
        verdict.point(true, "all three searches ran to the end: 3, 2 and 1 users");
    } else {
        verdict.point(
            false,
            format!("{}: each search must run to the end", unfinished.join(", ")),
        );
    }

    let calls: Vec<(&Searched, (Duration, Duration))> = searches
        .iter()
        .filter_map(|search| search.call.map(|call| (search, call)))
        .collect();
    if calls.len() < SIZES.len() {
        verdict.point(
            false,
            format!(
                "only {} of the three searches started, so they cannot have overlapped",
                calls.len()
            ),
        );
    } else {
        let (late, (late_start, _)) = calls
            .iter()
            .max_by_key(|(_, (start, _))| *start)
            .expect("three calls");
        let (early, (_, early_end)) = calls
            .iter()
            .min_by_key(|(_, (_, end))| *end)
            .expect("three calls");
        if late_start < early_end {
            verdict.point(
                true,
                "they overlapped: all three were under way before the first one ended",
            );
        } else {
            verdict.point(
                false,
                format!(
                    "they did not all overlap: {} started at {} s, after {} had ended at {} s",
                    late.name,
                    tenths(*late_start),
                    early.name,
                    tenths(*early_end)
                ),
            );
        }
    }
    judge_total(&mut verdict, took);
    verdict
}

/// The point both checks share: the run took about as long as its longest
/// search.
fn judge_total(verdict: &mut Verdict, took: Duration) {
    let longest = Duration::from_secs(u64::from(SIZES[0]));
    if took >= longest && took <= TOGETHER_AT_MOST {
        verdict.point(
            true,
            format!("took {} s, as long as the longest search", tenths(took)),
        );
    } else {
        verdict.point(
            false,
            format!(
                "took {} s; together they take as long as the longest search, about 3 s",
                tenths(took)
            ),
        );
    }
}

/// The longest time between two heartbeats for which the thread still counts
/// as free: far above one beat (50 ms) and a busy machine's scheduling
/// delays, far below the second that one blocking search step takes.
const HELD_AT_MOST: Duration = Duration::from_millis(450);

/// Runs `search(3)`, `search(2)` and `search(1)` with
/// [`gather`](crate::post::gather) beside a heartbeat on the same task, and
/// says whether the searches kept the thread free: each still waited a second
/// per user, the heartbeat was never held up, and the three together took
/// about as long as the longest.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// async fn search(n: u32) {
///     for _ in 0..n {
///         tokio::time::sleep(Duration::from_secs(1)).await;
///     }
/// }
/// let verdict: Verdict = check_searches_never_block(search).await;
/// assert!(verdict.passed());
/// # }
/// ```
pub async fn check_searches_never_block<F, Fut>(search: F) -> Verdict
where
    F: Fn(u32) -> Fut,
    Fut: Future<Output = ()>,
{
    let search = &search;
    let stopwatch = Stopwatch::start();
    let (durations, held) = with_heartbeat(gather(SIZES.map(|users| async move {
        let stopwatch = Stopwatch::start();
        search(users).await;
        stopwatch.elapsed()
    })))
    .await;
    let took = stopwatch.elapsed();
    judge_never_block(&durations, held, took).announce()
}

fn judge_never_block(durations: &[Duration], held: Duration, took: Duration) -> Verdict {
    let mut verdict = Verdict::new("searches never block");
    let short = SIZES
        .iter()
        .zip(durations)
        .find(|(users, duration)| **duration < Duration::from_secs(u64::from(**users)));
    match short {
        None => verdict.point(true, "each search still waited a second per user"),
        Some((users, duration)) => verdict.point(
            false,
            format!(
                "the search of {users} users took {} s; it should still wait a second per user, {users} s",
                tenths(*duration)
            ),
        ),
    }
    if held <= HELD_AT_MOST {
        verdict.point(
            true,
            "the thread stayed free while they waited: a heartbeat beside them never missed a beat",
        );
    } else {
        verdict.point(
            false,
            format!(
                "the thread was held for {} s at a stretch: while a search waited, a heartbeat beside it could not run, and nor could anything else",
                tenths(held)
            ),
        );
    }
    judge_total(&mut verdict, took);
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::timeline::Span;
    use std::sync::Arc;

    fn secs(seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds)
    }

    /// A timeline of the three searches with calls from `starts`, each one
    /// step a second.
    fn searches_from(starts: [f64; 3]) -> Timeline {
        let mut spans = Vec::new();
        for (users, start) in SIZES.iter().zip(starts) {
            let task: Arc<str> = format!("find_users({users})").into();
            for step in 0..*users {
                spans.push(Span {
                    task: Arc::clone(&task),
                    kind: SpanKind::Step,
                    start: secs(start + f64::from(step)),
                    end: secs(start + f64::from(step) + 1.0),
                });
            }
            spans.push(Span {
                task,
                kind: SpanKind::Call,
                start: secs(start),
                end: secs(start + f64::from(*users)),
            });
        }
        Timeline {
            title: "test".into(),
            tasks: Vec::new(),
            spans,
            total: secs(6.0),
        }
    }

    #[test]
    fn searches_one_after_another_do_not_overlap() {
        let verdict = judge_overlap(&searches_from([0.0, 3.0, 5.0]), secs(6.0));
        assert_eq!(
            verdict.lines(),
            [
                "✓ all three searches ran to the end: 3, 2 and 1 users",
                "✗ they did not all overlap: find_users(1) started at 5.0 s, after find_users(3) had ended at 3.0 s",
                "✗ took 6.0 s; together they take as long as the longest search, about 3 s",
                "searches together: not yet, 1 of 3 points hold",
            ]
        );
    }

    #[test]
    fn a_search_left_out_is_named() {
        let mut timeline = searches_from([0.0, 0.0, 0.0]);
        timeline.spans.retain(|span| &*span.task != "find_users(2)");
        let verdict = judge_overlap(&timeline, secs(3.0));
        assert_eq!(
            verdict.lines()[..2],
            [
                "✗ find_users(2) searched 0 of 2 users: each search must run to the end",
                "✗ only 2 of the three searches started, so they cannot have overlapped",
            ]
        );
    }

    #[test]
    fn a_blocked_thread_is_reported() {
        let durations = [secs(3.0), secs(2.0), secs(1.0)];
        let verdict = judge_never_block(&durations, secs(1.0), secs(6.0));
        assert_eq!(
            verdict.lines()[1],
            "✗ the thread was held for 1.0 s at a stretch: while a search waited, a heartbeat beside it could not run, and nor could anything else"
        );
    }
}
