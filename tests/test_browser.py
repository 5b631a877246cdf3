"""The lessons in a real browser: JupyterLab on loopback, driven in headless Chromium by Playwright.

As a student meets them: JupyterLab's default settings (windowing on, the file browser open), a
1280 x 800 window, every lesson run with Run All. For each dashboard (lessons 3 and 5, the second in
tests/test_browser_tabular.py): its figure has a size after Run All, the sliders and the figure fit
one screen, and a slider moved *while a cell trains and waits* takes effect within a second (read
back from the agent's change records) and shows in the figure. A screenshot of each dashboard goes
to results/screenshots/ (not committed), for a reviewer to look at.

Debian's chromium is used as installed (`make chromium`); Playwright never downloads a browser.
Without chromium the test skips on a learner's machine and fails in CI (CI=true), where `.ci/run`
installs it first.
"""

import contextlib
import functools
import json
import os
import re
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
VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOTS = notebooks.NOTEBOOK_DIR.parent / "results" / "screenshots"
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
            context = browser.new_context(viewport=VIEWPORT)  # a classroom projector's screen
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


def run_all_cells(page, timeout: float = 240) -> None:
    """Run > Run All Cells, then wait until every code cell has run and the kernel is idle."""
    page.wait_for_function(KERNEL_IDLE)  # a click before that opens a "Select Kernel" dialog
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.get_by_text("Run All Cells", exact=True).click()
    page.wait_for_function("""() => {
        const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
        return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
    }""", timeout=timeout * 1000)
    page.wait_for_function(KERNEL_IDLE, timeout=timeout * 1000)
    errors = page.locator(".jp-OutputArea-output", has_text="Traceback (most recent call last)")
    assert errors.count() == 0, errors.first.inner_text()[-2000:]


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
    fields = ", ".join(['"status": agent.status', '"step": agent.step_count', '"changes": agent.snapshot()["changes"]',
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




def open_lesson(page, lab_url: str, lesson: str) -> None:
    """Open a lesson as a student does, and check that JupyterLab shows it as it does by default."""
    page.goto(lab_url.replace(LESSON, lesson) + "&reset")  # a fresh workspace: no tab of an earlier test
    page.locator(".jp-Notebook").first.wait_for()
    assert page.locator("#filebrowser").is_visible(), "JupyterLab's default: the file browser sidebar is open"
    assert page.evaluate("() => [innerWidth, innerHeight]") == [VIEWPORT["width"], VIEWPORT["height"]]


# Where the dashboard's figure is, how big it is drawn, and what of it the screen shows.
IMAGE_BOX = """img => {
    const r = img.getBoundingClientRect(), nb = img.closest('.jp-WindowedPanel-outer').getBoundingClientRect();
    return {natural: [img.naturalWidth, img.naturalHeight], shown: [img.clientWidth, img.clientHeight],
            top: r.top, bottom: r.bottom, screen: [nb.top, nb.bottom]};
}"""


def check_dashboard_after_run_all(page, lesson: str) -> dict:
    """Scroll to the dashboard as a student does: its figure has a size, and sliders + figure fit the screen."""
    dashboard = page.locator(".jp-OutputArea-output", has=page.locator("img.widget-image")).first
    for _ in range(2):  # the second scroll corrects for cells laid out only once the first brought them near
        dashboard.evaluate("el => el.scrollIntoView({block: 'start'})")
        time.sleep(1.0)
    assert page.evaluate("""() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')]
        .some(c => getComputedStyle(c).contentVisibility === 'auto')"""), "JupyterLab's default windowing is on"
    image = page.locator("img.widget-image").first
    box = image.evaluate(IMAGE_BOX)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{lesson.split('_')[0]}_dashboard.png"))
    assert box["natural"][0] > 0, f"no frame reached the figure after Run All: {box}"
    assert min(box["shown"]) > 0, f"the figure is blank (zero size) after Run All: {box}"
    return box


def check_fit(page) -> None:
    """With the dashboard scrolled to the top of the notebook, its sliders and whole figure are on screen, unshrunk."""
    page.locator(".jp-OutputArea-output", has=page.locator("img.widget-image")).first.evaluate(
        "el => el.scrollIntoView({block: 'start'})")
    time.sleep(0.5)
    box = page.locator("img.widget-image").first.evaluate(IMAGE_BOX)
    sliders = page.locator(".widget-slider")
    top = min(sliders.nth(i).bounding_box()["y"] for i in range(sliders.count()))
    assert box["screen"][0] - 1 <= top and box["bottom"] <= box["screen"][1] + 1, (
        f"the sliders (from y = {top:.0f}) and the figure (to y = {box['bottom']:.0f}) do not fit one screen "
        f"(the notebook shows y = {box['screen'][0]:.0f} to {box['screen'][1]:.0f}): {box}")
    assert box["shown"][0] >= 0.99 * box["natural"][0], f"the figure is shrunk: {box}"


def status_step(status) -> int:
    """The step count the dashboard's status line shows now ('env step 12,345' or 'step 1,234')."""
    text = status.inner_text()
    return int(re.search(r"step\s+([\d,]+)", text).group(1).replace(",", ""))


def start_cell(page, code: str) -> None:
    """Add a cell at the end of the notebook and run it; return at once (it may run for a while)."""
    page.locator(".jp-Notebook .jp-Cell").last.click()
    page.keyboard.press("Escape")  # command mode
    page.keyboard.press("b")  # a new cell below, selected
    page.keyboard.press("Enter")  # edit it
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")


# A cell runs while its prompt shows [*] (the status bar's "Idle" is not proof: a comm message handled on a
# subshell reports busy, then idle, while the main shell still runs the cell).
CELL_RUNNING = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
                         .some(p => p.textContent.includes('*'))"""


def steer_while_a_cell_waits(page, cell: str, slider: str, key: str, presses: int, status_text: str) -> dict:
    """Run `cell` (it trains and waits); while it runs, press `key` on `slider`; return what was seen when."""
    status = page.locator(".widget-html", has_text=status_text).first  # the dashboard's status line
    before = kernel_state(page, 10, knobs=(slider,))
    start_cell(page, cell)
    page.wait_for_function(CELL_RUNNING)
    wait_until(lambda: "running" in status.inner_text(), 30, "the status line to say 'running'")
    time.sleep(1.5)  # into the run: the change lands in its middle
    note = status.inner_text()
    handle = page.locator(".widget-slider", has_text=slider)
    value = float(handle.locator(".widget-readout").inner_text())
    frame = new_frame(page, what="a frame while the cell runs")
    handle.locator(".noUi-handle").focus()
    step_at_move = status_step(status)  # read first: the first key press may take effect at once
    moved = time.perf_counter()  # CLOCK_MONOTONIC: the kernel's perf_counter reads the same clock
    for _ in range(presses):
        page.keyboard.press(key)
    time.sleep(max(0.0, moved + 1.0 - time.perf_counter()))
    step_after_1s = status_step(status)  # the status line lags at most half a second: a strict reading
    busy_at_1s = page.evaluate(CELL_RUNNING)
    new_frame(page, than=frame, what="the figure to change after the slider moved")
    time.sleep(max(0.0, moved + 4.0 - time.perf_counter()))  # a few frames (one may take a second under load)
    stopped = time.perf_counter()
    page.locator("button.jupyter-button", has_text="Stop").first.click()  # Stop ends the cell's wait too
    page.wait_for_function(f"() => !({CELL_RUNNING})()", timeout=240_000)
    stop_s = time.perf_counter() - stopped
    after = kernel_state(page, 11, knobs=(slider,))
    sign = 1 if key == "ArrowRight" else -1
    return dict(before=before, after=after, moved=moved, note=note, stop_s=stop_s, stopped=stopped,
                target=round(value + sign * 0.01 * presses, 2),
                step_at_move=step_at_move, step_after_1s=step_after_1s, busy_at_1s=busy_at_1s,
                shown=float(handle.locator(".widget-readout").inner_text()))


def check_steered(seen: dict, slider: str, step_size: int) -> None:
    """The move took effect while the cell ran, within a second (and the training step in progress: a step
    of `step_size` is never cut in half), and the slider shows the value in force."""
    new = [c for c in seen["after"]["changes"][len(seen["before"]["changes"]):] if c[1] == slider]
    assert new, f"no {slider} change reached the agent: {seen}"
    step = new[0][0]  # the step from which the agent trains with the new value
    assert seen["busy_at_1s"], f"the cell should still be training and waiting a second after the move: {seen}"
    assert seen["step_at_move"] <= step <= seen["step_after_1s"] + step_size, (
        f"{slider} moved at step {seen['step_at_move']:,} while a cell trained and waited; it took effect at "
        f"step {step:,}; a second later the agent was at step {seen['step_after_1s']:,} (steps of {step_size})")
    assert seen["after"][slider] == pytest.approx(seen["target"]) == pytest.approx(seen["shown"]), seen
    assert new[-1][3] == pytest.approx(seen["target"]), new


def check_drawn(page, seen: dict) -> None:
    """The figure drew the change while the cell still ran, and the in-force line shows the new value."""
    print(f"slider moved -> heard / drawn: see the assertions; Stop ended the cell in {seen['stop_s']:.2f} s")
    marker = "QKIT-DRAWN"
    code = ('import json; from helpers.views import dashboard as D; d = D._LIVE["default"]; '
            f'print("{marker}", json.dumps([list(d.drawn), list(d.heard)]))')
    drawn, heard = json.loads(run_code(page, code, marker)[len(marker):])
    delays = [t - seen["moved"] for t, *_ in heard if t > seen["moved"] - 0.1]
    assert delays and delays[0] < 1.0, f"the kernel heard the slider {delays} s after it moved"
    n = len(seen["after"]["changes"])
    frames = [t - seen["moved"] for t, changes in drawn if changes >= n]
    # while the cell still trained (a frame can take a second on a loaded machine: no tighter bound)
    assert frames and frames[0] < seen["stopped"] - seen["moved"], (
        f"the figure drew the change {frames[:1]} s after the move; Stop: {seen['stopped'] - seen['moved']:.1f} s")
    assert f"{seen['target']:.2f}" in page.locator(".widget-html", has_text="in force now").first.inner_text()


def lesson_says(lesson: str, phrase: str) -> None:
    """The lesson still says `phrase` (whitespace-insensitive): the test that calls this backs it."""
    cells = json.loads((notebooks.NOTEBOOK_DIR / lesson).read_text())["cells"]
    text = " ".join(" ".join("".join(c["source"]).split()) for c in cells if c["cell_type"] == "markdown")
    assert " ".join(phrase.split()) in text, f"{lesson} no longer says: {phrase!r}"


def test_steer_training_live_in_jupyterlab(lab, browser_page):
    # Step 2: "While it waits, the figure keeps updating, the status line says what the cell is doing, and
    # the sliders and **Stop** still act (Stop ends the wait; ...)"
    lesson_says(LESSON, "the status line says what the cell is doing, and the sliders and **Stop** still act "
                        "(Stop ends the wait;")
    page = browser_page.page
    open_lesson(page, lab, LESSON)
    run_all_cells(page)
    check_dashboard_after_run_all(page, LESSON)
    # Step 2's kind of cell: train until solved (it is not, after fast mode's few steps) and wait.
    # α is 1 after the lesson: ArrowLeft moves it down.
    seen = steer_while_a_cell_waits(page, "lesson.train_until_solved(dash, lesson.env_steps(agent) + 50_000)",
                                    "alpha", "ArrowLeft", 5, "greedy return")
    check_steered(seen, "alpha", step_size=256)  # one lifecycle step of the DQN: 256 environment steps
    check_drawn(page, seen)
    assert "this cell trains until solved" in seen["note"], f"the status line should say what the cell does: {seen}"
    assert seen["stop_s"] < 5, f"Stop, pressed while the cell waited, took {seen['stop_s']:.0f} s to end it"
    check_fit(page)
    assert not browser_page.errors, "the browser console reported errors:\n" + "\n".join(browser_page.errors)
    shut_kernels_down(lab)  # the next lessons run in the same server


def shut_kernels_down(lab_url: str) -> None:
    """Shut down every kernel of the server, as closing the notebooks would (a kernel left running costs CPU)."""
    base, token = lab_url.split("/lab/")[0], lab_url.split("token=")[1]
    with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=10) as r:
        sessions = json.load(r)
    for session in sessions:
        request = urllib.request.Request(f"{base}/api/sessions/{session['id']}?token={token}", method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


@pytest.mark.parametrize("lesson", [p.name for p in notebooks.lessons() if p.name[:2] not in ("03", "05")])
def test_every_other_lesson_runs_all_in_jupyterlab(lab, browser_page, lesson):
    page = browser_page.page
    open_lesson(page, lab, lesson)
    try:
        run_all_cells(page, timeout=600)  # lessons 04 and 06 train and sweep: minutes on a loaded machine
    finally:
        shut_kernels_down(lab)
    images = page.locator(".jp-RenderedImage img")
    for i in range(images.count()):
        assert images.nth(i).evaluate("img => img.naturalWidth") > 0, f"figure {i} of {lesson} has no picture"
    assert not browser_page.errors, "the browser console reported errors:\n" + "\n".join(browser_page.errors)
