"""Two people edit the same thing: the second save is refused (409), nothing is overwritten."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests import factories as f
from tests.conftest import login
from tracker.extensions import db
from tracker.models import (
    Assignment,
    AssignmentRole,
    Document,
    OfficeAction,
    Recommendation,
    Role,
)

CONFLICT = "Someone else changed this record while you were editing it."


@pytest.fixture
def ana(app, session):
    client = app.test_client()
    login(client, f.user(Role.REVIEWER, locale="en"))
    return client


@pytest.fixture
def ben(app, session):
    client = app.test_client()
    login(client, f.user(Role.ADMIN, locale="en"))
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


def version_on(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


def test_two_people_edit_the_same_recommendation(ana, ben):
    rec = f.recommendation(paragraph="31", text="Original text.")
    db.session.commit()
    url = f"/review/recommendations/{rec.id}/edit"
    ana_version, ben_version = version_on(page(ana.get(url))), version_on(page(ben.get(url)))

    def form(text: str, version: str) -> dict:
        return {"document_mode": "existing", "document_symbol": rec.document.symbol,
                "paragraph": "31", "reference": rec.reference, "text": text, "language": "en",
                "type": "recommendation", "upr_position": "", "version": version}

    assert ana.post(url, data=form("Ana's correction.", ana_version)).status_code == 302
    response = ben.post(url, data=form("Ben's correction.", ben_version))

    assert response.status_code == 409
    body = page(response)
    assert CONFLICT in body
    # The form shows the current version, and what Ben typed is still on the page.
    assert "Ana&#39;s correction.</textarea>" in body
    assert "What you typed (not saved)" in body and "Ben&#39;s correction." in body
    db.session.expire_all()
    assert db.session.get(Recommendation, rec.id).text == "Ana's correction."


def test_two_people_edit_the_same_document(ana, ben):
    doc = f.document("CESCR/C/HND/CO/2", mechanism_code="CESCR", title="Original title")
    db.session.commit()
    url = f"/review/documents/{doc.id}/edit"
    ana_version, ben_version = version_on(page(ana.get(url))), version_on(page(ben.get(url)))
    data = {"mechanism_id": str(doc.mechanism_id), "symbol": doc.symbol}
    assert ana.post(url, data={**data, "title": "Ana's title",
                               "version": ana_version}).status_code == 302
    response = ben.post(url, data={**data, "title": "Ben's title", "version": ben_version})
    assert response.status_code == 409
    assert CONFLICT in page(response)
    db.session.expire_all()
    assert db.session.get(Document, doc.id).title == "Ana's title"


def test_two_people_change_the_same_assignment(ana, ben):
    found = f.assignment(f.recommendation(), f.institution("SEMUJERX"), rhythm_months=6,
                         next_due=date(2026, 6, 30))
    db.session.commit()
    url = f"/review/assignments/{found.id}/edit"
    ana_version, ben_version = version_on(page(ana.get(url))), version_on(page(ben.get(url)))
    assert ana.post(url, data={"role": "lead", "rhythm_months": "3", "next_due": "2026-03-31",
                               "version": ana_version}).status_code == 302
    response = ben.post(url, data={"role": "support", "rhythm_months": "12",
                                   "next_due": "2027-01-01", "version": ben_version})
    assert response.status_code == 409
    body = page(response)
    assert CONFLICT in body
    assert 'value="2026-03-31"' in body  # the current values are shown
    db.session.expire_all()
    saved = db.session.get(Assignment, found.id)
    assert (saved.role, saved.rhythm_months, saved.next_due) == (
        AssignmentRole.LEAD, 3, date(2026, 3, 31))


def test_ending_an_assignment_someone_just_changed_is_refused(ana, ben):
    found = f.assignment(f.recommendation(), f.institution())
    db.session.commit()
    old = found.version
    assert ana.post(f"/review/assignments/{found.id}/edit", data={
        "role": "support", "rhythm_months": "6", "next_due": "2026-01-01",
        "version": str(old)}).status_code == 302
    response = ben.post(f"/review/assignments/{found.id}/end", data={"version": str(old)},
                        follow_redirects=True)
    assert CONFLICT in page(response)
    db.session.expire_all()
    assert db.session.get(Assignment, found.id).active is True


def test_two_people_edit_the_same_office_action(ana, ben):
    pillar = f.term("pillar", "participation")
    action = f.office_action(title="Original title", terms=[pillar])
    db.session.commit()
    url = f"/review/actions/{action.id}/edit"
    ana_version, ben_version = version_on(page(ana.get(url))), version_on(page(ben.get(url)))

    def form(title: str, version: str) -> dict:
        return {"kind": "dialogue", "title": title, "start_date": "2024-05-01",
                "term_ids": [str(pillar.id)], "version": version}

    assert ana.post(url, data=form("Ana's title", ana_version)).status_code == 302
    response = ben.post(url, data=form("Ben's title", ben_version))
    assert response.status_code == 409
    body = page(response)
    assert CONFLICT in body
    assert 'value="Ana&#39;s title"' in body and "Ben&#39;s title" in body
    db.session.expire_all()
    assert db.session.get(OfficeAction, action.id).title == "Ana's title"


def test_a_stale_version_is_refused_even_if_the_check_is_raced(session):
    """The UPDATE itself carries the version: a save that passed the check still fails."""
    from sqlalchemy import update

    from tracker.services import curation
    from tracker.services.errors import ConflictError

    reviewer = f.user(Role.REVIEWER)
    rec = f.recommendation(text="Before")
    version = rec.version
    # A colleague's save lands between our version check and our flush.
    db.session.execute(update(Recommendation).where(Recommendation.id == rec.id)
                       .values(version=version + 1, text="Colleague")
                       .execution_options(synchronize_session=False))
    data = curation.RecommendationInput(document_symbol=rec.document.symbol,
                                        paragraph=rec.paragraph, reference=rec.reference,
                                        text="Mine", language="en")
    with pytest.raises(ConflictError):
        curation.update_recommendation(reviewer, rec.id, data, version)
