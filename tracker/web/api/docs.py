"""The API's documentation: a page of the site, drawn from the generated OpenAPI document."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, render_template, request, url_for
from markupsafe import Markup, escape

from tracker.i18n import current_language
from tracker.urls import API_DOCS_PATH
from tracker.web.api.problems import PROBLEMS

bp = Blueprint("api_manual", __name__)

METHODS = ("get", "post", "put", "patch", "delete")
EXAMPLE_VALUE = re.compile(r"\{(\w+)\}")


@bp.app_template_filter("code_spans")
def code_spans(text) -> Markup:
    """Show a description's `code` (field names, values, paths) as code, the rest as text."""
    parts = str(text or "").split("`")
    if len(parts) % 2 == 0:  # an unmatched backtick: show the text as written
        return escape(text or "")
    return Markup("").join(escape(part) if i % 2 == 0 else Markup("<code>%s</code>") % part
                           for i, part in enumerate(parts))


def openapi_document() -> dict:
    """The OpenAPI document, as /api/v1/openapi.json serves it: its lazy texts written out in
    the request's language, as plain strings the page escapes like any other."""
    api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    return current_app.json.loads(current_app.json.dumps(api.spec.to_dict(), sort_keys=False))


def _resolve(document: dict, node):
    """Follow a $ref to the component it names."""
    while isinstance(node, dict) and "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = document["components"][kind][name]
    return node


def _schema_name(node) -> str | None:
    if isinstance(node, dict) and "$ref" in node:
        return node["$ref"].rsplit("/", 1)[-1]
    return None


def type_of(node) -> tuple[str, str | None]:
    """Name a schema's type for a reader, and the data structure it refers to (if one)."""
    if not isinstance(node, dict):
        return "", None
    if "$ref" in node:
        name = _schema_name(node)
        return name, name
    if node.get("type") == "array" or node.get("type") == ["array"]:
        text, ref = type_of(node.get("items", {}))
        return f"[{text}]", ref
    for combined in ("allOf", "anyOf", "oneOf"):
        for part in node.get(combined, ()):
            text, ref = type_of(part)
            if ref:
                return text, ref
    kind = node.get("type", "")
    if isinstance(kind, list):
        kind = " | ".join(kind)
    if node.get("format"):
        kind = f"{kind} ({node['format']})"
    if node.get("enum"):
        kind = f"{kind}: " + ", ".join(str(v) for v in node["enum"] if v is not None)
    return kind, None


def _operations(document: dict) -> list[dict]:
    """Each operation with its tag, parameters, answers and an example command line."""
    base = request.host_url.rstrip("/")
    found = []
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [_resolve(document, p) for p in (*item.get("parameters", ()),
                                                       *op.get("parameters", ()))]
            responses = []
            for status, answer in op.get("responses", {}).items():
                answer = _resolve(document, answer)
                content = answer.get("content", {})
                media, body = next(iter(content.items()), (None, {}))
                responses.append({"status": status, "description": answer.get("description"),
                                  "media": media, "schema": _schema_name(body.get("schema"))})
            example = EXAMPLE_VALUE.sub(lambda m: "themes" if m[1] == "vocabulary" else "1", path)
            found.append({
                "id": "op-" + op.get("operationId", f"{method}-{path}").replace("/", "-"),
                "tag": (op.get("tags") or ["api"])[0], "method": method.upper(), "path": path,
                "summary": op.get("summary"), "description": op.get("description"),
                "parameters": params, "responses": responses,
                "curl": f"curl -H 'Accept-Language: {current_language()}' '{base}{example}'",
            })
    return found


@bp.get(API_DOCS_PATH)
def page():
    document = openapi_document()
    operations = _operations(document)
    tags = [(t["name"], t.get("description"), [o for o in operations if o["tag"] == t["name"]])
            for t in document.get("tags", [])]
    schemas = document.get("components", {}).get("schemas", {})
    return render_template(
        "api/docs.html", document=document, type_of=type_of, tags=tags, schemas=schemas,
        problems=PROBLEMS,
        openapi_url=url_for("api-docs.openapi_json"))
