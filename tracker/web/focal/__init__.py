"""Ministry staff: their institution's recommendations and progress reports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("focal", __name__, url_prefix="/my-institution")

from tracker.web.focal import views  # noqa: E402,F401  (routes attach to bp)
