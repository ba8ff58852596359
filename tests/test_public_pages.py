"""The public pages of institutions, documents and pillars, and the public dashboard."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event

from tests import factories as f
from tests.conftest import choose_language
from tracker.extensions import db
from tracker.models import (
    AssignmentRole,
    ImplementationStatus,
    OfficeActionKind,
    ReportState,
    ReportVisibility,
    Role,
)
from tracker.services.assignments import add_months
from tracker.services.report_queries import local_today

S = ImplementationStatus
SECRETS = ("SECRET-UNPUBLISHED", "INTERNAL-REPORT", "DRAFT-REPORT", "INTERNAL-ACTION",
           "hidden.person@example.org", "Hidden Person")


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def cell(html: str, table_id: str, row: str) -> list[str]:
    """The numbers of one row of a table, by the text of its header cell."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    for found in re.finditer(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        header = re.sub(r"<[^>]+>|\s+", " ", re.search(r"<th[^>]*>(.*?)</th>", found.group(1),
                                                        re.S).group(1)).strip()
        if row in header:
            return [re.sub(r"<[^>]+>", "", c).strip()
                    for c in re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)]
    raise AssertionError(f"no row {row!r} in {table_id}")


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def world(session):
    """An institution with two published assignments and an unpublished one, reports in
    every state, a public and an internal office action."""
    today = local_today()
    women = f.institution("SEMUJER-P", name_es="Secretaría de la Mujer",
                          name_en="Secretariat for Women")
    other = f.institution("OTHER-P", name_es="Otra Secretaría", name_en="Other Secretariat")
    doc = f.document("CEDAW/C/PUB/CO/1", "CEDAW", title="Concluding observations on Pub",
                     url="https://docs.un.org/CEDAW/C/PUB/CO/1", upr_cycle=None)
    r10 = f.recommendation(doc, paragraph="10", reference="PUB-10", status=S.IN_PROGRESS,
                           text="Adopt a law on femicide.")
    r9 = f.recommendation(doc, paragraph="9", reference="PUB-9", status=S.IMPLEMENTED,
                          text="Fund shelters for women.")
    r11 = f.recommendation(doc, paragraph="11", reference="PUB-11", status=S.IMPLEMENTED,
                           text="SECRET-UNPUBLISHED text.", is_published=False)
    # r10: created 14 months ago, every 6 months; due 2 months ago and not moved on (overdue).
    lead = f.assignment(r10, women, next_due=add_months(today, -2), rhythm_months=6)
    lead.created_at = datetime.combine(add_months(today, -14), time(18), UTC)
    f.assignment(r9, women, role=AssignmentRole.SUPPORT, next_due=add_months(today, 3))
    f.assignment(r11, women, next_due=add_months(today, -1))
    f.assignment(r9, other, next_due=add_months(today, 2))
    # Reports on r10: one within the period that ended 8 months ago (on time), one after the
    # due date of 2 months ago (late; submitted, not yet approved).
    on_time = f.report_in_state(women, [r10], title="Public progress on femicide",
                                submitted_at=datetime.combine(add_months(today, -9), time(18),
                                                              UTC))
    f.report_in_state(women, [r10], ReportState.SUBMITTED, title="DRAFT-REPORT late",
                      submitted_at=datetime.now(UTC) - timedelta(days=3))
    f.report_in_state(women, [r10], title="INTERNAL-REPORT",
                      visibility=ReportVisibility.INTERNAL)
    f.report_in_state(women, [r11], title="INTERNAL-REPORT on the unpublished one")
    pillar = f.term("pillar", "accountability")
    public_action = f.office_action(title="Public workshop on femicide", is_public=True,
                                    kind=OfficeActionKind.CAPACITY_BUILDING,
                                    start_date=date(2024, 3, 4))
    public_action.terms, public_action.institutions = [pillar], [women]
    public_action.recommendations = [r10, r11]
    internal = f.office_action(title="INTERNAL-ACTION meeting", is_public=False)
    internal.terms, internal.recommendations = [pillar], [r9]
    f.user(Role.FOCAL_POINT, women, name="Hidden Person", email="hidden.person@example.org")
    session.flush()
    return {"women": women, "other": other, "doc": doc, "r9": r9, "r10": r10, "r11": r11,
            "pillar": pillar, "action": public_action, "on_time": on_time}


def assert_public(html: str) -> None:
    for secret in SECRETS:
        assert secret not in html, secret


# --- institutions ------------------------------------------------------------------------


def test_the_index_lists_institutions_with_their_published_assignments(client, world):
    html = page(client, "/institutions")
    women = world["women"]
    row = re.search(rf'institutions/{women.id}">Secretaría de la Mujer</a>.*?</tr>', html, re.S)
    assert re.findall(r'<td class="text-end">(\d+)</td>', row.group(0)) == ["1", "1"]
    assert_public(html)
    assert "Secretariat for Women" in page(client, "/institutions?lang=en")


