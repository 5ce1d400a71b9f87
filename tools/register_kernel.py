"""Register the evcxr Rust kernel inside the project venv.

`evcxr_jupyter --install` writes to $JUPYTER_PATH/kernels/rust when
JUPYTER_PATH is set (the Makefile points it into .venv), so the user's own
Jupyter directory is never touched. We then add EVCXR_TMPDIR to the kernel's
environment, so JupyterLab started any way from this venv reuses the warm
build directory too, and start the kernel through tools/evcxr_kernel.sh,
which gives it the workspace's locked dependency versions.

    register_kernel.py PATH_TO_EVCXR_JUPYTER
"""
import json
import os
import subprocess
import sys
from pathlib import Path


def main() -> int:
    evcxr = sys.argv[1]
    jupyter_path = os.environ.get("JUPYTER_PATH")
    tmpdir = os.environ.get("EVCXR_TMPDIR")
    if not jupyter_path or not tmpdir:
        print("error: run through make: JUPYTER_PATH and EVCXR_TMPDIR must be set", file=sys.stderr)
        return 1
    subprocess.run([evcxr, "--install"], check=True, stdout=subprocess.DEVNULL)
    kernel_json = Path(jupyter_path) / "kernels" / "rust" / "kernel.json"
    spec = json.loads(kernel_json.read_text())
    spec["argv"] = [str(Path(__file__).with_name("evcxr_kernel.sh")), *spec["argv"]]
    spec["env"] = {"EVCXR_TMPDIR": tmpdir}
    kernel_json.write_text(json.dumps(spec, indent=2) + "\n")
    Path(tmpdir).mkdir(parents=True, exist_ok=True)
    print(f"registered the Rust kernel in {kernel_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
