"""The review queue of submitted progress reports."""

from __future__ import annotations

from flask import render_template

from tracker import policy
from tracker.web.access import require
from tracker.web.review import bp


@bp.get("/")
@require(policy.is_staff)
def home():
    return render_template("review/home.html")
