"""Browsing the audit trail: filters, the reader's timezone, changes shown, read-only."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tracker.models import AuditEvent, Role
from tracker.services.audit_query import AuditFilter, audit_events


def _event(session, **kw) -> AuditEvent:
    kw.setdefault("at", datetime(2024, 6, 1, 15, 0, tzinfo=UTC))
    kw.setdefault("action", "update")
    kw.setdefault("entity_type", "institution")
    event = AuditEvent(**kw)
    session.add(event)
    session.flush()
    return event


def _ids(session, filters: AuditFilter, timezone="America/Tegucigalpa") -> list[int]:
    return [e.id for e in session.execute(audit_events(filters, timezone)).scalars()]


def _rows_on_page(html: str) -> list[str]:
    """The records of the events listed (from their history links), in page order."""
    return [f"{kind} #{key}" for kind, key in
            re.findall(r'entity_type=([a-z_]+)&amp;entity_id=(\w+)">', html)]


@pytest.fixture
def reviewer(client):
    user = factories.user(Role.REVIEWER)
    factories.sign_in(client, user)
    return user


def test_filters_narrow_the_trail(session):
    ana = factories.user(Role.ADMIN, email="ana.auditada@example.org")
    first = _event(session, action="probe_a", entity_id="901", actor_id=ana.id,
                   actor_label=ana.email)
    second = _event(session, action="probe_a", entity_id="902", actor_label="otro@example.org",
                    at=datetime(2024, 6, 3, 15, 0, tzinfo=UTC))
    third = _event(session, action="probe_b", entity_type="term", entity_id="901",
                   actor_label="otro@example.org", at=datetime(2024, 6, 5, 15, 0, tzinfo=UTC))

    assert _ids(session, AuditFilter(action="probe_a")) == [second.id, first.id]
    assert _ids(session, AuditFilter(actor="ANA.AUDITADA")) == [first.id]
    assert _ids(session, AuditFilter(actor_id=ana.id, action="probe_a")) == [first.id]
    assert _ids(session, AuditFilter(entity_type="term", entity_id="901")) == [third.id]
    assert _ids(session, AuditFilter(actor="otro@", date_from=date(2024, 6, 2),
                                     date_to=date(2024, 6, 4))) == [second.id]
    # "%" and "_" are letters to look for, not wildcards.
    assert _ids(session, AuditFilter(actor="%", action="probe_a")) == []


def test_dates_are_days_in_the_readers_timezone(session):
    # 05:00 UTC on 1 March is still 29 February in Tegucigalpa (UTC-6).
    late = _event(session, action="probe_tz", at=datetime(2024, 3, 1, 5, 0, tzinfo=UTC))
    leap_day = AuditFilter(action="probe_tz", date_from=date(2024, 2, 29),
                           date_to=date(2024, 2, 29))
    next_day = AuditFilter(action="probe_tz", date_from=date(2024, 3, 1))

    assert _ids(session, leap_day) == [late.id]
    assert _ids(session, next_day) == []
    assert _ids(session, next_day, timezone="UTC") == [late.id]


def test_the_page_filters_lists_newest_first_and_shows_changes(client, session, reviewer):
    old = _event(session, action="probe_page", entity_id="41",
                 at=datetime(2024, 1, 10, 12, 0, tzinfo=UTC), actor_label="vieja@example.org",
                 changes={"name_es": {"before": "Antes", "after": "Después"}})
    new = _event(session, action="probe_page", entity_id="42",
                 at=datetime(2024, 1, 11, 12, 0, tzinfo=UTC), source_address="10.1.2.3",
                 changes={"terms": {"added": ["term:7 water"], "removed": []}})
    _event(session, action="probe_other", entity_id="43")

    response = client.get("/admin/audit?action=probe_page&lang=en")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _rows_on_page(page) == ["institution #42", "institution #41"]
    assert "Antes" in page and "Después" in page and "water" in page
    assert "10.1.2.3" in page and "vieja@example.org" in page
    assert re.search(r"1/10/24, 6:00\s?AM", page)  # 12:00 UTC, shown in Tegucigalpa time
    one = client.get("/admin/audit?entity_type=institution&entity_id=41").get_data(as_text=True)
    assert _rows_on_page(one) == ["institution #41"]
    assert old.id != new.id


def test_the_trail_is_paginated(client, session, reviewer, app):
    start = datetime(2024, 2, 1, tzinfo=UTC)
    for n in range(app.config["PAGE_SIZE"] + 3):
        _event(session, action="probe_pages", entity_id=str(n), at=start + timedelta(hours=n))

    first = _rows_on_page(client.get("/admin/audit?action=probe_pages").get_data(as_text=True))
    second = _rows_on_page(client.get("/admin/audit?action=probe_pages&page=2").get_data(
        as_text=True))

    assert len(first) == app.config["PAGE_SIZE"] and len(second) == 3
    assert first[0] == f"institution #{app.config['PAGE_SIZE'] + 2}"
    assert second[-1] == "institution #0"


def test_a_real_change_shows_up_for_its_record(client, session):
    admin = factories.user(Role.ADMIN)
    inst = factories.institution(name_en="Before name")
    factories.sign_in(client, admin)
    client.post(f"/admin/institutions/{inst.id}", data={
        "acronym": inst.acronym, "name_es": inst.name_es, "name_en": "After name",
        "branch": "executive", "parent_id": "", "version": inst.version})

    page = client.get(f"/admin/audit?entity_type=institution&entity_id={inst.id}"
                      f"&action=update&lang=en").get_data(as_text=True)

    told = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert (f"{admin.name} changed the institution {inst.acronym}: "
            f"Name in English from Before name to After name") in told
    changes = session.execute(select(AuditEvent.changes).where(
        AuditEvent.entity_type == "institution", AuditEvent.entity_id == str(inst.id),
        AuditEvent.action == "update")).scalar_one()
    assert changes == {"name_en": {"before": "Before name", "after": "After name"}}


def test_a_wrong_date_is_reported(client, session, reviewer):
    response = client.get("/admin/audit?date_from=2024-05-10&date_to=2024-05-01&lang=en")
    assert response.status_code == 400
    assert "The end date is before the start date." in response.get_data(as_text=True)


def test_the_trail_is_read_only(app, client, session, reviewer):
    methods = {method for rule in app.url_map.iter_rules()
               if rule.rule.startswith("/admin/audit") for method in rule.methods}
    assert methods <= {"GET", "HEAD", "OPTIONS"}
    assert client.post("/admin/audit").status_code == 405
    assert client.delete("/admin/audit").status_code == 405


def test_only_staff_browse_the_trail(client, session):
    assert "/login" in client.get("/admin/audit").headers["Location"]
    factories.sign_in(client, factories.user(Role.FOCAL_POINT))
    assert client.get("/admin/audit").status_code == 403
