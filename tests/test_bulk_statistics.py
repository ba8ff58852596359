"""Bulk writes leave the planner's statistics current: autovacuum may be off or late."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from tests import factories
from tracker.models import Assignment, Recommendation, Role
from tracker.services import assignments


def rows_in_statistics(session, table: str) -> int | None:
    """How many rows the planner believes the table holds (None: never analysed)."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"), {"t": table})
        return None if rows is None or rows < 0 else int(rows)
    if not session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")):
        return None
    # Each index's line starts with the number of rows it covers.
    stat = session.scalar(text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t AND idx IS NOT NULL"
                               " LIMIT 1"), {"t": table})
    return int(stat.split()[0]) if stat else None


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def threshold(app, monkeypatch):
    def set_to(rows: int) -> None:
        monkeypatch.setitem(app.config, "STATISTICS_MIN_ROWS", rows)

    return set_to


def _bulk_assign(session, recommendations: int):
    reviewer = factories.user(Role.REVIEWER)
    institution = factories.institution()
    doc = factories.document()
    for _ in range(recommendations):
        factories.recommendation(doc)
    result = assignments.bulk_assign(
        reviewer, select(Recommendation.id).where(Recommendation.document_id == doc.id),
        [institution.id], assignments.AssignmentTerms(rhythm_months=6))
    session.commit()
    return result


def test_a_bulk_assignment_leaves_the_statistics_of_assignments_current(session, threshold):
    threshold(20)
    before = rows_in_statistics(session, "assignment")
    result = _bulk_assign(session, 30)
    assert result.created == 30
    stored = count(session, Assignment)
    assert before != stored
    assert rows_in_statistics(session, "assignment") == stored


def test_a_small_bulk_assignment_leaves_the_statistics_to_the_database(session, threshold):
    threshold(1000)
    before = rows_in_statistics(session, "assignment")
    _bulk_assign(session, 5)
    assert rows_in_statistics(session, "assignment") == before


def test_an_import_leaves_the_statistics_of_recommendations_current(session, threshold):
    threshold(1)
    before = rows_in_statistics(session, "recommendation")
    job = factories.import_job(factories.user(Role.REVIEWER), dry_run=False)
    assert job.counts["created"] > 0
    stored = count(session, Recommendation)
    assert before != stored
    assert rows_in_statistics(session, "recommendation") == stored


def test_a_dry_run_leaves_the_statistics_alone(session, threshold):
    threshold(1)
    before = rows_in_statistics(session, "recommendation")
    factories.import_job(factories.user(Role.REVIEWER), dry_run=True)
    assert rows_in_statistics(session, "recommendation") == before
