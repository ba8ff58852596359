"""The language switch: every page offers it, the choice sticks, and it never leaves the site."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from tests import factories as f


def html_lang(response) -> str:
    return re.search(r'<html lang="([a-z]+)">', response.get_data(as_text=True)).group(1)


def test_spanish_is_the_default(client):
    assert html_lang(client.get("/")) == "es"
    assert html_lang(client.get("/recommendations")) == "es"


def test_switching_to_english_sticks_across_pages(client, session):
    rec = f.recommendation()
    rec.recommending_states.append(f.country("DE"))
    session.flush()

    response = client.get("/language/en?next=/recommendations%3Fstatus%3Dimplemented")
    assert response.status_code == 302
    assert response.headers["Location"] == "/recommendations?status=implemented"

    assert html_lang(client.get("/")) == "en"
    detail = client.get(f"/recommendations/{rec.id}").get_data(as_text=True)
    assert "Germany" in detail and "Alemania" not in detail

    client.get("/language/es?next=/")
    assert html_lang(client.get("/recommendations")) == "es"
    detail = client.get(f"/recommendations/{rec.id}").get_data(as_text=True)
    assert "Alemania" in detail and "Germany" not in detail


def test_lang_in_the_address_is_kept_for_the_following_pages(client):
    assert html_lang(client.get("/recommendations?lang=en")) == "en"
    assert html_lang(client.get("/")) == "en"
    assert html_lang(client.get("/?lang=es")) == "es"
    assert html_lang(client.get("/recommendations")) == "es"


def test_an_unknown_lang_in_the_address_is_ignored(client):
    assert html_lang(client.get("/?lang=fr")) == "es"


def test_every_page_links_to_the_other_language_and_back_to_itself(client):
    page = client.get("/recommendations?status=implemented&lang=es").get_data(as_text=True)
    links = [html_lib.unescape(h) for h in re.findall(r'href="(/language/[^"]+)"', page)]
    assert links == ["/language/en?next=/recommendations?status%3Dimplemented"]
    # Following the link lands on the same list, now in English.
    response = client.get(links[0])
    assert response.headers["Location"] == "/recommendations?status=implemented"
    assert html_lang(client.get(response.headers["Location"])) == "en"


def test_error_pages_carry_the_language_switch(client):
    page = client.get("/no/such/page").get_data(as_text=True)
    assert 'href="/language/en?next=/no/such/page"' in page


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
def test_switch_never_redirects_off_site(client, target):
    from urllib.parse import quote

    response = client.get(f"/language/en?next={quote(target)}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert html_lang(client.get("/")) == "en"  # the choice is still stored


def test_an_unknown_language_is_not_found(client):
    assert client.get("/language/fr?next=/").status_code == 404
    assert html_lang(client.get("/")) == "es"
