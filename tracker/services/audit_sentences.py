"""Each audit event as a sentence in the reader's language, with a line per changed field.

"Lucía Martínez changed the recommendation CEDAW/C/HND/CO/7-8 ¶23: Implementation status
from In progress to Implemented"; sign-ins, invitations and report steps have their own
sentences. The records a page mentions are loaded together, one query per kind of record.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from tracker.i18n import label as enum_label
from tracker.models import AuditEvent
from tracker.services.audit_display import EventView, Teller, action_name, references, say
from tracker.services.audit_registry import load_records

Told = tuple[Markup, list[Markup]]


def _row_change(teller: Teller, event: AuditEvent) -> Told:
    actor, record = teller.actor(event), teller.phrase(event.entity_type, event.entity_id)
    source = (event.changes or {}).get("import")
    if isinstance(source, dict):
        return _imported_row(teller, event, actor, record, source)
    if event.action == "create":
        return say(_("%(actor)s created %(record)s"), actor=actor, record=record), \
            teller.changes(event)
    if event.action == "delete":
        return say(_("%(actor)s deleted %(record)s"), actor=actor, record=record), []
    details = teller.changes(event)
    sentence = say(_("%(actor)s changed %(record)s"), actor=actor, record=record)
    if len(details) == 1:
        return sentence + Markup(": ") + details[0], []
    return sentence, details


def _imported_row(teller: Teller, event: AuditEvent, actor: Markup, record: Markup,
                  source: dict) -> Told:
    """A recommendation an import created or changed: which file and row it came from."""
    details = teller.changes(event, skip=frozenset({"import"}))
    where = {"actor": actor, "record": record, "file": str(source.get("file") or ""),
             "row": source.get("row") or "?"}
    if event.action == "create":
        return say(_("%(actor)s created %(record)s by importing row %(row)s of %(file)s"),
                   **where), details
    sentence = say(_("%(actor)s changed %(record)s by importing row %(row)s of %(file)s"),
                   **where)
    if len(details) == 1:
        return sentence + Markup(": ") + details[0], []
    return sentence, details


def _account(teller: Teller, event: AuditEvent) -> Told:
    """Sign-in, sign-out and the other events of one account (the event's record)."""
    changes = event.changes or {}
    actor = teller.actor(event)
    user = teller.record("app_user", event.entity_id)
    email = changes.get("email") if isinstance(changes.get("email"), str) else ""
    own = event.actor_id is not None and str(event.actor_id) == str(event.entity_id)
    action = event.action
    if action == "login":
        return say(_("%(user)s signed in"), user=user), []
    if action == "logout":
        return say(_("%(user)s signed out"), user=user), []
    if action in ("login_failed", "password_reset_requested") and event.entity_id is None:
        message = (_("Failed sign-in with the unknown address %(email)s")
                   if action == "login_failed"
                   else _("A new password was requested for the unknown address %(email)s"))
        return say(message, email=email), []
    if action == "login_failed":
        return say(_("Failed sign-in to the account of %(user)s"), user=user), []
    if action == "password_reset_requested":
        return say(_("A new password was requested for %(user)s"), user=user), []
    if action == "login_refused":
        return say(_("%(user)s tried to sign in, but the account is deactivated"),
                   user=user), []
    if action == "logout_everywhere":
        return say(_("%(user)s signed out on every device"), user=user), [
            say(_("Sign-ins ended: %(count)s"), count=changes.get("sessions", 0))]
    if action == "login_locked":
        target = user if event.entity_id else email
        details = []
        if isinstance(changes.get("wait"), int):
            details.append(escape(ngettext("Wait before the next attempt: %(num)d second",
                                           "Wait before the next attempt: %(num)d seconds",
                                           changes["wait"])))
        return say(_("Sign-in to %(account)s paused after too many failed attempts"),
                   account=target), details
    if action == "invite":
        return say(_("%(actor)s invited %(user)s as %(role)s"), actor=actor, user=user,
                   role=enum_label("role", changes.get("role"))), []
    if action == "invitation_resent":
        return say(_("%(actor)s sent a new invitation to %(user)s"), actor=actor,
                   user=user), []
    if action == "password_set":
        if own:
            return say(_("%(user)s changed their password"), user=user), []
        return say(_("%(user)s chose a password from an e-mailed link"), user=user), []
    if action == "permission_change":
        role = enum_label("role", changes.get("role"))
        if changes.get("institution_id"):
            return say(_("%(actor)s gave %(user)s the role %(role)s at %(institution)s"),
                       actor=actor, user=user, role=role,
                       institution=teller.record("institution", changes["institution_id"])), []
        return say(_("%(actor)s gave %(user)s the role %(role)s"), actor=actor, user=user,
                   role=role), []
    if action == "activate":
        return say(_("%(actor)s reactivated the account of %(user)s"), actor=actor,
                   user=user), []
    return say(_("%(actor)s deactivated the account of %(user)s"), actor=actor, user=user), []


def _transition(teller: Teller, event: AuditEvent) -> Told:
    changes = event.changes or {}
    state = changes.get("state") or {}
    before, after = state.get("before"), state.get("after")
    actor, record = teller.actor(event), teller.phrase(event.entity_type, event.entity_id)
    if after == "draft" and before is None:
        sentence = say(_("%(actor)s started %(record)s as a draft"), actor=actor, record=record)
    elif after == "submitted":
        message = (_("%(actor)s submitted %(record)s again") if before == "returned"
                   else _("%(actor)s submitted %(record)s"))
        sentence = say(message, actor=actor, record=record)
    elif after == "returned":
        sentence = say(_("%(actor)s returned %(record)s with comments"), actor=actor,
                       record=record)
    elif after == "approved":
        sentence = say(_("%(actor)s approved %(record)s (%(visibility)s)"), actor=actor,
                       record=record,
                       visibility=enum_label("visibility", changes.get("visibility")))
    else:
        sentence = say(_("%(actor)s moved %(record)s from %(before)s to %(after)s"),
                       actor=actor, record=record, before=enum_label("report_state", before),
                       after=enum_label("report_state", after))
    details = []
    if changes.get("comment"):
        details.append(say(_("Comment: %(comment)s"), comment=changes["comment"]))
    return sentence, details


def _merge(teller: Teller, event: AuditEvent) -> Told:
    changes = event.changes or {}
    return say(_("%(actor)s merged %(record)s into %(target)s"), actor=teller.actor(event),
               record=teller.phrase("term", event.entity_id),
               target=teller.record("term", changes.get("into"))), [
        say(_("Recommendations reclassified: %(recommendations)s; office actions: "
               "%(actions)s"), recommendations=changes.get("recommendations", 0),
            actions=changes.get("actions", 0))]


def _bulk_assign(teller: Teller, event: AuditEvent) -> Told:
    changes = event.changes or {}
    months = int(changes.get("rhythm_months") or 0)
    institutions = ", ".join(changes.get("institutions") or [])
    return say(_("%(actor)s assigned recommendations to %(institutions)s"),
               actor=teller.actor(event), institutions=institutions), [
        say(_("Assignments created: %(created)s; updated: %(updated)s"),
            created=changes.get("created", 0), updated=changes.get("updated", 0)),
        escape(ngettext("Role: %(role)s; reports every %(num)d month",
                        "Role: %(role)s; reports every %(num)d months", months,
                        role=enum_label("assignment_role", changes.get("role"))))]


def _mechanism_moved(teller: Teller, event: AuditEvent) -> Told:
    changes = event.changes or {}
    return say(_("%(actor)s moved %(record)s to another mechanism"),
               actor=teller.actor(event),
               record=teller.phrase("document", event.entity_id)), [
        teller.change("document", "mechanism_id", changes.get("mechanism_id") or {}),
        say(_("Recommendations that moved with it: %(count)s"),
            count=changes.get("recommendations", 0))]


def _import(teller: Teller, event: AuditEvent) -> Told:
    changes = event.changes or {}
    sources = ", ".join(str(name) for name in changes.get("sources") or [])
    sentence = (say(_("%(actor)s imported recommendations from %(sources)s"),
                    actor=teller.actor(event), sources=sources) if sources
                else say(_("%(actor)s imported recommendations"), actor=teller.actor(event)))
    if "rows" not in changes:  # an import of before every row was accounted for
        return sentence, [
            say(_("Created: %(created)s; updated: %(updated)s; skipped: %(skipped)s; "
                   "errors: %(errors)s"), created=changes.get("created", 0),
                updated=changes.get("updated", 0), skipped=changes.get("skipped", 0),
                errors=changes.get("errors", 0))]
    return sentence, [
        escape(ngettext("%(num)d row in the file", "%(num)d rows in the file", changes["rows"])),
        say(_("Created: %(created)s; updated: %(updated)s; unchanged: %(unchanged)s; "
               "merged into another row's recommendation: %(merged)s; replaced by a later "
               "row: %(replaced)s; not for this State: %(not_for_state)s; refused: "
               "%(refused)s"),
            **{key: changes.get(key, 0) for key in (
                "created", "updated", "unchanged", "merged", "replaced", "not_for_state",
                "refused")})]


def _api_token(teller: Teller, event: AuditEvent) -> Told:
    """A personal API token created, revoked or used."""
    changes = event.changes or {}
    actor = teller.actor(event)
    known = f"{changes.get('name')} (trk_{changes.get('prefix')})" if changes.get("name") else None
    token = teller.phrase("api_token", event.entity_id, known)
    if event.action == "api_request":
        return say(_("%(actor)s used %(token)s: %(method)s %(path)s, answered %(status)s"),
                   actor=actor, token=token, method=str(changes.get("method") or ""),
                   path=str(changes.get("path") or ""), status=changes.get("status", "?")), []
    if event.action == "api_token_revoke":
        if str(changes.get("owner_id")) == str(event.actor_id):
            return say(_("%(actor)s revoked %(token)s"), actor=actor, token=token), []
        return say(_("%(actor)s revoked %(token)s of %(user)s"), actor=actor, token=token,
                   user=teller.record("app_user", changes.get("owner_id"))), []
    scopes = ", ".join(enum_label("api_scope", scope) for scope in changes.get("scopes") or [])
    return say(_("%(actor)s created %(token)s"), actor=actor, token=token), [
        say(_("Scopes: %(scopes)s"), scopes=scopes),
        say(_("Expires: %(when)s"),
            when=teller.value("api_token", "expires_at", changes.get("expires_at")))]


def _other(teller: Teller, event: AuditEvent) -> Told:
    # An action this module does not know yet still reads: its name, its record, its values.
    return say(_("%(actor)s: %(action)s, %(record)s"), actor=teller.actor(event),
               action=action_name(event.action),
               record=teller.phrase(event.entity_type, event.entity_id)), \
        teller.changes(event)


TELLERS: dict[str, Callable[[Teller, AuditEvent], Told]] = {
    "create": _row_change, "update": _row_change, "delete": _row_change,
    "transition": _transition, "merge": _merge, "bulk_assign": _bulk_assign,
    "document_mechanism_moved": _mechanism_moved, "import": _import,
    **dict.fromkeys(("api_token_create", "api_token_revoke", "api_request"), _api_token),
    **dict.fromkeys(
        ("login", "logout", "logout_everywhere", "login_failed", "login_refused",
         "login_locked", "invite", "invitation_resent", "password_set", "password_reset_requested",
         "permission_change", "activate", "deactivate"), _account),
}


def tell(teller: Teller, event: AuditEvent) -> Told:
    """Return the sentence and the detail lines of one event."""
    return TELLERS.get(event.action, _other)(teller, event)


def describe_events(events: list[AuditEvent], reader) -> list[EventView]:
    """Tell a page of events as sentences in the reader's language, linked where allowed."""
    teller = Teller(reader, load_records(references(events)))
    views = []
    for event in events:
        sentence, details = tell(teller, event)
        views.append(EventView(event.id, event.at, event.source_address, event.actor_id,
                               event.entity_type, event.entity_id, sentence, details))
    return views
