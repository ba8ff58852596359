"""Importers: the UHRI workbook and JSON, the tracker CSV, the UPR Info export, import jobs."""

from __future__ import annotations

import gzip
import hashlib
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from tracker.imports import (
    ImportFileError,
    RecommendationRecord,
    RowError,
    guess_format,
    read_tracker_csv,
    read_uhri_json,
    read_uhri_xlsx,
    read_upr_info,
)
from tracker.imports.countries import default_resolver
from tracker.imports.lookups import MechanismLookup
from tracker.imports.uhri_xlsx import COLUMNS
from tracker.models import (
    Document,
    ImportFormat,
    ImportJob,
    JobState,
    Recommendation,
    RecommendationType,
    StoredFile,
    UprPosition,
)
from tracker.services.demo import DEMO_DATA_DIR
from tracker.services.imports import import_records, run_import_job

from . import factories

HERE = Path(__file__).parent / "data"
WORKBOOK = DEMO_DATA_DIR / "uhri_export_honduras.xlsx"
IACHR_CSV = DEMO_DATA_DIR / "iachr_2015_honduras.csv"
# Five whole (State under review, session) blocks of the UPR Info export, rows verbatim
# and in the export's order: Finland 1, Indonesia 1, Tonga 2, Honduras 9, Tonga 15.
UPR_INFO = HERE / "upr_info_excerpt.csv.gz"


def _records(stream) -> list[RecommendationRecord]:
    return [item for item in stream if isinstance(item, RecommendationRecord)]


def _rec(session, reference: str) -> Recommendation:
    return session.query(Recommendation).filter_by(reference=reference).one()


def _waiting(session, rec: Recommendation) -> list[str]:
    """The labels a recommendation waits for the office to map."""
    from tracker.models import PendingLabel
    from tracker.models.reference import pending_label_link

    return sorted(session.scalars(
        select(PendingLabel.label).join(pending_label_link).where(
            pending_label_link.c.recommendation_id == rec.id)))


# --- UHRI workbook -----------------------------------------------------------------------


def test_workbook_reads_as_255_paragraphs_with_numbers_taken_out_of_the_text():
    records = _records(read_uhri_xlsx(WORKBOOK))

    assert len(records) == 255
    assert Counter(r.type for r in records) == {
        RecommendationType.RECOMMENDATION: 197, RecommendationType.CONCERN: 58}
    first = records[0]
    assert (first.paragraph, first.document_symbol, first.mechanism) == (
        "81.1", "A/HRC/16/10", "UPR")
    assert first.text.startswith("Review its national law")
    assert first.recommending_states == ["Czech Republic"]
    assert first.upr_position == UprPosition.SUPPORTED
    assert (first.upr_session, first.upr_cycle) == ("9", 1)
    assert str(first.document_date) == "2011-01-04"
    # Three UPR rows carry no number: their paragraph stays empty, their text whole.
    unnumbered = [r for r in records if r.paragraph is None]
    assert len(unnumbered) == 3
    assert unnumbered[0].text.startswith("Sign and ratify the Optional Protocol")
    assert Counter(r.language for r in records) == {"en": 132, "es": 123}
    cedaw = next(r for r in records if r.document_symbol == "CEDAW/C/HND/CO/7-8"
                 and r.paragraph == "23")
    assert cedaw.text.startswith("El Comité, recordando")
    assert cedaw.themes == ["Violencia de género contra la mujer"]


