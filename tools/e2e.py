"""Step through every notebook in JupyterLab, in a real browser, as a learner does.

Starts JupyterLab from the project venv on 127.0.0.1 (a free port, a random
token) over a scratch copy of notebooks/, so nothing the run does is saved into
the committed files. Debian's Chromium, driven by Playwright, opens each
notebook, runs all cells through JupyterLab's own command, and waits for the
kernel to go idle. Checks per notebook:

- no error output (but in cells tagged `raises-exception`), and no panic on stderr;
- every image/svg+xml output rendered as an image that loaded;
- notebook 01: the unawaited future's value and "async" are visible, and while
  the sync run is still running, some but not all of its lines are visible
  (output streams live, as in the post);
- notebook 05: its two timelines (the task group, the queue) are drawn;
- notebook 01: one exercise solved as a learner would: the solution from
  exercises/solutions/ pasted over the exercise cell in its editor, the cell
  and its check run again with Shift+Enter, and the check shows ✓ and
  "solved" on the page (a screenshot of it too);
- a screenshot of the whole notebook in target/e2e/.

JupyterLab, its kernels and the browser are stopped at the end, also when a
check fails; every wait is bounded.

    e2e.py [--timeout SECONDS_PER_NOTEBOOK] [NOTEBOOK.ipynb ...]   (default: all)
"""
import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "e2e"
CHROMIUM = "/usr/bin/chromium"
# Flags for a headless root container with no outside network.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WALKTHROUGH = "01-asyncio-walkthrough.ipynb"
SYNC_RUN_CELL = "let sync_run: Timeline = process_sync();"
SYNC_RUN_LINES = 10
ASYNCIO_TO_TOKIO = "05-asyncio-to-tokio.ipynb"
SOLVED_IN_THE_BROWSER = "searches-together"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scratch_copy() -> Path:
    """notebooks/ copied beside a link to crate/, so `:dep ../crate` still works."""
    work = OUT / "work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    (work / "crate").symlink_to(ROOT / "crate")
    return work / "notebooks"


# JupyterLab settings for the run: every cell stays in the page (by default
# cells out of view are not rendered, so their outputs could not be checked),
# and no news prompt covers the screenshot.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def start_lab(root_dir: Path, port: int, token: str) -> subprocess.Popen:
    """JupyterLab with its own settings, config and data directories under
    target/e2e, so the run neither reads nor writes the user's."""
    home = OUT / "jupyter"
    shutil.rmtree(home, ignore_errors=True)
    for relative, settings in LAB_SETTINGS.items():
        path = home / "settings" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    command = [
        str(ROOT / ".venv" / "bin" / "jupyter"), "lab", "--no-browser",
        "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}", "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={home / 'settings'}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"))
    log = open(OUT / "jupyterlab.log", "w")
    return subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )


