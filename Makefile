# Abonent — see README.md. `make run` to try it, `make test` for the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: run install test lint bench migrate demo messages clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=25.1"
	$(PY) -m pip install -q --group test
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

migrate: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput

# Where `make run` serves (host:port); load_demo prints the logins with it.
ADDRESS ?= 127.0.0.1:8000

demo: migrate
	$(PY) manage.py load_demo --address $(ADDRESS)

run: demo
	@echo "Serving Abonent at http://$(ADDRESS)/ (Ctrl+C stops it)"
	$(PY) manage.py runserver $(ADDRESS)

# The whole suite on PostgreSQL: DATABASE_URL if set, else 127.0.0.1:5432, else a
# throwaway cluster; system packages (Chromium, ...) are installed when missing.
test: install
	@bash scripts/test-deps.sh
	@bash scripts/with-postgres.sh $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

bench: install
	@bash scripts/with-postgres.sh bash -c '$(PY) bench/run.py && $(PY) bench/documents.py && $(PY) bench/billing.py && $(PY) bench/bank_import.py && $(PY) bench/radius.py && $(PY) bench/messaging.py && $(PY) bench/helpdesk.py && $(PY) bench/jpk.py && $(PY) bench/ksef.py && $(PY) bench/lms_import.py && $(PY) bench/voip.py && $(PY) bench/warehouse.py'

messages: install
	cd $(CURDIR) && $(PY) manage.py makemessages -l pl --no-location --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages -l pl --ignore=.venv

clean:
	rm -rf var/static var/media var/pgtest
