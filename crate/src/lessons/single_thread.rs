//! Running a future on a runtime with a single thread: asyncio's event loop.
//!
//! The post says that async code gains on I/O-bound work even on one core. A
//! current-thread runtime drives every task on the thread that calls it, so
//! running a workload there shows what that claim means for tokio: no second
//! thread to fall back on, and the three searches still take 3 s. It is also
//! what `asyncio.run` gives a Python program: tasks take turns only at their
//! awaits, in the order they became ready, so notebook 05 runs its lessons
//! about tasks there to print CPython's lines in CPython's order.

use std::future::Future;

/// Runs `future` to completion on a new current-thread runtime (timers
/// enabled) and returns its output. Tasks it spawns share that one thread and
/// are dropped with the runtime when this returns.
///
/// The runtime is driven on a thread of its own, which this call waits for:
/// tokio refuses to block a thread that is already inside a runtime, and the
/// project's kernel runs every cell inside evcxr's.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// let (first, workers) = on_one_thread(async {
///     let task = tokio::spawn(async { "the task" });
///     // On one thread the task runs only once this future awaits.
///     (task.await.unwrap(), runtime_workers())
/// });
/// assert_eq!((first, workers), ("the task", 1));
/// ```
pub fn on_one_thread<F>(future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime with timers can always be built");
    drive_on_own_thread(runtime, future)
}

/// Runs `future` to completion on `runtime`, driven from a new thread that
/// this call waits for, then shuts the runtime down: no task or worker thread
/// outlives the call. A panic in the future is passed on to the caller.
///
/// Callable from inside another runtime (as every notebook cell is), where
/// `runtime.block_on` itself would panic.
pub(crate) fn drive_on_own_thread<F>(runtime: tokio::runtime::Runtime, future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let output = runtime.block_on(future);
                runtime.shutdown_background();
                output
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// How many worker threads drive tasks in the runtime this is called from:
/// 1 on a current-thread runtime, one per core by default on a multi-thread
/// one.
///
/// # Panics
///
/// When called outside a runtime.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
/// # async fn main() {
/// assert_eq!(runtime_workers(), 2);
/// # }
/// ```
pub fn runtime_workers() -> usize {
    tokio::runtime::Handle::current().metrics().num_workers()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notebook::console::capture_future;
    use crate::post::workloads::process_async;

    #[test]
    fn one_thread_is_enough_for_the_interleaved_searches() {
        let (timeline, lines) = on_one_thread(async {
            assert_eq!(runtime_workers(), 1);
            tokio::time::pause();
            capture_future(process_async()).await
        });
        // Paused after the runtime started, the clock still rounds each
        // deadline up to its millisecond tick: 3 s and a few milliseconds.
        let total = timeline.total.as_secs_f64();
        assert!((3.0..3.01).contains(&total), "{total}");
        assert_eq!(lines.len(), 10);
        assert!(lines[9].starts_with(" >>> total time taken for async process: 3.00"));
    }

    /// As in a notebook cell after the first `.await`: called from inside a
    /// multi-thread runtime, it still gets a runtime of its own.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn works_from_inside_another_runtime() {
        assert_eq!(runtime_workers(), 2);
        let workers = on_one_thread(async { runtime_workers() });
        assert_eq!(workers, 1);
    }
}
