//! Case 7 of the reliability tests: [`gather`] under faults. A child that
//! panics, a child that never finishes, a gather dropped half-way, and a
//! child that keeps its waker after the gather is gone.
//!
//! What `gather` promises, and what these tests hold it to:
//!
//! * a panic in a child propagates out of the gather's poll, to whoever
//!   awaits it (a spawned task's `JoinHandle` reports it as a panic); the
//!   other children are dropped when the gather is;
//! * one child that never finishes keeps the gather pending for good (like
//!   `asyncio.gather`); a timeout around it drops every child, finished
//!   outputs included;
//! * nothing leaks: every allocation made while the gather ran is freed once
//!   it and every waker it handed out are dropped. A waker kept past the
//!   gather keeps the shared block alive (waking it does nothing) and frees it
//!   when dropped.
//!
//! Allocations are counted per thread by a counting allocator, and every
//! scenario runs on a current-thread runtime on the test's own thread, so
//! tests running side by side do not disturb each other's counts.

use async_walkthrough::post::gather;
use futures::FutureExt;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;
use tokio::time::sleep;

mod common;
use common::figure;

/// Counts the blocks this thread has allocated and not yet freed.
struct Counting;

thread_local! {
    static LIVE_BLOCKS: Cell<isize> = const { Cell::new(0) };
}

fn count(change: isize) {
    // `try_with`: the allocator also runs while thread-locals are torn down.
    let _ = LIVE_BLOCKS.try_with(|live| live.set(live.get() + change));
}

// SAFETY: every call is passed straight to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(1);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-1);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(1);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_blocks() -> isize {
    LIVE_BLOCKS.with(Cell::get)
}

/// A current-thread runtime with tokio's clock paused, so sleeps of seconds
/// take no time.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

/// Runs `scenario` twice on `runtime` and returns how many blocks the second
/// run left allocated. The first run lets lazily built state (the panic
/// machinery, the timer wheel) settle, so it is not counted as a leak.
fn blocks_left_by<F: Future<Output = ()>>(
    runtime: &tokio::runtime::Runtime,
    scenario: impl Fn() -> F,
) -> isize {
    runtime.block_on(scenario());
    let before = live_blocks();
    runtime.block_on(scenario());
    live_blocks() - before
}

/// Counts the children dropped, finished or not.
#[derive(Clone, Default)]
struct Drops(Rc<Cell<usize>>);

struct Guard(Drops);

impl Drop for Guard {
    fn drop(&mut self) {
        let counter = &(self.0).0;
        counter.set(counter.get() + 1);
    }
}

impl Drops {
    fn guard(&self) -> Guard {
        Guard(self.clone())
    }
    fn count(&self) -> usize {
        self.0.get()
    }
}

#[test]
fn a_panicking_child_propagates_and_the_others_are_dropped() {
    let runtime = runtime();
    let drops = Drops::default();
    let scenario = || {
        let drops = drops.clone();
        async move {
            let (a, b, c) = (drops.guard(), drops.guard(), drops.guard());
            let children: Vec<std::pin::Pin<Box<dyn Future<Output = u32>>>> = vec![
                Box::pin(async move {
                    let _a = a;
                    sleep(Duration::from_secs(1)).await;
                    1
                }),
                Box::pin(async move {
                    let _b = b;
                    sleep(Duration::from_millis(10)).await;
                    panic!("a child panics");
                }),
                Box::pin(async move {
                    let _c = c;
                    std::future::pending::<()>().await;
                    3
                }),
            ];
            let result = AssertUnwindSafe(gather(children)).catch_unwind().await;
            let message = result
                .expect_err("the panic propagates")
                .downcast::<&str>()
                .map(|message| *message);
            assert_eq!(message.ok(), Some("a child panics"));
        }
    };
    let left = blocks_left_by(&runtime, scenario);
    figure(
        "7 gather",
        format!(
            "a child panics: the panic reaches the awaiting code, all {} children of 2 runs \
             dropped, {left} blocks left allocated",
            drops.count()
        ),
    );
    assert_eq!(drops.count(), 6, "every child of both runs was dropped");
    assert_eq!(left, 0, "the panicking gather leaked");
}

