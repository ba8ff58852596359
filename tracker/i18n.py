"""Language choice and localised labels for the domain's enumerations."""

from __future__ import annotations

from babel.units import format_unit
from flask import current_app, has_app_context, has_request_context, request, session
from flask_babel import get_locale, lazy_pgettext
from flask_babel import lazy_gettext as _l

SESSION_KEY = "lang"


def select_locale() -> str:
    """Pick the language: the visitor's choice, then the account's, then Spanish.

    The API reads no session: ?lang=, then the Accept-Language header.
    """
    languages = current_app.config["LANGUAGES"]
    if has_request_context():
        asked = request.args.get("lang")
        if asked in languages:
            return asked
        if getattr(request, "is_api", False):
            return (request.accept_languages.best_match(languages)
                    or current_app.config["BABEL_DEFAULT_LOCALE"])
        chosen = session.get(SESSION_KEY)
        if chosen in languages:
            return chosen
        from flask_login import current_user

        if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
            return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    """Return the active language code ('es' or 'en')."""
    # Also outside a request (a task, a command): force_locale sets it for a recipient.
    locale = get_locale() if has_app_context() else None
    return locale.language if locale else current_app.config.get("BABEL_DEFAULT_LOCALE", "es")


# Labels for enum values; the templates show these, never the raw codes.
ENUM_LABELS = {
    "status": {
        "no_information": _l("No information"),
        "not_started": _l("Not started"),
        "in_progress": _l("In progress"),
        "partially_implemented": _l("Partially implemented"),
        "implemented": _l("Implemented"),
        "not_applicable": _l("Not applicable"),
    },
    "type": {
        "recommendation": _l("Recommendation"),
        "concern": _l("Concern / observation"),
        "operative_point": _l("Operative point of a judgment"),
        "precautionary_measure": _l("Precautionary measure"),
    },
    "upr_position": {
        "supported": _l("Supported"),
        "noted": _l("Noted"),
        "supported_noted": _l("Supported / noted"),
        "pending": _l("Pending"),
        "not_applicable": _l("Not applicable"),
    },
    "family": {
        "upr": _l("Universal Periodic Review"),
        "treaty_body": _l("Treaty bodies"),
        "special_procedure": _l("Special procedures"),
        "regional_commission": _l("Regional commission"),
        "regional_court": _l("Regional court"),
    },
    "branch": {
        "executive": _l("Executive"),
        "legislative": lazy_pgettext("branch of the State", "Legislative"),
        "judicial": _l("Judicial"),
        "autonomous": _l("Autonomous body"),
        "local": _l("Local government"),
        "civil_society": _l("Civil society"),
        "un": _l("United Nations"),
        "international": _l("International organisation"),
    },
    "role": {
        "admin": _l("Administrator"),
        "reviewer": _l("Reviewer (office staff)"),
        "focal_point": _l("Focal point (ministry staff)"),
    },
    "assignment_role": {"lead": _l("Lead"), "support": _l("Support")},
    "report_state": {
        "draft": _l("Draft"),
        "submitted": _l("Submitted"),
        "returned": _l("Returned"),
        "approved": _l("Approved"),
    },
    "visibility": {"public": _l("Public"), "internal": _l("Internal")},
    "measure_kind": {
        "legislative": _l("Legislative"),
        "policy": _l("Policy"),
        "institutional": _l("Institutional"),
        "budget": _l("Budget"),
        "training": _l("Training"),
        "judicial": _l("Judicial"),
        "other": _l("Other"),
    },
    "action_kind": {
        "technical_assistance": _l("Technical assistance"),
        "monitoring": _l("Monitoring"),
        "advocacy": _l("Advocacy"),
        "capacity_building": _l("Capacity building"),
        "public_report": _l("Public report"),
        "dialogue": _l("Dialogue"),
        "early_warning": _l("Early warning / emergency response"),
    },
    "source": {"office": _l("Office"), "mechanism": _l("Mechanism")},
    "text_source": {
        "uhri": _l("Universal Human Rights Index"),
        "upr_info": _l("UPR Info database"),
        "file": _l("Imported file"),
        "staff": _l("Typed by office staff"),
    },
    "notification_kind": {
        "reminder_digest": _l("Reminder digest"),
        "escalation": _l("Escalation digest"),
        "review_result": _l("Review result"),
        "report_ready": _l("Report ready"),
        "invitation": _l("Invitation"),
        "password_reset": _l("Password reset"),
        "submission_digest": _l("Reports submitted for review"),
        "assignment": _l("Assignment"),
    },
    "import_phase": {
        "previewing": lazy_pgettext("state of an import", "Preview being built"),
        "preview_ready": lazy_pgettext("state of an import",
                                       "Preview ready: waiting for confirmation"),
        "importing": lazy_pgettext("state of an import", "Importing"),
        "done": lazy_pgettext("state of an import", "Imported"),
        "failed": lazy_pgettext("state of an import", "Failed"),
        "discarded": lazy_pgettext("state of an import", "Discarded"),
    },
    "import_format": {
        "uhri_xlsx": _l("UHRI export (Excel)"),
        "uhri_json": _l("UHRI export (JSON)"),
        "csv": _l("The tracker's CSV"),
        "upr_info_csv": _l("UPR Info export (CSV)"),
    },
    "import_outcome": {
        "created": lazy_pgettext("rows of an import", "Created"),
        "updated": lazy_pgettext("rows of an import", "Updated"),
        "unchanged": lazy_pgettext("rows of an import", "Unchanged"),
        "merged": lazy_pgettext("rows of an import",
                                "Merged into another row's recommendation"),
        "replaced": lazy_pgettext("rows of an import", "Replaced by a later row"),
        "not_for_state": lazy_pgettext("rows of an import", "Not for this State"),
        "refused": lazy_pgettext("rows of an import", "Refused"),
        "warnings": lazy_pgettext("rows of an import", "Warnings"),
    },
    "api_scope": {
        "read": _l("Read: assignments and one's own reports"),
        "reports": _l("Reports: draft, update, attach evidence, submit"),
        "review": _l("Review: return or approve reports, assess status, record office actions"),
        "jobs": _l("Jobs: start imports and report jobs"),
    },
    "notification_status": {
        "pending": _l("Queued"),
        "sent": _l("Sent"),
        "failed": _l("Failed"),
        "skipped": _l("Not sent"),
    },
}


def label(group: str, value) -> str:
    """Return the user's-language label of an enum value (its code when unknown)."""
    if value is None:
        return ""
    code = getattr(value, "value", value)
    found = ENUM_LABELS.get(group, {}).get(code)
    return str(found) if found is not None else str(code)


def file_size(size: int | None) -> str:
    """Write a number of bytes as kB, MB or GB with the reader's decimal mark."""
    size = max(int(size or 0), 0)
    # Binary steps, so that the 20 MB evidence limit (20 × 1024²) reads "20 MB", not "21 MB".
    if size >= 1024 ** 3:
        value, unit = size / 1024 ** 3, "digital-gigabyte"
    elif size >= 1024 ** 2:
        value, unit = size / 1024 ** 2, "digital-megabyte"
    else:
        # Never "0 kB" for a file that has bytes in it.
        value, unit = (max(size / 1024, 0.1) if size else 0), "digital-kilobyte"
    locale = get_locale() or current_app.config.get("BABEL_DEFAULT_LOCALE", "es")
    return format_unit(value, unit, length="short", format="#,##0.#", locale=locale)
