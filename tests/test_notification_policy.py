"""The policy of messages, asked directly: who reads whose, who browses all, who sends again."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from tests import factories
from tracker import policy
from tracker.extensions import db
from tracker.models import Notification, NotificationStatus, Role


@pytest.fixture
def people(session):
    return {
        "anonymous": AnonymousUserMixin(),
        "focal": factories.user(Role.FOCAL_POINT),
        "reviewer": factories.user(Role.REVIEWER),
        "admin": factories.user(Role.ADMIN),
        "deactivated": factories.user(Role.ADMIN, active=False),
    }


@pytest.mark.parametrize(("who", "allowed"), [
    ("anonymous", False), ("focal", False), ("reviewer", True), ("admin", True),
    ("deactivated", False),
])
def test_only_active_staff_browse_every_message(people, who, allowed):
    assert policy.can_browse_notifications(people[who]) is allowed


@pytest.mark.parametrize(("who", "state", "allowed"), [
    ("reviewer", NotificationStatus.FAILED, True),
    ("admin", NotificationStatus.FAILED, True),
    ("reviewer", NotificationStatus.SENT, False),
    ("reviewer", NotificationStatus.PENDING, False),
    ("admin", NotificationStatus.SKIPPED, False),
    ("focal", NotificationStatus.FAILED, False),
    ("anonymous", NotificationStatus.FAILED, False),
    ("deactivated", NotificationStatus.FAILED, False),
])
def test_only_staff_send_again_and_only_a_failed_message(people, who, state, allowed):
    note = factories.notification(people["focal"], status=state)
    assert policy.can_resend_notification(people[who], note) is allowed


@pytest.mark.parametrize("who", ["focal", "reviewer", "admin"])
def test_each_person_reads_only_messages_addressed_to_them(people, who):
    mine = factories.notification(people[who])
    factories.notification(people["focal" if who != "focal" else "reviewer"])
    found = db.session.execute(
        policy.own_notifications(people[who], select(Notification.id))).scalars().all()
    assert found == [mine.id]


@pytest.mark.parametrize("who", ["anonymous", "deactivated"])
def test_no_messages_for_someone_not_signed_in(people, who):
    factories.notification(people["focal"])
    if who == "deactivated":
        factories.notification(people["deactivated"])
    found = db.session.execute(
        policy.own_notifications(people[who], select(Notification.id))).scalars().all()
    assert found == []
