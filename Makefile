# The README's commands. `make test` is what CI runs (.ci/run).
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: install rabbitmq browser prometheus run test test-unit test-deploy bench clean

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

# Browser tests run in a pytest process of their own, without eventlet
# (Playwright's sync API cannot run under its monkey patching): conftest.py.
test: install rabbitmq browser prometheus
	$(BIN)/python -m pytest -q
	CFZ_TEST_BROWSER=1 $(BIN)/python -m pytest -q --suppress-nameko-eventlet-notification tests/browser

browser:
	scripts/ensure-browser

# promtool and amtool for tests/deploy, the Prometheus server for
# tests/observability (Debian's prometheus packages)
prometheus:
	scripts/ensure-prometheus

test-deploy: install prometheus
	$(BIN)/python -m pytest -q tests/deploy

test-unit: install
	$(BIN)/python -m pytest -q tests/unit

clean:
	rm -rf $(VENV) *.egg-info
