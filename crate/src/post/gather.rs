//! [`gather`]: run many futures concurrently on the current task, in the
//! order in which Python's `asyncio.gather` runs them. (Unlike asyncio's, it
//! makes no task per future: see the function's documentation.)
//!
//! Why not `tokio::join!` or `futures::future::join_all`? Both run futures
//! concurrently, but neither promises the order in which *simultaneously woken*
//! futures are polled: `join!` rotates which branch it polls first on every
//! poll, and `join_all` on large inputs polls in wake-up order, which the timer
//! wheel does not keep. In a notebook that order is visible, because every poll
//! may print a line. asyncio runs ready callbacks first-in first-out, so when
//! three searches wake in the same instant they print in the order they were
//! passed to `gather`. This module gives that guarantee for any input:
//!
//! * every future is polled once at the start, in input order;
//! * afterwards, the futures woken since the last round are polled in input
//!   order, each round after the previous one has finished;
//! * results come back in input order, like `asyncio.gather`'s list.
//!
//! The bookkeeping is proportional to the number of *woken* futures, not to the
//! number gathered, so a million sleeping futures cost nothing while they sleep.
//! A round yields back to tokio whenever the task's cooperative budget runs out
//! and resumes where it stopped, so order survives even very large rounds.

use crate::sync::lock;
use std::future::Future;
use std::mem;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use tokio::task::coop;

/// Runs `futures` concurrently on the current task and returns their outputs
/// in input order.
///
/// Futures woken at the same instant are polled in input order, so output they
/// print interleaves exactly as it does under `asyncio.gather`. Nothing is
/// spawned: dropping the returned future cancels every future in it.
///
/// asyncio's `gather` is not quite this: it wraps each coroutine in a Task,
/// which the event loop schedules one by one, so the coroutines start even if
/// the gather is never awaited, and a failing one does not cancel the others.
/// This `gather` is closer to tokio's `join_all` with asyncio's order: the
/// futures are polled inline, inside the one task that awaits it.
///
/// # Examples
///
/// ```
/// use async_walkthrough::post::gather;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let started = tokio::time::Instant::now();
/// let lengths = gather([3, 1, 2].map(|seconds| async move {
///     tokio::time::sleep(Duration::from_secs(seconds)).await;
///     seconds
/// }))
/// .await;
/// assert_eq!(lengths, [3, 1, 2], "outputs in input order");
/// assert_eq!(started.elapsed(), Duration::from_secs(3), "the longest, not the sum");
/// # }
/// ```
pub async fn gather<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    Gather::new(futures).await
}

/// One gathered future, running or finished.
enum Slot<F: Future> {
    Running(F),
    Finished(Option<F::Output>),
}

/// What the gathered futures' wakers share with the gathering future.
struct Shared {
    /// One per future: what its waker points at.
    children: Box<[ChildEntry]>,
    /// Indices of futures woken since the last round started, in wake order.
    woken: Mutex<Vec<u32>>,
    /// The waker of the task that runs the gather.
    parent: Mutex<Option<Waker>>,
}

impl Shared {
    fn schedule(&self, index: u32) {
        if self.children[index as usize]
            .needs_poll
            .swap(true, Ordering::AcqRel)
        {
            return; // already waiting for its poll
        }
        let first_in_round = {
            let mut woken = lock(&self.woken);
            woken.push(index);
            woken.len() == 1
        };
        // Later wake-ups in the same round find the parent already woken.
        if first_in_round && let Some(parent) = lock(&self.parent).as_ref() {
            parent.wake_by_ref();
        }
    }
}

/// The target of one gathered future's waker: 16 bytes inside [`Shared`].
///
/// Why not one `Arc` per future behind `std::task::Wake`? At a million futures
/// those are a million allocations and 48 more bytes each, a large share of
/// gather's whole cost. Here a waker is a pointer to its entry, and cloning or
/// dropping one counts references on the one `Arc<Shared>`.
struct ChildEntry {
    /// The `Shared` this entry lives in, as `Arc::into_raw` would give it.
    shared: *const Shared,
    index: u32,
    /// Woken and not yet polled since. Deduplicates wake-ups.
    needs_poll: AtomicBool,
}

// SAFETY: `shared` only ever points at the `Shared` that owns the entry, which
// is `Send + Sync` (atomics and mutexes), and a waker keeps it alive.
unsafe impl Send for ChildEntry {}
unsafe impl Sync for ChildEntry {}

