"""What the office types when it records actions, assigns work and keeps reference data.

Each refusal names the field to correct and says why in the user's language; a
request that is refused changes nothing.
"""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale

from tests import factories as f
from tracker.models import AssignmentRole, ImplementationStatus, InstitutionBranch, Role, Term
from tracker.services import assessments, assignments, office_actions, reference
from tracker.services.errors import ServiceError


@pytest.fixture
def reviewer(session):
    return f.user(Role.REVIEWER)


@pytest.fixture
def admin(session):
    return f.user(Role.ADMIN)


def _refusal(call, *args, **kwargs) -> tuple[int, str | None, str]:
    """Return the refusal's status, field and English message."""
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    with force_locale("en"):
        return caught.value.status, caught.value.field, str(caught.value)


# --- office actions -------------------------------------------------------------------------


def _action(**kw) -> office_actions.OfficeActionInput:
    values = {"kind": "technical_assistance", "title": "Workshop on the femicide protocol",
              "start_date": date(2024, 5, 6), "end_date": date(2024, 5, 8),
              "term_ids": [f.term("pillar", "accountability").id]}
    values.update(kw)
    return office_actions.OfficeActionInput(**values)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"kind": "party"}, "kind", "Choose the kind of action."),
    ({"title": " "}, "title", "This field is required."),
    ({"title": "t" * 301}, "title", "Use at most 300 characters."),
    ({"start_date": None}, "start_date", "Give the date the action started."),
    ({"end_date": date(2024, 5, 1)}, "end_date", "The end date cannot be before the start date."),
    ({"institution_ids": [10 ** 9]}, "institution_ids",
     "One of the chosen institutions does not exist."),
    ({"references": ["x"] * 2001}, "references", "Give at most 2000 references."),
])
def test_a_wrong_office_action_field_is_refused(reviewer, changes, field, message):
    assert _refusal(office_actions.create_office_action, reviewer, _action(**changes)) == (
        400, field, message)


def test_every_unknown_reference_is_named_up_to_ten(reviewer):
    refs = [f"CAT/C/HND/CO/{n} ¶1" for n in range(12)]
    status, field, message = _refusal(office_actions.create_office_action, reviewer,
                                      _action(references=refs))
    assert field == "references"
    assert "CAT/C/HND/CO/0 ¶1; CAT/C/HND/CO/1 ¶1" in message and "CAT/C/HND/CO/9 ¶1 …" in message
    assert "CAT/C/HND/CO/10 ¶1" not in message


def test_an_office_action_needs_a_pillar_and_focal_points_may_not_record_one(reviewer):
    shift_only = _action(term_ids=[f.term("shift", "prevention").id])
    assert _refusal(office_actions.create_office_action, reviewer, shift_only) == (
        400, "term_ids", "Choose at least one thematic pillar.")
    focal = f.user(Role.FOCAL_POINT)
    assert _refusal(office_actions.create_office_action, focal, _action())[0] == 403


# --- assignments ----------------------------------------------------------------------------


@pytest.fixture
def rec(session):
    return f.recommendation()


@pytest.mark.parametrize(("institutions", "terms", "field", "message"), [
    ("active", {"role": "owner"}, "role", "Choose lead or support."),
    ("active", {"rhythm_months": 5}, "rhythm_months",
     "Choose a reporting rhythm of 1, 3, 6 or 12 months."),
    ("active", {"rhythm_months": "often"}, "rhythm_months",
     "Choose a reporting rhythm of 1, 3, 6 or 12 months."),
    ("none", {}, "institution_ids", "Choose at least one institution."),
    ("missing", {}, "institution_ids", "One of the chosen institutions does not exist."),
    ("inactive", {}, "institution_ids",
     "OLDINST is no longer active; choose an active institution."),
])
def test_a_wrong_assignment_is_refused(reviewer, rec, institutions, terms, field, message):
    ids = {"active": lambda: [f.institution().id], "none": lambda: [],
           "missing": lambda: [10 ** 9],
           "inactive": lambda: [f.institution("OLDINST", active=False).id]}[institutions]()
    assert _refusal(assignments.assign, reviewer, rec.id, ids,
                    assignments.AssignmentTerms(**terms)) == (400, field, message)
    assert rec.assignments == []


def test_assigning_an_unknown_recommendation_is_not_found(reviewer):
    assert _refusal(assignments.assign, reviewer, 10 ** 9, [f.institution().id],
                    assignments.AssignmentTerms())[0] == 404


def test_assigning_again_keeps_the_due_date_unless_a_new_one_is_given(reviewer, rec):
    inst = f.institution()
    found = f.assignment(rec, inst, next_due=date(2030, 1, 1), role=AssignmentRole.SUPPORT)

    again = assignments.assign(reviewer, rec.id, [inst.id],
                               assignments.AssignmentTerms(role="lead", rhythm_months=3))
    assert (again.created, again.updated) == (0, 1)
    assert (found.role, found.rhythm_months, found.next_due) == (
        AssignmentRole.LEAD, 3, date(2030, 1, 1))

    assignments.assign(reviewer, rec.id, [inst.id], assignments.AssignmentTerms(
        role="lead", rhythm_months=3, next_due=date(2031, 6, 30)))
    assert found.next_due == date(2031, 6, 30)


