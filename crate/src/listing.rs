//! The source of the crate's functions, for showing in a notebook.
//!
//! The notebooks run the crate's `find_users_*` and `process_*` rather than
//! defining their own copies, so what a reader sees must come from the same
//! file that was compiled. [`source_of`] cuts a function out of the crate's own
//! source text (embedded with `include_str!`), so the listing cannot drift from
//! the code that runs.

use anyhow::{Context, bail};
use std::fmt;

/// The crate's source files whose functions can be listed.
const SOURCES: &[(&str, &str)] = &[
    ("workloads.rs", include_str!("workloads.rs")),
    ("gather.rs", include_str!("gather.rs")),
    ("timing.rs", include_str!("timing.rs")),
    ("llm_runs.rs", include_str!("llm_runs.rs")),
    ("retry.rs", include_str!("retry.rs")),
    ("serving.rs", include_str!("serving.rs")),
    ("blocking.rs", include_str!("blocking.rs")),
    ("cpu.rs", include_str!("cpu.rs")),
    ("cancel.rs", include_str!("cancel.rs")),
    ("threads.rs", include_str!("threads.rs")),
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

/// Cuts `pub fn name` or `pub async fn name` out of rustfmt-formatted source:
/// from its doc comment to the closing brace in column 0.
fn cut_function(text: &str, name: &str) -> anyhow::Result<Option<String>> {
    let lines: Vec<&str> = text.lines().collect();
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
        .rposition(|line| !line.starts_with("///"))
        .map_or(0, |before| before + 1);
    let end = lines[start..]
        .iter()
        .position(|line| *line == "}")
        .map(|offset| start + offset)
        .context("the function has no closing brace in column 0")?;
    Ok(Some(lines[first..=end].join("\n")))
}

impl Listing {
    /// Shows the listing as highlighted Rust, with plain text for viewers that
    /// cannot render Markdown.
    pub fn evcxr_display(&self) {
        let markdown = format!("```rust\n{}\n```", self.code);
        crate::display::emit_to_notebook(&[
            ("text/markdown", &markdown),
            ("text/plain", &self.code),
        ]);
    }
}

/// Lets a cell end in `source_of("...")` without `?`: the listing is shown,
/// or the error in its place.
///
/// evcxr decides between `evcxr_display` and `Debug` by compiling the cell,
/// and the first cell in a session that uses `?` fails that check, so it would
/// print the listing's `Debug` form instead.
pub trait ListingDisplay {
    /// Shows the listing, or the error, as a notebook output.
    fn evcxr_display(&self);
}

impl ListingDisplay for anyhow::Result<Listing> {
    fn evcxr_display(&self) {
        match self {
            Ok(listing) => listing.evcxr_display(),
            Err(error) => {
                crate::display::emit_to_notebook(&[("text/plain", &format!("error: {error:#}"))])
            }
        }
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
        assert_eq!(listing.file, "workloads.rs");
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