def test_workbook_import_matches_states_and_a_second_import_updates(session):
    result = import_records(read_uhri_xlsx(WORKBOOK), publish=True)

    assert (result.created, result.updated, result.skipped, result.errors) == (255, 0, 0, [])
    assert result.rows == 255
    assert result.documents_created == 8
    rec = _rec(session, "A/HRC/16/10 ¶81.1")
    assert [c.iso2 for c in rec.recommending_states] == ["CZ"]
    assert rec.is_published
    assert factories.annotation_of(rec) == "fb995698-a392-530e-a808-ffbcd0f86186"
    # UPR Info's issue labels reach the seeded UHRI terms through the seeded aliases.
    assert {t.name_en for t in rec.terms} >= {"Indigenous peoples", "Women & girls"}
    joint = session.query(Recommendation).filter(
        Recommendation.text.like("%(Ecuador, Spain);")).one()
    assert {c.iso2 for c in joint.recommending_states} == {"EC", "ES"}
    document = session.query(Document).filter_by(symbol="A/HRC/16/10").one()
    assert (document.mechanism.code, document.session, document.upr_cycle) == ("UPR", "9", 1)

    # The office corrects nothing an import owns, yet a re-import restores the source text
    # and keeps the office's own classification.
    pillar = factories.term("pillar", "accountability")
    rec.text = "edited by hand"
    rec.terms.append(pillar)
    session.flush()
    version = rec.version

    again = import_records(read_uhri_xlsx(WORKBOOK), publish=True)

    assert (again.created, again.updated, again.unchanged) == (0, 1, 254)
    assert again.changed_fields == {2: ["text"]}
    assert session.query(Recommendation).count() == 255
    session.refresh(rec)
    assert rec.text.startswith("Review its national law")
    assert pillar in rec.terms
    assert rec.version == version + 1


def test_dry_run_reports_the_counts_and_leaves_nothing(session):
    result = import_records(read_uhri_xlsx(WORKBOOK), dry_run=True)

    assert result.dry_run and result.created == 255
    assert session.query(Recommendation).count() == 0
    assert session.query(Document).filter_by(symbol="A/HRC/16/10").count() == 0


def _record(row: int, text: str, states: list[str], **kw) -> RecommendationRecord:
    return RecommendationRecord(source="hand.json", row=row, mechanism="UPR",
                                document_symbol="A/HRC/TST/2", text=text,
                                recommending_states=states, **kw)


def test_a_recommendation_met_twice_in_a_file_merges_and_the_last_copy_of_an_id_wins(session):
    first = import_records([_record(1, "Old text.", ["Spain"], annotation_id="a1")])
    assert first.created == 1

    result = import_records([
        _record(1, "New text.", ["France"], annotation_id="a1"),
        _record(2, "Old text.", ["Italy"]),
        _record(3, "Brand new.", ["Chile"], annotation_id="a2"),
        _record(4, "Brand new.", ["Peru"], annotation_id="a2"),
    ])

    assert (result.created, result.updated, result.merged, result.replaced) == (1, 1, 1, 1)
    assert (result.into[2], result.into[3]) == (1, 4)
    old = factories.by_annotation("a1")
    assert old.text == "New text."
    assert {c.iso2 for c in old.recommending_states} == {"FR", "IT"}
    # The later copy of annotation a2 replaced the earlier one: its State only.
    new = factories.by_annotation("a2")
    assert {c.iso2 for c in new.recommending_states} == {"PE"}
    assert session.query(Recommendation).count() == 2


def test_a_value_too_long_for_its_column_is_a_row_error(session):
    result = import_records([_record(1, "Text.", [], paragraph="1" * 40)])
    assert result.created == 0
    assert "paragraph '1111" in result.errors[0].message


def _workbook(path: Path, header, rows) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def test_workbook_with_a_bad_row_reports_it_and_goes_on(tmp_path):
    good = ["12. El Estado parte debería adoptar un plan.", "- Honduras", "- CAT",
            "CAT/C/TST/CO/1"] + [None] * 12
    bad = [None, "- Honduras", "- CAT", "CAT/C/TST/CO/1"] + [None] * 12
    wrong_type = list(good)
    wrong_type[10] = "- Verdict"
    path = _workbook(tmp_path / "export.xlsx", COLUMNS, [good, bad, wrong_type, good])

    items = list(read_uhri_xlsx(path))

    errors = [i for i in items if isinstance(i, RowError)]
    assert [(e.row, e.source) for e in errors] == [(3, "export.xlsx"), (4, "export.xlsx")]
    assert str(errors[0]) == "export.xlsx, row 3, column Text: the cell is empty"
    assert str(errors[1]) == ("export.xlsx, row 4, column Type: unknown type 'Verdict' "
                              "(expected recommendation or concern)")
    assert len(_records(items)) == 2


