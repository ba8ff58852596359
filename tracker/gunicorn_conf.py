"""gunicorn settings for the metrics of several processes (``-c python:tracker.gunicorn_conf``).

With PROMETHEUS_MULTIPROC_DIR set, each process writes its metrics to files there and a
scrape adds them up. The folder is emptied when gunicorn starts, so that the counts of a
previous run are not added in. (No metric is a gauge of live processes, so an exiting
process needs no bookkeeping: its counts stay in the sums, as counters should.)
"""

import os
from pathlib import Path


def on_starting(_server) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for leftover in Path(folder).glob("*.db"):
            leftover.unlink()
