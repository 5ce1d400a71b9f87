//! Notebook 04's LLM calls: at most three in flight, and a flaky LLM
//! survived. Both checks count at the mock LLM itself, which they start and
//! stop, whatever `LLM_BASE_URL` says: the counts are the point.

use super::{Verdict, tenths};
use crate::llm::{Completion, Faults, LlmClient, MockLlm, ServerStats, numbered_prompts};
use crate::post::gather::gather;
use crate::timing::stopwatch::Stopwatch;
use std::future::Future;
use std::time::Duration;

/// The prompts both checks send.
const PROMPTS: usize = 10;

/// At most three at a time, half a second each: 4 rounds, 2 s. One at a
/// time takes 5 s; the bound sits between.
const BOUNDED_AT_MOST: Duration = Duration::from_millis(3000);

/// A run whose mock could not start: the one point says why.
fn no_mock(exercise: &'static str, error: &anyhow::Error) -> Verdict {
    let mut verdict = Verdict::new(exercise);
    verdict.point(false, format!("the mock LLM did not start: {error:#}"));
    verdict.announce()
}

/// Starts a default mock LLM (half a second per answer), awaits `ask_all`
/// with a client for it and 10 prompts, and says whether the calls were
/// bounded: every prompt answered, never more than 3 requests at the server
/// at once, and the three slots used (about 2 s, not one call at a time).
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // All ten at once: ten in flight.
/// async fn ask_all(llm: LlmClient, prompts: Vec<String>) -> Vec<anyhow::Result<Completion>> {
///     gather(prompts.iter().map(|prompt| llm.complete(prompt, MAX_TOKENS))).await
/// }
/// let verdict: Verdict = check_at_most_three_in_flight(ask_all).await;
/// assert_eq!(
///     verdict.lines()[1],
///     "✗ the server saw 10 requests at once; at most 3 should be in flight"
/// );
/// # }
/// ```
pub async fn check_at_most_three_in_flight<F, Fut>(ask_all: F) -> Verdict
where
    F: FnOnce(LlmClient, Vec<String>) -> Fut,
    Fut: Future<Output = Vec<anyhow::Result<Completion>>>,
{
    const EXERCISE: &str = "three at a time";
    let mock = match MockLlm::default().start().await {
        Ok(mock) => mock,
        Err(error) => return no_mock(EXERCISE, &error),
    };
    let stopwatch = Stopwatch::start();
    let answers = ask_all(LlmClient::new(mock.url()), numbered_prompts(PROMPTS)).await;
    let took = stopwatch.elapsed();
    let stats = mock.stats();
    mock.shutdown().await;
    let answered = answers.iter().filter(|answer| answer.is_ok()).count();
    judge_bounded(EXERCISE, answered, stats, took).announce()
}

fn judge_bounded(
    exercise: &'static str,
    answered: usize,
    stats: ServerStats,
    took: Duration,
) -> Verdict {
    let mut verdict = Verdict::new(exercise);
    if answered == PROMPTS {
        verdict.point(true, "all 10 prompts were answered");
    } else {
        verdict.point(
            false,
            format!("{answered} of 10 prompts were answered; every one should be"),
        );
    }
    match stats.max_in_flight {
        0 => verdict.point(false, "the server saw no request at all"),
        1..=3 => verdict.point(
            true,
            format!(
                "the server never saw more than 3 at once (at most {})",
                stats.max_in_flight
            ),
        ),
        most => verdict.point(
            false,
            format!("the server saw {most} requests at once; at most 3 should be in flight"),
        ),
    }
    if took <= BOUNDED_AT_MOST {
        verdict.point(
            true,
            "the slots were used: 10 calls of half a second each took well under 5 s",
        );
    } else {
        verdict.point(
            false,
            format!(
                "took {} s; three at a time, 10 calls of half a second take about 2 s",
                tenths(took)
            ),
        );
    }
    verdict
}

/// The flaky mock of the check: notebook 04's faults (one answer in five an
/// error, about one in seven stalled), with stalls of 5 s, beyond what an
/// answer cut off and retried takes.
fn flaky() -> MockLlm {
    MockLlm {
        faults: Faults {
            seed: 34,
            error_share: 0.2,
            slow_share: 0.15,
            slow_latency: Duration::from_secs(5),
        },
        ..MockLlm::default()
    }
}

/// No prompt may take this long: a stall waited out takes 5 s, and four
/// attempts of at most a second with their pauses take less.
const PROMPT_AT_MOST: Duration = Duration::from_millis(4500);

