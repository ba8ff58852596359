"""Office staff: curation, assignments, review of reports, status and office actions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

# Each module attaches its routes to bp.
from tracker.web.review import (  # noqa: E402,F401
    actions,
    assessments,
    assignments,
    curation,
    exports,
    imports,
    labels,
    reports,
)
