"""Full-text search: what a query finds, in which order, and what it suggests when nothing."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from tests import factories as f
from tests.conftest import scratch_database
from tests.test_public import page, shown
from tracker import create_app
from tracker.extensions import db
from tracker.imports import RecommendationRecord
from tracker.models import Recommendation
from tracker.services.catalogue import matching_ids, suggest, text_condition
from tracker.services.imports import import_records


@pytest.fixture
def texts(session):
    """Recommendations in Spanish and English, one of them with a Spanish version."""
    cat = f.document("CAT/C/HND/CO/2", "CAT")
    crc = f.document("CRC/C/HND/CO/5-6", "CRC")
    recs = {
        "TORTURE": f.recommendation(
            cat, reference="TORTURE", paragraph="12(a)", language="es",
            text="Investigar todas las denuncias de torturas y malos tratos por la Policía."),
        "CHILDREN": f.recommendation(
            crc, reference="CHILDREN", paragraph="33",
            text="Protect children from domestic violence and punishment.",
            versions={"es": "Proteger a los niños de la violencia doméstica y del castigo."}),
        "WOMEN": f.recommendation(
            cat, reference="WOMEN", language="es",
            text="Prevenir la violencia contra las mujeres, incluida la violencia doméstica."),
        "DISCRIMINATION": f.recommendation(
            crc, reference="DISCRIMINATION",
            text="End discrimination against children with albinism."),
        "MANY": f.recommendation(
            cat, reference="MANY", language="es",
            text="La tortura, la tortura y otra vez la tortura: erradicar la tortura."),
    }
    return recs


def found(q: str) -> set[str]:
    """The references of the recommendations q finds."""
    ids = matching_ids(q)
    refs = set(db.session.scalars(select(Recommendation.reference).where(
        Recommendation.id.in_(ids))))
    # Both ways of asking agree.
    assert refs == set(db.session.scalars(select(Recommendation.reference).where(
        text_condition(q))))
    return refs


@pytest.mark.parametrize(("q", "expected"), [
    ("ninos", {"CHILDREN"}),  # accents and ñ typed without
    ("NIÑOS", {"CHILDREN"}),
    ("Policia", {"TORTURE"}),
    ("tortura", {"TORTURE", "MANY"}),  # Spanish stem: "torturas"
    ("torturas", {"TORTURE", "MANY"}),
    ("discriminated", {"DISCRIMINATION"}),  # English stem: "discrimination"
    ("protecting", {"CHILDREN"}),
    ("castigo", {"CHILDREN"}),  # only in the Spanish version of an English original
    ("domestic violence", {"CHILDREN"}),
    ("violencia doméstica", {"CHILDREN", "WOMEN"}),
    ("crc/c/hnd/co/5-6", {"CHILDREN", "DISCRIMINATION"}),  # document symbol
    ("CAT/C/HND/CO/2", {"TORTURE", "WOMEN", "MANY"}),
    ("discrimination", {"DISCRIMINATION"}),  # the reference and the text
    ("12(a)", {"TORTURE"}),  # the paragraph
    ("albinism", {"DISCRIMINATION"}),
])
def test_words_match_in_any_form_language_and_field(texts, q, expected):
    assert found(q) == expected


def test_a_phrase_wants_its_words_together_and_in_order(texts):
    assert found('"violencia doméstica"') == {"CHILDREN", "WOMEN"}
    assert found('"doméstica violencia"') == set()
    assert found("malos policia") == {"TORTURE"}
    assert found('"malos policia"') == set()


def test_prefix_exclusion_and_or(texts):
    assert found("discrimin*") == {"DISCRIMINATION"}
    assert found("violen*") == {"CHILDREN", "WOMEN"}
    assert found("violencia -mujeres") == {"CHILDREN"}
    assert found('violencia -"contra las mujeres"') == {"CHILDREN"}
    assert found("albinism OR mujeres") == {"DISCRIMINATION", "WOMEN"}
    assert found("violencia niños OR mujeres") == {"CHILDREN", "WOMEN"}
    assert found("or") == set()  # a lone OR is a word like any other


def test_more_mentions_rank_higher(texts):
    ranks = matching_ids("tortura")
    assert ranks[texts["MANY"].id] > ranks[texts["TORTURE"].id]


def test_an_edit_is_found_at_once(texts, session):
    rec = texts["DISCRIMINATION"]
    f.curate(rec, text="Guarantee the right to birth registration.",
             versions={"es": "Garantizar el derecho a la inscripción de nacimientos."})
    assert found("albinism") == set()
    assert found("inscripcion") == {"DISCRIMINATION"}
    assert found("registration") == {"DISCRIMINATION"}
    f.curate(rec, versions={"es": ""})  # the Spanish version removed
    assert found("inscripcion") == set()
    assert found("registration") == {"DISCRIMINATION"}

    rec.document.symbol = "CRC/C/HND/CO/7"
    rec.reference = "BIRTHS"
    session.flush()
    assert found("crc/c/hnd/co/7") == {"CHILDREN", "BIRTHS"}
    assert found("births") == {"BIRTHS"}

    session.delete(texts["MANY"])
    session.flush()
    assert found("erradicar") == set()


def _record(text: str, **kw) -> RecommendationRecord:
    return RecommendationRecord(source="search.json", row=1, mechanism="CEDAW",
                                document_symbol="CEDAW/C/HND/CO/9", paragraph="21",
                                text=text, **kw)


def test_an_import_and_a_reimport_are_found_at_once(session):
    import_records([_record("Combat femicide and impunity.")], publish=True)
    before = found("femicide")
    assert len(before) == 1

    import_records([_record("Combat femicide and gender-based killings.")], publish=True)
    assert found("killings") == before
    assert found("impunity") == set()
    import_records([_record("Combatir el feminicidio y la impunidad.", language="es")],
                   publish=True)
    assert found("feminicidio") == before
    assert found("femicide impunidad") == before  # one record, both versions


@pytest.mark.parametrize("q", [
    '"', '""', "*", "-", "OR", "' OR 1=1 --", "NEAR(", 'tortura" AND', "tor*ura",
    "a:* & !b | <->", "😀 tortura", "\ud800", "tortura\ud800", "x" * 500,
    " ".join(["tortura"] * 100), "-tortura", "\x00tortura", "«tortura»",
])
def test_odd_input_gives_results_or_none_without_error(texts, q):
    refs = found(q)
    assert refs <= {"TORTURE", "MANY"}
    suggest(q)


def test_a_typo_gets_a_suggestion_that_finds_something(texts):
    assert found("torutra") == set()
    assert suggest("torutra") == "tortura"
    assert suggest("violencia domestcia") == "violencia doméstica"
    assert suggest("tortura") is None  # it finds something
    assert suggest("zzzzqqq") is None  # nothing close


def test_the_public_page_searches_published_recommendations(client, texts, session):
    hidden = f.recommendation(reference="HIDDEN", is_published=False,
                              text="Unpublished torture case.")
    assert hidden.id in matching_ids("torture")  # the caller filters what a visitor sees

    def listed_for(q):
        return shown(page(client, f"/recommendations?q={quote(q)}"))

    assert listed_for("tortura") == {"TORTURE", "MANY"}
    assert listed_for('"violencia doméstica" -mujeres') == {"CHILDREN"}
    assert listed_for("NIÑOS OR albinism") == {"CHILDREN", "DISCRIMINATION"}
    assert listed_for("' OR 1=1 --") == set()
    assert listed_for('"unbalanced') == set()
    html = page(client, "/recommendations?q=tortura")
    assert "Cómo buscar" in html  # the help on the syntax, in the reader's language


# --- the migration --------------------------------------------------------------------------


def test_the_migration_indexes_the_stored_recommendations_and_goes_back(tmp_path):
    with scratch_database(tmp_path, "full_text_search") as (url, options):
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                          "SQLALCHEMY_ENGINE_OPTIONS": options})
        with app.app_context():
            upgrade(revision="c4a7e2d91b05")
            _stored_rows()
            upgrade(revision="7d2f4c8e1a93")
            assert _references(matching_ids("ninos")) == {"A/HRC/1 ¶1"}
            assert _references(matching_ids("torturas")) == {"A/HRC/1 ¶2"}
            assert _references(matching_ids('"a/hrc/1"')) == {"A/HRC/1 ¶1", "A/HRC/1 ¶2"}
            db.session.commit()
            downgrade(revision="c4a7e2d91b05")
            left = {name for name in inspect(db.engine).get_table_names()
                    if name.startswith("recommendation_search")}
            upgrade()
            assert _references(matching_ids("tortura")) == {"A/HRC/1 ¶2"}
            db.session.remove()
            db.engine.dispose()
    assert left == set()


def _references(ids) -> set[str]:
    return set(db.session.scalars(select(Recommendation.reference).where(
        Recommendation.id.in_(ids))))


def _stored_rows() -> None:
    """Two recommendations, one with a Spanish version, stored before the search index."""
    now = "2026-01-01 00:00:00"
    for statement in (
        "INSERT INTO mechanism (id, code, family, name_es, name_en, active, sort_order, "
        "created_at, updated_at, version) VALUES (1, 'UPR', 'upr', 'EPU', 'UPR', true, 0, "
        ":now, :now, 1)",
        "INSERT INTO document (id, mechanism_id, symbol, created_at, updated_at, version) "
        "VALUES (1, 1, 'A/HRC/1', :now, :now, 1)",
    ):
        db.session.execute(text(statement), {"now": now})
    for rec_id, versions in ((1, {"en": "Protect children.", "es": "Proteger a los niños."}),
                             (2, {"es": "Prevenir la tortura."})):
        original = next(iter(versions))
        db.session.execute(text(
            "INSERT INTO recommendation (id, document_id, mechanism_id, paragraph, reference, "
            "text, language, type, follow_up, is_published, status, curated_fields, "
            "created_at, updated_at, version) VALUES (:id, 1, 1, :id, :reference, :text, "
            ":language, 'recommendation', false, true, 'no_information', '[]', :now, :now, 1)"),
            {"id": rec_id, "reference": f"A/HRC/1 ¶{rec_id}", "text": versions[original],
             "language": original, "now": now})
        for language, body in versions.items():
            db.session.execute(text(
                "INSERT INTO recommendation_text (recommendation_id, language, text, source, "
                "updated_at) VALUES (:id, :language, :text, 'file', :now)"),
                {"id": rec_id, "language": language, "text": body, "now": now})
    db.session.commit()
