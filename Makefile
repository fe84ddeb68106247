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

# The two type checks run side by side (each on one core, each with its own cache): the product at
# --strict, the sandbox and the bench at mypy's default level. Lint fails if either does.
lint: $(STAMP)
	$(BIN)/ruff check connector rules webhooks sandbox tests bench
	$(BIN)/mypy --strict connector rules webhooks & strict=$$!; \
	$(BIN)/mypy --cache-dir .mypy_cache/sandbox sandbox bench; sandbox=$$?; \
	wait $$strict && exit $$sandbox

# The tests mostly wait (on processes, sockets and the worker), so four run at once even on two
# cores; each test file stays on one worker, so a file's shared sandbox or story is set up once.
TEST_WORKERS ?= 4

# The tests keep their bytecode (pytest's rewritten test modules and pmrollup's sources, compiled
# once up front) even where PYTHONDONTWRITEBYTECODE is set: otherwise every test worker rewrites
# every test module (6 s each) and each of the hundred-odd processes the tests start compiles the
# sources again. It only writes the git-ignored __pycache__ folders of this checkout.
test: lint
	$(BIN)/python -m compileall -q connector rules webhooks sandbox bench tests
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

demo: $(STAMP)
	$(BIN)/pmrollup demo

bench: $(STAMP)
	$(BIN)/python -m bench

soak: $(STAMP)
	$(BIN)/pytest tests -m soak

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
