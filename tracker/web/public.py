"""The public site: anyone may read published recommendations."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from tracker import policy
from tracker.i18n import SESSION_KEY
from tracker.services import catalogue
from tracker.web.helpers import safe_next

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    summary = catalogue.summarise(current_user)
    return render_template("public/home.html", summary=summary)


@bp.get("/healthz")
def healthz():
    """Say the web process is alive: for load balancers and container checks.

    It reads no database, so that an outage there does not get every web process
    restarted; the pages themselves tell the database's state.
    """
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/recommendations")
def recommendations():
    filters, ignored = catalogue.parse_filters(current_user, request.args)
    page, per_page, bad_paging = catalogue.parse_paging(
        request.args, current_app.config.get("PAGE_SIZE", 25))
    expand = request.args.get("more")
    results = catalogue.browse(current_user, filters, page=page, per_page=per_page,
                               expand=expand)
    paging = {"per_page": per_page} if "per_page" in request.args else {}

    def link_to(chosen: catalogue.Filters, **extra) -> str:
        return url_for("public.recommendations", **chosen.as_args(), **paging, **extra)

    return render_template(
        "public/recommendations.html",
        filters=filters,
        ignored=ignored + bad_paging,
        results=results,
        result=results.page,
        expanded=expand,
        link_to=link_to,
        url_for_page=lambda n: link_to(filters, page=n if n > 1 else None),
    )


@bp.get("/recommendations/<id:rec_id>")
def recommendation(rec_id: int):
    rec = catalogue.get_recommendation(rec_id)
    if rec is None or not policy.can_view_recommendation(current_user, rec):
        abort(404)
    detail = catalogue.recommendation_detail(current_user, rec)
    return render_template("public/recommendation.html", rec=rec, detail=detail)


@bp.get("/language/<code>")
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session[SESSION_KEY] = code
    return redirect(safe_next(request.args.get("next"), url_for("public.home")))
