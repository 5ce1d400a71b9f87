//! [`Faults`]: which requests the mock LLM fails or slows down, decided by a
//! seed so that a notebook shows the same failures on every run.
//!
//! The fate of a request depends only on the seed, its prompt and how many
//! times the server has seen that prompt before, never on the order in which
//! concurrent requests happen to arrive. So "prompt 3 fails on its first try
//! and succeeds on its retry" holds run after run, however the scheduler
//! interleaves the ten prompts.
//!
//! The draw is a SplitMix64 step over an FNV-1a hash (see `mix` for why not
//! `rand`).

use crate::mix::{fnv1a, splitmix64};
use std::time::Duration;

/// What the mock LLM does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Answers after the usual latency.
    Normal,
    /// Fails with an error status (see `Failure`).
    Error(Failure),
    /// Answers correctly, but only after [`Faults::slow_latency`].
    Slow,
}

/// The injected failures, the three an LLM API answers under load. Official
/// clients retry all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// `429 Too Many Requests` at once, with `retry-after: 1`.
    RateLimited,
    /// `500 Internal Server Error` after the usual latency.
    Internal,
    /// `503 Service Unavailable` after the usual latency.
    Unavailable,
}

impl Failure {
    /// The HTTP status the mock answers with.
    pub fn status(self) -> u16 {
        match self {
            Failure::RateLimited => 429,
            Failure::Internal => 500,
            Failure::Unavailable => 503,
        }
    }
}

/// A seeded share of failed and of slow answers.
///
/// # Examples
///
/// ```
/// use async_walkthrough::llm::Fate;
/// use async_walkthrough::prelude::*;
///
/// let faults = Faults { seed: 7, error_share: 0.5, ..Faults::NONE };
/// // The same prompt, asked the same time, meets the same fate.
/// assert_eq!(faults.fate("prompt 1", 0), faults.fate("prompt 1", 0));
/// let failed = (0..1000)
///     .filter(|n| matches!(faults.fate(&format!("prompt {n}"), 0), Fate::Error(_)))
///     .count();
/// assert!((450..550).contains(&failed), "{failed}");
/// assert_eq!(Faults::NONE.fate("prompt 1", 0), Fate::Normal);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// Picks one fixed pattern of faults; another seed, another pattern.
    pub seed: u64,
    /// The share of requests that fail, from 0.0 to 1.0: a third each with
    /// 429, 500 and 503 (which one is seeded too).
    pub error_share: f64,
    /// The share of requests answered slowly, from 0.0 to 1.0.
    pub slow_share: f64,
    /// How long a slow answer takes.
    pub slow_latency: Duration,
}

impl Faults {
    /// No faults: every request gets a normal answer.
    pub const NONE: Faults = Faults {
        seed: 0,
        error_share: 0.0,
        slow_share: 0.0,
        slow_latency: Duration::ZERO,
    };

    /// The fate of the `seen_before`-th repeat of `prompt` (0 for its first
    /// request).
    pub fn fate(&self, prompt: &str, seen_before: u32) -> Fate {
        let draw = unit_draw(self.seed, prompt, seen_before);
        if draw < self.error_share {
            // Where the draw falls within the error share picks the failure,
            // so the kinds are as evenly spread as the failures themselves.
            let failure = match draw / self.error_share {
                third if third < 1.0 / 3.0 => Failure::RateLimited,
                third if third < 2.0 / 3.0 => Failure::Internal,
                _ => Failure::Unavailable,
            };
            Fate::Error(failure)
        } else if draw < self.error_share + self.slow_share {
            Fate::Slow
        } else {
            Fate::Normal
        }
    }
}

impl Default for Faults {
    fn default() -> Self {
        Self::NONE
    }
}

/// A number in `[0, 1)`, fixed by its three inputs and evenly spread over them.
fn unit_draw(seed: u64, prompt: &str, seen_before: u32) -> f64 {
    let hash = fnv1a(prompt.bytes());
    let mixed = splitmix64(splitmix64(seed ^ hash) ^ u64::from(seen_before));
    // The top 53 bits fill an f64 mantissa exactly.
    (mixed >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(error_share: f64, slow_share: f64) -> Faults {
        Faults {
            seed: 7,
            error_share,
            slow_share,
            slow_latency: Duration::from_secs(2),
        }
    }

    #[test]
    fn the_same_prompt_and_repeat_always_meet_the_same_fate() {
        let faults = faults(0.3, 0.3);
        for repeat in 0..20 {
            let fate = faults.fate("prompt 3", repeat);
            assert_eq!(fate, faults.fate("prompt 3", repeat));
        }
    }

    #[test]
    fn shares_are_met_over_many_requests() {
        let faults = faults(0.2, 0.1);
        let fates: Vec<_> = (0..10_000)
            .map(|n| faults.fate(&format!("prompt {n}"), 0))
            .collect();
        let share = |fate| fates.iter().filter(|&&f| f == fate).count() as f64 / 10_000.0;
        let errors: f64 = [
            Failure::RateLimited,
            Failure::Internal,
            Failure::Unavailable,
        ]
        .into_iter()
        .map(|failure| {
            let part = share(Fate::Error(failure));
            assert!((part - 0.2 / 3.0).abs() < 0.01, "{failure:?}: {part}");
            part
        })
        .sum();
        assert!((errors - 0.2).abs() < 0.02, "{errors}");
        assert!(
            (share(Fate::Slow) - 0.1).abs() < 0.02,
            "{}",
            share(Fate::Slow)
        );
    }

    #[test]
    fn a_retry_draws_afresh() {
        let faults = faults(0.5, 0.0);
        let first_tries: Vec<_> = (0..64).map(|n| faults.fate("same", n)).collect();
        assert!(
            first_tries
                .iter()
                .any(|fate| matches!(fate, Fate::Error(_)))
        );
        assert!(first_tries.contains(&Fate::Normal));
    }

    #[test]
    fn no_faults_means_every_answer_is_normal() {
        assert!((0..1000).all(|n| Faults::NONE.fate(&n.to_string(), n) == Fate::Normal));
    }

    #[test]
    fn another_seed_gives_another_pattern() {
        let pattern = |seed| {
            let faults = Faults {
                seed,
                ..faults(0.5, 0.0)
            };
            (0..64)
                .map(|n| faults.fate(&format!("prompt {n}"), 0))
                .collect::<Vec<_>>()
        };
        assert_ne!(pattern(1), pattern(2));
    }
}
