//! [`with_retries`]: a per-attempt timeout and retries with exponential
//! backoff, for calls to a server that sometimes fails or stalls.
//!
//! What is retried: a timeout, an answer with a 5xx status (the server's
//! fault, which may pass) and a 429 (a rate limit, which passes), the same
//! statuses official OpenAI clients retry. What is not: any other error, such as a 4xx answer
//! (the request itself is wrong, and sending it again cannot help).
//!
//! In a recorded run each attempt is one bar of the call's timeline row,
//! including an attempt cut off by its timeout, so the retries can be seen in
//! the picture (the lines ending in `// timeline`, left out of the notebook's
//! listing).

use crate::llm::client::HttpStatusError;
use crate::timing::calls::timed_call;
use crate::timing::stopwatch::python_seconds;
use std::fmt;
use std::future::Future;
use std::time::Duration;

/// How patient to be with one call.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let policy = RetryPolicy {
///     attempts: 3,
///     timeout: Duration::from_secs(1),
///     first_backoff: Duration::from_millis(200),
/// };
/// // A call that never answers: three timeouts, and backoffs of 0.2 and 0.4 s.
/// let started = tokio::time::Instant::now();
/// let retried = with_retries("hang", &policy, || std::future::pending::<anyhow::Result<()>>()).await;
/// assert_eq!(retried.attempts(), 3);
/// assert_eq!(started.elapsed(), Duration::from_millis(3600));
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many attempts in all, the first included.
    pub attempts: u32,
    /// How long one attempt may take before it is given up.
    pub timeout: Duration,
    /// The wait before the first retry; it doubles before each further one.
    pub first_backoff: Duration,
}

/// The outcome of a call with retries: its result and every failed attempt.
/// Shown, it says in one line what the attempts met.
///
/// # Examples
///
/// ```
/// use async_walkthrough::llm::HttpStatusError;
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let policy = RetryPolicy {
///     attempts: 3,
///     timeout: Duration::from_secs(1),
///     first_backoff: Duration::from_millis(200),
/// };
/// // A 404 is the request's own fault: no retry can help.
/// let retried: Retried<()> = with_retries("prompt 1", &policy, || async {
///     let status = reqwest::StatusCode::NOT_FOUND;
///     Err(HttpStatusError { status, message: "no such model".into(), kind: None, code: None }.into())
/// })
/// .await;
/// assert_eq!(retried.attempts(), 1);
/// assert_eq!(retried.to_string(), "prompt 1: 404 Not Found, gave up");
/// # }
/// ```
#[derive(Debug)]
pub struct Retried<T> {
    /// What was called, such as the prompt sent.
    pub what: String,
    /// The last attempt's result.
    pub result: anyhow::Result<T>,
    /// The attempts that failed, in order.
    pub failures: Vec<Failure>,
}

/// One failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Why it failed, in a few words.
    pub reason: String,
    /// The wait before the next attempt; `None` when no attempt followed.
    pub backoff: Option<Duration>,
}

/// The error of an attempt cut off by its timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimedOut(pub(crate) Duration);

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out after {} s", self.0.as_secs_f64())
    }
}

impl std::error::Error for TimedOut {}

impl<T> Retried<T> {
    /// How many attempts were made.
    pub fn attempts(&self) -> usize {
        let last_failed = self.result.is_err() as usize;
        self.failures.len() + 1 - last_failed
    }
}

impl<T> fmt::Display for Retried<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.what)?;
        let mut parts: Vec<String> = self
            .failures
            .iter()
            .map(|failure| match failure.backoff {
                Some(backoff) => format!(
                    "{}, retried after {} s",
                    failure.reason,
                    python_seconds(backoff.as_secs_f64())
                ),
                None => format!("{}, gave up", failure.reason),
            })
            .collect();
        if self.result.is_ok() {
            parts.push(format!("answered on attempt {}", self.attempts()));
        }
        f.write_str(&parts.join("; "))
    }
}

/// Calls `attempt` until it succeeds, fails in a way a retry cannot fix, or
/// `policy.attempts` are used up, each attempt limited to `policy.timeout`.
/// `what` names the call in the outcome (and in a recorded timeline).
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let policy = RetryPolicy {
///     attempts: 3,
///     timeout: Duration::from_secs(1),
///     first_backoff: Duration::from_millis(200),
/// };
/// // The first attempt hangs, the second answers.
/// let mut attempts = 0;
/// let retried = with_retries("prompt 1", &policy, || {
///     attempts += 1;
///     let first = attempts == 1;
///     async move {
///         if first {
///             std::future::pending::<()>().await;
///         }
///         anyhow::Ok("answer")
///     }
/// })
/// .await;
/// assert_eq!(
///     retried.to_string(),
///     "prompt 1: timed out after 1 s, retried after 0.2 s; answered on attempt 2"
/// );
/// assert_eq!(retried.result.unwrap(), "answer");
/// # }
/// ```
#[must_use = "the outcome says whether the call was answered, and after what"]
pub async fn with_retries<T, F, Fut>(what: &str, policy: &RetryPolicy, mut attempt: F) -> Retried<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut failures = Vec::new();
    let mut backoff = policy.first_backoff;
    for number in 1..=policy.attempts.max(1) {
        let answer = tokio::time::timeout(policy.timeout, attempt());
        let answer = timed_call(what, answer); // timeline
        let error = match answer.await {
            Ok(Ok(value)) => {
                return Retried {
                    what: what.to_owned(),
                    result: Ok(value),
                    failures,
                };
            }
            Ok(Err(error)) => error,
            Err(_elapsed) => TimedOut(policy.timeout).into(),
        };
        let (reason, retryable) = classify(&error);
        if !retryable || number >= policy.attempts {
            failures.push(Failure {
                reason,
                backoff: None,
            });
            return Retried {
                what: what.to_owned(),
                result: Err(error),
                failures,
            };
        }
        failures.push(Failure {
            reason,
            backoff: Some(backoff),
        });
        tokio::time::sleep(backoff).await;
        backoff *= 2;
    }
    unreachable!("the loop returns on its last attempt")
}

