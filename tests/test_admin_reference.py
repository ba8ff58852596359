"""Institutions, mechanisms, vocabularies and terms: editing, merging, and who may do it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from tests import factories
from tracker.models import AuditEvent, Institution, Mechanism, Role, Term, Vocabulary
from tracker.models.followup import office_action_term
from tracker.models.recommendation import recommendation_term
from tracker.services import reference
from tracker.services.errors import ConflictError, ServiceError


def _saved(session) -> None:
    """Commit the test's rows, as an earlier request would have: a refused request rolls
    back its own work only (the test's outer transaction still undoes everything)."""
    session.commit()


def _version_on_page(html: str) -> int:
    return int(re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1))


def _events(session, entity_type, entity_id, action=None):
    query = select(AuditEvent).where(AuditEvent.entity_type == entity_type,
                                     AuditEvent.entity_id == str(entity_id))
    if action:
        query = query.where(AuditEvent.action == action)
    return session.execute(query.order_by(AuditEvent.id)).scalars().all()


@pytest.fixture
def admin(client):
    user = factories.user(Role.ADMIN)
    factories.sign_in(client, user)
    return user


def _institution_form(**changes):
    data = {"acronym": "OBSERV", "name_es": "Observatorio de Derechos",
            "name_en": "Rights Observatory", "branch": "autonomous", "parent_id": ""}
    return {**data, **changes}


# --- institutions --------------------------------------------------------------------------

def test_an_institution_is_created_and_a_duplicate_acronym_keeps_what_was_typed(
        client, session, admin):
    assert client.post("/admin/institutions/new", data=_institution_form()).status_code == 302
    created = session.execute(select(Institution).filter_by(acronym="OBSERV")).scalar_one()
    assert created.branch.value == "autonomous" and created.name_en == "Rights Observatory"

    again = client.post("/admin/institutions/new?lang=en", data=_institution_form(
        acronym="observ", name_es="Nombre tecleado", name_en="Typed name", branch="judicial"))

    assert again.status_code == 409
    page = again.get_data(as_text=True)
    assert "The acronym observ is already used by another institution." in page
    assert 'value="Nombre tecleado"' in page and 'value="Typed name"' in page
    assert '<option selected value="judicial">' in page
    assert session.execute(select(Institution).where(
        Institution.name_es == "Nombre tecleado")).first() is None


def test_two_editors_of_one_institution_the_second_gets_409_and_overwrites_nothing(
        client, session, admin):
    inst = factories.institution(name_es="Original")
    url = f"/admin/institutions/{inst.id}"
    first_version = _version_on_page(client.get(url).get_data(as_text=True))
    second_version = _version_on_page(client.get(url).get_data(as_text=True))
    assert first_version == second_version == 1
    form = _institution_form(acronym=inst.acronym, name_en=inst.name_en, branch="executive")

    assert client.post(url, data={**form, "name_es": "Primero",
                                  "version": first_version}).status_code == 302
    second = client.post(url + "?lang=en", data={**form, "name_es": "Segundo",
                                                 "version": second_version})

    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Someone else changed this record" in page
    assert 'value="Primero"' in page and _version_on_page(page) == 2
    session.refresh(inst)
    assert inst.name_es == "Primero" and inst.version == 2


def test_a_save_racing_another_one_is_a_conflict_too(session):
    admin = factories.user(Role.ADMIN)
    inst = factories.institution()
    # Someone else commits between our version check and our write.
    session.execute(update(Institution.__table__).where(Institution.__table__.c.id == inst.id)
                    .values(name_es="Otro", version=Institution.__table__.c.version + 1))
    data = reference.InstitutionInput(acronym=inst.acronym, name_es="Mío", name_en="Mine",
                                      branch="executive")
    with pytest.raises(ConflictError):
        reference.update_institution(admin, inst.id, data, version=1)


def test_an_institution_cannot_sit_under_itself_or_its_own_units(client, session, admin):
    top = factories.institution()
    unit = factories.institution(parent_id=top.id)
    _saved(session)
    url = f"/admin/institutions/{top.id}?lang=en"
    form = _institution_form(acronym=top.acronym, name_es=top.name_es, name_en=top.name_en,
                             branch="executive", version=top.version)

    for parent in (top, unit):
        response = client.post(url, data={**form, "parent_id": parent.id})
        assert response.status_code == 400
        assert "cannot be its own parent" in response.get_data(as_text=True)
    session.refresh(top)
    assert top.parent_id is None