def test_wrong_files_raise_a_clear_error_naming_the_file(tmp_path):
    path = _workbook(tmp_path / "other.xlsx", ["Text", "Symbol"], [["a", "b"]])
    with pytest.raises(ImportFileError, match=r"other\.xlsx: missing column\(s\) "
                                              r"Reccomending Body, Document Symbol"):
        read_uhri_xlsx(path)
    (tmp_path / "notes.xlsx").write_text("not a workbook")
    with pytest.raises(ImportFileError, match=r"notes\.xlsx: not an Excel workbook"):
        read_uhri_xlsx(tmp_path / "notes.xlsx")
    with pytest.raises(ImportFileError, match=r"broken\.json: not a UHRI JSON export"):
        read_uhri_json(b"[{", "broken.json")
    with pytest.raises(ImportFileError, match=r"flat\.json: a UHRI JSON export is a list"):
        read_uhri_json(b'{"Text": "x"}', "flat.json")
    with pytest.raises(ImportFileError, match=r"plain\.csv: missing column\(s\) mechanism"):
        read_tracker_csv(b"symbol,text\nA/1,x\n", "plain.csv")
    with pytest.raises(ImportFileError, match=r"latin1\.csv: not a UTF-8 text file"):
        read_tracker_csv("mechanism,document_symbol,text\nCAT,X,Señal\n".encode("latin-1"),
                         "latin1.csv")
    with pytest.raises(ImportFileError, match=r"upr\.csv: missing column\(s\) To"):
        read_upr_info(b"State,Text,From,Response,Issue,Session\n", "upr.csv")


# --- UHRI JSON --------------------------------------------------------------------------


def test_json_export_with_codes_stars_entities_and_both_value_shapes(session):
    stream = read_uhri_json(HERE / "uhri_small.json")
    result = import_records(stream)

    assert (result.created, result.skipped) == (4, 2)
    assert [(e.row, e.message) for e in result.errors] == [
        (5, "unknown mechanism 'Committee of Imaginary Rights'"), (6, "the cell is empty")]
    assert result.errors[1].column == "Text"
    upr = _rec(session, "A/HRC/TST/1 ¶110.4")
    assert upr.text == ("Protect human rights defenders & journalists from attacks "
                        "(State of Palestine, Czechia);")
    assert {c.iso2 for c in upr.recommending_states} == {"PS", "CZ"}
    assert upr.upr_position == UprPosition.SUPPORTED
    sdgs = {t.code: t for t in upr.terms if t.vocabulary.code == "sdg"}
    # No target is seeded: 16.3 waits for the office instead of becoming a half-named term.
    assert set(sdgs) == {"sdg_5"}
    assert _waiting(session, upr) == ["16.3 Promote the rule of law"]
    noted = _rec(session, "A/HRC/TST/1 ¶110.5")
    assert noted.upr_position == UprPosition.NOTED
    assert {c.iso2 for c in noted.recommending_states} == {"BO", "IR"}
    assert (noted.document.session, noted.document.upr_cycle) == ("36", 3)
    concern = _rec(session, "CRC/C/TST/CO/5-6 ¶12")
    assert concern.type == RecommendationType.CONCERN
    assert '"remains incomplete"' in concern.text
    assert {t.name_en for t in concern.terms} >= {"Children", "Persons living in rural areas"}
    special = _rec(session, "A/HRC/TST/Add.2 ¶95")
    assert special.mechanism.code == "SP" and special.language == "es"


@pytest.mark.parametrize(("body", "code"), [
    ("CCPR", "CCPR"), ("- CESCR", "CESCR"), ("Human Rights Committee", "CCPR"),
    ("SR on torture", "SP"), ("WG on Arbitrary Detention", "SP"),
    ("IE on sexual orientation and gender identity", "SP"), ("CRC-OP-SC", "CRC"),
    ("IACHR", "IACHR"), ("CIDH", "IACHR"), ("Corte IDH", "IACtHR"), ("upr", "UPR"),
])
def test_body_names_map_to_mechanisms(session, body, code):
    lookup = MechanismLookup()
    assert lookup.resolve(body.removeprefix("- ")) == factories.mechanism(code).id


def test_an_unknown_body_is_not_guessed(session):
    assert MechanismLookup().resolve("Committee of Imaginary Rights") is None


