"""Routes of the institution workspace."""

from __future__ import annotations

from flask import render_template

from tracker import policy
from tracker.web.access import require
from tracker.web.focal import bp


@bp.get("/")
@require(policy.can_use_institution_workspace)
def home():
    return render_template("focal/home.html")
