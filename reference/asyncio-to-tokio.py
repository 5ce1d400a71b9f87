# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # asyncio to tokio: the CPython side
#
# The Python twin of `notebooks/05-asyncio-to-tokio.ipynb`: the same sections, with the same titles, in asyncio. Where the two print different lines (sections marked **differs**), the note quotes what Rust prints. Its cells are kept as text in `reference/asyncio-to-tokio.py`, and `make record` runs it (see `docs/notebook-05.md`).
#
# | asyncio | Rust | section |
# | --- | --- | --- |
# | `asyncio.run`, top-level `await` | `#[tokio::main]`, top-level `.await`, `on_one_thread` | 1. Running a coroutine: `asyncio.run` and a top-level `await` |
# | `asyncio.create_task`, `await task` | `tokio::spawn`, `JoinHandle` | 2. Starting a task: `create_task` and awaiting it |
# | a task awaited in a later cell | `tokio::spawn`, a `JoinHandle` kept in a variable | 3. A task kept across cells |
# | `Task.cancel()`, `CancelledError` | `JoinHandle::abort()`, `JoinError::is_cancelled()`, `Drop` | 4. Cancelling a task: `Task.cancel()` and `CancelledError` vs `abort()` and `JoinError::is_cancelled` |
# | `gather(..., return_exceptions=True)` | the crate's `gather` over `Result`s (or `join_all`) | 5. `gather(return_exceptions=True)`: every outcome as a value |
# | `gather(...)` raising the first error | `futures::future::try_join_all` | 6. `gather` that fails fast vs `try_join_all` |
# | `wait_for`, `asyncio.timeout` | `tokio::time::timeout` | 7. Timeouts: `wait_for` and `asyncio.timeout` vs `tokio::time::timeout` |
# | `asyncio.shield` | a spawned task (`tokio::spawn`) awaited through `&mut JoinHandle` | 8. `shield` vs a spawned task that outlives its awaiter |
# | `asyncio.as_completed` | `FuturesUnordered`, `JoinSet::join_next` | 9. Results in finishing order: `as_completed` vs `FuturesUnordered` and `JoinSet::join_next` |
# | `asyncio.TaskGroup` | `JoinSet` with `abort_all()` on the first error | 10. Structured concurrency: `TaskGroup` vs `JoinSet` |
# | `asyncio.Semaphore` | `tokio::sync::Semaphore` | 11. Limiting concurrency: `Semaphore` |
# | `asyncio.Lock` | `tokio::sync::Mutex`; `std::sync::Mutex` when no await holds it | 12. Shared state: `Lock` vs tokio's `Mutex`, and when `std::sync::Mutex` is right |
# | `asyncio.Event` | `tokio::sync::watch` (`Notify`) | 13. Waiting for a signal: `Event` vs `watch` (and `Notify`) |
# | `asyncio.Queue(maxsize=...)` | `tokio::sync::mpsc::channel(...)` | 14. Producers and consumers: `Queue(maxsize=2)` vs a bounded `mpsc` channel |
# | `asyncio.to_thread`, `run_in_executor` | `tokio::task::spawn_blocking` | 15. Blocking calls: `to_thread` and `run_in_executor` vs `spawn_blocking` |
# | async generator, `async for` | `Stream` (`futures::stream::unfold`), `while let Some(..) = s.next().await` | 16. `async for` over an async generator vs a `Stream` |
# | `async with` | a guard value and its `Drop` | 17. `async with` vs a guard that cleans up on drop |
# | `asyncio.sleep(0)` | `tokio::task::yield_now()` | 18. Letting others run: `asyncio.sleep(0)` vs `tokio::task::yield_now` |

# %%
import asyncio
import time


# %% [markdown] tags=["section"]
# ## 1. Running a coroutine: `asyncio.run` and a top-level `await`

# %% [markdown]
# A script hands its top coroutine to `asyncio.run`, which makes an event loop, runs the coroutine to its end and closes the loop. In a notebook a loop is already there, so a cell just awaits.

# %%
async def greet(name, delay):
    await asyncio.sleep(delay)
    print(f"hello, {name}")
    return len(name)

