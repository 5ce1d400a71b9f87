//! What notebook 02's cells build on, for what the post leaves out: a
//! blocking search and one on the blocking pool, a busy loop, a
//! current-thread runtime, threads whose lines are kept. The demonstrations
//! themselves are written in the notebook's cells.

pub(crate) mod blocking;
pub(crate) mod cpu;
pub(crate) mod single_thread;
pub(crate) mod threads;

pub use blocking::{find_users_blocking, find_users_spawn_blocking};
pub use cpu::busy_work;
pub use single_thread::{on_one_thread, runtime_workers};
pub use threads::spawn_captured;