/// Starts a flaky mock LLM (notebook 04's faults, stalls of 5 s), awaits
/// `ask(llm, prompt)` for 10 prompts at once, and says whether every prompt
/// got its answer, none waited out a stall, and no more requests were sent
/// than the failures called for.
///
/// # Examples
///
/// ```no_run
/// use async_walkthrough::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // One attempt each: some prompts fail, some wait out a stall.
/// async fn ask(llm: LlmClient, prompt: String) -> anyhow::Result<Completion> {
///     llm.complete(&prompt, MAX_TOKENS).await
/// }
/// let verdict: Verdict = check_survives_flaky_llm(ask).await;
/// assert!(!verdict.passed());
/// # }
/// ```
pub async fn check_survives_flaky_llm<F, Fut>(ask: F) -> Verdict
where
    F: Fn(LlmClient, String) -> Fut,
    Fut: Future<Output = anyhow::Result<Completion>>,
{
    const EXERCISE: &str = "survive a flaky LLM";
    let mock = match flaky().start().await {
        Ok(mock) => mock,
        Err(error) => return no_mock(EXERCISE, &error),
    };
    let llm = LlmClient::new(mock.url());
    let ask = &ask;
    let outcomes = gather(numbered_prompts(PROMPTS).into_iter().map(|prompt| {
        let llm = llm.clone();
        async move {
            let stopwatch = Stopwatch::start();
            let answer = ask(llm, prompt.clone()).await;
            (prompt, answer.is_ok(), stopwatch.elapsed())
        }
    }))
    .await;
    let stats = mock.stats();
    mock.shutdown().await;
    judge_flaky(EXERCISE, &outcomes, stats).announce()
}

fn judge_flaky(
    exercise: &'static str,
    outcomes: &[(String, bool, Duration)],
    stats: ServerStats,
) -> Verdict {
    let mut verdict = Verdict::new(exercise);
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|(_, answered, _)| !answered)
        .map(|(prompt, _, _)| prompt.as_str())
        .collect();
    if failed.is_empty() {
        verdict.point(true, "every prompt got its answer");
    } else {
        verdict.point(
            false,
            format!(
                "{} of 10 prompts failed ({}); an error worth retrying (429, 5xx, a timeout) is retried",
                failed.len(),
                failed.join(", ")
            ),
        );
    }
    // The first in prompt order, not the slowest: two stalls take the same
    // 5 s, and which is a millisecond slower changes from run to run.
    match outcomes.iter().find(|(_, _, took)| *took > PROMPT_AT_MOST) {
        None => verdict.point(
            true,
            "no prompt waited out a stalled answer: stalled attempts were cut off",
        ),
        Some((prompt, _, took)) => verdict.point(
            false,
            format!(
                "{prompt} took {} s, waiting out a stalled answer; cut an attempt off after a second and try again",
                tenths(*took)
            ),
        ),
    }
    let needed = PROMPTS as u64 + stats.injected_errors + stats.injected_slow;
    if stats.requests <= needed {
        verdict.point(true, "no request was sent that a failure did not call for");
    } else {
        verdict.point(
            false,
            format!(
                "{} requests were sent for 10 prompts, {} failures; retry an attempt only when it fails",
                stats.requests,
                stats.injected_errors + stats.injected_slow
            ),
        );
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(requests: u64, max_in_flight: usize, failures: u64) -> ServerStats {
        ServerStats {
            requests,
            in_flight: 0,
            max_in_flight,
            injected_errors: failures,
            injected_slow: 0,
        }
    }

    #[test]
    fn one_at_a_time_is_too_slow() {
        let verdict = judge_bounded("t", 10, stats(10, 1, 0), Duration::from_millis(5020));
        assert_eq!(
            verdict.lines()[1..3],
            [
                "✓ the server never saw more than 3 at once (at most 1)",
                "✗ took 5.0 s; three at a time, 10 calls of half a second take about 2 s",
            ]
        );
    }

    #[test]
    fn sending_everything_twice_is_reported() {
        let outcomes: Vec<(String, bool, Duration)> = numbered_prompts(10)
            .into_iter()
            .map(|prompt| (prompt, true, Duration::from_millis(600)))
            .collect();
        let verdict = judge_flaky("t", &outcomes, stats(20, 10, 2));
        assert_eq!(
            verdict.lines()[2],
            "✗ 20 requests were sent for 10 prompts, 2 failures; retry an attempt only when it fails"
        );
    }
}
