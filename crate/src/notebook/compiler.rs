//! What the compiler says about code that must not compile, shown from a
//! notebook without leaving a failing cell in it.
//!
//! Some lessons are compiler errors: Rust refuses a data race before the
//! program ever runs. A notebook cell holding that code would fail and stop
//! "Run All", so the code lives in `crate/snippets/` instead. [`rustc_says`]
//! runs the real `rustc` on a snippet at notebook time and returns every line
//! it printed: the message a learner would get, not a copy that could drift.
//! The snippets are also doctests (see [`snippets`]), so `cargo test` proves
//! that each still fails, or still compiles, as the notebook claims.

use crate::notebook::display::{NotebookDisplay, emit_to_notebook};
use anyhow::{Context, bail};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The snippets, by file name, embedded so that a notebook needs no path.
const SNIPPETS: &[(&str, &str)] = &[
    (
        "shared_counter_race.rs",
        include_str!("../../snippets/shared_counter_race.rs"),
    ),
    (
        "unawaited_future.rs",
        include_str!("../../snippets/unawaited_future.rs"),
    ),
];

/// The snippets as doctests: `cargo test` checks the outcome the notebook
/// shows for each.
///
/// Sharing a counter between threads by `&mut` is refused with E0499:
///
/// ```compile_fail,E0499
#[doc = include_str!("../../snippets/shared_counter_race.rs")]
/// ```
///
/// Calling an async function without awaiting it compiles, with a warning
/// (turned into an error here, so that the test fails if it goes away):
///
/// ```compile_fail
/// #![deny(unused_must_use)]
#[doc = include_str!("../../snippets/unawaited_future.rs")]
/// ```
pub mod snippets {}

/// The source text of a snippet in `crate/snippets/`.
pub(crate) fn snippet(name: &str) -> anyhow::Result<&'static str> {
    SNIPPETS
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, text)| *text)
        .with_context(|| {
            let known: Vec<_> = SNIPPETS.iter().map(|(file, _)| *file).collect();
            format!("no snippet named `{name}`; known: {}", known.join(", "))
        })
}

/// What rustc printed for one snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustcReport {
    /// The snippet's file name, as rustc names it in its messages.
    pub file: String,
    /// The snippet's source.
    pub source: String,
    /// Whether rustc accepted the snippet (warnings allowed).
    pub compiled: bool,
    /// Everything rustc wrote to stderr, without colours.
    pub messages: String,
}

/// Compiles the snippet `name` as a library with the `rustc` on `PATH` (or
/// `$RUSTC`), edition 2024, and returns what it said.
///
/// The snippet is copied into a scratch directory and compiled there under its
/// own name, so the messages name `shared_counter_race.rs`, not a path that
/// differs from machine to machine; for the same reason rustc gets a sysroot
/// without the standard library's source (`sysroot_without_sources`).
/// Only metadata is emitted: enough for every error and warning, without code
/// generation.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// let report = rustc_says("shared_counter_race.rs").unwrap();
/// assert!(!report.compiled);
/// assert!(report.messages.starts_with("error[E0499]"), "{}", report.messages);
/// ```
pub fn rustc_says(name: &str) -> anyhow::Result<RustcReport> {
    let source = snippet(name)?;
    let scratch = tempfile::tempdir().context("creating a scratch directory for rustc")?;
    std::fs::write(scratch.path().join(name), source)
        .with_context(|| format!("writing {name} to {}", scratch.path().display()))?;
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = sysroot_without_sources(&rustc, scratch.path())?;
    let output = Command::new(&rustc)
        .current_dir(scratch.path())
        .arg("--sysroot")
        .arg(&sysroot)
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "lib",
            "--emit",
            "metadata",
        ])
        .args(["--color", "never", "--crate-name", "snippet", name])
        .output()
        .with_context(|| format!("running {}", rustc.to_string_lossy()))?;
    let messages = String::from_utf8_lossy(&output.stderr).into_owned();
    // rustc exits with 1 for errors in the code; anything else means it did
    // not get as far as judging the snippet.
    if !output.status.success() && output.status.code() != Some(1) {
        bail!("rustc failed on {name} ({}):\n{messages}", output.status);
    }
    Ok(RustcReport {
        file: name.to_owned(),
        source: source.to_owned(),
        compiled: output.status.success(),
        messages,
    })
}

/// A sysroot in `scratch` that links to every part of rustc's own except the
/// standard library's source (the optional `rust-src` component).
///
/// A note that points into the standard library then reads
/// `/rustc/<commit>/library/...` on every machine: with `rust-src` installed,
/// rustc would print the local copy's path instead, and quote its lines.
fn sysroot_without_sources(rustc: &OsStr, scratch: &Path) -> anyhow::Result<PathBuf> {
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .with_context(|| format!("running {} --print sysroot", rustc.to_string_lossy()))?;
    if !output.status.success() {
        bail!(
            "{} --print sysroot failed: {}",
            rustc.to_string_lossy(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let real = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let sysroot = scratch.join("sysroot");
    let rustlib = sysroot.join("lib").join("rustlib");
    std::fs::create_dir_all(&rustlib).with_context(|| format!("creating {}", rustlib.display()))?;
    let real_rustlib = real.join("lib").join("rustlib");
    let entries = std::fs::read_dir(&real_rustlib)
        .with_context(|| format!("listing {}", real_rustlib.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", real_rustlib.display()))?;
        if entry.file_name() != "src" {
            let link = rustlib.join(entry.file_name());
            std::os::unix::fs::symlink(entry.path(), &link)
                .with_context(|| format!("linking {}", link.display()))?;
        }
    }
    Ok(sysroot)
}

impl NotebookDisplay for RustcReport {
    /// Shows the snippet, then rustc's messages exactly as printed.
    fn evcxr_display(&self) {
        let verdict = if self.compiled {
            "it compiles"
        } else {
            "it does not compile"
        };
        let text = format!(
            "// crate/snippets/{file}\n{source}\n$ rustc --edition 2024 --crate-type lib {file}\n{messages}\n({verdict})",
            file = self.file,
            source = self.source.trim_end(),
            messages = self.messages.trim_end(),
        );
        emit_to_notebook(&[("text/plain", &text)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_counter_race_is_refused_with_e0499() {
        let report = rustc_says("shared_counter_race.rs").unwrap();
        assert!(!report.compiled);
        assert!(
            report.messages.starts_with(
                "error[E0499]: cannot borrow `users_searched` as mutable more than once at a time\n  --> shared_counter_race.rs:"
            ),
            "{}",
            report.messages
        );
        // With or without rust-src installed, the note into std reads the same.
        assert!(
            report.messages.contains("\n  --> /rustc/")
                && report
                    .messages
                    .contains("/library/std/src/thread/scoped.rs:"),
            "{}",
            report.messages
        );
    }

    #[test]
    fn an_unawaited_future_compiles_with_the_must_use_warning() {
        let report = rustc_says("unawaited_future.rs").unwrap();
        assert!(report.compiled, "{}", report.messages);
        assert!(
            report
                .messages
                .starts_with("warning: unused implementer of `Future` that must be used"),
            "{}",
            report.messages
        );
        assert!(
            report
                .messages
                .contains("futures do nothing unless you `.await` or poll them")
        );
    }

    #[test]
    fn an_unknown_snippet_is_a_clear_error() {
        let error = rustc_says("missing.rs").unwrap_err();
        assert_eq!(
            error.to_string(),
            "no snippet named `missing.rs`; known: shared_counter_race.rs, unawaited_future.rs"
        );
    }
}
