# Two commands for a fresh machine (see README): `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint setup clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned, so nothing later resolves to a CUDA build
	$(BIN)/pip install -q -c constraints.txt torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	# data-only packages: their files are read, the packages never imported (their declared
	# dependencies are heavy and outdated, hence --no-deps)
	$(BIN)/pip install -q --no-deps moleculeace==3.0.0 molsets==0.3.1
	# DRFP reaction fingerprints (the yields benchmark's baseline): the fingerprint needs only
	# numpy, RDKit and tqdm; the package also declares xgboost (with a 350 MB CUDA library),
	# pre-commit and click for its command line, which molbridge does not use
	$(BIN)/pip install -q --no-deps drfp==0.3.7
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/molbridge train --data bbbp --split scaffold --epochs 50 --seed 0 --out runs/demo-bbbp
	$(BIN)/molbridge predict --model runs/demo-bbbp/model.ckpt --data tests/data/messy.csv --out runs/demo-bbbp/messy_predictions.csv

lint: $(STAMP)
	$(BIN)/ruff check molbridge tests benchmarks
	$(BIN)/ruff format --check molbridge tests benchmarks
	$(BIN)/mypy

test: $(STAMP) lint
	$(BIN)/pytest

# while working: lint and the tests not marked slow (the integration runs are)
test-fast: $(STAMP) lint
	$(BIN)/pytest -m "not slow"

clean:
	rm -rf $(VENV) runs .pytest_cache
