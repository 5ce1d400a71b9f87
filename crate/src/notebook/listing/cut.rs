//! Cutting a function out of a source file as a notebook shows it: its doc
//! comment and text without the lines that only record timelines.
//!
//! [`source_of`](super::source_of) uses it at notebook time, and the crate's
//! build script uses it to compile every function exactly as shown with the
//! tests (see `build.rs`), so a listing a learner reads cannot be code that
//! would not compile. It uses nothing but `std`, so that `build.rs` can
//! include it.

use std::ops::Range;

/// What ends a line that a listing leaves out: code that records the run for
/// a timeline picture rather than doing the lesson's work, hidden the way
/// rustdoc hides `# ` lines in examples. What is left must still compile.
pub(crate) const HIDDEN_MARKER: &str = "// timeline";

/// The name of the function whose signature starts at column 0 of `line`,
/// public to the crate or beyond: `pub fn`, `pub async fn`, `pub(crate) fn`
/// or `pub(crate) async fn`.
pub(crate) fn function_named(line: &str) -> Option<&str> {
    let rest = ["pub ", "pub(crate) "]
        .into_iter()
        .find_map(|visibility| line.strip_prefix(visibility))?;
    let rest = rest.strip_prefix("async ").unwrap_or(rest);
    let rest = rest.strip_prefix("fn ")?;
    let end = rest.find(['(', '<'])?;
    Some(&rest[..end])
}

/// Cuts the function `name` out of rustfmt-formatted `text`: from its doc
/// comment (and attributes) to the closing brace in column 0, without the
/// lines marked [`HIDDEN_MARKER`] and without its doc comment's `# Examples`
/// (rustdoc's reader needs them; the notebook's sees the function run in
/// the next cell). Returns the range of `text`'s lines it
/// spans and its text as shown, or `None` when no function has that name.
pub(crate) fn cut_function(
    text: &str,
    name: &str,
) -> Result<Option<(Range<usize>, String)>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines
        .iter()
        .position(|line| function_named(line) == Some(name))
    else {
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
        .ok_or_else(|| format!("`{name}` has no closing brace in column 0"))?;
    let shown = |lines: &[&str]| -> Vec<String> {
        let shown = lines.iter().filter(|line| !is_hidden(line));
        shown.map(|line| (*line).to_owned()).collect()
    };
    let head = without_examples(shown(&lines[first..=start]));
    let body = shown(&lines[start + 1..end]);
    let code = [head, body, vec!["}".to_owned()]].concat().join("\n");
    Ok(Some((first..end + 1, code)))
}

/// `head` (doc comment, attributes, signature) without the `# Examples`
/// section of its doc comment, nor the blank doc line before it. A section
/// ends at the next heading outside a code block.
fn without_examples(head: Vec<String>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    let mut in_examples = false;
    let mut in_code = false;
    for line in head {
        match line.strip_prefix("///") {
            Some(doc) => {
                let text = doc.strip_prefix(' ').unwrap_or(doc);
                if text.starts_with("```") {
                    in_code = !in_code;
                } else if !in_code && text.starts_with("# ") {
                    let was_in_examples = in_examples;
                    in_examples = text == "# Examples";
                    if in_examples && kept.last().is_some_and(|last| last == "///") {
                        kept.pop();
                    } else if was_in_examples && !in_examples {
                        // The blank line before this heading was skipped.
                        kept.push("///".to_owned());
                    }
                }
            }
            None => in_examples = false,
        }
        if !in_examples {
            kept.push(line);
        }
    }
    kept
}

/// Whether `line` is a recording line: code that ends in [`HIDDEN_MARKER`].
/// A comment that merely ends with the word ("/// ... a timeline") is shown.
pub(crate) fn is_hidden(line: &str) -> bool {
    line.trim_end().ends_with(HIDDEN_MARKER) && !line.trim_start().starts_with("//")
}
