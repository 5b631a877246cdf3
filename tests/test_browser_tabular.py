"""Lesson 03 in a real browser, as tests/test_browser.py runs lesson 05: Run All under JupyterLab's defaults,
then move α while `dash.watch` trains and waits.

Reuses tests/test_browser.py's JupyterLab and Chromium fixtures (Debian's chromium, no download; under
CI=true a missing browser fails instead of skipping).
"""

import pytest
from test_browser import (  # noqa: F401 - fixtures
    browser_page,
    check_dashboard_after_run_all,
    check_drawn,
    check_fit,
    check_steered,
    lab,
    open_lesson,
    run_all_cells,
    steer_while_a_cell_waits,
)

pytestmark = pytest.mark.browser
TABULAR = "03_q_learning_in_a_table.ipynb"


def test_steer_the_q_table_live_in_jupyterlab(lab, browser_page):  # noqa: F811
    page = browser_page.page
    open_lesson(page, lab, TABULAR)
    run_all_cells(page)
    check_dashboard_after_run_all(page, TABULAR)
    # a paced live run (20 steps of 50 episodes a second): 400 steps are 20 s, unless Stop comes first
    seen = steer_while_a_cell_waits(page, "dash.watch(400)", "alpha", "ArrowRight", 5, "env steps/s")
    check_steered(seen, "alpha", step_size=1)
    check_drawn(page, seen)
    assert "this cell waits for 400 steps" in seen["note"], f"the status line should say what the cell does: {seen}"
    assert seen["stop_s"] < 5, f"Stop, pressed while the cell waited, took {seen['stop_s']:.0f} s to end it"
    check_fit(page)
    assert not browser_page.errors, "the browser console reported errors:\n" + "\n".join(browser_page.errors)
