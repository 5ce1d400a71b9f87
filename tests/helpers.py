"""Helpers shared by the test files: reading a notebook's code cells and what
they printed. Test files import from here, never from one another."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The post's Python executed on ipykernel (reference/make_python_reference.py).
PYTHON_POST = ROOT / "reference" / "python-post.ipynb"


def code_cells(path):
    """The code cells of the notebook at `path`, as plain dicts."""
    cells = json.loads(path.read_text())["cells"]
    return [cell for cell in cells if cell["cell_type"] == "code"]


def stdout_lines(cell):
    """The lines a cell printed on stdout, in order."""
    text = "".join(
        "".join(output["text"])
        for output in cell.get("outputs", [])
        if output["output_type"] == "stream" and output["name"] == "stdout"
    )
    return text.splitlines()
