"""Run the test suite on SQLite and on PostgreSQL at the same time, one process each.

The two runs share nothing but the machine: each has its own database, its own Redis
database number and its own coverage data file (``.coverage.sqlite``,
``.coverage.postgres``, combined afterwards by ``make coverage``). Their output is
printed as it comes, each line prefixed with the database's name, and the command fails
when either run fails. Without TRACKER_TEST_DATABASE_URL only the SQLite run is made.

    python tools/run_suites.py [pytest arguments...]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [sys.executable, "-m", "pytest", "--cov", "--cov-append", "--cov-report="]


def other_redis_database(url: str) -> str:
    """The same Redis server with the next lower database number (15 → 14), for the second run."""
    match = re.fullmatch(r"(redis://[^/]+)/(\d+)", url)
    if not match:
        return url
    number = int(match.group(2))
    return f"{match.group(1)}/{number - 1 if number > 0 else number + 1}"


def suites(env: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """Name and environment of each run."""
    sqlite = {k: v for k, v in env.items() if k != "TRACKER_TEST_DATABASE_URL"}
    sqlite["COVERAGE_FILE"] = str(ROOT / ".coverage.sqlite")
    runs = [("sqlite", sqlite)]
    if env.get("TRACKER_TEST_DATABASE_URL"):
        postgres = dict(env, COVERAGE_FILE=str(ROOT / ".coverage.postgres"))
        if env.get("TRACKER_TEST_REDIS_URL"):
            sqlite["TRACKER_TEST_REDIS_URL"] = other_redis_database(env["TRACKER_TEST_REDIS_URL"])
        runs.append(("postgres", postgres))
    else:
        print("TRACKER_TEST_DATABASE_URL is not set: PostgreSQL run skipped", flush=True)
    return runs


def _relay(name: str, stream, lock: threading.Lock) -> None:
    for line in iter(stream.readline, ""):
        with lock:
            sys.stdout.write(f"[{name}] {line}")
            sys.stdout.flush()


def main(argv: list[str]) -> int:
    lock = threading.Lock()
    started = []
    for name, env in suites(dict(os.environ)):
        process = subprocess.Popen(  # noqa: S603 - this interpreter's pytest
            [*PYTEST, "-p", "no:cacheprovider", *argv], cwd=ROOT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=1)
        relay = threading.Thread(target=_relay, args=(name, process.stdout, lock))
        relay.start()
        started.append((name, process, relay))
    failed = []
    for name, process, relay in started:
        if process.wait() != 0:
            failed.append(name)
        relay.join()
    for name, process, _relay_thread in started:
        print(f"=== {name}: {'failed' if name in failed else 'passed'} "
              f"(exit {process.returncode}) ===", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
