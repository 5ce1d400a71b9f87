//! What makes the crate work inside the evcxr kernel: how values show in a
//! cell, where workload lines go, futures and tasks kept across cells, the
//! crate's own source and the compiler's messages as outputs, and a runtime
//! per cell for servers.

pub(crate) mod compiler;
pub(crate) mod console;
pub(crate) mod display;
pub(crate) mod kernel;
pub(crate) mod listing;
pub(crate) mod own_runtime;

pub use compiler::{RustcReport, rustc_says, snippets};
pub use console::{CapturedFuture, capture, capture_future, say};
pub use display::{DebugDisplay, FutureDisplay, NotebookDisplay, describe_future};
pub use kernel::{Later, LaterRun, Task, create_task, later};
pub use listing::{Listing, source_of};
pub use own_runtime::on_own_runtime;
