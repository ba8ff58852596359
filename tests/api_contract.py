"""Check API answers against the OpenAPI document the application itself serves."""

from __future__ import annotations

import re

from openapi_schema_validator import OAS31Validator

_DOCUMENTS: dict[int, dict] = {}


def openapi_document(client) -> dict:
    app = client.application
    if id(app) not in _DOCUMENTS:
        response = client.get("/api/v1/openapi.json")
        assert response.status_code == 200
        _DOCUMENTS[id(app)] = response.get_json()
    return _DOCUMENTS[id(app)]


def _operation(document: dict, path: str, method: str) -> dict | None:
    for template, item in document["paths"].items():
        pattern = "^" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method in item:
            return item[method]
    return None


def assert_conforms(client, response, path: str, method: str = "get") -> None:
    """Fail unless the answer is one the document describes: status, media type, body."""
    document = openapi_document(client)
    path = path.split("?", 1)[0]
    operation = _operation(document, path, method)
    if operation is None:
        # No such operation: only an error is allowed, as a problem document.
        assert response.status_code >= 400, (path, response.status_code)
        assert response.mimetype == "application/problem+json"
        return
    answers = operation["responses"]
    answer = answers.get(str(response.status_code)) or answers.get("default")
    assert answer is not None, f"{method.upper()} {path}: {response.status_code} undocumented"
    while "$ref" in answer:
        answer = document["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
    if response.status_code in (204, 304):
        assert not response.data
        return
    content = answer.get("content", {})
    assert response.mimetype in content, (path, response.mimetype, list(content))
    schema = {**content[response.mimetype]["schema"], "components": document["components"]}
    OAS31Validator(schema, format_checker=OAS31Validator.FORMAT_CHECKER).validate(
        response.get_json(force=True))


def token_only_routes(client) -> set[str]:
    """The "METHOD endpoint" of every API operation the document reserves to tokens."""
    document = openapi_document(client)
    found = set()
    for rule in client.application.url_map.iter_rules():
        template = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = document["paths"].get(template, {}).get(method.lower())
            if operation is not None and "security" in operation:
                found.add(f"{method} {rule.endpoint}")
    return found
