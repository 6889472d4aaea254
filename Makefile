# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MANAGE := $(BIN)/python manage.py

# `make serve` and `make bench` talk to PostgreSQL and Redis.
PG_SERVER ?= postgres://postgres@127.0.0.1:5432
SERVE_DB ?= polaris
REDIS_SERVER ?= redis://127.0.0.1:6379

.PHONY: run test install lint format migrate catalog admin serve bench css clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The embedded default: SQLite under var/, no Redis, no Stripe; a Celery worker on
# kombu's filesystem transport runs beside the development server.
run: install
	DEBUG=1 $(MANAGE) migrate --noinput
	DEBUG=1 $(MANAGE) load_catalog
	DEBUG=1 $(BIN)/honcho -f Procfile.dev start

# The suite runs on every core (pytest-xdist); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
test: install lint
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/pytest -n $(TEST_WORKERS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

admin: install
	$(MANAGE) createsuperuser

# Production-like: gunicorn, a Celery worker and beat, against PostgreSQL and Redis.
serve: install
	@psql "$(PG_SERVER)/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$(SERVE_DB)'" | grep -q 1 \
		|| psql "$(PG_SERVER)/postgres" -qc 'CREATE DATABASE "$(SERVE_DB)"'
	export DATABASE_URL=$(PG_SERVER)/$(SERVE_DB) REDIS_URL=$(REDIS_SERVER)/0 CONN_MAX_AGE=60; \
		$(MANAGE) migrate --noinput && $(MANAGE) load_catalog && \
		$(MANAGE) collectstatic --noinput --verbosity 0 && \
		$(BIN)/honcho -f Procfile start

# Runs every benchmark under bench/ (results in bench/results/). Needs wrk, HarfBuzz's
# subsetter, without which WeasyPrint falls back to fontTools, several times slower, and
# Chromium with Lighthouse (from npm, pinned in package-lock.json) for the front end.
BENCH_DEBS := wrk libharfbuzz-subset0 chromium
bench: install node_modules/.installed-stamp
	@dpkg-query -W -f='$${Status}\n' $(BENCH_DEBS) 2>/dev/null | grep -c "install ok installed" \
		| grep -qx "$(words $(BENCH_DEBS))" || (apt-get update -qq \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(BENCH_DEBS))
	PG_SERVER=$(PG_SERVER) REDIS_SERVER=$(REDIS_SERVER) $(BIN)/python -m bench

# Front-end tools from npm, pinned in package-lock.json: PurgeCSS and Lighthouse.
node_modules/.installed-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# static/vendor/bootstrap/bootstrap.purged.min.css: only the Bootstrap rules the pages use
# (purgecss.config.cjs says where it looks). Run after using a new Bootstrap class.
css: install node_modules/.installed-stamp
	PYTHON_TEMPLATES="$$($(BIN)/python -c 'import allauth, crispy_bootstrap5, pathlib; \
		print(":".join(str(pathlib.Path(m.__file__).parent / "templates") for m in (allauth, crispy_bootstrap5)))')" \
		node_modules/.bin/purgecss --config purgecss.config.cjs --output static/vendor/bootstrap/
	mv static/vendor/bootstrap/bootstrap.min.css static/vendor/bootstrap/bootstrap.purged.min.css

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis node_modules
