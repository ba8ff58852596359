"""The State concerned: kept for every record, and other States' records left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from tests import factories
from tracker.config import ConfigurationError, check_config, load_config
from tracker.imports import read_tracker_csv, read_uhri_json, read_uhri_xlsx, read_upr_info
from tracker.imports.result import Outcome
from tracker.imports.uhri_xlsx import COLUMNS
from tracker.models import Document, Recommendation
from tracker.services.imports import import_records

HERE = Path(__file__).parent / "data"
CSV_HEADER = "mechanism,document_symbol,paragraph,text,states_concerned\n"


def _adds_up(result) -> None:
    assert sum(result.count(outcome) for outcome in Outcome) == result.rows
    assert len(result.outcomes) == result.rows


def _concerned(session, **kw) -> set[str]:
    rec = session.execute(select(Recommendation).filter_by(**kw)).scalar_one()
    return {c.iso2 for c in rec.states_concerned}


def _exists(session, **kw) -> bool:
    return session.execute(select(Recommendation.id).filter_by(**kw)).first() is not None


# --- each format ------------------------------------------------------------------------


def _sheet(tmp_path, rows: list[tuple[str, str, str | None]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for symbol, text, countries in rows:
        values = {"Text": text, "Countries Concerned": countries, "Reccomending Body": "- CAT",
                  "Document Symbol": symbol}
        sheet.append([values.get(column) for column in COLUMNS])
    path = tmp_path / "uhri.xlsx"
    book.save(path)
    return path


def test_uhri_excel_keeps_this_states_records_and_counts_the_others(session, tmp_path):
    path = _sheet(tmp_path, [
        ("CAT/C/HND/CO/2", "10. Investigate every complaint.", "- Honduras"),
        ("CAT/C/GTM/CO/7", "11. Close the detention centre.", "- Guatemala"),
        ("CAT/C/HND/CO/2", "12. Protect defenders.", "- Honduras\n- Guatemala"),
        ("CAT/C/HND/CO/2", "13. Train the police.", None),
    ])

    result = import_records(read_uhri_xlsx(path))

    assert (result.created, result.not_for_state) == (3, 1)
    assert result.rows_with(Outcome.NOT_FOR_STATE) == [3]
    _adds_up(result)
    assert "1 not for this State" in result.summary()
    assert _concerned(session, paragraph="10") == {"HN"}
    assert _concerned(session, paragraph="12") == {"HN", "GT"}
    assert _concerned(session, paragraph="13") == set()
    assert not _exists(session, paragraph="11")
    # Another State's record leaves nothing behind, not even its document.
    assert session.execute(
        select(Document).filter_by(symbol="CAT/C/GTM/CO/7")).first() is None


def test_uhri_json_reads_codes_and_starred_names(session):
    def obj(annotation, paragraph, countries):
        return {"AnnotationId": annotation, "Body": "CRC", "Symbol": "CRC/C/TST/CO/5",
                "Text": f"{paragraph}. Register every birth.", "Countries": countries}

    data = json.dumps([obj("a1", "20", ["HN"]), obj("a2", "21", ["Guatemala*"]),
                       obj("a3", "22", ["Honduras*", "GT"])]).encode()

    result = import_records(read_uhri_json(data, "uhri.json"))

    assert (result.created, result.not_for_state, result.rows) == (2, 1, 3)
    assert _concerned(session, paragraph="20") == {"HN"}
    assert _concerned(session, paragraph="22") == {"HN", "GT"}
    assert factories.by_annotation("a2") is None


def test_uhri_json_sample_file_is_all_for_honduras(session):
    result = import_records(read_uhri_json(HERE / "uhri_small.json"))

    assert result.not_for_state == 0
    _adds_up(result)


def test_upr_info_keeps_the_state_under_review_and_leaves_out_the_others(session):
    result = import_records(read_upr_info(HERE / "upr_info_excerpt.csv.gz"))

    # 311 rows: 133 on Honduras; 178 on Finland, Indonesia and Tonga.
    assert result.rows == 311
    assert result.not_for_state == 178
    _adds_up(result)
    recs = session.execute(select(Recommendation)).scalars().all()
    assert recs and all({c.iso2 for c in rec.states_concerned} == {"HN"} for rec in recs)
    assert result.created + result.merged + result.not_for_state == 311


def test_upr_info_keeps_other_states_when_asked(session):
    result = import_records(read_upr_info(HERE / "upr_info_excerpt.csv.gz"),
                            keep_other_states=True)

    assert (result.not_for_state, result.created) == (0, 295)
    tonga = session.execute(
        select(Recommendation).join(Recommendation.document)
        .where(Document.symbol.like("UPR Info/TON/%"))).scalars().first()
    assert {c.iso2 for c in tonga.states_concerned} == {"TO"}


def test_tracker_csv_has_a_states_concerned_column(session):
    data = (CSV_HEADER
            + "IACHR,OEA/Ser.L/V/II Doc. 9,1,Garantizar el acceso a la justicia.,Honduras\n"
            + "IACHR,OEA/Ser.L/V/II Doc. 9,2,Proteger a periodistas.,Guatemala\n"
            + "IACHR,OEA/Ser.L/V/II Doc. 9,3,Consultar a los pueblos.,Honduras; Guatemala\n"
            + "IACHR,OEA/Ser.L/V/II Doc. 9,4,Reformar la policía.,\n").encode()

    result = import_records(read_tracker_csv(data, "mine.csv"))

    assert (result.created, result.not_for_state) == (3, 1)
    assert result.rows_with(Outcome.NOT_FOR_STATE) == [3]
    assert _concerned(session, paragraph="3") == {"HN", "GT"}
    assert _concerned(session, paragraph="4") == set()
    assert not _exists(session, paragraph="2")


def test_an_unrecognised_state_concerned_is_named_and_left_out(session):
    data = (CSV_HEADER + "CAT,CAT/C/TST/CO/1,1,Investigar.,Atlantis\n").encode()

    result = import_records(read_tracker_csv(data, "mine.csv"))

    assert result.not_for_state == 1
    assert [(w.row, w.message) for w in result.warnings] == [
        (2, "State concerned 'Atlantis' not recognised")]


def test_the_tracker_follows_the_state_of_its_setting(app, session):
    data = (CSV_HEADER + "CAT,CAT/C/TST/CO/1,1,Investigar.,Guatemala\n"
            + "CAT,CAT/C/TST/CO/1,2,Sancionar.,Honduras\n").encode()
    app.config["STATE"] = "GT"
    try:
        result = import_records(read_tracker_csv(data, "mine.csv"))
    finally:
        app.config["STATE"] = "HN"

    assert result.rows_with(Outcome.CREATED) == [2]
    assert result.rows_with(Outcome.NOT_FOR_STATE) == [3]


def test_a_reimport_updates_the_states_and_a_file_without_them_keeps_them(session):
    first = CSV_HEADER + "CAT,CAT/C/TST/CO/1,1,Investigar.,Honduras\n"
    import_records(read_tracker_csv(first.encode(), "one.csv"))

    wider = CSV_HEADER + "CAT,CAT/C/TST/CO/1,1,Investigar.,Honduras;Guatemala\n"
    result = import_records(read_tracker_csv(wider.encode(), "two.csv"))
    assert result.changed_fields == {2: ["states_concerned"]}
    assert _concerned(session, paragraph="1") == {"HN", "GT"}

    silent = "mechanism,document_symbol,paragraph,text\nCAT,CAT/C/TST/CO/1,1,Investigar.\n"
    again = import_records(read_tracker_csv(silent.encode(), "three.csv"))
    assert again.unchanged == 1
    assert _concerned(session, paragraph="1") == {"HN", "GT"}


def test_a_dry_run_counts_other_states_too(session):
    data = (CSV_HEADER + "CAT,CAT/C/TST/CO/1,1,Investigar.,Chile\n").encode()

    result = import_records(read_tracker_csv(data, "mine.csv"), dry_run=True)

    assert result.not_for_state == 1
    assert result.summary().startswith("dry run, nothing saved; 1 row: 0 would be created")


# --- the command line ------------------------------------------------------------------


def test_the_cli_leaves_other_states_out_unless_asked(runner, session, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(CSV_HEADER + "CAT,CAT/C/TST/CO/1,1,Investigar.,Honduras\n"
                    + "CAT,CAT/C/TST/CO/1,2,Sancionar.,Chile\n", encoding="utf-8")

    plain = runner.invoke(args=["import", str(path)])
    assert plain.exit_code == 0, plain.output
    assert "2 rows: 1 created, 0 updated, 1 not for this State" in plain.output
    assert "not for this State (HN): 1 row left out; --keep-other-states" in plain.output
    assert not _exists(session, paragraph="2")

    kept = runner.invoke(args=["import", str(path), "--keep-other-states"])
    assert kept.exit_code == 0, kept.output
    assert "1 created, 0 updated, 1 unchanged" in kept.output
    assert _concerned(session, paragraph="2") == {"CL"}


# --- the setting -----------------------------------------------------------------------


def test_the_state_setting_defaults_to_honduras_and_reads_the_environment(tmp_path):
    assert load_config(str(tmp_path), {})["STATE"] == "HN"
    assert load_config(str(tmp_path), {"TRACKER_STATE": " gt "})["STATE"] == "GT"


@pytest.mark.parametrize("value", ["Honduras", "HND", ""])
def test_a_state_setting_that_is_not_an_alpha2_code_is_refused(tmp_path, value):
    cfg = load_config(str(tmp_path), {})
    cfg["STATE"] = value
    with pytest.raises(ConfigurationError, match="TRACKER_STATE"):
        check_config(cfg)


# --- the pages -------------------------------------------------------------------------


def _with_states(session, paragraph: str, codes: list[str]) -> Recommendation:
    rec = factories.recommendation(paragraph=paragraph, is_published=True)
    rec.states_concerned = [factories.country(code) for code in codes]
    session.flush()
    return rec


def test_pages_name_the_states_only_when_not_just_this_state(client, session):
    own = _with_states(session, "1", ["HN"])
    joint = _with_states(session, "2", ["HN", "GT"])
    reviewer = factories.user()
    session.commit()

    assert "states-concerned" not in client.get(f"/recommendations/{own.id}").text
    page = client.get(f"/recommendations/{joint.id}?lang=en").text
    assert "States concerned" in page and "Guatemala" in page

    factories.sign_in(client, reviewer)
    assert "states-concerned" not in client.get(f"/review/recommendations/{own.id}").text
    staff = client.get(f"/review/recommendations/{joint.id}").text
    assert "states-concerned" in staff and "Guatemala" in staff
