# linkwatch: `make demo` sets everything up and shows the monitoring loop on SQLite;
# `make test` sets everything up and runs lint, type checks and the test suite.
# Both are idempotent and work on a fresh Debian machine (as root, or with sudo).
#
# The two test loops:
#   make check   the fast loop while you work (under 3 minutes): ruff, mypy and every test that starts no crawl,
#                browser or database server (`pytest --fast`: tests/fixtures_tiers.py leaves out the tests
#                marked crawl/chromium/postgres/redis/prometheus/slow, marked from the fixtures they use, and
#                fails any other test that starts such a process anyway).
#   make test    the full suite, what CI runs (.ci/run): also the audit and every test, on $(PYTEST_WORKERS)
#                xdist workers, then the tests marked `serial` alone; the 25 slowest tests are listed.
#   PYTEST_ARGS="-k name" narrows either; PYTEST_WORKERS=0 runs the suite in one process.

VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST := $(PY) -m pytest -q -p no:cacheprovider
PYTEST_WORKERS ?= 3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := chromium prometheus redis-server postgresql util-linux iproute2 mount

.PHONY: setup system-deps venv test-assets test check lint typecheck pytest demo lock clean migration audit audit-optional

setup: system-deps venv test-assets

# Debian packages: Chromium for rendering, Prometheus, Redis and PostgreSQL for the tests; unshare (util-linux),
# ip (iproute2) and mount for the SSRF test in a network namespace of its own (tests/test_ssrf_netns.py).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v unshare >/dev/null || missing="$$missing util-linux"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	command -v mount >/dev/null || missing="$$missing mount"; \
	python3 -m pip --version >/dev/null 2>&1 || missing="$$missing python3-pip"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# A virtual environment with the pinned dependencies (uv, from PyPI, is ten times faster than pip).
venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock | system-deps
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q uv 2>/dev/null \
	  || python3 -m pip install -q --break-system-packages uv
	@[ -x $(PY) ] || python3 -m uv venv -q -p python3 $(VENV)
	python3 -m uv pip install -q -p $(PY) -r requirements.lock
	python3 -m uv pip install -q -p $(PY) --no-deps -e .
	@touch $@

# The pinned npm packages the browser tests serve (Lit, tests/test_shadow_dom_lit.py), checked against their
# sha512 integrity, into .cache/npm (git-ignored); fails loudly when they cannot be fetched.
test-assets:
	python3 tools/fetch_npm.py

# Re-pin every dependency after changing pyproject.toml.
migration: venv
	$(PY) tools/make_migration.py "$(MESSAGE)"

lock:
	python3 -m uv pip compile -q --extra dev --extra bench --python-version 3.11 pyproject.toml -o requirements.lock

lint: venv
	$(VENV)/bin/ruff check monitor crawler alerts tests bench tools fuzz

typecheck: venv
	$(VENV)/bin/mypy

# The suite on xdist workers (each with its own servers on free ports and its own data directories), then the
# tests that need the machine to themselves (marked `serial`), alone.  (Exit 5: PYTEST_ARGS selected none.)
pytest: setup
	$(PYTEST) -n $(PYTEST_WORKERS) --dist loadgroup -m "not serial" --durations=25 $(PYTEST_ARGS) || [ $$? = 5 ]
	$(PYTEST) -m serial --durations=5 $(PYTEST_ARGS) || [ $$? = 5 ]

# The fast loop: no crawl, browser or database server (tests/fixtures_tiers.py).
check: venv lint typecheck
	$(PYTEST) -n 2 --fast --durations=10 $(PYTEST_ARGS)

# Known vulnerabilities in the pinned dependencies (pip-audit, tools/audit.py): `make audit` fails when the
# audit cannot be done; `make test` runs it too, then an unreachable vulnerability service is a loud warning.
audit: venv
	$(PY) tools/audit.py

audit-optional: venv
	$(PY) tools/audit.py --optional

test: setup lint typecheck audit-optional pytest

demo: setup
	$(PY) -m monitor.demo

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
