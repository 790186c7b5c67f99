# civicloop: `make demo` builds and runs the demo district; `make test` runs every test.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
INTAKE_MODEL := civicloop/data/intake-model.joblib

.PHONY: install demo test bench-lifecycle bench-sweep bench-geometry bench-classify clean bench-reports bench-bulletin bench-duplicates bench-locate bench-web bench-hot bench-assess screenshots

install: $(VENV)/.installed node_modules/.installed $(INTAKE_MODEL)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The message classifier is built here, never downloaded; again when scikit-learn, the
# messages or the classifier's code change. `civicloop intake train` adds operators' corrections.
$(INTAKE_MODEL): $(VENV)/.installed civicloop/data/messages.csv civicloop/intake/classifier.py
	$(BIN)/civicloop intake train --no-corrections

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

bench-locate: install
	$(BIN)/python benchmarks/locate.py

bench-reports: install
	$(BIN)/python benchmarks/reports.py

bench-bulletin: install
	$(BIN)/python benchmarks/bulletin.py

clean:
	rm -rf $(VENV) node_modules var

bench-http: install
	$(BIN)/python benchmarks/http.py

bench-classify: install
	$(BIN)/python benchmarks/classify.py

bench-duplicates: install
	$(BIN)/python benchmarks/duplicates.py

bench-web: install
	$(BIN)/python benchmarks/web.py

# Every screen of the demo district, desktop and phone, checked and saved into docs/screenshots/.
screenshots: install
	CIVICLOOP_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/web/test_screenshots.py -k sqlite

bench-hot: install
	$(BIN)/python benchmarks/hot.py

bench-assess: install
	$(BIN)/python benchmarks/assess_scale.py