length = await greet("world", 0.1)
print(length)

# %%
# asyncio.run refuses to start inside a running loop: give it a thread of its own.
length = await asyncio.to_thread(asyncio.run, greet("thread", 0.1))
print(length)


# %% [markdown]
# **What the kernel does.** Every cell of this kernel runs inside one tokio runtime that evcxr made with `Runtime::new()`: one worker thread per core, kept for the whole session, so a cell can `.await` at its top level. A program says the same with an attribute: `#[tokio::main] async fn main() { ... }` builds that multi-thread runtime and blocks on `main`; `#[tokio::main(flavor = "current_thread")]` builds one with a single thread, which is what asyncio's event loop is.
#
# `on_one_thread`, from this project's crate, is our `asyncio.run`: a new current-thread runtime, on a thread of its own, runs the future to its end and is dropped with any task still on it. Besides the cell above, this notebook uses it only in the sections about how tasks take turns: on one thread they switch only at their awaits, as in asyncio, so lines come out in one order, CPython's. The other sections await on evcxr's runtime, where tasks spawned by `tokio::spawn` run in parallel on the workers; there every line is printed by one task, or by tasks that print at least 0.1 s apart or only once they have awaited each other, so the order does not depend on which worker runs what.

# %% [markdown] tags=["section"]
# ## 2. Starting a task: `create_task` and awaiting it

# %% [markdown]
# `asyncio.create_task` wraps a coroutine in a task that runs on its own while the caller goes on; `tokio::spawn` does the same with a future. Awaiting the task waits for its result.

# %%
async def worker(name, delay):
    print(f"{name}: started")
    await asyncio.sleep(delay)
    print(f"{name}: done")
    return f"{name}'s result"

async def main():
    task = asyncio.create_task(worker("a", 0.2))
    print("main: task created")
    await asyncio.sleep(0.1)
    print("main: awaiting the task")
    result = await task
    print(f"main: got {result}")

await main()


# %% [markdown]
# **Where they differ.** On a current-thread runtime, as in asyncio, a new task first runs when its creator reaches an await: `main: task created` comes before `a: started`. On a multi-thread runtime an idle worker may start it at once. Awaiting a `JoinHandle` gives a `Result`: `Err(JoinError)` if the task panicked or was aborted, where Python would raise the task's exception again.

# %% [markdown] tags=["section"]
# ## 3. A task kept across cells

# %% [markdown]
# In a notebook a task can be created in one cell and awaited in a later one. asyncio allows it as is, and so does plain tokio on this kernel: the `JoinHandle` is a value like any other, kept in a variable.

# %%
async def quiet_worker(name, delay):
    await asyncio.sleep(delay)
    return f"{name}'s result"

background = asyncio.create_task(quiet_worker("b", 1.0))
print("cell: task created")

# %%
print(f"cell: got {await background}")


# %% [markdown]
# The task runs between the cells: asyncio's starts once the cell has ended and the kernel's loop has control again, tokio's at once on a worker thread. The worker is quiet on purpose: the two kernels do not show a background task's lines in the same place. ipykernel sends them to the cell that created the task, even once that cell has finished (nbclient, which records the twin, has stopped listening by then, so they are missing from its recording); evcxr shows them under whichever cell is running when they are printed, and a line printed as the task starts races the cell's own `println!`. This needs a kernel whose cells share one tokio, which the first cell checks: a stock evcxr kernel links a copy of tokio into every cell, and there these two cells would panic ("there is no reactor running") or hang.

# %% [markdown] tags=["section"]
# ## 4. Cancelling a task: `Task.cancel()` and `CancelledError` vs `abort()` and `JoinError::is_cancelled`

# %% [markdown]
# Python cancels a task by raising `CancelledError` inside it at its current await. tokio's `abort()` drops the task's future there instead; cleanup lives in `Drop`.

# %%
async def slow(name):
    print(f"{name}: started")
    try:
        await asyncio.sleep(10)
        print(f"{name}: finished")
    except asyncio.CancelledError:
        print(f"{name}: cancelled")
        raise

