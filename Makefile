# qkdnassist — the documented entry points: `make run`, `make test`, `make bench`.
# Everything installs offline-capable into .venv; torch is held to the local CPU build
# by constraints.txt (a bare torch requirement would pull multi-GB CUDA wheels).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip

# The sample corpus lives beside the project (../shared/corpus); point QKDN_CORPUS at
# your own folder to index your documents instead.
SAMPLE_CORPUS := $(abspath ../shared/corpus)
export QKDN_CORPUS ?= $(if $(wildcard $(SAMPLE_CORPUS)),$(SAMPLE_CORPUS),corpus)
export QKDN_INDEX ?= index

.PHONY: install chromium run ingest test test-fast lint bench bench-scale clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt "torch==2.13.0"
	$(PIP) install --quiet -c constraints.txt -e ".[test,bench,local-llm]"
	touch $(STAMP)

# Serve http://127.0.0.1:7860 at once; the app indexes the corpus in the background
# (incremental: only new or changed files are read and embedded; the status line shows
# progress, unreadable files are listed in the Library tab's log and skipped).
run: install
	$(BIN)/python app.py

ingest: install
	$(BIN)/qkdnassist ingest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# The browser tests drive Debian's chromium (Playwright's own browser download needs the
# internet); QKDN_CHROMIUM points them at another Chromium binary.
CHROMIUM ?= $(or $(QKDN_CHROMIUM),/usr/bin/chromium)

chromium:
	@test -x "$(CHROMIUM)" || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=; \
	  elif command -v sudo >/dev/null; then sudo=sudo; \
	  else echo "make: the browser tests need $(CHROMIUM): install Debian's chromium as root (apt-get install chromium) or set QKDN_CHROMIUM" >&2; exit 1; fi; \
	  command -v apt-get >/dev/null || { echo "make: no apt-get to install chromium: install Chromium and set QKDN_CHROMIUM to it" >&2; exit 1; }; \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: install lint chromium
	$(BIN)/python -m pytest

# The unit loop: every test that needs no model, no sample-corpus index and no server
# (tests/conftest.py marks the others slow). About a minute on two cores.
test-fast: install
	$(BIN)/python -m pytest -m "not slow" -q -n 2

bench: install
	$(BIN)/python bench/run.py

# How costs grow with the index: synthetic 10k / 50k / 200k-chunk indexes made from the
# sample corpus's index (bench/out/index; built first when missing). About 20 minutes.
bench-scale: install
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/catalogue_scale.py

clean:
	rm -rf $(VENV) index bench/out .pytest_cache .mypy_cache .ruff_cache
