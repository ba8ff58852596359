"""The API's documentation page and its OpenAPI document."""

from __future__ import annotations

import re

import pytest

from tests.test_public import page
from tracker.web.api.problems import PROBLEMS


def test_the_document_is_openapi_31_and_names_every_resource(client, session):
    response = client.get("/api/v1/openapi.json")
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert {"/api/v1/recommendations", "/api/v1/recommendations/{rec_id}",
            "/api/v1/documents", "/api/v1/documents/{document_id}", "/api/v1/mechanisms",
            "/api/v1/institutions", "/api/v1/institutions/{institution_id}",
            "/api/v1/vocabularies", "/api/v1/vocabularies/{vocabulary}/terms",
            "/api/v1/office-actions", "/api/v1/dashboard"} <= set(document["paths"])
    listing = document["paths"]["/api/v1/recommendations"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"q", "sort", "status", "mechanism", "theme", "limit", "cursor", "lang"} <= names
    for status in ("400", "429", "default"):
        answer = listing["responses"][status]
        answer = document["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
        assert list(answer["content"]) == ["application/problem+json"]


@pytest.mark.parametrize("lang,heading,summary", [
    ("es", "Documentación de la API", "Listar las recomendaciones publicadas"),
    ("en", "API documentation", "List published recommendations"),
])
def test_the_docs_page_reads_in_both_languages(client, session, lang, heading, summary):
    html = page(client, f"/api/v1/docs?lang={lang}")
    assert f'<html lang="{lang}">' in html
    assert f">{heading}</h1>" in html
    assert summary in html
    for path in ("/api/v1/recommendations", "/api/v1/vocabularies/{vocabulary}/terms"):
        assert f"<code>{path}</code>" in html
    for code in PROBLEMS:
        assert f'id="problem-{code}"' in html
    assert "curl -H &#39;Accept-Language: " + lang in html
    assert 'href="/api/v1/openapi.json"' in html
    # Every link inside the page leads to a section of it.
    anchors = set(re.findall(r'id="([^"]+)"', html))
    assert set(re.findall(r'href="#([^"]+)"', html)) <= anchors
    # The site's policy forbids inline script.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_the_docs_page_is_linked_from_every_page_and_the_open_data_page(client, session):
    assert 'href="/api/v1/docs"' in page(client, "/")
    assert 'href="/api/v1/docs"' in page(client, "/open-data")