async def main():
    task = asyncio.create_task(slow("slow"))
    await asyncio.sleep(0.1)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print("main: the task was cancelled")

await main()


# %% [markdown]
# **Where they differ.** The lines are the same, the mechanism is not. A Python coroutine sees the cancellation as an exception: it may await during its cleanup, or even swallow the error and go on. A Rust future is simply dropped at the await where it waits: destructors run, synchronously, and nothing in it runs again. Awaiting the aborted task gives `Err(JoinError)` whose `is_cancelled()` is true, Python's `CancelledError`.

# %% [markdown] tags=["section"]
# ## 5. `gather(return_exceptions=True)`: every outcome as a value

# %% [markdown]
# With `return_exceptions=True`, `gather` returns failures in the result list instead of raising. In Rust a failure is already a value: gather futures that return `Result`s.

# %%
async def fetch(n):
    await asyncio.sleep(0.1 * n)
    if n == 2:
        raise ValueError(f"fetch {n} failed")
    print(f"fetch {n}: ok")
    return n * 10

results = await asyncio.gather(fetch(1), fetch(2), fetch(3), return_exceptions=True)
for result in results:
    if isinstance(result, Exception):
        print(f"error: {result}")
    else:
        print(f"value: {result}")


# %% [markdown]
# `gather` here is the crate's: it runs the futures on the current task and polls the ones woken together in the order they were passed, as asyncio does. `futures::future::join_all` gives the same results in the same order; only the order in which simultaneously woken futures print is not promised.

# %% [markdown] tags=["section", "differs"]
# ## 6. `gather` that fails fast vs `try_join_all`

# %% [markdown]
# **differs** · Without `return_exceptions`, `gather` raises the first exception. `futures::future::try_join_all` returns the first `Err`. What happens to the others is not the same.

# %%
async def main():
    try:
        await asyncio.gather(fetch(1), fetch(2), fetch(3))
    except ValueError as error:
        print(f"failed fast: {error}")
    await asyncio.sleep(0.2)
    print("main: done")

await main()


# %% [markdown]
# **Where they differ: the others.** When `gather` raises, the other awaitables are *not* cancelled: `fetch 3` goes on running and prints after the error has been handled. `try_join_all` owns its futures and drops them when it returns the error, so `fetch 3` never prints. For Python's behaviour in Rust, spawn the futures as tasks; for Rust's in Python, use a `TaskGroup` (below).

# %% [markdown] tags=["other-output"]
# Rust prints, in its notebook:
#
# ```text
# fetch 1: ok
# failed fast: fetch 2 failed
# main: done
# ```

# %% [markdown] tags=["section"]
# ## 7. Timeouts: `wait_for` and `asyncio.timeout` vs `tokio::time::timeout`

# %% [markdown]
# Each puts a deadline on an awaitable. `tokio::time::timeout` returns `Err(Elapsed)` when the deadline passes first, where Python raises `TimeoutError`.

# %%
async def answer(delay):
    await asyncio.sleep(delay)
    return f"answer after {delay} s"

print(await asyncio.wait_for(answer(0.1), timeout=0.3))
try:
    async with asyncio.timeout(0.3):
        print(await answer(0.5))
except TimeoutError:
    print("no answer within 0.3 s")


# %% [markdown]
# In both, the late work is stopped: Python cancels it, tokio drops the future. `asyncio.timeout` bounds a whole block; in Rust, pass an `async { ... }` block to `timeout` for the same.

# %% [markdown] tags=["section"]
# ## 8. `shield` vs a spawned task that outlives its awaiter

# %% [markdown]
# `asyncio.shield` lets a caller stop waiting without cancelling the work. A tokio task needs no shield: dropping or timing out its `JoinHandle` never cancels it; only `abort()` does.

# %%
async def save(name):
    await asyncio.sleep(0.3)
    print(f"{name}: saved")

async def main():
    task = asyncio.create_task(save("report"))
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=0.1)
    except TimeoutError:
        print("main: stopped waiting")
    await task
    print("main: done")

await main()