/// The waker functions. `data` always points at a `ChildEntry` inside a live
/// `Arc<Shared>`; every owned waker holds one strong count of that `Arc`.
static CHILD_WAKER: RawWakerVTable =
    RawWakerVTable::new(clone_child, wake_child, wake_child_by_ref, drop_child);

unsafe fn clone_child(data: *const ()) -> RawWaker {
    // SAFETY: see CHILD_WAKER; the new waker takes its own strong count.
    unsafe { Arc::increment_strong_count((*data.cast::<ChildEntry>()).shared) };
    RawWaker::new(data, &CHILD_WAKER)
}

unsafe fn wake_child(data: *const ()) {
    // SAFETY: an owned waker: wake, then give up its count.
    unsafe {
        wake_child_by_ref(data);
        drop_child(data);
    }
}

unsafe fn wake_child_by_ref(data: *const ()) {
    // SAFETY: see CHILD_WAKER; the entry and its `Shared` are alive.
    let entry = unsafe { &*data.cast::<ChildEntry>() };
    unsafe { &*entry.shared }.schedule(entry.index);
}

unsafe fn drop_child(data: *const ()) {
    // SAFETY: read the pointer before the count drops: the last drop frees the
    // entry along with `Shared`.
    unsafe { Arc::decrement_strong_count((*data.cast::<ChildEntry>()).shared) };
}

struct Gather<F: Future> {
    slots: Pin<Box<[Slot<F>]>>,
    shared: Arc<Shared>,
    /// The round being polled, sorted by input index, and how far it got.
    round: Vec<u32>,
    next_in_round: usize,
    unfinished: usize,
}

impl<F: Future> Gather<F> {
    fn new(futures: impl IntoIterator<Item = F>) -> Self {
        let slots: Box<[Slot<F>]> = futures.into_iter().map(Slot::Running).collect();
        let count = u32::try_from(slots.len()).expect("gather takes at most u32::MAX futures");
        let shared = Arc::new_cyclic(|shared| Shared {
            children: (0..count)
                .map(|index| ChildEntry {
                    shared: shared.as_ptr(),
                    index,
                    needs_poll: AtomicBool::new(true),
                })
                .collect(),
            woken: Mutex::new(Vec::new()),
            parent: Mutex::new(None),
        });
        Self {
            slots: Box::into_pin(slots),
            shared,
            round: (0..count).collect(),
            next_in_round: 0,
            unfinished: count as usize,
        }
    }

    fn needs_poll(&self, index: u32) -> &AtomicBool {
        &self.shared.children[index as usize].needs_poll
    }

    fn slot(&mut self, index: usize) -> Pin<&mut Slot<F>> {
        // SAFETY: the boxed slice is pinned and never reallocated; we hand out a
        // pinned reference to one element and never move it out.
        unsafe {
            self.slots
                .as_mut()
                .map_unchecked_mut(|slots| &mut slots[index])
        }
    }

    /// Polls future `index` once. Returns true when it finished now.
    fn poll_child(&mut self, index: u32) -> bool {
        let entry: *const ChildEntry = &self.shared.children[index as usize];
        // SAFETY: `self.shared` outlives the poll, and this borrowed waker is
        // never dropped, so it needs no count of its own; clones take one.
        let waker = ManuallyDrop::new(unsafe {
            Waker::from_raw(RawWaker::new(entry.cast(), &CHILD_WAKER))
        });
        let mut slot = self.slot(index as usize);
        // SAFETY: pin projection into the `Running` variant; the future is
        // dropped in place by `set` below, never moved.
        let future = match unsafe { slot.as_mut().get_unchecked_mut() } {
            Slot::Running(future) => unsafe { Pin::new_unchecked(future) },
            Slot::Finished(_) => return false,
        };
        match future.poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(output) => {
                slot.set(Slot::Finished(Some(output)));
                true
            }
            Poll::Pending => false,
        }
    }

    fn take_outputs(&mut self) -> Vec<F::Output> {
        (0..self.slots.len())
            .map(|index| {
                // SAFETY: `Finished` holds no pinned data; taking its output
                // moves nothing that was pinned.
                match unsafe { self.slot(index).get_unchecked_mut() } {
                    Slot::Finished(output) => output.take().expect("each output is taken once"),
                    Slot::Running(_) => unreachable!("gather finished with a future still running"),
                }
            })
            .collect()
    }
}

