"""The project alone is enough: the demo and the tests use only what the project ships."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tracker.models import Recommendation

ROOT = Path(__file__).resolve().parent.parent
DEMO_FILES = ("uhri_export_honduras.xlsx", "iachr_2015_honduras.csv", "ccpr_followup_2020.json")
# A path to the data folder beside the project, however it is spelled.
OUTSIDE = re.compile(r"""\.\./shared|shared/data|["']shared["']\s*/""")


def test_the_demo_loads_with_no_data_folder_beside_the_project(runner, client, session,
                                                               tmp_path, monkeypatch):
    # TRACKER_DATA_DIR names an empty folder: the demo must not need it.
    empty = tmp_path / "data"
    empty.mkdir()
    monkeypatch.setenv("TRACKER_DATA_DIR", str(empty))

    result = runner.invoke(args=["demo", "--if-empty"])

    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    assert session.query(Recommendation).filter_by(is_published=True).count() == 270
    page = client.get("/recommendations?lang=en").get_data(as_text=True)
    assert re.search(r"\bof 270\b", page), "the public catalogue does not list 270"


def test_no_code_or_test_reads_a_folder_outside_the_project():
    me = Path(__file__).resolve()
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("tracker", "tests")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in {".py", ".html", ".cfg", ".toml", ".json", ".csv"} and path != me
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


def test_an_installed_package_carries_the_demo_set():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["tracker"]
    shipped = {p.relative_to(ROOT / "tracker").as_posix()
               for pattern in patterns for p in (ROOT / "tracker").glob(pattern) if p.is_file()}
    assert {f"demo_data/{name}" for name in DEMO_FILES} <= shipped
    assert "demo_data/README.md" in shipped
