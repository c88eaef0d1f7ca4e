# Quick start: `make crawl` runs the default crawl, `make test` runs the tests.
# Each target creates .venv and installs what it needs first (`make crawl` only what a crawl needs).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# pywb (for `scrapy serve` in the tests) pins a redis client older than scrapy-redis
# accepts, so it gets a virtualenv of its own.
PYWB_VENV := .venv-pywb

.PHONY: crawl demo test install lint redis-server quality

# What a crawl needs; the test extras (pytest, the reference tools, scrapy-redis) come on top.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(PYWB_VENV)/.installed:
	$(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/pip install --quiet 'pywb>=2.8'
	touch $@

install: $(BIN)/.installed-test

$(BIN)/.installed-lint: $(BIN)/.installed-test
	$(BIN)/pip install --quiet -e '.[lint]'
	touch $@

# The pinned ruff and mypy (pyproject.toml's lint extra and their settings there).
lint: $(BIN)/.installed-lint
	$(BIN)/ruff check archive corpus scraper sitefixture benchmarks tests
	$(BIN)/ruff format --check archive corpus scraper sitefixture benchmarks tests
	$(BIN)/mypy archive corpus scraper sitefixture

# The shared-crawl tests run a real redis-server: install it from Debian's packages when
# we may; without it those tests are skipped with the reason (outside CI only).
redis-server:
	@command -v redis-server >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; } \
		|| echo "redis-server is not installed: the shared-crawl tests will be skipped"

crawl: $(BIN)/.installed
	$(BIN)/scrapy crawl news

# The whole product on the bundled fixture site, offline: crawl, archive, corpus, then pywb
# replay for DEMO_SECONDS (or until Ctrl-C). Everything goes to demo/; nothing is left running.
DEMO_SECONDS ?= 300
demo: $(BIN)/.installed $(PYWB_VENV)/.installed
	$(BIN)/python -m sitefixture.demo --dir demo --wayback $(CURDIR)/$(PYWB_VENV)/bin/wayback --serve-seconds $(DEMO_SECONDS)

test: $(BIN)/.installed-test $(PYWB_VENV)/.installed redis-server
	PYWB_WAYBACK=$(CURDIR)/$(PYWB_VENV)/bin/wayback $(BIN)/python -m pytest

# Extraction quality on folders of real pages (not in the repository): F1 against hand-written
# parsers' bodies (PAGES) and against trafilatura's evaluation snippets (EVALPAGES, when there);
# fails under the targets. Not part of `make test`.
PAGES ?= ../shared/pages
EVALPAGES ?= ../shared/evalpages
MIN_F1 ?= 0.955
MIN_EVAL_F1 ?= 0.945
quality: $(BIN)/.installed
	$(BIN)/python -m benchmarks.extraction --pages $(PAGES) --min-f1 $(MIN_F1) \
		$(if $(wildcard $(EVALPAGES)/pages.jsonl),--evalpages $(EVALPAGES) --min-eval-f1 $(MIN_EVAL_F1))
