"""Importers on the edges: odd cells, odd files, a recommendation met again."""

from __future__ import annotations

import gzip
import io
from datetime import date, datetime
from pathlib import Path

import pytest

from tests import factories as f
from tracker.imports import (
    ImportFileError,
    RecommendationRecord,
    RowError,
    guess_format,
    read_head,
    read_uhri_json,
    read_upr_info,
)
from tracker.imports.countries import CountryResolver
from tracker.imports.lookups import MechanismLookup
from tracker.imports.records import (
    RecordStream,
    parse_date,
    parse_position,
    source_name,
    split_list,
    trailing_states,
)
from tracker.models import ImportFormat, ImportJob, JobState, Recommendation, UprPosition
from tracker.services.imports import import_records, run_import_job

HEADER = "To,From,Response,Session,Text,Issue\n"


# --- cells --------------------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "expected"), [
    (datetime(2016, 11, 25, 9, 30), date(2016, 11, 25)),
    (date(2016, 11, 25), date(2016, 11, 25)),
    (42699, date(2016, 11, 25)),  # an Excel serial number
    ("42699", date(2016, 11, 25)),
    ("- 2016-11-25", date(2016, 11, 25)),
    ("25/11/2016", date(2016, 11, 25)),
    ("25.11.2016", date(2016, 11, 25)),
    ("2016-11-25T09:30:00Z", date(2016, 11, 25)),
    ("", None),
])
def test_dates_are_read_in_every_shape_the_sources_use(cell, expected):
    assert parse_date(cell) == expected


def test_a_cell_that_is_not_a_date_says_so():
    with pytest.raises(ValueError, match="'next spring' is not a date"):
        parse_date("next spring")


def test_list_cells_drop_blanks_repeats_and_bullets():
    assert split_list(["- Women", None, "Women", " • Children "]) == ["Women", "Children"]
    assert split_list("Women;Children; Women", separators=";") == ["Women", "Children"]


@pytest.mark.parametrize(("cell", "expected"), [
    ("Supported", UprPosition.SUPPORTED),
    ("- Noted", UprPosition.NOTED),
    (["Supported", "Noted"], UprPosition.SUPPORTED_NOTED),
    ("", None),
])
def test_upr_positions(cell, expected):
    assert parse_position(cell) is expected


def test_an_unknown_upr_position_is_an_error_naming_it():
    with pytest.raises(ValueError, match="unknown UPR position 'Maybe'"):
        parse_position("Maybe")


@pytest.mark.parametrize(("text", "states"), [
    ("Ratify the Convention (Ecuador, Spain);", ["Ecuador", "Spain"]),
    ("Ratify the Convention (Bolivia (Plurinational State of), Cuba).",
     ["Bolivia (Plurinational State of)", "Cuba"]),
    ("Ratify the Convention.", []),
    ("Ratify the Convention Ecuador)", []),  # unbalanced: no States guessed
])
def test_recommending_states_come_from_the_closing_parentheses(text, states):
    assert trailing_states(text) == states


def test_a_source_is_named_after_its_file(tmp_path):
    assert source_name("ignored.csv", "given.csv") == "given.csv"
    assert source_name("/data/uhri/export.xlsx", None) == "export.xlsx"
    assert source_name(tmp_path / "upr.csv", None) == "upr.csv"
    with open(__file__, "rb") as fh:
        assert source_name(fh, None) == Path(__file__).name
    assert source_name(io.BytesIO(b""), None) == "upload"


def test_closing_a_stream_closes_the_reader_behind_it():
    def rows():
        yield RowError("a.csv", 2, "bad")

    items = rows()
    stream = RecordStream("a.csv", items)
    stream.close()
    assert list(items) == []  # a closed generator yields nothing more
    RecordStream("b.csv", iter([])).close()  # nothing to close: no error


# --- UPR Info files -----------------------------------------------------------------------


