//! The lessons of notebook 02, what the post leaves out: blocking inside
//! async code, CPU-bound work, one thread, cancellation, threads.

pub(crate) mod blocking;
pub(crate) mod cancel;
pub(crate) mod cpu;
pub(crate) mod single_thread;
pub(crate) mod threads;

pub use blocking::{
    find_users_blocking, find_users_spawn_blocking, process_blocking, process_spawn_blocking,
};
pub use cancel::{process_race, process_timeout};
pub use cpu::{CpuComparison, busy_work, compare_cpu_bound};
pub use single_thread::{on_one_thread, runtime_workers};
pub use threads::{count_on_threads, process_threads};
