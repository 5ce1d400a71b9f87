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
// Run it top to bottom (**Run → Run All Cells**). The search cells really wait: about 6 seconds for the blocking run and 3 for the concurrent one, with each line appearing as it happens. The two exercises at the end wait about 12 seconds more as they stand, and half that once solved.

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

// %% [markdown] tags=["exercises"]
// ## Exercises
//
// Now it is your turn to change the code. Each exercise has a cell with starting code, which compiles and runs but does the wrong thing, and a check cell below it. The check runs your code and judges what it *did*, not how it is written: a ✓ or ✗ line per point, with what it saw, then a summary. Edit the starting cell, run it, then run its check; repeat until every point holds. A hint is folded under each exercise, and the repository has solutions in `exercises/solutions/`, but try first.

// %% [markdown]
// ### Exercise 1 · Search everyone at once
//
// `search_everyone` searches 3, 2 and 1 users one after another, like `process_sync`, although each search is a future: 6 seconds. Change it so that the three searches overlap and the whole takes about 3 seconds, the length of the longest. The check watches the searches themselves: each must run to the end, all three must be under way before the first one ends, and the run must take about 3 s.

// %% tags=["exercise=searches-together"]
async fn search_everyone() {
    find_users_async(3).await;
    find_users_async(2).await;
    find_users_async(1).await;
}

// %% tags=["check=searches-together"]
let searches_together: Verdict = check_searches_overlap(search_everyone).await;

// %% [markdown]
// <details><summary>Hint</summary>
//
// Each `.await` waits for its search to finish before the next line runs. `process_async` above hands its three futures to `gather` and awaits that once. And remember the lesson of `process_async()` without `.await`: a future that is built and never awaited searches nobody.
// </details>

// %% [markdown]
// ### Exercise 2 · Wait without blocking
//
// `find_users_slowly` below is `find_users_sync` marked `async`, its `std::thread::sleep` kept. Marking a function `async` does not make its waiting free: the check runs three of them with `gather` beside a heartbeat, a small timer on the same thread, and sees the heartbeat held up for the whole 6 seconds: a function that never awaits never lets anything else run. Make the searches wait so that the thread stays free for the others, while each still takes a second per user.

// %% tags=["exercise=never-block"]
async fn find_users_slowly(n: u32) {
    for i in 1..=n {
        println!("{i}th user is being searched out of {n} people...");
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    println!("Total {n} people have been searched!");
}

// %% tags=["check=never-block"]
let never_block: Verdict = check_searches_never_block(find_users_slowly).await;

// %% [markdown]
// <details><summary>Hint</summary>
//
// Look at `find_users_async` above: it waits with tokio's timer, which hands the thread back while it waits. That timer is a future too, so it waits only if it is awaited; the check notices a search that takes no time.
// </details>

// %% [markdown]
// ### Your exercises
//
// Run this cell after the checks to see how many of this notebook's exercises you have solved.

// %% tags=["exercise-tally"]
exercises_passed(&[&searches_together, &never_block]);