/// The same panic in a spawned task reaches its `JoinHandle` as a panic, and
/// the runtime goes on.
#[test]
fn a_panic_in_a_spawned_gather_reaches_the_join_handle() {
    let runtime = runtime();
    runtime.block_on(async {
        let handle = tokio::spawn(gather([
            async { panic!("a child panics") }.boxed(),
            async { sleep(Duration::from_secs(1)).await }.boxed(),
        ]));
        let error = handle.await.expect_err("the task panicked");
        assert!(error.is_panic());
        assert_eq!(gather([async { 7 }]).await, [7], "the runtime goes on");
    });
}

#[test]
fn a_child_that_never_finishes_holds_the_gather_and_a_timeout_drops_all() {
    let runtime = runtime();
    let drops = Drops::default();
    let scenario = || {
        let drops = drops.clone();
        async move {
            let (a, b, c) = (drops.guard(), drops.guard(), drops.guard());
            let children: Vec<std::pin::Pin<Box<dyn Future<Output = Option<Guard>>>>> = vec![
                // Finished children hand their guard back as their output,
                // held by the gather until it is dropped.
                Box::pin(async move { Some(a) }),
                Box::pin(async move {
                    sleep(Duration::from_secs(1)).await;
                    Some(b)
                }),
                Box::pin(async move {
                    let _c = c;
                    std::future::pending::<()>().await;
                    None
                }),
            ];
            let waited = tokio::time::timeout(Duration::from_secs(3600), gather(children)).await;
            assert!(waited.is_err(), "the gather never finishes");
        }
    };
    let left = blocks_left_by(&runtime, scenario);
    figure(
        "7 gather",
        format!(
            "a child never finishes: the gather is still pending after an hour (paused clock); \
             the timeout dropped {} children and outputs of 2 runs, {left} blocks left",
            drops.count()
        ),
    );
    assert_eq!(drops.count(), 6);
    assert_eq!(left, 0);
}

#[test]
fn dropping_the_gather_half_way_drops_every_child_and_frees_everything() {
    let runtime = runtime();
    let drops = Drops::default();
    let scenario = || {
        let drops = drops.clone();
        async move {
            let children: Vec<_> = (1..=100)
                .map(|seconds| {
                    let guard = drops.guard();
                    async move {
                        let _guard = guard;
                        sleep(Duration::from_secs(seconds)).await;
                        seconds
                    }
                })
                .collect();
            // Half of them have finished when the gather is dropped.
            let cut = tokio::time::timeout(Duration::from_millis(50_500), gather(children)).await;
            assert!(cut.is_err());
            // Their timers are gone too: time can pass with nothing to wake.
            sleep(Duration::from_secs(200)).await;
        }
    };
    let left = blocks_left_by(&runtime, scenario);
    figure(
        "7 gather",
        format!(
            "dropped half-way (50 of 100 finished): {} children of 2 runs dropped, {left} blocks left",
            drops.count()
        ),
    );
    assert_eq!(drops.count(), 200);
    assert_eq!(left, 0);
}

#[test]
fn a_waker_kept_past_the_gather_keeps_its_memory_until_dropped() {
    let runtime = runtime();
    let kept: Arc<Mutex<Option<Waker>>> = Arc::default();
    let scenario = || {
        let kept = Arc::clone(&kept);
        async move {
            let keeper = std::future::poll_fn(move |cx| {
                *kept.lock().unwrap() = Some(cx.waker().clone());
                Poll::<()>::Pending
            });
            let children: Vec<std::pin::Pin<Box<dyn Future<Output = ()>>>> =
                vec![Box::pin(keeper), Box::pin(sleep(Duration::from_secs(1)))];
            let cut = tokio::time::timeout(Duration::from_secs(2), gather(children)).await;
            assert!(cut.is_err());
        }
    };
    // Warm up, then count with the waker still held.
    runtime.block_on(scenario());
    drop(kept.lock().unwrap().take());
    let before = live_blocks();
    runtime.block_on(scenario());
    let held = live_blocks() - before;
    // Waking it after the gather is gone does nothing, and must not crash.
    let waker = kept
        .lock()
        .unwrap()
        .take()
        .expect("the child kept its waker");
    waker.wake_by_ref();
    // An owned clone, woken by value: the path that gives up its count.
    let clone = waker.clone();
    clone.wake();
    drop(waker);
    let left = live_blocks() - before;
    figure(
        "7 gather",
        format!(
            "a waker kept past the gather: {held} block(s) held while it lives, woken after the \
             gather is gone without effect, {left} left once dropped"
        ),
    );
    assert!(held > 0, "the kept waker holds the gather's shared block");
    assert_eq!(left, 0);
}
