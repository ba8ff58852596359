"""Every row of an imported file accounted for; the last copy of an id wins; odd bytes."""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from tests import factories
from tracker.audit import acting_as
from tracker.imports import (
    ImportFileError,
    RecommendationRecord,
    RowError,
    read_tracker_csv,
    read_uhri_json,
    read_uhri_xlsx,
    read_upr_info,
)
from tracker.imports.result import Outcome
from tracker.imports.uhri_xlsx import COLUMNS
from tracker.models import (
    AuditEvent,
    ImportFormat,
    ImportJob,
    JobState,
    Recommendation,
    RecommendationText,
    Role,
    StoredFile,
)
from tracker.services.audit_sentences import describe_events
from tracker.services.imports import import_records, run_import_job

HERE = Path(__file__).parent / "data"
UPR_INFO = HERE / "upr_info_excerpt.csv.gz"
UPR_HEADER = "To,From,Response,Session,Text,Issue\n"
CSV_HEADER = "mechanism,document_symbol,paragraph,text,recommending_states\n"


def _adds_up(result) -> None:
    counted = sum(result.count(outcome) for outcome in Outcome)
    assert counted == result.rows == len(result.outcomes)


def _rec(session, annotation: str | None = None, **kw) -> Recommendation:
    """The recommendation matching kw, or holding the UHRI annotation id in a version."""
    query = select(Recommendation).filter_by(**kw)
    if annotation is not None:
        query = query.join(Recommendation.texts).where(
            RecommendationText.annotation_id == annotation)
    return session.execute(query).scalar_one()


def _states(rec: Recommendation) -> set[str]:
    return {c.iso2 for c in rec.recommending_states}


# --- last one wins ------------------------------------------------------------------------


def _uhri_object(annotation: str, text: str, states: list[str]) -> dict:
    return {"AnnotationId": annotation, "Body": "UPR", "Symbol": "A/HRC/TST/3",
            "Text": text, "UprRecommendingCountry": states, "UprSession": "36"}


def test_a_later_copy_of_an_annotation_in_a_json_export_replaces_the_earlier(session):
    data = json.dumps([
        _uhri_object("ann-1", "110.1 Ratify the Convention (Spain);", ["Spain"]),
        _uhri_object("ann-2", "110.2 Protect journalists (Chile);", ["Chile"]),
        _uhri_object("ann-1", "110.1 Ratify the Convention promptly (France);", ["France"]),
    ]).encode()

    result = import_records(read_uhri_json(data, "upr.json"))

    assert result.rows_with(Outcome.CREATED) == [2, 3]
    assert result.rows_with(Outcome.REPLACED) == [1]
    assert result.into[1] == 3
    _adds_up(result)
    rec = _rec(session, annotation="ann-1")
    assert rec.text == "Ratify the Convention promptly (France);"
    assert _states(rec) == {"FR"}  # not Spain: the earlier copy is gone, not merged
    assert session.query(Recommendation).count() == 2
    assert "3 rows: 2 created, 0 updated, 1 replaced by a later row" in result.summary()


