"""Each workspace's queries answer only the role they were made for (deny by default)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories
from tracker.models import ReportState, Role, utcnow
from tracker.services import report_queries as q


@pytest.fixture
def world(session):
    inst = factories.institution("SEDH-Q")
    rec = factories.recommendation()
    factories.assignment(rec, inst, next_due=q.local_today() - timedelta(days=2))
    focal = factories.user(Role.FOCAL_POINT, inst)
    waiting = factories.report_in_state(inst, [rec], ReportState.SUBMITTED, author=focal,
                                        submitted_at=utcnow() - timedelta(days=3))
    return {"inst": inst, "rec": rec, "focal": focal, "waiting": waiting,
            "reviewer": factories.user(Role.REVIEWER)}


def test_the_institution_workspace_gives_office_staff_nothing(world):
    reviewer, focal = world["reviewer"], world["focal"]
    assert q.due_counts(focal)["overdue"] == 1

    assert q.due_counts(reviewer) == {"overdue": 0, "due_soon": 0, "later": 0, "total": 0}
    assert q.workspace_mechanisms(reviewer) == []
    assert set(q.report_counts(reviewer).values()) == {0}
    assert q.institution_reports(reviewer, ReportState.SUBMITTED, 1, 20).items == []


def test_the_review_queue_gives_focal_points_nothing(world):
    assert [row.report.id for row in q.review_queue(world["reviewer"], q.QueueFilters(), 1, 20)
            .items] == [world["waiting"].id]

    assert q.review_queue(world["focal"], q.QueueFilters(), 1, 20).total == 0
    assert q.queue_filter_options(world["focal"]) == ([], [])


def test_a_report_without_a_submission_time_waits_zero_days(world):
    undated = factories.report_in_state(world["inst"], [world["rec"]], ReportState.SUBMITTED)
    rows = {row.report.id: row for row in
            q.review_queue(world["reviewer"], q.QueueFilters(), 1, 20).items}
    assert rows[world["waiting"].id].waiting_days == 3
    assert rows[undated.id].waiting_days == 0
