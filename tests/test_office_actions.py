"""Office actions: record, list and filter, read, edit and delete what the office did."""

from __future__ import annotations

from datetime import date

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from tests import factories as f
from tests.conftest import login
from tracker.extensions import db
from tracker.models import OfficeAction, OfficeActionKind, Role
from tracker.services import office_actions


@pytest.fixture
def reviewer(session):
    return f.user(Role.REVIEWER, locale="en")


@pytest.fixture
def staff(client, reviewer):
    login(client, reviewer)
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


def count_actions() -> int:
    return db.session.scalar(select(db.func.count()).select_from(OfficeAction))


def _form(**changes) -> dict:
    data = {"kind": "technical_assistance", "title": "Workshop on the protocol for femicides",
            "description": "", "start_date": "2024-05-06", "end_date": "2024-05-08",
            "term_ids": [str(f.term("pillar", "accountability").id)], "references": ""}
    data.update(changes)
    return data


def test_record_an_action_with_its_pillars_partners_and_recommendations(staff):
    rec_a = f.recommendation(f.document("CEDAW/C/HND/CO/9"), paragraph="24")
    rec_b = f.recommendation(f.document("A/HRC/16/10", mechanism_code="UPR"), paragraph="82.5")
    mp, semujer = f.institution("MPX"), f.institution("SEMUJERX")
    terms = [f.term("pillar", "accountability"), f.term("shift", "prevention"),
             f.term("spotlight", "women")]
    response = staff.post("/review/actions/new", data=_form(
        term_ids=[str(t.id) for t in terms], institution_ids=[str(mp.id), str(semujer.id)],
        references=f"{rec_a.reference}\n\n  {rec_b.reference}  \n{rec_a.reference}",
        is_public="y"))
    assert response.status_code == 302
    action = db.session.scalar(select(OfficeAction).order_by(OfficeAction.id.desc()))
    assert action.kind == OfficeActionKind.TECHNICAL_ASSISTANCE and action.is_public
    assert {t.id for t in action.terms} == {t.id for t in terms}
    assert {i.acronym for i in action.institutions} == {"MPX", "SEMUJERX"}
    assert {r.id for r in action.recommendations} == {rec_a.id, rec_b.id}
    body = page(staff.get(response.headers["Location"]))
    for expected in ("Workshop on the protocol for femicides", "Accountability", "Prevention",
                     "Women", "MPX", rec_a.reference, rec_b.reference, "Public"):
        assert expected in body


def test_other_vocabularies_for_actions_are_offered(staff):
    vocab = f.vocabulary(name_en="Country programme outcomes", applies_to_recommendations=False,
                         applies_to_actions=True)
    f.make_term(vocab, name_en="Outcome 2: justice")
    body = page(staff.get("/review/actions/new"))
    assert "Country programme outcomes" in body and "Outcome 2: justice" in body
    assert "OHCHR thematic pillars" in body
    # Vocabularies for recommendations only are not offered here.
    assert "Affected persons" not in body


def test_a_pillar_is_required(staff):
    db.session.commit()
    before = count_actions()
    response = staff.post("/review/actions/new", data=_form(
        term_ids=[str(f.term("shift", "civic_space").id)], title="Typed title stays"))
    assert response.status_code == 400
    body = page(response)
    assert "Choose at least one thematic pillar." in body
    assert 'value="Typed title stays"' in body
    assert count_actions() == before


def test_the_end_cannot_come_before_the_start(staff):
    before = count_actions()
    response = staff.post("/review/actions/new", data=_form(start_date="2024-05-08",
                                                            end_date="2024-05-01"))
    assert response.status_code == 400
    assert "The end date cannot be before the start date." in page(response)
    assert count_actions() == before


def test_unknown_references_are_named_and_kept(staff):
    rec = f.recommendation()
    db.session.commit()
    before = count_actions()
    typed = f"{rec.reference}\nA/HRC/99/1 ¶1"
    response = staff.post("/review/actions/new", data=_form(references=typed))
    assert response.status_code == 400
    body = page(response)
    assert "No recommendation has the reference A/HRC/99/1 ¶1" in body
    assert "A/HRC/99/1 ¶1</textarea>" in body
    assert count_actions() == before


