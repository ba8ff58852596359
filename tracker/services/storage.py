"""Stored files that every web and worker process can read: bytes kept in the database.

Small files (evidence) keep their bytes in one column. Large ones (exports) are written
and read as ordered chunks, so that a 50 MB workbook never sits whole in a process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import BinaryIO

from sqlalchemy import delete, insert, select

from tracker.extensions import db
from tracker.models import StoredFile, StoredFileChunk

CHUNK_SIZE = 1024 * 1024


def store_stream(fp: BinaryIO, filename: str, content_type: str,
                 created_by_id: int | None = None) -> StoredFile:
    """Store a file read from a stream in chunks; flush and return its row."""
    stored = StoredFile(filename=filename, content_type=content_type, size=0, sha256="",
                        created_by_id=created_by_id)
    db.session.add(stored)
    db.session.flush()
    digest, size, seq = hashlib.sha256(), 0, 0
    while chunk := fp.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
        # A core insert: the chunk's bytes are not kept in the session's identity map.
        db.session.execute(insert(StoredFileChunk).values(
            stored_file_id=stored.id, seq=seq, data=chunk))
        seq += 1
    stored.size, stored.sha256 = size, digest.hexdigest()
    db.session.flush()
    return stored


def iter_stored_bytes(stored_file_id: int) -> Iterator[bytes]:
    """Yield a stored file's bytes, a chunk at a time, whichever way it was stored."""
    inline = db.session.execute(
        select(StoredFile.data).where(StoredFile.id == stored_file_id)).scalar_one_or_none()
    if inline is not None:
        yield inline
        return
    seq = -1
    while True:
        # One chunk per query, in order: only one chunk is ever in memory.
        row = db.session.execute(
            select(StoredFileChunk.seq, StoredFileChunk.data)
            .where(StoredFileChunk.stored_file_id == stored_file_id,
                   StoredFileChunk.seq > seq)
            .order_by(StoredFileChunk.seq).limit(1)).first()
        if row is None:
            return
        seq = row.seq
        yield row.data


def delete_stored_file(stored_file_id: int) -> None:
    """Delete a stored file and its chunks."""
    db.session.execute(delete(StoredFileChunk)
                       .where(StoredFileChunk.stored_file_id == stored_file_id))
    db.session.execute(delete(StoredFile).where(StoredFile.id == stored_file_id))
