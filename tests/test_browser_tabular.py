"""Lesson 03 in a real browser: Run All, press Start, move α with the keyboard while the table learns.

Reuses tests/test_browser.py's JupyterLab and Chromium fixtures (Debian's chromium, no download; under
CI=true a missing browser fails instead of skipping).
"""

import time

import pytest
from test_browser import LESSON, browser_page, kernel_state, lab, new_frame, run_all_cells, wait_until  # noqa: F401 - pytest fixtures, used by name

pytestmark = pytest.mark.browser
TABULAR = "03_q_learning_in_a_table.ipynb"


def agent_state(page, n: int) -> dict:
    """The live agent's status, step count, alpha and recorded changes, read back from the kernel."""
    return kernel_state(page, n + 100, knobs=("alpha",))


def heatmap_fingerprint(page) -> str:
    """A checksum of the left 40% of the dashboard image (the Q-table heatmap), as the browser shows it."""
    return page.locator("img.widget-image").first.evaluate("""async img => {
        try { await img.decode(); } catch (e) { /* replaced by a newer frame: use what is shown */ }
        if (!img.naturalWidth) return '';
        const w = Math.floor(img.naturalWidth * 0.4), h = img.naturalHeight;
        const c = document.createElement('canvas'); c.width = w; c.height = h;
        const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
        const px = ctx.getImageData(0, 0, w, h).data;
        let x = 0; for (let i = 0; i < px.length; i++) x = (x * 31 + px[i]) >>> 0;
        return `${w}x${h}:${x}`;
    }""")


def test_steer_the_q_table_live_in_jupyterlab(lab, browser_page, tmp_path):  # noqa: F811
    page = browser_page.page
    page.goto(lab.replace(LESSON, TABULAR))
    page.locator(".jp-Notebook").wait_for()
    run_all_cells(page)

    status = page.locator(".widget-html", has_text="env steps/s").first
    first = agent_state(page, 1)  # what the lesson's own cells left behind
    page.locator("button.jupyter-button", has_text="Start").first.click()
    wait_until(lambda: "running" in status.inner_text(), 20, "the status line to say 'running'")
    time.sleep(1.0)  # let steps pass, so that the change lands in the middle of the run
    before = new_frame(page, what="the first frame of the figure")
    heat_before = heatmap_fingerprint(page)

    alpha = page.locator(".widget-slider", has_text="alpha")
    start_value = float(alpha.locator(".widget-readout").inner_text())
    alpha.locator(".noUi-handle").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    wait_until(lambda: float(alpha.locator(".widget-readout").inner_text()) == round(start_value + 0.05, 2),
               10, "the alpha slider to move by 5 steps of 0.01")
    new_frame(page, than=before, what="the figure to change while training runs")
    wait_until(lambda: heatmap_fingerprint(page) not in ("", heat_before), 10, "the heatmap's pixels to change")
    time.sleep(1)
    page.locator(".jp-OutputArea-output", has=page.locator("img.widget-image")).first.screenshot(
        path=str(tmp_path / "dashboard.png"))

    state = agent_state(page, 2)
    moves = [c for c in state["changes"][len(first["changes"]):] if c[1] == "alpha"]
    assert moves, f"no alpha change reached the agent: {state['changes']}"
    assert state["alpha"] == pytest.approx(start_value + 0.05) and moves[-1][3] == pytest.approx(start_value + 0.05)
    assert moves[0][0] > first["step"], "the change should land while the agent trains"
    assert state["status"] == "running" and state["step"] > moves[-1][0], "training goes on with the new alpha"

    page.locator("button.jupyter-button", has_text="Stop").first.click()
    wait_until(lambda: "stopped" in status.inner_text(), 20, "the status line to say 'stopped'")
    assert not browser_page.errors, "the browser console reported errors:\n" + "\n".join(browser_page.errors)
