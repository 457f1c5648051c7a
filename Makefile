# The two commands of the README:
#   make lab   - set up .venv (if needed) and open the textbook in JupyterLab
#   make test  - set up .venv (if needed) and run every test: the library's pytest suite and nbval over
#                every notebook, in quick mode (MCGAN_QUICK=1)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# Extra JupyterLab options, e.g. `make lab JUPYTER_ARGS="--no-browser --port 8890"`. Jupyter refuses to
# run as root unless told; containers and some lab machines run as root, so allow it there.
JUPYTER_ARGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup lab lint format test test-all bench book clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

lab: setup
	$(BIN)/jupyter lab $(ROOT_FLAG) $(JUPYTER_ARGS) notebooks/

# ruff (configured in pyproject.toml): a fast check that fails on style or lint errors; `make format` fixes most.
lint: setup
	$(BIN)/ruff check mcgan_lib tests benchmarks
	$(BIN)/ruff format --check mcgan_lib tests benchmarks

format: setup
	$(BIN)/ruff check --fix mcgan_lib tests benchmarks
	$(BIN)/ruff format mcgan_lib tests benchmarks

# Quick mode shrinks training in the notebooks; `slow` tests (long multi-seed claims) run in test-all.
# The sweeps' disk cache goes to a fresh folder, so the tests always train what they check.
test: lint
	MCGAN_CACHE_DIR=$$(mktemp -d) MCGAN_QUICK=1 MPLBACKEND=Agg $(BIN)/python -m pytest -m "not slow" \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=900 \
		--nbval-sanitize-with notebooks/sanitize.cfg -p no:cacheprovider $(PYTEST_ARGS) tests notebooks

test-all: setup
	MPLBACKEND=Agg $(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS) tests

bench: setup
	MPLBACKEND=Agg $(BIN)/python benchmarks/run.py

# The chapters as a static HTML book (Sphinx, myst-nb, sphinx-book-theme) in build/book/html, from the
# outputs stored in the notebooks: nothing is executed. Sphinx runs with -W -n (warnings are errors) and
# ships MathJax with the pages, so the book reads offline; docs/book/build.py says how.
book: setup
	$(BIN)/python docs/book/build.py

clean:
	rm -rf $(VENV) .pytest_cache