def test_editing_an_assignment_needs_a_due_date_and_an_ended_one_cannot_end_again(reviewer, rec):
    found = f.assignment(rec, f.institution())
    assert _refusal(assignments.update_assignment, reviewer, found.id,
                    assignments.AssignmentTerms(role="lead", rhythm_months=6), found.version
                    ) == (400, "next_due", "Give the next due date.")
    assignments.end_assignment(reviewer, found.id, found.version)
    assert _refusal(assignments.end_assignment, reviewer, found.id, found.version) == (
        409, None, "This assignment has already ended.")
    assert _refusal(assignments.end_assignment, reviewer, 10 ** 9, 1)[0] == 404


# --- reference data -------------------------------------------------------------------------


def _institution(**kw) -> reference.InstitutionInput:
    values = {"acronym": "CONADEH-T", "name_es": "Comisionado Nacional",
              "name_en": "National Commissioner", "branch": InstitutionBranch.AUTONOMOUS}
    values.update(kw)
    return reference.InstitutionInput(**values)


def test_reference_data_is_for_administrators(reviewer):
    assert _refusal(reference.create_institution, reviewer, _institution()) == (
        403, None, "Only administrators may change reference data.")


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"acronym": ""}, "acronym", "This field is required."),
    ({"name_en": "n" * 256}, "name_en", "Use at most 255 characters."),
    ({"parent_id": 10 ** 9}, "parent_id", "The parent institution does not exist."),
])
def test_a_wrong_institution_field_is_refused(admin, changes, field, message):
    assert _refusal(reference.create_institution, admin, _institution(**changes)) == (
        400, field, message)


def test_an_unknown_record_is_not_found(admin):
    assert _refusal(reference.update_institution, admin, 10 ** 9, _institution(), 1) == (
        404, None, "This record does not exist.")
    assert _refusal(reference.set_term_active, admin, None, True)[0] == 404


def test_a_mechanism_needs_a_known_family(admin):
    data = reference.MechanismInput(family="tribunal", name_es="Corte", name_en="Court")
    assert _refusal(reference.create_mechanism, admin, "NEWCOURT", data) == (
        400, "family", "Choose one of the options.")


def test_a_vocabulary_code_is_unique_and_well_formed(admin):
    data = reference.VocabularyInput(name_es="Ejes del plan", name_en="Action plan axes")
    made = reference.create_vocabulary(admin, None, data)
    assert made.code == "action_plan_axes"  # made from the English name
    status, field, _ = _refusal(reference.create_vocabulary, admin, made.code, data)
    assert (status, field) == (409, "code")
    assert _refusal(reference.create_vocabulary, admin, "Bad Code!", data)[1:] == (
        "code", "A code uses lowercase letters, digits, '_', '.' and '-' only "
                "(at most 64 characters).")


def _term(vocab, name: str, parent: Term | None = None) -> Term:
    return f.make_term(vocab, name_en=name, parent=parent)


def test_a_term_cannot_sit_under_another_vocabulary_or_its_own_sub_term(admin):
    axes, other = f.vocabulary(), f.vocabulary()
    top = _term(axes, "Security")
    child = _term(axes, "Police", parent=top)
    stranger = _term(other, "Elsewhere")

    def move(term, parent):
        return reference.update_term(admin, term.id, reference.TermInput(
            name_es=term.name_es, name_en=term.name_en, parent_id=parent.id), term.version)

    assert _refusal(move, top, stranger) == (
        400, "parent_id", "The parent term must belong to the same vocabulary.")
    assert _refusal(move, top, child) == (
        400, "parent_id", "A term cannot be its own parent or sit under one of its own "
                          "sub-terms.")
    assert top.parent_id is None


def test_merging_terms_follows_earlier_merges_and_keeps_the_tree_without_loops(admin):
    axes = f.vocabulary()
    top = _term(axes, "Security")
    child = _term(axes, "Police", parent=top)
    old = _term(axes, "Old police")
    reference.merge_terms(admin, old.id, top.id)  # "Old police" lives on in "Security"

    # Merging a parent into its own sub-term: the sub-term does not become its own child.
    reference.merge_terms(admin, top.id, child.id)

    assert (top.merged_into_id, top.active) == (child.id, False)
    assert old.merged_into_id == child.id  # the earlier merge now points at the survivor
    assert child.parent_id == top.id
    assert _refusal(reference.merge_terms, admin, top.id, child.id) == (
        409, None, "This term has already been merged.")
    retired = _term(axes, "Retired")
    retired.active = False
    assert _refusal(reference.merge_terms, admin, child.id, retired.id) == (
        400, "target_id", "Choose an active term to merge into.")


# --- status assessments ---------------------------------------------------------------------


@pytest.mark.parametrize(("status", "rationale", "field", "message"), [
    ("finished", "Done.", "status", "Choose one of the statuses."),
    ("implemented", "   ", "rationale", "Explain why: the rationale is required."),
    ("implemented", "x" * 10_001, "rationale", "Use at most 10000 characters."),
])
def test_an_assessment_needs_a_known_status_and_a_rationale(
        reviewer, rec, status, rationale, field, message):
    assert _refusal(assessments.assess, reviewer, rec.id, status, rationale, [],
                    rec.version) == (400, field, message)
    assert rec.status == ImplementationStatus.NO_INFORMATION


def test_assessing_an_unknown_recommendation_is_not_found(reviewer):
    assert _refusal(assessments.assess, reviewer, 10 ** 9, "implemented", "Done.", [], 1) == (
        404, None, "This recommendation does not exist.")
