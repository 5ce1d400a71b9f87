//! [`on_own_runtime`]: runs a future on a tokio runtime made for it, in a
//! thread of its own, and returns once that runtime has stopped.
//!
//! Why notebook cells need it: evcxr runs every cell that uses `.await` on one
//! runtime, created by the first such cell and kept for the whole session. But
//! each cell links its own copy of tokio, and the runtime's worker threads only
//! know the copy of the cell that created them. A task spawned from a later
//! cell (a server accepting connections, a client's connection) runs on those
//! workers and panics with "there is no reactor running" as soon as it needs
//! the runtime. A runtime built by the crate's own code, in the cell that uses
//! it, has no such mismatch.
//!
//! It also bounds lifetimes: when [`on_own_runtime`] returns, the runtime has
//! shut down, dropping every task still on it, and its thread has been joined,
//! so no server or task outlives the cell.

use std::future::Future;

/// Runs the future made by `make` to completion on a new multi-thread tokio
/// runtime in a new thread, then shuts the runtime down; returns the future's
/// output. A panic in the future is passed on to the caller.
///
/// Call it from synchronous code, such as a notebook cell without `.await`.
/// From async code it blocks the calling thread until the future is done.
pub fn on_own_runtime<T, F>(make: impl FnOnce() -> F + Send) -> T
where
    F: Future<Output = T>,
    T: Send,
{
    std::thread::scope(|scope| {
        let thread = scope.spawn(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime needs threads and an epoll instance");
            runtime.block_on(make())
        });
        thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[test]
    fn returns_the_output_and_drops_every_task_left_on_the_runtime() {
        let dropped = Arc::new(AtomicBool::new(false));
        struct SetOnDrop(Arc<AtomicBool>);
        impl Drop for SetOnDrop {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let guard = SetOnDrop(Arc::clone(&dropped));
        let output = on_own_runtime(|| async move {
            tokio::spawn(async move {
                let _guard = guard;
                tokio::time::sleep(Duration::from_secs(3600)).await;
            });
            42
        });
        assert_eq!(output, 42);
        assert!(
            dropped.load(Ordering::SeqCst),
            "the sleeping task was dropped"
        );
    }

    #[tokio::test]
    async fn works_from_inside_another_runtime() {
        assert_eq!(on_own_runtime(|| async { 7 }), 7);
    }

    #[test]
    #[should_panic(expected = "inside")]
    fn passes_a_panic_on() {
        on_own_runtime(|| async { panic!("inside") });
    }
}
