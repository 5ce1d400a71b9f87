//! What the mock's handlers share: its configuration, its counts
//! ([`ServerStats`]), how often each prompt was asked (for its fate) and the
//! metrics.

use crate::http::api_error::ApiError;
use crate::llm::faults::Fate;
use crate::llm::mock::config::MockLlm;
use crate::llm::mock::metrics::Metrics;
use axum::http::StatusCode;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What the server has counted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Well-formed requests to the model routes (completions and stages).
    pub requests: u64,
    /// Those being served right now.
    pub in_flight: usize,
    /// The most ever served at the same time.
    pub max_in_flight: usize,
    /// Completions answered with an injected 429, 500 or 503.
    pub injected_errors: u64,
    /// Completions answered slowly on purpose.
    pub injected_slow: u64,
}

/// The server's configuration and counters, shared by its handlers.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) config: MockLlm,
    /// How many times each prompt has been asked, for
    /// [`Faults::fate`](crate::llm::Faults::fate).
    seen: Mutex<HashMap<String, u32>>,
    requests: AtomicU64,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    injected_errors: AtomicU64,
    injected_slow: AtomicU64,
    /// Numbers the answers' ids.
    answers: AtomicU64,
    pub(super) metrics: Metrics,
}

impl Shared {
    pub(super) fn new(config: MockLlm) -> Self {
        Self {
            config,
            seen: Mutex::default(),
            requests: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            injected_errors: AtomicU64::new(0),
            injected_slow: AtomicU64::new(0),
            answers: AtomicU64::new(0),
            metrics: Metrics::new(),
        }
    }

    pub(super) fn stats(&self) -> ServerStats {
        ServerStats {
            requests: self.requests.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            max_in_flight: self.max_in_flight.load(Ordering::Relaxed),
            injected_errors: self.injected_errors.load(Ordering::Relaxed),
            injected_slow: self.injected_slow.load(Ordering::Relaxed),
        }
    }

    /// Counts a well-formed request as being served until the guard drops,
    /// also when the client goes away and the handler is cancelled.
    pub(super) fn serving(self: &Arc<Self>) -> InFlight {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let now = self.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        self.max_in_flight.fetch_max(now, Ordering::AcqRel);
        InFlight(Arc::clone(self))
    }

    /// Draws what happens to this asking of `prompt`, and counts it if it is
    /// an injected fault.
    pub(super) fn fate_of(&self, prompt: &str) -> Fate {
        let seen_before = {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            let count = seen.entry(prompt.to_owned()).or_insert(0);
            *count += 1;
            *count - 1
        };
        let fate = self.config.faults.fate(prompt, seen_before);
        match fate {
            Fate::Error(_) => self.injected_errors.fetch_add(1, Ordering::Relaxed),
            Fate::Slow => self.injected_slow.fetch_add(1, Ordering::Relaxed),
            Fate::Normal => 0,
        };
        fate
    }

    /// A 404 unless `model` is the one served.
    pub(super) fn check_model(&self, model: &str) -> Result<(), ApiError> {
        if model == self.config.model {
            return Ok(());
        }
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "The model `{model}` does not exist; this server serves `{}`",
                self.config.model
            ),
        )
        .param("model")
        .code("model_not_found"))
    }

    /// A new answer id, such as `chatcmpl-mock7`.
    pub(super) fn next_id(&self, prefix: &str) -> String {
        let n = self.answers.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{prefix}-mock{n}")
    }
}

/// A request counted as in flight; dropping it counts it out.
pub(super) struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}
