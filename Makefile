# civicloop: `make demo` builds and runs the demo district; `make test` runs every test.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test bench-lifecycle bench-sweep bench-geometry clean

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

demo: install
	$(BIN)/civicloop demo --fresh
	$(BIN)/civicloop serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest

bench-lifecycle: install
	$(BIN)/python benchmarks/lifecycle.py

bench-sweep: install
	$(BIN)/python benchmarks/sweep.py

bench-geometry: install
	$(BIN)/python benchmarks/geometry.py

clean:
	rm -rf $(VENV) node_modules var

bench-http: install
	$(BIN)/python benchmarks/http.py
