"""Fail when the branch coverage recorded by the test runs falls under a minimum.

Line coverage can stay high while whole decisions go untested, so the gate counts
branches alone: ``python tools/branch_coverage.py --min 90`` reads the coverage data
(``.coverage``, or ``--data-file``) with the project's coverage settings, prints
``branch coverage 91.3 % (>= 90 %)`` and exits with status 1 under the minimum.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import coverage


def branch_totals(data_file: str | None) -> tuple[int, int]:
    """Return (covered, total) branches of the measured code."""
    cov = coverage.Coverage(data_file=data_file) if data_file else coverage.Coverage()
    cov.load()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "coverage.json"
        cov.json_report(outfile=str(out))
        totals = json.loads(out.read_text())["totals"]
    return totals.get("covered_branches", 0), totals.get("num_branches", 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=90.0, help="lowest acceptable percentage")
    parser.add_argument("--data-file", help="coverage data file (default: .coverage)")
    args = parser.parse_args(argv)

    covered, total = branch_totals(args.data_file)
    if not total:
        print("branch coverage: no branches were measured (run the tests with --cov first)")
        return 1
    percent = 100 * covered / total
    # Round down so that 89.96 % is never shown as a passing "90.0 %".
    shown = int(percent * 10) / 10
    passed = percent >= args.min
    verdict = ">=" if passed else "<"
    print(f"branch coverage {shown:.1f} % ({verdict} {args.min:g} %): "
          f"{covered} of {total} branches")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