def test_the_description_is_rendered_as_safe_markdown(staff):
    action = f.office_action(description="We met **12** prosecutors.\n\n<script>alert(1)</script>",
                             terms=[f.term("pillar", "mechanisms")])
    body = page(staff.get(f"/review/actions/{action.id}"))
    assert "<strong>12</strong>" in body
    assert "<script>alert(1)</script>" not in body


def test_list_filters_by_pillar_institution_kind_and_period(staff):
    accountability, participation = f.term("pillar", "accountability"), f.term(
        "pillar", "participation")
    mp = f.institution("MPX")
    early = f.office_action(title="Early monitoring visit", kind=OfficeActionKind.MONITORING,
                            start_date=date(2023, 2, 1), end_date=date(2023, 2, 3),
                            terms=[accountability], institutions=[mp])
    long = f.office_action(title="Year-long dialogue", kind=OfficeActionKind.DIALOGUE,
                           start_date=date(2023, 1, 1), end_date=date(2023, 12, 31),
                           terms=[participation])
    late = f.office_action(title="Late training", kind=OfficeActionKind.CAPACITY_BUILDING,
                           start_date=date(2024, 6, 1), terms=[participation])

    def titles(query: str) -> set[str]:
        body = page(staff.get(f"/review/actions?{query}"))
        return {a.title for a in (early, long, late) if a.title in body}

    assert titles(f"pillar={accountability.id}") == {early.title}
    assert titles(f"institution={mp.id}") == {early.title}
    assert titles("kind=dialogue") == {long.title}
    assert titles("date_from=2023-06-01&date_to=2023-06-30") == {long.title}
    assert titles("date_from=2024-01-01") == {late.title}
    assert titles("date_to=2023-01-15") == {long.title}
    # A date that does not parse is shown as a mistake and not applied.
    response = staff.get("/review/actions?date_from=yesterday")
    assert "Not a valid date value" in page(response)
    assert titles("date_from=yesterday") == {early.title, long.title, late.title}


def test_only_public_actions_are_visible_outside_the_office(session):
    public = f.office_action(title="Public report launch", is_public=True)
    internal = f.office_action(title="Confidential meeting", is_public=False)
    anonymous = AnonymousUserMixin()
    listed = office_actions.list_office_actions(anonymous, office_actions.ActionFilters(), 1, 50)
    assert public in listed.items and internal not in listed.items
    with pytest.raises(office_actions.ServiceError):
        office_actions.get_office_action(anonymous, internal.id)
    staff_view = office_actions.list_office_actions(f.user(Role.REVIEWER),
                                                    office_actions.ActionFilters(), 1, 50)
    assert internal in staff_view.items


def test_edit_an_action(staff):
    retired = f.make_term(f.vocabulary(applies_to_actions=True, applies_to_recommendations=False),
                          name_en="Retired focus", active=False)
    action = f.office_action(title="Old title", terms=[f.term("pillar", "development"), retired])
    body = page(staff.get(f"/review/actions/{action.id}/edit"))
    assert 'value="Old title"' in body and "Retired focus" in body
    response = staff.post(f"/review/actions/{action.id}/edit", data=_form(
        title="New title", kind="advocacy", version=str(action.version),
        term_ids=[str(f.term("pillar", "development").id), str(retired.id)]))
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(OfficeAction, action.id)
    assert changed.title == "New title" and changed.kind == OfficeActionKind.ADVOCACY
    assert retired in changed.terms


def test_delete_asks_first_then_deletes(staff):
    action = f.office_action(title="Mistaken entry", terms=[f.term("pillar", "mechanisms")])
    body = page(staff.get(f"/review/actions/{action.id}/delete"))
    assert "Mistaken entry" in body and "cannot be undone" in body
    response = staff.post(f"/review/actions/{action.id}/delete",
                          data={"version": str(action.version)})
    assert response.status_code == 302
    assert db.session.get(OfficeAction, action.id) is None
    assert "has been deleted" in page(staff.get(response.headers["Location"]))
    assert staff.get(f"/review/actions/{action.id}").status_code == 404


def test_delete_of_an_action_changed_meanwhile_is_refused(staff):
    action = f.office_action(title="Changed meanwhile", terms=[f.term("pillar", "mechanisms")])
    db.session.commit()
    old = action.version
    action.title = "Changed by a colleague"
    db.session.commit()
    response = staff.post(f"/review/actions/{action.id}/delete", data={"version": str(old)})
    assert response.status_code == 409
    assert "Someone else changed this record" in page(response)
    assert db.session.get(OfficeAction, action.id) is not None
