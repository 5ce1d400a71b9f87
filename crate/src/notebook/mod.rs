//! What makes the crate work inside the evcxr kernel: how values show in a
//! cell, where workload lines go, whether the kernel gives all cells one
//! tokio, and the crate's own source and the compiler's messages as outputs.

pub(crate) mod compiler;
pub(crate) mod console;
pub(crate) mod display;
pub(crate) mod kernel;
pub(crate) mod listing;

pub use compiler::{RustcReport, rustc_says, snippets};
pub use console::{CapturedFuture, capture, capture_future, say};
pub use display::{DebugDisplay, FutureDisplay, NotebookDisplay, describe_future};
pub use kernel::{OneTokio, check_linking};
pub use listing::{Listing, source_of};
