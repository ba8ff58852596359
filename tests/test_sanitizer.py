"""User Markdown renders to HTML with nothing that can run: the classic XSS payloads fail."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from tracker.services.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown

# From the OWASP XSS filter evasion cheat sheet, plus Markdown-specific forms.
PAYLOADS = [
    "<script>alert('XSS')</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert('XSS')>",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<svg/onload=alert('XSS')>",
    "<svg><script>alert(1)</script></svg>",
    "<BODY ONLOAD=alert('XSS')>",
    "<iframe src=\"javascript:alert('XSS');\"></iframe>",
    "<IFRAME SRC=https://evil.example/></IFRAME>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"javascript&#58;alert(1)\">encoded colon</a>",
    "<a href=\"&#x6A;avascript:alert(1)\">hex</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data</a>",
    "<div style=\"width: expression(alert('XSS'));\">style expression</div>",
    "<p style=\"background:url(javascript:alert(1))\">styled</p>",
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</LI></UL>",
    "<LINK REL=\"stylesheet\" HREF=\"javascript:alert('XSS');\">",
    "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert('XSS');\">",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\"><TD onmouseover=alert(1)>x</TD></TABLE>",
    "<object data=\"javascript:alert(1)\"></object><embed src=\"javascript:alert(1)\">",
    "<form action=\"javascript:alert(1)\"><button>go</button></form>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></math>",
    "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
    "[click me](javascript:alert(1))",
    "[click me](JaVaScRiPt:alert(1))",
    "[click me](javascript&#58;alert(1))",
    "[click me](&#x6A;avascript:alert(1))",
    "[click me]( javascript:alert(1) )",
    "[click me](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click me](vbscript:msgbox(1))",
    "![image](javascript:alert(1))",
    "![x](x\" onerror=\"alert(1))",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "[a](https://ok.example \"title\" onmouseover=\"alert(1)\")",
    "`<script>alert(1)</script>` and ```\n<script>alert(1)</script>\n```",
]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _elements(html: str):
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return parser.elements


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_renders_nothing_executable(payload):
    html = str(render_markdown(payload))
    lowered = html.lower()
    assert "<script" not in lowered and "<iframe" not in lowered and "<svg" not in lowered
    assert "<style" not in lowered and "<img" not in lowered and "<object" not in lowered
    for tag, attrs in _elements(html):
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), (name, html)
            assert name != "style", html
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
            if name == "href":
                scheme = urlsplit(value.strip()).scheme.lower()
                assert scheme in ("http", "https", "mailto"), (value, html)


def test_every_payload_was_checked():
    assert len(PAYLOADS) >= 25


def test_ordinary_markdown_keeps_its_formatting_and_safe_links():
    html = str(render_markdown(
        "# Results\n\nWe trained **120** *judges*:\n\n- Tegucigalpa\n- San Pedro Sula\n\n"
        "> quoted\n\nSee [the decree](https://www.example.hn/decreto.pdf \"Decree\") or "
        "[write to us](mailto:enlace@example.hn).\n\n| Year | Cases |\n|---|---|\n| 2024 | 12 |"))
    assert "<h3 class=\"h6\">Results</h3>" in html  # page headings stay the page's own
    assert "<strong>120</strong>" in html and "<em>judges</em>" in html
    assert "<li>Tegucigalpa</li>" in html and "<blockquote>" in html
    assert ('<a href="https://www.example.hn/decreto.pdf" title="Decree" '
            'rel="noopener noreferrer nofollow">the decree</a>') in html
    assert 'href="mailto:enlace@example.hn"' in html
    assert "<table>" in html and "<td>12</td>" in html


def test_relative_and_protocol_relative_links_lose_their_address():
    html = str(render_markdown("[a](/admin) [b](//evil.example/x) [c](https://ok.example/)"))
    hrefs = [attrs.get("href") for tag, attrs in _elements(html) if tag == "a"]
    assert hrefs == [None, None, "https://ok.example/"]


def test_typed_html_is_shown_as_text():
    html = str(render_markdown("Use <b>bold</b> & <i>this</i>"))
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&amp;" in html


def test_empty_text_renders_nothing():
    assert str(render_markdown("")) == "" and str(render_markdown(None)) == ""
