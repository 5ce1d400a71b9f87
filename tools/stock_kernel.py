"""A stock evcxr kernel, for comparing with the project's and for checking
what the notebooks do on it.

The kernel spec is what `evcxr_jupyter --install` writes: crates.io's
evcxr_jupyter binary as `cargo install` put it in cargo's bin directory (not
the project kernel's patched build), none of the project launcher's settings (static
linking, no init.evcxr, no prelude), and an empty evcxr config directory so
that a user's own settings do not leak in. Only its build directory is kept,
in target/evcxr-stock, so that a run does not compile every dependency again.
"""
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "rust-stock"


def register(directory: Path) -> str:
    """Writes the stock kernel's spec under `directory` (a Jupyter data
    directory), puts `directory` first on JUPYTER_PATH for this process and
    the kernels it starts, and returns the kernel's name."""
    evcxr = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo")) / "bin" / "evcxr_jupyter"
    if not evcxr.is_file():
        raise FileNotFoundError(f"{evcxr} is missing: `make setup` installs crates.io's evcxr_jupyter there")
    spec_dir = directory / "kernels" / NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    config = directory / "evcxr-config"
    config.mkdir(exist_ok=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [str(evcxr), "--control_file", "{connection_file}"],
        "display_name": "Rust (stock evcxr)",
        "language": "rust",
        "interrupt_mode": "message",
        "env": {"EVCXR_TMPDIR": str(ROOT / "target" / "evcxr-stock"), "EVCXR_CONFIG_DIR": str(config)},
    }, indent=2))
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(directory), os.environ["JUPYTER_PATH"]])
    return NAME
