"""tools/evcxr/kernel_dependencies turns on, from the kernel's start, every
feature that a notebook's `:dep` lines give tokio and the crates it is built
from. A notebook whose graph turned on one more would make evcxr build tokio
again as another crate, and the runtime the kernel keeps would no longer fit
its cells ("lazy_arc evcxr_tokio_runtime changed type")."""
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import ROOT

PIN = ROOT / "tools" / "evcxr" / "kernel_dependencies"
# The notebooks' `:dep` lines for the crate: without features, and with `llm`.
CRATE_LINES = ['async_walkthrough = { path = "%s" }', 'async_walkthrough = { path = "%s", features = ["llm"] }']


def features_under_tokio(manifest_dir: Path) -> list[str]:
    """Every package tokio is built from, with its features, as cargo
    resolves them for the package at `manifest_dir`."""
    shutil.copy(ROOT / "Cargo.lock", manifest_dir / "Cargo.lock")
    tree = subprocess.run(
        ["cargo", "tree", "--offline", "-e", "normal,build", "-p", "tokio",
         "--prefix", "none", "-f", "{p} {f}"],
        cwd=manifest_dir, capture_output=True, text=True, check=True,
    )
    return sorted(set(tree.stdout.splitlines()))


def kernel_graph(directory: Path, extra: str) -> Path:
    """A crate depending on kernel_dependencies and on `extra`: the kernel's
    build crate once a notebook's first cell has run."""
    (directory / "src").mkdir(parents=True)
    (directory / "src" / "lib.rs").write_text("")
    (directory / "Cargo.toml").write_text(
        '[package]\nname = "cells"\nversion = "0.1.0"\nedition = "2024"\n\n[dependencies]\n'
        f'kernel_dependencies = {{ path = "{PIN}" }}\n{extra}\n'
    )
    return directory


@pytest.mark.parametrize("line", CRATE_LINES)
def test_no_notebook_dependency_changes_what_tokio_is_built_from(tmp_path, line):
    alone = kernel_graph(tmp_path / "alone", "")
    with_notebook = kernel_graph(tmp_path / "notebook", line % (ROOT / "crate"))
    assert features_under_tokio(with_notebook) == features_under_tokio(alone)
