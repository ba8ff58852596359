"""Links and attributes in user-written text: only what is safe and meaningful is kept."""

from __future__ import annotations

import pytest

from tracker.services.markdown import render_markdown, sanitize_html


@pytest.mark.parametrize("href", [
    "https://example.org/\x01report",  # a control character hidden in the address
    "http://[::1",  # not an address at all
    "ftp://example.org/report.pdf",  # a scheme a browser should not be sent to
    "http:///report.pdf",  # a web address without a host
])
def test_a_doubtful_link_keeps_its_text_and_loses_its_address(href):
    html = sanitize_html(f'<a href="{href}">the report</a>')
    assert "href" not in html and ">the report</a>" in html


def test_a_sound_link_is_kept_and_marked_as_external():
    html = sanitize_html('<a href="https://www.ohchr.org/en/hr-bodies">OHCHR</a>')
    assert 'href="https://www.ohchr.org/en/hr-bodies"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_list_numbers_are_kept_only_when_they_are_reasonable_numbers():
    assert '<ol start="3">' in render_markdown("3. Third measure")
    assert "start" not in sanitize_html('<ol start="x"><li>a</li></ol>')
    assert "start" not in render_markdown("9999999. A measure")


def test_only_the_heading_style_of_the_page_survives_as_a_class():
    assert render_markdown("# Results").startswith('<h3 class="h6">Results</h3>')
    assert "class" not in sanitize_html('<h3 class="display-1">Results</h3>')
