"""Markdown written by users, rendered to HTML that can be shown safely.

markdown-it-py renders with raw HTML turned off (typed HTML shows as text), and nh3
then keeps only a conservative set of tags, attributes and link schemes, whatever
the renderer produced.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from tracker.urls import split_url

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "hr",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"},
                      **{f"h{n}": {"class"} for n in range(3, 7)}}
# A user's headings are styled small: they sit inside the page's own sections.
HEADING_CLASS = "h6"
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Page headings are h1/h2; a user's "# Title" becomes h3 so it never competes with them.
HEADING_SHIFT = 2

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable("table")


def _safe_link(value: str) -> str | None:
    """Keep absolute http, https and mailto addresses; drop anything else."""
    value = value.strip()
    if any(ord(ch) < 33 for ch in value):
        return None
    parts = split_url(value)
    if parts is None:
        return None
    scheme = parts.scheme.lower()
    if scheme not in LINK_SCHEMES:
        return None
    if scheme in ("http", "https") and not parts.netloc:
        return None
    return value


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return _safe_link(value)
    if tag == "ol" and attribute == "start":
        return value if value.isdigit() and len(value) < 7 else None
    if attribute == "class":
        return value if value == HEADING_CLASS else None
    return value


def sanitize_html(html: str) -> str:
    """Keep only the allowed tags, attributes and link schemes of an HTML fragment."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(LINK_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
        attribute_filter=_filter_attribute,
    )


def render_markdown(text: str | None) -> Markup:
    """Render user-written Markdown to sanitized HTML, safe to insert in a page."""
    if not text:
        return Markup("")
    tokens = _md.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + HEADING_SHIFT, 6)
            token.tag = f"h{level}"
            if token.type == "heading_open":
                token.attrSet("class", HEADING_CLASS)
    html = _md.renderer.render(tokens, _md.options, {})
    return Markup(sanitize_html(html))  # noqa: S704 - sanitized by nh3 just above
