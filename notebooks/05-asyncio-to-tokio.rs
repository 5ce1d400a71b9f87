// -*- coding: utf-8 -*-
// ---
// jupyter:
//   jupytext:
//     formats: ipynb,rs:percent
//     text_representation:
//       extension: .rs
//       format_name: percent
//       format_version: '1.3'
//       jupytext_version: 1.19.6
//   kernelspec:
//     display_name: Rust
//     language: rust
//     name: rust
// ---

// %% [markdown]
// # 05 · asyncio to tokio, construct by construct
//
// The post uses two pieces of asyncio, `await` and `gather`. This notebook takes the ones a Python programmer reaches for next and shows each in Rust, on tokio. Every section has a CPython twin in `reference/asyncio-to-tokio.ipynb`, with the same title; `make test` checks that both print the same lines in the same order, except in the sections marked **differs**, which say why and quote what CPython prints.
//
// Run it top to bottom; its examples sleep about 8 seconds in all, 2.3 of them in the queue, and its two exercises at the end about 3 more. It needs a kernel whose cells share one tokio, as `make lab`'s does: the first code cell ends with `require_one_tokio!()`, whose one line of output says this kernel is one.
//
// | asyncio | Rust | section |
// | --- | --- | --- |
// | `asyncio.run`, top-level `await` | `#[tokio::main]`, top-level `.await`, `on_one_thread` | 1. Running a coroutine: `asyncio.run` and a top-level `await` |
// | `asyncio.create_task`, `await task` | `tokio::spawn`, `JoinHandle` | 2. Starting a task: `create_task` and awaiting it |
// | a task awaited in a later cell | `tokio::spawn`, a `JoinHandle` kept in a variable | 3. A task kept across cells |
// | `Task.cancel()`, `CancelledError` | `JoinHandle::abort()`, `JoinError::is_cancelled()`, `Drop` | 4. Cancelling a task: `Task.cancel()` and `CancelledError` vs `abort()` and `JoinError::is_cancelled` |
// | `gather(..., return_exceptions=True)` | the crate's `gather` over `Result`s (or `join_all`) | 5. `gather(return_exceptions=True)`: every outcome as a value |
// | `gather(...)` raising the first error | `futures::future::try_join_all` | 6. `gather` that fails fast vs `try_join_all` |
// | `wait_for`, `asyncio.timeout` | `tokio::time::timeout` | 7. Timeouts: `wait_for` and `asyncio.timeout` vs `tokio::time::timeout` |
// | `asyncio.shield` | a spawned task (`tokio::spawn`) awaited through `&mut JoinHandle` | 8. `shield` vs a spawned task that outlives its awaiter |
// | `asyncio.as_completed` | `FuturesUnordered`, `JoinSet::join_next` | 9. Results in finishing order: `as_completed` vs `FuturesUnordered` and `JoinSet::join_next` |
// | `asyncio.TaskGroup` | `JoinSet` with `abort_all()` on the first error | 10. Structured concurrency: `TaskGroup` vs `JoinSet` |
// | `asyncio.Semaphore` | `tokio::sync::Semaphore` | 11. Limiting concurrency: `Semaphore` |
// | `asyncio.Lock` | `tokio::sync::Mutex`; `std::sync::Mutex` when no await holds it | 12. Shared state: `Lock` vs tokio's `Mutex`, and when `std::sync::Mutex` is right |
// | `asyncio.Event` | `tokio::sync::watch` (`Notify`) | 13. Waiting for a signal: `Event` vs `watch` (and `Notify`) |
// | `asyncio.Queue(maxsize=...)` | `tokio::sync::mpsc::channel(...)` | 14. Producers and consumers: `Queue(maxsize=2)` vs a bounded `mpsc` channel |
// | `asyncio.to_thread`, `run_in_executor` | `tokio::task::spawn_blocking` | 15. Blocking calls: `to_thread` and `run_in_executor` vs `spawn_blocking` |
// | async generator, `async for` | `Stream` (`futures::stream::unfold`), `while let Some(..) = s.next().await` | 16. `async for` over an async generator vs a `Stream` |
// | `async with` | a guard value and its `Drop` | 17. `async with` vs a guard that cleans up on drop |
// | `asyncio.sleep(0)` | `tokio::task::yield_now()` | 18. Letting others run: `asyncio.sleep(0)` vs `tokio::task::yield_now` |

