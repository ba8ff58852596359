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


@pytest.mark.parametrize("lang,heading,summaries,descriptions", [
    ("es", "Documentación de la API",
     ["Listar las recomendaciones publicadas", "Escribir un borrador de informe de avance"],
     ["La institución informa cada tantos meses.",
      "Idioma de los nombres y las etiquetas (si no, Accept-Language; si no, español)."]),
    ("en", "API documentation",
     ["List published recommendations", "Write a draft progress report"],
     ["The institution reports every so many months.",
      "Language of names and labels (else Accept-Language, else Spanish)."]),
])
def test_the_docs_page_reads_in_both_languages(client, session, lang, heading, summaries,
                                               descriptions):
    html = page(client, f"/api/v1/docs?lang={lang}")
    assert f'<html lang="{lang}">' in html
    assert f">{heading}</h1>" in html
    # Operations' summaries (the public list's, a focal point's), a field's and a
    # parameter's descriptions.
    for text in (*summaries, *descriptions):
        assert text in html
    for path in ("/api/v1/recommendations", "/api/v1/vocabularies/{vocabulary}/terms"):
        assert f"<code>{path}</code>" in html
    # Code in descriptions (a report's state, say) is shown as code, never as backticks.
    assert "<code>draft</code>" in html and "`draft`" not in html
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


# Texts the API document writes the same in Spanish and in English.
SAME_IN_BOTH = {
    "OK",  # HTTP's word for a successful answer, used as it is in Spanish
}
PROSE = ("summary", "description", "title")


def _texts(es, en, path=()):
    """Every summary, description and title of the two documents, walked side by side:
    (where, Spanish, English). The two must have the same shape."""
    if isinstance(es, dict):
        assert isinstance(en, dict) and list(es) == list(en), path
        for key, value in es.items():
            if key in PROSE and isinstance(value, str):
                yield "/".join(map(str, (*path, key))), value, en[key]
            else:
                yield from _texts(value, en[key], (*path, key))
    elif isinstance(es, list):
        assert isinstance(en, list) and len(es) == len(en), path
        for index, (one, other) in enumerate(zip(es, en, strict=True)):
            yield from _texts(one, other, (*path, index))
    else:
        assert es == en or isinstance(es, str), path


def test_every_text_of_the_document_reads_in_the_request_language(client, session):
    es = client.get("/api/v1/openapi.json?lang=es").get_json()
    en = client.get("/api/v1/openapi.json?lang=en").get_json()

    texts = list(_texts(es, en))
    assert len(texts) > 250
    untranslated = [(where, text) for where, text, english in texts
                    if text == english and re.search(r"[A-Za-z]", text)
                    and text not in SAME_IN_BOTH]
    assert untranslated == []
    # Code spans (field names, values, addresses) are the same in both languages.
    changed = [(where, text, english) for where, text, english in texts
               if re.findall(r"`[^`]*`", text) != re.findall(r"`[^`]*`", english)]
    assert changed == []
    assert es["info"]["title"] == "API de Seguimiento"
    assert es["paths"]["/api/v1/me/assignments"]["get"]["summary"] == (
        "Listar las recomendaciones asignadas a mi institución")


def test_a_cached_document_is_never_served_in_the_other_language(client, session):
    es = client.get("/api/v1/openapi.json", headers={"Accept-Language": "es"})
    en = client.get("/api/v1/openapi.json", headers={"Accept-Language": "en"})
    assert (es.headers["Content-Language"], en.headers["Content-Language"]) == ("es", "en")
    assert "Accept-Language" in es.headers["Vary"]
    assert es.headers["ETag"] != en.headers["ETag"]
    # The English copy's ETag does not pass for the Spanish document.
    again = client.get("/api/v1/openapi.json", headers={
        "Accept-Language": "es", "If-None-Match": en.headers["ETag"]})
    assert again.status_code == 200
    assert again.get_json()["info"]["title"] == "API de Seguimiento"