def test_an_institution_page_shows_its_figures(client, world):
    women = world["women"]
    html = page(client, f"/institutions/{women.id}")
    assert "Secretaría de la Mujer" in html
    assert f'/recommendations?institution={women.id}' in html
    # One published recommendation led, one supported; the unpublished one left out.
    assert re.findall(r'<span class="stat-number">(\d+)</span>', html) == ["1", "1"]
    assert cell(html, "table-institution-status", "En curso")[0] == "1"
    assert cell(html, "table-institution-status", "Cumplida")[0] == "1"
    assert cell(html, "table-institution-status", "Total")[0] == "2"
    # Due dates of r10 passed: 8 months ago (a report then: on time) and 2 months ago (a
    # report 3 days ago: late); r9's first due date has not come.
    text = visible_text(html)
    for name, number in (("Fechas de informe vencidas", 2), ("Informadas a tiempo", 1),
                         ("Informadas con retraso", 1), ("Sin informe", 0),
                         ("Asignaciones vencidas ahora", 1)):
        assert re.search(rf"{name} (\d+)", text).group(1) == str(number), name
    assert "Public progress on femicide" in html
    assert_public(html)
    assert f'src="/institutions/{women.id}/charts/es/status.svg?v=' in html


def test_an_institution_page_reads_in_english(client, world):
    choose_language(client, "en")
    html = page(client, f"/institutions/{world['women'].id}")
    assert "Secretariat for Women" in html and "Reporting punctuality" in html
    assert "Reported on time" in html


