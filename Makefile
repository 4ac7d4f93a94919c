# Everything runs from the repo-root virtualenv `.venv`, created and filled on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
STAMP := $(VENV)/.installed
MANAGE := cd backend && $(PY) manage.py
PORT ?= 8000
WEB_CONCURRENCY ?= 2

.PHONY: install messages run serve test lint format bench bench-long-chat migrate superuser clean browser

install: $(STAMP) messages

$(STAMP): backend/requirements.txt backend/requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r backend/requirements-dev.txt
	touch $(STAMP)

# The API's translations (backend/locale/*/LC_MESSAGES/django.po) compiled to .mo, by Babel: no GNU
# gettext needed. The .mo files are build artefacts (not in git), remade when their .po changes.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard backend/locale/*/LC_MESSAGES/django.po))
messages: $(MO_FILES)

backend/locale/%/LC_MESSAGES/django.mo: backend/locale/%/LC_MESSAGES/django.po $(STAMP)
	$(VENV)/bin/pybabel compile -l $* -i $< -o $@

migrate: install
	$(MANAGE) migrate --noinput

run: migrate
	cd backend && $(PY) devserver.py

serve: migrate
	cd backend && PORT=$(PORT) WEB_CONCURRENCY=$(WEB_CONCURRENCY) $(PY) -m gunicorn -c gunicorn.conf.py config.asgi:application

lint: install
	cd backend && $(PY) -m ruff check . && $(PY) -m ruff format --check . && $(CURDIR)/$(VENV)/bin/lint-imports --no-logo

format: install
	cd backend && $(PY) -m ruff format . && $(PY) -m ruff check --fix .

test: lint browser messages
	$(MANAGE) makemigrations --check --dry-run
	cd backend && $(PY) -m pytest $(PYTEST_ARGS)

# The browser tests use a system Chromium (Debian's `chromium`); without one, try Playwright's own.
# If neither can be had, those tests skip with one line saying so.
browser: install
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  $(PY) -m playwright install chromium >/dev/null 2>&1 || \
	  echo "make: no Chromium found and Playwright could not download one; the browser tests will be skipped"

bench: migrate
	cd backend && $(PY) -m benchmarks $(BENCH_ARGS)

# A 200-turn chat past the model's window: request building with and without stored token counts,
# prompt tokens, time to first token and CPU per send with summaries on and off.
bench-long-chat: migrate
	cd backend && $(PY) -m benchmarks.long_chat $(BENCH_ARGS)

superuser: migrate
	$(MANAGE) createsuperuser

clean:
	rm -rf $(VENV) backend/test-db.sqlite3* backend/staticfiles $(MO_FILES)