// %% [markdown]
// First the crate (for `on_one_thread`, `gather`, `require_one_tokio!` and the timelines), tokio, named here rather than left to the kernel, `futures` (for `try_join_all`, `FuturesUnordered` and streams), and a helper `secs`. The last line is the check the introduction mentions; on a stock evcxr kernel it stops the cell with the cause.

// %%
// :dep async_walkthrough = { path = "../crate" }
// :dep tokio = { version = "1", features = ["full"] }
// :dep futures = "0.3"
use async_walkthrough::prelude::*;
use futures::stream::{self, FuturesUnordered, Stream, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::sleep;

/// Seconds as a Duration, so that `sleep(secs(0.1))` reads like `asyncio.sleep(0.1)`.
fn secs(seconds: f64) -> Duration {
    Duration::from_secs_f64(seconds)
}

require_one_tokio!()

// %% [markdown] tags=["section"]
// ## 1. Running a coroutine: `asyncio.run` and a top-level `await`

// %% [markdown]
// A script hands its top coroutine to `asyncio.run`, which makes an event loop, runs the coroutine to its end and closes the loop. In a notebook a loop is already there, so a cell just awaits.

// %%
async fn greet(name: &str, delay: f64) -> usize {
    sleep(secs(delay)).await;
    println!("hello, {name}");
    name.len()
}

let length: usize = greet("world", 0.1).await;
println!("{length}");

// %%
// one thread, as asyncio.run's loop: a current-thread runtime on a thread of its own
let length: usize = on_one_thread(greet("thread", 0.1));
println!("{length}");

// %% [markdown]
// **What the kernel does.** Every cell of this kernel runs inside one tokio runtime that evcxr made with `Runtime::new()`: one worker thread per core, kept for the whole session, so a cell can `.await` at its top level. A program says the same with an attribute: `#[tokio::main] async fn main() { ... }` builds that multi-thread runtime and blocks on `main`; `#[tokio::main(flavor = "current_thread")]` builds one with a single thread, which is what asyncio's event loop is.
//
// `on_one_thread`, from this project's crate, is our `asyncio.run`: a new current-thread runtime, on a thread of its own, runs the future to its end and is dropped with any task still on it. Besides the cell above, this notebook uses it only in the sections about how tasks take turns: on one thread they switch only at their awaits, as in asyncio, so lines come out in one order, CPython's. The other sections await on evcxr's runtime, where tasks spawned by `tokio::spawn` run in parallel on the workers; there every line is printed by one task, or by tasks that print at least 0.1 s apart or only once they have awaited each other, so the order does not depend on which worker runs what.

// %% [markdown] tags=["section"]
// ## 2. Starting a task: `create_task` and awaiting it

// %% [markdown]
// `asyncio.create_task` wraps a coroutine in a task that runs on its own while the caller goes on; `tokio::spawn` does the same with a future. Awaiting the task waits for its result.

// %%
async fn worker(name: &'static str, delay: f64) -> String {
    println!("{name}: started");
    sleep(secs(delay)).await;
    println!("{name}: done");
    format!("{name}'s result")
}

// one thread, as asyncio's loop: a new task starts only when its creator awaits
on_one_thread(async {
    let task: JoinHandle<String> = tokio::spawn(worker("a", 0.2));
    println!("main: task created");
    sleep(secs(0.1)).await;
    println!("main: awaiting the task");
    let result: String = task.await.unwrap();
    println!("main: got {result}");
});

// %% [markdown]
// **Where they differ.** On a current-thread runtime, as in asyncio, a new task first runs when its creator reaches an await: `main: task created` comes before `a: started`. On a multi-thread runtime an idle worker may start it at once. Awaiting a `JoinHandle` gives a `Result`: `Err(JoinError)` if the task panicked or was aborted, where Python would raise the task's exception again.

// %% [markdown] tags=["section"]
// ## 3. A task kept across cells

// %% [markdown]
// In a notebook a task can be created in one cell and awaited in a later one. asyncio allows it as is, and so does plain tokio on this kernel: the `JoinHandle` is a value like any other, kept in a variable.

// %%
async fn quiet_worker(name: &'static str, delay: f64) -> String {
    sleep(secs(delay)).await;
    format!("{name}'s result")
}

let background: JoinHandle<String> = tokio::spawn(quiet_worker("b", 1.0));
println!("cell: task created");

// %%
let result: String = background.await.unwrap();
println!("cell: got {result}");

// %% [markdown]
// The task runs between the cells: asyncio's starts once the cell has ended and the kernel's loop has control again, tokio's at once on a worker thread. The worker is quiet on purpose: the two kernels do not show a background task's lines in the same place. ipykernel sends them to the cell that created the task, even once that cell has finished (nbclient, which records the twin, has stopped listening by then, so they are missing from its recording); evcxr shows them under whichever cell is running when they are printed, and a line printed as the task starts races the cell's own `println!`. This needs a kernel whose cells share one tokio, which the first cell checks: a stock evcxr kernel links a copy of tokio into every cell, and there these two cells would panic ("there is no reactor running") or hang.

// %% [markdown] tags=["section"]
// ## 4. Cancelling a task: `Task.cancel()` and `CancelledError` vs `abort()` and `JoinError::is_cancelled`

// %% [markdown]
// Python cancels a task by raising `CancelledError` inside it at its current await. tokio's `abort()` drops the task's future there instead; cleanup lives in `Drop`.

// %%
/// Prints "<name>: cancelled" when dropped before `done()`: cleanup on cancellation.
struct OnCancel(&'static str);

impl OnCancel {
    fn done(self) {
        std::mem::forget(self);
    }
}

impl Drop for OnCancel {
    fn drop(&mut self) {
        println!("{}: cancelled", self.0);
    }
}

async fn slow(name: &'static str) {
    println!("{name}: started");
    let cancelled = OnCancel(name);
    sleep(secs(10.0)).await;
    println!("{name}: finished");
    cancelled.done();
}

async {
    let task: JoinHandle<()> = tokio::spawn(slow("slow"));
    sleep(secs(0.1)).await;
    task.abort();
    match task.await {
        Err(error) if error.is_cancelled() => println!("main: the task was cancelled"),
        other => println!("main: {other:?}"),
    }
}.await;

// %% [markdown]
// **Where they differ.** The lines are the same, the mechanism is not. A Python coroutine sees the cancellation as an exception: it may await during its cleanup, or even swallow the error and go on. A Rust future is simply dropped at the await where it waits: destructors run, synchronously, and nothing in it runs again. Awaiting the aborted task gives `Err(JoinError)` whose `is_cancelled()` is true, Python's `CancelledError`.

// %% [markdown] tags=["section"]
// ## 5. `gather(return_exceptions=True)`: every outcome as a value

// %% [markdown]
// With `return_exceptions=True`, `gather` returns failures in the result list instead of raising. In Rust a failure is already a value: gather futures that return `Result`s.

// %%
async fn fetch(n: u64) -> Result<u64, String> {
    sleep(secs(0.1 * n as f64)).await;
    if n == 2 {
        return Err(format!("fetch {n} failed"));
    }
    println!("fetch {n}: ok");
    Ok(n * 10)
}

async {
    let results: Vec<Result<u64, String>> = gather([fetch(1), fetch(2), fetch(3)]).await;
    for result in results {
        match result {
            Ok(value) => println!("value: {value}"),
            Err(error) => println!("error: {error}"),
        }
    }
}.await;

// %% [markdown]
// `gather` here is the crate's: it runs the futures on the current task and polls the ones woken together in the order they were passed, as asyncio does. `futures::future::join_all` gives the same results in the same order; only the order in which simultaneously woken futures print is not promised.

// %% [markdown] tags=["section", "differs"]
// ## 6. `gather` that fails fast vs `try_join_all`

// %% [markdown]
// **differs** · Without `return_exceptions`, `gather` raises the first exception. `futures::future::try_join_all` returns the first `Err`. What happens to the others is not the same.

// %%
async {
    match futures::future::try_join_all([fetch(1), fetch(2), fetch(3)]).await {
        Ok(values) => println!("values: {values:?}"),
        Err(error) => println!("failed fast: {error}"),
    }
    sleep(secs(0.2)).await;
    println!("main: done");
}.await;

// %% [markdown]
// **Where they differ: the others.** When `gather` raises, the other awaitables are *not* cancelled: `fetch 3` goes on running and prints after the error has been handled. `try_join_all` owns its futures and drops them when it returns the error, so `fetch 3` never prints. For Python's behaviour in Rust, spawn the futures as tasks; for Rust's in Python, use a `TaskGroup` (below).

// %% [markdown] tags=["other-output"]
// CPython prints, in its notebook:
//
// ```text
// fetch 1: ok
// failed fast: fetch 2 failed
// fetch 3: ok
// main: done
// ```

// %% [markdown] tags=["section"]
// ## 7. Timeouts: `wait_for` and `asyncio.timeout` vs `tokio::time::timeout`

// %% [markdown]
// Each puts a deadline on an awaitable. `tokio::time::timeout` returns `Err(Elapsed)` when the deadline passes first, where Python raises `TimeoutError`.

// %%
async fn answer(delay: f64) -> String {
    sleep(secs(delay)).await;
    format!("answer after {delay} s")
}

async {
    for delay in [0.1, 0.5] {
        match tokio::time::timeout(secs(0.3), answer(delay)).await {
            Ok(text) => println!("{text}"),
            Err(_elapsed) => println!("no answer within 0.3 s"),
        }
    }
}.await;

// %% [markdown]
// In both, the late work is stopped: Python cancels it, tokio drops the future. `asyncio.timeout` bounds a whole block; in Rust, pass an `async { ... }` block to `timeout` for the same.

// %% [markdown] tags=["section"]
// ## 8. `shield` vs a spawned task that outlives its awaiter

// %% [markdown]
// `asyncio.shield` lets a caller stop waiting without cancelling the work. A tokio task needs no shield: dropping or timing out its `JoinHandle` never cancels it; only `abort()` does.

// %%
async fn save(name: &'static str) {
    sleep(secs(0.3)).await;
    println!("{name}: saved");
}

async {
    let mut task: JoinHandle<()> = tokio::spawn(save("report"));
    if tokio::time::timeout(secs(0.1), &mut task).await.is_err() {
        println!("main: stopped waiting");
    }
    task.await.unwrap();
    println!("main: done");
}.await;

// %% [markdown]
// The defaults are opposite. Without `shield`, `wait_for` would cancel the task; a Rust future that is *not* spawned is cancelled when dropped, and a spawned one is not. To cancel a tokio task when its awaiter gives up, call `abort()` (or keep it in a `JoinSet`, which aborts its tasks when dropped).

// %% [markdown] tags=["section"]
// ## 9. Results in finishing order: `as_completed` vs `FuturesUnordered` and `JoinSet::join_next`

// %% [markdown]
// `as_completed` hands results back in the order the work finishes. `FuturesUnordered` does it for futures polled in place, `JoinSet::join_next` for spawned tasks.

// %%
async fn job(n: u32, delay: f64) -> u32 {
    sleep(secs(delay)).await;
    n
}

async {
    let mut pending: FuturesUnordered<_> = [job(1, 0.3), job(2, 0.1), job(3, 0.2)].into_iter().collect();
    while let Some(n) = pending.next().await {
        println!("job {n} finished");
    }
}.await;

// %%
async {
    let mut tasks: JoinSet<u32> = JoinSet::new();
    for (n, delay) in [(1, 0.3), (2, 0.1), (3, 0.2)] {
        tasks.spawn(job(n, delay));
    }
    while let Some(joined) = tasks.join_next().await {
        println!("task {} finished", joined.unwrap());
    }
}.await;

// %% [markdown]
// `as_completed` wraps plain coroutines in tasks; `FuturesUnordered` does not spawn anything, so its futures run only while it is polled and are dropped with it. A `JoinSet` aborts the tasks still in it when it is dropped.

// %% [markdown] tags=["section"]
// ## 10. Structured concurrency: `TaskGroup` vs `JoinSet`

// %% [markdown]
// A `TaskGroup` waits for all its tasks, and when one fails it cancels the rest. A `JoinSet` waits for its tasks too, but cancelling the rest on an error is up to the loop that joins them.

// %%
async fn step(name: &'static str, delay: f64, fail: bool) -> Result<(), String> {
    let row = Row::start(name);
    let cancelled = OnCancel(name);
    row.step_future(sleep(secs(delay))).await;
    cancelled.done();
    if fail {
        return Err(format!("{name} failed"));
    }
    println!("{name}: done");
    Ok(())
}

let ((), group_run): ((), Timeline) = record_future("a task group with one failure", async {
    let mut group: JoinSet<Result<(), String>> = JoinSet::new();
    group.spawn(carry(step("a", 0.1, false)));
    group.spawn(carry(step("b", 0.2, true)));
    group.spawn(carry(step("c", 0.4, false)));
    let mut failures: Vec<String> = Vec::new();
    while let Some(joined) = group.join_next().await {
        if let Ok(Err(error)) = joined {
            failures.push(error);
            group.abort_all(); // what TaskGroup does on its own
        }
    }
    for error in failures {
        println!("group failed: {error}");
    }
}).await;

// %%
group_run

// %% [markdown]
// What Rust needs for `TaskGroup`'s behaviour is the `abort_all()` on the first error, and joining until the set is empty: the aborted tasks come back as cancelled `JoinError`s once their futures are dropped. Dropping a `JoinSet` also aborts whatever is left in it, so no task outlives the group. In the timeline, a bar is a step that finished: `a` and `b` have theirs, `c` has none, because its 0.4 s sleep was dropped at 0.2 s, when `b` failed, and the whole run took 0.2 s. (`Row`, `record_future` and `carry`, from the crate, record the bars; notebook 01 draws its runs the same way.)

// %% [markdown] tags=["section"]
// ## 11. Limiting concurrency: `Semaphore`

// %% [markdown]
// A semaphore with two permits lets two downloads run at a time; the others wait their turn, first come, first served, in both libraries.

// %%
async fn download(n: u64, limit: &Semaphore) {
    let _permit = limit.acquire().await.unwrap();
    println!("download {n}: start");
    sleep(secs(0.1 * n as f64)).await;
    println!("download {n}: end");
} // the permit is given back here, when `_permit` is dropped

async {
    let limit = Semaphore::new(2);
    gather((1..=4).map(|n| download(n, &limit))).await;
}.await;

// %% [markdown]
// `async with limit:` becomes a permit held in a variable: it is released when dropped, at the end of the function, or earlier with `drop(permit)`. The futures borrow the semaphore; spawned tasks would share it through an `Arc` and `acquire_owned`.

// %% [markdown] tags=["section"]
// ## 12. Shared state: `Lock` vs tokio's `Mutex`, and when `std::sync::Mutex` is right

// %% [markdown]
// An `asyncio.Lock` is needed when a task awaits in the middle of an update. tokio's `Mutex` is the lock whose guard may be held across an await; its value lives inside it.

// %%
async fn deposit(name: &str, amount: u32, balance: &tokio::sync::Mutex<u32>) {
    let mut guard = balance.lock().await;
    let current: u32 = *guard;
    sleep(secs(0.1)).await; // an await while the lock is held
    *guard = current + amount;
    println!("{name}: balance {}", *guard);
}

async {
    let balance = tokio::sync::Mutex::new(0);
    gather([deposit("a", 10, &balance), deposit("b", 20, &balance), deposit("c", 30, &balance)]).await;
    println!("final balance {}", *balance.lock().await);
}.await;

// %%
async fn visit(hits: &std::sync::Mutex<u32>) {
    *hits.lock().unwrap() += 1; // locked and unlocked with no await in between
    sleep(secs(0.1)).await;
}

async {
    let hits = std::sync::Mutex::new(0);
    gather([visit(&hits), visit(&hits), visit(&hits)]).await;
    println!("hits: {}", hits.lock().unwrap());
}.await;

// %% [markdown]
// Python's second example needs no lock at all: one thread, and no await inside `hits += 1`. Rust does not let three futures update a plain `u32` they share: the value needs a lock or an atomic, and the plain `std::sync::Mutex` is the right lock when its guard is never held across an await: it is cheaper, and tokio's documentation recommends it. Held across an await, its guard makes the future not `Send`, so `tokio::spawn` rejects it at compile time; that is when tokio's `Mutex` is needed.

// %% [markdown] tags=["section"]
// ## 13. Waiting for a signal: `Event` vs `watch` (and `Notify`)

// %% [markdown]
// An `asyncio.Event` is a flag that tasks wait on; once set, it stays set. A `watch` channel holding a `bool` is the same: receivers wait until the value says go.

// %%
async fn waiter(name: &str, mut ready: watch::Receiver<bool>) {
    println!("{name}: waiting");
    ready.wait_for(|&is_set| is_set).await.unwrap();
    println!("{name}: go");
}

async {
    let (set, ready) = watch::channel(false);
    let setter = async {
        sleep(secs(0.1)).await;
        println!("main: set");
        set.send(true).unwrap();
    };
    tokio::join!(gather([waiter("a", ready.clone()), waiter("b", ready.clone())]), setter);
    waiter("late", ready).await; // already set: no wait
}.await;

// %% [markdown]
// `tokio::sync::Notify` is the lighter tool but not an `Event`: `notify_waiters()` wakes only the tasks waiting at that moment and remembers nothing, so a late waiter would wait forever; `notify_one()` keeps a single permit for the next waiter. `Event.clear()` is `send(false)`.

// %% [markdown] tags=["section"]
// ## 14. Producers and consumers: `Queue(maxsize=2)` vs a bounded `mpsc` channel

// %% [markdown]
// Two producers put items into a queue that holds at most two; three consumers take them out. When the queue is full a producer waits: that is backpressure. A bounded `mpsc` channel does the same, and closes by itself when the last sender is dropped.

// %%
async fn producer(name: &'static str, queue: mpsc::Sender<String>, count: u32, first: f64, every: f64) {
    let row = Row::start(name);
    row.step_future(sleep(secs(first))).await;
    for i in 1..=count {
        let item = format!("{name}-{i}");
        if queue.capacity() == 0 {
            println!("{name}: queue full, waiting to put {item}");
        }
        queue.send(item.clone()).await.unwrap();
        println!("{name}: put {item}");
        if i < count {
            row.step_future(sleep(secs(every))).await;
        }
    }
} // this producer's sender is dropped here

type SharedReceiver = Arc<tokio::sync::Mutex<mpsc::Receiver<String>>>;

async fn consumer(name: &'static str, queue: SharedReceiver, seconds: f64) -> u32 {
    let row = Row::start(name);
    let mut handled: u32 = 0;
    loop {
        let next: Option<String> = queue.lock().await.recv().await;
        let Some(item) = next else {
            return handled; // every sender dropped and nothing left: the channel is closed
        };
        println!("{name}: got {item}");
        row.step_future(sleep(secs(seconds))).await;
        handled += 1;
    }
}

// %%
// one thread, as asyncio's loop: a put and the get it wakes come at the same instant, the put's line first
let ((), queue_run): ((), Timeline) = on_one_thread(record_future("a queue of 2, two producers, three consumers", async {
    let (sender, receiver) = mpsc::channel::<String>(2);
    let receiver: SharedReceiver = Arc::new(tokio::sync::Mutex::new(receiver));
    let consumers: Vec<JoinHandle<u32>> = [("c1", 0.7), ("c2", 0.7), ("c3", 0.8)]
        .into_iter()
        .map(|(name, seconds)| tokio::spawn(carry(consumer(name, Arc::clone(&receiver), seconds))))
        .collect();
    let producers: [JoinHandle<()>; 2] = [
        tokio::spawn(carry(producer("p1", sender.clone(), 4, 0.1, 0.2))),
        tokio::spawn(carry(producer("p2", sender, 4, 0.2, 0.2))),
    ];
    for producer in producers {
        producer.await.unwrap();
    }
    println!("producers: done");
    for (name, consumer) in ["c1", "c2", "c3"].into_iter().zip(consumers) {
        println!("{name} handled {} items", consumer.await.unwrap());
    }
}));

// %%
queue_run

// %% [markdown]
// **Shutdown without a sentinel.** A consumer's `recv()` returns `None` once every `Sender` is dropped and the buffer is empty, so the consumers end on their own and return their counts. Python 3.11's queue cannot be closed: the usual way is `queue.join()` and then cancelling the consumers (Python 3.13 adds `Queue.shutdown()`). tokio's `mpsc` has a single receiver; three consumers share it through a tokio `Mutex`, whose waiters take turns first come, first served, as asyncio's getters do. In the timeline each bar is a step: a producer making its next item, a consumer handling one, in alternating shades. The gaps are waits: a consumer's for an item, and a producer's for room in the full queue, such as `p2`'s from 0.6 s to 0.8 s.

// %% [markdown] tags=["section"]
// ## 15. Blocking calls: `to_thread` and `run_in_executor` vs `spawn_blocking`

// %% [markdown]
// A call that blocks, with no await inside, would stop every other task on the thread. Both libraries move it to a pool of threads and give back something to await.

// %%
fn blocking_read(name: &str) -> String {
    std::thread::sleep(secs(0.3)); // blocks its thread: no await inside
    format!("{name}: read")
}

async fn ticker() {
    sleep(secs(0.1)).await;
    println!("ticker: the event loop is still free");
}

async {
    let start = std::time::Instant::now();
    let (a, b, ()) = tokio::join!(
        tokio::task::spawn_blocking(|| blocking_read("a")),
        tokio::task::spawn_blocking(|| blocking_read("b")),
        ticker(),
    );
    println!("{}", a.unwrap());
    println!("{}", b.unwrap());
    println!("both reads took {} s", (start.elapsed().as_secs_f64() * 10.0).floor() / 10.0);
}.await;

// %% [markdown]
// The two reads overlap (0.3 s, not 0.6 s) and the ticker runs meanwhile. tokio's blocking pool grows to 512 threads by default; asyncio's default executor has `min(32, cores + 4)`. A blocking task cannot be aborted once it has started, nor can a thread in Python's executor.

// %% [markdown] tags=["section"]
// ## 16. `async for` over an async generator vs a `Stream`

// %% [markdown]
// An async generator yields values with awaits in between; `async for` pulls them one at a time. Rust's counterpart is a `Stream`, pulled with `next().await`.

// %%
fn countdown(start: u32) -> impl Stream<Item = u32> {
    stream::unfold(start, |n| async move {
        if n == 0 {
            return None;
        }
        sleep(secs(0.1)).await;
        Some((n, n - 1))
    })
}

async {
    let mut values = std::pin::pin!(countdown(3));
    while let Some(value) = values.next().await {
        println!("countdown: {value}");
    }
    println!("liftoff");
}.await;

// %% [markdown]
// Stable Rust has no `yield` in async code yet, so the generator's state is spelled out: `unfold` keeps it (here `n`) and returns the next value with the next state. The `async-stream` crate's `stream!` macro gives back the generator syntax. Both are lazy: nothing runs until the loop asks.

// %% [markdown] tags=["section"]
// ## 17. `async with` vs a guard that cleans up on drop

// %% [markdown]
// `async with` runs `__aexit__` when the block ends, even by an exception. In Rust the cleanup is the value's `Drop`, run when it goes out of scope, even on an early return with `?`.

// %%
struct Connection {
    name: &'static str,
}

impl Connection {
    async fn open(name: &'static str) -> Connection {
        sleep(secs(0.1)).await;
        println!("{name}: open");
        Connection { name }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        println!("{}: closed", self.name);
    }
}

async {
    {
        let conn = Connection::open("db").await;
        println!("using {}", conn.name);
    }
    let failed: Result<(), String> = async {
        let _conn = Connection::open("cache").await;
        Err(String::from("query failed"))
    }
    .await;
    if let Err(error) = failed {
        println!("error: {error}");
    }
}.await;

// %% [markdown]
// `Drop` is synchronous: it cannot await, so a close that needs I/O is an explicit `conn.close().await` before the end, or work handed to a task. `__aexit__` can await, and it sees the exception that ended the block.

// %% [markdown] tags=["section"]
// ## 18. Letting others run: `asyncio.sleep(0)` vs `tokio::task::yield_now`

// %% [markdown]
// A task that awaits nothing keeps the thread. `asyncio.sleep(0)` and `yield_now()` give the others a turn and come back.

// %%
async fn busy(name: &str) {
    for i in 0..3 {
        println!("{name}: step {i}");
        tokio::task::yield_now().await;
    }
}

// one thread, as asyncio's loop: a and b take turns only where they yield
on_one_thread(async {
    gather([busy("a"), busy("b")]).await;
});

// %% [markdown]
// tokio also makes a task yield on its own after a budget of operations on its resources (128), so a task that loops over a busy channel cannot starve the others; asyncio has nothing like it. On a multi-thread runtime, another worker may take up a yielded task at once.

// %% [markdown] tags=["exercises"]
// ## Exercises
//
// Two exercises on sections 10 and 14, each with a starting cell that runs but does the wrong thing, and a check that runs your code and says what it did, ✓ or ✗ per point. These have no CPython twin. Hints are folded below each; solutions are in the repository's `exercises/solutions/`.

// %% [markdown]
// ### Exercise 1 · Fail fast
//
// `run_all` runs a group of jobs and returns their numbers, or the first error. The check hands it four: job 3 fails after half a second, while jobs 2 and 4 would run on for up to 2 seconds. As written, `run_all` waits for the jobs in order, so it learns of job 3's failure only after job 2 is done. Make it answer with job 3's error as soon as job 3 fails, and leave no job running behind it, as `TaskGroup` does in asyncio.

// %% tags=["exercise=fail-fast"]
async fn run_all(jobs: Vec<Job>) -> Result<Vec<u32>, String> {
    let handles: Vec<JoinHandle<Result<u32, String>>> = jobs.into_iter().map(tokio::spawn).collect();
    let mut numbers = Vec::new();
    for handle in handles {
        numbers.push(handle.await.unwrap()?);
    }
    Ok(numbers)
}

// %% tags=["check=fail-fast"]
let fail_fast: Verdict = check_group_fails_fast(run_all).await;

// %% [markdown]
// <details><summary>Hint</summary>
//
// You need the jobs in the order they finish (section 9), and a way to stop the others when you return early. Dropping a `JoinHandle` does not stop its task; dropping a `JoinSet`, or a future that was never spawned, does (sections 4 and 10).
// </details>

// %% [markdown]
// ### Exercise 2 · Orders that flow
//
// A waiter takes orders and a cook cooks them, 100 ms each. In asyncio one would write:
//
// ```python
// queue = asyncio.Queue(maxsize=2)
// async def waiter():
//     for order in orders:
//         await queue.put(order)   # waits while 2 are queued
//     await queue.put(None)        # no more orders
// async def cook():
//     while (order := await queue.get()) is not None:
//         await cook_one(order)
// ```
//
// The port below got it wrong: its channel is unbounded, so the waiter takes all 8 orders before the first is cooked. Make the channel hold at most 2, as `Queue(maxsize=2)` does, and end the cook's loop without the `None` sentinel: in Rust, a channel says it is finished when the last sender is dropped. The check counts how far the waiter runs ahead (never more than 4 with a channel of 2: 2 in the channel, 1 in its hands, 1 on the stove), checks that every order is cooked once and in order, and that the whole ends by itself.

// %% tags=["exercise=orders-flow"]
async fn serve_orders(kitchen: Kitchen) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Option<Order>>();
    let orders = kitchen.orders();
    let waiter = tokio::spawn(async move {
        for order in orders {
            tx.send(Some(order)).unwrap();
        }
        tx.send(None).unwrap();
    });
    while let Some(Some(order)) = rx.recv().await {
        kitchen.cook(order).await;
    }
    waiter.await.unwrap();
}

// %% tags=["check=orders-flow"]
let orders_flow: Verdict = check_orders_flow(serve_orders).await;

// %% [markdown]
// <details><summary>Hint</summary>
//
// Section 14 builds a bounded channel with `mpsc::channel(2)`; its `send` is async and waits for room. Once the waiter's loop ends and its sender is dropped, `recv()` returns `None`. Every clone of a sender counts: one kept alive anywhere keeps the cook waiting.
// </details>

// %% [markdown]
// ### Your exercises
//
// Run this cell after the checks to see how many of this notebook's exercises you have solved.

// %% tags=["exercise-tally"]
exercises_passed(&[&fail_fast, &orders_flow]);
