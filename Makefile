# SCORE Hub: `make run` sets everything up and serves the demo; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
UV_VERSION := 0.13.9
export DJANGO_SETTINGS_MODULE := scorehub.settings

.PHONY: run setup deps assets messages migrate demo test lint typecheck djangocheck pytest test-bench clean

run: setup migrate demo
	@echo "SCORE Hub: http://127.0.0.1:$(PORT)/  (demo logins above; stop with Ctrl-C)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/scorehub qcluster >data/worker.log 2>&1 & \
	  $(BIN)/scorehub runserver --insecure 127.0.0.1:$(PORT)

setup: deps assets messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

deps: $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .

assets:
	npm ci --no-audit --no-fund --loglevel=error

messages: $(BIN)/python
	$(BIN)/scorehub compilecatalogues

migrate:
	@mkdir -p data
	$(BIN)/scorehub migrate --noinput

demo:
	$(BIN)/scorehub demo --if-empty

test: setup lint typecheck djangocheck pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy scorehub

djangocheck:
	@mkdir -p data
	$(BIN)/scorehub check
	$(BIN)/scorehub makemigrations --check --dry-run

pytest:
	$(BIN)/pytest $(PYTEST_ARGS)

# The bench tests (the bench's synthetic volumes, minutes): left out of `make test`, run once by .ci/run.
# Exit status 5 ("no tests collected", e.g. with a -k that matches none of them) is not a failure.
test-bench:
	$(BIN)/pytest -m bench $(PYTEST_ARGS) || [ $$? -eq 5 ]

clean:
	rm -rf $(VENV) node_modules staticfiles data/cache
