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
from tracker.models import ImplementationStatus, RecommendationType
from tracker.services import catalogue
from tracker.web.helpers import safe_next
from tracker.web.ids import arg_page

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
    page = catalogue.search_recommendations(
        current_user,
        filters,
        page=arg_page(),
        per_page=current_app.config.get("PAGE_SIZE", 25),
    )
    return render_template(
        "public/recommendations.html",
        filters=filters,
        ignored=ignored,
        options=catalogue.filter_options(current_user, filters),
        result=page,
        statuses=list(ImplementationStatus),
        types=list(RecommendationType),
        url_for_page=lambda n: url_for(
            "public.recommendations", **filters.as_args(), page=n if n > 1 else None
        ),
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
