"""Errors of the API: problem documents in the caller's language, never a server error."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.api_contract import assert_conforms

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "instance"}


def problem(client, url: str, status: int, code: str, method: str = "get", **headers) -> dict:
    response = client.open(url, method=method.upper(), headers=headers)
    assert response.status_code == status, (url, response.status_code, response.data[:300])
    assert response.mimetype == "application/problem+json"
    assert_conforms(client, response, url, method)
    body = response.get_json()
    assert set(body) >= PROBLEM_FIELDS and body["status"] == status and body["code"] == code
    assert body["type"].endswith(f"/api/v1/docs#problem-{code}")
    return body


def test_unknown_parameters_are_refused_by_name(client, session):
    body = problem(client, "/api/v1/recommendations?colour=red&limit=5", 400,
                   "invalid-parameter", **{"Accept-Language": "en"})
    assert body["errors"] == [{"field": "colour", "message": "Unknown parameter."}]
    body = problem(client, "/api/v1/mechanisms?page=2", 400, "invalid-parameter")
    assert [e["field"] for e in body["errors"]] == ["page"]


def test_filter_values_that_name_nothing_are_refused_by_name(client, session):
    f.recommendation()
    body = problem(client, "/api/v1/recommendations?mechanism=987654&state=ZZ", 400,
                   "unknown-filter-value", **{"Accept-Language": "en"})
    assert {(e["field"], e["message"]) for e in body["errors"]} == {
        ("mechanism", "Unknown value: 987654"), ("state", "Unknown value: ZZ")}
    body = problem(client, "/api/v1/recommendations?status=done", 400, "invalid-parameter")
    assert [e["field"] for e in body["errors"]] == ["status"]


def test_problems_speak_the_callers_language(client, session):
    english = problem(client, "/api/v1/recommendations/999999", 404, "not-found",
                      **{"Accept-Language": "en-GB,en;q=0.9"})
    spanish = problem(client, "/api/v1/recommendations/999999", 404, "not-found",
                      **{"Accept-Language": "es"})
    chosen = problem(client, "/api/v1/recommendations/999999?lang=es", 404, "not-found",
                     **{"Accept-Language": "en"})
    assert english["title"] == "Not found"
    assert spanish["title"] == chosen["title"] == "No encontrado"
    assert english["detail"] != spanish["detail"]
    spanish = problem(client, "/api/v1/mechanisms?colour=red", 400, "invalid-parameter")
    assert spanish["errors"][0]["message"] == "Parámetro desconocido."


def test_a_cursor_not_given_by_the_list_is_refused(client, session):
    f.recommendation()
    for cursor in ("nonsense", "eyJhZnRlciI6MX0", "%00abc", "A" * 150, "%ED%A0%80"):
        body = problem(client, f"/api/v1/recommendations?cursor={cursor}", 400,
                       "invalid-cursor")
        assert body["errors"][0]["field"] == "cursor"
    f.recommendation()
    page = client.get("/api/v1/recommendations?limit=1").get_json()
    other_filters = page["next"].replace("limit=1", "limit=1&status=implemented")
    problem(client, other_filters, 400, "invalid-cursor")


@pytest.mark.parametrize("url,status,code", [
    ("/api/v1/recommendations/0", 404, "not-found"),
    ("/api/v1/recommendations/-5", 404, "not-found"),
    ("/api/v1/recommendations/99999999999999999999999", 404, "not-found"),
    ("/api/v1/documents/2147483648", 404, "not-found"),
    ("/api/v1/nothing-here", 404, "not-found"),
    ("/api/v2/recommendations", 404, "not-found"),
    ("/api/v1/recommendations?limit=101", 400, "invalid-parameter"),
    ("/api/v1/recommendations?limit=0", 400, "invalid-parameter"),
    ("/api/v1/recommendations?limit=99999999999999999999999999", 400, "invalid-parameter"),
    ("/api/v1/recommendations?limit=" + "9" * 5000, 400, "invalid-parameter"),
    ("/api/v1/recommendations?mechanism=-1", 400, "invalid-parameter"),
    ("/api/v1/recommendations?mechanism=1.5", 400, "invalid-parameter"),
    ("/api/v1/recommendations?q=" + "x" * 5000, 400, "invalid-parameter"),
    ("/api/v1/recommendations?lang=fr", 400, "invalid-parameter"),
    ("/api/v1/recommendations?sort=%ED%A0%80", 400, "invalid-parameter"),
    ("/api/v1/recommendations?state=%00%00", 400, "invalid-parameter"),
    ("/api/v1/vocabularies/%00/terms", 404, "not-found"),
    ("/api/v1/vocabularies/" + "x" * 3000 + "/terms", 404, "not-found"),
    ("/api/v1/documents?after=0", 400, "invalid-parameter"),
    ("/api/v1/office-actions?after=abc", 400, "invalid-parameter"),
])
def test_odd_input_is_a_problem_never_a_server_error(client, session, url, status, code):
    problem(client, url, status, code)


@pytest.mark.parametrize("query", ["q=%ED%A0%80", "q=a%00b", "q=" + "é" * 900,
                                   "document=%D9%A1%D9%A2"])
def test_odd_text_searches_answer(client, session, query):
    f.recommendation()
    response = client.get(f"/api/v1/recommendations?{query}")
    assert response.status_code in (200, 400)
    assert_conforms(client, response, "/api/v1/recommendations")


def test_write_methods_are_refused_as_problems(client, session):
    for method in ("post", "put", "delete", "patch"):
        body = problem(client, "/api/v1/recommendations", 405, "method-not-allowed", method)
        assert body["detail"]


def test_too_many_requests_say_when_to_come_back(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    remaining = []
    for _ in range(3):
        response = client.get("/api/v1/mechanisms")
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "3"
        remaining.append(int(response.headers["RateLimit-Remaining"]))
        assert 0 <= int(response.headers["RateLimit-Reset"]) <= 60
    assert remaining == [2, 1, 0]
    refused = problem(client, "/api/v1/vocabularies", 429, "too-many-requests")
    assert refused["detail"]
    response = client.get("/api/v1/vocabularies")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # The site's pages are not counted against the API's limit.
    assert client.get("/").status_code == 200


def test_a_server_fault_is_a_problem_document_too(app, client, session, monkeypatch):
    from tracker.web.api import reference

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(reference.institutions, "list_institutions", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    body = problem(client, "/api/v1/institutions?lang=en", 500, "server-error")
    assert body["title"] == "Server error" and "database" not in body["detail"]
