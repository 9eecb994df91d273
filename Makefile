# linkwatch: `make demo` sets everything up and shows the monitoring loop on SQLite;
# `make test` sets everything up and runs lint, type checks and the test suite.
# Both are idempotent and work on a fresh Debian machine (as root, or with sudo).

VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := chromium prometheus redis-server postgresql util-linux iproute2 mount

.PHONY: setup system-deps venv test lint typecheck pytest demo lock clean migration audit audit-optional

setup: system-deps venv

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

# Re-pin every dependency after changing pyproject.toml.
migration: venv
	$(PY) tools/make_migration.py "$(MESSAGE)"

lock:
	python3 -m uv pip compile -q --extra dev --extra bench --python-version 3.11 pyproject.toml -o requirements.lock

lint: venv
	$(VENV)/bin/ruff check monitor crawler alerts tests bench tools fuzz

typecheck: venv
	$(VENV)/bin/mypy

pytest: setup
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

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
