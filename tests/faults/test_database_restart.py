"""PostgreSQL restarted under load: the app recovers by itself and keeps no half report.

A real server (werkzeug, threaded) runs the app on the private PostgreSQL. Visitors read
public pages and focal points write progress reports while the database is restarted in
"fast" mode, which cuts every connection. During the outage a request may be answered
503 (a clean page, never a 500); a writer whose answer was not a redirect sends the same
form again, as a person would, with the same form key. Once the database is back every
request succeeds without restarting the app, every report asked for exists once, and
each has its first transition and its recommendation.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from tests import factories as f
from tests.faults.conftest import fault_app, serving
from tracker.extensions import db
from tracker.models import ProgressReport, ReportTransition, Role
from tracker.models.followup import report_recommendation

pytestmark = pytest.mark.postgres_only
KEY = re.compile(r'name="submission_key"[^>]*value="([^"]+)"')
READERS, WRITERS = 3, 2
# Successful requests each client makes before the restart and after it.
ROUNDS = 4


class Load:
    """Clients that work until told to stop; what each request answered, before and after."""

    def __init__(self):
        self.restarted = threading.Event()
        self.done = threading.Event()
        self.answers = {"before": Counter(), "after": Counter()}
        self.successes = {"before": Counter(), "after": Counter()}
        self.reports: dict[str, str] = {}  # form key -> the report page it led to
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()

    def phase(self) -> str:
        return "after" if self.restarted.is_set() else "before"

    def note(self, client: str, phase: str, status: int | str) -> None:
        with self.lock:
            self.answers[phase][status] += 1
            if status in (200, 302):
                self.successes[phase][client] += 1

    def everyone_did(self, phase: str, clients: list[str]) -> bool:
        with self.lock:
            return all(self.successes[phase][c] >= ROUNDS for c in clients)


def _send(load: Load, client: str, call) -> requests.Response | None:
    phase = load.phase()
    try:
        response = call()
    except requests.ConnectionError:
        load.note(client, phase, "connection")
        return None
    load.note(client, phase, response.status_code)
    return response


def _read(load: Load, base: str, client: str, rec_id: int) -> None:
    with requests.Session() as browser:
        while not load.done.is_set():
            for path in ("/", "/recommendations", f"/recommendations/{rec_id}"):
                _send(load, client, lambda p=path: browser.get(base + p, timeout=30))


def _write(load: Load, base: str, client: str, email: str, rec_id: int) -> None:
    with requests.Session() as browser:
        signed_in = browser.post(base + "/login", data={"email": email, "password": f.PASSWORD},
                                 allow_redirects=False, timeout=30)
        assert signed_in.status_code == 302
        while not load.done.is_set():
            form = _send(load, client, lambda: browser.get(
                base + "/my-institution/reports/new", timeout=30))
            if form is None or form.status_code != 200:
                continue
            key = KEY.search(form.text).group(1)
            data = {"title": f"Report {key[:8]}", "recommendation_ids": [str(rec_id)],
                    "measure_kind": "policy", "description": "Written under load.",
                    "submission_key": key}
            while True:  # the same form again until it is answered: nothing is lost
                sent = _send(load, client, lambda d=data: browser.post(
                    base + "/my-institution/reports/new", data=d, allow_redirects=False,
                    timeout=30))
                if sent is not None and sent.status_code == 302:
                    with load.lock:
                        load.reports[key] = sent.headers["Location"]
                    break


def _guarded(load: Load, work, *args) -> None:
    try:
        work(load, *args)
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        load.errors.append(exc)
        load.done.set()


def _wait_until(load: Load, phase: str, clients: list[str], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not load.everyone_did(phase, clients) and not load.done.is_set():
        if time.monotonic() > deadline:
            raise AssertionError(f"clients did not all succeed {phase} the restart: "
                                 f"{dict(load.successes[phase])}, {dict(load.answers[phase])}")
        time.sleep(0.05)


def test_the_app_rides_out_a_database_restart(running_postgres):
    built = fault_app(running_postgres.url)
    with built.app_context():
        inst = f.institution(acronym="RESTART")
        rec = f.recommendation(reference="RESTART ¶1")
        f.assignment(rec, inst)
        writers = [f.user(Role.FOCAL_POINT, inst, email=f"writer{n}@restart.example").email
                   for n in range(WRITERS)]
        db.session.commit()
        ids = {"rec": rec.id, "inst": inst.id}
        db.session.remove()

    load = Load()
    clients = [f"reader{n}" for n in range(READERS)] + [f"writer{n}" for n in range(WRITERS)]
    with serving(built) as base:
        threads = [threading.Thread(target=_guarded, args=(load, _read, base, c, ids["rec"]))
                   for c in clients[:READERS]]
        threads += [threading.Thread(target=_guarded,
                                     args=(load, _write, base, c, email, ids["rec"]))
                    for c, email in zip(clients[READERS:], writers, strict=True)]
        for thread in threads:
            thread.start()
        try:
            _wait_until(load, "before", clients)
            running_postgres.restart()  # every open connection is cut
            load.restarted.set()
            _wait_until(load, "after", clients)
        finally:
            load.done.set()
            for thread in threads:
                thread.join(60)

    assert load.errors == []
    # Some requests met the outage: answered 503, or not at all while the server restarted.
    assert set(load.answers["before"]) <= {200, 302, 503, "connection"}, load.answers
    # Once the database was back, the same app (never restarted) answered everything.
    assert set(load.answers["after"]) <= {200, 302}, load.answers
    with built.app_context():
        made = {r.id: r for r in db.session.scalars(select(ProgressReport).where(
            ProgressReport.institution_id == ids["inst"]))}
        first_steps = dict(db.session.execute(
            select(ReportTransition.report_id, func.count()).where(
                ReportTransition.report_id.in_(made)).group_by(ReportTransition.report_id)).all())
        linked = dict(db.session.execute(
            select(report_recommendation.c.report_id, func.count())
            .where(report_recommendation.c.report_id.in_(made))
            .group_by(report_recommendation.c.report_id)).all())
        db.session.remove()
        db.engine.dispose()
    # Nothing lost, nothing twice: one report per form, at the page its answer named.
    assert sorted(f"/my-institution/reports/{i}" for i in made) == sorted(load.reports.values())
    assert len(set(load.reports.values())) == len(load.reports) >= WRITERS * ROUNDS // 2
    # No half report: each has its first transition and its recommendation.
    assert first_steps == dict.fromkeys(made, 1) and linked == dict.fromkeys(made, 1)
