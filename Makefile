# The two README commands: `make report` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV ?= venv
BIN := $(VENV)/bin
STACK ?= ansan
OUT ?= out

.PHONY: setup report test lint clean

$(BIN)/dctwin: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(BIN)/dctwin

setup: $(BIN)/dctwin

report: setup
	$(BIN)/dctwin report --stack $(STACK) --out-dir $(OUT) --diagrams

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