def _upr(rows: list[str]) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def test_an_uploaded_upr_info_export_is_read_plain_or_gzipped():
    data = _upr(['Honduras,Spain,Supported,9,"Ratify the Convention.",Women',
                 'Honduras,Chile,Noted,9,"Ratify the Convention.",Women',
                 'Honduras,Peru,,9,"Protect journalists.",'])
    for upload in (data, gzip.compress(data)):
        stream = read_upr_info(io.BytesIO(upload), "upload.csv")
        records = list(stream)
        assert stream.total == 3
        joint, journalists = records
        # One joint recommendation answered differently by two States.
        assert joint.recommending_states == ["Spain", "Chile"]
        assert joint.upr_position == UprPosition.SUPPORTED_NOTED
        assert joint.document_symbol == "UPR Info/HND/9"
        assert journalists.upr_position is None and journalists.themes == []


def test_bad_upr_info_rows_are_reported_and_the_others_read():
    data = _upr(['Honduras,Spain,Supported,,"No session here.",',
                 'Honduras,Spain,Perhaps,9,"Odd answer.",',
                 'Honduras,Spain,Supported,9,"",'])
    items = list(read_upr_info(data, "upr.csv"))
    errors = [str(i) for i in items if isinstance(i, RowError)]
    assert errors == ["upr.csv, row 2, column Session: the cell is empty",
                      "upr.csv, row 4, column Text: the cell is empty"]
    (record,) = [i for i in items if isinstance(i, RecommendationRecord)]
    assert record.warnings == ["row 3: unknown response 'Perhaps'"]


def test_a_file_that_is_not_utf8_is_refused_with_its_name():
    data = _upr(['Honduras,España,Supported,9,"Ratificar la Convención.",'])
    with pytest.raises(ImportFileError, match="upr.csv: not a UTF-8 CSV file"):
        read_upr_info(data.decode().encode("latin-1"), "upr.csv")


# --- writing ------------------------------------------------------------------------------


def _record(**kw) -> RecommendationRecord:
    values = {"source": "t.csv", "row": 2, "mechanism": "CEDAW",
              "document_symbol": "CEDAW/C/HND/CO/9", "paragraph": "24",
              "text": "Combat violence against women."}
    values.update(kw)
    return RecommendationRecord(**values)


def _rec(session, reference: str) -> Recommendation:
    return session.query(Recommendation).filter_by(reference=reference).one()


def test_a_doubt_of_the_reader_is_kept_as_a_warning_and_the_row_imported(session):
    result = import_records([_record(warnings=["unknown response 'Perhaps'"])])
    assert result.created == 1
    assert [str(w) for w in result.warnings] == ["t.csv, row 2: unknown response 'Perhaps'"]


def test_importing_again_with_publish_publishes_and_counts_it_as_updated(session):
    import_records([_record()])
    assert _rec(session, "CEDAW/C/HND/CO/9 ¶24").is_published is False

    again = import_records([_record()], publish=True)

    assert (again.created, again.updated) == (0, 1)
    assert _rec(session, "CEDAW/C/HND/CO/9 ¶24").is_published is True
    assert import_records([_record()], publish=True).skipped == 1  # nothing left to change


def test_a_typed_recommendation_takes_the_annotation_id_of_its_uhri_record(session):
    import_records([_record()])
    result = import_records([_record(annotation_id="uhri-1")])
    assert result.updated == 1
    assert f.annotation_of(_rec(session, "CEDAW/C/HND/CO/9 ¶24")) == "uhri-1"
    # Found again by its annotation id, even when its paragraph is written differently.
    moved = import_records([_record(annotation_id="uhri-1", paragraph="24.",
                                    text="Combat violence against all women.")])
    assert (moved.created, moved.updated) == (0, 1)


