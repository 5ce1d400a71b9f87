//! Timing helpers for the post's `start = time.time() ... end - start` pattern.
//!
//! Time is read from [`tokio::time::Instant`]. Outside a paused tokio test it is
//! the ordinary monotonic clock; inside a test started with
//! `#[tokio::test(start_paused = true)]` it is the paused clock, so the timing
//! logic can be checked to the nanosecond without waiting.

use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// Measures the time since it was started, like `start = time.time()`.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let stopwatch = Stopwatch::start();
/// tokio::time::sleep(Duration::from_millis(1500)).await;
/// assert_eq!(stopwatch.elapsed_secs(), 1.5);
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    started: Instant,
}

impl Stopwatch {
    /// Starts measuring now.
    pub fn start() -> Self {
        Self {
            started: Instant::now(),
        }
    }

    /// The time since [`Stopwatch::start`].
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The time since [`Stopwatch::start`] in seconds, as Python's
    /// `end - start` gives it.
    pub fn elapsed_secs(&self) -> f64 {
        self.elapsed().as_secs_f64()
    }
}

/// Awaits a future and returns its output with the time from the first poll
/// to completion.
pub async fn time_future<F: Future>(future: F) -> (F::Output, Duration) {
    let stopwatch = Stopwatch::start();
    let output = future.await;
    (output, stopwatch.elapsed())
}

/// Runs the future made by `make` `times` times, one after another, and
/// returns the last output with the fastest of the times. Other programs on
/// the machine can only slow a run down, so the fastest of a few is the
/// closest to what the code itself costs.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let pause = || tokio::time::sleep(Duration::from_millis(10));
/// let ((), fastest) = fastest_of(3, pause).await;
/// assert_eq!(fastest, Duration::from_millis(10));
/// # }
/// ```
///
/// # Panics
///
/// When `times` is 0.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub async fn fastest_of<F: Future>(
    times: u32,
    mut make: impl FnMut() -> F,
) -> (F::Output, Duration) {
    assert!(times > 0, "fastest_of needs at least one run");
    let mut fastest = Duration::MAX;
    let mut output = None;
    for _ in 0..times {
        let (this, took) = time_future(make()).await;
        fastest = fastest.min(took);
        output = Some(this);
    }
    (output.expect("at least one run"), fastest)
}

/// Formats seconds the way Python prints a float: the shortest text that reads
/// back as the same number, always with a decimal point (`3.0`, `6.00173`).
pub fn python_seconds(seconds: f64) -> String {
    format!("{seconds:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn stopwatch_follows_the_paused_clock() {
        let stopwatch = Stopwatch::start();
        tokio::time::advance(Duration::from_millis(1500)).await;
        assert_eq!(stopwatch.elapsed(), Duration::from_millis(1500));
        assert_eq!(stopwatch.elapsed_secs(), 1.5);
    }

    #[tokio::test(start_paused = true)]
    async fn fastest_of_keeps_the_fastest_run_and_the_last_output() {
        let mut runs = [3, 1, 2].into_iter();
        let (last, fastest) = fastest_of(3, || {
            let seconds = runs.next().expect("three runs");
            async move {
                tokio::time::sleep(Duration::from_secs(seconds)).await;
                seconds
            }
        })
        .await;
        assert_eq!((last, fastest), (2, Duration::from_secs(1)));
    }

    #[tokio::test(start_paused = true)]
    async fn time_future_measures_from_first_poll() {
        let timed = time_future(async { tokio::time::sleep(Duration::from_secs(2)).await });
        tokio::time::advance(Duration::from_secs(5)).await;
        let ((), took) = timed.await;
        assert_eq!(took, Duration::from_secs(2));
    }

    #[test]
    fn python_seconds_always_shows_a_decimal_point() {
        assert_eq!(python_seconds(3.0), "3.0");
        assert_eq!(python_seconds(6.00173020362854), "6.00173020362854");
    }
}
