//! The source of the crate's functions, for showing in a notebook.
//!
//! The notebooks run the crate's `find_users_*` and `process_*` rather than
//! defining their own copies, so what a reader sees must come from the same
//! file that was compiled. [`source_of`] cuts a function out of the crate's own
//! source text (embedded with `include_str!`), so the listing cannot drift from
//! the code that runs.

mod cut;

use crate::notebook::display::{NotebookDisplay, emit_to_notebook};
use anyhow::{Context, anyhow, bail};
use std::fmt;

/// The crate's source files whose functions can be listed, as
/// `(path below src/, text)`. `build.rs` names them, as it also compiles
/// their functions as shown (see the tests).
const SOURCES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/listed_sources.rs"));

/// A function's source text, with its doc comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The file the function is defined in, relative to the crate's `src/`.
    pub file: &'static str,
    /// The function's text, doc comment first, as in the file without the
    /// lines that only record timelines.
    pub code: String,
}

/// Finds the function `name` (`pub` or `pub(crate)`) in the crate's source
/// and returns its text.
///
/// Fails with a message naming the function when no file defines it.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// let listing = source_of("find_users_sync").unwrap();
/// assert_eq!(listing.file, "post/workloads.rs");
/// assert!(listing.code.contains("pub fn find_users_sync(n: u32) {"));
/// // The lines that record the timeline are left out.
/// assert!(!listing.code.contains("// timeline"));
/// ```
pub fn source_of(name: &str) -> anyhow::Result<Listing> {
    for (file, text) in SOURCES {
        let cut = cut::cut_function(text, name)
            .map_err(|error| anyhow!(error))
            .with_context(|| format!("reading `{name}` from src/{file}"))?;
        if let Some((_lines, code)) = cut {
            return Ok(Listing { file, code });
        }
    }
    bail!("no function named `{name}` in the crate's listed sources")
}

impl NotebookDisplay for Listing {
    /// Shows the listing as highlighted Rust, with plain text for viewers that
    /// cannot render Markdown.
    fn evcxr_display(&self) {
        let markdown = format!("```rust\n{}\n```", self.code);
        emit_to_notebook(&[("text/markdown", &markdown), ("text/plain", &self.code)]);
    }
}

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_code_lines_ending_in_the_marker_are_hidden() {
        assert!(cut::is_hidden("        row.step(); // timeline"));
        assert!(!cut::is_hidden(
            "/// timeline, which the post's version does not have."
        ));
        assert!(!cut::is_hidden("    // the steps of the timeline"));
        assert!(!cut::is_hidden("    let timeline = record(name, run);"));
    }

    use super::*;
    use cut::HIDDEN_MARKER;

    /// Every function `source_of` can show, compiled as shown in its file's
    /// company (written by `build.rs`): a listing that would not compile
    /// without its hidden lines fails the build of the tests. Nothing here
    /// is called; the copies only have to compile.
    #[allow(dead_code, unused_imports, unreachable_pub)]
    mod as_shown {
        include!(concat!(env!("OUT_DIR"), "/listings_as_shown.rs"));
    }

    #[test]
    fn lists_a_sync_function_with_its_doc_comment() {
        let listing = source_of("find_users_sync").unwrap();
        assert_eq!(listing.file, "post/workloads.rs");
        assert!(
            listing
                .code
                .starts_with("/// Searches `n` users one by one")
        );
        assert!(listing.code.contains("pub fn find_users_sync(n: u32) {"));
        assert!(listing.code.ends_with("\n}"));
        assert!(!listing.code.contains("find_users_async"));
    }

    #[test]
    fn lists_async_and_generic_functions() {
        assert!(
            source_of("process_async")
                .unwrap()
                .code
                .contains("gather([")
        );
        assert!(
            source_of("gather")
                .unwrap()
                .code
                .contains("pub async fn gather<F: Future>")
        );
    }

    #[test]
    fn leaves_out_the_recording_lines() {
        let find_users = source_of("find_users_async").unwrap().code;
        assert!(!find_users.contains(HIDDEN_MARKER), "{find_users}");
        assert!(!find_users.contains("row"), "{find_users}");
        assert!(find_users.contains("\n        tokio::time::sleep(SEARCH_STEP).await;\n"));
    }

    #[test]
    fn leaves_out_the_examples_but_not_the_sections_after_them() {
        let listing = source_of("fastest_of").unwrap().code;
        assert!(!listing.contains("# Examples"), "{listing}");
        assert!(!listing.contains("```"), "{listing}");
        assert!(
            listing.contains("/// closest to what the code itself costs.\n///\n/// # Panics\n"),
            "{listing}"
        );
    }

    #[test]
    fn a_driver_shows_its_recording() {
        let listing = source_of("process_sync").unwrap().code;
        assert!(
            listing.ends_with(
                "    let ((), timeline) = record(\"process_sync()\", run);\n    timeline\n}"
            ),
            "{listing}"
        );
    }

    #[test]
    fn a_signature_names_its_function_when_public_to_the_crate_or_beyond() {
        let named = cut::function_named;
        assert_eq!(
            named("pub fn busy_work(seed: u64) -> u64 {"),
            Some("busy_work")
        );
        assert_eq!(named("pub async fn gather<F: Future>("), Some("gather"));
        assert_eq!(
            named("pub(crate) async fn answer_question("),
            Some("answer_question")
        );
        assert_eq!(named("    pub fn start(name: &str) -> Row {"), None);
        assert_eq!(
            named("fn classify(error: &anyhow::Error) -> (String, bool) {"),
            None
        );
        assert_eq!(named("pub struct Listing {"), None);
    }

    #[cfg(feature = "llm")]
    #[test]
    fn lists_a_function_public_to_the_crate() {
        let listing = source_of("answer_question").unwrap();
        assert_eq!(listing.file, "serving/layer.rs");
        assert!(
            listing
                .code
                .contains("pub(crate) async fn answer_question(")
        );
    }

    #[test]
    fn an_unknown_name_is_a_clear_error() {
        let error = source_of("find_user").unwrap_err();
        assert_eq!(
            error.to_string(),
            "no function named `find_user` in the crate's listed sources"
        );
    }
}