@pytest.mark.parametrize(("name", "iso2"), [
    ("Bolivia (Plurinational State of)", "BO"), ("Bolivia, Plurinational State of", "BO"),
    ("Iran (Islamic Republic of)", "IR"),
    ("United Kingdom of Great Britain and Northern Ireland", "GB"),
    ("Republic of Korea", "KR"), ("DPR Korea", "KP"), ("Russian Federation", "RU"),
    ("Venezuela (Bolivarian Republic of)", "VE"), ("Holy See", "VA"),
    ("State of Palestine*", "PS"), ("HN", "HN"), ("Czech Republic", "CZ"),
    ("Türkiye", "TR"), ("Turkey", "TR"), ("Cote d'Ivoire", "CI"),
    ("Bosnia & Herzegovina", "BA"), ("St Kitts & Nevis", "KN"), ("Estados Unidos", "US"),
    ("Reino Unido", "GB"), ("España", "ES"), ("Países Bajos", "NL"),
])
def test_state_names_in_every_spelling_resolve(name, iso2):
    assert default_resolver().resolve(name) == iso2


def test_ambiguous_or_unknown_state_names_do_not_resolve():
    resolver = default_resolver()
    assert resolver.resolve("Korea") is None
    assert resolver.resolve("(Unknown)") is None
    assert resolver.split_joined(["Trinidad and Tobago", "Spain and Italy"]) == [
        "Trinidad and Tobago", "Spain", "Italy"]


# --- the tracker's CSV ------------------------------------------------------------------


def test_iachr_csv_gets_ordinal_references_for_a_repeated_paragraph(session):
    result = import_records(read_tracker_csv(IACHR_CSV), publish=True)

    assert (result.created, result.errors) == (12, [])
    first = _rec(session, "OEA/Ser.L/V/II. Doc. 42/15 ¶1")
    second = _rec(session, "OEA/Ser.L/V/II. Doc. 42/15 ¶1 (2)")
    assert first.text.startswith("El presente informe")
    assert second.text.startswith("Adoptar medidas integrales")
    assert second.mechanism.code == "IACHR" and second.language == "es"
    assert [t.name_es for t in second.terms if t.vocabulary.code == "themes"] == [
        "Libertad y seguridad de la persona"]
    assert str(first.document.date) == "2015-12-31"
    assert first.document.title == "Situación de derechos humanos en Honduras"

    again = import_records(read_tracker_csv(IACHR_CSV), publish=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 12)


def test_tracker_csv_lists_numbering_and_row_errors(session):
    result = import_records(read_tracker_csv(HERE / "tracker_small.csv"))

    assert result.created == 3
    assert [(e.row, e.message) for e in result.errors] == [
        (4, "unknown type 'verdict' (expected recommendation or concern)"),
        (6, "unknown mechanism 'Nowhere Body'"),
        (7, "the cell is empty"),
    ]
    assert [e.column for e in result.errors] == ["type", None, "text"]
    assert [(w.row, w.message) for w in result.warnings] == [
        (5, "recommending State 'Atlantis' not recognised")]
    point = _rec(session, "Corte IDH Serie C No. 999 ¶5")
    assert point.type == RecommendationType.OPERATIVE_POINT
    assert point.mechanism.code == "IACtHR"
    assert {t.name_es for t in point.terms} == {
        "Administración de justicia y juicio imparcial", "Impunidad",
        "16. Paz, justicia e instituciones sólidas"}
    assert _waiting(session, point) == ["Personas defensoras de derechos humanos"]
    assert _rec(session, "Corte IDH Serie C No. 999 ¶5 (2)").text.startswith("El Estado debe "
                                                                           "publicar")
    upr = _rec(session, "A/HRC/TST/9 ¶7.1")
    assert upr.text == "Adopt a national action plan on business and human rights"
    assert {c.iso2 for c in upr.recommending_states} == {"NO", "TT"}
    assert {t.name_en for t in upr.terms} == {"Labour rights and right to work"}
    assert _waiting(session, upr) == ["Business & human rights"]


def test_semicolon_separated_csv_from_a_spanish_excel_is_read():
    data = ("mechanism;document_symbol;paragraph;text\n"
            "CAT;CAT/C/TST/CO/1;9;El Estado parte debe tipificar la tortura, conforme al "
            "artículo 1.\n").encode()
    [record] = _records(read_tracker_csv(data, "excel.csv"))
    assert (record.paragraph, record.language) == ("9", "es")
    assert record.text.endswith("conforme al artículo 1.")


# --- UPR Info ---------------------------------------------------------------------------


