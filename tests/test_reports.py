"""Focal points write progress reports on what is assigned to their institution, and only that."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from tests import factories
from tests.conftest import choose_language, login
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    ImplementationStatus,
    Institution,
    ProgressReport,
    Recommendation,
    ReportState,
    ReportTransition,
    Role,
    StoredFile,
)
from tracker.services import reports
from tracker.services.errors import ServiceError
from tracker.services.report_queries import local_today


@dataclass
class World:
    inst_a: Institution
    inst_b: Institution
    focal_a: object
    focal_b: object
    reviewer: object
    rec_a1: Recommendation
    rec_a2: Recommendation
    rec_b: Recommendation


@pytest.fixture
def world(session) -> World:
    inst_a = factories.institution("SEDH-T")
    inst_b = factories.institution("SESAL-T")
    today = local_today()
    rec_a1 = factories.recommendation(text="Adopt a law against femicide and train judges.")
    rec_a2 = factories.recommendation(
        doc=factories.document(mechanism_code="CAT"), text="Investigate torture promptly.",
        status=ImplementationStatus.IN_PROGRESS)
    rec_b = factories.recommendation(text="Guarantee access to health services for B.")
    factories.assignment(rec_a1, inst_a, next_due=today - timedelta(days=3))
    factories.assignment(rec_a2, inst_a, next_due=today + timedelta(days=100), role="support",
                         rhythm_months=12)
    factories.assignment(rec_b, inst_b, next_due=today + timedelta(days=5))
    return World(inst_a, inst_b,
                 factories.user(Role.FOCAL_POINT, inst_a, name="Ana Enlace", locale="es"),
                 factories.user(Role.FOCAL_POINT, inst_b, name="Beto Enlace"),
                 factories.user(Role.REVIEWER, name="Rita Revisora"),
                 rec_a1, rec_a2, rec_b)


def _form(recs, **overrides) -> dict:
    data = {
        "title": "Training of judges",
        "description": "We trained **120** judges.\n\n- in Tegucigalpa\n- in San Pedro Sula",
        "measure_kind": "training",
        "period_start": "2024-01-01",
        "period_end": "2024-06-30",
        "recommendation_ids": [str(r.id) for r in recs],
    }
    data.update(overrides)
    return data


def _text(response) -> str:
    return response.get_data(as_text=True)


def _count_reports() -> int:
    return db.session.scalar(select(func.count()).select_from(ProgressReport))


# --- My institution ----------------------------------------------------------------------------


def test_my_institution_lists_what_is_assigned_with_its_due_state(client, world):
    choose_language(client, "en")
    login(client, world.focal_a)
    page = client.get("/my-institution/")
    assert page.status_code == 200
    html = _text(page)
    assert world.rec_a1.reference in html and world.rec_a2.reference in html
    assert world.rec_b.reference not in html
    # Overdue first, with its badge; the 12-month support assignment later.
    assert html.index(world.rec_a1.reference) < html.index(world.rec_a2.reference)
    rows = re.findall(r'data-due-state="(\w+)"', html)
    assert rows == ["overdue", "later"]
    assert "Overdue" in html and "Support" in html and "every 12 months" in html
    assert "CAT" in html and "In progress" in html
    cards = re.findall(r'<span class="stat-number">(\d+)</span>\s*'
                       r'<span class="stat-label">([^<]+)</span>', html)
    assert cards == [("1", "overdue"), ("0", "due within 14 days"), ("1", "due later")]


@pytest.mark.parametrize("query, expected", [
    ("due=overdue", ["a1"]),
    ("due=later", ["a2"]),
    ("due=due_soon", []),
    ("status=in_progress", ["a2"]),
    ("q=femicide", ["a1"]),
    ("q=TORTURE", ["a2"]),
])
def test_my_institution_filters(client, world, query, expected):
    login(client, world.focal_a)
    html = _text(client.get(f"/my-institution/?{query}"))
    shown = {"a1": world.rec_a1.reference in html, "a2": world.rec_a2.reference in html}
    assert [k for k, v in shown.items() if v] == expected


def test_my_institution_filters_by_mechanism(client, world):
    login(client, world.focal_a)
    cat = factories.mechanism("CAT")
    html = _text(client.get(f"/my-institution/?mechanism={cat.id}"))
    assert world.rec_a2.reference in html and world.rec_a1.reference not in html


def test_my_institution_pages_and_does_not_query_per_row(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    choose_language(client, "en")
    login(client, world.focal_a)

    def statements_for_page() -> int:
        seen = []

        def count(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("SELECT"):  # not the test's savepoints
                seen.append(statement)

        engine = db.engines[None]
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/my-institution/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    statements_for_page()  # warm up: the user's institution, loaded once
    few = statements_for_page()
    for n in range(4):
        factories.assignment(factories.recommendation(
            doc=factories.document(mechanism_code="CRC")), world.inst_a,
            next_due=local_today() + timedelta(days=n))
    db.session.commit()
    statements_for_page()  # warm up again: the counts of the changed catalogue
    many = statements_for_page()
    assert many == few  # the same statements for 2 rows as for 3 of 6: none per row
    first = _text(client.get("/my-institution/"))
    assert "1–3 of 6" in first and 'rel="next"' in first
    second = _text(client.get("/my-institution/?page=2"))
    assert "4–6 of 6" in second


def test_the_workspace_is_for_focal_points_only(client, world):
    assert client.get("/my-institution/").status_code == 302  # to sign in
    login(client, world.reviewer)
    assert client.get("/my-institution/").status_code == 403
    assert client.get("/my-institution/reports/new").status_code == 403


# --- Writing a report --------------------------------------------------------------------------


def test_focal_point_creates_a_draft_on_assigned_recommendations(client, world, session):
    choose_language(client, "en")
    login(client, world.focal_a)
    form = _text(client.get(f"/my-institution/reports/new?rec={world.rec_a1.id}"))
    assert world.rec_a1.reference in form and world.rec_b.reference not in form
    assert re.search(rf'value="{world.rec_a1.id}"\s+checked', form)

    done = client.post("/my-institution/reports/new", data=_form([world.rec_a1, world.rec_a2]))
    assert done.status_code == 302
    report = session.scalars(select(ProgressReport)).one()
    assert done.location.endswith(f"/my-institution/reports/{report.id}")
    assert report.state == ReportState.DRAFT and report.institution_id == world.inst_a.id
    assert report.author_id == world.focal_a.id
    assert {r.id for r in report.recommendations} == {world.rec_a1.id, world.rec_a2.id}
    assert report.period_end == date(2024, 6, 30) and report.measure_kind.value == "training"
    step = report.transitions[0]
    assert (step.from_state, step.to_state, step.actor_id) == (None, ReportState.DRAFT,
                                                               world.focal_a.id)
    assert step.snapshot["title"] == "Training of judges"
    assert sorted(step.snapshot["recommendations"]) == sorted(
        [world.rec_a1.reference, world.rec_a2.reference])
    assert session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "progress_report", AuditEvent.action == "transition")).one()

    page = _text(client.get(done.location))
    assert "<strong>120</strong>" in page and "Draft" in page


def test_a_crafted_post_with_another_institutions_recommendation_saves_nothing(
        client, world, session):
    login(client, world.focal_a)
    unassigned = factories.recommendation()
    for foreign in (world.rec_b, unassigned):
        refused = client.post("/my-institution/reports/new",
                              data=_form([world.rec_a1, foreign]))
        assert refused.status_code == 400
        # Ana reads Spanish, the default.
        assert "Solo puede informar sobre recomendaciones asignadas a su institución" in _text(
            refused)
    assert _count_reports() == 0
    with pytest.raises(ServiceError) as exc:
        factories.progress_report(world.focal_a, [world.rec_b])
    assert exc.value.field == "recommendation_ids"
    assert _count_reports() == 0


def test_a_form_with_mistakes_keeps_what_was_typed(client, world):
    login(client, world.focal_a)
    bad = client.post("/my-institution/reports/new", data=_form(
        [world.rec_a2], title="Mesa interinstitucional", description="Texto *largo* escrito",
        period_start="2024-06-01", period_end="2024-01-31"))
    assert bad.status_code == 400
    html = _text(bad)
    assert "El período no puede terminar antes de comenzar." in html  # in Ana's Spanish
    assert 'value="Mesa interinstitucional"' in html
    assert "Texto *largo* escrito</textarea>" in html
    assert re.search(rf'value="{world.rec_a2.id}"\s+checked', html)
    assert 'value="2024-06-01"' in html
    missing = client.post("/my-institution/reports/new", data=_form([world.rec_a1], title=""))
    assert missing.status_code == 400 and "Asigne un título al informe." in _text(missing)
    no_recs = client.post("/my-institution/reports/new", data=_form([]))
    assert no_recs.status_code == 400 and "Elija al menos una recomendación." in _text(no_recs)
    assert _count_reports() == 0


def test_edit_a_draft_and_a_concurrent_save_gets_409(client, world, session):
    report = factories.progress_report(world.focal_a, [world.rec_a1])
    login(client, world.focal_a)
    form = _text(client.get(f"/my-institution/reports/{report.id}/edit"))
    assert f'name="version" type="hidden" value="{report.version}"' in form
    seen_version = report.version

    first = client.post(f"/my-institution/reports/{report.id}/edit", data=_form(
        [world.rec_a1, world.rec_a2], title="First save", version=str(seen_version)))
    assert first.status_code == 302
    session.refresh(report)
    assert report.title == "First save" and len(report.recommendations) == 2

    second = client.post(f"/my-institution/reports/{report.id}/edit", data=_form(
        [world.rec_a1], title="Second save", description="My long text",
        version=str(seen_version)))
    assert second.status_code == 409
    html = _text(second)
    assert "Otra persona cambió este registro" in html  # Ana reads Spanish
    assert "My long text" in html  # what the user typed is still there to copy
    session.refresh(report)
    assert report.title == "First save"


def test_submit_then_editing_or_submitting_again_is_refused(client, world, session):
    report = factories.progress_report(world.focal_a, [world.rec_a1])
    login(client, world.focal_a)
    sent = client.post(f"/my-institution/reports/{report.id}/submit",
                       data={"version": report.version})
    assert sent.status_code == 302
    session.refresh(report)
    assert report.state == ReportState.SUBMITTED and report.submitted_at is not None
    assert [t.to_state for t in report.transitions] == [ReportState.DRAFT, ReportState.SUBMITTED]
    assert report.transitions[-1].from_state == ReportState.DRAFT

    version = report.version
    edit = client.post(f"/my-institution/reports/{report.id}/edit",
                       data=_form([world.rec_a1], title="Changed later", version=str(version)))
    assert edit.status_code == 409 and "ya no se puede modificar" in _text(edit)  # in Spanish
    assert client.get(f"/my-institution/reports/{report.id}/edit").status_code == 409
    again = client.post(f"/my-institution/reports/{report.id}/submit", data={"version": version})
    assert again.status_code == 409
    delete = client.post(f"/my-institution/reports/{report.id}/delete", data={"version": version})
    assert delete.status_code == 409
    session.refresh(report)
    assert report.title != "Changed later" and report.state == ReportState.SUBMITTED
    assert len(report.transitions) == 2

    listed = _text(client.get("/my-institution/reports?state=submitted"))
    assert report.title in listed


def test_returned_report_shows_comments_and_can_be_resubmitted(client, world, session):
    report = factories.progress_report(world.focal_a, [world.rec_a1], title="Protocol v1")
    reports.submit_report(world.focal_a, report.id, report.version)
    reports.return_report(world.reviewer, report.id, report.version,
                          comment="Attach the signed protocol, please.")
    login(client, world.focal_a)
    page = _text(client.get(f"/my-institution/reports/{report.id}"))
    # Ana reads the page in Spanish, the default.
    assert "Devuelto para cambios: comentarios de la oficina" in page
    assert "Attach the signed protocol, please." in page
    assert page.index("Attach the signed protocol") < page.index("Lo que se hizo")

    edited = client.post(f"/my-institution/reports/{report.id}/edit", data=_form(
        [world.rec_a1], title="Protocol v2", version=str(report.version)))
    assert edited.status_code == 302
    session.refresh(report)
    resent = client.post(f"/my-institution/reports/{report.id}/submit",
                         data={"version": report.version})
    assert resent.status_code == 302
    session.refresh(report)
    assert report.state == ReportState.SUBMITTED
    last = report.transitions[-1]
    assert (last.from_state, last.to_state) == (ReportState.RETURNED, ReportState.SUBMITTED)
    titles = [t.snapshot["title"] for t in report.transitions]
    assert titles == ["Protocol v1", "Protocol v1", "Protocol v1", "Protocol v2"]

    history = _text(client.get(f"/my-institution/reports/{report.id}"))
    assert "Enviado nuevamente" in history and "Protocol v1" in history
    assert "Attach the signed protocol, please." in history


def test_delete_a_draft_never_submitted(client, world, session):
    from tracker.services import evidence

    report = factories.progress_report(world.focal_a, [world.rec_a1])
    evidence.attach_file(world.focal_a, report.id, filename="a.pdf",
                         data=b"%PDF-1.4\n%%EOF\n", is_public=False)
    login(client, world.focal_a)
    gone = client.post(f"/my-institution/reports/{report.id}/delete",
                       data={"version": report.version})
    assert gone.status_code == 302
    assert _count_reports() == 0
    assert session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert session.scalar(select(func.count()).select_from(ReportTransition)) == 0


def test_a_returned_report_cannot_be_deleted(world, session):
    report = factories.progress_report(world.focal_a, [world.rec_a1])
    reports.submit_report(world.focal_a, report.id, report.version)
    reports.return_report(world.reviewer, report.id, report.version, comment="Fix it")
    with pytest.raises(ServiceError) as exc:
        reports.delete_report(world.focal_a, report.id, report.version)
    assert exc.value.status == 409


def test_lists_have_a_tab_per_state_with_counts(client, world, session):
    draft = factories.progress_report(world.focal_a, [world.rec_a1], title="Still a draft")
    sent = factories.progress_report(world.focal_a, [world.rec_a2], title="Already sent")
    reports.submit_report(world.focal_a, sent.id, sent.version)
    choose_language(client, "en")
    login(client, world.focal_a)
    drafts = _text(client.get("/my-institution/reports?state=draft"))
    assert draft.title in drafts and sent.title not in drafts
    assert re.search(r"Draft <span class=\"badge[^\"]*\">1</span>", drafts)
    assert re.search(r"Submitted <span class=\"badge[^\"]*\">1</span>", drafts)
    assert client.get("/my-institution/reports?state=nonsense").status_code == 404


# --- Another institution ----------------------------------------------------------------------


def test_another_institution_never_sees_a_draft(client, world, session):
    report = factories.progress_report(world.focal_a, [world.rec_a1], title="A's secret draft")
    choose_language(client, "en")
    login(client, world.focal_b)
    for url in (f"/my-institution/reports/{report.id}",
                f"/my-institution/reports/{report.id}/edit"):
        assert client.get(url).status_code == 404
    for url in (f"/my-institution/reports/{report.id}/submit",
                f"/my-institution/reports/{report.id}/delete",
                f"/my-institution/reports/{report.id}/edit"):
        assert client.post(url, data=_form([world.rec_b], version=report.version)
                           ).status_code == 404
    for state in ReportState:
        assert "secret draft" not in _text(
            client.get(f"/my-institution/reports?state={state.value}"))
    home = _text(client.get("/my-institution/"))
    assert world.rec_a1.reference not in home
    assert re.search(r"Draft <span class=\"badge[^\"]*\">0</span>", home)
    session.refresh(report)
    assert report.state == ReportState.DRAFT and report.title == "A's secret draft"
    with pytest.raises(ServiceError) as exc:
        reports.submit_report(world.focal_b, report.id, report.version)
    assert exc.value.status == 404


def test_a_colleague_of_the_same_institution_may_continue_the_draft(client, world, session):
    colleague = factories.user(Role.FOCAL_POINT, world.inst_a)
    report = factories.progress_report(world.focal_a, [world.rec_a1])
    login(client, colleague)
    assert client.get(f"/my-institution/reports/{report.id}").status_code == 200
    sent = client.post(f"/my-institution/reports/{report.id}/submit",
                       data={"version": report.version})
    assert sent.status_code == 302
    session.refresh(report)
    assert report.transitions[-1].actor_id == colleague.id


def test_markdown_description_is_sanitized_on_the_report_page(client, world):
    report = factories.progress_report(
        world.focal_a, [world.rec_a1],
        description='[click](javascript:alert(1)) <script>alert("x")</script>')
    login(client, world.focal_a)
    html = _text(client.get(f"/my-institution/reports/{report.id}"))
    assert "<script>alert" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html
