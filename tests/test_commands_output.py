"""What `tracker import` and `tracker seed` tell the person at the terminal."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tracker.services.seed import SEED_DIR, SeedError, seed_reference_data

SMALL_CSV = Path(__file__).parent / "data" / "tracker_small.csv"


def test_a_long_list_of_problems_is_cut_and_counted(runner, session):
    result = runner.invoke(args=["import", str(SMALL_CSV), "--show-errors", "1"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("tracker_small.csv (csv): 6 rows: 3 created, 0 updated, 3 refused; "
                        "1 warning")
    assert "  new documents: 2" in lines
    assert sum(line.startswith("  refused: ") for line in lines) == 1
    assert "  ... and 2 more rows refused" in lines
    assert sum(line.startswith("  warning: ") for line in lines) == 1
    assert not any("more warnings" in line for line in lines)

    quiet = runner.invoke(args=["import", str(SMALL_CSV), "--show-errors", "0"])
    assert "  ... and 3 more rows refused" in quiet.output.splitlines()
    assert "  ... and 1 more warnings" in quiet.output.splitlines()


def test_importing_the_same_file_again_creates_nothing_new(runner, session):
    from tracker.models import PendingLabel

    first = runner.invoke(args=["import", str(SMALL_CSV)])
    assert first.exit_code == 0, first.output
    # Unknown labels wait for the office to map them; no half-named term is made.
    assert "new terms" not in first.output
    assert ("  labels to map: 2 (affected_persons: Personas defensoras de derechos humanos, "
            "themes: Business & human rights); the records wait for them at "
            "http://tracker.test/review/labels") in first.output.splitlines()
    assert sorted(label for (label,) in session.query(PendingLabel.label)) == [
        "Business & human rights", "Personas defensoras de derechos humanos"]

    again = runner.invoke(args=["import", str(SMALL_CSV)])

    assert again.exit_code == 0, again.output
    assert "0 created" in again.output
    assert "new documents" not in again.output and "labels to map" not in again.output


def test_a_file_of_unknown_format_asks_for_format(runner, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")

    result = runner.invoke(args=["import", str(notes)])

    assert result.exit_code == 2
    assert ("cannot tell the format of notes.txt from its extension; pass --format "
            "(csv, uhri-json, uhri-xlsx, upr-info)") in result.output


@pytest.fixture
def seed_copy(tmp_path):
    target = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, target)
    return target


def _edit(path: Path, line_number: int, new_line: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line_number] = new_line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(("filename", "line", "content", "message"), [
    ("mechanisms.csv", 0, "code,kind,name_en,name_es,acronym_es",
     r"mechanisms\.csv: missing columns family"),
    ("mechanisms.csv", 1, "UPR,review,Universal Periodic Review,Examen Periódico Universal,EPU",
     r"mechanisms\.csv, row 2: unknown family 'review'"),
    ("ohchr_focus_areas.csv", 1, "pilar,mechanisms,Mechanisms,Mecanismos,",
     r"ohchr_focus_areas\.csv, row 2: unknown vocabulary 'pilar'"),
    ("sdg_goals.csv", 1, "one,No poverty,Fin de la pobreza",
     r"sdg_goals\.csv, row 2: goal number 'one' is not a number"),
    ("institutions_honduras.csv", 1, "NEWSEC,Nueva Secretaría,New Secretariat,executive,NOSUCH",
     r"institutions_honduras\.csv, row 2: parent 'NOSUCH' is not in the list"),
])
def test_a_bad_seed_file_names_the_file_row_and_reason(
        session, seed_copy, filename, line, content, message):
    _edit(seed_copy / filename, line, content)
    with pytest.raises(SeedError, match=message):
        seed_reference_data(seed_copy)
