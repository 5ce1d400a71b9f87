//! [`timed_call`]: one awaited call as a bar of the timeline being recorded,
//! the way notebook 04's cells and [`with_retries`](crate::llm::with_retries)
//! draw each request to the LLM.

use crate::timing::timeline::Row;
use std::future::Future;

/// Awaits `call` as one bar on the row `name` of the timeline being
/// recorded (calls with the same name share a row), and returns its output.
/// Outside a recording it is just `call.await`.
///
/// # Examples
///
/// ```
/// use async_walkthrough::timing::{record_future, timed_call};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let sleep = |ms| tokio::time::sleep(Duration::from_millis(ms));
/// let ((), timeline) = record_future("two stages", async {
///     tokio::join!(timed_call("embedding", sleep(300)), timed_call("search", sleep(600)));
///     timed_call("embedding", sleep(100)).await;
/// })
/// .await;
/// assert_eq!(timeline.tasks.len(), 2);
/// assert_eq!(timeline.total, Duration::from_millis(700));
/// # }
/// ```
pub async fn timed_call<F: Future>(name: &str, call: F) -> F::Output {
    Row::start(name).step_future(call).await
}
