"""The bulk download: every published recommendation as gzipped JSON Lines, per language.

A line is what ``GET /api/v1/recommendations/<id>`` answers the public in the file's
language: the API registers its own serializer under ``RENDERER``, so there is one way
of writing a record. Ids and codes are the same in every language's file; names and
labels are in the file's language.

A rebuild happens only when the data counters moved since the files were built. The
records are read a batch at a time into a gzipped temporary file (never the whole data
set in memory), then stored; the files they replace are deleted in the same transaction,
so there is always a file to download.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from collections.abc import Callable
from datetime import datetime
from typing import IO

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from tracker.extensions import db
from tracker.models import BulkFile, Recommendation, utcnow
from tracker.services import catalogue, data_versions
from tracker.services.notify import absolute_addresses
from tracker.services.storage import delete_stored_file, store_stream

# The app's extension key under which the API registers how it writes one record.
RENDERER = "tracker.bulk_data.renderer"
CONTENT_TYPE = "application/gzip"
BATCH_SIZE = 200

Render = Callable[[Recommendation], dict]


def latest_files() -> list[BulkFile]:
    """Return the newest file of each language, in the languages' configured order."""
    languages = list(current_app.config["LANGUAGES"])
    newest = (select(func.max(BulkFile.id).label("id"))
              .group_by(BulkFile.language).subquery())
    files = db.session.scalars(
        select(BulkFile).join(newest, newest.c.id == BulkFile.id)
        .options(joinedload(BulkFile.stored_file))).all()
    return sorted((f for f in files if f.language in languages),
                  key=lambda f: languages.index(f.language))


def latest_file(language: str) -> BulkFile | None:
    """Return the newest file in this language, or None before the first build."""
    return next((f for f in latest_files() if f.language == language), None)


def _versions() -> dict[str, int]:
    return {kind: data_versions.current(kind)[0] for kind in data_versions.KINDS}


def is_current(files: list[BulkFile], versions: dict[str, int]) -> bool:
    """Whether there is a file in every language, built at these counters."""
    languages = set(current_app.config["LANGUAGES"])
    return {f.language for f in files} >= languages and all(
        f.data_versions == versions for f in files)


def write_lines(handle: IO[bytes], language: str, render: Render,
                batch_size: int = BATCH_SIZE) -> int:
    """Write every published recommendation, gzipped, one JSON line each in id order, in
    ``language``; return how many."""
    rows, after = 0, 0
    # No name and no time in the gzip header: the same data gives the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as packed, \
            force_locale(language), absolute_addresses():
        while batch := catalogue.published_after(after, batch_size):
            for rec in batch:
                line = json.dumps(render(rec), ensure_ascii=False, sort_keys=True,
                                  separators=(",", ":"))
                packed.write(line.encode() + b"\n")
            rows += len(batch)
            after = batch[-1].id
    return rows


def _file_name(language: str, generated_at: datetime) -> str:
    return f"recommendations-{language}-{generated_at:%Y-%m-%d}.jsonl.gz"


def _store(built: list[tuple[str, IO[bytes], int]], versions: dict[str, int],
           generated_at: datetime) -> list[BulkFile]:
    files = []
    for language, handle, rows in built:
        handle.seek(0)
        stored = store_stream(handle, _file_name(language, generated_at), CONTENT_TYPE)
        files.append(BulkFile(language=language, stored_file_id=stored.id, rows=rows,
                              catalogue_version=versions[data_versions.CATALOGUE],
                              activity_version=versions[data_versions.ACTIVITY],
                              generated_at=generated_at))
    db.session.add_all(files)
    db.session.flush()
    return files


def _remove_replaced(files: list[BulkFile]) -> None:
    """Delete the files these replace (and their bytes)."""
    for new in files:
        old = db.session.scalars(select(BulkFile).where(
            BulkFile.language == new.language, BulkFile.id < new.id)).all()
        for replaced in old:
            stored_id = replaced.stored_file_id
            db.session.delete(replaced)
            db.session.flush()
            delete_stored_file(stored_id)


def rebuild() -> list[BulkFile]:
    """Build the files again if the public data changed since they were built; flush.

    Return the new files (none when they were current, or when another build of the same
    data got there first).
    """
    versions = _versions()
    if is_current(latest_files(), versions):
        return []
    render: Render = current_app.extensions[RENDERER]
    generated_at = utcnow()
    handles = []
    try:
        built = []
        for language in current_app.config["LANGUAGES"]:
            handles.append(tempfile.TemporaryFile())  # noqa: SIM115 - closed below
            built.append((language, handles[-1], write_lines(handles[-1], language, render)))
        try:
            with db.session.begin_nested():
                files = _store(built, versions, generated_at)
        except IntegrityError:
            return []
    finally:
        for handle in handles:
            handle.close()
    _remove_replaced(files)
    return files