def test_the_institution_chart_is_an_svg_with_a_title(client, world):
    response = client.get(f"/institutions/{world['women'].id}/charts/en/status.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert "<title>Secretariat for Women</title>" in response.get_data(as_text=True)
    assert "public" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("path", ["/institutions/abc", "/institutions/0",
                                  "/institutions/99999999999999999999", "/institutions/2147483647",
                                  "/institutions/2147483647/charts/es/status.svg", "/documents/abc",
                                  "/documents/2147483647", "/documents/9223372036854775808",
                                  "/pillars/2147483647", "/pillars/no-such-pillar",
                                  "/pillars/%00", "/dashboard/charts/es/nothing.svg",
                                  "/dashboard/charts/xx/status.svg"])
def test_unknown_or_odd_ids_are_not_found(client, world, path):
    assert client.get(path).status_code == 404


# --- documents ---------------------------------------------------------------------------


def test_a_document_page_lists_its_published_recommendations_in_paragraph_order(client, world):
    doc = world["doc"]
    html = page(client, f"/documents/{doc.id}")
    assert "CEDAW/C/PUB/CO/1" in html and "Concluding observations on Pub" in html
    assert 'href="https://docs.un.org/CEDAW/C/PUB/CO/1"' in html
    assert re.findall(r"Párrafo (\d+)", html) == ["9", "10"]
    assert cell(html, "table-document-status", "Total")[0] == "2"
    assert cell(html, "table-document-status", "Cumplida")[0] == "1"
    assert_public(html)
    assert "Comité para la Eliminación de la Discriminación contra la Mujer" in html
    english = page(client, f"/documents/{doc.id}?lang=en")
    assert "Committee on the Elimination of Discrimination against Women" in english


def test_a_document_with_only_unpublished_recommendations_is_not_found(client, session):
    doc = f.document("CEDAW/C/HIDDEN/1")
    f.recommendation(doc, is_published=False)
    assert client.get(f"/documents/{doc.id}").status_code == 404


def test_recommendation_page_and_list_link_to_the_document(client, world):
    doc = world["doc"]
    assert f'href="/documents/{doc.id}"' in page(client, f"/recommendations/{world['r10'].id}")
    assert f'href="/documents/{doc.id}"' in page(client, "/recommendations")


# --- pillars and office actions ----------------------------------------------------------


def test_the_pillars_list_their_public_actions_and_supported_recommendations(client, world):
    html = page(client, "/pillars")
    row = re.search(r'pillars/accountability">Rendición de cuentas</a>.*?</tr>', html, re.S)
    assert re.findall(r'<td class="text-end">(\d+)</td>', row.group(0)) == ["1", "1"]
    assert "Accountability" in page(client, "/pillars?lang=en")
    assert_public(html)


def test_a_pillar_page_shows_its_public_actions(client, world):
    for key in ("accountability", str(world["pillar"].id)):
        html = page(client, f"/pillars/{key}")
        assert "Public workshop on femicide" in html
        assert "PUB-10" in html and "PUB-11" not in html
        assert cell(html, "table-pillar-status", "Total")[0] == "1"
        assert_public(html)


def test_a_recommendation_page_lists_the_public_actions_that_support_it(client, world):
    html = page(client, f"/recommendations/{world['r10'].id}")
    assert "Public workshop on femicide" in html
    assert "Rendición de cuentas" in html and "Secretaría de la Mujer" in html
    assert "Fortalecimiento de capacidades" in html or "capacidades" in html
    assert "INTERNAL-ACTION" not in page(client, f"/recommendations/{world['r9'].id}")
    assert "Accountability" in page(client, f"/recommendations/{world['r10'].id}?lang=en")


# --- dashboard ---------------------------------------------------------------------------


def test_the_dashboard_counts_public_data(client, world):
    html = page(client, "/dashboard")
    assert cell(html, "table-status", "Total")[0] == "2"
    assert cell(html, "table-status", "Cumplida")[0] == "1"
    assert cell(html, "table-mechanism", "CEDAW")[-1] == "2"
    # The pillar counts r10 only: r11 is unpublished, the action supporting r9 internal.
    assert cell(html, "table-pillar", "Rendición de cuentas")[-1] == "1"
    assert cell(html, "table-institution", "Secretaría de la Mujer")[-1] == "1"
    assert cell(html, "table-overdue", "Secretaría de la Mujer")[:2] == ["1", "2"]
    assert_public(html)
    for name in ("status", "mechanism", "pillar", "institution", "overdue"):
        assert f'src="/dashboard/charts/es/{name}.svg?v=' in html
    english = page(client, "/dashboard?lang=en")
    assert "Secretariat for Women" in english and "Accountability" in english


def test_the_dashboard_charts_are_svg_in_the_readers_language(client, world):
    response = client.get("/dashboard/charts/en/status.svg")
    svg = response.get_data(as_text=True)
    assert response.mimetype == "image/svg+xml" and 'role="img"' in svg
    assert "<title>Recommendations by implementation status</title>" in svg
    assert "In progress" in svg
    assert "En curso" in client.get("/dashboard/charts/es/status.svg").get_data(as_text=True)


def test_the_dashboard_follows_a_committed_status_change(client, world, session):
    assert cell(page(client, "/dashboard"), "table-status", "Cumplida")[0] == "1"
    f.assessment(world["r10"], S.IMPLEMENTED)
    session.commit()
    html = page(client, "/dashboard")
    assert cell(html, "table-status", "Cumplida")[0] == "2"
    assert cell(html, "table-status", "En curso")[0] == "0"


def test_the_dashboard_runs_few_queries(client, world, session):
    session.commit()  # figures of data not yet committed are never cached
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        page(client, "/dashboard")
        first = len(statements)
        statements.clear()
        page(client, "/dashboard")
        again = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert first <= 20
    assert again <= 4  # the counters; every figure comes from the cache


def test_staff_see_the_same_public_dashboard(client, world):
    f.sign_in(client, f.user(Role.REVIEWER))
    html = page(client, "/dashboard")
    assert cell(html, "table-status", "Total")[0] == "2"
    assert "INTERNAL-ACTION" not in html


def test_the_dashboard_is_linked_from_the_navigation_and_home(client, world):
    html = page(client, "/")
    assert html.count('href="/dashboard"') >= 2
    assert 'href="/institutions"' in html and 'href="/pillars"' in html


def test_a_long_document_is_paged(client, world, monkeypatch):
    from tracker.services.catalogue import documents

    monkeypatch.setattr(documents, "PER_PAGE", 1)
    doc = world["doc"]
    assert re.findall(r"Párrafo (\d+)", page(client, f"/documents/{doc.id}")) == ["9"]
    second = page(client, f"/documents/{doc.id}?page=2")
    assert re.findall(r"Párrafo (\d+)", second) == ["10"]
    assert 'rel="prev"' in second


def test_the_charts_hold_only_public_data(client, world):
    for name in ("status", "mechanism", "pillar", "institution", "theme", "changes", "overdue"):
        svg = client.get(f"/dashboard/charts/es/{name}.svg").get_data(as_text=True)
        assert svg.startswith("<?xml") and "<svg" in svg
        assert_public(svg)
    svg = client.get("/dashboard/charts/en/institution.svg").get_data(as_text=True)
    assert "SEMUJER-P" in svg


def test_staff_read_internal_actions_on_a_recommendation_marked_internal(client, world):
    f.sign_in(client, f.user(Role.REVIEWER))
    html = page(client, f"/recommendations/{world['r9'].id}")
    assert "INTERNAL-ACTION meeting" in html and "Interno" in html


def test_punctuality_counts_nothing_for_a_due_date_far_ahead(session):
    from tracker.services.catalogue.institutions import punctuality

    inst = f.institution("FAR-P")
    f.assignment(f.recommendation(), inst, next_due=date(9999, 1, 1), rhythm_months=1)
    found = punctuality(inst.id, local_today())
    assert (found.due, found.overdue_now) == (0, 0)
