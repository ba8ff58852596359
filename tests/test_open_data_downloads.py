"""Open data: every search downloads as CSV, XLSX and JSON, whole, published only, and the
CSV imports back into an empty tracker as the same records."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import openpyxl
import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from tests import factories as f
from tests.conftest import another_app, login, scratch_database
from tracker.extensions import db
from tracker.imports import read_tracker_csv
from tracker.models import (
    AssignmentRole,
    ImplementationStatus,
    Recommendation,
    RecommendationType,
    Role,
    Term,
    UprPosition,
    Vocabulary,
)
from tracker.services.demo import load_demo
from tracker.services.imports import import_records
from tracker.services.seed import seed_reference_data


def download(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.headers["Content-Disposition"].startswith("attachment;")
    response.get_data()
    response.close()  # the end of a streamed answer ends its request, as a server's would
    return response


def csv_rows(client, url: str) -> list[dict[str, str]]:
    response = download(client, url)
    assert response.data.startswith("\ufeff".encode())  # Excel reads the accents
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def json_items(client, url: str) -> dict:
    return json.loads(download(client, url).data)


def xlsx_rows(client, url: str) -> list[dict[str, object]]:
    book = openpyxl.load_workbook(io.BytesIO(download(client, url).data), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def originals(rows) -> list[str]:
    return [row["reference"] for row in rows if row["original"] in ("true", True)]


@pytest.fixture
def many(session):
    """Thirty published recommendations of CEDAW (more than a page), two unpublished, and
    three of CAT, one of them in two languages."""
    cedaw = f.document("CEDAW/C/HND/CO/9", "CEDAW", date=date(2022, 11, 1))
    cat = f.document("CAT/C/HND/CO/2", "CAT", date=date(2016, 8, 26))
    published = [f.recommendation(cedaw, paragraph=str(n)) for n in range(1, 31)]
    hidden = [f.recommendation(cedaw, paragraph=str(n), is_published=False,
                               text=f"Secret draft number {n}") for n in (41, 42)]
    torture = [
        f.recommendation(cat, paragraph="9", text="Tipificar la tortura conforme a la "
                         "Convención.", language="es",
                         versions={"en": "Define torture in line with the Convention."}),
        f.recommendation(cat, paragraph="10", text="Investigate every complaint of torture."),
        f.recommendation(cat, paragraph="11", type=RecommendationType.CONCERN,
                         text="The Committee is concerned about overcrowding."),
    ]
    return {"published": published, "hidden": hidden, "torture": torture}


def test_every_format_holds_every_published_match_not_the_page(client, many, app):
    assert app.config.get("PAGE_SIZE", 25) < 33
    expected = sorted(r.reference for r in many["published"] + many["torture"])

    rows = csv_rows(client, "/recommendations.csv")
    assert sorted(originals(rows)) == expected
    assert len(rows) == len(expected) + 1  # CAT ¶9's English version is a row of its own
    assert not any("Secret draft" in row["text"] for row in rows)

    found = json_items(client, "/recommendations.json")
    assert found["count"] == len(expected)
    assert sorted(item["reference"] for item in found["items"]) == expected

    sheet = xlsx_rows(client, "/recommendations.xlsx")
    assert sorted(originals(sheet)) == expected
    assert list(sheet[0]) == list(rows[0])  # the same columns in every format


def test_downloads_follow_the_list_filters(client, many):
    cat = f.mechanism("CAT")
    torture = sorted(r.reference for r in many["torture"])

    assert sorted(originals(csv_rows(client, f"/recommendations.csv?mechanism={cat.id}"))) \
        == torture
    concern = json_items(client, "/recommendations.json?type=concern")
    assert [i["reference"] for i in concern["items"]] == ["CAT/C/HND/CO/2 ¶11"]
    # Search reads every language version, as the list does.
    found = xlsx_rows(client, "/recommendations.xlsx?q=define+torture")
    assert originals(found) == ["CAT/C/HND/CO/2 ¶9"]
    assert json_items(client, "/recommendations.json?q=nothing+matches+this")["items"] == []


def test_the_list_page_links_its_filters_downloads(client, many):
    cat = f.mechanism("CAT")
    html = client.get(f"/recommendations?mechanism={cat.id}&page=1").get_data(as_text=True)
    for fmt in ("csv", "xlsx", "json"):
        assert f'href="/recommendations.{fmt}?mechanism={cat.id}"' in html


def test_staff_download_the_public_data_too(client, many):
    login(client, f.user(Role.REVIEWER))
    html = client.get("/recommendations?q=secret").get_data(as_text=True)
    assert "Secret draft" in html  # the office's list shows its unpublished work
    assert csv_rows(client, "/recommendations.csv?q=secret") == []
    rows = csv_rows(client, "/recommendations.csv")
    assert not any("Secret draft" in row["text"] for row in rows)
    assert json_items(client, "/recommendations.json")["count"] == 33


def test_no_person_is_named_and_only_public_follow_up_shows(client, many):
    rec = many["torture"][1]
    reviewer = f.user(Role.REVIEWER, name="Renata Revisora", email="renata@example.org")
    f.assessment(rec, ImplementationStatus.IN_PROGRESS, assessed_by_id=reviewer.id,
                 rationale="A bill was sent to Congress.")
    lead = f.institution("ODTEST", name_es="Secretaría de Prueba",
                         name_en="Test Secretariat")
    f.assignment(rec, lead)
    f.assignment(rec, f.institution("OLDINST"), role=AssignmentRole.SUPPORT, active=False)

    data = download(client, "/recommendations.json?lang=en").get_data(as_text=True)
    for private in ("Renata", "renata@example.org", "OLDINST"):
        assert private not in data
    item = next(i for i in json.loads(data)["items"] if i["recommendation_id"] == rec.id)
    assert item["status"] == "in_progress" and item["status_label"] == "In progress"
    assert item["lead_institutions"] == ["Test Secretariat (ODTEST)"]
    assert item["supporting_institutions"] == []
    assert date.fromisoformat(item["status_assessed_on"])
    assert item["url"].endswith(f"/recommendations/{rec.id}")


def test_json_has_stable_ids_iso_dates_and_nested_versions(client, many):
    bilingual = many["torture"][0]
    found = json_items(client, "/recommendations.json")
    assert found["dictionary"].endswith("/open-data/dictionary")
    item = next(i for i in found["items"] if i["recommendation_id"] == bilingual.id)
    assert item["document_date"] == "2016-08-26"
    assert item["texts"] == [
        {"language": "es", "original": True, "annotation_id": None,
         "text": "Tipificar la tortura conforme a la Convención."},
        {"language": "en", "original": False, "annotation_id": None,
         "text": "Define torture in line with the Convention."},
    ]
    again = json_items(client, "/recommendations.json")
    assert [i["recommendation_id"] for i in again["items"]] == \
        [i["recommendation_id"] for i in found["items"]]


def test_the_file_names_carry_the_date_and_the_language(client, many):
    response = download(client, "/recommendations.csv?lang=en")
    assert "recommendations-20" in response.headers["Content-Disposition"]
    response = download(client, "/recommendations.xlsx?lang=es")
    assert "recomendaciones-20" in response.headers["Content-Disposition"]
    assert response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml")


@pytest.mark.parametrize("query", [
    "mechanism=9223372036854775808", "document=abc", "status=finished", "type=%00",
    "theme=-1", "q=" + "é" * 500, "page=x&lang=xx", "mechanism=%C2%B2",
])
def test_odd_filter_values_are_ignored_not_a_server_error(client, many, query):
    for fmt in ("csv", "json", "xlsx"):
        assert client.get(f"/recommendations.{fmt}?{query}").status_code == 200
    assert client.get(f"/recommendations.bin?{query}").status_code == 404


def test_a_search_with_no_match_downloads_an_empty_file_with_its_header(client, session):
    rows = download(client, "/recommendations.csv?q=zzzz").data.decode("utf-8-sig")
    assert rows.startswith("recommendation_id,reference,mechanism,")
    empty = json_items(client, "/recommendations.json?q=zzzz")
    assert (empty["count"], empty["items"], empty["filters"]) == (0, [], {"q": "zzzz"})
    assert xlsx_rows(client, "/recommendations.xlsx?q=zzzz") == []


# --- the round trip ------------------------------------------------------------------------


def _demo_like() -> None:
    """The demo, plus what it lacks: a bilingual text, a formula-like text, a joint UPR
    recommendation concerning two States, a second recommendation of one paragraph."""
    load_demo()
    upr = f.document("A/HRC/46/12", "UPR", date=date(2021, 1, 5), title="Report of the "
                     "Working Group", upr_cycle=3, session="36")
    rec = f.recommendation(upr, paragraph="81.7", text="Adopt a law on defenders",
                           versions={"es": "Adoptar una ley sobre personas defensoras"},
                           upr_position=UprPosition.SUPPORTED_NOTED)
    rec.recommending_states = [f.country("ES"), f.country("NO")]
    rec.states_concerned = [f.country("HN"), f.country("GT")]
    rec.terms = [f.term("sdg", "sdg_16"), *db.session.scalars(
        select(Term).join(Vocabulary).where(Vocabulary.code == "themes").limit(2))]
    f.recommendation(upr, paragraph="81.8", text="=SUM(A1) is not a formula",
                     reference="A/HRC/46/12 ¶81.8")
    f.recommendation(upr, paragraph="81.8", text="- Train judges",
                     reference="A/HRC/46/12 ¶81.8 (2)")
    db.session.flush()


def _snapshot() -> dict[str, tuple]:
    """Each recommendation as the round trip must keep it, by reference."""
    found = {}
    for rec in db.session.scalars(select(Recommendation)):
        found[rec.reference] = (
            rec.document.symbol, rec.document.date, rec.mechanism.code, rec.paragraph,
            rec.type, rec.upr_position, rec.language,
            {t.language: t.text for t in rec.texts},
            {t.language: t.annotation_id for t in rec.texts},
            sorted(c.iso2 for c in rec.recommending_states),
            sorted(c.iso2 for c in rec.states_concerned),
            sorted((t.vocabulary.code, t.code) for t in rec.terms),
        )
    return found


def test_the_csv_imports_back_as_the_same_records(client, session, app, tmp_path):
    _demo_like()
    expected = _snapshot()
    data = download(client, "/recommendations.csv").data

    with scratch_database(tmp_path, "open_data_round_trip") as (url, options):
        config = {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options}
        with another_app(app, config) as empty, empty.app_context():
            upgrade()
            seed_reference_data()
            result = import_records(read_tracker_csv(data, "recomendaciones.csv"),
                                    publish=True)
            imported = _snapshot()
            db.session.rollback()
            db.session.remove()

    assert result.errors == [] and result.labels_queued == []
    assert result.created == len(expected)
    assert imported == expected


def test_one_address_downloading_without_pause_is_asked_to_wait(client):
    from tracker.web.open_data import DOWNLOADS_PER_HOUR

    for _ in range(DOWNLOADS_PER_HOUR):
        assert client.get("/recommendations.json?status=implemented").status_code == 200

    refused = client.get("/recommendations.csv")

    assert refused.status_code == 429
    assert "Demasiadas solicitudes" in refused.get_data(as_text=True)
