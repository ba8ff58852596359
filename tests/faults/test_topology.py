"""Several machines on loopback: two web instances, two workers, beat started twice.

One private PostgreSQL and one private Redis; two gunicorn instances started with the
production command on their own ports; two Celery workers; two beats. Whatever a user
does through one instance holds on the other: a session, the count of failed sign-ins,
an export asked for here and downloaded there. The daily reminder pass, sent twice (as
two beats would), reaches each focal point once, and only one of the two beats sends
the schedule until it dies, when the other takes over.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack, contextmanager
from datetime import date
from itertools import groupby
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from tests import factories as f
from tests.conftest import free_port
from tests.faults.conftest import fault_app, wait_for, worker
from tracker.extensions import db
from tracker.models import JobState, Notification, NotificationStatus, ReportJob, Role

pytestmark = pytest.mark.postgres_only
PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TODAY = date(2026, 3, 10)
REVIEWER = "topology-reviewer@office.example"
FOCAL = ("topology-a@inst.example", "topology-b@inst.example")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _environment(postgres, redis_server, mail_port: int) -> dict[str, str]:
    """What every machine of the deployment is given: the same services and secret."""
    return dict(
        os.environ, TRACKER_ENV_NAME="production", TRACKER_SECRET_KEY="topology-secret-" * 4,
        TRACKER_DATABASE_URL=postgres.url, TRACKER_BROKER_URL=redis_server.url,
        TRACKER_RATELIMIT_STORAGE_URI=redis_server.url,
        TRACKER_MAIL_SERVER="127.0.0.1", TRACKER_MAIL_PORT=str(mail_port),
        TRACKER_WORKER_HEARTBEAT_SECONDS="1", TRACKER_BEAT_LOCK_SECONDS="3")


@contextmanager
def _process(command: list[str], env: dict[str, str]):
    """Run a server process for the block; stop it afterwards, killed if it will not stop."""
    started = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL,  # noqa: S603
                               stderr=subprocess.DEVNULL)
    try:
        yield started
    finally:
        if started.poll() is None:
            started.terminate()
            try:
                started.wait(30)
            except subprocess.TimeoutExpired:
                started.kill()
                started.wait(30)


class Browser:
    """A browser speaking to one instance: it keeps its cookies (Secure ones too)."""

    def __init__(self, base: str, cookies: dict[str, str] | None = None):
        self.base = base
        self.cookies = cookies if cookies is not None else {}

    def on(self, base: str) -> Browser:
        """The same browser, its cookies shared, speaking to another instance."""
        return Browser(base, self.cookies)

    def request(self, path: str, form: dict | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        sent = urllib.request.Request(self.base + path, data=data, headers={  # noqa: S310
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())})
        try:
            answer = _NO_REDIRECT.open(sent, timeout=60)
        except urllib.error.HTTPError as refused:
            answer = refused
        with answer:
            for cookie in answer.headers.get_all("Set-Cookie") or []:
                name, value = cookie.split(";", 1)[0].split("=", 1)
                self.cookies[name] = value
            return answer.status, answer.read().decode("utf-8", "replace")

    def submit(self, form_path: str, fields: dict, to: str | None = None) -> tuple[int, str]:
        """Fill in the form at form_path (its CSRF token included) and send it."""
        _status, page = self.request(form_path)
        return self.request(to or form_path, {"csrf_token": CSRF.search(page)[1], **fields})

    def sign_in(self, email: str, password: str = f.PASSWORD) -> int:
        return self.submit("/login", {"email": email, "password": password})[0]


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None


_NO_REDIRECT = urllib.request.build_opener(_Stay)


def _web_instance(env: dict[str, str]):
    """gunicorn on a free port with the command of the Dockerfile: the port, and its runner."""
    port = free_port()
    command = [str(BIN / "gunicorn"), "--config", "python:tracker.gunicorn_conf", "--bind",
               f"127.0.0.1:{port}", "--workers", "2", "--timeout", "600",
               "tracker:create_app()"]
    return port, _process(command, env)


def _beat(env: dict[str, str], schedule: Path):
    return _process([str(BIN / "celery"), "-A", "tracker.worker", "beat", "--loglevel=INFO",
                     f"--schedule={schedule}"], env)


def _heartbeat_senders(broker: redis.Redis) -> list[str]:
    """The process that sent each heartbeat task waiting in the queue, oldest first."""
    messages = [json.loads(raw) for raw in reversed(broker.lrange("celery", 0, -1))]
    return [m["headers"]["origin"] for m in messages
            if m["headers"]["task"] == "tracker.tasks.record_worker_heartbeat"]


def _sender_pid(origin: str) -> int:
    return int(origin.split("@", 1)[0].removeprefix("gen"))


def _sent_by(broker: redis.Redis, pid: int) -> list[str]:
    """The senders of the heartbeats waiting, once one of them is pid; else nothing."""
    senders = _heartbeat_senders(broker)
    return senders if pid in map(_sender_pid, senders) else []


def test_beat_started_twice_sends_the_schedule_once(running_postgres, running_redis, tmp_path):
    env = _environment(running_postgres, running_redis, free_port())
    broker = redis.Redis.from_url(running_redis.url)
    broker.delete("celery")
    with _beat(env, tmp_path / "one") as one, _beat(env, tmp_path / "two") as two:
        beats = {one.pid: one, two.pid: two}
        # No worker takes the heartbeats (one a second): they wait in the queue, each
        # naming the beat that sent it.
        senders = wait_for(lambda: len(found := _heartbeat_senders(broker)) >= 4 and found,
                           "four heartbeats")
        holder = _sender_pid(senders[0])
        assert {_sender_pid(s) for s in senders} == {holder}
        beats[holder].send_signal(signal.SIGKILL)  # dies holding the lock
        beats[holder].wait(30)
        (other,) = set(beats) - {holder}
        senders = wait_for(lambda: _sent_by(broker, other), "the other beat to take over")
    broker.delete("celery")
    # One beat, then the other: never both at once.
    assert [pid for pid, _run in groupby(map(_sender_pid, senders))] == [holder, other]


def _notes(built) -> list[tuple[str, NotificationStatus]]:
    with built.app_context():
        found = db.session.execute(select(Notification.recipient_email, Notification.status)
                                   .where(Notification.recipient_email.in_(FOCAL)))
        notes = sorted(found.all())
        db.session.remove()
    return notes


def _export_state(built, job_id: int) -> JobState:
    with built.app_context():
        state = db.session.get(ReportJob, job_id).state
        db.session.remove()
    return state


def _idle(broker: redis.Redis) -> bool:
    """No task waiting in the queue and none taken but not finished (acknowledged late)."""
    return broker.llen("celery") == 0 and broker.hlen("unacked") == 0


def test_two_instances_and_two_workers_share_everything(
        running_postgres, running_redis, app, mailbox):
    built = fault_app(running_postgres.url, CELERY_BROKER_URL=running_redis.url)
    with built.app_context():
        inst = f.institution(acronym="TOPO")
        f.assignment(f.recommendation(reference="TOPO ¶1"), inst, next_due=date(2026, 3, 1))
        for address in FOCAL:
            f.user(Role.FOCAL_POINT, inst, email=address, locale="en")
        f.user(Role.REVIEWER, email=REVIEWER, locale="en")
        db.session.commit()
        db.session.remove()

    env = _environment(running_postgres, running_redis, app.config["MAIL_PORT"])
    broker = redis.Redis.from_url(running_redis.url)
    with ExitStack() as stack:
        bases = []
        for _instance in range(2):
            port, web = _web_instance(env)
            stack.enter_context(web)
            bases.append(f"http://127.0.0.1:{port}")
        for _worker in range(2):
            stack.enter_context(worker(running_postgres.url, running_redis.url,
                                       **{k: v for k, v in env.items()
                                          if k.startswith("TRACKER_MAIL")}))
        for base in bases:
            wait_for(lambda base=base: _up(base), f"{base} to answer")
        a, b = bases

        # Signed in on A, the reviewer is signed in on B: one secret key, one session.
        reviewer = Browser(a)
        assert reviewer.sign_in(REVIEWER) == 302
        assert reviewer.on(b).request("/review/exports")[0] == 200
        assert Browser(b).request("/review/exports")[0] == 302  # to the sign-in page

        # An export asked for through A, built by a worker, downloaded through B.
        status, _page = reviewer.submit("/review/exports/new", {"type": "status_matrix.csv"})
        assert status == 302
        with built.app_context():
            job_id = db.session.scalar(select(ReportJob.id).order_by(ReportJob.id.desc()))
            db.session.remove()
        wait_for(lambda: _export_state(built, job_id) == JobState.DONE, "the export")
        status, csv = reviewer.on(b).request(f"/files/exports/{job_id}")
        assert status == 200 and "TOPO ¶1" in csv

        # Failed sign-ins counted across both: the fifth, whichever instance took it,
        # makes both wait (with counts per instance, neither would have reached five).
        guesser = Browser(a)
        for attempt in range(5):
            assert guesser.on(bases[attempt % 2]).sign_in(FOCAL[0], "wrong-guess") == 401
        assert guesser.on(b).sign_in(FOCAL[0]) == 429
        assert guesser.on(a).sign_in(FOCAL[0]) == 429

        # The daily pass sent twice, as two beats would, taken by the two workers.
        celery = built.extensions["celery"]
        for _beat_sent in range(2):
            celery.send_task("tracker.tasks.send_reminder_digests", [TODAY.isoformat()])
        wait_for(lambda: _notes(built) == [(email, NotificationStatus.SENT) for email in FOCAL],
                 "the digests to be sent")
        wait_for(lambda: _idle(broker), "both passes to end")

    digests = [m["To"] for m in mailbox.messages if m["To"] in FOCAL]
    assert sorted(digests) == sorted(FOCAL)
    with built.app_context():
        db.engine.dispose()


def _up(base: str) -> bool:
    try:
        return Browser(base).request("/healthz")[0] == 200
    except OSError:
        return False
