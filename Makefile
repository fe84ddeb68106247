PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint install demo bench soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check connector rules webhooks sandbox tests bench
	$(BIN)/mypy --strict connector rules webhooks
	$(BIN)/mypy sandbox

# The tests mostly wait (on processes, sockets and the worker), so three run at once even on two
# cores; each test file stays on one worker, so a file's shared sandbox or story is set up once.
TEST_WORKERS ?= 3

# Compiled once up front: where PYTHONDONTWRITEBYTECODE is set, each of the hundred-odd processes
# the tests start would otherwise compile pmrollup's sources again (a third of a second each).
test: lint
	$(BIN)/python -m compileall -q connector rules webhooks sandbox bench tests
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

demo: $(STAMP)
	$(BIN)/pmrollup demo

bench: $(STAMP)
	$(BIN)/python -m bench

soak: $(STAMP)
	$(BIN)/pytest tests -m soak

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