def test_an_institution_is_deactivated_and_reactivated(client, session, admin):
    inst = factories.institution()
    url = f"/admin/institutions/{inst.id}/active"

    assert client.post(url, data={"active": "0", "next": "/admin/institutions?q=x"}
                       ).headers["Location"].endswith("/admin/institutions?q=x")
    session.refresh(inst)
    assert not inst.active
    assert _events(session, "institution", inst.id, "update")[-1].changes["active"] == {
        "before": True, "after": False}

    client.post(url, data={"active": "1", "next": "https://evil.example/"})
    session.refresh(inst)
    assert inst.active


def test_the_institution_list_filters(client, session, admin):
    factories.institution("FILTRO1", name_es="Defensoría Filtrable", branch="judicial")
    factories.institution("FILTRO2", name_es="Otra Filtrable", branch="local", active=False)

    assert "FILTRO1" in client.get("/admin/institutions?q=filtrable&branch=judicial").get_data(
        as_text=True)
    inactive = client.get("/admin/institutions?q=filtrable&status=inactive").get_data(
        as_text=True)
    assert "FILTRO2" in inactive and "FILTRO1" not in inactive


# --- mechanisms ----------------------------------------------------------------------------

def test_a_mechanism_is_created_and_renamed_in_both_languages(client, session, admin):
    data = {"code": "SR-TEST", "family": "special_procedure", "name_es": "Relatoría de prueba",
            "name_en": "Test rapporteur", "acronym_es": "RP", "acronym_en": "TR", "active": "y"}
    assert client.post("/admin/mechanisms/new", data=data).status_code == 302
    mech = session.execute(select(Mechanism).filter_by(code="SR-TEST")).scalar_one()

    renamed = {**data, "name_es": "Relatoría renombrada", "version": mech.version}
    del renamed["active"]  # an unticked box
    assert client.post(f"/admin/mechanisms/{mech.id}", data=renamed).status_code == 302
    session.refresh(mech)
    assert mech.name_es == "Relatoría renombrada" and not mech.active
    change = _events(session, "mechanism", mech.id, "update")[-1].changes
    assert change["name_es"] == {"before": "Relatoría de prueba", "after": "Relatoría renombrada"}

    duplicate = client.post("/admin/mechanisms/new?lang=en", data={**data, "code": "cedaw"})
    assert duplicate.status_code == 409
    assert "already used by another mechanism" in duplicate.get_data(as_text=True)


# --- vocabularies and terms ----------------------------------------------------------------

def test_a_new_vocabulary_gets_terms_that_are_renamed_with_an_audit_trail(client, session, admin):
    response = client.post("/admin/vocabularies/new", data={
        "code": "", "name_es": "Ejes del plan nacional", "name_en": "National action plan axes",
        "applies_to_recommendations": "y", "applies_to_actions": "y", "active": "y"})
    vocab = session.execute(select(Vocabulary).filter_by(
        code="national_action_plan_axes")).scalar_one()
    assert response.headers["Location"].endswith(f"/admin/vocabularies/{vocab.id}")
    assert vocab.applies_to_actions and vocab.applies_to_recommendations

    assert client.post(f"/admin/vocabularies/{vocab.id}/terms", data={
        "name_es": "Seguridad ciudadana", "name_en": "Citizen security", "code": "",
        "parent_id": ""}).status_code == 302
    term = session.execute(select(Term).filter_by(vocabulary_id=vocab.id)).scalar_one()
    assert term.code == "citizen_security"
    version = _version_on_page(client.get(f"/admin/terms/{term.id}").get_data(as_text=True))
    assert client.post(f"/admin/terms/{term.id}", data={
        "name_es": "Seguridad humana", "name_en": "Human security", "parent_id": "",
        "version": version}).status_code == 302

    created = _events(session, "term", term.id, "create")[-1].changes
    assert created["name_en"] == {"after": "Citizen security"}
    renamed = _events(session, "term", term.id, "update")[-1].changes
    assert renamed["name_es"] == {"before": "Seguridad ciudadana", "after": "Seguridad humana"}
    assert renamed["name_en"] == {"before": "Citizen security", "after": "Human security"}
    assert _events(session, "vocabulary", vocab.id, "create")
    page = client.get(f"/admin/vocabularies/{vocab.id}").get_data(as_text=True)
    assert "Seguridad humana" in page and "Human security" in page


