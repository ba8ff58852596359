"""Administration: users, institutions, mechanisms, vocabularies and the audit trail."""

from __future__ import annotations

from flask import Blueprint, render_template

from tracker import policy
from tracker.web.access import require

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@require(policy.can_view_admin)
def index():
    return render_template("admin/index.html")