# %% [markdown]
# The defaults are opposite. Without `shield`, `wait_for` would cancel the task; a Rust future that is *not* spawned is cancelled when dropped, and a spawned one is not. To cancel a tokio task when its awaiter gives up, call `abort()` (or keep it in a `JoinSet`, which aborts its tasks when dropped).

# %% [markdown] tags=["section"]
# ## 9. Results in finishing order: `as_completed` vs `FuturesUnordered` and `JoinSet::join_next`

# %% [markdown]
# `as_completed` hands results back in the order the work finishes. `FuturesUnordered` does it for futures polled in place, `JoinSet::join_next` for spawned tasks.

# %%
async def job(n, delay):
    await asyncio.sleep(delay)
    return n

for next_done in asyncio.as_completed([job(1, 0.3), job(2, 0.1), job(3, 0.2)]):
    print(f"job {await next_done} finished")

# %%
tasks = [asyncio.create_task(job(n, delay)) for n, delay in [(1, 0.3), (2, 0.1), (3, 0.2)]]
for next_done in asyncio.as_completed(tasks):
    print(f"task {await next_done} finished")


# %% [markdown]
# `as_completed` wraps plain coroutines in tasks; `FuturesUnordered` does not spawn anything, so its futures run only while it is polled and are dropped with it. A `JoinSet` aborts the tasks still in it when it is dropped.

# %% [markdown] tags=["section"]
# ## 10. Structured concurrency: `TaskGroup` vs `JoinSet`

# %% [markdown]
# A `TaskGroup` waits for all its tasks, and when one fails it cancels the rest. A `JoinSet` waits for its tasks too, but cancelling the rest on an error is up to the loop that joins them.

# %%
async def step(name, delay, fail=False):
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        print(f"{name}: cancelled")
        raise
    if fail:
        raise ValueError(f"{name} failed")
    print(f"{name}: done")

try:
    async with asyncio.TaskGroup() as group:
        group.create_task(step("a", 0.1))
        group.create_task(step("b", 0.2, fail=True))
        group.create_task(step("c", 0.4))
except* ValueError as failures:
    for error in failures.exceptions:
        print(f"group failed: {error}")


# %% [markdown]
# What Rust needs for `TaskGroup`'s behaviour is the `abort_all()` on the first error, and joining until the set is empty: the aborted tasks come back as cancelled `JoinError`s once their futures are dropped. Dropping a `JoinSet` also aborts whatever is left in it, so no task outlives the group. In the timeline, a bar is a step that finished: `a` and `b` have theirs, `c` has none, because its 0.4 s sleep was dropped at 0.2 s, when `b` failed, and the whole run took 0.2 s. (`Row`, `record_future` and `carry`, from the crate, record the bars; notebook 01 draws its runs the same way.)

# %% [markdown] tags=["section"]
# ## 11. Limiting concurrency: `Semaphore`

# %% [markdown]
# A semaphore with two permits lets two downloads run at a time; the others wait their turn, first come, first served, in both libraries.

# %%
async def download(n, limit):
    async with limit:
        print(f"download {n}: start")
        await asyncio.sleep(0.1 * n)
        print(f"download {n}: end")

async def main():
    limit = asyncio.Semaphore(2)
    await asyncio.gather(*(download(n, limit) for n in range(1, 5)))

await main()

# %% [markdown]
# `async with limit:` becomes a permit held in a variable: it is released when dropped, at the end of the function, or earlier with `drop(permit)`. The futures borrow the semaphore; spawned tasks would share it through an `Arc` and `acquire_owned`.

# %% [markdown] tags=["section"]
# ## 12. Shared state: `Lock` vs tokio's `Mutex`, and when `std::sync::Mutex` is right

# %% [markdown]
# An `asyncio.Lock` is needed when a task awaits in the middle of an update. tokio's `Mutex` is the lock whose guard may be held across an await; its value lives inside it.

# %%
balance = 0
balance_lock = asyncio.Lock()

async def deposit(name, amount):
    global balance
    async with balance_lock:
        current = balance
        await asyncio.sleep(0.1)  # an await while the lock is held
        balance = current + amount
        print(f"{name}: balance {balance}")

