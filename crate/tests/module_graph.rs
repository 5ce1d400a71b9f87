//! The crate's files import one another without a cycle: no file imports a
//! file that imports it back, directly or through others. A cycle means
//! neither file can be read, changed or tested without the other, and it
//! usually hides a helper that belongs to neither (as `timed_call` once sat
//! in `llm/runs.rs`, imported by `llm/retry.rs`, which `runs.rs` imported).
//!
//! Every `crate::...` path of a file counts, in `use` items and in code,
//! tests included, as do a `mod.rs` file's re-exports of its children
//! (`pub use child::Item`). A path counts for the deepest file module it
//! names: `crate::llm::mock::wire::Usage` is `llm/mock/wire.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// Each file of `src/` by its module path: `["llm", "mock"]` for
/// `llm/mock/mod.rs`, `[]` for `lib.rs`.
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut modules = BTreeMap::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("src/ and its folders are readable") {
            let path = entry.expect("a readable folder entry").path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|extension| extension != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("a file below src/");
            let mut module: Vec<String> = relative
                .with_extension("")
                .iter()
                .map(|part| part.to_string_lossy().into_owned())
                .collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            modules.insert(module, relative.to_path_buf());
        }
    }
    modules
}

/// The module paths a file names: each `crate::` path in full, and each
/// path of a `use` item starting with a child module's name (in a `mod.rs`
/// or `lib.rs`, `pub use child::Item`), prefixed with the file's own module.
#[derive(Default)]
struct Paths {
    own_module: Vec<String>,
    children: BTreeSet<String>,
    named: Vec<Vec<String>>,
}

impl Paths {
    /// Records the module paths of the use tree `tree` below `prefix`.
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix, tree);
                }
            }
            syn::UseTree::Name(syn::UseName { ident })
            | syn::UseTree::Rename(syn::UseRename { ident, .. }) => {
                prefix.push(ident.to_string());
                self.name(prefix);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.name(prefix),
        }
    }

    /// Keeps `path` if it starts at the crate or at a child module.
    fn name(&mut self, path: &[String]) {
        match path.split_first() {
            Some((first, rest)) if first == "crate" => self.named.push(rest.to_vec()),
            Some((first, _)) if self.children.contains(first) => {
                self.named.push([&self.own_module[..], path].concat());
            }
            _ => {}
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path
            .segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect();
        if segments.first().is_some_and(|first| first == "crate") {
            self.name(&segments);
        }
        syn::visit::visit_path(self, path);
    }
}

/// Which files each file of `src/` imports, itself left out.
fn imports(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let modules = modules(src);
    let mut imports = BTreeMap::new();
    for (module, file) in &modules {
        let text = std::fs::read_to_string(src.join(file)).expect("a readable source file");
        let syntax = syn::parse_file(&text)
            .unwrap_or_else(|error| panic!("src/{} does not parse: {error}", file.display()));
        let children = modules
            .keys()
            .filter(|other| other.len() == module.len() + 1 && other.starts_with(module))
            .map(|child| child[module.len()].clone())
            .collect();
        let mut paths = Paths {
            own_module: module.clone(),
            children,
            ..Paths::default()
        };
        paths.visit_file(&syntax);
        let imported = paths
            .named
            .iter()
            .filter_map(|path| {
                (0..=path.len())
                    .rev()
                    .find_map(|length| modules.get(&path[..length]))
            })
            .filter(|imported| *imported != file)
            .cloned()
            .collect();
        imports.insert(file.clone(), imported);
    }
    imports
}

/// The import cycles a depth-first search meets, at least one through every
/// group of files caught in cycles, each as its files in order with the
/// first repeated at the end (`a.rs -> b.rs -> a.rs`).
fn cycles(imports: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<String> {
    /// Walks the imports of `file`, with `trail` the files that led to it.
    fn walk<'a>(
        file: &'a PathBuf,
        imports: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        trail: &mut Vec<&'a PathBuf>,
        done: &mut BTreeSet<&'a PathBuf>,
        found: &mut Vec<String>,
    ) {
        if let Some(start) = trail.iter().position(|seen| *seen == file) {
            let names: Vec<String> = trail[start..]
                .iter()
                .chain([&file])
                .map(|file| file.display().to_string())
                .collect();
            found.push(names.join(" -> "));
            return;
        }
        if !done.insert(file) {
            return;
        }
        trail.push(file);
        for imported in imports.get(file).into_iter().flatten() {
            walk(imported, imports, trail, done, found);
        }
        trail.pop();
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for file in imports.keys() {
        walk(file, imports, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = cycles(&imports(&src));
    assert!(
        found.is_empty(),
        "import cycles in src/:\n{}",
        found.join("\n")
    );
}

/// The check itself finds a cycle, through a third file too, and names the
/// files in order.
#[test]
fn a_cycle_through_three_files_is_found() {
    let file = |name: &str| PathBuf::from(name);
    let imports = BTreeMap::from([
        (file("a.rs"), BTreeSet::from([file("b.rs")])),
        (file("b.rs"), BTreeSet::from([file("c.rs")])),
        (file("c.rs"), BTreeSet::from([file("a.rs")])),
        (file("d.rs"), BTreeSet::from([file("a.rs")])),
    ]);
    assert_eq!(cycles(&imports), ["a.rs -> b.rs -> c.rs -> a.rs"]);
}

/// Read from files: a `crate::` path in a `use` group and one in code, and
/// a `mod.rs` re-exporting its child, each count for the file they name.
#[test]
fn imports_are_read_from_use_groups_code_and_re_exports() {
    let src = tempfile::tempdir().unwrap();
    let write = |file: &str, text: &str| {
        let path = src.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("lib.rs", "pub mod a;\nuse std::fmt;\n");
    write("a/mod.rs", "mod b;\nmod c;\npub use b::Shown;\n");
    write(
        "a/b.rs",
        "use crate::{a::c::{self, Helper}};\npub struct Shown;\n",
    );
    write(
        "a/c.rs",
        "pub struct Helper;\nfn f() { let _ = crate::a::b::Shown; }\n",
    );
    let imports = imports(src.path());
    let files = |names: &[&str]| names.iter().map(PathBuf::from).collect::<BTreeSet<_>>();
    assert_eq!(imports[Path::new("lib.rs")], files(&[]));
    assert_eq!(imports[Path::new("a/mod.rs")], files(&["a/b.rs"]));
    assert_eq!(imports[Path::new("a/b.rs")], files(&["a/c.rs"]));
    assert_eq!(imports[Path::new("a/c.rs")], files(&["a/b.rs"]));
    assert_eq!(cycles(&imports), ["a/b.rs -> a/c.rs -> a/b.rs"]);
}
