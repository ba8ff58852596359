"""A live server for the browser tests, on its own database, and Debian's Chromium.

The live server answers from other threads, so it cannot share the rolled-back
transaction of the other tests: it gets its own app on its own database (a SQLite file,
or a dedicated schema of the PostgreSQL test database), built by the migrations and
filled with committed data, with CSRF protection on as in production.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import scratch_database

SCHEMA = "browser_e2e"
DEMO_SCHEMA = "browser_demo"
BROWSER = os.environ.get("TRACKER_TEST_BROWSER", "/usr/bin/chromium")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class LiveServer:
    url: str
    app: object
    data: dict = field(default_factory=dict)


def _build_app(url: str, options: dict):
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.extensions import db
    from tracker.services.seed import seed_reference_data

    app = create_app({
        "TESTING": False,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": options,
        "SECRET_KEY": "browser-test-secret",
        "WTF_CSRF_ENABLED": True,
        "MAIL_SERVER": None,
        "CELERY_BROKER_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    with app.app_context():
        upgrade()
        seed_reference_data()
        db.session.commit()
    return app


def _fill(app) -> dict:
    from tests import factories
    from tracker.extensions import db
    from tracker.models import Role
    from tracker.services.report_queries import local_today

    with app.app_context():
        inst = factories.institution("SEMUJER-E2E", name_en="Secretariat for Women (E2E)",
                                     name_es="Secretaría de la Mujer (E2E)")
        rec = factories.recommendation(
            text="Adopt a comprehensive law on violence against women and fund shelters.")
        factories.assignment(rec, inst, next_due=local_today() + timedelta(days=5))
        focal = factories.user(Role.FOCAL_POINT, inst, name="Ana Enlace", locale="en",
                               email="ana.enlace@semujer.example")
        db.session.commit()
        return {"email": focal.email, "password": factories.PASSWORD,
                "reference": rec.reference, "rec_id": rec.id, "focal_id": focal.id,
                "institution_id": inst.id, "document_id": rec.document_id,
                **_fill_office(inst, focal)}


def _fill_office(inst, focal) -> dict:
    """What the office's pages show: a submitted report, an assessment history, audit events."""
    from tests import factories
    from tracker.extensions import db
    from tracker.models import ImplementationStatus, ReportVisibility, Role
    from tracker.services import assessments, evidence, reports

    reviewer = factories.user(Role.REVIEWER, name="María Fernanda Castellanos Rivera",
                              email="revisora@office.example", locale="es")
    admin = factories.user(Role.ADMIN, name="Administradora del Sistema",
                           email="admin@office.example", locale="es")
    # Unread messages put a counted bell beside the names in the account bar.
    for person in (reviewer, admin):
        for _ in range(12):
            factories.notification(person)
    rec = factories.recommendation(
        factories.document("CEDAW/C/HND/CO/7-8", mechanism_code="CEDAW"),
        text="Ensure that women victims of violence have effective access to justice, "
             "protection orders and reparation in every department of the country.")
    factories.assignment(rec, inst)
    published = factories.progress_report(focal, [rec], title="Protection orders issued")
    evidence.attach_file(focal, published.id, filename="Informe de avance.pdf",
                         data=b"%PDF-1.4\n%%EOF\n" + b"%" * 17_598, is_public=True,
                         label="Progress report")
    reports.submit_report(focal, published.id, published.version)
    reports.approve_report(reviewer, published.id, published.version,
                           visibility=ReportVisibility.PUBLIC)
    waiting = factories.progress_report(focal, [rec], title="Specialised courts in three cities")
    reports.submit_report(focal, waiting.id, waiting.version)
    for status, why in (
            (ImplementationStatus.NOT_STARTED, "No measure had been reported when the "
             "Committee's concluding observations were adopted."),
            (ImplementationStatus.IN_PROGRESS, "Protection orders are now issued in "
             "Tegucigalpa and San Pedro Sula; the other departments still lack specialised "
             "courts, and the budget of the shelters was not increased.")):
        assessments.assess(reviewer, rec.id, status, why, [published.id], rec.version)
    # A public office action under a pillar, for the pillar and recommendation pages.
    action = factories.office_action(title="Workshop with judges on protection orders",
                                     is_public=True)
    action.terms = [factories.term("pillar", "accountability")]
    action.institutions, action.recommendations = [inst], [rec]
    db.session.commit()
    return {"reviewer_email": reviewer.email, "admin_email": admin.email,
            "office_rec_id": rec.id, "waiting_report_id": waiting.id}


def _fill_demo(app) -> dict:
    """The Honduras demo, loaded as `tracker demo` loads it: what `make run` shows."""
    from tracker.extensions import db
    from tracker.services.demo import load_demo

    with app.app_context():
        load_demo()
        db.session.commit()
    return {}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    with scratch_database(tmp_path_factory.mktemp("e2e"), SCHEMA) as (url, options):
        yield from _serve(url, options, _fill)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    """A live server on the demo data alone, in a database of its own."""
    with scratch_database(tmp_path_factory.mktemp("demo"), DEMO_SCHEMA) as (url, options):
        yield from _serve(url, options, _fill_demo)


def _serve(url: str, options: dict, fill):
    from werkzeug.serving import make_server

    from tracker.extensions import db

    # Built in a thread of its own: creating an app makes its Celery app the *current*
    # one of the creating thread, and the other tests' thread must keep theirs.
    built: dict = {}

    def build():
        try:
            built["app"] = _build_app(url, options)
            built["data"] = fill(built["app"])
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            built["error"] = exc

    builder = threading.Thread(target=build)
    builder.start()
    builder.join()
    if "error" in built:
        raise built["error"]
    app = built["app"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app,
                         data=built["data"])
    finally:
        server.shutdown()
        serving.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(BROWSER):
        pytest.skip(f"no Chromium at {BROWSER} (set TRACKER_TEST_BROWSER or install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=BROWSER, args=BROWSER_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
