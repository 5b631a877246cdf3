"""Classroom use: the Binder/JupyterHub image, student copies without solutions, the kit's Lab settings.

- repo2docker (`--no-build`, no Docker daemon needed) turns binder/ into a Dockerfile that installs
  a C compiler, installs the kit, and runs postBuild (which builds the Go library).
- `make student` copies the lessons without the cells tagged "solution": no solution text is left,
  and every copy runs top to bottom, its checks answering "not yet" instead of failing.
- lab/overrides.json turns off the "get notified about official Jupyter news?" toast, and JupyterLab
  started as `make lab` starts it really reads it.
"""

import contextlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import exercise_probes
import nbformat
import pytest

from helpers.lessons import exercises
from helpers.tooling import notebooks, student

ROOT = Path(__file__).resolve().parent.parent
LESSONS = notebooks.lessons()
STAMP = ".venv/.installed-lab"  # `make -o STAMP`: never reinstall the venv from a test
LAB_OVERRIDES = ".venv/share/jupyter/lab/settings/overrides.d/go-rl-kit.json"  # as the Makefile names it
NOTIFICATION = "@jupyterlab/apputils-extension:notification"


# --- Binder / JupyterHub image (repo2docker) ---------------------------------------------------------

def working_tree_copy(dest: Path) -> Path:
    """Copy the files git would see (tracked and new, not ignored) into dest: what a clone would hold."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                         cwd=ROOT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, out.split("\0")):
        src = ROOT / name
        if src.is_file():  # skips files deleted in the working tree but still in the index
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture(scope="module")
def dockerfile(tmp_path_factory):
    """The Dockerfile repo2docker would build from a clean copy of the repository (Binder's user 1000)."""
    pytest.importorskip("repo2docker", reason="jupyter-repo2docker is a test extra: run `make setup`")
    repo = working_tree_copy(tmp_path_factory.mktemp("repo"))
    cmd = [sys.executable, "-m", "repo2docker", "--no-build", "--debug",
           "--user-id", "1000", "--user-name", "jovyan", str(repo)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def requirement_lines(path: Path) -> list[str]:
    """A requirements file's requirements, comments dropped."""
    return [ln.split("#")[0].strip() for ln in path.read_text().splitlines() if ln.split("#")[0].strip()]


def test_binder_image_installs_a_compiler_the_kit_and_runs_postbuild(dockerfile):
    assert "python=3.11" in dockerfile, "binder/runtime.txt should pick the Python of environment.yml"
    compiler = re.search(r"apt-get install[^\n]*\bbuild-essential\b", dockerfile)
    assert compiler, "binder/apt.txt must install build-essential: cgo needs gcc"
    copy_repo = dockerfile.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/")
    install = dockerfile.index('pip install --no-cache-dir -r "binder/requirements.txt"')
    post_build = dockerfile.index("RUN ./binder/postBuild")
    assert compiler.start() < copy_repo < install < post_build, "compiler, then the repo, the kit, postBuild"
    assert "environment.yml" not in dockerfile, "binder/ wins over the root files; no conda env update"
    # What that pip line installs: the kit itself (editable: lessons find go/ beside helpers/), no test extras.
    reqs = requirement_lines(ROOT / "binder" / "requirements.txt")
    assert "-e ." in reqs and not any("[test]" in r for r in reqs), reqs


def test_postbuild_fails_loudly_and_builds_the_library():
    script = ROOT / "binder" / "postBuild"
    text = script.read_text()
    assert text.startswith("#!/bin/bash\n") and os.access(script, os.X_OK)
    assert re.search(r"^set -e", text, re.M), "a failed step must fail the image build"
    assert "python -m helpers.bridge build" in text
    assert "cp lab/overrides.json" in text, "the course image gets the same Lab settings as `make lab`"


def test_readme_badge_opens_lesson_01_on_binder():
    readme = (ROOT / "README.md").read_text()
    badge = re.search(r"https://mybinder\.org/v2/gh/[^/\s]+/[^/\s]+/HEAD\?labpath=notebooks%2F([^)\s]+)", readme)
    assert badge, "README: a Binder badge under the title"
    assert (ROOT / "notebooks" / badge.group(1)).name.startswith("01_")
    assert (ROOT / "notebooks" / badge.group(1)).exists(), badge.group(1)
    assert "docs/teachers.md" in readme and (ROOT / "docs" / "teachers.md").exists()


# --- Student copies ----------------------------------------------------------------------------------

def solution_cells(nb) -> list:
    return [c for c in nb.cells if student.is_solution(c)]


@pytest.fixture(scope="module")
def student_copies(tmp_path_factory):
    """{lesson path: its student copy}, written by the function `make student` calls."""
    out = tmp_path_factory.mktemp("student")
    return dict(zip(LESSONS, student.write_student_copies(LESSONS, out)))


def test_make_student_writes_the_copies_with_the_kit_tool():
    dry = subprocess.run(["make", "-n", "-o", STAMP, "student"], cwd=ROOT, capture_output=True, text=True)
    assert "-m helpers.tooling.student --out student" in dry.stdout, dry.stdout + dry.stderr


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_solution_cell_is_tagged(path):
    """Everything between '## Solutions' and '## Further reading' is a solution: each cell carries the tag."""
    nb = nbformat.read(path, as_version=4)
    heads = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]
    start = next(i for i in heads if nb.cells[i].source.startswith("## Solutions"))
    end = next((i for i in heads if i > start and nb.cells[i].source.startswith("## ")), len(nb.cells))
    untagged = [c.get("id", i) for i, c in enumerate(nb.cells[start:end], start) if not student.is_solution(c)]
    assert not untagged, (f"{path.name}: tag these cells 'solution' (metadata.tags) so that `make student` "
                          f"drops them: {untagged}")


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_student_copy_holds_no_solution_text(path, student_copies):
    lesson = nbformat.read(path, as_version=4)
    copy = nbformat.read(student_copies[path], as_version=4)
    kept = "\n".join(c.source for c in lesson.cells if not student.is_solution(c))
    copy_text = "\n".join(c.source for c in copy.cells if c.source != student.NOTE)  # the note is ours
    if solution_cells(lesson):
        assert [c.source for c in copy.cells].count(student.NOTE) == 1, "a note where the solutions were"
    for cell in solution_cells(lesson):
        assert cell.source in kept or cell.source not in copy_text  # a check cell may be repeated verbatim
        # Every line a solution adds (one not also in the exercise cells) must be gone.
        leaked = [ln for ln in cell.source.splitlines() if ln.strip() and ln not in kept and ln in copy_text]
        assert not leaked, f"{path.name}: solution text left in the student copy: {leaked}"
    assert copy.metadata["qkit"]["student_copy"] is True
    assert all(not c.get("outputs") for c in copy.cells if c.cell_type == "code")


@pytest.mark.notebook
@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_student_copy_runs_and_says_not_yet(path, student_copies):
    """The copy runs and its checks say "not yet"; then (cells appended to the same run) every wrong answer of
    tests/exercise_probes.py gets "not yet" from the lesson's check cell, and the solutions get PASS."""
    lesson = nbformat.read(path, as_version=4)
    removed = {int(n) for c in solution_cells(lesson) for n in re.findall(r"\bcheck\((\d+)", c.source)}
    copy = nbformat.read(student_copies[path], as_version=4)
    probed = student_copies[path].with_name(path.stem + "_probed.ipynb")
    nbformat.write(exercise_probes.with_probes(lesson, copy, path.name[:2]), probed)
    nb = notebooks.execute(probed)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error" and "raises-exception" not in c.metadata.get("tags", [])]
    assert not errors, f"{path.name} (student copy): {errors[0].ename}: {errors[0].evalue}"

    def printed(cells) -> str:
        return "".join(o.get("text", "") for c in cells for o in c.get("outputs", []) if o.output_type == "stream")

    text = printed(nb.cells[:len(copy.cells)])
    assert "Traceback" not in text
    for n in sorted(removed):
        assert re.search(rf"^Exercise {n}: {exercises.NOT_YET}", text, re.M), f"exercise {n} should say not yet"
        assert not re.search(rf"^Exercise {n}: {exercises.PASS_MARK}", text, re.M), f"exercise {n} passed unsolved"
    for cell in nb.cells[len(copy.cells):]:
        tags = [t for t in cell.metadata.get("tags", []) if t.startswith("probe-")]
        verdicts = re.findall(r"^Exercise (\d+): (PASS|not yet)", printed([cell]), re.M)
        if tags:  # a wrong answer: its own exercise says not yet
            assert verdicts == [(tags[0][6:], exercises.NOT_YET)], f"{path.name}: {cell.source!r} -> {verdicts}"
        else:  # a solution cell: every verdict it prints is PASS
            assert all(v == exercises.PASS_MARK for _, v in verdicts), f"{path.name}: {cell.source!r} -> {verdicts}"
    passed = {int(n) for c in nb.cells[len(copy.cells):] for n, v in
              re.findall(r"^Exercise (\d+): (PASS)", printed([c]), re.M)}
    every = set(exercise_probes.WRONG[path.name[:2]])
    assert passed == every, f"{path.name}: the solutions should pass every exercise: {passed} vs {every}"


def test_checks_say_not_yet_instead_of_failing():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert not exercises.check(3, lambda: 1 / 0, hint="divide later")
        assert not exercises.check(4, exercises.close(["1", "x"], [1.0, 2.0]), hint="numbers")
        assert not exercises.check(5, exercises.close([None, None], [1.0, 2.0]))
        assert exercises.check(6, exercises.close([1.0, 2.0], [1.0, 2.0]))
    lines = out.getvalue().splitlines()
    assert lines[0] == "Exercise 3: not yet - divide later (your code raised ZeroDivisionError: division by zero)"
    assert lines[1:] == ["Exercise 4: not yet - numbers", "Exercise 5: not yet", "Exercise 6: PASS - correct"]


def test_pass_mark_shows_in_every_font():
    """An emoji (✅) is an empty box without an emoji font; ASCII is in every font (and safe in a regex)."""
    assert exercises.PASS_MARK.isascii() and exercises.PASS_MARK.isprintable()
    assert re.escape(exercises.PASS_MARK) == exercises.PASS_MARK  # tests/test_notebooks.py puts it in a regex


# --- The kit's JupyterLab settings ---------------------------------------------------------------------

def test_lab_settings_turn_the_news_toast_off():
    overrides = json.loads((ROOT / "lab" / "overrides.json").read_text())
    from jupyterlab.commands import get_app_dir
    schema_file = Path(get_app_dir()) / "schemas" / "@jupyterlab" / "apputils-extension" / "notification.json"
    schema = json.loads(schema_file.read_text())["properties"]
    # JupyterLab 4 asks "Would you like to get notified about official Jupyter news?" while fetchNews is
    # "none"; "false" is "Never" (a string, not a boolean).
    assert overrides[NOTIFICATION]["fetchNews"] == "false"
    assert "false" in [choice["const"] for choice in schema["fetchNews"]["oneOf"]]
    assert overrides[NOTIFICATION]["checkForUpdates"] is False and schema["checkForUpdates"]["type"] == "boolean"


def test_make_lab_installs_the_lab_settings():
    dry = subprocess.run(["make", "-n", "-o", STAMP, "-W", "lab/overrides.json", "lab"],
                         cwd=ROOT, capture_output=True, text=True)
    assert f"cp lab/overrides.json {LAB_OVERRIDES}" in dry.stdout, dry.stdout + dry.stderr
    assert dry.stdout.index(LAB_OVERRIDES) < dry.stdout.index("jupyter lab --notebook-dir=")


def test_make_lab_serves_the_lessons_and_the_student_copies(tmp_path):
    """JupyterLab, started with `make lab`'s options, serves the kit's folder (student/ too) and opens notebooks/."""
    dry = subprocess.run(["make", "-n", "-o", STAMP, "lab"], cwd=ROOT, capture_output=True, text=True).stdout
    options = re.search(r"jupyter lab (.*?)\s*(--allow-root)?$", dry, re.M).group(1).split()
    root = ROOT / next(o for o in options if o.startswith("--notebook-dir=")).partition("=")[2]
    assert root.resolve() == ROOT, dry
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "student").mkdir()
    served = [o if not o.startswith("--notebook-dir=") else f"--notebook-dir={tmp_path}" for o in options]
    with jupyter_lab(tmp_path / "lab", tmp_path, served) as (base, token):
        class Keep(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args):
                return None  # read the redirect instead of following it

        with pytest.raises(urllib.error.HTTPError) as where:
            urllib.request.build_opener(Keep).open(f"{base}/?token={token}", timeout=10)
        assert where.value.headers["Location"].startswith("/lab/tree/notebooks"), where.value.headers
        with urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=10) as r:
            assert {"notebooks", "student"} <= {c["name"] for c in json.load(r)["content"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_lab(tmp: Path, notebook_dir: Path, options=None):
    """JupyterLab as `make lab` starts it (the kit's Python, its app dir), with private user directories.

    options: `make lab`'s command-line options (notebook_dir replaces its folder). Yields (base URL, token).
    """
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               IPYTHONDIR=str(tmp / "ipython"), QKIT_FAST="1")
    port, token = free_port(), uuid.uuid4().hex
    cmd = [sys.executable, "-m", "jupyter", "lab", *(options or [f"--notebook-dir={notebook_dir}"]), "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    tmp.mkdir(parents=True, exist_ok=True)
    log = tmp / "jupyter.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"jupyter lab exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"jupyter lab did not answer:\n{log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The Lab settings installed the way `make lab` installs them, then JupyterLab started."""
    subprocess.run(["make", "-s", "-o", STAMP, LAB_OVERRIDES], cwd=ROOT, check=True)
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "notebooks"
    root.mkdir()
    shutil.copy(LESSONS[0], root)
    with jupyter_lab(tmp, root) as (base, token):
        yield base, token


def test_jupyterlab_reads_the_kit_settings(lab):
    base, token = lab
    with urllib.request.urlopen(f"{base}/lab/api/settings/{NOTIFICATION}?token={token}", timeout=10) as r:
        reply = json.load(r)
    # Overrides become the schema's defaults; the user's own settings (none here) would still win.
    defaults = {k: v.get("default") for k, v in reply["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false", defaults
    assert defaults["checkForUpdates"] is False, defaults


@pytest.mark.browser
def test_no_news_toast_in_the_browser(lab, tmp_path):
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the browser tests: install chromium (`make chromium`)")
        pytest.skip("needs /usr/bin/chromium (`make chromium`)")
    from playwright.sync_api import sync_playwright

    base, token = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})

            def news_toasts() -> int:
                page.goto(f"{base}/lab/tree/{LESSONS[0].name}?token={token}")
                page.locator(".jp-Notebook").wait_for(timeout=60_000)
                page.wait_for_function("() => (document.querySelector('#jp-main-statusbar')?.textContent ?? '')"
                                       ".includes('| Idle')", timeout=60_000)
                time.sleep(3)  # the news question is asked a moment after the page settles
                page.screenshot(path=str(tmp_path / "lab.png"))
                return page.get_by_text("official Jupyter news").count()

            assert news_toasts() == 0, "the news toast is shown"
            # The control: a user who chooses "Ask" gets the question, so the check above can see it.
            put_user_setting(base, token, {"fetchNews": "none"})
            try:
                assert news_toasts() == 1, "with fetchNews 'none' the news question should appear"
            finally:
                put_user_setting(base, token, {})
        finally:
            browser.close()


def put_user_setting(base: str, token: str, values: dict) -> None:
    """Write the user's own notification settings (in the test's private settings directory)."""
    body = json.dumps({"raw": json.dumps(values)}).encode()
    request = urllib.request.Request(f"{base}/lab/api/settings/{NOTIFICATION}", data=body, method="PUT",
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10):
        pass