impl<F: Future> Future for Gather<F> {
    type Output = Vec<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        {
            let mut parent = lock(&this.shared.parent);
            if !parent.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *parent = Some(cx.waker().clone());
            }
        }
        while this.unfinished > 0 {
            if this.next_in_round == this.round.len() {
                // Start the next round with everything woken meanwhile.
                this.round.clear();
                mem::swap(&mut this.round, &mut *lock(&this.shared.woken));
                this.round.sort_unstable();
                this.next_in_round = 0;
                if this.round.is_empty() {
                    return Poll::Pending;
                }
            }
            let index = this.round[this.next_in_round];
            if !this.needs_poll(index).swap(false, Ordering::AcqRel) {
                this.next_in_round += 1; // polled already since it was woken
                continue;
            }
            let finished = this.poll_child(index);
            if finished {
                this.unfinished -= 1;
            }
            // One budget check per poll: tokio refills the budget for each poll
            // of this task, and a child polled without budget just asks again.
            if this.unfinished > 0 && !coop::has_budget_remaining() {
                // A child cut short asked to be polled again: it heads the
                // round when this task is polled next.
                if finished || !this.needs_poll(index).load(Ordering::Acquire) {
                    this.next_in_round += 1;
                }
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            this.next_in_round += 1;
        }
        Poll::Ready(this.take_outputs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;
    use tokio::time::sleep;

    #[tokio::test(start_paused = true)]
    async fn returns_outputs_in_input_order() {
        let outputs = gather([3u64, 1, 2].map(|secs| async move {
            sleep(Duration::from_secs(secs)).await;
            secs
        }))
        .await;
        assert_eq!(outputs, [3, 1, 2]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_gather_is_ready_at_once() {
        let outputs: Vec<()> = gather(Vec::<std::future::Ready<()>>::new()).await;
        assert!(outputs.is_empty());
    }

    /// Futures that wake at the same instant are polled in input order, even
    /// when the round is far larger than tokio's cooperative budget.
    #[tokio::test(start_paused = true)]
    async fn simultaneous_wakeups_are_polled_in_input_order() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let count = 1000;
        gather((0..count).map(|index| {
            let log = Rc::clone(&log);
            async move {
                for step in 0..3 {
                    log.borrow_mut().push((step, index));
                    sleep(Duration::from_secs(1)).await;
                }
            }
        }))
        .await;
        let log = log.borrow();
        let expected: Vec<_> = (0..3)
            .flat_map(|step| (0..count).map(move |index| (step, index)))
            .collect();
        assert_eq!(*log, expected);
    }

    /// When tokio's budget runs out mid-round, gather stops and resumes the
    /// round later instead of polling every remaining future in vain: each
    /// sleeping future is polled about twice, not once per budget slice.
    #[tokio::test(start_paused = true)]
    async fn a_large_round_polls_each_future_a_bounded_number_of_times() {
        let polls = Rc::new(RefCell::new(0usize));
        let count = 10_000;
        gather((0..count).map(|_| {
            let polls = Rc::clone(&polls);
            let mut sleep = Box::pin(sleep(Duration::from_secs(1)));
            std::future::poll_fn(move |cx| {
                *polls.borrow_mut() += 1;
                sleep.as_mut().poll(cx)
            })
        }))
        .await;
        let polls = *polls.borrow();
        assert!(
            polls <= 2 * count + 200,
            "{polls} polls for {count} futures"
        );
    }

    /// A future that yields goes to the back of the queue, as in asyncio.
    #[tokio::test(start_paused = true)]
    async fn a_yielding_future_lets_the_others_run_first() {
        let log = Rc::new(RefCell::new(Vec::new()));
        gather((0..3).map(|index| {
            let log = Rc::clone(&log);
            async move {
                log.borrow_mut().push(format!("{index} start"));
                tokio::task::yield_now().await;
                log.borrow_mut().push(format!("{index} end"));
            }
        }))
        .await;
        assert_eq!(
            *log.borrow(),
            ["0 start", "1 start", "2 start", "0 end", "1 end", "2 end"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_gather_cancels_every_future() {
        let finished = Rc::new(RefCell::new(0));
        let gathered = gather((0..3).map(|_| {
            let finished = Rc::clone(&finished);
            async move {
                sleep(Duration::from_secs(10)).await;
                *finished.borrow_mut() += 1;
            }
        }));
        let timed_out = tokio::time::timeout(Duration::from_secs(1), gathered).await;
        assert!(timed_out.is_err());
        sleep(Duration::from_secs(20)).await;
        assert_eq!(*finished.borrow(), 0);
        assert_eq!(Rc::strong_count(&finished), 1, "the futures were dropped");
    }
}
