"""`make test` runs the SQLite and PostgreSQL suites side by side without their sharing state."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("run_suites", ROOT / "tools" / "run_suites.py")
run_suites = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_suites)

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_both_runs_get_their_own_database_redis_number_and_coverage_file():
    runs = dict(run_suites.suites({"TRACKER_TEST_DATABASE_URL": PG, "PATH": "/bin",
                                   "TRACKER_TEST_REDIS_URL": "redis://127.0.0.1:6379/15"}))
    assert set(runs) == {"sqlite", "postgres"}
    assert "TRACKER_TEST_DATABASE_URL" not in runs["sqlite"]
    assert runs["postgres"]["TRACKER_TEST_DATABASE_URL"] == PG
    assert runs["sqlite"]["TRACKER_TEST_REDIS_URL"] == "redis://127.0.0.1:6379/14"
    assert runs["postgres"]["TRACKER_TEST_REDIS_URL"] == "redis://127.0.0.1:6379/15"
    assert runs["sqlite"]["COVERAGE_FILE"] != runs["postgres"]["COVERAGE_FILE"]
    assert runs["sqlite"]["PATH"] == runs["postgres"]["PATH"] == "/bin"


def test_without_postgresql_only_sqlite_runs():
    runs = dict(run_suites.suites({"TRACKER_TEST_REDIS_URL": "redis://127.0.0.1:6379/0"}))
    assert list(runs) == ["sqlite"]
    assert runs["sqlite"]["TRACKER_TEST_REDIS_URL"] == "redis://127.0.0.1:6379/0"


def test_redis_database_zero_moves_up_and_odd_addresses_stay():
    assert run_suites.other_redis_database("redis://h:6379/0") == "redis://h:6379/1"
    assert run_suites.other_redis_database("redis://h:6379") == "redis://h:6379"