def _workbook(path: Path, rows: list[list]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _sheet_row(annotation: str, text: str) -> list:
    row = [None] * len(COLUMNS)
    values = {"Text": text, "Countries Concerned": "- Honduras", "Reccomending Body": "- CAT",
              "Document Symbol": "CAT/C/TST/CO/2", "OHCHR Annotation Id": annotation}
    for column, value in values.items():
        row[COLUMNS.index(column)] = value
    return row


@pytest.mark.parametrize("batch_size", [500, 1])
def test_a_later_copy_in_a_workbook_wins_within_a_batch_and_across_batches(
        session, tmp_path, batch_size):
    path = _workbook(tmp_path / "cat.xlsx", [
        _sheet_row("cat-9", "9. El Estado parte debe tipificar la tortura."),
        _sheet_row("cat-10", "10. El Estado parte debe investigar."),
        _sheet_row("cat-9", "9. El Estado parte debe tipificar la tortura sin demora."),
    ])

    result = import_records(read_uhri_xlsx(path), batch_size=batch_size)

    assert (result.created, result.replaced, result.rows) == (2, 1, 3)
    assert result.into[2] == 4  # rows as the sheet numbers them: the header is row 1
    _adds_up(result)
    assert _rec(session, annotation="cat-9").text.endswith("sin demora.")
    assert _rec(session, annotation="cat-9").reference == "CAT/C/TST/CO/2 ¶9"


def test_a_later_copy_that_changes_a_stored_recommendation_is_one_update(session):
    base = {"source": "t.json", "mechanism": "CEDAW", "document_symbol": "CEDAW/C/TST/CO/1",
            "paragraph": "12", "annotation_id": "ced-12"}
    import_records([RecommendationRecord(row=1, text="Adopt a law.", **base)])

    result = import_records([RecommendationRecord(row=1, text="Adopt a law soon.", **base),
                             RecommendationRecord(row=2, text="Adopt a law now.", **base)],
                            batch_size=1)

    assert result.rows_with(Outcome.UPDATED) == [2]
    assert result.changed_fields[2] == ["text"]
    assert result.rows_with(Outcome.REPLACED) == [1]
    _adds_up(result)
    assert _rec(session, annotation="ced-12").text == "Adopt a law now."


# --- UPR Info: co-sponsor rows merge ---------------------------------------------------------


def _upr(rows: list[str]) -> bytes:
    return (UPR_HEADER + "".join(r + "\n" for r in rows)).encode()


def test_co_sponsor_rows_merge_their_states_and_themes_and_are_counted(session):
    data = _upr(['Honduras,Spain,Supported,9,"Ratify the Convention.",Women',
                 'Honduras,Chile,Supported,9,"Ratify the Convention.","Women,Children"',
                 'Honduras,Peru,Supported,9,"Protect journalists.",',
                 'Honduras,Mexico,Supported,9,"Ratify the Convention.",Migrants'])

    [joint, journalists] = list(read_upr_info(data, "upr.csv"))
    assert joint.themes == ["Women", "Children", "Migrants"]
    assert (joint.row, joint.merged_rows) == (2, [3, 5])

    result = import_records(read_upr_info(data, "upr.csv"))

    assert result.rows == 4 and result.records == 2
    assert result.rows_with(Outcome.CREATED) == [2, 4]
    assert result.rows_with(Outcome.MERGED) == [3, 5]
    assert result.into == {3: 2, 5: 2}
    _adds_up(result)
    rec = _rec(session, text="Ratify the Convention.")
    assert _states(rec) == {"ES", "CL", "MX"}
    assert result.summary().startswith(
        "4 rows: 2 created, 0 updated, 2 merged into another row's recommendation")


def test_the_real_export_counts_its_file_rows_and_every_row_has_an_outcome(session):
    result = import_records(read_upr_info(UPR_INFO), keep_other_states=True)

    # 311 rows of the file, 295 recommendations: 16 co-sponsors' rows merged.
    assert (result.rows, result.records) == (311, 295)
    assert (result.created, result.merged) == (295, 16)
    _adds_up(result)
    assert result.summary().startswith("311 rows: 295 created, 0 updated, 16 merged")

    again = import_records(read_upr_info(UPR_INFO), keep_other_states=True)
    assert (again.unchanged, again.merged, again.rows) == (295, 16, 311)
    assert again.summary().endswith("(nothing changed); 9 warnings")


# --- refused rows, control characters, encodings ---------------------------------------------


def test_a_refused_row_names_its_row_column_and_reason(session):
    data = (CSV_HEADER + "CAT,CAT/C/TST/CO/1,5,,\n"
            "CAT,CAT/C/TST/CO/1,6,Investigar.,\n").encode()

    result = import_records(read_tracker_csv(data, "mine.csv"))

    assert [str(e) for e in result.errors] == ["mine.csv, row 2, column text: the cell is empty"]
    assert result.rows_with(Outcome.REFUSED) == [2]
    assert result.rows_with(Outcome.CREATED) == [3]
    _adds_up(result)


def test_control_characters_are_removed_and_said_on_every_database(session):
    data = (CSV_HEADER + "CAT,CAT/C/TST/CO/1,7,\"Investigar\x00 la tortura\x07.\",Spain\x1b\n"
            ).encode()

    result = import_records(read_tracker_csv(data, "nul.csv"))

    assert result.created == 1 and result.errors == []
    assert [str(w) for w in result.warnings] == [
        "nul.csv, row 2: control characters removed from text, recommending_states"]
    session.commit()  # PostgreSQL refuses a NUL here, so this proves it never got there
    rec = _rec(session, paragraph="7")
    assert rec.text == "Investigar la tortura."
    assert _states(rec) == {"ES"}


def test_a_record_built_by_code_with_a_nul_is_stored_without_it(session):
    result = import_records([RecommendationRecord(
        source="code", row=1, mechanism="CAT", document_symbol="CAT/C/TST/CO/1\x00",
        paragraph="8", text="Prevenir\x00.", themes=["Tortura\x00"])])
    session.commit()
    assert result.created == 1
    assert _rec(session, paragraph="8").text == "Prevenir."


def test_control_characters_in_json_and_upr_info_are_removed_too(session):
    data = json.dumps([_uhri_object("nul-1", "110.9 Protect\u0000 defenders (Spain);",
                                    ["Spain"])]).encode()
    [record] = list(read_uhri_json(data, "nul.json"))
    assert record.text == "Protect defenders (Spain);"
    assert record.warnings == ["control characters removed from Text"]

    upr = _upr(['Honduras,Spain,Supported,9,"Protect\x00 defenders.",Women'])
    [record] = list(read_upr_info(upr, "nul.csv"))
    assert record.text == "Protect defenders."
    assert record.warnings == ["row 2: control characters removed from Text"]
    result = import_records([record])
    session.commit()
    assert result.created == 1


def test_a_byte_that_is_not_utf8_names_its_row():
    data = (CSV_HEADER + "CAT,CAT/C/TST/CO/1,5,Investigar.,\n"
            "CAT,CAT/C/TST/CO/1,6,Se\u00f1al.,\n").encode("latin-1")
    with pytest.raises(ImportFileError, match=r"^latin\.csv: not a UTF-8 text file: row 3 "
                                              r"holds the byte 0xf1"):
        read_tracker_csv(data, "latin.csv")

    upr = _upr(['Honduras,Spain,Supported,9,"Ratify.",Women',
                'Honduras,"España",Supported,9,"Ratificar.",Women']).decode()
    for payload in (upr.encode("latin-1"), gzip.compress(upr.encode("latin-1"))):
        with pytest.raises(ImportFileError, match=r"^upr\.csv: not a UTF-8 CSV file: row 3 "
                                                  r"holds the byte 0xf1"):
            read_upr_info(payload, "upr.csv")


def test_a_json_export_that_is_not_utf8_names_the_line():
    data = b'[\n{"Text": "Se\xf1al", "Body": "CAT", "Symbol": "CAT/C/1"}\n]'
    with pytest.raises(ImportFileError, match=r"^bad\.json: not a UTF-8 text file: line 2 "
                                              r"holds the byte 0xf1"):
        read_uhri_json(data, "bad.json")


@pytest.mark.parametrize(("reader", "payload", "message"), [
    (read_uhri_json, b"  \n", "the file is empty"),
    (read_tracker_csv, b"", "the file is empty"),
    (read_upr_info, b"", "the file is empty"),
    (read_upr_info, gzip.compress(b""), "the file is empty"),
])
def test_an_empty_file_is_refused_as_empty(reader, payload, message):
    with pytest.raises(ImportFileError, match=f"^empty.csv: {message}$"):
        reader(payload, "empty.csv")


@pytest.mark.parametrize(("name", "content"), [
    ("header.csv", CSV_HEADER),
    ("empty.csv", ""),
    ("empty.json", "[]"),
])
def test_the_command_says_a_file_holds_nothing_and_exits_non_zero(runner, session, tmp_path,
                                                                   name, content):
    path = tmp_path / name
    path.write_text(content)

    result = runner.invoke(args=["import", str(path)])

    assert result.exit_code == 1
    assert name in result.output
    assert re.search(r"(the file is empty|holds no rows to import)", result.output)
    assert session.query(Recommendation).count() == 0


def test_a_job_with_a_file_of_no_rows_fails_saying_so(session):
    data = CSV_HEADER.encode()
    stored = StoredFile(filename="header.csv", content_type="text/csv", size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(), data=data)
    job = ImportJob(source_format=ImportFormat.CSV, stored_file=stored, dry_run=False)
    session.add(job)
    session.commit()

    assert run_import_job(job.id) == "failed"

    session.refresh(job)
    assert job.state == JobState.FAILED
    assert job.errors[-1]["message"] == "header.csv: the file holds no rows to import"


# --- the command's words -----------------------------------------------------------------------


def test_the_command_names_the_fields_a_second_import_changed(runner, session, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(CSV_HEADER + "CAT,CAT/C/TST/CO/1,5,Investigar.,Spain\n"
                    "CAT,CAT/C/TST/CO/1,6,Prevenir.,\n")
    first = runner.invoke(args=["import", str(path)])
    assert first.output.splitlines()[0] == "mine.csv (csv): 2 rows: 2 created, 0 updated"

    path.write_text(CSV_HEADER + "CAT,CAT/C/TST/CO/1,5,Investigar pronto.,Chile\n"
                    "CAT,CAT/C/TST/CO/1,6,Prevenir.,\n")
    again = runner.invoke(args=["import", str(path)])

    assert again.exit_code == 0, again.output
    assert again.output.splitlines() == [
        "mine.csv (csv): 2 rows: 0 created, 1 updated, 1 unchanged",
        "  updated: row 2 (recommending_states, text)"]

    same = runner.invoke(args=["import", str(path)])
    assert "2 rows: 0 created, 0 updated, 2 unchanged (nothing changed)" in same.output


# --- the audit trail of an import ------------------------------------------------------------


def test_the_trail_says_which_import_created_and_changed_a_recommendation(app, session):
    reviewer = factories.user(Role.REVIEWER, name="Lucía Martínez")
    base = {"source": "cedaw.json", "mechanism": "CEDAW",
            "document_symbol": "CEDAW/C/TST/CO/1", "paragraph": "12"}
    with acting_as(reviewer.id, reviewer.email):
        import_records([RecommendationRecord(row=4, text="Adopt a law.",
                                             recommending_states=["Spain"], **base)])
        import_records([RecommendationRecord(row=7, text="Adopt a law soon.", **base)])
    rec = _rec(session, paragraph="12")

    events = list(session.execute(select(AuditEvent).where(
        AuditEvent.entity_type == "recommendation", AuditEvent.entity_id == str(rec.id))
        .order_by(AuditEvent.id)).scalars())

    assert [e.action for e in events] == ["create", "update"]
    with app.test_request_context("/?lang=en"):
        told = describe_events(events, reviewer)
        created, changed = (re.sub(r"<[^>]+>", "", str(view.sentence)) for view in told)
        details = [re.sub(r"<[^>]+>", "", str(line)) for line in told[1].details]
    assert created == ("Lucía Martínez created the recommendation CEDAW/C/TST/CO/1 ¶12 by "
                       "importing row 4 of cedaw.json")
    assert changed == ("Lucía Martínez changed the recommendation CEDAW/C/TST/CO/1 ¶12 by "
                       "importing row 7 of cedaw.json")
    assert any("Adopt a law soon." in line for line in details)
    assert any(line.startswith("Recommending States: removed") for line in details)
    with app.test_request_context("/?lang=es"):
        [spanish] = describe_events(events[:1], reviewer)
    assert re.sub(r"<[^>]+>", "", str(spanish.sentence)) == (
        "Lucía Martínez creó la recomendación CEDAW/C/TST/CO/1 ¶12 al importar la fila 4 "
        "de cedaw.json")
    # One event a recommendation and one for the whole import, not one per ORM flush.
    imports = list(session.execute(select(AuditEvent).where(AuditEvent.action == "import")
                                   .order_by(AuditEvent.id)).scalars())
    assert len(imports) == 2
    with app.test_request_context("/?lang=en"):
        [told] = describe_events(imports[1:], reviewer)
    assert re.sub(r"<[^>]+>", "", str(told.sentence)) == (
        "Lucía Martínez imported recommendations from cedaw.json")
    assert [html.unescape(re.sub(r"<[^>]+>", "", str(line))) for line in told.details] == [
        "1 row in the file",
        "Created: 0; updated: 1; unchanged: 0; merged into another row's recommendation: 0; "
        "replaced by a later row: 0; not for this State: 0; refused: 0"]


def test_a_refused_rows_reader_error_keeps_its_place(session):
    result = import_records([RowError("x.csv", 2, "bad", column="text"),
                             RecommendationRecord(source="x.csv", row=3, mechanism="CAT",
                                                  document_symbol="CAT/C/TST/CO/1",
                                                  text="Investigar.")])
    assert result.rows_with(Outcome.REFUSED) == [2]
    assert result.report()["counts"]["refused"] == 1
    _adds_up(result)


def test_the_last_copy_of_an_annotation_in_the_tracker_csv_wins(session):
    data = (b"mechanism,document_symbol,paragraph,text,annotation_id\n"
            b"CAT,CAT/C/TST/CO/1,5,Investigar.,cat-5\n"
            b"CAT,CAT/C/TST/CO/1,5,Investigar y sancionar.,cat-5\n")

    result = import_records(read_tracker_csv(data, "mine.csv"))

    assert (result.created, result.replaced, result.into) == (1, 1, {2: 3})
    assert _rec(session, annotation="cat-5").text == "Investigar y sancionar."


@pytest.mark.parametrize("batch_size", [500, 1])
def test_rows_of_one_recommendation_apart_in_the_file_merge_across_batches(session,
                                                                            batch_size):
    rows = ['Honduras,Spain,Supported,9,"Ratify the Convention.",Women',
            'Chile,Peru,Supported,9,"Protect journalists.",',
            'Honduras,Chile,Supported,9,"Ratify the Convention.",Women']

    result = import_records(read_upr_info(_upr(rows), "upr.csv"), batch_size=batch_size,
                            keep_other_states=True)

    assert (result.created, result.merged, result.into) == (2, 1, {4: 2})
    assert _states(_rec(session, text="Ratify the Convention.")) == {"ES", "CL"}
    _adds_up(result)

    # A co-sponsor's row that is new to a stored recommendation makes it "updated".
    again = import_records(read_upr_info(_upr([*rows, rows[0].replace("Spain", "Mexico")]),
                                         "upr.csv"), batch_size=batch_size)
    assert again.rows_with(Outcome.UPDATED) == [2]
    assert again.changed_fields[2] == ["recommending_states"]
    assert again.rows_with(Outcome.MERGED) == [4, 5]
    _adds_up(again)
    assert _states(_rec(session, text="Ratify the Convention.")) == {"ES", "CL", "MX"}


def test_the_audit_page_of_a_recommendation_names_the_import_that_made_it(client, session):
    reviewer = factories.user(Role.REVIEWER, name="Lucía Martínez")
    data = json.dumps([_uhri_object("ann-7", "110.7 Protect defenders (Spain);",
                                    ["Spain"])]).encode()
    with acting_as(reviewer.id, reviewer.email):
        import_records(read_uhri_json(data, "honduras.json"))
    session.commit()
    rec = _rec(session, annotation="ann-7")
    factories.sign_in(client, reviewer)

    page = client.get(f"/admin/audit?lang=es&entity_type=recommendation&entity_id={rec.id}")

    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.get_data(
        as_text=True))))
    assert page.status_code == 200
    assert ("Lucía Martínez creó la recomendación A/HRC/TST/3 ¶110.7 al importar la fila 1 "
            "de honduras.json") in text
