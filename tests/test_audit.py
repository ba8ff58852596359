"""Every change leaves an audit event with who, when, from where, and before/after values."""

from __future__ import annotations

from tests import factories
from tests.conftest import login
from tracker.audit import acting_as
from tracker.models import AuditEvent, ImplementationStatus, Role


def _last(session, entity_type, entity_id, action):
    return (
        session.query(AuditEvent)
        .filter_by(entity_type=entity_type, entity_id=str(entity_id), action=action)
        .order_by(AuditEvent.id.desc())
        .first()
    )


def test_create_update_delete_are_recorded_with_values(session):
    ana = factories.user(Role.ADMIN, email="ana@example.org")
    with acting_as(ana.id, "ana@example.org", "10.0.0.9"):
        inst = factories.institution("NEWINST", name_es="Nueva", name_en="New")
        inst.name_en = "Renamed"
        session.flush()
        session.delete(inst)
        session.flush()

    created = _last(session, "institution", inst.id, "create")
    assert created.changes["acronym"] == {"after": "NEWINST"}
    assert created.actor_label == "ana@example.org"
    assert created.source_address == "10.0.0.9"
    updated = _last(session, "institution", inst.id, "update")
    assert updated.changes["name_en"] == {"before": "New", "after": "Renamed"}
    assert "updated_at" not in updated.changes
    deleted = _last(session, "institution", inst.id, "delete")
    assert deleted.changes["name_en"] == {"before": "Renamed"}


def test_collection_changes_name_what_was_added_and_removed(session):
    rec = factories.recommendation()
    women = factories.term("spotlight", "women")
    rec.terms.append(women)
    session.flush()
    event = _last(session, "recommendation", rec.id, "update")
    assert event.changes["terms"]["added"] == [f"term:{women.id} women"]


def test_secrets_never_enter_the_trail(session):
    user = factories.user(Role.REVIEWER)
    created = _last(session, "app_user", user.id, "create")
    assert created.changes["password_hash"] == {"after": "[redacted]"}
    assert user.password_hash not in str(created.changes)


def test_a_rolled_back_change_leaves_no_event(session):
    rec = factories.recommendation()
    before = session.query(AuditEvent).count()
    with session.begin_nested() as nested:
        rec.status = ImplementationStatus.IMPLEMENTED
        session.flush()
        nested.rollback()
    assert session.query(AuditEvent).count() == before


def test_requests_attribute_changes_to_the_signed_in_user_and_address(client, session):
    user = factories.user(Role.REVIEWER)
    login(client, user)
    client.post("/account", data={"action": "preferences", "name": "Nuevo Nombre",
                                  "locale": "en"}, environ_base={"REMOTE_ADDR": "192.0.2.44"})
    event = _last(session, "app_user", user.id, "update")
    assert event.actor_id == user.id and event.actor_label == user.email
    assert event.source_address == "192.0.2.44"
    assert event.changes["name"]["after"] == "Nuevo Nombre"
    assert event.changes["locale"] == {"before": "es", "after": "en"}