def wait_until_serving(base: str, token: str, lab: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lab.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early; see {OUT / 'jupyterlab.log'}")
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer within {timeout:.0f} s")


def stop_lab(lab: subprocess.Popen) -> None:
    """SIGTERM lets the server shut its kernels down; then make sure."""
    if lab.poll() is None:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait()


def cell_text(page: Page, source: str) -> str:
    """The rendered output text of the first cell whose source is `source`."""
    return page.evaluate(
        """(source) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const cell = panel.content.widgets.find(c => c.model.sharedModel.getSource() === source);
            return cell ? cell.node.querySelector('.jp-OutputArea').innerText : '';
        }""",
        source,
    )


def kernel_idle_and_all_run(page: Page) -> bool:
    """Every code cell has an execution count again and the kernel is idle."""
    return page.evaluate(
        """() => {
            const panel = window.jupyterapp.shell.currentWidget;
            const code = panel.content.widgets.filter(cell => cell.model.type === 'code');
            return panel.sessionContext.session?.kernel?.status === 'idle'
                && code.every(cell => cell.model.executionCount !== null);
        }"""
    )


def solve_an_exercise(page: Page, exercise: str, timeout: float) -> list[str]:
    """Pastes the exercise's solution over its starting cell, runs that cell
    and its check with Shift+Enter, and reads what the check says."""
    solution = (ROOT / "exercises" / "solutions" / f"{exercise}.rs").read_text().rstrip("\n")
    before = page.evaluate(
        """(tag) => {
            const notebook = window.jupyterapp.shell.currentWidget.content;
            const index = notebook.widgets.findIndex(c => (c.model.getMetadata('tags') || []).includes(tag));
            notebook.activeCellIndex = index;
            notebook.mode = 'edit';
            notebook.activeCell.editor.focus();
            return notebook.widgets[index + 1].model.executionCount;
        }""",
        f"exercise={exercise}",
    )
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(solution)
    page.keyboard.press("Shift+Enter")  # runs the exercise cell, moves to the check
    page.keyboard.press("Shift+Enter")  # runs the check
    try:
        page.wait_for_function(
            """([tag, before]) => {
                const panel = window.jupyterapp.shell.currentWidget;
                const cells = panel.content.widgets;
                const check = cells.find(c => (c.model.getMetadata('tags') || []).includes(tag));
                // A queued cell's count is null: wait for its new one.
                const count = check.model.executionCount;
                return count !== null && count !== before
                    && panel.sessionContext.session?.kernel?.status === 'idle';
            }""",
            arg=[f"check={exercise}", before],
            timeout=timeout * 1000,
        )
    except Exception as error:  # a Playwright timeout: report it, stop the lab
        return [f"{exercise}: the check did not run again ({error})"]
    shown = page.evaluate(
        """(tag) => {
            const cells = window.jupyterapp.shell.currentWidget.content.widgets;
            const index = cells.findIndex(c => (c.model.getMetadata('tags') || []).includes(tag));
            cells[index].node.scrollIntoView();
            return [cells[index - 1].model.sharedModel.getSource(), cells[index].node.querySelector('.jp-OutputArea').innerText];
        }""",
        f"check={exercise}",
    )
    source, output = shown
    failures = []
    if source.rstrip("\n") != solution:
        failures.append(f"{exercise}: the exercise cell does not hold the pasted solution")
    lines = output.splitlines()
    if not any(line.startswith("✓") for line in lines) or any(line.startswith("✗") for line in lines) \
            or not any(": solved, all" in line for line in lines):
        failures.append(f"{exercise}: the check does not show ✓ solved on the page: {lines[-4:]}")
    page.screenshot(path=str(OUT / f"exercise-{exercise}.png"))
    print(f"  solved {exercise} in the browser: {lines[-1] if lines else ''}")
    return failures


def check_notebook(page: Page, base: str, token: str, name: str, timeout: float) -> list[str]:
    failures = []
    page.goto(f"{base}/lab/tree/{name}?token={token}")
    page.wait_for_function(
        """(name) => {
            const w = window.jupyterapp?.shell.currentWidget;
            return w && w.context?.path.endsWith(name) && w.sessionContext.session?.kernel?.status === 'idle';
        }""",
        arg=name,
        timeout=120_000,
    )
    # Clearing first makes "every cell has a count" mean "every cell ran now".
    page.evaluate(
        """async () => {
            await window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs');
            await window.jupyterapp.commands.execute('notebook:run-all-cells');
        }"""
    )

    deadline = time.monotonic() + timeout
    saw_partial_sync_output = False
    while time.monotonic() < deadline:
        if name == WALKTHROUGH and not saw_partial_sync_output:
            lines = [
                line for line in cell_text(page, SYNC_RUN_CELL).splitlines()
                if "people" in line
            ]
            saw_partial_sync_output = 0 < len(lines) < SYNC_RUN_LINES
        if kernel_idle_and_all_run(page):
            break
        time.sleep(0.2)
    else:
        failures.append(f"{name}: cells still running after {timeout:.0f} s")

    # A cell tagged `raises-exception` shows its error on purpose.
    errors = page.evaluate(
        """() => window.jupyterapp.shell.currentWidget.content.widgets
                 .filter(cell => !(cell.model.getMetadata('tags') || []).includes('raises-exception'))
                 .map(cell => cell.node.querySelectorAll('[data-mime-type="application/vnd.jupyter.error"]').length)
                 .reduce((a, b) => a + b, 0)"""
    )
    if errors:
        failures.append(f"{name}: {errors} error output(s) on the page")
    stderr = page.locator('[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
    if any("panicked at" in text for text in stderr):
        failures.append(f"{name}: a cell panicked")

    svg_outputs = page.locator('.jp-OutputArea-output[data-mime-type="image/svg+xml"]')
    rendered = page.evaluate(
        """() => [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type="image/svg+xml"] img')]
                 .filter(img => img.complete && img.naturalWidth > 0).length"""
    )
    if rendered != svg_outputs.count():
        failures.append(f"{name}: {svg_outputs.count()} SVG outputs, {rendered} rendered as images")

    if name == WALKTHROUGH:
        text = page.locator(".jp-Notebook").inner_text()
        if "<future " not in text or "not started>" not in text:
            failures.append(f"{name}: the unawaited future's value is not visible")
        if '"async"' not in text:
            failures.append(f'{name}: "async" is not visible')
        if not saw_partial_sync_output:
            failures.append(f"{name}: the sync run's lines did not appear while it ran")
        if svg_outputs.count() < 2:
            failures.append(f"{name}: expected the two run timelines, found {svg_outputs.count()} SVGs")

    if name == WALKTHROUGH:
        failures += solve_an_exercise(page, SOLVED_IN_THE_BROWSER, timeout)

    if name == ASYNCIO_TO_TOKIO and svg_outputs.count() < 2:
        failures.append(f"{name}: expected the task group's and the queue's timelines, found {svg_outputs.count()} SVGs")

    shot = OUT / f"{Path(name).stem}.png"
    # The notebook scrolls inside its panel: make the page tall enough to hold it.
    height = page.evaluate("document.querySelector('.jp-WindowedPanel-inner, .jp-Notebook').scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(max(height + 200, 800), 16000)})
    page.screenshot(path=str(shot), full_page=True)
    print(f"  screenshot: {shot.relative_to(ROOT)} ({svg_outputs.count()} SVG outputs)")
    # Shut the kernel down and drop the tab without the "save?" dialog; the
    # scratch copy is thrown away anyway.
    page.evaluate(
        """async () => {
            const panel = window.jupyterapp.shell.currentWidget;
            await panel.sessionContext.shutdown();
            panel.context.model.dirty = false;
            panel.dispose();
        }"""
    )
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=900, help="seconds per notebook")
    parser.add_argument("only", nargs="*", help="notebook file names to run (default: all)")
    args = parser.parse_args()

    if not Path(CHROMIUM).exists():
        print(f"error: {CHROMIUM} not found; install Debian's chromium package", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    notebooks_dir = scratch_copy()
    names = sorted(path.name for path in notebooks_dir.glob("*.ipynb") if not args.only or path.name in args.only)
    port, token = free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    lab = start_lab(notebooks_dir, port, token)
    failures, failed = [], set()
    try:
        wait_until_serving(base, token, lab, timeout=120)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(60_000)
                for name in names:
                    started = time.monotonic()
                    print(f"{name}: running all cells in JupyterLab", flush=True)
                    found = check_notebook(page, base, token, name, args.timeout)
                    failures += found
                    if found:
                        failed.add(name)
                    verdict = "FAILED" if found else "ok"
                    print(f"{name}: {verdict} in {time.monotonic() - started:.0f} s", flush=True)
            finally:
                browser.close()
    finally:
        stop_lab(lab)
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    print(f"{len(names) - len(failed)} passed, {len(failed)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
