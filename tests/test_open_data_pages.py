"""Open data: the status-change feed, the data dictionary and the licence page."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest

from tests import factories as f
from tests.conftest import choose_language
from tracker.models import ImplementationStatus

S = ImplementationStatus
ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def feed(client, url: str = "/feeds/status-changes.atom") -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.data)  # noqa: S314 - the app's own answer
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{required}") or "").strip(), required
    assert root.find(f"{ATOM}author/{ATOM}name").text.strip()
    assert RFC3339.match(root.findtext(f"{ATOM}updated"))
    for entry in root.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{required}") or "").strip(), required
        assert RFC3339.match(entry.findtext(f"{ATOM}updated"))
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http")
    return root


def entries(root: ET.Element) -> list[tuple[str, str, str]]:
    """(id, title, link) of each entry, in the feed's order."""
    return [(e.findtext(f"{ATOM}id"), e.findtext(f"{ATOM}title"),
             e.find(f"{ATOM}link").get("href")) for e in root.findall(f"{ATOM}entry")]


@pytest.fixture
def assessed(session):
    """Assessments of two published recommendations of two mechanisms, and of an unpublished one."""
    now = datetime.now(UTC)
    cedaw = f.recommendation(f.document("CEDAW/C/HND/CO/9", "CEDAW"), paragraph="12")
    cat = f.recommendation(f.document("CAT/C/HND/CO/2", "CAT"), paragraph="9")
    hidden = f.recommendation(f.document("CAT/C/HND/CO/3", "CAT"), paragraph="1",
                              is_published=False)
    f.assessment(cedaw, S.NOT_STARTED, assessed_at=now - timedelta(days=30))
    f.assessment(cat, S.IN_PROGRESS, assessed_at=now - timedelta(days=20))
    f.assessment(cedaw, S.PARTIALLY_IMPLEMENTED, assessed_at=now - timedelta(days=10),
                 rationale="Una ley aprobada; falta su reglamento.")
    f.assessment(hidden, S.IMPLEMENTED, assessed_at=now - timedelta(days=1))
    return {"cedaw": cedaw, "cat": cat, "hidden": hidden}


def test_the_feed_lists_published_status_changes_newest_first(client, assessed):
    found = entries(feed(client, "/feeds/status-changes.atom?lang=en"))
    assert [title for _id, title, _link in found] == [
        "CEDAW/C/HND/CO/9 ¶12: from “Not started” to “Partially implemented”",
        "CAT/C/HND/CO/2 ¶9: first assessed “In progress”",
        "CEDAW/C/HND/CO/9 ¶12: first assessed “Not started”",
    ]
    assert found[0][2] == f"http://tracker.test/recommendations/{assessed['cedaw'].id}"
    assert all(entry_id.startswith("tag:tracker.test,") for entry_id, _t, _l in found)
    assert len({entry_id for entry_id, _t, _l in found}) == 3
    # Ids do not change from one reading, or one language, to the next.
    again = entries(feed(client, "/feeds/status-changes.atom?lang=es"))
    assert [e[0] for e in again] == [e[0] for e in found]
    assert again[0][1] == ("CEDAW/C/HND/CO/9 ¶12: de “No iniciada” a “Parcialmente cumplida”")


def test_the_feed_follows_the_list_filters(client, assessed):
    cat = f.mechanism("CAT")
    found = entries(feed(client, f"/feeds/status-changes.atom?mechanism={cat.id}&lang=en"))
    assert [title for _i, title, _l in found] == ["CAT/C/HND/CO/2 ¶9: first assessed “In progress”"]
    searched = entries(feed(client, "/feeds/status-changes.atom?q=CEDAW/C/HND/CO/9"))
    assert {link for _i, _t, link in searched} == {
        f"http://tracker.test/recommendations/{assessed['cedaw'].id}"}
    assert entries(feed(client, "/feeds/status-changes.atom?q=nothing+at+all")) == []


@pytest.mark.parametrize("query", ["mechanism=9223372036854775808", "status=%00",
                                   "theme=abc", "q=" + "ñ" * 400, "lang=zz"])
def test_odd_feed_arguments_still_give_a_valid_feed(client, assessed, query):
    feed(client, f"/feeds/status-changes.atom?{query}")


def test_the_list_page_announces_and_links_the_feed(client, assessed):
    cat = f.mechanism("CAT")
    html = page(client, f"/recommendations?mechanism={cat.id}")
    assert re.search(r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" '
                     rf'href="/feeds/status-changes.atom\?mechanism={cat.id}">', html)
    assert f'href="/feeds/status-changes.atom?mechanism={cat.id}"' in html.split("<main", 1)[1]


def _csv_header(client) -> list[str]:
    response = client.get("/recommendations.csv")
    header = next(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    response.close()
    return header


@pytest.mark.parametrize(("lang", "words"), [
    ("es", ("Diccionario de datos", "Parcialmente cumplida", "Preocupación / observación",
            "Aceptada")),
    ("en", ("Data dictionary", "Partially implemented", "Concern / observation", "Supported")),
])
def test_the_dictionary_describes_every_column_of_the_downloads(client, session, lang, words):
    choose_language(client, lang)
    html = page(client, "/open-data/dictionary")
    for column in _csv_header(client):
        assert f'id="column-{column}"' in html, column
    for word in words:
        assert word in html
    assert "<caption" in html and 'scope="col"' in html


@pytest.mark.parametrize(("lang", "words"), [
    ("es", ("Licencia y créditos", "CC BY 4.0", "Índice Universal de Derechos Humanos",
            "UPR Info", "AGPL-3.0-or-later", "Cómo citar")),
    ("en", ("Licence and credits", "CC BY 4.0", "Universal Human Rights Index", "UPR Info",
            "AGPL-3.0-or-later", "How to cite")),
])
def test_the_licence_page_names_the_licences_the_sources_and_how_to_cite(client, session,
                                                                        lang, words):
    choose_language(client, lang)
    html = page(client, "/open-data/licence")
    for word in words:
        assert word in html
    assert str(date.today().year) in html  # the citation's date of download


def test_the_footer_and_the_open_data_page_link_the_new_pages(client, session):
    home = page(client, "/")
    assert 'href="/open-data/licence"' in home.split("<footer", 1)[1]
    open_data = page(client, "/open-data")
    for target in ("/open-data/licence", "/open-data/dictionary",
                   "/feeds/status-changes.atom", "/recommendations"):
        assert f'href="{target}"' in open_data