def test_vocabulary_rename_is_audited(client, session, admin):
    vocab = factories.vocabulary(name_en="Old name")
    data = {"name_es": vocab.name_es, "name_en": "New name", "version": vocab.version,
            "applies_to_recommendations": "y", "active": "y"}
    assert client.post(f"/admin/vocabularies/{vocab.id}/edit", data=data).status_code == 302
    assert _events(session, "vocabulary", vocab.id, "update")[-1].changes["name_en"] == {
        "before": "Old name", "after": "New name"}


def test_a_duplicate_term_code_or_a_foreign_parent_is_refused(client, session, admin):
    vocab, elsewhere = factories.vocabulary(), factories.vocabulary()
    factories.make_term(vocab, code="water")
    foreign = factories.make_term(elsewhere)
    _saved(session)
    url = f"/admin/vocabularies/{vocab.id}/terms?lang=en"

    duplicate = client.post(url, data={"name_es": "Agua potable", "name_en": "Water",
                                       "code": "", "parent_id": ""})
    assert duplicate.status_code == 409
    page = duplicate.get_data(as_text=True)
    assert "The code water is already used by another term" in page
    assert 'value="Agua potable"' in page

    wrong_parent = client.post(url, data={"name_es": "Ríos", "name_en": "Rivers", "code": "",
                                          "parent_id": foreign.id})
    assert wrong_parent.status_code == 400
    assert "must belong to the same vocabulary" in wrong_parent.get_data(as_text=True)
    assert len(session.execute(select(Term).filter_by(vocabulary_id=vocab.id)).all()) == 1


def _linked(session, table, owner, term_id):
    return sorted(session.execute(select(table.c[owner]).where(table.c.term_id == term_id))
                  .scalars())


def test_merging_moves_every_link_once_and_retires_the_duplicate(client, session, admin):
    vocab = factories.vocabulary()
    source, target, other = (factories.make_term(vocab) for _ in range(3))
    both = factories.recommendation(terms=[source, target])
    only_source = factories.recommendation(terms=[source, other])
    only_target = factories.recommendation(terms=[target])
    action = factories.office_action(terms=[source])
    action_both = factories.office_action(terms=[source, target])

    response = client.post(f"/admin/terms/{source.id}/merge", data={"target_id": target.id})

    assert response.status_code == 302
    assert _linked(session, recommendation_term, "recommendation_id", target.id) == sorted(
        [both.id, only_source.id, only_target.id])
    assert _linked(session, recommendation_term, "recommendation_id", source.id) == []
    assert _linked(session, recommendation_term, "recommendation_id", other.id) == [
        only_source.id]
    assert _linked(session, office_action_term, "action_id", target.id) == sorted(
        [action.id, action_both.id])
    assert _linked(session, office_action_term, "action_id", source.id) == []
    session.refresh(source)
    assert not source.active and source.merged_into_id == target.id
    merge = _events(session, "term", source.id, "merge")[-1]
    assert merge.changes == {"into": target.id, "recommendations": 2, "actions": 2}
    assert merge.actor_id == admin.id
    assert reference.term_usage(vocab.id)[target.id] == (3, 2)
    session.refresh(only_source)
    assert {t.id for t in only_source.terms} == {target.id, other.id}


def test_merging_into_itself_or_across_vocabularies_is_refused(client, session, admin):
    vocab = factories.vocabulary()
    source = factories.make_term(vocab)
    foreign = factories.make_term(factories.vocabulary())
    rec = factories.recommendation(terms=[source])
    _saved(session)

    itself = client.post(f"/admin/terms/{source.id}/merge?lang=en",
                         data={"target_id": source.id})
    assert itself.status_code == 400
    assert "A term cannot be merged into itself." in itself.get_data(as_text=True)
    across = client.post(f"/admin/terms/{source.id}/merge?lang=en",
                         data={"target_id": foreign.id})
    assert across.status_code == 400
    assert "only be merged within the same vocabulary" in across.get_data(as_text=True)

    session.refresh(source)
    assert source.active and source.merged_into_id is None
    assert _linked(session, recommendation_term, "recommendation_id", source.id) == [rec.id]
    with pytest.raises(ServiceError, match="del mismo vocabulario"):  # default locale: Spanish
        reference.merge_terms(admin, source.id, foreign.id)


def test_a_merged_term_cannot_be_reactivated(client, session, admin):
    vocab = factories.vocabulary()
    source, target = factories.make_term(vocab), factories.make_term(vocab)
    reference.merge_terms(admin, source.id, target.id)
    _saved(session)

    response = client.post(f"/admin/terms/{source.id}/active?lang=en", data={"active": "1"})

    assert response.status_code == 409
    assert "merged into another one and cannot be reactivated" in response.get_data(
        as_text=True)
    session.refresh(source)
    assert not source.active


