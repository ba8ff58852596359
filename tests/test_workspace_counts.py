"""The institution workspace counts what its filters select, and follows changes."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.extensions import db
from tracker.models import ImplementationStatus, Role
from tracker.services import report_queries as q


@pytest.fixture
def world(session):
    inst = factories.institution("SEDH-W")
    today = q.local_today()
    dues = [today - timedelta(days=3), today + timedelta(days=2), today + timedelta(days=90),
            None]
    statuses = [ImplementationStatus.IN_PROGRESS, ImplementationStatus.IMPLEMENTED]
    docs = [factories.document(mechanism_code="CEDAW"),
            factories.document(symbol="CRC/C/TST/CO/1", mechanism_code="CRC")]
    for n, (doc, status, due) in enumerate(itertools.product(docs, statuses, dues)):
        for _ in range(1 + n % 3):  # uneven numbers, so that a wrong cell shows
            factories.assignment(factories.recommendation(doc, status=status), inst,
                                 next_due=due)
    other = factories.institution("OTRA-W")
    factories.assignment(factories.recommendation(docs[0]), other)
    focal = factories.user(Role.FOCAL_POINT, inst)
    session.commit()
    return {"focal": focal, "inst": inst, "docs": docs, "statuses": statuses}


def _listed(focal, filters):
    # Every row the filters select, read page after page, against the page's total.
    first = q.institution_assignments(focal, filters, 1, 5)
    seen = [row.assignment.id for page in range(1, first.pages + 1)
            for row in q.institution_assignments(focal, filters, page, 5).items]
    return first.total, seen


def test_every_combination_of_filters_counts_the_rows_it_lists(world):
    mechanisms = [None, *(doc.mechanism_id for doc in world["docs"])]
    for due, mechanism_id, status in itertools.product(
            [None, *q.DUE_STATES], mechanisms, [None, *world["statuses"]]):
        filters = q.WorkspaceFilters(due=due, mechanism_id=mechanism_id, status=status)
        total, seen = _listed(world["focal"], filters)
        assert total == len(seen) == len(set(seen)), filters


def test_due_counts_and_mechanisms_cover_the_institution_only(world):
    counts = q.due_counts(world["focal"])
    assert counts["total"] == sum(counts[state] for state in q.DUE_STATES) == 31
    assert counts["overdue"] > 0 and counts["due_soon"] > 0 and counts["later"] > 0
    assert {m.code for m in q.workspace_mechanisms(world["focal"])} == {"CEDAW", "CRC"}


def test_a_new_assignment_shows_in_the_counts_once_committed(world, session):
    focal, inst = world["focal"], world["inst"]
    before = q.due_counts(focal)["total"]

    rec = factories.recommendation(factories.document(mechanism_code="CAT"))
    factories.assignment(rec, inst, next_due=q.local_today() - timedelta(days=1))
    session.commit()

    after = q.due_counts(focal)
    assert after["total"] == before + 1
    assert "CAT" in {m.code for m in q.workspace_mechanisms(focal)}
    listed = q.institution_assignments(focal, q.WorkspaceFilters(due=q.OVERDUE), 1, 100)
    assert rec.id in {row.recommendation.id for row in listed.items}
    assert listed.total == db.session.scalar(
        select(func.count()).select_from(
            q._institution_assignments(focal).where(
                q._due_condition(q.OVERDUE, q.local_today(), q.due_soon_days())).subquery()))

