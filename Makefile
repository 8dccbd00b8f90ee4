# Headwater — `make run` serves the demo, `make test` runs the whole suite. Both set everything up first.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export PYTHONDONTWRITEBYTECODE := 1
UV := scripts/uv
PY := $(UV) run --locked python
PG_URL ?= postgres://postgres@127.0.0.1:5432/headwater
CHROMIUM ?= /usr/bin/chromium
PORT ?= 8000

.PHONY: backup restore help setup run demo test test-fast test-pg test-browser test-long lint format typecheck messages bench bench-writes bench-lists bench-throughput bench-exports bench-import bench-intake check-deploy check-production system-deps clean

help:
	@echo "make run        set up, migrate, load the demo account and serve http://127.0.0.1:$(PORT) with the jobs worker (PORT=8001 for another)"
	@echo "make test       set up and run the whole suite (SQLite + browser tests)"
	@echo "make test-pg    the whole suite on PostgreSQL ($(PG_URL))"
	@echo "make test-long  both suites with the long trust runs (soak 60 s, 20 kills, 120 race rounds)"
	@echo "make lint       ruff + mypy + the import layers (lint-imports)"
	@echo "make bench      statistics benchmark (see docs/performance.md)"
	@echo "make bench-lists       list pages and API lists on the same data (selector, floor, HTTP times)"
	@echo "make bench-throughput  8 parallel clients against gunicorn: req/s and p95"
	@echo "make bench-import      the import of a 100,000-row file: preview, rows/s, ratio to a COPY floor, memory"
	@echo "make bench-intake      POST /api/v1/leads through gunicorn, 8 clients: leads/s, p95, ratio to a bare touch-insert floor"

.venv/.synced: pyproject.toml uv.lock
	$(UV) sync --locked
	@touch $@

setup: .venv/.synced
	@mkdir -p var

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_data
	@echo
	@echo "  Headwater is running at http://127.0.0.1:$(PORT)/"
	@echo "  Log in as admin@demo.test / demo-password-2026 (admin of 'demo' and 'acme'),"
	@echo "            member@demo.test / demo-password-2026 (member), viewer@demo.test / demo-password-2026 (viewer)"
	@echo "  E-mails (sign-up links, invitations) are printed here, in this terminal."
	@echo "  Background jobs run in a worker started beside the server; Ctrl-C stops both."
	@echo
	$(PY) scripts/serve.py --port $(PORT)

demo: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_data

# Debian's Chromium drives the browser tests and GNU gettext checks the translation; install them when missing
# and we can (root + apt).
system-deps:
	@if [ ! -x "$(CHROMIUM)" ] || ! command -v xgettext >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium and gettext for the browser and translation tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium gettext >/dev/null) || \
	      { echo "Could not install chromium/gettext with apt-get; install them (apt-get install chromium gettext) and re-run."; exit 1; }; \
	  else \
	    echo "The browser tests need Chromium at $(CHROMIUM) and the translation test GNU gettext: install Debian's"; \
	    echo "'chromium' and 'gettext' packages (as root: apt-get install chromium gettext)"; \
	    echo "or set CHROMIUM=/path/to/chromium (HEADWATER_CHROMIUM for pytest)."; exit 1; \
	  fi; \
	fi

test: setup system-deps
	HEADWATER_CHROMIUM=$(CHROMIUM) $(UV) run --locked pytest $(PYTEST_ARGS)

test-fast: setup
	$(UV) run --locked pytest -m "not browser and not slow" $(PYTEST_ARGS)

test-browser: setup system-deps
	HEADWATER_CHROMIUM=$(CHROMIUM) $(UV) run --locked pytest -m browser $(PYTEST_ARGS)

test-pg: setup system-deps
	@bash scripts/ensure-postgres.sh "$(PG_URL)"
	DATABASE_URL=$(PG_URL) HEADWATER_CHROMIUM=$(CHROMIUM) $(UV) run --locked pytest $(PYTEST_ARGS)

# The full trust runs (60 s soak, 20 kills, 120 race rounds, hundreds of fuzz examples) on SQLite, then PostgreSQL
# (the race tests need PostgreSQL's row locks). See docs/security.md.
test-long: setup system-deps
	HEADWATER_LONG=1 HEADWATER_CHROMIUM=$(CHROMIUM) $(UV) run --locked pytest $(PYTEST_ARGS)
	@bash scripts/ensure-postgres.sh "$(PG_URL)"
	HEADWATER_LONG=1 DATABASE_URL=$(PG_URL) HEADWATER_CHROMIUM=$(CHROMIUM) $(UV) run --locked pytest $(PYTEST_ARGS)

lint: setup
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked mypy .
	$(UV) run --locked lint-imports --no-cache

format: setup
	$(UV) run --locked ruff format .
	$(UV) run --locked ruff check --fix .

check-deploy: setup
	DJANGO_SETTINGS_MODULE=config.settings.production \
	DJANGO_SECRET_KEY=ci-check-deploy-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ \
	DJANGO_ALLOWED_HOSTS=crm.example.com \
	$(PY) manage.py check --deploy --fail-level WARNING

# collectstatic with the manifest storage, then gunicorn with the production settings on a free port against a
# throwaway database with the demo data, and every kind of page fetched (scripts/check_production.py).
check-production: setup
	$(PY) scripts/check_production.py $(CHECK_ARGS)

messages: setup
	$(PY) manage.py makemessages -l pl --no-obsolete --ignore=.venv --ignore=var --ignore=bench
	$(PY) manage.py compilemessages -l pl --ignore=.venv

backup: setup
	$(PY) manage.py backup_db $(BACKUP)

restore: setup
	@test -n "$(BACKUP)" || { echo "Say which backup: make restore BACKUP=var/backups/<file>"; exit 1; }
	$(PY) manage.py restore_db $(BACKUP)

bench: setup
	$(PY) -m bench.run_stats $(BENCH_ARGS)

# What the statistics triggers cost writers (see docs/performance.md).
bench-writes: setup
	$(PY) -m bench.tally_writes $(BENCH_ARGS)

# What the record lists' indexes buy and weigh, on the data `make bench` loaded (see docs/performance.md).
bench-lists: setup
	$(PY) -m bench.list_pages $(BENCH_ARGS)

# Requests per second with 8 parallel clients against gunicorn, on the data `make bench` loaded (docs/performance.md).
bench-throughput: setup
	$(PY) -m bench.throughput $(BENCH_ARGS)
# What a 100,000-row list export (CSV, XLSX) and a 10,000-record bulk change cost (docs/performance.md).
bench-exports: setup
	$(PY) -m bench.list_exports $(BENCH_ARGS)

# The import wizard on a fixed-seed file of 100,000 rows: preview, rows/s, import / COPY floor, memory (docs/performance.md).
bench-import: setup
	$(PY) -m bench.import_speed $(BENCH_ARGS)

# Lead intake: POST /api/v1/leads through gunicorn with 8 clients, against a bare touch-insert floor (docs/performance.md).
bench-intake: setup
	$(PY) -m bench.intake $(BENCH_ARGS)

clean:
	rm -rf .venv var .mypy_cache .ruff_cache
