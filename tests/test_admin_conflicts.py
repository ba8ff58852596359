"""Administration screens: a stale form shows what changed meanwhile; lists filter by state."""

from __future__ import annotations

import pytest

from tests import factories
from tracker.models import Role


@pytest.fixture
def admin(client):
    user = factories.user(Role.ADMIN)
    factories.sign_in(client, user)
    return user


def _text(response) -> str:
    return response.get_data(as_text=True)


def _stale_save(session, client, url: str, record, form: dict, field: str, meanwhile: str):
    """Save a form loaded before someone else saved `field` as `meanwhile`; return the answer."""
    loaded_version = record.version
    setattr(record, field, meanwhile)
    session.commit()
    assert record.version == loaded_version + 1
    return client.post(url + "?lang=en", data={**form, "version": loaded_version})


def test_a_stale_vocabulary_form_is_refused_and_shows_the_current_names(client, session, admin):
    vocab = factories.vocabulary(name_en="Axes")
    answer = _stale_save(session, client, f"/admin/vocabularies/{vocab.id}/edit", vocab,
                         {"name_es": "Ejes", "name_en": "Mine", "applies_to_recommendations": "y",
                          "active": "y"}, "name_en", "Theirs")
    assert answer.status_code == 409
    assert "Someone else changed this record" in _text(answer)
    assert 'value="Theirs"' in _text(answer) and 'value="Mine"' not in _text(answer)
    session.refresh(vocab)
    assert vocab.name_en == "Theirs"


def test_a_stale_term_form_is_refused_and_shows_the_current_names(client, session, admin):
    term = factories.make_term(factories.vocabulary(), name_en="Water")
    answer = _stale_save(session, client, f"/admin/terms/{term.id}", term,
                         {"name_es": "Agua", "name_en": "Mine", "parent_id": ""},
                         "name_en", "Drinking water")
    assert answer.status_code == 409
    assert 'value="Drinking water"' in _text(answer)
    session.refresh(term)
    assert term.name_en == "Drinking water"


def test_a_stale_mechanism_form_is_refused_and_shows_the_current_names(client, session, admin):
    mech = factories.mechanism("CED")
    answer = _stale_save(session, client, f"/admin/mechanisms/{mech.id}", mech,
                         {"code": "CED", "family": "treaty_body", "name_es": mech.name_es,
                          "name_en": "Mine", "active": "y"}, "name_en", "Committee (renamed)")
    assert answer.status_code == 409
    assert 'value="Committee (renamed)"' in _text(answer)
    session.refresh(mech)
    assert mech.name_en == "Committee (renamed)"


def test_a_new_vocabulary_with_a_code_in_use_keeps_what_was_typed(client, session, admin):
    factories.vocabulary(code="axes")
    answer = client.post("/admin/vocabularies/new?lang=en", data={
        "code": "axes", "name_es": "Ejes", "name_en": "Plan axes",
        "applies_to_recommendations": "y", "active": "y"})
    assert answer.status_code == 409
    assert "The code axes is already used by another vocabulary." in _text(answer)
    assert 'value="Plan axes"' in _text(answer)


def test_the_user_list_filters_by_account_state(client, session, admin):
    factories.user(Role.REVIEWER, name="Active Reviewer")
    factories.user(Role.REVIEWER, name="Gone Reviewer", active=False)
    factories.user(Role.REVIEWER, name="Invited Reviewer", password_hash=None)

    def names(status: str) -> set[str]:
        page = _text(client.get(f"/admin/users?status={status}&role=reviewer"))
        return {n for n in ("Active Reviewer", "Gone Reviewer", "Invited Reviewer") if n in page}

    assert names("active") == {"Active Reviewer", "Invited Reviewer"}
    assert names("inactive") == {"Gone Reviewer"}
    assert names("pending") == {"Invited Reviewer"}
    assert names("") == {"Active Reviewer", "Gone Reviewer", "Invited Reviewer"}
