"""A count beside a noun agrees with it, in Spanish and in English: "1 recomendación",
"2 recomendaciones", never "1 recomendaciones"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale

from tests import factories
from tests.conftest import choose_language, login
from tracker.models import ReportVisibility, Role, utcnow
from tracker.services import reports
from tracker.services.errors import ServiceError
from tracker.services.report_queries import local_today


def _text(response) -> str:
    return response.get_data(as_text=True)


def _cards(html: str) -> list[tuple[str, str]]:
    found = re.findall(r'<span class="stat-number">([^<]+)</span>\s*'
                       r'<span class="stat-label">([^<]+)</span>', html)
    return [(number.strip(), words.strip()) for number, words in found]


BULK = {
    ("es", 1): "1 asignación creada y 0 actualizadas, para 1 recomendación.",
    ("es", 2): "2 asignaciones creadas y 0 actualizadas, para 2 recomendaciones.",
    ("en", 1): "1 assignment created and 0 updated, for 1 recommendation.",
    ("en", 2): "2 assignments created and 0 updated, for 2 recommendations.",
}


@pytest.mark.parametrize(("lang", "count"), sorted(BULK))
def test_bulk_assignment_message_agrees_with_its_counts(client, session, lang, count):
    doc = factories.document("CEDAW/C/HND/CO/9")
    for n in range(count):
        factories.recommendation(doc, text=f"Prevent violence against women, measure {n}.")
    inst = factories.institution("PLURAL-A")
    choose_language(client, lang)
    login(client, factories.user(Role.REVIEWER))
    response = client.post(f"/review/recommendations/assign?document={doc.id}", data={
        "role": "lead", "rhythm_months": "6", "scope": "all",
        "institution_ids": [str(inst.id)]})
    assert response.status_code == 302
    assert BULK[lang, count] in _text(client.get(response.headers["Location"]))


OFFICE_CARDS = {
    "es": {1: [("1", "enviado, en espera de revisión"), ("1", "día de espera del más antiguo"),
               ("1", "devuelto, en espera de la institución"), ("1", "aprobado este mes")],
           2: [("2", "enviados, en espera de revisión"), ("2", "días de espera del más antiguo"),
               ("2", "devueltos, en espera de la institución"), ("2", "aprobados este mes")]},
    "en": {1: [("1", "submitted, waiting for review"), ("1", "day the oldest has waited"),
               ("1", "returned, awaiting the institution"), ("1", "approved this month")],
           2: [("2", "submitted, waiting for review"), ("2", "days the oldest has waited"),
               ("2", "returned, awaiting the institution"), ("2", "approved this month")]},
}


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("count", [1, 2])
def test_office_dashboard_counts_agree(client, session, lang, count):
    inst = factories.institution("PLURAL-B")
    rec = factories.recommendation()
    factories.assignment(rec, inst)
    author = factories.user(Role.FOCAL_POINT, inst)
    reviewer = factories.user(Role.REVIEWER)

    def submitted(title):
        report = factories.progress_report(author, [rec], title=title)
        reports.submit_report(author, report.id, report.version)
        return report

    for n in range(count):
        waiting = submitted(f"Waiting {n}")
        waiting.submitted_at = utcnow() - timedelta(days=count)
        back = submitted(f"Back {n}")
        reports.return_report(reviewer, back.id, back.version, comment="More detail, please.")
        done = submitted(f"Done {n}")
        reports.approve_report(reviewer, done.id, done.version,
                               visibility=ReportVisibility.INTERNAL)
    choose_language(client, lang)
    login(client, reviewer)
    assert _cards(_text(client.get("/review/"))) == OFFICE_CARDS[lang][count]


PUBLIC_CARDS = {
    ("es", 1): [("1", "recomendación publicada"), ("1", "documento de origen")],
    ("es", 2): [("2", "recomendaciones publicadas"), ("2", "documentos de origen")],
    ("en", 1): [("1", "published recommendation"), ("1", "source document")],
    ("en", 2): [("2", "published recommendations"), ("2", "source documents")],
}


@pytest.mark.parametrize(("lang", "count"), sorted(PUBLIC_CARDS))
def test_public_home_counts_agree(client, session, lang, count):
    for _n in range(count):
        factories.recommendation(factories.document())
    choose_language(client, lang)
    assert _cards(_text(client.get("/")))[:2] == PUBLIC_CARDS[lang, count]


FOCAL_OVERDUE = {("es", 1): ("1", "vencida"), ("es", 2): ("2", "vencidas"),
                 ("en", 1): ("1", "overdue"), ("en", 2): ("2", "overdue")}


@pytest.mark.parametrize(("lang", "count"), sorted(FOCAL_OVERDUE))
def test_institution_workspace_due_counts_agree(client, session, lang, count):
    inst = factories.institution("PLURAL-C")
    for _n in range(count):
        factories.assignment(factories.recommendation(), inst,
                             next_due=local_today() - timedelta(days=3))
    factories.assignment(factories.recommendation(), inst,
                         next_due=local_today() + timedelta(days=2))
    choose_language(client, lang)
    login(client, factories.user(Role.FOCAL_POINT, inst))
    cards = _cards(_text(client.get("/my-institution/")))
    assert cards[0] == FOCAL_OVERDUE[lang, count]
    assert cards[1] == {"es": ("1", "vence en 14 días"), "en": ("1", "due within 14 days")}[lang]


@pytest.mark.parametrize(("lang", "count", "expected"), [
    ("es", 1, "1 de las elegidas no lo está."), ("es", 2, "2 de las elegidas no lo están."),
    ("en", 1, "1 of those chosen is not."), ("en", 2, "2 of those chosen are not."),
])
def test_refused_recommendations_message_agrees(app, session, lang, count, expected):
    inst = factories.institution("PLURAL-D")
    mine = factories.recommendation()
    factories.assignment(mine, inst)
    others = [factories.recommendation() for _n in range(count)]
    author = factories.user(Role.FOCAL_POINT, inst)
    with app.test_request_context(), force_locale(lang), pytest.raises(ServiceError) as refused:
        factories.progress_report(author, [mine, *others])
    with app.test_request_context(), force_locale(lang):
        assert expected in str(refused.value.message)


MERGE = {("es", 1): ("clasifica 1 recomendación y 1 acción de la oficina",
                     "1 recomendación y 1 acción de la oficina usan ahora el término elegido."),
         ("es", 2): ("clasifica 2 recomendaciones y 2 acciones de la oficina",
                     "2 recomendaciones y 2 acciones de la oficina usan ahora el término elegido."),
         ("en", 1): ("classifies 1 recommendation and 1 office action",
                     "1 recommendation and 1 office action now use the term chosen."),
         ("en", 2): ("classifies 2 recommendations and 2 office actions",
                     "2 recommendations and 2 office actions now use the term chosen.")}


@pytest.mark.parametrize(("lang", "count"), sorted(MERGE))
def test_term_merge_counts_agree(client, session, lang, count):
    vocab = factories.vocabulary()
    source, target = factories.make_term(vocab), factories.make_term(vocab)
    for _n in range(count):
        rec, action = factories.recommendation(), factories.office_action()
        rec.terms.append(source)
        action.terms.append(source)
    session.flush()
    choose_language(client, lang)
    login(client, factories.user(Role.ADMIN))
    warning, done = MERGE[lang, count]
    assert warning in _text(client.get(f"/admin/terms/{source.id}/merge"))
    response = client.post(f"/admin/terms/{source.id}/merge", data={"target_id": target.id})
    assert done in _text(client.get(response.headers["Location"]))
