"""Executing a notebook and reducing its outputs to comparable text.

Shared by repeat_notebook.py and bench_walkthrough.py. The sanitizing rules
are nbval's own file (tools/nbval-sanitize.cfg), so "identical" means the
same here as in `make test`.
"""
import configparser
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

SANITIZE_CFG = Path(__file__).with_name("nbval-sanitize.cfg")


def execute(path: Path, timeout: int, kernel_name: str | None = None) -> nbformat.NotebookNode:
    """Runs the notebook on a fresh kernel and returns it with its outputs."""
    notebook = nbformat.read(path, as_version=4)
    options = {"kernel_name": kernel_name} if kernel_name else {}
    client = NotebookClient(
        notebook,
        timeout=timeout,
        startup_timeout=120,
        record_timing=False,  # wall-clock stamps would change the file every run
        resources={"metadata": {"path": str(path.parent)}},
        **options,
    )
    client.execute()
    return notebook


def sanitizers() -> list[tuple[re.Pattern, str]]:
    config = configparser.ConfigParser(interpolation=None)
    config.read(SANITIZE_CFG)
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def cell_outputs(notebook: nbformat.NotebookNode) -> list[list[str]]:
    """Per code cell: its streams joined by name, then its results, sanitized."""
    rules = sanitizers()

    def clean(text: str) -> str:
        for pattern, replacement in rules:
            text = pattern.sub(replacement, text)
        return text

    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        streams: dict[str, str] = {}
        results = []
        for output in cell.outputs:
            if output.output_type == "stream":
                streams[output.name] = streams.get(output.name, "") + output.text
            elif output.output_type in ("execute_result", "display_data"):
                results += [f"{mime}: {data}" for mime, data in sorted(output.data.items())]
            else:
                results.append(f"{output.output_type}: {output.get('ename', '')}")
        cells.append([clean(f"{name}: {text}") for name, text in sorted(streams.items())]
                     + [clean(r) for r in results])
    return cells


def problems(notebook: nbformat.NotebookNode) -> list[str]:
    """What makes an executed notebook unfit to commit, one line per cell.

    evcxr reports a panicking cell as a success with the panic on stderr, so a
    panic must be looked for in the output, not in the execution status.
    """
    found = []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells):
        where = f"Cell {number} ({cell.source.splitlines()[0] if cell.source else ''!r})"
        if cell.source.strip() and cell.execution_count is None:
            found.append(f"{where}: never executed")
        for output in cell.get("outputs", []):
            if output.output_type == "error" and "raises-exception" not in cell.metadata.get("tags", []):
                found.append(f"{where}: error {output.get('ename', '')}: {output.get('evalue', '')}")
            elif output.output_type == "stream" and "panicked at" in output.text:
                found.append(f"{where}: panicked: {output.text.strip()}")
            elif output.output_type == "execute_result" and output.data.get("text/plain") == "()":
                found.append(f"{where}: stray () result; end the cell with ';'")
    return found
