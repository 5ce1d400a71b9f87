//! Futures and tasks that live across notebook cells: [`later`] and
//! [`create_task`].
//!
//! Python lets a notebook keep a coroutine in one cell and await it in another,
//! or start a task in one cell and await it two cells later. evcxr makes both
//! hard. It compiles every cell into a library of its own, statically linked
//! with its own copy of tokio, thread-locals included. A cell that awaits runs
//! on a runtime whose thread-local context only *its* copy of tokio can see, so
//! a future built in an earlier cell panics with "there is no reactor running"
//! as soon as it asks for a timer, and a task spawned from an earlier cell
//! fails the same way on the runtime's worker threads.
//!
//! The way out is to let the code of the cell that *built* the future also
//! drive it. [`later`] and [`create_task`] are generic, so they are compiled
//! into the calling cell, and they box a closure there that runs the future on
//! a current-thread runtime of that same copy of tokio, in a thread of its own.
//! The cell that awaits only waits on a channel, which needs no runtime at all.
//!
//! Each thread lives exactly as long as its future: it ends when the future
//! finishes, or when it is cancelled (an aborted [`Task`], a dropped
//! [`Later`] await), taking its runtime with it.

use crate::notebook::display::emit_to_notebook;
use futures::channel::oneshot;
use futures::future::{Either, select};
use std::any::type_name;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::task::JoinError;

/// Work that runs a future to completion on a runtime of its own, or until the
/// abort signal arrives.
type RunToEnd<T> = Box<dyn FnOnce(oneshot::Receiver<()>) -> Result<T, JoinError> + Send>;

/// An unawaited future that the kernel can keep in a variable: Python's
/// coroutine object. Made by [`later`]; `.await` runs it.
#[must_use = "a `Later` does nothing until it is awaited"]
pub struct Later<T> {
    run: RunToEnd<T>,
    description: String,
}

/// Holds `future` unstarted, so that a later cell can `.await` it.
///
/// Awaiting the [`Later`] runs the future then, in the awaiting cell, and
/// gives its output; lines it prints appear under that cell in the order they
/// would have had if the future were awaited directly. A panic in the future
/// is passed on to the awaiting cell.
///
/// # Examples
///
/// ```
/// use async_walkthrough::notebook::later;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // one cell
/// let greeting = later(async {
///     tokio::time::sleep(std::time::Duration::from_millis(10)).await;
///     "hello"
/// });
/// // a later cell
/// assert_eq!(greeting.await, "hello");
/// # }
/// ```
pub fn later<F>(future: F) -> Later<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Later {
        description: format!(
            "<later {}, Output = {}, not started>",
            type_name::<F>(),
            type_name::<F::Output>()
        ),
        run: run_to_end(future),
    }
}

impl<T> Later<T> {
    /// Shows the value in a notebook: its type, and that it has not started.
    pub fn evcxr_display(&self) {
        emit_to_notebook(&[("text/plain", &self.description)]);
    }
}

impl<T> fmt::Debug for Later<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

impl<T: Send + 'static> IntoFuture for Later<T> {
    type Output = T;
    type IntoFuture = LaterRun<T>;

    fn into_future(self) -> LaterRun<T> {
        LaterRun {
            task: start(self.run, self.description),
        }
    }
}

/// The future that awaiting a [`Later`] gives. Dropping it before the end
/// stops the work, as dropping any future would.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct LaterRun<T> {
    task: Task<T>,
}

impl<T> Future for LaterRun<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.task)
            .poll(cx)
            .map(|result| match result {
                Ok(output) => output,
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(error) => unreachable!("a `Later` is only cancelled by dropping it: {error}"),
            })
    }
}

impl<T> Drop for LaterRun<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A future running on its own, started by [`create_task`]: asyncio's Task.
///
/// It keeps running between cells. `.await` gives its output as
/// `Ok(output)`, or `Err` with tokio's [`JoinError`] if it panicked or was
/// aborted. Dropping the handle lets the task run on to its end, as dropping
/// a tokio `JoinHandle` does.
#[must_use = "a task runs on its own; keep the handle to await or abort it"]
pub struct Task<T> {
    output: oneshot::Receiver<Result<T, JoinError>>,
    abort: Mutex<Option<oneshot::Sender<()>>>,
    finished: Arc<AtomicBool>,
    description: String,
}

