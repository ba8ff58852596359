"""Labels from imports: matched to terms in either language, or queued for the office to map."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import choose_language
from tracker.imports import RecommendationRecord
from tracker.imports.lookups import label_key
from tracker.models import (
    AuditEvent,
    PendingLabel,
    Recommendation,
    Role,
    Term,
    TermAlias,
    Vocabulary,
)
from tracker.models.reference import pending_label_link
from tracker.services import labels
from tracker.services.errors import ServiceError
from tracker.services.imports import import_records


def _record(row: int, themes=(), affected=(), sdgs=(), paragraph=None) -> RecommendationRecord:
    return RecommendationRecord(
        source="labels.json", row=row, mechanism="CAT", document_symbol="CAT/C/LBL/CO/1",
        paragraph=paragraph or str(row), text=f"Texto del párrafo {row}", language="es",
        themes=list(themes), affected_persons=list(affected), sdgs=list(sdgs))


def _rec(session, paragraph: str) -> Recommendation:
    return session.scalars(select(Recommendation).where(
        Recommendation.reference == f"CAT/C/LBL/CO/1 ¶{paragraph}")).one()


def _term_names(rec: Recommendation) -> set[str]:
    return {t.name_en for t in rec.terms}


def _pending(session, label: str) -> PendingLabel | None:
    return session.scalars(select(PendingLabel).where(PendingLabel.label == label)).one_or_none()


def _waiting_for(session, label: PendingLabel) -> set[int]:
    return set(session.scalars(select(pending_label_link.c.recommendation_id).where(
        pending_label_link.c.pending_label_id == label.id)))


def _term_count(session) -> int:
    return session.scalar(select(func.count(Term.id)))


# --- matching ------------------------------------------------------------------------------


def test_the_key_ignores_case_accents_apostrophes_and_punctuation():
    assert label_key("  DERECHO a la Educación. ") == "derecho a la educacion"
    assert label_key("Women’s rights") == label_key("womens-rights") == "womens rights"
    assert label_key("Sexual & reproductive health") == "sexual reproductive health"
    assert label_key("Права ребёнка") == "права ребенка"  # other scripts keep their letters


def test_labels_find_terms_by_either_name_without_case_accents_or_punctuation(session):
    terms_before = _term_count(session)
    result = import_records([
        _record(1, themes=["DERECHO A LA EDUCACION"]),  # Spanish name, no accents
        _record(2, themes=["right-to-health!"]),  # English name, punctuation
        _record(3, themes=["Women’s rights"], affected=["mujeres y niñas"]),  # seeded alias
        _record(4, sdgs=["ODS 5"]),
    ])

    assert (result.created, result.errors) == (4, [])
    assert _term_names(_rec(session, "1")) == {"Right to education"}
    assert _term_names(_rec(session, "2")) == {"Right to health"}
    assert _term_names(_rec(session, "3")) == {"Women & girls"}
    assert {t.code for t in _rec(session, "4").terms} == {"sdg_5"}
    assert session.scalar(select(func.count(PendingLabel.id))) == 0
    assert _term_count(session) == terms_before


# --- the queue -----------------------------------------------------------------------------


def test_an_unknown_label_waits_with_its_record_and_mapping_it_serves_every_later_import(
        session):
    reviewer = factories.user(Role.REVIEWER)
    terms_before = _term_count(session)
    result = import_records([_record(1, themes=["Derechos digitales", "Right to health"]),
                             _record(2, themes=["derechos digitales."])])

    assert (result.created, result.errors) == (2, [])
    assert _term_count(session) == terms_before  # no half-named term
    waiting = _pending(session, "Derechos digitales")
    assert waiting is not None and waiting.first_source == "labels.json"
    assert waiting.vocabulary.code == "themes"
    first, second = _rec(session, "1"), _rec(session, "2")
    assert _waiting_for(session, waiting) == {first.id, second.id}
    assert _term_names(first) == {"Right to health"}
    [row] = labels.waiting_labels()
    assert (row.label.label, row.records) == ("Derechos digitales", 2)

    privacy = session.scalars(select(Term).where(Term.code == "private_life_privacy")).one()
    version = first.version
    outcome = labels.map_label(reviewer, waiting.id, privacy.id)

    assert (outcome.term.id, outcome.records) == (privacy.id, 2)
    session.refresh(first)
    assert _term_names(first) == {"Right to health", "Private life & privacy"}
    assert privacy in _rec(session, "2").terms
    assert first.version == version + 1  # an edit form opened before the mapping notices
    assert _pending(session, "Derechos digitales") is None
    alias = session.scalars(select(TermAlias).where(TermAlias.key == "derechos digitales")).one()
    assert alias.term_id == privacy.id
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "map_label")).all()
    assert [e.changes["recommendations"] for e in events] == [[first.reference,
                                                                second.reference]]
    assert session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "term_alias", AuditEvent.action == "create")).first()

    again = import_records([_record(3, themes=["DERECHOS DIGITALES"])])
    assert again.created == 1
    assert _term_names(_rec(session, "3")) == {"Private life & privacy"}
    assert session.scalar(select(func.count(PendingLabel.id))) == 0


def test_a_record_imported_again_without_the_label_stops_waiting_for_it(session):
    import_records([_record(1, themes=["Etiqueta pasajera"])])
    waiting = _pending(session, "Etiqueta pasajera")
    assert _waiting_for(session, waiting) == {_rec(session, "1").id}

    import_records([_record(1, themes=["Right to health"])])
    assert _waiting_for(session, waiting) == set()


def test_a_label_queued_meanwhile_by_another_import_is_shared_not_a_failure(session):
    from tracker.imports.lookups import TermLookup

    lookup = TermLookup()  # read before the other import queued the label
    themes = session.scalars(select(Vocabulary).where(Vocabulary.code == "themes")).one()
    other = PendingLabel(vocabulary_id=themes.id, label="Etiqueta simultánea",
                         key=label_key("Etiqueta simultánea"))
    session.add(other)
    session.flush()

    found = lookup.match("themes", ["ETIQUETA SIMULTANEA"], "mine.json")
    assert (found.term_ids, found.pending_ids) == (set(), {other.id})
    assert lookup.queued == []


def test_a_dry_run_queues_nothing(session):
    result = import_records([_record(1, themes=["Etiqueta de ensayo"])], dry_run=True)
    assert result.created == 1
    assert _pending(session, "Etiqueta de ensayo") is None


def test_creating_the_term_needs_both_names_and_maps_the_label(session):
    reviewer = factories.user(Role.REVIEWER)
    import_records([_record(1, themes=["Empresas y derechos humanos"])])
    waiting = _pending(session, "Empresas y derechos humanos")

    with pytest.raises(ServiceError) as missing:
        labels.create_term_for_label(reviewer, waiting.id, "Empresas y derechos humanos", " ")
    assert missing.value.field == "name_en"
    with pytest.raises(ServiceError) as twin:
        labels.create_term_for_label(reviewer, waiting.id, "Derecho a la salud", "Health")
    assert (twin.value.status, twin.value.field) == (409, "name_es")

    outcome = labels.create_term_for_label(reviewer, waiting.id, "Empresas y derechos humanos",
                                           "Business & human rights")
    term = outcome.term
    assert (term.vocabulary.code, term.name_es, term.name_en) == (
        "themes", "Empresas y derechos humanos", "Business & human rights")
    assert term in _rec(session, "1").terms
    import_records([_record(2, themes=["Business and human rights"])])
    assert _pending(session, "Business and human rights") is not None  # "and" is not "&"
    import_records([_record(3, themes=["business & human-rights"])])
    assert term in _rec(session, "3").terms


def test_an_ignored_label_is_left_out_of_later_imports(session):
    reviewer = factories.user(Role.REVIEWER)
    import_records([_record(1, themes=["Varios"])])
    outcome = labels.ignore_label(reviewer, _pending(session, "Varios").id)
    assert outcome.term is None and outcome.records == 1

    import_records([_record(2, themes=["varios", "Right to health"])])
    assert _term_names(_rec(session, "2")) == {"Right to health"}
    assert _pending(session, "Varios") is None


def test_only_the_office_maps_labels(session):
    focal = factories.user(Role.FOCAL_POINT, factories.institution("LBL"))
    import_records([_record(1, themes=["Etiqueta ajena"])])
    waiting = _pending(session, "Etiqueta ajena")
    with pytest.raises(ServiceError) as refused:
        labels.ignore_label(focal, waiting.id)
    assert refused.value.status == 403


# --- the screen ----------------------------------------------------------------------------


@pytest.fixture
def queued(session):
    import_records([_record(1, themes=["Seguridad vial"]), _record(2, themes=["seguridad vial"])])
    reviewer = factories.user(Role.REVIEWER)
    session.commit()
    return reviewer, _pending(session, "Seguridad vial")


def test_the_office_sees_the_queue_and_maps_a_label_from_its_page(client, session, queued):
    reviewer, waiting = queued
    factories.sign_in(client, reviewer)

    listing = client.get("/review/labels").get_data(as_text=True)
    assert "Etiquetas por vincular" in listing and "Seguridad vial" in listing
    assert re.search(r"Seguridad vial</td>\s*<td>Temas de derechos humanos</td>\s*"
                     r"<td class=\"text-end\">2</td>", listing)

    page = client.get(f"/review/labels/{waiting.id}?q=vida").get_data(as_text=True)
    assert "Derecho a la vida" in page and "Derecho a la salud" not in page
    assert "CAT/C/LBL/CO/1 ¶1" in page

    life = session.scalars(select(Term).where(Term.code == "right_to_life")).one()
    answer = client.post(f"/review/labels/{waiting.id}/map", data={"term_id": life.id},
                         follow_redirects=True)
    body = answer.get_data(as_text=True)
    assert "“Seguridad vial” ahora significa “Derecho a la vida”" in body
    assert "Recomendaciones vinculadas: 2" in body
    assert "Ninguna etiqueta está en espera" in body
    assert life in _rec(session, "2").terms

    trail = client.get("/admin/audit").get_data(as_text=True)
    told = re.sub(r"<[^>]+>|\s+", " ", trail)
    assert "Vínculo de una etiqueta importada" in told
    assert "Etiqueta tal como está escrita: Seguridad vial" in told
    assert "Término al que corresponde: Derecho a la vida" in told
    assert "Recomendaciones vinculadas: CAT/C/LBL/CO/1 ¶1, CAT/C/LBL/CO/1 ¶2" in told

    late = client.post(f"/review/labels/{waiting.id}/map", data={"term_id": life.id},
                       follow_redirects=True)
    assert "Esta etiqueta ya no está en espera" in late.get_data(as_text=True)


def test_a_new_term_without_its_english_name_is_refused_in_spanish_and_keeps_what_was_typed(
        client, session, queued):
    reviewer, waiting = queued
    factories.sign_in(client, reviewer)
    terms_before = _term_count(session)

    answer = client.post(f"/review/labels/{waiting.id}/term",
                         data={"name_es": "Seguridad vial", "name_en": ""})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert 'value="Seguridad vial"' in body
    assert "Este campo es obligatorio." in body
    assert _term_count(session) == terms_before
    assert _pending(session, "Seguridad vial") is not None

    answer = client.post(f"/review/labels/{waiting.id}/term",
                         data={"name_es": "derecho a la SALUD", "name_en": "Road health"})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 409
    assert ("El término “Derecho a la salud” ya existe en este vocabulario: vincule la "
            "etiqueta a ese término.") in body
    assert 'value="Road health"' in body and _term_count(session) == terms_before

    answer = client.post(f"/review/labels/{waiting.id}/term",
                         data={"name_es": "Seguridad vial", "name_en": "Road safety"})
    assert answer.status_code == 302
    term = session.scalars(select(Term).where(Term.name_en == "Road safety")).one()
    assert term.name_es == "Seguridad vial"
    assert term in _rec(session, "1").terms


def test_a_bad_term_choice_says_so_in_english_for_an_english_reader(client, session, queued):
    reviewer, waiting = queued
    choose_language(client, "en")
    factories.sign_in(client, reviewer)
    focus = session.scalars(select(Term).join(Vocabulary).where(
        Vocabulary.code == "pillar")).first()
    answer = client.post(f"/review/labels/{waiting.id}/map", data={"term_id": focus.id})
    assert answer.status_code == 400
    assert "Choose a term from the list." in answer.get_data(as_text=True)
    assert _pending(session, "Seguridad vial") is not None


def test_the_tab_and_the_screen_are_the_office_s_only(client, session, queued):
    reviewer, waiting = queued
    focal = factories.user(Role.FOCAL_POINT, factories.institution("LBL-F"))
    session.commit()
    factories.sign_in(client, focal)
    assert client.get("/review/labels").status_code == 403
    assert client.post(f"/review/labels/{waiting.id}/ignore").status_code == 403
    assert _pending(session, "Seguridad vial") is not None
    client.post("/logout")
    factories.sign_in(client, reviewer)
    home = client.get("/review/recommendations").get_data(as_text=True)
    tab = re.search(r'href="/review/labels"[^>]*>(.*?)</a>', home, re.S).group(1)
    assert re.sub(r"<[^>]+>|\s+", " ", tab).split() == ["Etiquetas", "por", "vincular", "1",
                                                          "en", "espera"]


# --- the demo ------------------------------------------------------------------------------

# Terms whose name is the same in both languages because it is a name or an acronym.
SAME_IN_BOTH = {"LGBTI"}


def test_the_demo_themes_are_bilingual_and_none_repeats_another(client, session):
    from tracker.services.demo import load_demo

    load_demo()
    session.commit()

    assert session.scalar(select(func.count(PendingLabel.id))) == 0
    rows = session.execute(select(Vocabulary.code, Term.name_es, Term.name_en).join(
        Term.vocabulary).where(Term.merged_into_id.is_(None))).all()
    same = [(code, es) for code, es, en in rows if es == en and es not in SAME_IN_BOTH]
    assert same == []
    seen: dict[tuple[str, str], str] = {}
    twins = []
    for code, es, en in rows:
        for name in {es, en}:
            key = (code, label_key(name))
            if key in seen and seen[key] != (es, en):
                twins.append((code, name))
            seen[key] = (es, en)
    assert twins == []

    page = client.get("/recommendations?more=theme").get_data(as_text=True)
    facet = re.search(r'<section class="facet" id="facet-theme".*?</section>', page, re.S)[0]
    offered = {html.unescape(label.strip())
               for label in re.findall(r'<span class="facet-label">([^<]*)</span>', facet)}
    english_only = {en for _c, es, en in rows if es != en}
    assert offered and offered.isdisjoint(english_only)
    assert "Libertad y seguridad de la persona" in offered


# --- the seeded aliases --------------------------------------------------------------------


def test_every_seeded_alias_is_in_the_database_and_means_a_seeded_term(session):
    import csv

    from tracker.services.seed import SEED_DIR

    with (SEED_DIR / "theme_aliases.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    stored = {a.key: a for a in session.scalars(select(TermAlias))}
    for row in rows:
        alias = stored[label_key(row["label"])]
        if row["term_code"]:
            assert (alias.term.vocabulary.code, alias.term.code) == (
                row["term_vocabulary"], row["term_code"])
        else:
            assert alias.term_id is None


def test_an_alias_to_a_term_that_does_not_exist_names_file_and_row(session, tmp_path):
    import shutil

    from tracker.services.seed import SEED_DIR, SeedError, seed_reference_data

    copy = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, copy)
    with (copy / "theme_aliases.csv").open("a", encoding="utf-8") as fh:
        fh.write("themes,Derechos digitales,themes,digital_rights\n")
    with pytest.raises(SeedError, match=r"theme_aliases\.csv, row \d+: no term "
                                        r"'themes/digital_rights'"):
        seed_reference_data(copy)
