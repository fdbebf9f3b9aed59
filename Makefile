# osteo-teach: two commands.
#   make lab    set up (first time) and open the collection in JupyterLab
#   make test   set up (first time) and run every test
#   make app    the lessons as apps, without code (Voila), for students who do not program
#   make handouts  printable PDF handouts of every lesson (build/print/)
# Only Python 3.10+ and make are needed; everything else goes into .venv/.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab test lint test-tools setup slides handouts app assignments export-quiz bench hub hub-proxy bench-class clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "osteo-teach needs Python 3.10 or newer; found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,hub,grading]'
	@touch $@

setup: $(STAMP)

lab: $(STAMP)
	$(BIN)/python -m osteo_teach.lab

# Lint, format and type checks: make test runs them first and stops on any finding.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint test-tools
	$(BIN)/python -m pytest

# Test tools that are not Python packages: JupyterHub's proxy (Node), into build/node/
# when npm is there; without npm the hub tests say so (and fail in CI: .ci/run installs Node).
test-tools:
	@if command -v npm >/dev/null 2>&1; then bash deploy/hub/install_proxy.sh; \
	else echo "npm not found: the JupyterHub tests will be skipped (Debian: apt-get install nodejs npm)"; fi

# Benchmark P1-P5 (a few minutes; options: .venv/bin/python benchmarks/run.py --help).
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# DEMO JupyterHub on 127.0.0.1:8000 to try the class experience (never for a network
# address): dummy login, students' servers clone this checkout with nbgitpuller.
hub: $(STAMP) hub-proxy
	$(BIN)/python -m deploy.hub.launch

# The hub's proxy (configurable-http-proxy, Node) into build/node/ if missing.
hub-proxy:
	bash deploy/hub/install_proxy.sh

# Class-load benchmark: N simulated students on the demo hub (options: --help).
bench-class: $(STAMP) hub-proxy
	$(BIN)/python benchmarks/class_load.py

# Offline reveal.js slides and self-contained HTML handouts of every notebook, in build/
# (no solutions); `make slides INSTRUCTOR=1`: every solution shown, in build/instructor/.
slides: $(STAMP)
	$(BIN)/python tools/build_slides.py $(if $(INSTRUCTOR),--instructor)

# Graded assignments: an nbgrader course (source -> release) in build/nbgrader/, from
# osteo_teach/assignments.py (nbgrader comes with the 'grading' extra, installed by setup).
assignments: $(STAMP)
	$(BIN)/python tools/build_assignments.py

# The quiz and the patient cases' questions for learning platforms, in build/export/:
# Moodle GIFT (osteo-teach-quiz.gift) and a Canvas QTI 1.2 package (osteo-teach-qti.zip).
export-quiz: $(STAMP)
	$(BIN)/python -m osteo_teach export-quiz build/export

# Every lesson as a Voila app (no code cells), from one page listing the lessons, on 127.0.0.1:8866.
app: $(STAMP)
	$(BIN)/python tools/app.py

# Printable PDF handouts of every lesson in build/print/ (needs the system Chromium).
handouts: $(STAMP)
	$(BIN)/python tools/build_handouts.py

clean:
	rm -rf $(VENV) build .pytest_cache
