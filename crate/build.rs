//! Writes two files for `notebook::listing`, into `OUT_DIR`:
//!
//! - `listed_sources.rs`: the files whose functions `source_of` can show,
//!   each embedded with `include_str!`;
//! - `listings_as_shown.rs`: each of those files with every function replaced
//!   by its listing (what `source_of` shows: no `// timeline` lines), which
//!   the crate's tests compile. A listing that would not compile as shown,
//!   because a hidden line was needed, then fails `cargo test` and clippy
//!   with the compiler's message, instead of reaching a learner.
//!
//! A listing is checked in its own file's company (its imports, private
//! helpers and sibling functions), as the learner is told it lives. The
//! file's `//!` lines (not allowed inside a module) and its `mod tests` are
//! left out.

#[path = "src/notebook/listing/cut.rs"]
mod cut;

use std::path::Path;

/// The files whose functions `source_of` can show, below `src/`, with
/// whether they are compiled only with the `llm` feature.
const LISTED_FILES: &[(&str, bool)] = &[
    ("post/workloads.rs", false),
    ("post/gather.rs", false),
    ("timing/stopwatch.rs", false),
    ("lessons/blocking.rs", false),
    ("lessons/cpu.rs", false),
    ("llm/runs.rs", true),
    ("llm/retry.rs", true),
    ("serving/layer.rs", true),
];

fn main() {
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let llm = std::env::var_os("CARGO_FEATURE_LLM").is_some();
    println!("cargo::rerun-if-changed=src/notebook/listing/cut.rs");
    let mut sources = String::from("&[\n");
    let mut as_shown = String::new();
    for &(file, needs_llm) in LISTED_FILES {
        let path = src.join(file);
        println!("cargo::rerun-if-changed={}", path.display());
        sources += &format!("    ({file:?}, include_str!({:?})),\n", path.display());
        if needs_llm && !llm {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
        let module = file.trim_end_matches(".rs").replace('/', "_");
        as_shown += &format!(
            "/// `src/{file}` as `source_of` shows its functions.\nmod {module} {{\n{}\n}}\n",
            file_as_shown(&text).unwrap_or_else(|error| panic!("src/{file}: {error}"))
        );
    }
    sources += "]\n";
    let out_dir = Path::new(&out_dir);
    std::fs::write(out_dir.join("listed_sources.rs"), sources).expect("writing to OUT_DIR");
    std::fs::write(out_dir.join("listings_as_shown.rs"), as_shown).expect("writing to OUT_DIR");
}

/// `text` with each function `source_of` can show replaced by its listing,
/// and without its `//!` lines and its `#[cfg(test)] mod tests`.
fn file_as_shown(text: &str) -> Result<String, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut shown: Vec<String> = Vec::new();
    let mut next = 0;
    while next < lines.len() {
        let line = lines[next];
        if line.starts_with("//!") {
            next += 1;
        } else if line == "#[cfg(test)]" && lines.get(next + 1) == Some(&"mod tests {") {
            let end = lines[next..]
                .iter()
                .position(|line| *line == "}")
                .ok_or("`mod tests` has no closing brace in column 0")?;
            next += end + 1;
        } else if let Some(name) = cut::function_named(line) {
            let (span, listing) = cut::cut_function(text, name)?
                .ok_or_else(|| format!("`{name}` was found, then not"))?;
            // Its doc comment and attributes, already copied, are part of
            // the listing.
            shown.truncate(shown.len() - (next - span.start));
            shown.push(listing);
            next = span.end;
        } else {
            shown.push(line.to_owned());
            next += 1;
        }
    }
    Ok(shown.join("\n"))
}
