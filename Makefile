# Set-up, run and test. `make run` and `make test` do everything on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install run test test-sqlite test-postgres coverage lint lock lock-upgrade audit translations extract-messages worker beat bench bench-http bench-load clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile -d tracker/translations -f

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -o tracker/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i tracker/translations/messages.pot -d tracker/translations --no-fuzzy-matching --ignore-obsolete

run: install
	$(BIN)/tracker db upgrade
	$(BIN)/tracker seed
	$(BIN)/tracker demo --if-empty
	$(BIN)/tracker exports snapshot
	$(BIN)/tracker api bulk
	$(BIN)/tracker users demo-logins
	$(BIN)/tracker run --host $(HOST) --port $(PORT)

worker: install
	$(BIN)/celery -A tracker.worker worker --loglevel=INFO

beat: install
	$(BIN)/celery -A tracker.worker beat --loglevel=INFO

lint: $(STAMP)
	$(BIN)/ruff check .

# requirements.lock: the exact version and hashes of every dependency the Docker image
# installs, resolved from [project.dependencies] for Python 3.11 on any platform. `make lock`
# brings it in line with pyproject.toml and keeps every pin that still fits;
# `make lock-upgrade` takes the newest releases the ranges allow. Both ask PyPI.
LOCK_COMPILE = $(BIN)/uv pip compile --quiet pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock" --output-file requirements.lock

lock: $(STAMP)
	$(LOCK_COMPILE)

lock-upgrade: $(STAMP)
	$(LOCK_COMPILE) --upgrade

# Known vulnerabilities of the locked versions, from PyPI's advisories. A dependency the
# service cannot answer for is listed as not audited; AUDIT_FLAGS=--strict fails on it too.
AUDIT_FLAGS ?=
audit: $(STAMP)
	$(BIN)/pip-audit --requirement requirements.lock --require-hashes --disable-pip \
		--progress-spinner off $(AUDIT_FLAGS)

# `make test` runs the suite on SQLite and on PostgreSQL at the same time (one process each,
# tools/run_suites.py), each into its own coverage data file; `make coverage` combines them and
# fails when branch coverage of tracker/ falls under BRANCH_COVERAGE_MIN per cent.
# `make test-sqlite` and `make test-postgres` run one database alone.
BRANCH_COVERAGE_MIN ?= 90
PYTEST_COV := --cov --cov-append --cov-report=

test: install lint
	$(BIN)/coverage erase
	$(BIN)/python tools/run_suites.py
	@$(MAKE) --no-print-directory coverage

test-sqlite: install
	@echo "=== test suite on SQLite ==="
	env -u TRACKER_TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_COV)

test-postgres: install
	@if [ -n "$$TRACKER_TEST_DATABASE_URL" ]; then \
		echo "=== test suite on PostgreSQL ==="; \
		$(BIN)/pytest $(PYTEST_COV); \
	else \
		echo "TRACKER_TEST_DATABASE_URL is not set: PostgreSQL run skipped"; \
	fi

coverage: $(STAMP)
	@echo "=== coverage of tracker/ (lines and branches, every run above combined) ==="
	@if ls .coverage.* >/dev/null 2>&1; then $(BIN)/coverage combine --quiet; fi
	$(BIN)/coverage report
	$(BIN)/python tools/branch_coverage.py --min $(BRANCH_COVERAGE_MIN)

bench: install
	$(BIN)/python bench/run.py

# The pages over HTTP under gunicorn, with concurrent clients; needs wrk (bench/README.md).
bench-http: install
	$(BIN)/python bench/http_load.py

bench-load: install
	$(BIN)/python bench/load.py --clients 16 --duration 60

clean:
	rm -rf $(VENV) instance/*.db .pytest_cache .coverage .coverage.*
