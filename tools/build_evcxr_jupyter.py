"""Build the project kernel's evcxr_jupyter: the crates.io release with
tools/evcxr_jupyter.patch applied (every line a cell prints reaches Jupyter
before the cell's reply; the patch's header says why).

    build_evcxr_jupyter.py VERSION OUT_DIR

Takes the release's .crate from cargo's download cache, or else from
crates.io, checks it against the registry's SHA-256, unpacks it into
OUT_DIR/src, applies the patch with `git apply` and installs the binary as
OUT_DIR/bin/evcxr_jupyter. It builds in OUT_DIR/build, where the Makefile
also builds crates.io's own evcxr_jupyter (the stock kernel), so on a fresh
machine only the patched crate itself compiles twice.
"""
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import urllib.request
from pathlib import Path

PATCH = Path(__file__).with_name("evcxr_jupyter.patch")
# The registry index's checksum of each release the patch is made for
# (https://index.crates.io/ev/cx/evcxr_jupyter).
SHA256 = {"0.22.0": "3ce0d7b3058f68a9673df4f1266b641942fea0ec131881d095306e509a382764"}


def crate_bytes(version: str) -> bytes:
    name = f"evcxr_jupyter-{version}.crate"
    cargo_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    for cached in sorted(cargo_home.glob(f"registry/cache/*/{name}")):
        return cached.read_bytes()
    url = f"https://static.crates.io/crates/evcxr_jupyter/{name}"
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.read()
    except OSError as error:
        raise SystemExit(f"error: downloading {url}: {error}") from error


def main() -> int:
    version, out = sys.argv[1], Path(sys.argv[2]).resolve()
    expected = SHA256.get(version)
    if expected is None:
        print(f"error: {PATCH.name} is made for evcxr_jupyter {', '.join(SHA256)}, not {version}", file=sys.stderr)
        return 1
    data = crate_bytes(version)
    if hashlib.sha256(data).hexdigest() != expected:
        print(f"error: evcxr_jupyter-{version}.crate does not match the registry's checksum", file=sys.stderr)
        return 1
    src = out / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as crate:
        # The "data" filter (refuse links and paths out of src) where this
        # Python has it: 3.12, and security releases of 3.8 to 3.11.
        if hasattr(tarfile, "data_filter"):
            crate.extractall(src, filter="data")
        else:
            crate.extractall(src)
    package = src / f"evcxr_jupyter-{version}"
    subprocess.run(["git", "apply", str(PATCH)], cwd=package, check=True)
    env = {**os.environ, "CARGO_TARGET_DIR": str(out / "build")}
    subprocess.run(
        ["cargo", "install", "--locked", "--force", "--path", str(package), "--root", str(out)],
        env=env,
        check=True,
    )
    print(f"built {out / 'bin' / 'evcxr_jupyter'} ({PATCH.name} applied)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
