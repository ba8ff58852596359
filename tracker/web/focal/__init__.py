"""Ministry staff: their institution's recommendations and progress reports."""

from __future__ import annotations

from flask import Blueprint

from tracker.services.markdown import render_markdown

bp = Blueprint("focal", __name__, url_prefix="/my-institution")
# Report descriptions are Markdown wherever they are shown (workspace, review, public).
bp.add_app_template_filter(render_markdown, "markdown")

# Each module attaches its routes to bp.
from tracker.web.focal import evidence_views, report_views, views  # noqa: E402,F401
