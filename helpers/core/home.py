"""Where the kit finds its Go sources and where it writes what it makes (library, scratch copies, runs).

From a source checkout (go/ beside helpers/, folder writable) everything stays in the checkout:
build/, notebooks/scratch/, runs/. From any other install (``pip install .``, a wheel, a hub's shared
read-only environment) nothing is ever written into the install: the Go sources ship inside the
package (helpers/go/), and what the kit makes goes to the user's own folder QKIT_HOME
(default ~/go-rl-kit). Set QKIT_HOME to put it elsewhere, e.g. on a hub's persistent home.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # helpers/
KIT_ROOT = PACKAGE.parent  # the checkout, or site-packages for an installed kit
IN_CHECKOUT = (KIT_ROOT / "go" / "go.mod").is_file() and (KIT_ROOT / "pyproject.toml").is_file()


def _home() -> Path:
    """QKIT_HOME if set; else the checkout when it can be written; else ~/go-rl-kit."""
    if os.environ.get("QKIT_HOME"):
        return Path(os.environ["QKIT_HOME"]).expanduser().resolve()
    if IN_CHECKOUT and os.access(KIT_ROOT, os.W_OK):
        return KIT_ROOT
    return Path.home() / "go-rl-kit"


KIT_HOME = _home()
GO_DIR = Path(os.environ.get("QKIT_GO_DIR") or (KIT_ROOT / "go" if IN_CHECKOUT else PACKAGE / "go"))
BUILD_DIR = Path(os.environ.get("QKIT_BUILD_DIR") or KIT_HOME / "build")
SCRATCH_DIR = KIT_HOME / "notebooks" / "scratch" if KIT_HOME == KIT_ROOT else KIT_HOME / "scratch"
RUNS_DIR = KIT_HOME / "runs"
