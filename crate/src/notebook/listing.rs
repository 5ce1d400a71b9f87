//! The source of the crate's functions, for showing in a notebook.
//!
//! The notebooks run the crate's `find_users_*` and `process_*` rather than
//! defining their own copies, so what a reader sees must come from the same
//! file that was compiled. [`source_of`] cuts a function out of the crate's own
//! source text (embedded with `include_str!`), so the listing cannot drift from
//! the code that runs.

use crate::notebook::display::{NotebookDisplay, emit_to_notebook};
use anyhow::{Context, bail};
use std::fmt;

/// The crate's source files whose functions can be listed.
const SOURCES: &[(&str, &str)] = &[
    ("post/workloads.rs", include_str!("../post/workloads.rs")),
    ("post/gather.rs", include_str!("../post/gather.rs")),
    (
        "timing/stopwatch.rs",
        include_str!("../timing/stopwatch.rs"),
    ),
    (
        "lessons/blocking.rs",
        include_str!("../lessons/blocking.rs"),
    ),
    ("lessons/cpu.rs", include_str!("../lessons/cpu.rs")),
    ("llm/runs.rs", include_str!("../llm/runs.rs")),
    ("llm/retry.rs", include_str!("../llm/retry.rs")),
    ("serving/layer.rs", include_str!("../serving/layer.rs")),
];

/// A function's source text, with its doc comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The file the function is defined in, relative to the crate's `src/`.
    pub file: &'static str,
    /// The function's text, doc comment first, exactly as in the file.
    pub code: String,
}

/// Finds the public function `name` in the crate's source and returns its text.
///
/// Fails with a message naming the function when no file defines it.
pub fn source_of(name: &str) -> anyhow::Result<Listing> {
    for (file, text) in SOURCES {
        if let Some(code) =
            cut_function(text, name).with_context(|| format!("reading `{name}` from src/{file}"))?
        {
            return Ok(Listing { file, code });
        }
    }
    bail!("no public function named `{name}` in the crate's listed sources")
}

/// What ends a line that [`source_of`] leaves out: code that records the run
/// for a timeline picture rather than doing the lesson's work, hidden the way
/// rustdoc hides `# ` lines in examples.
pub const HIDDEN_MARKER: &str = "// timeline";

/// Cuts `pub fn name` or `pub async fn name` out of rustfmt-formatted source:
/// from its doc comment (and attributes) to the closing brace in column 0,
/// without the lines marked [`HIDDEN_MARKER`].
fn cut_function(text: &'static str, name: &str) -> anyhow::Result<Option<String>> {
    let lines: Vec<&'static str> = text.lines().collect();
    let signature = |line: &str| {
        let rest = line
            .strip_prefix("pub async fn ")
            .or_else(|| line.strip_prefix("pub fn "));
        rest.and_then(|rest| rest.strip_prefix(name))
            .is_some_and(|after| after.starts_with('(') || after.starts_with('<'))
    };
    let Some(start) = lines.iter().position(|line| signature(line)) else {
        return Ok(None);
    };
    let first = lines[..start]
        .iter()
        .rposition(|line| !line.starts_with("///") && !line.starts_with("#["))
        .map_or(0, |before| before + 1);
    let end = lines[start..]
        .iter()
        .position(|line| *line == "}")
        .map(|offset| start + offset)
        .context("the function has no closing brace in column 0")?;
    let shown = |lines: &[&'static str]| -> Vec<&'static str> {
        let shown = lines.iter().filter(|line| !line.contains(HIDDEN_MARKER));
        shown.copied().collect()
    };
    let head = shown(&lines[first..=start]);
    let body = shown(&lines[start + 1..end]);
    Ok(Some([head, reindent(&body), vec!["}"]].concat().join("\n")))
}

/// Shifts a function body so that its least indented line starts at four
/// spaces: a body that hidden lines wrapped in a closure reads as if written
/// straight in the function.
fn reindent(body: &[&'static str]) -> Vec<&'static str> {
    let indent = |line: &str| line.len() - line.trim_start().len();
    let least = body
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| indent(line))
        .min()
        .unwrap_or(4);
    let cut = least.saturating_sub(4);
    body.iter()
        .map(|line| line.get(cut.min(indent(line))..).unwrap_or(line))
        .collect()
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
    use super::*;

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
    fn leaves_out_the_recording_lines_and_unwraps_their_closure() {
        let listing = source_of("process_sync").unwrap();
        assert!(!listing.code.contains(HIDDEN_MARKER), "{}", listing.code);
        assert!(!listing.code.contains("record("), "{}", listing.code);
        assert!(
            listing
                .code
                .contains("pub fn process_sync() -> Timeline {\n    let stopwatch = Stopwatch::start();\n    find_users_sync(3);"),
            "{}",
            listing.code
        );
        let find_users = source_of("find_users_async").unwrap().code;
        assert!(!find_users.contains("row"), "{find_users}");
        assert!(find_users.contains("\n        tokio::time::sleep(SEARCH_STEP).await;\n"));
    }

    #[test]
    fn does_not_match_a_longer_name() {
        let listing = source_of("process_sync").unwrap();
        assert!(listing.code.contains("pub fn process_sync()"));
    }

    #[test]
    fn an_unknown_name_is_a_clear_error() {
        let error = source_of("find_user").unwrap_err();
        assert_eq!(
            error.to_string(),
            "no public function named `find_user` in the crate's listed sources"
        );
    }
}
