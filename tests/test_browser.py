"""Lesson 5 in a real browser: JupyterLab on loopback, driven in headless Chromium by Playwright.

Run All, press Start, move α and γ with the keyboard while the DQN trains: the agent records the
changes while it trains, the figure changes after each move, and its return panel keeps updating.

Debian's chromium is used as installed (`make chromium`); Playwright never downloads a browser.
Without chromium the test skips on a learner's machine and fails in CI (CI=true), where `.ci/run`
installs it first.
"""

import contextlib
import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import polling
import pytest

from helpers.tooling import notebooks

pytestmark = pytest.mark.browser
# Each poll asks the page (a pixel checksum of the figure, say): 5 a second is plenty.
wait_until = functools.partial(polling.wait_until, interval=0.2)

CHROMIUM = Path("/usr/bin/chromium")
LESSON = "05_steer_training_live.ipynb"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
# JupyterLab user settings for this run only: no news toast, no update check, no autosave.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


def require_browser():
    """Skip (or, under CI=true, fail) when chromium or Playwright is missing."""
    missing = [] if CHROMIUM.exists() else [f"{CHROMIUM} (install it with `make chromium`)"]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (`make setup` installs it)")
    if missing:
        message = "the browser test needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must run this test, not skip it")
        pytest.skip(message)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Poll the server's REST API until it answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"jupyter lab did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab as `make lab` starts it, with private config, runtime and settings directories."""
    require_browser()
    tmp = tmp_path_factory.mktemp("lab")
    # A copy of the lessons: the browser runs cells, and a save must never put outputs into the repo.
    root = tmp / "notebooks"
    root.mkdir()
    for lesson in notebooks.lessons():
        shutil.copy(lesson, root)
    for name, values in LAB_SETTINGS.items():
        (tmp / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "settings" / name).write_text(json.dumps(values))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               IPYTHONDIR=str(tmp / "ipython"),
               QKIT_FAST="1")  # the kernel inherits it: Run All takes seconds; Start still trains until Stop
    port, token = free_port(), uuid.uuid4().hex
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={root}", "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")  # as `make lab` does: jupyter refuses to run as root without it
    log = tmp / "jupyter.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(f"{base}/api/status?token={token}", proc, log)
        yield f"{base}/lab/tree/{LESSON}?token={token}"
    finally:
        proc.terminate()  # the server shuts its kernels down on SIGTERM
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Page:
    """The Playwright page, and the errors its console reported."""

    def __init__(self, page):
        self.page, self.errors = page, []
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))


@pytest.fixture
def browser_page(lab, tmp_path):
    """A headless Chromium page; console errors and uncaught page errors are collected."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(60_000)
            yield Page(page)
        finally:
            with contextlib.suppress(Exception):  # the browser may already be gone
                page.screenshot(path=str(tmp_path / "last.png"), full_page=False)  # for a failing run
            browser.close()


# The status bar says "Python 3 (ipykernel) | Idle" once the kernel is connected and idle (the
# toolbar's indicator already says idle earlier, while the status bar still reads "No Kernel").
KERNEL_IDLE = "() => (document.querySelector('#jp-main-statusbar')?.textContent ?? '').includes('(ipykernel) | Idle')"


def run_all_cells(page) -> None:
    """Run > Run All Cells, then wait until every code cell has run and the kernel is idle."""
    page.wait_for_function(KERNEL_IDLE)  # a click before that opens a "Select Kernel" dialog
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.get_by_text("Run All Cells", exact=True).click()
    page.wait_for_function("""() => {
        const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
        return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
    }""", timeout=90_000)
    page.wait_for_function(KERNEL_IDLE)


def run_code(page, code: str, marker: str) -> str:
    """Add a cell at the end of the notebook, run it, and return the output line that holds marker."""
    page.locator(".jp-Notebook .jp-Cell").last.click()
    page.keyboard.press("Escape")  # command mode
    page.keyboard.press("b")  # a new cell below, selected
    page.keyboard.press("Enter")  # edit it
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")
    output = page.locator(".jp-OutputArea-output", has_text=marker).first
    output.wait_for()
    return next(line for line in output.inner_text().splitlines() if line.startswith(marker))


def kernel_state(page, n: int, knobs=("alpha", "gamma")) -> dict:
    """The agent's status, step count, knobs and recorded changes, read back from the kernel."""
    marker = f"QKIT-STATE-{n}"
    fields = ", ".join(['"status": agent.status', '"step": agent.step_count', '"changes": agent.history.changes',
                        *(f'"{k}": agent.params.{k}' for k in knobs)])
    text = run_code(page, f'import json; print("{marker}", json.dumps({{{fields}}}))', marker)
    return json.loads(text[len(marker):])


def image_fingerprint(page, top: float = 0.0) -> str:
    """A checksum of the dashboard figure's pixels below `top` (a fraction of its height), as the browser
    shows them ('' between two frames)."""
    # Drawn from the <img> element itself: fetching its blob: URL could race with the widget
    # revoking it when the next frame arrives (and log a console error of our own making).
    return page.locator("img.widget-image").first.evaluate("""async (img, top) => {
        try { await img.decode(); } catch (e) { /* a newer frame replaced this one: draw what is shown */ }
        if (!img.naturalWidth) return '';  // caught while one frame replaces another: no picture yet
        const y0 = Math.floor(img.naturalHeight * top), w = img.naturalWidth, h = img.naturalHeight - y0;
        const c = document.createElement('canvas');
        c.width = w; c.height = h;
        const ctx = c.getContext('2d'); ctx.drawImage(img, 0, -y0);
        const px = ctx.getImageData(0, 0, w, h).data;
        let x = 0; for (let i = 0; i < px.length; i++) x = (x * 31 + px[i]) >>> 0;
        return `${w}x${h}:${x}`;
    }""", top)


