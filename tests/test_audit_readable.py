"""The audit trail reads as sentences in the reader's language, with links and local times."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select, update

from tests import factories
from tracker.audit import NOT_AUDITED, acting_as
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    ImplementationStatus,
    ReportState,
    Role,
    User,
)

# 15:00 UTC is 09:00 in Tegucigalpa (UTC-6, no daylight saving).
KNOWN_INSTANT = datetime(2024, 6, 1, 15, 0, tzinfo=UTC)


def _text(page: str) -> str:
    """The page as a reader sees it: no tags, single spaces."""
    body = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(body)).replace(" :", ":").strip()


def _events_of(session, entity_type: str, entity_id) -> list[AuditEvent]:
    return list(session.execute(select(AuditEvent).where(
        AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.id)).scalars())


@pytest.fixture
def lucia(session):
    return factories.user(Role.REVIEWER, name="Lucía Martínez", email="lucia@example.org")


@pytest.fixture
def status_change(session, lucia):
    doc = factories.document("CEDAW/C/HND/CO/7-8")
    rec = factories.recommendation(doc, paragraph="23",
                                   status=ImplementationStatus.IN_PROGRESS)
    with acting_as(lucia.id, lucia.email, "198.51.100.7"):
        rec.status = ImplementationStatus.IMPLEMENTED
        session.flush()
    session.execute(update(AuditEvent).where(
        AuditEvent.entity_type == "recommendation", AuditEvent.entity_id == str(rec.id),
        AuditEvent.action == "update").values(at=KNOWN_INSTANT))
    return rec


def _audit_page(client, lang: str, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    response = client.get(f"/admin/audit?lang={lang}&{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_status_change_reads_as_a_sentence_in_spanish(client, session, lucia, status_change):
    admin = factories.user(Role.ADMIN)
    factories.sign_in(client, admin)

    page = _audit_page(client, "es", entity_type="recommendation", entity_id=status_change.id)

    assert ("Lucía Martínez cambió la recomendación CEDAW/C/HND/CO/7-8 ¶23: "
            "Estado de cumplimiento de En curso a Cumplida") in _text(page)
    assert "1/6/24, 9:00" in _text(page)
    assert "in_progress" not in _text(page) and "app_user" not in _text(page)
    assert f'href="/review/recommendations/{status_change.id}"' in page
    assert f'href="/admin/users/{lucia.id}"' in page


def test_a_status_change_reads_as_a_sentence_in_english(client, session, lucia, status_change):
    reviewer = factories.user(Role.REVIEWER)
    factories.sign_in(client, reviewer)

    page = _audit_page(client, "en", entity_type="recommendation", entity_id=status_change.id)

    assert ("Lucía Martínez changed the recommendation CEDAW/C/HND/CO/7-8 ¶23: "
            "Implementation status from In progress to Implemented") in _text(page)
    assert re.search(r"6/1/24, 9:00\s?AM", page)
    assert "Dates and times are in America/Tegucigalpa" in _text(page)
    assert f'href="/review/recommendations/{status_change.id}"' in page


def test_fields_values_and_links_are_named_as_people_know_them(client, session, lucia):
    parent = factories.institution("SEDH", name_en="Human Rights Secretariat")
    semujer = factories.institution("SEMUJER", name_en="Women's Secretariat")
    vocab = factories.vocabulary()
    water = factories.make_term(vocab, name_en="Water and sanitation", name_es="Agua")
    rec = factories.recommendation()
    with acting_as(lucia.id, lucia.email):
        semujer.parent_id = parent.id
        session.flush()
        rec.terms.append(water)
        rec.is_published = False
        session.flush()
    reviewer = factories.user(Role.REVIEWER)
    factories.sign_in(client, reviewer)

    inst_page = _text(_audit_page(client, "en", entity_type="institution",
                                  entity_id=semujer.id, action="update"))
    rec_page = _audit_page(client, "en", entity_type="recommendation", entity_id=rec.id,
                           action="update")

    assert "Lucía Martínez changed the institution SEMUJER: Part of set to SEDH" in inst_page
    assert "parent_id" not in inst_page
    assert "Classification: added Water and sanitation" in _text(rec_page)
    assert "Published from Yes to No" in _text(rec_page)
    # Reviewers may not open the institution screens: the name is shown, not linked.
    assert f'href="/admin/institutions/{semujer.id}"' not in inst_page


def test_a_deleted_record_keeps_its_name_and_loses_its_link(client, session, lucia):
    admin = factories.user(Role.ADMIN)
    with acting_as(lucia.id, lucia.email):
        gone = factories.institution("TEMPORAL")
        gone_id = gone.id
        session.delete(gone)
        session.flush()
    factories.sign_in(client, admin)

    page = _audit_page(client, "en", entity_type="institution", entity_id=gone_id)

    assert "Lucía Martínez deleted the institution TEMPORAL" in _text(page)
    assert "Lucía Martínez created the institution TEMPORAL" in _text(page)
    assert f'href="/admin/institutions/{gone_id}"' not in page


def test_a_sign_in_is_one_event_attributed_to_the_person(client, session, lucia):
    before = session.scalar(select(func.count(AuditEvent.id)))

    factories.sign_in(client, lucia)

    written = list(session.execute(select(AuditEvent).order_by(AuditEvent.id)
                                   .offset(before)).scalars())
    assert [(e.action, e.actor_id, e.actor_label) for e in written] == [
        ("login", lucia.id, lucia.email)]
    page = _text(_audit_page(client, "es", action="login", actor_id=lucia.id))
    assert "Lucía Martínez inició sesión" in page


def test_account_events_read_as_sentences(client, session, lucia):
    focal = factories.user(Role.FOCAL_POINT, name="Pedro Enlace", email="pedro@example.org")
    client.post("/login", data={"email": focal.email, "password": "wrong password!"})
    client.post("/login", data={"email": "nadie@example.org", "password": "wrong password!"})
    factories.sign_in(client, focal)
    client.post("/logout")
    factories.sign_in(client, lucia)

    page = _text(_audit_page(client, "en", entity_type="app_user"))

    assert "Failed sign-in to the account of Pedro Enlace" in page
    assert "Failed sign-in with the unknown address nadie@example.org" in page
    assert "Pedro Enlace signed in" in page
    assert "Pedro Enlace signed out" in page
    assert "login_failed" not in page


def test_a_report_transition_reads_as_a_sentence(client, session, lucia):
    inst = factories.institution("SEMUJER")
    focal = factories.user(Role.FOCAL_POINT, inst, name="Pedro Enlace")
    rec = factories.recommendation()
    factories.assignment(rec, inst)
    from tracker.services import reports

    with acting_as(focal.id, focal.email):
        report = factories.progress_report(focal, [rec], title="Training of judges")
        reports.submit_report(focal, report.id, report.version)
    assert report.state == ReportState.SUBMITTED
    factories.sign_in(client, lucia)

    page = _audit_page(client, "es", entity_type="progress_report", entity_id=report.id)

    assert "Pedro Enlace envió el informe de avance Training of judges" in _text(page)
    assert f'href="/review/reports/{report.id}"' in page
    # The step is told once, by its transition event, not again as a created row.
    steps = session.scalars(db.select(AuditEvent).where(
        AuditEvent.entity_type == "report_transition")).all()
    assert steps == []


def test_filter_menus_name_kinds_and_actions_in_words(client, session, lucia, status_change):
    factories.sign_in(client, lucia)
    page = _audit_page(client, "en")
    assert re.search(r'<option value="recommendation">Recommendation</option>', page)
    assert re.search(r'<option value="update">Change</option>', page)


def test_every_audited_table_and_column_has_a_label(app):
    from tracker.services import audit_registry

    tables = {mapper.local_table.name: mapper for mapper in db.Model.registry.mappers}
    for name, mapper in tables.items():
        if name in NOT_AUDITED:
            continue
        kind = audit_registry.KINDS.get(name)
        assert kind is not None, f"no audit label for table {name}"
        for column in mapper.columns:
            if column.key in audit_registry.UNLISTED_FIELDS:
                continue
            assert column.key in kind.fields or column.key in audit_registry.COMMON_FIELDS, (
                f"no label for {name}.{column.key}")


def test_a_full_page_loads_its_labels_in_a_few_queries(app, client, session, lucia,
                                                       monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 50)
    inst = factories.institution()
    with acting_as(lucia.id, lucia.email):
        for _n in range(25):
            rec = factories.recommendation()
            rec.status = ImplementationStatus.IMPLEMENTED
            factories.assignment(rec, inst)
        session.flush()
    factories.sign_in(client, lucia)
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        page = _audit_page(client, "en", actor_id=lucia.id)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    told = _text(page)
    assert sum(told.count(f"Lucía Martínez {verb}")
               for verb in ("created", "changed", "signed in")) == 50
    assert len(statements) <= 15, len(statements)
    assert session.get(User, lucia.id) is not None


def test_invitations_passwords_and_lockouts_read_as_sentences(client, session, lucia):
    from tracker.services import accounts

    semujer = factories.institution("SEMUJER")
    with acting_as(lucia.id, lucia.email):
        accounts.invite_user(lucia, accounts.InvitationInput(
            email="ana@example.org", name="Ana Enlace", role=Role.FOCAL_POINT,
            institution_id=semujer.id))
        accounts.change_password(lucia, factories.PASSWORD, "otra clave bastante larga 2024")
    for _n in range(8):
        client.post("/login", data={"email": "ana@example.org", "password": "wrong password!"})
    response = client.post("/login", data={"email": lucia.email,
                                           "password": "otra clave bastante larga 2024"})
    assert response.status_code == 302

    page = _text(_audit_page(client, "en", entity_type="app_user"))

    assert "Lucía Martínez invited Ana Enlace as Focal point (ministry staff)" in page
    assert "Lucía Martínez changed their password" in page
    assert "Password: changed (not shown)" in page
    assert "Sign-in to ana@example.org paused after too many failed attempts" in page
    assert "[redacted]" not in page and "[changed]" not in page


def test_times_inside_changes_are_local_and_people_are_found_by_name(client, session, lucia):
    rec = factories.recommendation()
    with acting_as(lucia.id, lucia.email):
        rec.status_assessed_at = KNOWN_INSTANT
        session.flush()
    factories.sign_in(client, lucia)

    page = _text(_audit_page(client, "en", actor="martínez", entity_type="recommendation"))

    assert re.search(r"Assessed on set to 6/1/24, 9:00\s?AM", page)
    assert "2024-06-01T15:00" not in page
    assert f"changed the recommendation {rec.reference}" in page
