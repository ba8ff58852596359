"""One record per recommendation in every language: imports merge language versions,
pages show the reader's version, search reads every language, and old data migrates."""

from __future__ import annotations

import json

import pytest
from flask_migrate import upgrade
from openpyxl import Workbook
from sqlalchemy import select, text

from tests import factories
from tests.conftest import login, scratch_database
from tracker import create_app
from tracker.extensions import db
from tracker.imports import read_tracker_csv, read_uhri_json, read_uhri_xlsx
from tracker.imports.records import RecommendationRecord
from tracker.imports.result import Outcome
from tracker.imports.uhri_xlsx import COLUMNS
from tracker.models import Recommendation, TextSource, UprPosition
from tracker.services import curation
from tracker.services.imports import import_records

SYMBOL = "A/HRC/30/11"
ENGLISH = {"82.2": "Protect human rights defenders and journalists.",
           "82.3": "Investigate every attack on human rights defenders."}
SPANISH = {"82.2": "Proteger a los defensores de derechos humanos y a los periodistas.",
           "82.3": "Investigar todo ataque contra los defensores de derechos humanos."}


def _json(texts: dict[str, str], prefix: str) -> bytes:
    return json.dumps([
        {"AnnotationId": f"{prefix}-{paragraph}", "Body": "UPR", "Symbol": SYMBOL,
         "Text": f"{paragraph}. {body}", "Countries": ["Honduras"]}
        for paragraph, body in texts.items()]).encode()


def _sheet(tmp_path, texts: dict[str, str], prefix: str):
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for paragraph, body in texts.items():
        values = {"Text": f"{paragraph}. {body}", "Countries Concerned": "- Honduras",
                  "Reccomending Body": "- UPR", "Document Symbol": SYMBOL,
                  "OHCHR Annotation Id": f"{prefix}-{paragraph}"}
        sheet.append([values.get(column) for column in COLUMNS])
    path = tmp_path / f"uhri-{prefix}.xlsx"
    book.save(path)
    return path


def _csv(rows: list[tuple[str, str, str]]) -> bytes:
    lines = ["mechanism,document_symbol,paragraph,text,language"]
    lines += [f'UPR,{SYMBOL},{paragraph},"{body}",{language}' for paragraph, body, language
              in rows]
    return ("\n".join(lines) + "\n").encode()


def _rec(paragraph: str) -> Recommendation:
    return db.session.execute(select(Recommendation).where(
        Recommendation.paragraph == paragraph)).scalar_one()


def _versions(rec: Recommendation) -> dict[str, str]:
    db.session.refresh(rec)
    return {v.language: v.text for v in rec.texts}


def _adds_up(result) -> None:
    assert sum(result.count(outcome) for outcome in Outcome) == result.rows


