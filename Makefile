# Paydesk: `make run` for a local demo, `make test` for the whole suite on PostgreSQL.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export DATABASE_URL ?= sqlite:///$(CURDIR)/var/paydesk.sqlite3

.PHONY: run serve test proof bench lint migrate-check clean

$(VENV)/.installed-runtime: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Paydesk needs Python 3.11+"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed-runtime
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The demo: SQLite under var/, demo data, the web server and a django-q2 cluster together.
# Unset DEBUG means production, so the demo says it is one.
# PORT picks the port on 127.0.0.1 (8000 by default); BIND, if set, names the whole address.
run: export DEBUG ?= true
run: PORT ?= 8000
# The links in the emails the demo prints point at the demo's own address.
run: export PAYDESK_PUBLIC_URL ?= http://$(or $(BIND),127.0.0.1:$(PORT))
run: $(VENV)/.installed-runtime
	mkdir -p var
	@$(PY) manage.py migrate --check >/dev/null 2>&1 || echo "Setting up the database: \
	about a minute the first time (dj-stripe's migrations), then the demo data."
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	$(PY) manage.py setup_schedules
	@echo "Paydesk on http://$${BIND:-127.0.0.1:$(PORT)}  (Ctrl-C stops the web server and the job cluster)"
	$(PY) manage.py serve $${BIND:-127.0.0.1:$(PORT)}

# Production: gunicorn (WEB_CONCURRENCY workers, default 1) serves the app and, through
# whitenoise, the collected static files; the django-q2 cluster runs beside it. Needs the
# production environment (README: Deploying); migrations are run apart, as the owner role.
serve: $(VENV)/.installed-runtime
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py serve --gunicorn $${BIND:-127.0.0.1:8000}

# The whole suite on PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/paydesk).
# The test database is kept between runs: dj-stripe's migrations cost about a minute when new.
# It runs on every CPU (pytest-xdist, TEST_WORKERS to change): each worker has its own test
# database and app role (config/test_settings.py).
test: $(VENV)/.installed-dev
	DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/paydesk} \
	$(VENV)/bin/pytest -m "not bench" -q -n $${TEST_WORKERS:-auto}

# The property tests (random action sequences, random order lives) at 1,000 examples each
# instead of `make test`'s 200 and 25; every example starts from empty books
# (tests/billing/proof.py). Long: the order lives take about a second a step.
proof: $(VENV)/.installed-dev
	DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/paydesk} \
	PAYDESK_PROOF_EXAMPLES=$${PAYDESK_PROOF_EXAMPLES:-1000} \
	PAYDESK_PROOF_ORDER_EXAMPLES=$${PAYDESK_PROOF_ORDER_EXAMPLES:-1000} \
	$(VENV)/bin/pytest -q tests/billing/test_random_sequences.py \
	  tests/billing/test_random_order_sequences.py

bench: $(VENV)/.installed-dev
	DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/paydesk} \
	$(VENV)/bin/pytest -m bench -q -s tests/bench

# Models and migrations agree (the suite checks it too: tests/test_migrations.py). The test
# settings, since unset settings mean production, which refuses to start without SECRET_KEY.
migrate-check: $(VENV)/.installed-dev
	DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/paydesk} \
	DJANGO_SETTINGS_MODULE=config.test_settings $(PY) manage.py makemigrations --check --dry-run

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf var/paydesk.sqlite3 .pytest_cache
