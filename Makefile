# osteo-teach: two commands.
#   make lab    set up (first time) and open the collection in JupyterLab
#   make test   set up (first time) and run every test
# Only Python 3.10+ and make are needed; everything else goes into .venv/.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab test lint setup slides bench clean export-quiz

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "osteo-teach needs Python 3.10 or newer; found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

setup: $(STAMP)

lab: $(STAMP)
	$(BIN)/python -m osteo_teach.lab

# Lint, format and type checks: make test runs them first and stops on any finding.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

# Benchmark P1-P5 (a few minutes; options: .venv/bin/python benchmarks/run.py --help).
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Offline reveal.js slides and self-contained HTML handouts of every notebook, in build/.
slides: $(STAMP)
	$(BIN)/python tools/build_slides.py

# The quiz and the patient cases' questions for learning platforms, in build/export/:
# Moodle GIFT (osteo-teach-quiz.gift) and a Canvas QTI 1.2 package (osteo-teach-qti.zip).
export-quiz: $(STAMP)
	$(BIN)/python -m osteo_teach export-quiz build/export

clean:
	rm -rf $(VENV) build .pytest_cache