/// A short reason for a failed attempt, and whether a retry may help.
fn classify(error: &anyhow::Error) -> (String, bool) {
    if let Some(timed_out) = error.downcast_ref::<TimedOut>() {
        (timed_out.to_string(), true)
    } else if let Some(status) = error.downcast_ref::<HttpStatusError>() {
        (status.status.to_string(), status.is_retryable())
    } else {
        (format!("{error:#}"), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::timeline::record_future;
    use reqwest::StatusCode;
    use std::collections::VecDeque;
    use tokio::time::Instant;

    const POLICY: RetryPolicy = RetryPolicy {
        attempts: 4,
        timeout: Duration::from_secs(1),
        first_backoff: Duration::from_millis(200),
    };

    /// What one scripted attempt does after 100 ms.
    enum Step {
        Answer,
        Status(StatusCode),
        Hang,
    }

    async fn scripted(script: Vec<Step>) -> (Retried<&'static str>, Duration) {
        let script = std::sync::Mutex::new(VecDeque::from(script));
        let started = Instant::now();
        let retried = with_retries("call", &POLICY, || {
            let step = script.lock().unwrap().pop_front().expect("a scripted step");
            async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                match step {
                    Step::Answer => Ok("answer"),
                    Step::Status(status) => Err(HttpStatusError {
                        status,
                        message: "scripted".into(),
                        kind: None,
                        code: None,
                    }
                    .into()),
                    Step::Hang => std::future::pending().await,
                }
            }
        })
        .await;
        (retried, started.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn server_errors_and_timeouts_are_retried_with_doubling_backoff() {
        let (retried, took) = scripted(vec![
            Step::Status(StatusCode::SERVICE_UNAVAILABLE),
            Step::Hang,
            Step::Answer,
        ])
        .await;
        assert_eq!(retried.attempts(), 3);
        assert_eq!(
            retried.to_string(),
            "call: 503 Service Unavailable, retried after 0.2 s; \
             timed out after 1 s, retried after 0.4 s; answered on attempt 3"
        );
        assert_eq!(retried.result.unwrap(), "answer");
        assert_eq!(
            retried.failures,
            [
                Failure {
                    reason: "503 Service Unavailable".into(),
                    backoff: Some(Duration::from_millis(200)),
                },
                Failure {
                    reason: "timed out after 1 s".into(),
                    backoff: Some(Duration::from_millis(400)),
                },
            ]
        );
        // 0.1 s to the 503, 0.2 s backoff, 1 s timeout, 0.4 s backoff, 0.1 s.
        assert_eq!(took, Duration::from_millis(1800));
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_limit_is_retried() {
        let (retried, _) = scripted(vec![
            Step::Status(StatusCode::TOO_MANY_REQUESTS),
            Step::Answer,
        ])
        .await;
        assert_eq!(retried.result.unwrap(), "answer");
        assert_eq!(retried.failures[0].reason, "429 Too Many Requests");
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_error_is_not_retried() {
        let (retried, took) = scripted(vec![Step::Status(StatusCode::UNPROCESSABLE_ENTITY)]).await;
        assert_eq!(retried.attempts(), 1);
        assert_eq!(
            retried.to_string(),
            "call: 422 Unprocessable Entity, gave up"
        );

        let error = retried.result.unwrap_err();
        assert_eq!(
            error.downcast_ref::<HttpStatusError>().unwrap().status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(retried.failures.len(), 1);
        assert_eq!(retried.failures[0].backoff, None);
        assert_eq!(took, Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_the_last_attempt_with_its_error() {
        let (retried, took) = scripted(vec![
            Step::Hang,
            Step::Hang,
            Step::Hang,
            Step::Status(StatusCode::BAD_GATEWAY),
        ])
        .await;
        assert_eq!(retried.attempts(), 4);
        let error = retried.result.unwrap_err();
        assert_eq!(
            error.downcast_ref::<HttpStatusError>().unwrap().status,
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(retried.failures.last().unwrap().backoff, None);
        // Three timeouts, backoffs of 0.2, 0.4 and 0.8 s, then 0.1 s.
        assert_eq!(took, Duration::from_millis(3000 + 1400 + 100));
    }

    #[tokio::test(start_paused = true)]
    async fn every_attempt_is_a_step_on_the_timeline_even_a_timed_out_one() {
        let ((), timeline) = record_future("retries", async {
            scripted(vec![Step::Hang, Step::Answer]).await;
        })
        .await;
        let steps: Vec<_> = timeline
            .spans_of("call")
            .filter(|span| span.kind == crate::timing::timeline::SpanKind::Step)
            .map(|span| (span.start, span.end))
            .collect();
        let ms = Duration::from_millis;
        assert_eq!(steps, [(ms(0), ms(1000)), (ms(1200), ms(1300))]);
    }
}
