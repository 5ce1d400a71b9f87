//! The post itself: its user searches, sync and async, and [`gather`](fn@gather), the
//! counterpart of `asyncio.gather` that keeps CPython's output order.

pub(crate) mod gather;
pub(crate) mod workloads;

pub use gather::gather;
pub use workloads::{SEARCH_STEP, find_users_async, find_users_sync, process_async, process_sync};
