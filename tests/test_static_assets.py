"""Static files under fingerprinted names with a year-long cache, and compressed answers."""

from __future__ import annotations

import gzip
import json
import os
import re

import brotli
import pytest

from tests import factories
from tracker.models import Role
from tracker.web.assets import FINGERPRINTED, AssetFolder

YEAR_LONG = "public, max-age=31536000, immutable"
STATIC_LINK = re.compile(r'(?:href|src)="(/(?:bootstrap/)?static/[^"]+)"')


def _static_links(page: str) -> list[str]:
    links = STATIC_LINK.findall(page)
    assert links, "the page links no static file"
    return links


def _filename(url: str) -> str:
    return url.split("/static/", 1)[1]


def test_every_static_link_of_the_public_pages_is_fingerprinted_and_kept_a_year(client):
    links = set()
    for path in ("/", "/recommendations", "/open-data", "/login"):
        links.update(_static_links(client.get(path).get_data(as_text=True)))
    # Bootstrap's own files come through Bootstrap-Flask's links, ours through url_for.
    assert any("bootstrap.min" in link and link.endswith(".css") for link in links)
    assert any("bootstrap.min" in link and link.endswith(".js") for link in links)
    assert any(link.startswith("/static/css/app.") for link in links)
    for link in links:
        assert FINGERPRINTED.match(_filename(link)), link
        response = client.get(link)
        assert response.status_code == 200, link
        assert response.headers["Cache-Control"] == YEAR_LONG, link
        assert "Set-Cookie" not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_of_signed_in_staff_link_their_scripts_fingerprinted(client, session):
    factories.sign_in(client, factories.user(Role.REVIEWER))
    page = client.get("/review/exports").get_data(as_text=True)
    scripts = [link for link in _static_links(page) if "/js/" in link]
    assert any(link.startswith("/static/js/exports.") for link in scripts)
    for link in scripts:
        assert FINGERPRINTED.match(_filename(link)), link
        served = client.get(link)
        # The file is public: a signed-in visitor's copy may be cached like anyone's.
        assert served.headers["Cache-Control"] == YEAR_LONG
        assert "Cookie" not in served.headers.get("Vary", "")


def test_text_assets_come_gzipped_or_in_brotli_when_asked_and_plain_otherwise(client):
    page = client.get("/").get_data(as_text=True)
    css = next(link for link in _static_links(page) if "bootstrap.min" in link
               and link.endswith(".css"))
    plain = client.get(css)
    assert "Content-Encoding" not in plain.headers
    assert b"Bootstrap" in plain.data[:200]
    zipped = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert len(zipped.data) < len(plain.data) / 4
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["Cache-Control"] == YEAR_LONG
    both = client.get(css, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert both.headers["Content-Encoding"] == "br"
    assert brotli.decompress(both.data) == plain.data
    refused = client.get(css, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers and refused.data == plain.data


def test_a_stale_or_missing_fingerprint_does_not_get_the_long_cache(client):
    page = client.get("/").get_data(as_text=True)
    link = next(link for link in _static_links(page) if link.startswith("/static/css/app."))
    current = FINGERPRINTED.match(_filename(link))["digest"]
    stale = link.replace(current, "0" * len(current) if current != "0" * len(current)
                         else "1" * len(current))
    for url in (stale, "/static/css/app.css"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.data == client.get(link).data
        assert "immutable" not in response.headers["Cache-Control"]
        assert "no-cache" in response.headers["Cache-Control"]
    assert client.get("/static/css/none.0123456789ab.css").status_code == 404
    for bad in ("/static/../tracker/config.py", "/static/%00", "/bootstrap/static/css/%00.css"):
        assert client.get(bad).status_code == 404, bad


def test_a_file_that_changes_gets_a_new_name(tmp_path):
    (tmp_path / "site.css").write_text("body { color: black; }\n" * 40)
    folder = AssetFolder(str(tmp_path))
    before = folder.fingerprinted("site.css")
    (tmp_path / "site.css").write_text("body { color: navy; }\n" * 40)
    stat = os.stat(tmp_path / "site.css")
    os.utime(tmp_path / "site.css", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    after = folder.fingerprinted("site.css")
    assert before != after and FINGERPRINTED.match(after)
    asset, current = folder.resolve(after)
    assert current and b"navy" in asset.bodies["identity"]
    asset, current = folder.resolve(before)
    assert not current and b"navy" in asset.bodies["identity"]
    assert folder.fingerprinted("missing.css") == "missing.css"


@pytest.mark.parametrize("path", ["/", "/recommendations", "/open-data"])
def test_pages_are_compressed_only_for_a_browser_that_asks(client, path):
    plain = client.get(path)
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data).decode() == plain.get_data(as_text=True)
    # Security headers stay on the compressed answer.
    assert zipped.headers["Content-Security-Policy"] == plain.headers["Content-Security-Policy"]


def test_a_download_stays_streamed_and_uncompressed(client, session):
    reviewer = factories.user(Role.REVIEWER)
    job = factories.import_job(reviewer)
    assert job.report_file_id is not None
    factories.sign_in(client, reviewer)
    response = client.get(f"/files/imports/{job.id}/report",
                          headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.is_streamed
    assert "Content-Encoding" not in response.headers
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert json.loads(response.data)["rows"] == job.total_rows


def test_the_liveness_endpoint_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert response.headers["Cache-Control"] == "no-store"
