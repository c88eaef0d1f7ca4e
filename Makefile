# Quick start: `make crawl` runs the default crawl, `make test` runs the tests.
# Each target creates .venv and installs what it needs first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: crawl test install

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

crawl: $(BIN)/.installed
	$(BIN)/scrapy crawl news

test: $(BIN)/.installed
	$(BIN)/python -m pytest
