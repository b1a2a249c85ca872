# Two commands on a fresh machine: `make run` and `make test`. Both create .venv and install
# the project from pyproject.toml; both first make sure the system libraries WeasyPrint needs
# are present (installing them with apt-get when running as root on Debian/Ubuntu).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Pango for text layout; libharfbuzz-subset0 because without it WeasyPrint 70 silently falls
# back to fontTools subsetting, which made each letter ~2.5x slower here.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig

.PHONY: run test test-fast lint bench system-deps clean

run: $(STAMP)
	$(BIN)/oficios generate

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check oficios tests bench recipients

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/batch.py

$(STAMP): pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

system-deps:
	@missing=""; \
	if command -v dpkg-query >/dev/null 2>&1; then \
	  for p in $(SYSTEM_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	  done; \
	fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "WARNING: missing system packages:$$missing"; \
	    echo "         install them with: sudo apt-get install$$missing"; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) output/*/ .pytest_cache