@pytest.fixture
def upr_info_gz(tmp_path) -> Path:
    path = tmp_path / "upr_info_small.csv.gz"
    path.write_bytes(gzip.compress((HERE / "upr_info_small.csv").read_bytes()))
    return path


def test_upr_info_rows_of_a_joint_recommendation_become_one(session, upr_info_gz):
    result = import_records(read_upr_info(upr_info_gz), keep_other_states=True)

    assert result.created == 4
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (7, "Text", "the cell is empty"), (8, "To", "unknown State under review 'Atlantis'")]
    assert [(w.row, w.message) for w in result.warnings] == [
        (5, "recommending State '(Unknown)' not recognised")]
    honduras = session.query(Document).filter_by(symbol="UPR Info/HND/9").one()
    assert (honduras.mechanism.code, honduras.session, honduras.upr_cycle) == ("UPR", "9", 1)
    recs = {r.text: r for r in honduras.recommendations}
    assert len(recs) == 3
    opcat = recs["Ratify the Optional Protocol to the Convention against Torture."]
    assert {c.iso2 for c in opcat.recommending_states} == {"EC", "ES"}
    assert opcat.upr_position == UprPosition.SUPPORTED
    assert {t.name_en for t in opcat.terms} == {
        "Ratification of & accession to international instruments",
        "Prohibition of torture & ill-treatment (including cruel, inhuman or degrading "
        "treatment)"}
    assert opcat.reference.startswith("UPR Info/HND/9 #")
    mixed = recs["Strengthen the national human rights institution."]
    assert mixed.upr_position == UprPosition.SUPPORTED_NOTED
    assert [c.iso2 for c in mixed.recommending_states] == ["BA"]
    korea = session.query(Document).filter_by(symbol="UPR Info/PRK/6").one()
    assert {c.iso2 for c in korea.recommendations[0].recommending_states} == {"FR", "KN"}

    again = import_records(read_upr_info(upr_info_gz), keep_other_states=True)
    assert (again.created, again.updated, again.unchanged, again.refused) == (0, 0, 4, 2)


def test_the_real_upr_info_export_streams_into_joint_recommendations():
    per_state: Counter[str] = Counter()
    states_per_rec: dict[str, Counter[int]] = {}
    records: dict[tuple[str, str], RecommendationRecord] = {}
    stream = read_upr_info(UPR_INFO)
    errors = 0
    for item in stream:
        if isinstance(item, RowError):
            errors += 1
            continue
        state = item.countries_concerned[0]
        per_state[state] += 1
        states_per_rec.setdefault(state, Counter())[len(item.recommending_states)] += 1
        records[item.document_symbol, item.text] = item

    assert stream.total == 311
    assert errors == 0
    # 311 rows, one per recommending State, hold 295 distinct recommendations.
    assert sum(per_state.values()) == 295
    assert {symbol for symbol, _ in records} == {
        "UPR Info/FIN/1", "UPR Info/IDN/1", "UPR Info/TON/2", "UPR Info/HND/9",
        "UPR Info/TON/15"}
    # Honduras's first review: 133 rows, 132 recommendations (the same as in the UHRI
    # workbook), one made jointly by Ecuador and Spain.
    assert per_state["Honduras"] == 132
    assert states_per_rec["Honduras"] == {1: 131, 2: 1}
    # Finland's 17 rows make 11: two rows differ only by a double space, one
    # recommendation was made by five States.
    assert per_state["Finland"] == 11
    assert states_per_rec["Finland"] == {1: 8, 2: 2, 5: 1}
    # Tonga was reviewed twice: 46 + 93 recommendations in two documents; three States
    # answered "Ratify CEDAW" differently, so it is supported/noted.
    assert per_state["Tonga"] == 139
    cedaw = records["UPR Info/TON/15", "Ratify CEDAW"]
    assert sorted(cedaw.recommending_states) == ["Australia", "Maldives", "Slovenia"]
    assert cedaw.upr_position == UprPosition.SUPPORTED_NOTED
    # The export writes an unknown recommending State as an HTML entity.
    assert states_per_rec["Indonesia"] == {1: 13}
    assert sum(r.recommending_states == ["(Unknown)"] for r in records.values()) == 9


