"""Every command the docs tell a user to run still works.

Reads each ```sh block of README.md and docs/*.md and holds every command in
it (a line, with its backslash continuations and any quoted text spanning
lines) to one of two tables:

- RUN: commands this file runs itself, long ones with small arguments (a
  sweep to 100 searches, the standalone servers on ports picked here and
  stopped before the test ends);
- ELSEWHERE: commands another `make` target or CI already runs, or that
  cannot run here, each with the reason.

A documented command in neither table fails, and so does an entry of either
table that no document mentions any more, so the docs and this file change
together. Commands in inline code are held too: a `cargo run` or `cargo
bench` in backticks must be one of the blocks' commands, and a `make` target
named in backticks must exist in the Makefile.
"""
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
FENCED = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`([^`\n]+)`")
# Long enough for cargo to build an example from scratch on a busy machine.
BUILD_TIMEOUT_S = 900


def split_commands(block):
    """The commands of one sh block: comment-only and blank lines dropped,
    lines ending in a backslash or inside an open quote joined to the next."""
    commands, pending = [], ""
    for line in block.splitlines():
        pending = f"{pending}\n{line}" if pending else line
        if pending.endswith("\\"):
            continue
        try:
            tokens = shlex.split(pending, comments=True)
        except ValueError:  # a quote still open: the command goes on
            continue
        if tokens:
            commands.append((" ".join(tokens), pending))
        pending = ""
    assert not pending, f"unterminated command: {pending!r}"
    return commands


def documented_commands():
    """{command, its words joined by single spaces: (raw text, where)}."""
    found = {}
    for doc in DOCS:
        for block in SH_BLOCK.findall(doc.read_text()):
            for key, raw in split_commands(block):
                found.setdefault(key, (raw, doc.relative_to(ROOT).as_posix()))
    return found


DOCUMENTED = documented_commands()

# Commands this file does not run, and why. Each is run by another target of
# `make test` or by CI, or needs what a test here cannot have.
KERNEL = "starts the Rust Jupyter kernel: make notebook-test (part of make test) runs every notebook on it"
ELSEWHERE = {
    "make lab": "starts JupyterLab and waits for a browser; make e2e (CI, .ci/run) runs the notebooks through JupyterLab",
    "make run": KERNEL,
    "make record": KERNEL + "; it also rewrites the committed notebooks",
    "make test": "the command CI runs (.ci/run); this file is one of its tests",
    "make e2e": "CI runs it after make test (.ci/run)",
    "make bench-walkthrough": KERNEL + "; it times notebook 01 against ipykernel for minutes",
    "make repeat-walkthrough": KERNEL + "; 20 runs of notebook 01",
    "make repeat-exercises": KERNEL + "; 20 runs of every exercise's starting code and check",
    "make repeat-notebook NOTEBOOK=notebooks/03-scale.ipynb RUNS=5": KERNEL,
    "make record NOTEBOOKS=notebooks/05-asyncio-to-tokio.ipynb": KERNEL + "; it rewrites notebook 05 "
    "and its twin, which test_asyncio_to_tokio.py holds to each other",
    "cd reference && ../.venv/bin/python make_python_reference.py": "starts a python3 Jupyter kernel and "
    "rewrites reference/python-post.ipynb, which test_reference.py holds notebook 01 to",
    "make reliability": "its tests are part of cargo test --all-features in make check (make test)",
    "make repeat-spawn-blocking": "its test, crate/tests/spawn_blocking_runs.rs, runs 3 times in "
    "cargo test --all-features in make check (make test); 200 runs take 14 minutes",
    "make bench-serving": "builds oha with cargo install (minutes) and the llm examples in release; "
    "its servers are the standalone examples run by test_standalone_servers",
    "make bench-serving CONNECTIONS=1000 LATENCY_MS=500": "as make bench-serving",
    "cargo run --release -p async_walkthrough --features llm --example serve_bench -- --connections 5000 "
    "--latency-ms 1000": "a release build of the HTTP stack (minutes); the load test it runs, "
    "serving::load_test, is exercised by cargo test --all-features in make check",
    "LLM_BASE_URL=http://127.0.0.1:11434/v1 LLM_MODEL=llama3.2 make lab": "needs a real model server "
    "and a browser; make test runs notebook 04 against the mock",
    "pip-compile --no-emit-find-links --no-emit-index-url --output-file=requirements.txt --strip-extras "
    "requirements.in": "needs PyPI and pip-tools; test_requirements_txt_is_compiled_from_requirements_in "
    "checks its result instead",
}

# Commands run below, each named by the test that runs it.
RUN = {}


def runs(*commands):
    def register(test):
        for command in commands:
            RUN[command] = test.__name__
        return test
    return register


def documented(command):
    """The command's text as the docs have it (one of RUN's entries)."""
    assert command in DOCUMENTED, f"no longer documented: {command!r}"
    return DOCUMENTED[command][0]


def with_replaced(raw, *pairs):
    for old, new in pairs:
        assert old in raw, f"{old!r} not in {raw!r}"
        raw = raw.replace(old, new)
    return raw


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bash(command, timeout, **kwargs):
    return subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, **kwargs)


class Server:
    """A documented server command in a process group of its own, its first
    stdout line read; stop() ends the whole group, so nothing outlives it."""

    def __init__(self, command):
        self.process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, start_new_session=True)
        line = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(BUILD_TIMEOUT_S)
        self.line = line[0].rstrip("\n") if line else ""

    def stop(self):
        """SIGTERM, as Ctrl-C would, then SIGKILL if the group does not end."""
        group = self.process.pid
        if self.process.poll() is None:
            os.killpg(group, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(group, signal.SIGKILL)
                self.process.wait()
        try:
            os.killpg(group, signal.SIGKILL)  # anything the command left behind
        except ProcessLookupError:
            pass
        return self.process.returncode


def http(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, json.loads(answer.read())


# --- the tables -------------------------------------------------------------------


def test_the_docs_have_commands():
    assert len(DOCUMENTED) >= 10, sorted(DOCUMENTED)


def test_every_documented_command_is_run_here_or_listed():
    missing = [f"{where}: {command}" for command, (_, where) in DOCUMENTED.items()
               if command not in RUN and command not in ELSEWHERE]
    assert missing == [], "documented commands no test covers (add them to RUN or ELSEWHERE):\n" + \
        "\n".join(missing)


def test_every_entry_is_still_documented():
    stale = [command for command in [*RUN, *ELSEWHERE] if command not in DOCUMENTED]
    assert stale == [], f"entries for commands no document has any more: {stale}"


def test_no_command_is_both_run_and_listed():
    assert set(RUN) & set(ELSEWHERE) == set()


def makefile_targets():
    return set(re.findall(r"^([A-Za-z0-9_.-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def test_inline_commands_are_documented_ones():
    targets = makefile_targets()
    problems = []
    for doc in DOCS:
        prose = FENCED.sub("", doc.read_text())
        for span in INLINE.findall(prose):
            words = span.split()
            if not words:
                continue
            if words[:2] in (["cargo", "run"], ["cargo", "bench"]) and len(words) > 2 \
                    and " ".join(words) not in DOCUMENTED:
                problems.append(f"{doc.name}: `{span}` is in no sh block")
            if words[0] == "make" and len(words) > 1 and "=" not in words[1] \
                    and words[1] not in targets:
                problems.append(f"{doc.name}: `{span}`: no such Makefile target")
    assert problems == []


def anchors(doc):
    """GitHub's anchors for the headings of a markdown file."""
    headings = re.findall(r"^#+ (.+)$", FENCED.sub("", doc.read_text()), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_links_between_the_docs_resolve():
    problems = []
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)\s]+)\)", FENCED.sub("", doc.read_text())):
            if target.startswith(("http://", "https://")):
                continue
            path, _, anchor = target.partition("#")
            linked = (doc.parent / path).resolve() if path else doc
            if not linked.exists():
                problems.append(f"{doc.name}: {target}: no such file")
            elif anchor and anchor not in anchors(linked):
                problems.append(f"{doc.name}: {target}: no such heading")
    assert problems == []


# --- the commands -----------------------------------------------------------------

MOCK = "cargo run -p async_walkthrough --features llm --example mock_llm -- --port 8000"
SERVE = ("cargo run -p async_walkthrough --features llm --example serve -- --port 8001 "
         "--llm http://127.0.0.1:8000 --http2")
PYTHON_CLIENT = next((command for command in DOCUMENTED if command.startswith(".venv/bin/python -c ")
                      and "from openai import OpenAI" in command), None)


@runs(MOCK, SERVE, *([PYTHON_CLIENT] if PYTHON_CLIENT else []))
def test_standalone_servers():
    """The mock and the serving layer as documented, on ports picked here;
    the documented Python client against the mock; both servers stopped."""
    assert PYTHON_CLIENT is not None, "the docs no longer show the openai client against the mock"
    llm_port, serve_port = free_port(), free_port()
    servers = []
    try:
        mock = Server(with_replaced(documented(MOCK), ("8000", str(llm_port))))
        servers.append(mock)
        llm_url = f"http://127.0.0.1:{llm_port}"
        assert mock.line == f"mock_llm: serving model mock-llm at {llm_url}/v1 (Ctrl-C stops)", \
            mock.process.stderr.read() if mock.process.poll() is not None else mock.line
        assert http(f"{llm_url}/health") == (200, {"status": "ok"})

        serve = Server(with_replaced(documented(SERVE), ("8001", str(serve_port)),
                                     ("8000", str(llm_port))))
        servers.append(serve)
        assert serve.line == (f"serve: answering POST http://127.0.0.1:{serve_port}/ask, asking "
                              f"mock-llm at {llm_url}/v1 over HTTP/2 (Ctrl-C stops)"), serve.line
        status, answer = http(f"http://127.0.0.1:{serve_port}/ask", {"question": "Why async?"})
        assert status == 200
        assert answer["answer"].startswith("Async lets one thread wait"), answer

        client = bash(with_replaced(documented(PYTHON_CLIENT), ("8000", str(llm_port))), timeout=120)
        assert client.returncode == 0, client.stderr
        completed, streamed = client.stdout.splitlines()
        # The mock's one sentence, whole; the serving layer asked for fewer tokens.
        assert completed == streamed
        assert completed.startswith(answer["answer"]) and len(completed) > len(answer["answer"])
    finally:
        codes = [server.stop() for server in servers]
    assert codes == [0, 0], "a server did not stop cleanly on SIGTERM"


SYNC_TEXT = "make sync-text"


@runs(SYNC_TEXT)
def test_sync_text(tmp_path):
    """The documented sync on a copy of every notebook and text file: it
    changes nothing in the committed pairs; then an edit of a text file reaches
    its notebook (outputs and cell ids kept) and an edit of a notebook reaches
    its text file."""
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "notebooks", copy / "notebooks", ignore=shutil.ignore_patterns("data"))
    (copy / "reference").mkdir()
    for path in [ROOT / "Makefile", ROOT / "requirements.txt", *(ROOT / "reference").glob("asyncio-to-tokio.*")]:
        shutil.copy2(path, copy / path.relative_to(ROOT))
    (copy / ".venv").symlink_to(ROOT / ".venv")  # the venv's jupytext, its install stamp
    (copy / "target" / "setup").mkdir(parents=True)
    (copy / "target" / "setup" / "tools").touch()
    os.utime(copy / "target" / "setup" / "tools", (0, 0))  # older than the venv's stamp
    files = sorted(path.relative_to(copy) for folder in ("notebooks", "reference")
                   for path in (copy / folder).iterdir())
    assert len(files) >= 12, files

    def sync():
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", documented(SYNC_TEXT)], cwd=copy,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr

    sync()
    changed = [str(path) for path in files if (copy / path).read_bytes() != (ROOT / path).read_bytes()]
    assert changed == [], f"make sync-text changed committed files: {changed}"

    walkthrough = copy / "notebooks" / "01-asyncio-walkthrough"
    text = walkthrough.with_suffix(".rs").read_text()
    title = next(line for line in text.splitlines() if line.startswith("// # "))
    walkthrough.with_suffix(".rs").write_text(text.replace(title, "// # Edited in the text file", 1))
    twin = copy / "reference" / "asyncio-to-tokio.ipynb"
    notebook = nbformat.read(twin, as_version=4)
    notebook.cells[0].source = "# Edited in the notebook\n" + notebook.cells[0].source
    nbformat.write(notebook, twin)
    later = max((copy / path).stat().st_mtime for path in files) + 10  # newer than its pair
    for path in (walkthrough.with_suffix(".rs"), twin):
        os.utime(path, (later, later))
    sync()

    before = nbformat.read(ROOT / "notebooks" / "01-asyncio-walkthrough.ipynb", as_version=4)
    after = nbformat.read(walkthrough.with_suffix(".ipynb"), as_version=4)
    assert after.cells[0].source.startswith("# Edited in the text file")
    assert [cell.get("outputs") for cell in after.cells] == [cell.get("outputs") for cell in before.cells]
    assert [cell.id for cell in after.cells] == [cell.id for cell in before.cells]
    assert "# # Edited in the notebook\n" in twin.with_suffix(".py").read_text()


SWEEPS = ["make bench", "make bench BENCH_OUT=target/scale.json",
          "make bench BENCH_RUNS=1 BENCH_MAX_TASKS=100 BENCH_OUT=target/scale-check.json"]


def small_sweep(raw, out):
    """The documented sweep with one run per point to 100 searches, written to
    `out` (never to notebook 03's data)."""
    words = [word for word in shlex.split(raw, comments=True)
             if not word.startswith(("BENCH_RUNS=", "BENCH_MAX_TASKS=", "BENCH_OUT="))]
    return shlex.join([*words, "BENCH_RUNS=1", "BENCH_MAX_TASKS=100", f"BENCH_OUT={out}"])


@runs(*SWEEPS)
def test_the_sweep(tmp_path):
    notebook_data = (ROOT / "notebooks" / "data" / "scale.json").read_bytes()
    out = tmp_path / "scale.json"
    commands = {small_sweep(documented(sweep), out) for sweep in SWEEPS}
    assert len(commands) == 1, commands  # the same quick sweep, however documented
    done = bash(commands.pop(), timeout=BUILD_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["runs_per_point"] == 1
    points = {(point["mode"], point["tasks"]): point for point in results["points"]}
    modes = ["gather", "spawn", "current-thread", "threads", "python-asyncio"]
    assert sorted(points) == sorted((mode, n) for mode in modes for n in (10, 100))
    for point in points.values():
        assert 1.0 <= point["wall_s"] < 10, point  # every search sleeps one second
    assert (ROOT / "notebooks" / "data" / "scale.json").read_bytes() == notebook_data


SCALE = "cargo run --release -p async_walkthrough --example scale -- --mode gather --tasks 1000000"
ASYNCIO = "python3 benches/asyncio_scale.py --tasks 100000"


@runs(SCALE, ASYNCIO)
@pytest.mark.parametrize("mode", ["gather", "spawn", "current-thread", "threads", "python-asyncio"])
def test_one_point_of_the_sweep(mode):
    if mode == "python-asyncio":
        command = with_replaced(documented(ASYNCIO), ("--tasks 100000", "--tasks 1000"))
    else:
        command = with_replaced(documented(SCALE), ("--mode gather", f"--mode {mode}"),
                                ("--tasks 1000000", "--tasks 1000"))
    done = bash(command, timeout=BUILD_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    line = json.loads(done.stdout)
    assert line["mode"] == mode and line["tasks"] == 1000
    assert 1.0 <= line["wall_s"] < 10, line
    assert line["peak_rss_mb"] > 0


TIMELINE_BENCH = "cargo bench -p async_walkthrough --bench timeline"


@runs(TIMELINE_BENCH)
def test_the_timeline_benchmark():
    done = bash(documented(TIMELINE_BENCH) + " -- --sample-count 10 --sample-size 10",
                timeout=BUILD_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    for bench in ("step_not_recording", "step_recording", "step_work_alone"):
        assert bench in done.stdout, done.stdout


def test_requirements_txt_is_compiled_from_requirements_in():
    """The documented pip-compile command made requirements.txt (its header
    says so), and every package requirements.in chooses is pinned there."""
    compile_command = next(command for command in ELSEWHERE if command.startswith("pip-compile "))
    documented(compile_command)
    header = (ROOT / "requirements.txt").read_text()
    assert f"#    {compile_command}\n" in header, "requirements.txt was not made by the documented command"
    pinned = {re.sub(r"[-_.]+", "-", name).lower()
              for name in re.findall(r"^([A-Za-z0-9_.-]+)==", header, re.MULTILINE)}
    chosen = [line.split("#")[0].strip() for line in (ROOT / "requirements.in").read_text().splitlines()]
    chosen = [re.sub(r"[-_.]+", "-", name).lower() for name in chosen if name]
    assert chosen and set(chosen) <= pinned, set(chosen) - pinned


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
