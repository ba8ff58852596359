"""The words of the audit trail: records by their labels (linked to their pages when the
reader may open them), fields by their form labels, values as the reader knows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from babel import Locale, UnknownLocaleError
from flask import url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from tracker.i18n import label as enum_label
from tracker.models import AuditEvent
from tracker.services.audit_registry import (
    KINDS,
    UNLISTED_FIELDS,
    Record,
    field_label,
    field_type,
    record_for,
)

# Names of the actions, for the filter menu.
ACTIONS = {
    "create": _l("Creation"), "update": _l("Change"), "delete": _l("Deletion"),
    "login": _l("Sign-in"), "logout": _l("Sign-out"), "login_failed": _l("Failed sign-in"),
    "logout_everywhere": _l("Sign-out on every device"),
    "login_refused": _l("Sign-in to a deactivated account"),
    "login_locked": _l("Sign-in lockout"), "invite": _l("Invitation"),
    "invitation_resent": _l("Invitation sent again"), "password_set": _l("New password"),
    "password_reset_requested": _l("Request for a new password"),
    "permission_change": _l("Change of permissions"), "activate": _l("Reactivation"),
    "deactivate": _l("Deactivation"), "transition": _l("Step of a progress report"),
    "merge": _l("Merge of terms"), "bulk_assign": _l("Assignment in bulk"),
    "document_mechanism_moved": _l("Document moved to another mechanism"),
    "import": _l("Import of recommendations"),
    "map_label": _l("Mapping of an imported label"),
    "notification_resent": _l("Message sent again"),
    "api_token_create": _l("Creation of an API token"),
    "api_token_revoke": _l("Revocation of an API token"),
    "api_request": _l("Request through the API"),
}
LONGEST_VALUE = 200
# How the listener writes a related row: "term:12 women" (table, key, a name of the time).
_RELATED = re.compile(r"^(?P<table>\w+):(?P<key>\S+)\s?(?P<name>.*)$")


def action_name(action: str) -> str:
    """Return the reader's-language name of an audit action."""
    found = ACTIONS.get(action)
    return str(found) if found is not None else action


@dataclass
class EventView:
    """One event as the audit page shows it."""

    id: int
    at: datetime
    address: str | None
    actor_id: int | None
    entity_type: str
    entity_id: str | None
    sentence: Markup
    details: list[Markup] = field(default_factory=list)


def say(message: str, **parts) -> Markup:
    """Return the message with its parts filled in, escaped unless they are Markup."""
    # The message is text: escaped. Parts that are Markup (links) stay; the rest is escaped.
    return escape(message) % parts


def _related(item) -> tuple[str, str, str] | None:
    match = _RELATED.match(str(item))
    return (match["table"], match["key"], match["name"]) if match else None


def references(events: list[AuditEvent]):
    """Yield (entity type, id) of every record the events mention, for loading at once."""
    for event in events:
        yield event.entity_type, event.entity_id
        if event.actor_id:
            yield "app_user", event.actor_id
        changes = event.changes or {}
        if event.action == "merge":
            yield "term", changes.get("into")
        if event.action == "permission_change":
            yield "institution", changes.get("institution_id")
        if event.entity_type == "api_token":
            yield "app_user", changes.get("owner_id")
        for name, change in changes.items():
            if not isinstance(change, dict):
                continue
            kind = field_type(event.entity_type, name)
            if kind.kind == "links":
                for item in [*(change.get("added") or []), *(change.get("removed") or [])]:
                    related = _related(item)
                    if related:
                        yield related[0], related[1]
            elif kind.refers_to:
                yield from ((kind.refers_to, change.get(side)) for side in ("before", "after"))