def test_format_is_guessed_from_the_name_and_a_csv_header():
    assert guess_format("export.xlsx") == ImportFormat.UHRI_XLSX
    assert guess_format("export.json") == ImportFormat.UHRI_JSON
    assert guess_format("upr.csv.gz") == ImportFormat.UPR_INFO_CSV
    assert guess_format("mine.csv", b"mechanism,document_symbol,text\n") == ImportFormat.CSV
    assert guess_format("upr.csv", b"To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,"
                                   b"Response,Action,Issue,Session\n") == ImportFormat.UPR_INFO_CSV
    assert guess_format("notes.txt") is None


# --- the command and the job ------------------------------------------------------------


def test_import_command_dry_run_then_real(runner, session):
    dry = runner.invoke(args=["import", str(IACHR_CSV), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing saved; 12 rows: 12 would be created" in dry.output
    assert session.query(Recommendation).count() == 0

    real = runner.invoke(args=["import", str(HERE / "tracker_small.csv"), "--publish"])
    assert real.exit_code == 0, real.output
    assert "6 rows: 3 created, 0 updated, 3 refused; 1 warning" in real.output
    assert "refused: tracker_small.csv, row 4, column type: unknown type 'verdict'" in (
        real.output)
    assert session.query(Recommendation).filter_by(is_published=True).count() == 3


def test_import_command_refuses_a_wrong_file(runner, tmp_path):
    path = tmp_path / "notes.json"
    path.write_text("not json")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "notes.json: not a UHRI JSON export" in result.output
    result = runner.invoke(args=["import", str(tmp_path / "notes.json"), "--format", "pdf"])
    assert result.exit_code == 2


def _job(session, data: bytes, filename: str, fmt: ImportFormat, **kw) -> ImportJob:
    stored = StoredFile(filename=filename, content_type="text/csv", size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(), data=data)
    job = ImportJob(source_format=fmt, stored_file=stored, **kw)
    session.add(job)
    session.commit()
    return job


def test_import_job_runs_to_done_with_counts_and_errors(session):
    data = (HERE / "tracker_small.csv").read_bytes()
    job = _job(session, data, "tracker_small.csv", ImportFormat.CSV, dry_run=False,
               publish=True)

    assert run_import_job(job.id) == "done"

    session.refresh(job)
    assert (job.state, job.progress) == (JobState.DONE, 100)
    assert (job.created_count, job.updated_count, job.skipped_count) == (3, 0, 3)
    assert {"row": 4, "level": "error", "column": "type",
            "message": "unknown type 'verdict' (expected recommendation or concern)"
            } in job.errors
    assert session.query(Recommendation).filter_by(is_published=True).count() == 3
    assert run_import_job(job.id) == "done"  # a redelivered task does nothing
    assert session.query(Recommendation).count() == 3


def test_import_job_commits_its_progress_batch_by_batch(session, monkeypatch):
    from tracker.services import imports

    monkeypatch.setattr(imports, "BATCH_SIZE", 5)
    seen = []
    real_commit = session.commit

    def commit():
        job = session.get(ImportJob, job_id)
        seen.append((job.progress, job.created_count))
        real_commit()

    job = _job(session, IACHR_CSV.read_bytes(), "iachr.csv", ImportFormat.CSV, dry_run=False)
    job_id = job.id
    monkeypatch.setattr(session, "commit", commit)

    assert run_import_job(job_id) == "done"

    # Running, row total known, two batches of five, then done.
    assert seen[2:] == [(50, 5), (91, 10), (100, 12)]


def test_import_job_dry_run_counts_without_importing(session):
    job = _job(session, IACHR_CSV.read_bytes(), "iachr.csv", ImportFormat.CSV, dry_run=True)

    assert run_import_job(job.id) == "done"

    session.refresh(job)
    assert job.created_count == 12
    assert session.query(Recommendation).count() == 0


def test_import_job_with_a_wrong_file_fails_with_the_reason(session):
    job = _job(session, b"name,value\nx,1\n", "other.csv", ImportFormat.CSV, dry_run=False)

    assert run_import_job(job.id) == "failed"

    session.refresh(job)
    assert job.state == JobState.FAILED and job.finished_at is not None
    assert "other.csv: missing column(s) mechanism, document_symbol, text" in (
        job.errors[-1]["message"])
