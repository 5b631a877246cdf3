"""'Same seeds give the same numbers on every machine' (lesson 06) needs Go to round every product on its own:
the Go spec lets a compiler fuse x + y*z into one multiply-add (arm64 does), which changes the last bits.
An explicit float64(...) conversion forbids it. Compile the package for arm64 and look for fused
instructions in the tabular runners, which the sweeps use. (qlearn.go's scalar and batch updates, whose text
lessons 01 and 02 show, and the DQN's targets are not covered.)"""

import re
import subprocess

from helpers.bridge.build import GO_DIR, go_env
from helpers.bridge.toolchain import find_go

FUSED = re.compile(r"\((\S+\.go):(\d+)\)\s+(FN?M(?:ADD|SUB)D)\b")  # arm64 fused multiply-add/subtract
COVERED = ("tabular.go", "control.go")  # the tabular runners' files


def listing(go_dir=GO_DIR, arch: str = "arm64") -> str:
    """The assembly listing of package qlearn compiled for arch (a cross-compile: no C compiler needed)."""
    env = dict(go_env(), GOARCH=arch, CGO_ENABLED="0")
    out = subprocess.run([find_go(), "build", "-gcflags=-S", "./qlearn"], cwd=go_dir, env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stderr + out.stdout


def fused_lines(go_dir=GO_DIR) -> list[str]:
    """'file.go:line OP' for every fused multiply-add the compiler emits in the covered files."""
    hits = {f"{path.rsplit('/', 1)[-1]}:{line} {op}" for path, line, op in FUSED.findall(listing(go_dir))}
    return sorted(h for h in hits if h.split(":")[0] in COVERED)


def test_the_listing_is_read():
    """The listing holds the runner, and the pattern matches arm64's fused instruction (an empty result means
    something: without the float64 conversions, 6436d93's runner had 'tabular.go:69 FMADDD'), and qlearn.go's
    uncovered updates still show fused instructions."""
    text = listing()
    assert "qlearn.RunEpisodes" in text and "qlearn.RunControl" in text
    assert any(path.endswith("qlearn.go") for path, _, _ in FUSED.findall(text))
    assert FUSED.findall("(/x/qlearn/tabular.go:69)\tFMADDD\tF5, F0, F1, F1") == [
        ("/x/qlearn/tabular.go", "69", "FMADDD")]


def test_no_fused_multiply_add_in_the_tabular_code():
    assert fused_lines() == []


def test_a_product_left_unrounded_is_caught(go_copy):
    runner = go_copy / "qlearn" / "tabular.go"
    text, rounded = runner.read_text(), "q[sa] += float64(p.Alpha * (target - q[sa]))"
    assert rounded in text
    runner.write_text(text.replace(rounded, "q[sa] += p.Alpha * (target - q[sa])"))
    assert any(h.startswith("tabular.go:") for h in fused_lines(go_copy))