async def main():
    await asyncio.gather(deposit("a", 10), deposit("b", 20), deposit("c", 30))
    print(f"final balance {balance}")

await main()

# %%
hits = 0

async def visit():
    global hits
    hits += 1  # no await in the update: nothing else can run in the middle
    await asyncio.sleep(0.1)

async def main():
    await asyncio.gather(visit(), visit(), visit())
    print(f"hits: {hits}")

await main()


# %% [markdown]
# Python's second example needs no lock at all: one thread, and no await inside `hits += 1`. Rust does not let three futures update a plain `u32` they share: the value needs a lock or an atomic, and the plain `std::sync::Mutex` is the right lock when its guard is never held across an await: it is cheaper, and tokio's documentation recommends it. Held across an await, its guard makes the future not `Send`, so `tokio::spawn` rejects it at compile time; that is when tokio's `Mutex` is needed.

# %% [markdown] tags=["section"]
# ## 13. Waiting for a signal: `Event` vs `watch` (and `Notify`)

# %% [markdown]
# An `asyncio.Event` is a flag that tasks wait on; once set, it stays set. A `watch` channel holding a `bool` is the same: receivers wait until the value says go.

# %%
async def waiter(name, ready):
    print(f"{name}: waiting")
    await ready.wait()
    print(f"{name}: go")

async def setter(ready):
    await asyncio.sleep(0.1)
    print("main: set")
    ready.set()

async def main():
    ready = asyncio.Event()
    await asyncio.gather(asyncio.gather(waiter("a", ready), waiter("b", ready)), setter(ready))
    await waiter("late", ready)  # already set: no wait

await main()


# %% [markdown]
# `tokio::sync::Notify` is the lighter tool but not an `Event`: `notify_waiters()` wakes only the tasks waiting at that moment and remembers nothing, so a late waiter would wait forever; `notify_one()` keeps a single permit for the next waiter. `Event.clear()` is `send(false)`.

# %% [markdown] tags=["section"]
# ## 14. Producers and consumers: `Queue(maxsize=2)` vs a bounded `mpsc` channel

# %% [markdown]
# Two producers put items into a queue that holds at most two; three consumers take them out. When the queue is full a producer waits: that is backpressure. A bounded `mpsc` channel does the same, and closes by itself when the last sender is dropped.

# %%
async def producer(name, queue, count, first, every):
    await asyncio.sleep(first)
    for i in range(1, count + 1):
        item = f"{name}-{i}"
        if queue.full():
            print(f"{name}: queue full, waiting to put {item}")
        await queue.put(item)
        print(f"{name}: put {item}")
        if i < count:
            await asyncio.sleep(every)

async def consumer(name, queue, seconds, handled):
    while True:
        item = await queue.get()
        print(f"{name}: got {item}")
        await asyncio.sleep(seconds)
        handled[name] += 1
        queue.task_done()

async def main():
    queue = asyncio.Queue(maxsize=2)
    handled = {"c1": 0, "c2": 0, "c3": 0}
    consumers = [
        asyncio.create_task(consumer(name, queue, seconds, handled))
        for name, seconds in [("c1", 0.7), ("c2", 0.7), ("c3", 0.8)]
    ]
    await asyncio.gather(producer("p1", queue, 4, 0.1, 0.2), producer("p2", queue, 4, 0.2, 0.2))
    print("producers: done")
    await queue.join()  # every item handled...
    for task in consumers:  # ...then stop the consumers, which would wait forever
        task.cancel()
    await asyncio.gather(*consumers, return_exceptions=True)
    for name, count in handled.items():
        print(f"{name} handled {count} items")

await main()


