# The README's commands. `make test` is what CI runs (.ci/run).
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: install rabbitmq run test test-unit bench clean

$(BIN)/cfz: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip "setuptools>=68,<81" wheel
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/cfz

install: $(BIN)/cfz

rabbitmq:
	scripts/ensure-rabbitmq

run: install rabbitmq
	$(BIN)/cfz run

test: install rabbitmq
	$(BIN)/python -m pytest -q

test-unit: install
	$(BIN)/python -m pytest -q tests/unit

clean:
	rm -rf $(VENV) *.egg-info