# --- imports --------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["json", "xlsx"])
def test_english_then_spanish_export_gives_one_record_with_two_languages(session, tmp_path,
                                                                         layout):
    def read(texts, prefix):
        if layout == "json":
            return read_uhri_json(_json(texts, prefix), f"uhri-{prefix}.json")
        return read_uhri_xlsx(_sheet(tmp_path, texts, prefix))

    first = import_records(read(ENGLISH, "en"))
    second = import_records(read(SPANISH, "es"))

    assert first.created == 2
    assert (second.created, second.updated) == (0, 2)
    assert [second.changed_fields[row] for row in second.rows_with(Outcome.UPDATED)] == [
        ["text_es"], ["text_es"]]
    _adds_up(second)
    assert db.session.scalar(select(db.func.count()).select_from(Recommendation)) == 2
    rec = _rec("82.2")
    assert rec.reference == f"{SYMBOL} ¶82.2" and rec.language == "en"
    assert _versions(rec) == {"en": ENGLISH["82.2"], "es": SPANISH["82.2"]}
    assert {v.language: (v.annotation_id, v.source) for v in rec.texts} == {
        "en": ("en-82.2", TextSource.UHRI), "es": ("es-82.2", TextSource.UHRI)}
    # The same Spanish export again changes nothing.
    again = import_records(read(SPANISH, "es"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_a_spanish_export_first_keeps_spanish_as_the_original(session):
    import_records(read_uhri_json(_json(SPANISH, "es"), "es.json"))
    import_records(read_uhri_json(_json(ENGLISH, "en"), "en.json"))
    rec = _rec("82.3")
    assert rec.language == "es" and rec.text == SPANISH["82.3"]
    assert _versions(rec) == {"es": SPANISH["82.3"], "en": ENGLISH["82.3"]}


def test_a_corrected_language_version_updates_only_that_version(session):
    import_records(read_uhri_json(_json(ENGLISH, "en"), "en.json"))
    import_records(read_uhri_json(_json(SPANISH, "es"), "es.json"))
    corrected = {**SPANISH, "82.2": "Proteger a las personas defensoras y a los periodistas."}
    result = import_records(read_uhri_json(_json(corrected, "es"), "es.json"))
    assert (result.updated, result.unchanged) == (1, 1)
    assert result.changed_fields[result.rows_with(Outcome.UPDATED)[0]] == ["text_es"]
    rec = _rec("82.2")
    assert rec.text == ENGLISH["82.2"]  # the original is untouched
    assert _versions(rec)["es"] == corrected["82.2"]


def test_two_annotations_of_one_paragraph_pair_with_their_translations_in_order(session):
    def both(prefix, first, second):
        return json.dumps([
            {"AnnotationId": f"{prefix}-a", "Body": "CRC", "Symbol": "CRC/C/HND/CO/5",
             "Text": f"5. {first}", "Countries": ["HN"]},
            {"AnnotationId": f"{prefix}-b", "Body": "CRC", "Symbol": "CRC/C/HND/CO/5",
             "Text": f"5. {second}", "Countries": ["HN"]}]).encode()

    import_records(read_uhri_json(both("en", "Register every birth.", "Train the police."),
                                  "en.json"))
    spanish = both("es", "Registrar todos los nacimientos del país.", "Capacitar a la policía.")
    result = import_records(read_uhri_json(spanish, "es.json"))

    assert (result.created, result.updated) == (0, 2)
    refs = {r.reference: _versions(r) for r in db.session.scalars(select(Recommendation))}
    assert refs == {
        "CRC/C/HND/CO/5 ¶5": {"en": "Register every birth.",
                              "es": "Registrar todos los nacimientos del país."},
        "CRC/C/HND/CO/5 ¶5 (2)": {"en": "Train the police.", "es": "Capacitar a la policía."}}


def test_the_tracker_csv_adds_a_language_version_and_merges_one_within_a_file(session):
    import_records(read_tracker_csv(_csv([("82.2", ENGLISH["82.2"], "en")]), "en.csv"))
    later = import_records(read_tracker_csv(_csv([("82.2", SPANISH["82.2"], "es")]), "es.csv"))
    assert later.updated == 1 and later.changed_fields[2] == ["text_es"]
    assert _versions(_rec("82.2")) == {"en": ENGLISH["82.2"], "es": SPANISH["82.2"]}

    # Both languages of a paragraph in one file: one recommendation, the second row merged.
    both = import_records(read_tracker_csv(_csv([("82.3", ENGLISH["82.3"], "en"),
                                                 ("82.3", SPANISH["82.3"], "es")]), "b.csv"))
    assert (both.created, both.merged, both.into[3]) == (1, 1, 2)
    _adds_up(both)
    rec = _rec("82.3")
    assert _versions(rec) == {"en": ENGLISH["82.3"], "es": SPANISH["82.3"]}
    assert {v.language: (v.source, v.source_file, v.source_row) for v in rec.texts} == {
        "en": (TextSource.FILE, "b.csv", 2), "es": (TextSource.FILE, "b.csv", 3)}


def test_a_translation_adds_its_text_and_leaves_the_originals_classification(session):
    import_records([RecommendationRecord(
        source="en.csv", row=2, mechanism="UPR", document_symbol=SYMBOL, paragraph="82.2",
        text=ENGLISH["82.2"], language="en", upr_position=UprPosition.SUPPORTED,
        recommending_states=["France"], themes=["Human rights defenders"])])
    # A file of translations only: no position, no States, no themes.
    result = import_records(read_tracker_csv(_csv([("82.2", SPANISH["82.2"], "es")]),
                                             "es.csv"), publish=True)
    assert result.changed_fields[2] == ["is_published", "text_es"]
    rec = _rec("82.2")
    assert rec.upr_position == UprPosition.SUPPORTED and rec.is_published
    assert [c.iso2 for c in rec.recommending_states] == ["FR"]
    assert [t.name_en for t in rec.terms] == ["Human rights defenders"]


def test_a_curated_translation_survives_a_reimport_as_a_conflict(session):
    import_records(read_uhri_json(_json(ENGLISH, "en"), "en.json"))
    import_records(read_uhri_json(_json(SPANISH, "es"), "es.json"))
    rec = _rec("82.2")
    office_text = "Proteger a las personas defensoras de derechos humanos."
    curation.update_recommendation(
        factories.user(), rec.id,
        curation.RecommendationInput(
            document_symbol=SYMBOL, paragraph="82.2", reference=rec.reference, text=rec.text,
            language="en", versions={"es": office_text}, type=rec.type),
        rec.version)
    assert _rec("82.2").curated_fields == ["text_es"]

    changed = {**SPANISH, "82.2": "Otro texto del archivo."}
    result = import_records(read_uhri_json(_json(changed, "es"), "es.json"))

    [conflict] = result.conflicts[result.rows_with(Outcome.UNCHANGED)[0]]
    assert (conflict.field, conflict.file_value, conflict.office_value) == (
        "text_es", "Otro texto del archivo.", office_text)
    assert _versions(_rec("82.2"))["es"] == office_text


# --- pages and search -----------------------------------------------------------------------


@pytest.fixture
def translated(session):
    doc = factories.document("A/HRC/30/11", "UPR")
    with_spanish = factories.recommendation(
        doc, paragraph="82.2", text=ENGLISH["82.2"], language="en",
        versions={"es": SPANISH["82.2"]})
    english_only = factories.recommendation(doc, paragraph="82.3", text=ENGLISH["82.3"],
                                            language="en")
    return with_spanish, english_only


def test_search_in_spanish_finds_a_recommendation_through_its_spanish_version(client,
                                                                            translated):
    with_spanish, english_only = translated
    page = client.get("/recommendations?q=periodistas").get_data(as_text=True)
    assert with_spanish.reference in page and english_only.reference not in page
    # An English word still finds both originals, whatever the reader's language.
    page = client.get("/recommendations?q=defenders").get_data(as_text=True)
    assert with_spanish.reference in page and english_only.reference in page


def test_the_page_shows_the_readers_version_and_says_which(client, translated):
    with_spanish, english_only = translated
    spanish = client.get(f"/recommendations/{with_spanish.id}").get_data(as_text=True)
    assert f'<blockquote class="rec-text" lang="es">{SPANISH["82.2"]}' in spanish
    assert "Versión en español; el original está en inglés." in spanish
    assert ENGLISH["82.2"] in spanish  # under "the text in another language"

    english = client.get(f"/recommendations/{with_spanish.id}?lang=en").get_data(as_text=True)
    assert f'<blockquote class="rec-text" lang="en">{ENGLISH["82.2"]}' in english
    assert "Original text, in English." in english

    only = client.get(f"/recommendations/{english_only.id}?lang=es").get_data(as_text=True)
    assert "Texto original, en inglés: aún no hay versión en español." in only


def test_the_list_shows_each_text_in_the_readers_language(client, translated):
    page = client.get("/recommendations").get_data(as_text=True)
    assert SPANISH["82.2"] in page and ENGLISH["82.2"] not in page
    assert ENGLISH["82.3"] in page  # no Spanish version: the original


def test_staff_type_remove_and_see_the_source_of_each_version(client, translated):
    with_spanish, _english_only = translated
    staff = factories.user()
    login(client, staff)
    url = f"/review/recommendations/{with_spanish.id}"
    detail = client.get(url).get_data(as_text=True)
    assert "Escrito por el personal de la oficina" in detail  # the factory typed it

    form = client.get(f"{url}/edit").get_data(as_text=True)
    assert 'name="text_es"' in form and 'name="text_en"' not in form  # English is the original
    data = {"document_mode": "existing", "document_symbol": "A/HRC/30/11",
            "paragraph": "82.2", "reference": with_spanish.reference, "text": ENGLISH["82.2"],
            "language": "en", "text_es": "", "type": "recommendation", "upr_position": "",
            "version": str(with_spanish.version)}
    assert client.post(f"{url}/edit", data=data).status_code == 302
    assert _versions(with_spanish) == {"en": ENGLISH["82.2"]}
    assert with_spanish.curated_fields == ["text_es"]


# --- the migration --------------------------------------------------------------------------


def test_the_migration_moves_translations_and_folds_language_twins(tmp_path):
    with scratch_database(tmp_path, "language_versions") as (url, options):
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                          "SQLALCHEMY_ENGINE_OPTIONS": options})
        with app.app_context():
            upgrade(revision="8b3f5d0c2a61")
            _old_rows()
            upgrade(revision="c4a7e2d91b05")
            found = {(rec_id, language): (body, source, annotation)
                     for rec_id, language, body, source, annotation in db.session.execute(text(
                         "SELECT recommendation_id, language, text, source, annotation_id "
                         "FROM recommendation_text"))}
            left = db.session.execute(text(
                "SELECT id, reference, curated_fields FROM recommendation ORDER BY id")).all()
            states = db.session.execute(text(
                "SELECT recommendation_id, country_id FROM recommendation_state")).all()
            db.session.remove()
            db.engine.dispose()

    assert found == {
        (1, "en"): ("Protect defenders.", "uhri", "ann-en"),
        (1, "es"): ("Proteger a los defensores.", "uhri", "ann-es"),  # folded from record 2
        (3, "en"): ("Train the police.", "file", None),
        (3, "es"): ("Capacitar a la policía.", "staff", None),  # its old translation
        (4, "en"): ("Ratify the protocol.", "uhri", "ann-4"),
        (5, "es"): ("Ratificar el protocolo.", "uhri", "ann-5"),  # assessed: kept apart
    }
    assert [(r[0], r[1]) for r in left] == [
        (1, "A/HRC/1 ¶1"), (3, "A/HRC/1 ¶3"), (4, "A/HRC/1 ¶4"), (5, "A/HRC/1 ¶4 (2)")]
    curated = left[1][2]
    assert (json.loads(curated) if isinstance(curated, str) else curated) == ["text_es"]
    assert sorted(states) == [(1, 10), (1, 20)]  # the twin's recommending State joined


