"""The Celery worker of the fault tests: ``python -m tests.faults.stalling_worker``.

With FAULTS_STALL=1 (read here only) its export builds and imports stop mid-way, after
the job was claimed: a worker there to be killed. Without it, it is the ordinary worker.
"""

from __future__ import annotations

import os
import threading


def _stall(*_args, **_kwargs):
    threading.Event().wait()


def main() -> None:
    if os.environ.get("FAULTS_STALL") == "1":
        from tracker.services import export_runs, import_runs

        export_runs._builder = lambda _job: _stall
        import_runs.import_records = _stall
    from tracker.worker import celery_app

    celery_app.worker_main(["worker", "--pool=solo", "--loglevel=WARNING", "--without-gossip",
                            "--without-mingle", "--without-heartbeat"])


if __name__ == "__main__":
    main()
