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
# Signing: a software PKCS#11 token for the tests and bench, and pkcs11-tool to load it.
SYSTEM_PACKAGES += softhsm2 opensc
# The web application's browser tests drive Debian's Chromium through Playwright.
SYSTEM_PACKAGES += chromium

.PHONY: run test test-fast lint bench system-deps clean install-check serve catalog

run: $(STAMP)
	$(BIN)/oficios generate

test: $(STAMP) install-check
	$(BIN)/python -m pytest

# The built package installed without extras in a fresh venv under /tmp: generate, verify
# a good and an altered letter, list the register (.ci/install-check).
install-check: | system-deps
	PYTHON=$(PYTHON) .ci/install-check

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check oficios tests bench recipients

serve: $(STAMP)
	$(BIN)/oficios serve

# The message catalog: extract the messages, merge them into each language's .po (then
# translate the new entries in oficios/locale/<lang>/LC_MESSAGES/oficios.po by hand).
catalog: $(STAMP)
	$(BIN)/pybabel -q extract -F oficios/locale/babel.cfg -o oficios/locale/oficios.pot \
	  --no-location --sort-output --omit-header .
	$(BIN)/pybabel -q update -i oficios/locale/oficios.pot -d oficios/locale -D oficios \
	  --no-fuzzy-matching --ignore-obsolete

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