def _old_rows() -> None:
    """Records as the tracker held them before language versions."""
    now = "2026-01-01 00:00:00"
    statements = [
        "INSERT INTO mechanism (id, code, family, name_es, name_en, active, sort_order, "
        "created_at, updated_at, version) VALUES (1, 'UPR', 'upr', 'EPU', 'UPR', true, 0, "
        ":now, :now, 1)",
        "INSERT INTO document (id, mechanism_id, symbol, created_at, updated_at, version) "
        "VALUES (1, 1, 'A/HRC/1', :now, :now, 1)",
        "INSERT INTO country (id, iso2, iso3, name_es, name_en) VALUES "
        "(10, 'FR', 'FRA', 'Francia', 'France'), (20, 'ES', 'ESP', 'España', 'Spain')",
    ]
    recs = [  # id, reference, text, language, translation, annotation, status, curated
        (1, "A/HRC/1 ¶1", "Protect defenders.", "en", None, "ann-en", "no_information", "[]"),
        (2, "A/HRC/1 ¶1 (2)", "Proteger a los defensores.", "es", None, "ann-es",
         "no_information", "[]"),
        (3, "A/HRC/1 ¶3", "Train the police.", "en", "Capacitar a la policía.", None,
         "no_information", '["translation"]'),
        (4, "A/HRC/1 ¶4", "Ratify the protocol.", "en", None, "ann-4", "no_information", "[]"),
        (5, "A/HRC/1 ¶4 (2)", "Ratificar el protocolo.", "es", None, "ann-5", "in_progress",
         "[]"),
    ]
    for statement in statements:
        db.session.execute(text(statement), {"now": now})
    for rec_id, reference, body, language, translation, annotation, status, curated in recs:
        db.session.execute(text(
            "INSERT INTO recommendation (id, document_id, mechanism_id, paragraph, reference, "
            "text, language, translation, type, follow_up, uhri_annotation_id, is_published, "
            "status, curated_fields, created_at, updated_at, version) VALUES (:id, 1, 1, "
            ":paragraph, :reference, :text, :language, :translation, 'recommendation', false, "
            ":annotation, true, :status, :curated, :now, :now, 1)"),
            {"id": rec_id, "paragraph": reference.split("¶")[1].split(" ")[0],
             "reference": reference, "text": body, "language": language,
             "translation": translation, "annotation": annotation, "status": status,
             "curated": curated, "now": now})
    for rec_id, country_id in ((1, 10), (2, 10), (2, 20)):
        db.session.execute(text("INSERT INTO recommendation_state (recommendation_id, "
                                "country_id) VALUES (:rec, :country)"),
                           {"rec": rec_id, "country": country_id})
    db.session.commit()