def test_a_term_is_deactivated_and_reactivated(client, session, admin):
    term = factories.make_term(factories.vocabulary())
    client.post(f"/admin/terms/{term.id}/active", data={"active": "0"})
    session.refresh(term)
    assert not term.active
    client.post(f"/admin/terms/{term.id}/active", data={"active": "1"})
    session.refresh(term)
    assert term.active


# --- who may do what -----------------------------------------------------------------------

def _admin_urls(app, session) -> list[tuple[str, str]]:
    """Every (method, URL) of the admin blueprint, with ids of real rows."""
    vocab = factories.vocabulary()
    ids = {"user_id": factories.user(Role.FOCAL_POINT).id,
           "institution_id": factories.institution().id,
           "mechanism_id": factories.mechanism().id,
           "vocabulary_id": vocab.id,
           "term_id": factories.make_term(vocab).id,
           "note_id": factories.notification(factories.user(Role.FOCAL_POINT)).id}
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<id:{name}>", str(ids[name]))
        found += [(method, url) for method in sorted(rule.methods & {"GET", "POST"})]
    return found


def test_focal_points_get_403_and_visitors_are_sent_to_sign_in_on_every_admin_page(
        app, client, session):
    urls = _admin_urls(app, session)
    assert len(urls) > 20
    for method, url in urls:
        response = client.open(url, method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    factories.sign_in(client, factories.user(Role.FOCAL_POINT))
    for method, url in urls:
        assert client.open(url, method=method).status_code == 403, (method, url)


def test_an_administrator_opens_every_admin_page_in_both_languages(app, client, session, admin):
    pages = [url for method, url in _admin_urls(app, session) if method == "GET"]
    for lang in ("es", "en"):
        for url in pages:
            response = client.get(f"{url}?lang={lang}")
            assert response.status_code == 200, url
            assert f'<html lang="{lang}">' in response.get_data(as_text=True)


def test_reviewers_read_reference_data_but_may_not_change_it(client, session):
    vocab = factories.vocabulary()
    term = factories.make_term(vocab, name_en="Untouched")
    inst = factories.institution()
    mech = factories.mechanism()
    factories.sign_in(client, factories.user(Role.REVIEWER))

    for url in ("/admin/", "/admin/institutions", "/admin/mechanisms", "/admin/vocabularies",
                f"/admin/vocabularies/{vocab.id}", "/admin/users", "/admin/audit"):
        assert client.get(url).status_code == 200, url
    page = client.get(f"/admin/vocabularies/{vocab.id}").get_data(as_text=True)
    assert f"/admin/terms/{term.id}/merge" not in page

    forbidden = [
        ("/admin/institutions/new", _institution_form()),
        (f"/admin/institutions/{inst.id}", _institution_form(version=1)),
        (f"/admin/institutions/{inst.id}/active", {"active": "0"}),
        ("/admin/mechanisms/new", {"code": "X", "family": "upr", "name_es": "x", "name_en": "x"}),
        (f"/admin/mechanisms/{mech.id}", {"family": "upr", "name_es": "x", "name_en": "x"}),
        ("/admin/vocabularies/new", {"name_es": "x", "name_en": "x"}),
        (f"/admin/vocabularies/{vocab.id}/edit", {"name_es": "x", "name_en": "x"}),
        (f"/admin/vocabularies/{vocab.id}/terms", {"name_es": "x", "name_en": "x"}),
        (f"/admin/terms/{term.id}", {"name_es": "x", "name_en": "x", "version": 1}),
        (f"/admin/terms/{term.id}/active", {"active": "0"}),
        (f"/admin/terms/{term.id}/merge", {"target_id": term.id}),
    ]
    for url, data in forbidden:
        assert client.post(url, data=data).status_code == 403, url
    session.refresh(term)
    assert term.name_en == "Untouched" and term.active
    with pytest.raises(ServiceError) as refused:
        reference.create_vocabulary(factories.user(Role.REVIEWER), None,
                                    reference.VocabularyInput(name_es="x", name_en="x"))
    assert refused.value.status == 403


def test_changes_need_the_csrf_token(client, session, admin, csrf_enabled):
    response = client.post("/admin/institutions/new", data=_institution_form(acronym="NOCSRF"))
    assert response.status_code == 400
    assert session.execute(select(Institution).filter_by(acronym="NOCSRF")).first() is None
