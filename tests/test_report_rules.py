"""The rules of the progress-report workflow, as the services apply them.

Each refusal says why, in the user's language, names the field to correct, and
leaves the data as it was.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.models import (
    Notification,
    ProgressReport,
    ReportState,
    ReportVisibility,
    Role,
    StoredFile,
)
from tracker.services import evidence, reports
from tracker.services.errors import ServiceError

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def world(session):
    inst = factories.institution("SEDH-R")
    other = factories.institution("SESAL-R")
    rec = factories.recommendation(text="Adopt a law against femicide.")
    foreign = factories.recommendation(text="Guarantee access to health services.")
    factories.assignment(rec, inst)
    factories.assignment(foreign, other)
    return {
        "inst": inst, "rec": rec, "foreign": foreign,
        "focal": factories.user(Role.FOCAL_POINT, inst, name="Ana Enlace"),
        "colleague": factories.user(Role.FOCAL_POINT, inst, name="Carla Enlace"),
        "outsider": factories.user(Role.FOCAL_POINT, other, name="Beto Enlace"),
        "reviewer": factories.user(Role.REVIEWER, name="Rita Revisora"),
    }


def _input(recs, **overrides) -> reports.ReportInput:
    values = {"title": "Training of judges", "description": "We trained 120 judges.",
              "period_start": date(2024, 1, 1), "period_end": date(2024, 6, 30),
              "measure_kind": "training", "recommendation_ids": [r.id for r in recs]}
    values.update(overrides)
    return reports.ReportInput(**values)


def _refused(call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    return caught.value


def _reports(session) -> int:
    return session.scalar(select(func.count()).select_from(ProgressReport))


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"title": "   "}, "title", "Asigne un título al informe."),
    ({"title": "x" * 301}, "title", "El título es demasiado largo."),
    ({"description": "x" * 50_001}, "description", "La descripción es demasiado larga."),
    ({"period_start": date(2024, 6, 30), "period_end": date(2024, 1, 1)}, "period_end",
     "El período no puede terminar antes de comenzar."),
    ({"measure_kind": "prayer"}, "measure_kind", "Elija un tipo de medida."),
    ({"recommendation_ids": []}, "recommendation_ids",
     "Elija al menos una recomendación a la que se refiera el informe."),
])
def test_a_report_with_a_wrong_field_is_refused_and_nothing_is_saved(
        world, session, overrides, field, message):
    error = _refused(reports.create_report, world["focal"], _input([world["rec"]], **overrides))

    assert (error.status, error.field, str(error)) == (400, field, message)
    assert _reports(session) == 0


def test_a_title_is_saved_with_its_spaces_tidied(world):
    report = reports.create_report(world["focal"], _input([world["rec"]],
                                                          title="  Training \n of   judges "))
    assert report.title == "Training of judges"


def test_recommendations_of_another_institution_are_counted_in_the_refusal(world, session):
    second = factories.recommendation()
    factories.assignment(second, world["outsider"].institution)

    one = _refused(reports.create_report, world["focal"],
                   _input([world["rec"], world["foreign"]]))
    two = _refused(reports.create_report, world["focal"],
                   _input([world["rec"], world["foreign"], second]))

    assert "1 de las elegidas no lo está" in str(one)
    assert "2 de las elegidas no lo están" in str(two)
    assert _reports(session) == 0


def test_only_focal_points_write_reports(world, session):
    error = _refused(reports.create_report, world["reviewer"], _input([world["rec"]]))
    assert error.status == 403
    # Nothing is offered to choose from either.
    assert session.scalars(reports.assignable_recommendations_query(world["reviewer"])).all() == []
    assert session.scalars(
        reports.assignable_recommendations_query(world["focal"])).all() == [world["rec"]]


def test_a_colleague_may_edit_but_office_staff_and_other_institutions_may_not(world):
    report = factories.progress_report(world["focal"], [world["rec"]])

    edited = reports.update_report(world["colleague"], report.id, report.version,
                                   _input([world["rec"]], title="Training of prosecutors"))
    assert edited.title == "Training of prosecutors"
    assert _refused(reports.update_report, world["reviewer"], report.id, report.version,
                    _input([world["rec"]])).status == 403
    # Another institution does not even learn that the report exists.
    assert _refused(reports.update_report, world["outsider"], report.id, report.version,
                    _input([world["rec"]])).status == 404
    assert _refused(reports.update_report, world["focal"], 10 ** 9, 1,
                    _input([world["rec"]])).status == 404


def test_a_submitted_or_approved_report_can_no_longer_be_changed(world):
    report = factories.progress_report(world["focal"], [world["rec"]])
    reports.submit_report(world["focal"], report.id, report.version)

    submitted = _refused(reports.update_report, world["focal"], report.id, report.version,
                         _input([world["rec"]], title="Changed"))
    assert submitted.status == 409
    assert "se envió para revisión" in str(submitted)

    reports.approve_report(world["reviewer"], report.id, report.version,
                           visibility=ReportVisibility.INTERNAL)
    approved = _refused(reports.submit_report, world["focal"], report.id, report.version)
    assert approved.status == 409 and "fue aprobado" in str(approved)
    assert report.title == "Training of judges on gender-based violence"


def test_a_returned_report_keeps_a_recommendation_whose_assignment_has_ended(world, session):
    report = factories.progress_report(world["focal"], [world["rec"]])
    reports.submit_report(world["focal"], report.id, report.version)
    reports.return_report(world["reviewer"], report.id, report.version, comment="Add dates.")
    for found in world["rec"].assignments:
        found.active = False
    session.flush()

    revised = reports.update_report(world["focal"], report.id, report.version,
                                    _input([world["rec"]], title="With dates"))
    assert [r.id for r in revised.recommendations] == [world["rec"].id]
    # A new report may not pick it any more.
    assert _refused(reports.create_report, world["focal"],
                    _input([world["rec"]])).field == "recommendation_ids"


def test_deleting_a_draft_takes_its_evidence_files_with_it(world, session):
    report = factories.progress_report(world["focal"], [world["rec"]])
    item = evidence.attach_file(world["focal"], report.id, filename="law.pdf", data=PDF,
                                is_public=False)
    stored_id = item.stored_file_id

    assert _refused(reports.delete_report, world["reviewer"], report.id,
                    report.version).status == 403
    reports.delete_report(world["focal"], report.id, report.version)

    assert session.get(ProgressReport, report.id) is None
    assert session.get(StoredFile, stored_id) is None


def test_a_submitted_report_cannot_be_deleted(world):
    report = factories.progress_report(world["focal"], [world["rec"]])
    reports.submit_report(world["focal"], report.id, report.version)
    error = _refused(reports.delete_report, world["focal"], report.id, report.version)
    assert error.status == 409 and "Solo se puede eliminar un borrador" in str(error)


def test_only_office_staff_decide_and_only_on_submitted_reports(world):
    report = factories.progress_report(world["focal"], [world["rec"]])

    assert _refused(reports.approve_report, world["focal"], report.id, report.version,
                    visibility=ReportVisibility.PUBLIC).status == 403
    draft = _refused(reports.approve_report, world["reviewer"], report.id, report.version,
                     visibility=ReportVisibility.PUBLIC)
    assert draft.status == 409 and "sigue siendo un borrador" in str(draft)

    reports.submit_report(world["focal"], report.id, report.version)
    wrong = _refused(reports.approve_report, world["reviewer"], report.id, report.version,
                     visibility="everyone")
    assert wrong.field == "decision"
    reports.approve_report(world["reviewer"], report.id, report.version,
                           visibility=ReportVisibility.PUBLIC)
    again = _refused(reports.return_report, world["reviewer"], report.id, report.version,
                     comment="Too late")
    assert again.status == 409 and "(su estado actual es: Aprobado)" in str(again)
    assert report.state == ReportState.APPROVED


def test_returning_needs_a_comment_of_reasonable_length(world):
    report = factories.progress_report(world["focal"], [world["rec"]])
    reports.submit_report(world["focal"], report.id, report.version)

    assert _refused(reports.return_report, world["reviewer"], report.id, report.version,
                    comment="   ").field == "comment"
    too_long = _refused(reports.return_report, world["reviewer"], report.id, report.version,
                        comment="x" * 10_001)
    assert str(too_long) == "El comentario es demasiado largo."
    assert report.state == ReportState.SUBMITTED


def test_the_result_reaches_the_active_focal_points_and_the_author_even_if_moved(
        world, session, app, monkeypatch):
    factories.user(Role.FOCAL_POINT, world["inst"], email="gone@sedh.example", active=False)
    report = factories.progress_report(world["focal"], [world["rec"]])
    reports.submit_report(world["focal"], report.id, report.version)
    world["focal"].institution = world["outsider"].institution  # the author changed post
    session.flush()
    # Outside a request (a command or a task) the link is built on the configured address.
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    monkeypatch.setitem(app.config, "BASE_URL", "https://seguimiento.example")

    reports.return_report(world["reviewer"], report.id, report.version, comment="Add dates.")

    notes = session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [n.recipient_id for n in notes] == [world["focal"].id, world["colleague"].id]
    assert all(f"https://seguimiento.example/my-institution/reports/{report.id}" in n.body
               for n in notes)
