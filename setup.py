"""Ship the Go sources inside the package: go/ becomes helpers/go/ in a wheel (pyproject.toml has the rest).

An editable install needs nothing: the checkout's go/ is found beside helpers/ (helpers/core/home.py).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

GO_FILES = ("*.go", "go.mod", "go.sum")


class BuildPyWithGo(build_py):
    """build_py, plus go/'s Go files copied to helpers/go/ in the build."""

    def run(self):
        super().run()
        if not self.editable_mode:
            dst = Path(self.build_lib) / "helpers" / "go"
            shutil.rmtree(dst, ignore_errors=True)
            for src in Path("go").rglob("*"):
                if src.is_file() and any(src.match(pattern) for pattern in GO_FILES):
                    (dst / src.relative_to("go")).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, dst / src.relative_to("go"))


setup(cmdclass={"build_py": BuildPyWithGo})
