"""The branch-coverage gate of `make test` fails a run under its minimum."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GATE = ROOT / "tools" / "branch_coverage.py"

HALF_TESTED = """\
def sign(n):
    if n < 0:
        return -1
    return 1

sign(5)
"""


def _measure(folder: Path) -> Path:
    (folder / "half_tested.py").write_text(HALF_TESTED)
    data = folder / "measured.coverage"
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--branch", f"--data-file={data}",
         "half_tested.py"],
        cwd=folder, check=True, capture_output=True,
    )
    return data


def _gate(folder: Path, data: Path, minimum: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(GATE), "--min", minimum, "--data-file", str(data)],
        cwd=folder, capture_output=True, text=True,
    )


def test_the_gate_fails_under_the_minimum_and_says_by_how_much(tmp_path):
    data = _measure(tmp_path)  # one of the two branches of `if n < 0` is taken

    under = _gate(tmp_path, data, "90")
    assert under.returncode == 1
    assert "branch coverage 50.0 % (< 90 %): 1 of 2 branches" in under.stdout

    enough = _gate(tmp_path, data, "50")
    assert enough.returncode == 0
    assert "branch coverage 50.0 % (>= 50 %)" in enough.stdout


def test_the_gate_fails_when_nothing_was_measured(tmp_path):
    (tmp_path / "empty.py").write_text("x = 1\n")
    data = tmp_path / "measured.coverage"
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--branch", f"--data-file={data}", "empty.py"],
        cwd=tmp_path, check=True, capture_output=True,
    )
    result = _gate(tmp_path, data, "90")
    assert result.returncode == 1
    assert "no branches were measured" in result.stdout
