# SPDX-License-Identifier: BSD-3-Clause
# Set-up and the two everyday jobs. Each target creates the virtual
# environment and installs what it needs, so it works on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of PyTorch; any other torch request pulls the CUDA packages.
TORCH ?= torch==2.13.0

.PHONY: install quickstart test lint bench bench-accuracy bench-forecast-accuracy

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test,examples]"

quickstart: install
	$(BIN)/python examples/quickstart.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/bench_fit_predict.py --threads 1
	$(BIN)/python benchmarks/bench_bucketing.py --threads 1

# The accuracy suite in its own environment: aeon and sktime pin pandas and
# numba releases that the test environment need not share.
BENCH_VENV ?= .venv-bench
bench-accuracy:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet "$(TORCH)"
	$(BENCH_VENV)/bin/python -m pip install --quiet -e ".[bench]"
	$(BENCH_VENV)/bin/python benchmarks/bench_accuracy.py --jobs 2

# The forecasting suite, in the same environment as bench-accuracy.
bench-forecast-accuracy:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet "$(TORCH)"
	$(BENCH_VENV)/bin/python -m pip install --quiet -e ".[bench]"
	OMP_NUM_THREADS=1 $(BENCH_VENV)/bin/python benchmarks/bench_forecast_accuracy.py
