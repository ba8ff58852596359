"""The API's bulk download: every published recommendation as gzipped JSON Lines, per language,
rebuilt when the public data changes and only then."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.api_contract import assert_conforms, openapi_document
from tests.conftest import choose_language
from tracker.models import BulkFile, ImplementationStatus, Recommendation, StoredFile
from tracker.services import bulk_data
from tracker.services.demo import load_demo
from tracker.tasks import rebuild_bulk_data
from tracker.web.api.recommendations import public_record

BULK = "/api/v1/bulk"
FILE = "/api/v1/bulk/recommendations.jsonl.gz"


def describe(client) -> dict:
    response = client.get(BULK)
    assert_conforms(client, response, BULK)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def download(client, lang: str, **headers):
    response = client.get(f"{FILE}?lang={lang}", headers=headers)
    if response.status_code != 200:  # the file itself is no JSON: the tests read it
        assert_conforms(client, response, FILE)
    return response


def lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(data).splitlines()]


def published_ids(session) -> list[int]:
    return list(session.scalars(select(Recommendation.id).where(
        Recommendation.is_published.is_(True)).order_by(Recommendation.id)))


@pytest.fixture
def small(session):
    """Three published recommendations and one that is not."""
    doc = f.document()
    recs = [f.recommendation(doc, versions={"es": f"Texto {n}"}) for n in range(3)]
    f.recommendation(doc, is_published=False)
    session.commit()
    return recs


def test_each_line_is_the_api_record_of_a_published_recommendation(client, session):
    load_demo()
    for rec in session.scalars(select(Recommendation).order_by(Recommendation.id).limit(3)):
        rec.is_published = False
    session.commit()
    published = published_ids(session)
    assert session.scalar(select(func.count(Recommendation.id))) == len(published) + 3

    assert rebuild_bulk_data.delay().get() == 2
    about = describe(client)

    assert [file["language"] for file in about["files"]] == ["es", "en"]
    for file in about["files"]:
        response = download(client, file["language"])
        assert response.status_code == 200
        assert response.mimetype == "application/gzip"
        assert "Content-Encoding" not in response.headers
        digest = hashlib.sha256(response.data).digest()
        assert file["sha256"] == digest.hex()
        assert response.headers["ETag"] == f'"{digest.hex()}"'
        assert response.headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"
        assert file["bytes"] == len(response.data) == int(response.headers["Content-Length"])
        records = lines(response.data)
        assert file["rows"] == len(records)
        assert [record["id"] for record in records] == published
        # Every line of one file; a sample of the other (the same records, other labels).
        for record in records if file["language"] == "es" else records[::10]:
            detail = client.get(f"/api/v1/recommendations/{record['id']}?lang={file['language']}")
            assert record == detail.get_json()


def test_the_data_is_built_again_only_after_a_committed_change(client, session, small):
    first = bulk_data.rebuild()
    session.commit()
    old_stored = {file.stored_file_id for file in first}
    etag = download(client, "en").headers["ETag"]

    assert bulk_data.rebuild() == []
    assert {file.id for file in bulk_data.latest_files()} == {file.id for file in first}

    small[0].status = ImplementationStatus.IN_PROGRESS
    session.commit()
    second = bulk_data.rebuild()
    session.commit()

    assert [file.language for file in second] == ["es", "en"]
    assert set(session.scalars(select(BulkFile.id))) == {file.id for file in second}
    assert not session.scalars(select(StoredFile).where(StoredFile.id.in_(old_stored))).all()
    response = download(client, "en", **{"If-None-Match": etag})
    assert response.status_code == 200
    assert lines(response.data)[0]["status"]["code"] == "in_progress"
    assert describe(client)["data_versions"] == second[0].data_versions


def test_the_download_answers_304_to_the_checksum_it_was_given(client, session, small):
    bulk_data.rebuild()
    session.commit()
    etag = download(client, "es").headers["ETag"]

    response = download(client, "es", **{"If-None-Match": etag})

    assert response.status_code == 304
    assert not response.data
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"].startswith("public")


def test_the_language_follows_the_request(client, session, small):
    bulk_data.rebuild()
    session.commit()

    spanish = lines(download(client, "es").data)[0]
    english = client.get(FILE, headers={"Accept-Language": "en"})

    assert spanish["status"]["label"] == "Sin información"
    assert lines(english.data)[0]["status"]["label"] == "No information"
    assert english.headers["Content-Language"] == "en"


def test_before_the_first_build_there_is_a_problem_not_a_file(client, session, small):
    for url in (BULK, FILE):
        response = client.get(url)
        assert_conforms(client, response, url)
        assert response.status_code == 404
        assert response.get_json()["code"] == "bulk-not-built"


def test_the_writer_reads_the_recommendations_a_batch_at_a_time(app, session, small,
                                                               count_queries):
    f.recommendation(f.document())
    f.recommendation(f.document())
    session.commit()  # five published now

    with count_queries() as statements:
        rows = bulk_data.write_lines(io.BytesIO(), "es", public_record, batch_size=2)

    batches = [s for s in statements if s.lstrip().startswith("SELECT recommendation.id")
               and "LIMIT" in s]
    assert rows == 5
    # Three batches of at most two, and the empty one that ends the walk.
    assert len(batches) == 4


def test_the_command_builds_then_finds_nothing_to_do(runner, session, small):
    built = runner.invoke(args=["api", "bulk"])
    again = runner.invoke(args=["api", "bulk"])

    assert built.exit_code == 0, built.output
    assert "3 recommendation(s)" in built.output
    assert again.exit_code == 0
    assert "has not changed since the last build" in again.output


def test_the_open_data_page_links_the_files_with_date_size_and_checksum(client, session, small):
    empty = client.get("/open-data").get_data(as_text=True)
    assert "El archivo se está preparando" in empty

    files = bulk_data.rebuild()
    session.commit()
    choose_language(client, "en")
    page = client.get("/open-data").get_data(as_text=True)

    assert "The whole data set in one file" in page
    for file in files:
        assert f"{FILE}?lang={file.language}" in page
        assert file.stored_file.sha256 in page
    assert "3 recommendations" in page


def test_the_openapi_document_describes_the_download(client, app):
    document = openapi_document(client)

    answer = document["paths"][FILE]["get"]["responses"]["200"]
    assert "application/gzip" in answer["content"]
    assert {"ETag", "Repr-Digest"} <= set(answer["headers"])
    assert "RecommendationOut" in document["components"]["schemas"]
    schedule = app.extensions["celery"].conf.beat_schedule["bulk-data"]
    assert schedule["task"] == rebuild_bulk_data.name
    assert schedule["schedule"] == app.config["BULK_DATA_EVERY_MINUTES"] * 60
