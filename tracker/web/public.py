"""The public site: anyone may read published recommendations."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_login import current_user
from markupsafe import Markup

from tracker import policy
from tracker.i18n import SESSION_KEY, current_language
from tracker.models import ImplementationStatus
from tracker.services import catalogue, data_versions
from tracker.services.catalogue import dashboard as public_dashboard
from tracker.services.catalogue import documents, institutions, pillars
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
    if current_user.is_authenticated:
        page = _recommendation_content(rec_id)
    else:
        # What anyone may read changes with the catalogue and the published activity: the
        # rendered page is kept until one of them moves (for the most read pages).
        activity = data_versions.current(data_versions.ACTIVITY)
        page = data_versions.cached(
            data_versions.CATALOGUE, ("recommendation-page", rec_id, current_language(), activity),
            lambda: _recommendation_content(rec_id), per_record=True)
    if page is None:
        abort(404)
    reference, content = page
    return render_template("public/recommendation.html", reference=reference, content=content)


def _recommendation_content(rec_id: int) -> tuple[str, Markup] | None:
    """The reference and the rendered body of a recommendation's page, if the reader may see it."""
    rec = catalogue.get_recommendation(rec_id)
    if rec is None or not policy.can_view_recommendation(current_user, rec):
        return None
    detail = catalogue.recommendation_detail(current_user, rec)
    html = render_template("public/_recommendation.html", rec=rec, detail=detail)
    return rec.reference, Markup(html)  # noqa: S704 - the output of an autoescaped template


def _svg(svg: str) -> Response:
    # Charts are public figures named by their data version (``v``): caches may keep them.
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _chart_version() -> str:
    """Name the state of the data a chart shows, so its address changes with it."""
    return "-".join(str(data_versions.current(kind)[0]) for kind in data_versions.KINDS)


@bp.get("/institutions")
def institutions_index():
    return render_template("public/institutions.html", rows=institutions.list_institutions())


@bp.get("/institutions/<id:institution_id>")
def institution(institution_id: int):
    inst = institutions.get_institution(institution_id)
    if inst is None:
        abort(404)
    reports = institutions.published_reports(institution_id, arg_page())
    return render_template(
        "public/institution.html", inst=inst, statuses=list(ImplementationStatus),
        figures=institutions.institution_figures(institution_id), reports=reports,
        covered=institutions.published_recommendations_of([r.id for r in reports.items]),
        chart_version=_chart_version(),
        url_for_page=lambda n: url_for("public.institution", institution_id=institution_id,
                                       page=n if n > 1 else None))


@bp.get("/institutions/<id:institution_id>/charts/<code>/status.svg")
def institution_chart(institution_id: int, code: str):
    inst = institutions.get_institution(institution_id)
    if inst is None or code not in current_app.config["LANGUAGES"]:
        abort(404)
    with force_locale(code):
        return _svg(public_dashboard.institution_chart_svg(institution_id, inst.name))


@bp.get("/documents/<id:document_id>")
def document(document_id: int):
    doc = documents.get_document(current_user, document_id)
    if doc is None:
        abort(404)
    status = documents.document_status(current_user, document_id)
    page = documents.document_recommendations(current_user, document_id, status.total,
                                              arg_page())
    return render_template(
        "public/document.html", doc=doc, status=status, result=page,
        statuses=list(ImplementationStatus),
        url_for_page=lambda n: url_for("public.document", document_id=document_id,
                                       page=n if n > 1 else None))


@bp.get("/pillars")
def pillars_index():
    return render_template("public/pillars.html", rows=pillars.list_pillars())


@bp.get("/pillars/<pillar>")
def pillar(pillar: str):
    term = pillars.get_pillar(pillar)
    if term is None:
        abort(404)
    found = pillars.pillar_actions(term.id, arg_page())
    return render_template(
        "public/pillar.html", term=term, status=pillars.pillar_status(term.id), found=found,
        statuses=list(ImplementationStatus),
        url_for_page=lambda n: url_for("public.pillar", pillar=term.code,
                                       page=n if n > 1 else None))


@bp.get("/dashboard")
def dashboard():
    return render_template("public/dashboard.html", figures=public_dashboard.dashboard(),
                           statuses=list(ImplementationStatus),
                           chart_version=_chart_version(),
                           chart_title=public_dashboard.chart_title)


@bp.get("/dashboard/charts/<code>/<chart>.svg")
def dashboard_chart(code: str, chart: str):
    # The language is part of the address, not a ?lang= that would store a choice in the
    # visitor's session: a cache may keep the picture, never a cookie with it.
    if chart not in public_dashboard.CHARTS or code not in current_app.config["LANGUAGES"]:
        abort(404)
    with force_locale(code):
        return _svg(public_dashboard.chart_svg(chart))


@bp.get("/language/<code>")
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session[SESSION_KEY] = code
    return redirect(safe_next(request.args.get("next"), url_for("public.home")))
