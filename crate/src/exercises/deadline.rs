//! Notebook 02's deadline: giving up on a slow search, and stopping it.

use super::{Verdict, tenths};
use crate::timing::stopwatch::Stopwatch;
use crate::timing::timeline::{RecordingEverywhere, SpanKind, Timeline};
use std::future::Future;
use std::time::Duration;

/// The deadline the exercise sets.
const DEADLINE: Duration = Duration::from_secs(2);

/// Giving up at the deadline takes 2 s and a little; the search done in full
/// takes 5 s.
const ANSWERED_AT_MOST: Duration = Duration::from_millis(3000);

/// How long the check keeps watching after the answer: long enough for a
/// search left running to finish one more user (a second each).
const WATCH: Duration = Duration::from_millis(1500);

/// The search the exercise gives up on.
const SEARCH: &str = "find_users(5)";

/// Awaits `search_within_two_seconds`, which should search 5 users with
/// [`find_users_async`](crate::post::find_users_async) (5 s) but give up
/// after 2 s and return `None`, then keeps watching for 1.5 s, and says
/// whether it gave up, did so at 2 s, and stopped the search, rather than
/// leaving it running behind the answer.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// async fn search_within_two_seconds() -> Option<()> {
///     tokio::time::timeout(Duration::from_secs(2), find_users_async(5)).await.ok()
/// }
/// let verdict: Verdict = check_gives_up_after_two_seconds(search_within_two_seconds).await;
/// assert!(verdict.passed());
/// # }
/// ```
pub async fn check_gives_up_after_two_seconds<F, Fut>(search_within_two_seconds: F) -> Verdict
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Option<()>>,
{
    let recording = RecordingEverywhere::start();
    let stopwatch = Stopwatch::start();
    let answer = search_within_two_seconds().await;
    let answered = stopwatch.elapsed();
    tokio::time::sleep(WATCH).await;
    let timeline = recording.finish("your search");
    judge(answer, answered, &timeline).announce()
}

fn judge(answer: Option<()>, answered: Duration, timeline: &Timeline) -> Verdict {
    let mut verdict = Verdict::new("give up in time");
    match answer {
        None => verdict.point(true, "gave up: it returned None"),
        Some(()) => verdict.point(
            false,
            "it returned Some(()): the search was waited out; it should give up and return None",
        ),
    }
    if (DEADLINE..=ANSWERED_AT_MOST).contains(&answered) {
        verdict.point(true, format!("it answered after {} s", tenths(answered)));
    } else {
        verdict.point(
            false,
            format!(
                "it answered after {} s; it should give up at {} s",
                tenths(answered),
                DEADLINE.as_secs()
            ),
        );
    }
    let steps: Vec<_> = timeline
        .spans_of(SEARCH)
        .filter(|span| span.kind == SpanKind::Step)
        .collect();
    let after = steps.iter().filter(|span| span.end > answered).count();
    if steps.is_empty() {
        verdict.point(
            false,
            "nothing was searched: start the search, then give up on it",
        );
    } else if after > 0 {
        verdict.point(
            false,
            "the search went on after it gave up: users were still being searched; dropping a future stops it, a spawned task runs on",
        );
    } else {
        verdict.point(
            true,
            "the search stopped when it gave up: no user was searched after that",
        );
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::timeline::Span;

    fn steps_ending_at(ends: &[u64]) -> Timeline {
        Timeline {
            title: "test".into(),
            tasks: Vec::new(),
            spans: ends
                .iter()
                .map(|&end| Span {
                    task: SEARCH.into(),
                    kind: SpanKind::Step,
                    start: Duration::from_secs(end - 1),
                    end: Duration::from_secs(end),
                })
                .collect(),
            total: Duration::from_secs(5),
        }
    }

    #[test]
    fn waiting_the_search_out_is_two_points_short() {
        let verdict = judge(
            Some(()),
            Duration::from_millis(5002),
            &steps_ending_at(&[1, 2, 3, 4, 5]),
        );
        assert_eq!(
            verdict.lines(),
            [
                "✗ it returned Some(()): the search was waited out; it should give up and return None",
                "✗ it answered after 5.0 s; it should give up at 2 s",
                "✓ the search stopped when it gave up: no user was searched after that",
                "give up in time: not yet, 1 of 3 points hold",
            ]
        );
    }

    #[test]
    fn a_search_left_running_is_reported() {
        let verdict = judge(
            None,
            Duration::from_millis(2001),
            &steps_ending_at(&[1, 2, 3]),
        );
        assert!(verdict.lines()[2].starts_with("✗ the search went on after it gave up"));
    }
}