def test_another_annotation_of_the_same_paragraph_is_a_second_recommendation(session):
    import_records([_record(annotation_id="uhri-1")])
    result = import_records([_record(annotation_id="uhri-2", text="Also train the police.")])
    assert result.created == 1
    second = _rec(session, "CEDAW/C/HND/CO/9 ¶24 (2)")
    assert (f.annotation_of(second), second.text) == ("uhri-2", "Also train the police.")
    assert f.annotation_of(_rec(session, "CEDAW/C/HND/CO/9 ¶24")) == "uhri-1"


def test_a_value_too_long_for_its_column_is_a_row_error_not_a_failed_batch(session):
    result = import_records([_record(paragraph="1" * 40), _record(row=3, paragraph="25")])
    assert result.created == 1
    assert [e.row for e in result.errors] == [2]
    assert "paragraph '" in result.errors[0].message
    assert "longer than 32 characters" in result.errors[0].message


# --- States and bodies as the sources write them -------------------------------------------


@pytest.mark.parametrize(("name", "iso2"), [
    ("Honduras (country under review)", "HN"),
    ("Guinea, Equatorial", "GQ"),
    ("Micronesia (Federated States of)*", "FM"),
    ("Freedonia, Grand Duchy of", None),
])
def test_state_names_in_the_inverted_or_annotated_forms_are_recognised(name, iso2):
    assert CountryResolver().resolve(name) == iso2


def test_names_known_to_the_database_are_recognised_too():
    assert CountryResolver([("Atlantis Republic", "AT")]).resolve("Atlantis Republic") == "AT"


@pytest.mark.parametrize(("body", "code"), [
    ("CIDH", "IACHR"), ("Corte IDH", "IACtHR"), ("HR Committee", "CCPR"),
    ("CRC-OP-SC", "CRC"), ("Committee on Nothing", None),
])
def test_bodies_are_recognised_by_their_aliases(session, body, code):
    found = MechanismLookup().resolve(body)
    assert found == (f.mechanism(code).id if code else None)


# --- import jobs ----------------------------------------------------------------------------


def test_a_job_that_no_longer_exists_is_left_alone(session):
    assert run_import_job(10 ** 9) == "missing"


def test_a_job_whose_upload_was_removed_fails_with_the_reason(session):
    job = ImportJob(source_format=ImportFormat.CSV, dry_run=False)
    session.add(job)
    session.commit()

    assert run_import_job(job.id) == "failed"

    session.refresh(job)
    assert job.state == JobState.FAILED and job.finished_at is not None
    assert job.errors[-1]["message"] == "the uploaded file is no longer stored"


# --- UHRI JSON and format guessing ----------------------------------------------------------


def test_a_json_file_that_is_not_a_list_is_refused_with_what_is_expected():
    with pytest.raises(ImportFileError, match=r"uhri\.json: a UHRI JSON export is a list of "
                                              r"objects with keys AnnotationId"):
        read_uhri_json(b'{"value": 3}', "uhri.json")


def test_json_items_that_are_not_objects_are_row_errors():
    items = list(read_uhri_json(b'{"data": [7, "x"]}', "uhri.json"))
    assert [str(i) for i in items] == ["uhri.json, row 1: not an object",
                                       "uhri.json, row 2: not an object"]


@pytest.mark.parametrize(("filename", "head", "expected"), [
    ("export.csv", None, ImportFormat.CSV),
    ("export.csv", b"", ImportFormat.CSV),
    ("export.csv", HEADER.encode(), ImportFormat.UPR_INFO_CSV),
    ("EXPORT.JSON", None, ImportFormat.UHRI_JSON),
    ("export.csv.gz", None, ImportFormat.UPR_INFO_CSV),
    ("export.pdf", None, None),
])
def test_the_format_is_guessed_from_the_name_and_a_csv_header(filename, head, expected):
    assert guess_format(filename, head) is expected


def test_the_head_of_an_upload_is_read_from_bytes_or_a_path(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a" * 5000)
    assert read_head(b"abc") == b"abc"
    assert read_head(path) == b"a" * 4096
