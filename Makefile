# Two commands on a fresh Debian machine: `make run` (the platform + a simulated demo fleet) and
# `make test` (the whole suite). Both create .venv and install the pinned requirements first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint format prepare clean-data

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.txt -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m mikman.launcher run

test: $(VENV)/.installed
	$(PY) -m mikman.launcher test

prepare: $(VENV)/.installed
	$(PY) -m mikman.launcher prepare

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
