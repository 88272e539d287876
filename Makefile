# The two commands of the README: `make demo` (the main job) and `make test`.
# Each sets up a local virtual environment first (once; again only when
# pyproject.toml changes). torch is installed first and pinned to the CPU build.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH  := torch==2.13.0

.PHONY: demo test test-all clean-venv

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "spikearena needs Python >= 3.11, got " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)  ## the main job: the STDP network vs its MLP twin on digits
	$(BIN)/spikearena run quickstart

test: $(STAMP)  ## the default (fast) test suite
	$(BIN)/python -m pytest

test-all: $(STAMP)  ## every test, the slow ones included
	$(BIN)/python -m pytest -m ""

clean-venv:
	rm -rf $(VENV)
