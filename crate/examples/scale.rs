//! N concurrent one-second searches in one of four modes; prints one JSON line.
//!
//! ```text
//! cargo run --release -p async_walkthrough --example scale -- --mode gather --tasks 1000000
//! {"mode":"gather","tasks":1000000,"wall_s":1.08,"peak_rss_mb":...,"bytes_per_task":...}
//! ```
//!
//! Modes: gather, spawn, current-thread, threads (see `async_walkthrough::scale`).
//! Bad arguments print one line on stderr and exit with status 2.

use async_walkthrough::scale::{parse_args, run_scale};
use std::process::ExitCode;

const USAGE: &str = "usage: scale --mode gather|spawn|current-thread|threads --tasks N";

fn main() -> ExitCode {
    use_huge_pages();
    let (mode, tasks) = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(error) => {
            eprintln!("error: {error:#}; {USAGE}");
            return ExitCode::from(2);
        }
    };
    match run_scale(mode, tasks) {
        Ok(run) => {
            println!("{}", serde_json::to_string(&run).expect("a run serializes"));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

// A million searches touch about 150 MB of fresh memory, and faulting it in
// 4-KiB pages was a third of gather's overhead. mimalloc can ask the kernel
// for transparent huge pages, which cuts that; enabled in `main`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn use_huge_pages() {
    // SAFETY: sets a plain option; mimalloc reads it when it next maps memory.
    unsafe {
        libmimalloc_sys::mi_option_set_enabled(libmimalloc_sys::mi_option_large_os_pages, true)
    };
}
