# The two README commands: `make report` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV ?= venv
BIN := $(VENV)/bin
STACK ?= ansan
OUT ?= out

.PHONY: setup report test lint clean pulumi-workdir

# setuptools says, for every editable install of a flat layout, that a folder named like
# the package shadows it; that is how this checkout is meant to be used, so it is not repeated.
$(BIN)/dctwin: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(BIN)/dctwin

setup: $(BIN)/dctwin

report: setup
	$(BIN)/dctwin report --stack $(STACK) --out-dir $(OUT) --diagrams

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n 2

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# A scratch copy of the Pulumi project in .pulumi/work (git-ignored): creating a stack with the
# passphrase provider writes its encryption salt into Pulumi.<stack>.yaml, and the committed
# copies must stay as they are. The copy's venv is this one.
pulumi-workdir: setup
	mkdir -p .pulumi/work .pulumi/state
	cp Pulumi.yaml __main__.py Pulumi.$(STACK).yaml .pulumi/work/
	ln -sfn $(CURDIR)/$(VENV) .pulumi/work/venv
	@echo "cd .pulumi/work && export PULUMI_CONFIG_PASSPHRASE=dev && pulumi login file://$(CURDIR)/.pulumi/state && pulumi stack select $(STACK) --create && pulumi preview"

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