# %% [markdown]
# **Shutdown without a sentinel.** A consumer's `recv()` returns `None` once every `Sender` is dropped and the buffer is empty, so the consumers end on their own and return their counts. Python 3.11's queue cannot be closed: the usual way is `queue.join()` and then cancelling the consumers (Python 3.13 adds `Queue.shutdown()`). tokio's `mpsc` has a single receiver; three consumers share it through a tokio `Mutex`, whose waiters take turns first come, first served, as asyncio's getters do. In the timeline each bar is a step: a producer making its next item, a consumer handling one, in alternating shades. The gaps are waits: a consumer's for an item, and a producer's for room in the full queue, such as `p2`'s from 0.6 s to 0.8 s.

# %% [markdown] tags=["section"]
# ## 15. Blocking calls: `to_thread` and `run_in_executor` vs `spawn_blocking`

# %% [markdown]
# A call that blocks, with no await inside, would stop every other task on the thread. Both libraries move it to a pool of threads and give back something to await.

# %%
def blocking_read(name):
    time.sleep(0.3)  # blocks its thread: no await inside
    return f"{name}: read"

async def ticker():
    await asyncio.sleep(0.1)
    print("ticker: the event loop is still free")

async def main():
    start = time.monotonic()
    a, b, _ = await asyncio.gather(
        asyncio.to_thread(blocking_read, "a"),
        asyncio.get_running_loop().run_in_executor(None, blocking_read, "b"),
        ticker(),
    )
    print(a)
    print(b)
    print(f"both reads took {int((time.monotonic() - start) * 10) / 10} s")

await main()


# %% [markdown]
# The two reads overlap (0.3 s, not 0.6 s) and the ticker runs meanwhile. tokio's blocking pool grows to 512 threads by default; asyncio's default executor has `min(32, cores + 4)`. A blocking task cannot be aborted once it has started, nor can a thread in Python's executor.

# %% [markdown] tags=["section"]
# ## 16. `async for` over an async generator vs a `Stream`

# %% [markdown]
# An async generator yields values with awaits in between; `async for` pulls them one at a time. Rust's counterpart is a `Stream`, pulled with `next().await`.

# %%
async def countdown(start):
    n = start
    while n > 0:
        await asyncio.sleep(0.1)
        yield n
        n -= 1

async def main():
    async for value in countdown(3):
        print(f"countdown: {value}")
    print("liftoff")

await main()


# %% [markdown]
# Stable Rust has no `yield` in async code yet, so the generator's state is spelled out: `unfold` keeps it (here `n`) and returns the next value with the next state. The `async-stream` crate's `stream!` macro gives back the generator syntax. Both are lazy: nothing runs until the loop asks.

# %% [markdown] tags=["section"]
# ## 17. `async with` vs a guard that cleans up on drop

# %% [markdown]
# `async with` runs `__aexit__` when the block ends, even by an exception. In Rust the cleanup is the value's `Drop`, run when it goes out of scope, even on an early return with `?`.

# %%
class Connection:
    def __init__(self, name):
        self.name = name

    async def __aenter__(self):
        await asyncio.sleep(0.1)
        print(f"{self.name}: open")
        return self

    async def __aexit__(self, *exc_info):
        print(f"{self.name}: closed")

async def main():
    async with Connection("db") as conn:
        print(f"using {conn.name}")
    try:
        async with Connection("cache"):
            raise ValueError("query failed")
    except ValueError as error:
        print(f"error: {error}")

await main()


# %% [markdown]
# `Drop` is synchronous: it cannot await, so a close that needs I/O is an explicit `conn.close().await` before the end, or work handed to a task. `__aexit__` can await, and it sees the exception that ended the block.

# %% [markdown] tags=["section"]
# ## 18. Letting others run: `asyncio.sleep(0)` vs `tokio::task::yield_now`

# %% [markdown]
# A task that awaits nothing keeps the thread. `asyncio.sleep(0)` and `yield_now()` give the others a turn and come back.

# %%
async def busy(name):
    for i in range(3):
        print(f"{name}: step {i}")
        await asyncio.sleep(0)

async def main():
    await asyncio.gather(busy("a"), busy("b"))

await main()

# %% [markdown]
# tokio also makes a task yield on its own after a budget of operations on its resources (128), so a task that loops over a busy channel cannot starve the others; asyncio has nothing like it. On a multi-thread runtime, another worker may take up a yielded task at once.
