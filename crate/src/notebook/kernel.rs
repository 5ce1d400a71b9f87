//! Whether the kernel gives all cells one tokio: [`require_one_tokio!`](crate::require_one_tokio).
//!
//! evcxr compiles every cell into a shared library of its own. By default it
//! links a copy of every dependency into each one, statics and thread-locals
//! included, so each cell has its own tokio: a task spawned in one cell, or a
//! future built in one cell and awaited in another, looks for the runtime in
//! a copy that never had it, and panics ("there is no reactor running") or
//! hangs. In evcxr's dynamic-linking mode every dependency is linked once,
//! as a shared library of its own, and all cells share one tokio. The
//! project's kernel (`make lab`) runs in that mode; a stock evcxr kernel does
//! not.
//!
//! A notebook whose lessons keep tasks, futures or channels from one cell to
//! the next ends its first cell with [`require_one_tokio!`](crate::require_one_tokio). On a kernel with
//! one tokio it shows one line saying so; on a stock kernel that cell fails
//! to compile with the cause and the fix, before any lesson can hang, and the
//! rest of the notebook has nothing to build on.

use crate::notebook::display::emit_to_notebook;

/// What a notebook's first cell shows on a kernel whose cells share one
/// tokio. Made by [`require_one_tokio!`](crate::require_one_tokio).
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// assert!(OneTokio::LINE.starts_with("kernel: one tokio for every cell"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OneTokio;

impl OneTokio {
    /// The line the notebook shows.
    pub const LINE: &'static str = "kernel: one tokio for every cell (evcxr links each dependency once), \
         so tasks, futures and channels may live from one cell to the next";

    /// Shows [`OneTokio::LINE`] in a notebook.
    pub fn evcxr_display(&self) {
        emit_to_notebook(&[("text/plain", Self::LINE)]);
    }
}

/// Stops the compilation of a cell that evcxr builds with a copy of tokio
/// of its own (`built_by_evcxr` without `dynamic_linking`), with the cause
/// and the fix; anything else compiles, `cargo test` included.
///
/// [`require_one_tokio!`](crate::require_one_tokio) calls it with what the cell's compilation sees:
/// evcxr gives every build `EVCXR_CORE_EXTERN`, and its dynamic-linking
/// builds `EVCXR_FORCE_DYLIB` too (evcxr 0.22, module.rs and runtime.rs).
///
/// # Examples
///
/// ```
/// use async_walkthrough::notebook::check_linking;
///
/// check_linking(true, true); // the project's kernel
/// check_linking(false, false); // not evcxr at all
/// ```
///
/// ```should_panic
/// # use async_walkthrough::notebook::check_linking;
/// check_linking(true, false); // a stock evcxr kernel
/// ```
pub const fn check_linking(built_by_evcxr: bool, dynamic_linking: bool) {
    if built_by_evcxr && !dynamic_linking {
        panic!(
            "this notebook needs one tokio for all its cells, but this kernel (evcxr's default, \
             static linking) links a copy of tokio into each cell, where tasks and futures kept \
             across cells panic or hang: open the notebook on the project's kernel (`make lab`)"
        );
    }
}

/// Ends a notebook's first cell: shows [`OneTokio`]'s line on a kernel whose
/// cells share one tokio, and makes the cell fail to compile, with the cause
/// and the fix, on a kernel that gives each cell its own copy.
///
/// The check runs while the cell compiles, so a stock kernel stops there:
/// the cell reports an error (a panicking cell would count as a success, and
/// a run of every cell would go on into lessons that hang), and its `:dep`
/// and `use` lines, which every later cell builds on, are not kept.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// // Outside evcxr there is one tokio per program.
/// assert_eq!(require_one_tokio!(), OneTokio);
/// ```
#[macro_export]
macro_rules! require_one_tokio {
    () => {{
        const _: () = $crate::notebook::check_linking(
            option_env!("EVCXR_CORE_EXTERN").is_some(),
            option_env!("EVCXR_FORCE_DYLIB").is_some(),
        );
        $crate::notebook::OneTokio
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "open the notebook on the project's kernel (`make lab`)")]
    fn a_static_evcxr_build_is_stopped_with_the_fix() {
        check_linking(true, false);
    }

    #[test]
    fn the_line_is_one_line() {
        assert!(!OneTokio::LINE.contains('\n'));
    }
}