/// Starts `future` at once, running on its own until it finishes: the
/// counterpart of `asyncio.create_task`.
///
/// It returns once the task has been polled the first time, so whatever the
/// task prints before its first real wait belongs to the cell that created
/// it; lines printed at that instant would otherwise land on either side of
/// the cell's end, or be lost between two cells. Later lines appear under
/// whichever cell is running at the time. Await
/// the [`Task`] in any later cell for its output, [`Task::abort`] it, or ask
/// [`Task::is_finished`]. A panic inside it comes back as an error when it is
/// awaited.
///
/// # Examples
///
/// ```
/// use async_walkthrough::notebook::create_task;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let task = create_task(async {
///     tokio::time::sleep(Duration::from_millis(10)).await;
///     42
/// });
/// // ... other cells run meanwhile ...
/// assert_eq!(task.await.unwrap(), 42);
///
/// let endless = create_task(std::future::pending::<()>());
/// endless.abort();
/// assert!(endless.await.unwrap_err().is_cancelled());
/// # }
/// ```
pub fn create_task<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (first_poll_done, first_poll) = std::sync::mpsc::channel();
    let task = start(
        run_to_end(FirstPoll {
            future: Box::pin(future),
            done: Some(first_poll_done),
        }),
        format!("<task {}>", type_name::<F>()),
    );
    // The sender goes away after the first poll, or with the future if that
    // poll panicked: either way the task has started.
    let _ = first_poll.recv();
    task
}

impl<T> Task<T> {
    /// Whether the task has ended: finished, panicked or aborted.
    pub fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// Stops the task at its next await point; awaiting it then gives an
    /// error whose `is_cancelled()` is true. Does nothing once it has ended.
    pub fn abort(&self) {
        let sender = self.abort.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(sender) = sender {
            // The thread may have ended already: then there is nothing to stop.
            let _ = sender.send(());
        }
    }

    /// Shows the task in a notebook: what it runs and whether it is done.
    pub fn evcxr_display(&self) {
        emit_to_notebook(&[("text/plain", &format!("{self:?}"))]);
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.is_finished() {
            "finished"
        } else {
            "running"
        };
        let description = self.description.trim_end_matches('>');
        write!(f, "{description} {state}>")
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.output).poll(cx).map(|received| {
            received.expect("a task's thread always sends its result before it ends")
        })
    }
}

/// A future that reports, once, that it has been polled.
struct FirstPoll<F> {
    future: Pin<Box<F>>,
    done: Option<std::sync::mpsc::Sender<()>>,
}

impl<F: Future> Future for FirstPoll<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let poll = self.future.as_mut().poll(cx);
        self.done.take();
        poll
    }
}

/// Boxes, in the calling cell, the code that runs `future` on a current-thread
/// runtime: that cell's copy of tokio is the one the future was built against.
fn run_to_end<F>(future: F) -> RunToEnd<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Box::new(move |abort: oneshot::Receiver<()>| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime needs an epoll instance and a timer");
        runtime.block_on(async move {
            // A dropped sender is a dropped Task handle, not an abort: the
            // task then runs on to its end.
            let aborted = async {
                if abort.await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            let mut handle = tokio::spawn(future);
            match select(&mut handle, pin!(aborted)).await {
                Either::Left((result, _)) => result,
                Either::Right(_) => {
                    handle.abort();
                    handle.await
                }
            }
        })
    })
}

/// Runs `run` on a new thread and hands back the [`Task`] that receives its
/// result, described by `description`.
fn start<T: Send + 'static>(run: RunToEnd<T>, description: String) -> Task<T> {
    let (output_sender, output) = oneshot::channel();
    let (abort, aborted) = oneshot::channel();
    let finished = Arc::new(AtomicBool::new(false));
    let thread_finished = Arc::clone(&finished);
    std::thread::Builder::new()
        .name("create_task".into())
        .spawn(move || {
            let result = run(aborted);
            thread_finished.store(true, Ordering::Release);
            // The receiver may be gone (a dropped Task): nobody is waiting.
            let _ = output_sender.send(result);
        })
        .expect("the system refused a new thread");
    Task {
        output,
        abort: Mutex::new(Some(abort)),
        finished,
        description,
    }
}