class Teller:
    """Tells the events of one page, for one reader, from the records loaded for it."""

    def __init__(self, reader, records: dict[tuple[str, str], Record]):
        self.reader = reader
        self.records = records

    def record(self, entity_type: str, key, fallback: str | None = None) -> Markup:
        """Return a record's label, linked to its page when the reader may open it."""
        found = record_for(self.records, entity_type, key)
        text = found.label if (found.exists or fallback is None) else fallback
        kind = KINDS.get(entity_type)
        link = kind.link if kind else None
        # Deleted records have no page; pages the reader may not open are not offered.
        if found.exists and link and found.page_id and link.allowed(self.reader):
            href = url_for(link.endpoint, **{link.argument: found.page_id})
            return Markup('<a href="%s">%s</a>') % (href, text)
        return escape(text)

    def phrase(self, entity_type: str, key, fallback: str | None = None) -> Markup:
        """Return the record with its kind: 'the recommendation X'."""
        kind = KINDS.get(entity_type)
        label = self.record(entity_type, key, fallback)
        if kind is None:
            return say("%(kind)s %(label)s", kind=entity_type, label=label)
        return say(str(kind.phrase), label=label)

    def actor(self, event: AuditEvent) -> Markup:
        """Return who acted: the person's name, else what the trail kept of them."""
        if event.actor_id and record_for(self.records, "app_user", event.actor_id).exists:
            return self.record("app_user", event.actor_id)
        if event.actor_label and event.actor_label.startswith("cli:"):
            return say(_("The server command %(command)s"), command=event.actor_label[4:])
        if event.actor_label:
            return escape(event.actor_label)
        return escape(_("The system"))

    def value(self, entity_type: str, name: str, value) -> Markup:
        """Return a field's value as the reader knows it (label, name, local time)."""
        if value is None or value == "" or value == []:
            return Markup("—")
        if value == "[redacted]":
            return escape(_("(not shown)"))
        if value == "[changed]":
            return escape(_("(changed)"))
        kind = field_type(entity_type, name)
        if kind.refers_to:
            return self.record(kind.refers_to, value)
        if kind.enum_group:
            return escape(enum_label(kind.enum_group, value))
        if kind.kind == "bool" or isinstance(value, bool):
            return escape(_("Yes") if value else _("No"))
        if kind.kind in ("date", "datetime") and isinstance(value, str):
            return escape(_moment(value, kind.kind))
        if kind.kind == "language" and isinstance(value, str):
            return escape(_language(value))
        if isinstance(value, dict):
            # A payload kept whole (a report as it stood): too long for a line.
            return escape(_("(not shown)"))
        if isinstance(value, list | tuple):
            return Markup(", ").join(self.value(entity_type, name, v) for v in value)
        text = str(value)
        return escape(text if len(text) <= LONGEST_VALUE else text[:LONGEST_VALUE] + "…")

    def items(self, values) -> Markup:
        """Return the related records a collection gained or lost, by name."""
        shown = []
        for item in values or []:
            related = _related(item)
            if related:
                shown.append(self.record(related[0], related[1], related[2] or None))
            else:
                shown.append(escape(str(item)))
        return Markup(", ").join(shown)

    def change(self, entity_type: str, name: str, change) -> Markup:
        """Return one line telling how a field changed."""
        label = field_label(entity_type, name)
        if not isinstance(change, dict):
            return say(_("%(field)s: %(value)s"), field=label,
                       value=self.value(entity_type, name, change))
        if "added" in change or "removed" in change:
            added, removed = self.items(change.get("added")), self.items(change.get("removed"))
            if added and removed:
                return say(_("%(field)s: added %(added)s; removed %(removed)s"), field=label,
                           added=added, removed=removed)
            if added:
                return say(_("%(field)s: added %(added)s"), field=label, added=added)
            return say(_("%(field)s: removed %(removed)s"), field=label, removed=removed)
        if change.get("after") == "[changed]":
            # A secret (password, sign-in key): that it changed, never what it was.
            return say(_("%(field)s: changed (not shown)"), field=label)
        if "before" in change and "after" in change and change["before"] in (None, ""):
            return say(_("%(field)s set to %(after)s"), field=label,
                       after=self.value(entity_type, name, change["after"]))
        if "before" in change and "after" in change and change["after"] in (None, ""):
            return say(_("%(field)s emptied (was %(before)s)"), field=label,
                       before=self.value(entity_type, name, change["before"]))
        if "before" in change and "after" in change:
            return say(_("%(field)s from %(before)s to %(after)s"), field=label,
                       before=self.value(entity_type, name, change["before"]),
                       after=self.value(entity_type, name, change["after"]))
        side = "after" if "after" in change else "before"
        return say(_("%(field)s: %(value)s"), field=label,
                   value=self.value(entity_type, name, change.get(side)))

    def changes(self, event: AuditEvent, skip: frozenset[str] = frozenset()) -> list[Markup]:
        """Return a line per changed field of the event, in the order of their labels."""
        shown = [(field_label(event.entity_type, name), name, change)
                 for name, change in (event.changes or {}).items()
                 if name not in UNLISTED_FIELDS and name not in skip]
        return [self.change(event.entity_type, name, change)
                for _label, name, change in sorted(shown, key=lambda row: row[0].lower())]


def _language(code: str) -> str:
    try:
        return Locale.parse(code).get_display_name(get_locale()) or code
    except (ValueError, UnknownLocaleError):
        return code


def _moment(value: str, kind: str) -> str:
    try:
        if kind == "date":
            return format_date(date.fromisoformat(value[:10]), "medium")
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    # Stored in UTC: shown at the office's hour, like the event's own time.
    return format_datetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC), "short")
