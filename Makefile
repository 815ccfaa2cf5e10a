# Two commands do all the set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean examples

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# The TensorFlow.js converter, for its Keras writer only: its other converters need
	# JAX and TensorFlow Decision Forests, which the tests never use (tests/support/saved_files.py).
	$(BIN)/python -m pip install --quiet --no-deps 'tensorflowjs>=4.0'
	touch $@ $(VENV)/.demo-installed

demo: $(VENV)/.demo-installed
	$(BIN)/kerascope demo

# The files the README's examples read (tests/test_readme.py runs the README on them).
examples: $(VENV)/.test-installed
	$(BIN)/python scripts/make_readme_examples.py examples

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests benchmarks scripts fuzz
	$(BIN)/ruff format --check src tests benchmarks scripts fuzz
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/live_walk.py
	$(BIN)/python benchmarks/static_read.py
	$(BIN)/python benchmarks/remote_read.py
	$(BIN)/python benchmarks/html_page.py
	$(BIN)/python benchmarks/layer_count.py
	$(BIN)/python benchmarks/diff_layers.py
	$(BIN)/python benchmarks/against_commit.py
	$(BIN)/python benchmarks/shape_engine.py
	$(BIN)/python benchmarks/flops_vs_profiler.py
	$(BIN)/python benchmarks/scan.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache examples
