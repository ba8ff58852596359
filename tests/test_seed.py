"""`tracker seed`: the reference lists load once, and a bad row stops everything."""

from __future__ import annotations

import shutil

import pytest

from tracker.models import Country, Institution, Mechanism, Term, Vocabulary
from tracker.services.seed import SEED_DIR, SeedError, seed_reference_data

MODELS = (Mechanism, Vocabulary, Term, Institution, Country)


def _counts(session) -> dict[str, int]:
    return {model.__name__: session.query(model).count() for model in MODELS}


def test_seeding_twice_adds_nothing(runner, session):
    before = _counts(session)
    assert before["Country"] >= 249 and before["Mechanism"] == 14

    result = runner.invoke(args=["seed"])

    assert result.exit_code == 0, result.output
    assert "nothing added" in result.output
    assert _counts(session) == before


@pytest.fixture
def seed_copy(tmp_path):
    target = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, target)
    return target


def _append(path, line: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def test_a_new_row_in_a_seed_file_is_added_and_reported(runner, session, seed_copy):
    _append(seed_copy / "mechanisms.csv",
            "WGEID,special_procedure,Working Group on Enforced Disappearances,"
            "Grupo de Trabajo sobre Desapariciones Forzadas,GTDFI")

    result = runner.invoke(args=["seed", "--from", str(seed_copy)])

    assert result.exit_code == 0, result.output
    assert "mechanisms: 1" in result.output
    assert session.query(Mechanism).filter_by(code="WGEID").one().acronym_es == "GTDFI"


def test_a_bad_row_names_file_and_row_and_nothing_is_saved(runner, session, seed_copy):
    # A valid new mechanism is read first; the bad institution row comes later.
    _append(seed_copy / "mechanisms.csv",
            "WGEID,special_procedure,Working Group on Enforced Disappearances,"
            "Grupo de Trabajo sobre Desapariciones Forzadas,GTDFI")
    path = seed_copy / "institutions_honduras.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = "SEDH2,Secretaría de prueba,Test secretariat,ministry,"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = runner.invoke(args=["seed", "--from", str(seed_copy)])

    assert result.exit_code == 1
    assert "institutions_honduras.csv, row 4" in result.output
    assert "unknown branch 'ministry'" in result.output
    assert session.query(Mechanism).filter_by(code="WGEID").count() == 0


def test_an_empty_required_cell_is_reported(session, seed_copy):
    path = seed_copy / "uhri_themes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = "Right to water,"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(SeedError, match=r"uhri_themes\.csv, row 3: 'name_es' is empty"):
        seed_reference_data(seed_copy)


def test_a_missing_seed_file_is_named(runner, seed_copy):
    (seed_copy / "sdg_goals.csv").unlink()

    result = runner.invoke(args=["seed", "--from", str(seed_copy)])

    assert result.exit_code == 1
    assert "sdg_goals.csv: file not found" in result.output
