"""What staff curated on the web survives a later import, which reports the conflict."""

from __future__ import annotations

from sqlalchemy import select

from tests import factories
from tracker.imports import read_tracker_csv
from tracker.models import Recommendation, UprPosition
from tracker.services import curation
from tracker.services.imports import import_records

HEADER = "mechanism,document_symbol,paragraph,text,themes,upr_position,recommending_states\n"
ORIGINAL = ("UPR,A/HRC/TST/9,90.1,Ratify the Convention against Torture.,"
            "Torture and other CID treatment,Supported,Spain\n")
TORTURE = "prohibition_of_torture_ill_treatment_including_cruel_inhuman_or_degrading_treatment"
FILE_TEXT = "Ratify the Convention against Torture."
OFFICE_TEXT = "Ratify the Convention against Torture and its Optional Protocol."


def _import(row: str = ORIGINAL, **kw):
    return import_records(read_tracker_csv((HEADER + row).encode(), "upr.csv"), **kw)


def _rec(session) -> Recommendation:
    rec = session.execute(select(Recommendation).filter_by(paragraph="90.1")).scalar_one()
    session.refresh(rec)
    return rec


def _edit(rec: Recommendation, **changes) -> Recommendation:
    return factories.curate(rec, **changes)


def test_an_edit_marks_only_the_fields_it_changed(session):
    _import()
    rec = _edit(_rec(session), text=OFFICE_TEXT)
    assert rec.curated_fields == ["text"]

    rec = _edit(rec, upr_position=UprPosition.NOTED)
    assert rec.curated_fields == ["text", "upr_position"]

    rec = _edit(rec)  # saved unchanged: nothing more is curated
    assert rec.curated_fields == ["text", "upr_position"]


def test_a_reimport_keeps_the_curated_text_and_reports_the_conflict(session):
    _import()
    _edit(_rec(session), text=OFFICE_TEXT)
    session.flush()

    result = _import()

    rec = _rec(session)
    assert rec.text == OFFICE_TEXT
    assert result.unchanged == 1 and result.updated == 0
    [conflict] = result.conflicts[2]
    assert (conflict.field, conflict.file_value, conflict.office_value,
            conflict.overwritten) == ("text", FILE_TEXT, OFFICE_TEXT, False)
    assert result.report()["conflicts"] == {"2": [
        {"field": "text", "file": FILE_TEXT, "office": OFFICE_TEXT, "overwritten": False}]}
    assert "1 row differs from values the office curated (kept)" in result.summary()


def test_other_fields_still_follow_the_file(session):
    _import()
    _edit(_rec(session), text=OFFICE_TEXT)
    session.flush()

    result = _import(ORIGINAL.replace("Supported", "Noted"))

    rec = _rec(session)
    assert (rec.text, rec.upr_position) == (OFFICE_TEXT, UprPosition.NOTED)
    assert result.changed_fields == {2: ["upr_position"]}
    assert [c.field for c in result.conflicts[2]] == ["text"]


def test_without_curation_the_import_updates_as_before(session):
    _import()

    result = _import(ORIGINAL.replace(FILE_TEXT, OFFICE_TEXT))

    assert _rec(session).text == OFFICE_TEXT
    assert result.changed_fields == {2: ["text"]}
    assert result.conflicts == {}


def test_curated_terms_and_states_are_kept(session):
    _import()
    rec = _rec(session)
    assert [t.code for t in rec.terms] == [TORTURE]
    women = factories.term("themes", "discrimination_against_women")
    _edit(rec, term_ids=[women.id], state_ids=[factories.country("CL").id])
    session.flush()
    assert _rec(session).curated_fields == ["recommending_states", "terms"]

    result = _import()

    rec = _rec(session)
    assert [t.code for t in rec.terms] == ["discrimination_against_women"]
    assert [c.iso2 for c in rec.recommending_states] == ["CL"]
    conflicts = {c.field: (c.file_value, c.office_value) for c in result.conflicts[2]}
    assert conflicts["recommending_states"] == (["ES"], ["CL"])
    assert conflicts["terms"] == ([TORTURE], ["discrimination_against_women"])


def test_overwrite_curated_replaces_them_and_says_so(session):
    _import()
    _edit(_rec(session), text=OFFICE_TEXT)
    session.flush()

    result = _import(overwrite_curated=True)

    rec = _rec(session)
    assert rec.text == FILE_TEXT
    assert rec.curated_fields == []  # the file's value now: later imports update it again
    assert result.changed_fields == {2: ["text"]}
    assert [(c.field, c.overwritten) for c in result.conflicts[2]] == [("text", True)]
    assert "(replaced)" in result.summary()
    assert _import().conflicts == {}


def test_a_recommendation_typed_by_staff_is_curated_whole(session):
    doc = factories.document("CAT/C/TST/CO/4", mechanism_code="CAT")
    rec = curation.create_recommendation(factories.user(), curation.RecommendationInput(
        document_symbol=doc.symbol, paragraph="12", text="Investigar las denuncias.",
        language="es"))
    assert {"text", "paragraph", "document_id", "language", "type"} <= set(rec.curated_fields)


def test_the_cli_lists_the_conflicts_under_their_own_heading(runner, session, tmp_path):
    path = tmp_path / "upr.csv"
    path.write_text(HEADER + ORIGINAL, encoding="utf-8")
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
    _edit(_rec(session), text=OFFICE_TEXT)
    session.commit()

    kept = runner.invoke(args=["import", str(path)])
    assert kept.exit_code == 0, kept.output
    assert "curated values kept (the office's; --overwrite-curated replaces them):" in (
        kept.output)
    assert (f"    row 2, text: the file says '{FILE_TEXT}', the office has "
            "'Ratify the Convention against Torture and its Optional Prot…'") in kept.output
    assert _rec(session).text == OFFICE_TEXT

    replaced = runner.invoke(args=["import", str(path), "--overwrite-curated"])
    assert replaced.exit_code == 0, replaced.output
    assert "curated values replaced by the file (--overwrite-curated):" in replaced.output
    assert _rec(session).text == FILE_TEXT
