//! Showing values in a notebook cell.
//!
//! evcxr ends a cell by calling a method named `evcxr_display` on the cell's
//! final expression, if it has one, and otherwise prints its `Debug` form. A
//! future has neither, so a cell ending in `do_async()` fails to compile. Python
//! shows such a value as `<coroutine object do_async at 0x7f...>`; the
//! [`FutureDisplay`] trait, implemented for every future and brought into scope
//! by `use async_walkthrough::prelude::*;`, gives Rust the same: the future's type, where
//! it lives, and that nothing in it has run yet.

use std::future::Future;
use std::io::Write;

/// Sends one rich output to evcxr: a list of (MIME type, content) pairs for
/// the same value; the notebook shows the richest one it can render.
pub(crate) fn emit_to_notebook(representations: &[(&str, &str)]) {
    let mut stdout = std::io::stdout().lock();
    for (mime_type, content) in representations {
        // evcxr reads these markers from the cell's stdout; see its
        // `evcxr_runtime::mime_type` documentation.
        let _ = writeln!(
            stdout,
            "EVCXR_BEGIN_CONTENT {mime_type}\n{content}\nEVCXR_END_CONTENT"
        );
    }
    let _ = stdout.flush();
}

/// Describes a future the way Python's repr describes a coroutine object.
///
/// A future produced by an `async fn` or `async` block (a type the compiler
/// names `...::{{closure}}`) that is held by value has not been polled: once
/// polled it is pinned and can no longer be moved around. For any other
/// future the description says that its state is unknown.
pub fn describe_future<F: Future>(future: &F) -> String {
    let type_name = std::any::type_name::<F>();
    let state = if type_name.ends_with("{{closure}}") {
        "not started"
    } else {
        "state unknown"
    };
    format!(
        "<future {type_name} at {future:p}, Output = {}, {state}>",
        std::any::type_name::<F::Output>()
    )
}

/// Gives every future an `evcxr_display`, so a cell may end in an unawaited
/// future and show it as a value.
///
/// # Examples
///
/// ```
/// use async_walkthrough::notebook::describe_future;
/// use async_walkthrough::prelude::*;
///
/// async fn do_async() -> &'static str {
///     "async"
/// }
/// // What a cell ending in `do_async()` shows: the future, nothing run.
/// let future = do_async();
/// future.evcxr_display();
/// let shown = describe_future(&future);
/// assert!(shown.ends_with("Output = &str, not started>"), "{shown}");
/// ```
pub trait FutureDisplay {
    /// Shows the value as a notebook output.
    fn evcxr_display(&self);
}

impl<F: Future> FutureDisplay for F {
    fn evcxr_display(&self) {
        emit_to_notebook(&[("text/plain", &describe_future(self))]);
    }
}

/// A value with a notebook output of its own: a picture, a listing, a report.
///
/// evcxr calls a method named `evcxr_display` on a cell's final value. The
/// crate's outputs implement this one trait for it, which also lets a cell end
/// in an `anyhow::Result` of such a value without `?`: the value is shown, or
/// the error in its place. (A cell's first `?` would make evcxr fall back to
/// printing the value's `Debug` form.)
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// // A cell ending in a result shows the listing, or the error in its place.
/// let listing: anyhow::Result<_> = source_of("find_users_sync");
/// listing.evcxr_display();
/// let missing = source_of("find_users_fast");
/// assert!(missing.is_err());
/// missing.evcxr_display();
/// ```
pub trait NotebookDisplay {
    /// Shows the value as a notebook output.
    fn evcxr_display(&self);
}

impl<T: NotebookDisplay> NotebookDisplay for anyhow::Result<T> {
    fn evcxr_display(&self) {
        match self {
            Ok(value) => value.evcxr_display(),
            Err(error) => emit_to_notebook(&[("text/plain", &format!("error: {error:#}"))]),
        }
    }
}

/// Shows any `Debug` value as evcxr itself would, one compile sooner.
///
/// For a cell ending in a value, evcxr first compiles a call to
/// `evcxr_display` and, when the value has none, compiles the cell a second
/// time printing its `Debug` form: a `"sync"` or a `42` costs two builds.
/// With this trait in scope the first build succeeds and prints the same
/// text.
///
/// Its method takes `&mut self` so that it is found last: Rust looks for a
/// method taking `self`, then `&self`, then `&mut self`, so every richer
/// `evcxr_display` (inherent, or a trait's such as [`FutureDisplay`]) wins
/// over it. A cell ending in a variable that is not `mut` cannot lend it
/// mutably; there evcxr falls back to its second build, as before.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// // What a cell ending in `answer` shows, `42`, in evcxr's first build.
/// let mut answer = 42;
/// answer.evcxr_display();
/// ```
pub trait DebugDisplay {
    /// Shows the value's `Debug` form as the cell's plain-text result.
    fn evcxr_display(&mut self);
}

impl<T: std::fmt::Debug + ?Sized> DebugDisplay for T {
    fn evcxr_display(&mut self) {
        emit_to_notebook(&[("text/plain", &format!("{self:?}"))]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn do_async() -> &'static str {
        "async"
    }

    #[test]
    fn an_async_fn_future_is_described_like_a_coroutine_object() {
        let future = do_async();
        let text = describe_future(&future);
        let address = format!("{:p}", &future);
        assert_eq!(
            text,
            format!(
                "<future async_walkthrough::notebook::display::tests::do_async::{{{{closure}}}} at {address}, \
                 Output = &str, not started>"
            )
        );
    }

    #[test]
    fn a_hand_written_future_is_not_claimed_unstarted() {
        let text = describe_future(&std::future::ready(5u8));
        assert!(
            text.starts_with("<future core::future::ready::Ready<u8> at 0x"),
            "{text}"
        );
        assert!(text.ends_with("Output = u8, state unknown>"), "{text}");
    }

    #[test]
    fn a_richer_display_wins_over_the_debug_form() {
        use std::cell::Cell;
        thread_local!(static SHOWN: Cell<&'static str> = const { Cell::new("") });

        #[derive(Debug)]
        struct Rich;
        trait RichDisplay {
            fn evcxr_display(&self);
        }
        impl RichDisplay for Rich {
            fn evcxr_display(&self) {
                SHOWN.set("rich");
            }
        }

        // Both traits are in scope; the `&self` method is found first.
        (Rich).evcxr_display();
        assert_eq!(SHOWN.get(), "rich");
    }
}
