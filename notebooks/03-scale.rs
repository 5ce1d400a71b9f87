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
// # 03 · From three searches to ten million
//
// The post gathers three searches and stops there. This notebook asks what the same pattern costs at ten, a thousand, a million and ten million concurrent searches, and how that compares with one OS thread per search and with CPython's asyncio.
//
// Every search waits for one second and does nothing else, so however many run at once, the ideal wall time is exactly 1 s. Anything above that is the price of the machinery that keeps them all waiting.

// %% [markdown]
// Load the support crate; its `scale` module holds the four ways of running the searches, and `scale_report` reads and draws the benchmark's results.

// %%
// :dep async_walkthrough = { path = "../crate" }
use async_walkthrough::prelude::*;
use async_walkthrough::scale::{Mode, sweep};

// %% [markdown]
// ## The measurements
//
// `make bench` ran every point below in a fresh process, three times, and kept the median run. The modes:
//
// - **gather**: every search is a future in one `gather`, polled inline by the single task that awaits it (the way `futures`' `join_all` or `tokio::join!` work, with asyncio's order for futures woken together);
// - **spawn**: every search is its own `tokio::spawn`ed task on the multi-thread runtime (both cores);
// - **current-thread**: one task per search again, but on a single-threaded runtime;
// - **threads**: one OS thread per search, each blocked in `std::thread::sleep` with a 64 KiB stack;
// - **python-asyncio**: `asyncio.gather` over coroutines that `await asyncio.sleep(1)`, in CPython (`benches/asyncio_scale.py`).
//
// `asyncio.gather` is not the crate's `gather`: it wraps each coroutine in a Task that the event loop schedules on its own (the coroutines start even if the gather is never awaited, and by default one failing does not cancel the others). Its closer Rust counterpart is a task per search, the **spawn** and **current-thread** modes; **current-thread** also keeps asyncio's single thread.
//
// Memory is the process's peak resident set; "B/search" is what it grew by during the run, divided by the searches.

// %%
let results: ScaleResults = ScaleResults::load("data/scale.json").expect("make bench writes data/scale.json");
results

// %% [markdown]
// ## Wall time
//
// Both axes are logarithmic. A flat line at 1 s means the searches really did overlap; a line that bends upwards means creating, registering and waking the searches started to cost more than the searches themselves.

// %%
results.wall_chart()

// %% [markdown]
// Up to a hundred searches every approach looks alike: each finishes within 0.01 s of the ideal second. Beyond that they part ways.
//
// - The threads bend first: 1.09 s at a thousand, 1.82 s at ten thousand. Each thread is created by the kernel with its own stack, and the kernel gives one process only so many threads (here the limit on memory mappings, which every thread's stack and signal stack use up): asked for a hundred thousand, the machine refused more than 16,117, and the benchmark records how far it got.
// - CPython's asyncio bends next: 1.02 s at a thousand, 1.19 s at ten thousand, 3.55 s at a hundred thousand and 31.55 s at a million. Each coroutine is wrapped in a Task that the event loop creates, schedules and wakes through Python code.
// - The three tokio modes stay within 0.01 s of the ideal up to ten thousand. `gather` stays within a fraction of a second of it up to a million (1.16 s) and takes 2.42 s at ten million. Its futures live in one array and are polled in place; the work left is tokio's timer registering and firing the sleeps, one after another.
// - One task per search costs more than `gather`: every task is its own allocation with a scheduler header, queued and woken on its own; a million take 1.32 s spawned and ten million 6.82 s. A second core helps only a little (`spawn` against `current-thread`: 1.06 s against 1.09 s at a hundred thousand, 1.32 s against 1.47 s at a million): waiting needs no CPU, so the two cores mostly share the bookkeeping.

// %% [markdown]
// ## Memory per search
//
// A waiting future is a small state machine: its local variables and a timer entry. A waiting thread has a stack and kernel bookkeeping; a waiting coroutine in CPython is a frame object, a task object and a future.

// %%
results.memory_chart()

// %% [markdown]
// At small counts the fixed cost of the runtime is spread over few searches, so every line starts high. Once the searches dominate, each line levels off at what one waiting search really costs: 150 to 273 bytes for the tokio modes at a million searches and more, 1,542 to 1,654 bytes for asyncio from ten thousand on, and 17,025 to 20,476 bytes for a thread from a thousand on.

// %%
println!("{}", results.versus("gather", "python-asyncio", 1_000_000).expect("both were measured"));

// %% [markdown]
// ## The goals set for `gather`
//
// The crate's `gather` was tuned until a million searches fit in 1.25 s and 256 MB, and ten million in 5 s and 4 GB, with at least a 15-fold lead over asyncio at a million. This cell checks the results file against those goals.

// %%
println!("{}", results.goals());

// %% [markdown]
// ## A live sweep
//
// The numbers above came from `make bench`. This cell measures a smaller sweep right here in the kernel, up to a hundred thousand searches per mode, in a few seconds. Only wall times are shown: the kernel process has been running other cells, so its peak memory says nothing about these searches.

// %%
sweep(&[Mode::Gather, Mode::Spawn, Mode::CurrentThread], &[10, 1_000, 100_000]).expect("a sweep of tokio modes")

// %% [markdown]
// And threads, kept to a thousand so that the cell stays quick:

// %%
sweep(&[Mode::Threads], &[10, 1_000]).expect("a sweep of threads")

// %% [markdown]
// ## What this says about the post
//
// The post's claim is that async code lets one thread wait on many things at once. The curves put numbers on "many": one task holds a million waiting searches with a fraction of a second of overhead and under two hundred bytes each, while one thread per search runs out of room in the tens of thousands. CPython's asyncio follows the same design and scales the same way in principle, but every step of its event loop runs in the interpreter, so its line bends about two orders of magnitude earlier. None of this needs a second core: the searches wait, they do not compute.
