# Two commands for a fresh machine (see README): `make demo` and `make test`.
PYTHON ?= python3.11
# 20 epochs: `make demo` took 10.5 min from a fresh clone with five GIN cells (the plain GIN and
# one per shipped encoder) on 2 cores; each shipped encoder adds a cell, about 1.3 min on 2
# cores (seven cells now; docs/results/using_models.md)
DEMO_EPOCHS ?= 20
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

# the graph encoders shipped in models/ (each folder with an encoder.ckpt), named by their
# folder; the frozen modality encoders (models/<modality>-encoder, where strategy 2's
# acml.shipped_encoder looks) are not graph encoders and cannot be fine-tuned
SHIPPED := $(filter-out models/%-encoder/encoder.ckpt,$(wildcard models/*/encoder.ckpt))
SHIPPED_NAMES := $(foreach p,$(SHIPPED),$(word 2,$(subst /, ,$(p))))
DEMO_INITS := $(foreach p,$(SHIPPED),--init $(word 2,$(subst /, ,$(p)))=$(p))
DEMO_MODELS := gin $(addprefix gin+,$(SHIPPED_NAMES)) ecfp-rf gbm

# BBBP (scaffold split): the GIN without pre-training, fine-tuned from each shipped encoder,
# ECFP + random forest and the boosted trees, one seed; runs/demo/report.html tells the story
demo: $(STAMP)
	$(BIN)/molbridge benchmark moleculenet --datasets bbbp --seeds 1 --epochs $(DEMO_EPOCHS) \
	  --models $(DEMO_MODELS) $(DEMO_INITS) --jobs 2 --overwrite --out runs/demo
	$(BIN)/molbridge predict --model runs/demo/cells/bbbp/gin/seed0/model.ckpt \
	  --data tests/data/messy.csv --out runs/demo/messy_predictions.csv
	@echo "open runs/demo/report.html"

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
