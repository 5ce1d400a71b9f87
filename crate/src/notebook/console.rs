//! Where the workloads' lines go.
//!
//! The workloads print the post's lines with [`say`]. In a notebook those lines
//! must reach stdout one by one, as they happen, so a learner sees them appear a
//! second apart. Tests and notebooks that want to *compare* lines instead wrap
//! the work in [`capture`] or [`capture_future`], which collects the lines on
//! the current thread rather than printing them.

use std::cell::RefCell;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

thread_local! {
    /// The active capture buffer of this thread, if any.
    static CAPTURED: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Prints one line of workload output, or records it when a capture is active
/// on this thread.
///
/// Each line is flushed at once: evcxr forwards a cell's stdout line by line,
/// and a learner should see every line at the moment it is produced.
pub fn say(line: impl Into<String>) {
    let line = line.into();
    let unrecorded = CAPTURED.with_borrow_mut(|buffer| match buffer {
        Some(lines) => {
            lines.push(line);
            None
        }
        None => Some(line),
    });
    if let Some(line) = unrecorded {
        let mut stdout = std::io::stdout().lock();
        // A closed stdout is not the workload's problem: losing a progress line
        // must not abort the work itself.
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
    }
}

/// Runs `work` and returns its result with every line it [`say`]s, in order,
/// instead of printing them.
pub fn capture<R>(work: impl FnOnce() -> R) -> (R, Vec<String>) {
    let outer = CAPTURED.replace(Some(Vec::new()));
    let result = work();
    let lines = CAPTURED.replace(outer).unwrap_or_default();
    (result, lines)
}

/// Wraps a future so that the lines it [`say`]s while being polled are
/// collected; it resolves to the future's output and those lines.
///
/// The capture follows the future across `.await` points because it is
/// installed around every poll. Lines said by tasks spawned onto other threads
/// are not captured: they belong to those tasks.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let ((), lines) = capture_future(find_users_async(2)).await;
/// assert_eq!(
///     lines,
///     [
///         "1th user is being searched out of 2 people...",
///         "2th user is being searched out of 2 people...",
///         "Total 2 people have been searched!",
///     ]
/// );
/// # }
/// ```
pub fn capture_future<F: Future>(future: F) -> CapturedFuture<F> {
    CapturedFuture {
        inner: Box::pin(future),
        lines: Some(Vec::new()),
    }
}

/// The future returned by [`capture_future`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct CapturedFuture<F> {
    inner: Pin<Box<F>>,
    lines: Option<Vec<String>>,
}

impl<F: Future> Future for CapturedFuture<F> {
    type Output = (F::Output, Vec<String>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let outer = CAPTURED.replace(this.lines.take());
        let poll = this.inner.as_mut().poll(cx);
        this.lines = CAPTURED.replace(outer);
        match poll {
            Poll::Ready(output) => Poll::Ready((output, this.lines.take().unwrap_or_default())),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_collects_lines_in_order_and_nests() {
        let ((value, inner), outer) = capture(|| {
            say("outer 1");
            let inner = capture(|| {
                say("inner");
                7
            });
            say("outer 2");
            inner
        });
        assert_eq!(value, 7);
        assert_eq!(inner, ["inner"]);
        assert_eq!(outer, ["outer 1", "outer 2"]);
    }

    #[tokio::test(start_paused = true)]
    async fn capture_future_follows_the_future_across_awaits() {
        let (value, lines) = capture_future(async {
            say("before");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            say("after");
            "done"
        })
        .await;
        assert_eq!(value, "done");
        assert_eq!(lines, ["before", "after"]);
    }
}
