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
// # 01 · The asyncio walkthrough, in async Rust
//
// This notebook follows the beginner post *Introduction to Python Asynchronous Programming (Asyncio)* step by step: each of its twelve Python cells gets one Rust cell here, in the same order, and prints the same lines CPython prints.
//
// Run it top to bottom (**Run → Run All Cells**). The search cells really wait: about 6 seconds for the blocking run and 3 for the concurrent one, with each line appearing as it happens.

// %% [markdown]
// First we load the support crate that sits next to this folder. It holds the post's workloads, so the code you read in this notebook is the code that runs. Its prelude brings in the names the cells use, and a trait that lets a cell show a future as a value; more on that below.

// %%
// :dep async_walkthrough = { path = "../crate" }
use async_walkthrough::prelude::*;

// %% [markdown]
// ## Two small functions
//
// An ordinary function runs as soon as it is called and hands back its result.

// %%
fn do_sync() -> &'static str {
    "sync"
}

// %% [markdown]
// Calling it gives the string straight away. Rust shows strings in quotes, where Python used single quotes.

// %%
do_sync()

// %% [markdown]
// Now the same function marked `async`. In both languages the keyword changes what a call gives back.

// %%
async fn do_async() -> &'static str {
    "async"
}

// %% [markdown]
// Calling it without waiting gives a *future*, not the string. Like Python's coroutine object it is a value: here is its type, its address, and the fact that none of its body has run. Rust futures are lazy; nothing happens until something polls them.
//
// (On its own, evcxr cannot show a future at all, since futures have no `Debug` form; the crate's `FutureDisplay` trait supplies the display.)

// %%
do_async()

// %% [markdown]
// `.await` drives the future to completion and gives its output. Rust writes `await` after the expression rather than before it. A top-level `.await` works here because evcxr notices it and runs the whole cell inside a tokio runtime.

// %%
do_async().await

// %% [markdown]
// ## Searching users one after another
//
// The post's first workload pretends to look up users, one second each, and blocks the thread while it waits. Python imports `time` for its sleep; the crate uses `std::thread::sleep`. Below is the function's source, read from the crate's own file.
//
// The file also has a few lines of ours that note when each search starts and ends, so that a run can be drawn as a timeline. They end in `// timeline`, do nothing unless a run is being recorded, and the listing leaves them out, as rustdoc hides the setup lines of an example.

// %%
source_of("find_users_sync")

// %% [markdown]
// The driver runs searches of 3, 2 and 1 users back to back and reports the elapsed time, the Rust form of `start = time.time()` … `end - start`.

// %%
source_of("process_sync")

// %% [markdown]
// Each search has to finish before the next may start, so the run takes 3 + 2 + 1 = 6 seconds. This is how a server that handles one request at a time behaves. Unlike the post's version, ours also hands back a record of the run: the post's body is the closure `run`, and `record` runs it while keeping its `Timeline`, which we keep in `sync_run` for the next cell.

// %%
let sync_run: Timeline = process_sync();

// %% [markdown]
// Here is that record drawn as a timeline, one row per call and one bar per one-second search: the bars sit end to end, never two at once. (Times are drawn to the nearest tenth of a second.)

// %%
sync_run

// %% [markdown]
// ## Searching users concurrently
//
// The async version awaits a tokio timer instead of blocking. While one search waits, the thread is free to drive the others.

// %%
source_of("find_users_async")

// %% [markdown]
// The async driver hands all three searches to `gather`, the crate's counterpart of `asyncio.gather`: it polls them on the current task, and when several wake at the same moment it polls them in the order they were passed, the order in which asyncio runs them. That is what makes the interleaving below match CPython's line for line. (asyncio's `gather` goes further: it wraps each coroutine in a task of its own. Notebook 05 shows the difference.)
//
// One correction to the post: its async driver reused the label *sync process* in the final message. Ours says *async process*.

// %%
source_of("process_async")

// %% [markdown]
// Again, calling an async function without `.await` only builds the future. Nothing is searched and nothing is printed.

// %%
process_async()

// %% [markdown]
// With `.await` the three searches run together. Every second, each search that is still going prints its next line, so the lines interleave, and the whole run takes as long as the longest search: about 3 seconds instead of 6.

// %%
let async_run: Timeline = process_async().await;

// %% [markdown]
// The same picture for the concurrent run: the three rows now start together, and each second holds a bar from every search still going.

// %%
async_run

// %% [markdown]
// Same work, half the time, on a single thread: while a search waits for its timer, the others run. The later notebooks look at why this works, where it stops working, and how far it scales.