# The DQN's figure (plots.TrainingFigure with returns=True): Q and loss on top, the episode-return
# panel across the bottom row, from about 64% of the image's height down (axis labels included).
RETURN_PANEL_TOP = 0.64


def new_frame(page, than: str = "", timeout: float = 10, what: str = "a figure", top: float = 0.0) -> str:
    """Wait until the dashboard shows a frame (or, with top, its lower part) other than `than`; its fingerprint."""
    def shown():
        fp = image_fingerprint(page, top)
        return fp if fp not in ("", than) else None

    return wait_until(shown, timeout, what)


def test_steer_training_live_in_jupyterlab(lab, browser_page, tmp_path):
    page = browser_page.page
    page.goto(lab)
    page.locator(".jp-Notebook").wait_for()
    run_all_cells(page)

    status = page.locator(".widget-html", has_text="greedy return").first  # the DQN's status line
    dashboard = page.locator(".jp-OutputArea-output", has=page.locator("img.widget-image")).first
    first = kernel_state(page, 1)  # what the lesson's own cells left behind (α = 1, γ = 0 after Step 5)

    page.locator("button.jupyter-button", has_text="Start").first.click()
    wait_until(lambda: "running" in status.inner_text(), 20, "the status line to say 'running'")
    time.sleep(1.5)  # let steps pass, so that the change lands in the middle of the run
    before = new_frame(page, what="the first frame of the figure")
    returns_before = image_fingerprint(page, RETURN_PANEL_TOP)

    alpha = page.locator(".widget-slider", has_text="alpha")
    start_value = float(alpha.locator(".widget-readout").inner_text())
    alpha.locator(".noUi-handle").focus()
    for _ in range(5):  # α starts at 1, the slider's top: move it down
        page.keyboard.press("ArrowLeft")
    wait_until(lambda: float(alpha.locator(".widget-readout").inner_text()) == round(start_value - 0.05, 2),
               10, "the alpha slider to move by 5 steps of 0.01")
    new_frame(page, than=before, what="the figure to change while training runs")

    gamma = page.locator(".widget-slider", has_text="gamma")
    gamma_start = float(gamma.locator(".widget-readout").inner_text())
    after_alpha = new_frame(page, what="a frame after alpha moved")
    gamma.locator(".noUi-handle").focus()
    for _ in range(3):  # γ is 0 after the lesson's Step 5, the slider's bottom: move it up
        page.keyboard.press("ArrowRight")
    wait_until(lambda: float(gamma.locator(".widget-readout").inner_text()) == round(gamma_start + 0.03, 2),
               10, "the gamma slider to move by 3 steps of 0.01")
    new_frame(page, than=after_alpha, what="the figure to change after gamma moved")
    # The return panel (new episodes, their moving average) changes as training goes on: each
    # lifecycle step is 256 environment steps, and CartPole episodes end within a few hundred.
    new_frame(page, than=returns_before, timeout=30, what="the return panel to update", top=RETURN_PANEL_TOP)
    time.sleep(2)  # a few more frames (about 2 a second), then a picture for whoever debugs this test
    dashboard.screenshot(path=str(tmp_path / "dashboard.png"))

    state = kernel_state(page, 2)
    moves = [c for c in state["changes"][len(first["changes"]):] if c[1] == "alpha"]
    assert moves, f"no alpha change reached the agent: {state['changes']}"
    assert state["alpha"] == pytest.approx(start_value - 0.05)
    assert moves[-1][3] == pytest.approx(start_value - 0.05)
    assert moves[0][0] > first["step"], "the change should land while the agent trains"
    gamma_moves = [c for c in state["changes"][len(first["changes"]):] if c[1] == "gamma"]
    assert gamma_moves and state["gamma"] == pytest.approx(gamma_start + 0.03), state["changes"]
    assert gamma_moves[0][0] >= moves[-1][0], "gamma moved after alpha, while training went on"
    assert state["status"] == "running", "training must go on after the sliders moved"
    assert state["step"] > moves[-1][0], "the agent should have trained steps with the new alpha"

    page.locator("button.jupyter-button", has_text="Stop").first.click()
    wait_until(lambda: "stopped" in status.inner_text(), 20, "the status line to say 'stopped'")

    # Readable on a projector at 100% zoom: the figure is shown at its own size (not shrunk), and in
    # the frame just shown (the lesson's knob changes and ours marked) no two texts overlap.
    zoom, shown, natural = page.locator("img.widget-image").first.evaluate(
        "img => [window.devicePixelRatio, img.clientWidth, img.naturalWidth]")
    assert zoom == 1 and natural >= 1000 and shown >= 0.95 * natural, (zoom, shown, natural)
    boxes = json.loads(run_code(page, 'import json; from helpers.views import dashboard as D; '
                                      'print("QKIT-BOXES", json.dumps(D._LIVE["default"]._figure.text_boxes()))',
                                "QKIT-BOXES")[len("QKIT-BOXES"):])
    overlapping = [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                   if not (a[1][2] <= b[1][0] or b[1][2] <= a[1][0] or a[1][3] <= b[1][1] or b[1][3] <= a[1][1])]
    assert len(boxes) > 20 and not overlapping, overlapping
    assert not browser_page.errors, "the browser console reported errors:\n" + "\n".join(browser_page.errors)
