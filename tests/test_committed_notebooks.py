"""Every committed notebook is a clean, complete run on the Rust kernel.

nbval (run alongside) proves that a fresh run reproduces the committed outputs;
this proves those outputs are worth reproducing: every cell ran, and none
failed, panicked or left a stray `()`.
"""
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from notebook_outputs import problems  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_a_clean_run_on_the_rust_kernel(path):
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "rust"
    assert problems(notebook) == []
