"""`tracker backup` and `tracker restore`: the whole database, files and audit trail, back.

A database filled with the demo set (reports in every state, evidence, office actions,
assessments, audit events) plus what the demo lacks (a chunked file, a notification, a
term merged into a later one, JSON nulls, unicode) is backed up and restored into an empty
database of the suite's kind.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import JSON, Text, cast, func, select, text, update

from tests import factories
from tests.conftest import scratch_database
from tracker import create_app
from tracker.audit import acting_as
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    Institution,
    ReportJob,
    ReportTransition,
    StoredFile,
    User,
)
from tracker.services.storage import CHUNK_SIZE, iter_stored_bytes, store_stream

BIG_FILE = bytes(range(256)) * (CHUNK_SIZE // 128) + "fin ✓".encode()  # 2 MiB and a tail


def _app(url: str, options: dict):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                       "SQLALCHEMY_ENGINE_OPTIONS": options})


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _fill(app) -> None:
    """Load the demo set and what it lacks, committed."""
    from tracker.models import ReportFormat, ReportKind
    from tracker.services.demo import load_demo

    with app.app_context(), acting_as(None, "test:backup"):
        upgrade()
        load_demo()
        parent = factories.institution("PARENT", name_es="Secretaría de Niñez 👧",
                                       name_en="Childhood ‫مكتب‬ office")
        factories.institution("CHILD", parent=parent)
        vocab = factories.vocabulary()
        older = factories.make_term(vocab)
        older.merged_into_id = factories.make_term(vocab).id  # a row inserted after it
        big = store_stream(io.BytesIO(BIG_FILE), "matriz.xlsx", "application/octet-stream")
        db.session.add(ReportJob(kind=ReportKind.STATUS_MATRIX, format=ReportFormat.XLSX,
                                 stored_file_id=big.id, filters={"año": [2024, None]}))
        reviewer = db.session.scalars(select(User).order_by(User.id)).first()
        factories.notification(reviewer, subject="Informe «aprobado»")
        db.session.flush()
        # A snapshot that is SQL NULL and one that is the JSON value null stay apart.
        first, second = db.session.scalars(
            select(ReportTransition.id).order_by(ReportTransition.id).limit(2)).all()
        db.session.execute(update(ReportTransition).where(ReportTransition.id == first)
                           .values(snapshot=None).execution_options(synchronize_session=False))
        db.session.execute(update(ReportTransition).where(ReportTransition.id == second)
                           .values(snapshot=JSON.NULL)
                           .execution_options(synchronize_session=False))
        db.session.commit()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A backup of a filled database, and that database's app."""
    folder = tmp_path_factory.mktemp("backup")
    with scratch_database(folder, "backup_source") as (url, options):
        app = _app(url, options)
        _fill(app)
        result = app.test_cli_runner().invoke(args=["backup", str(folder / "backup.zip")])
        assert result.exit_code == 0, result.output
        assert "Backup written" in result.output
        yield app, folder / "backup.zip"
        _dispose(app)


@pytest.fixture
def target(tmp_path):
    """An app on an empty database, migrated to head."""
    with scratch_database(tmp_path, "backup_target") as (url, options):
        app = _app(url, options)
        with app.app_context():
            upgrade()
        yield app
        _dispose(app)


def _restore(app, path):
    return app.test_cli_runner().invoke(args=["restore", str(path)])


def _rows(app, table) -> list[tuple]:
    """Every row of a table, every column, in key order; JSON columns also as their text."""
    json_texts = [cast(c, Text) for c in table.columns if isinstance(c.type, JSON)]
    with app.app_context():
        rows = db.session.execute(select(table, *json_texts)
                                  .order_by(*table.primary_key.columns)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def _files(app) -> dict[int, bytes]:
    with app.app_context():
        ids = db.session.scalars(select(StoredFile.id)).all()
        files = {i: b"".join(iter_stored_bytes(i)) for i in ids}
        db.session.remove()
    return files


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        counts = {t.name: db.session.scalar(select(func.count()).select_from(t))
                  for t in db.metadata.sorted_tables}
        db.session.remove()
    return counts


def test_restore_brings_back_every_row_file_and_audit_event(archive, target):
    source, path = archive
    result = _restore(target, path)
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output

    for table in db.metadata.sorted_tables:
        assert _rows(target, table) == _rows(source, table), table.name
    files = _files(target)
    assert files == _files(source)
    assert BIG_FILE in files.values()
    with target.app_context():
        for stored in db.session.scalars(select(StoredFile)):
            if stored.filename == "matriz.xlsx":
                assert stored.sha256 == hashlib.sha256(BIG_FILE).hexdigest()
        events = db.session.scalars(select(AuditEvent.id)).all()
    assert len(events) > 100  # the demo's whole trail, each event compared above


def test_a_backup_restores_into_sqlite_whichever_database_it_came_from(archive, tmp_path):
    source, path = archive  # of PostgreSQL when the suite runs on it
    app = _app("sqlite:///" + str(tmp_path / "restored.db"), {})
    with app.app_context():
        upgrade()
    result = _restore(app, path)
    assert result.exit_code == 0, result.output
    for table in db.metadata.sorted_tables:
        assert _rows(app, table) == _rows(source, table), table.name
    assert _files(app) == _files(source)
    _dispose(app)


def test_the_restored_database_takes_new_rows(archive, target):
    source, path = archive
    assert _restore(target, path).exit_code == 0
    with target.app_context():
        highest = db.session.scalar(select(func.max(Institution.id)))
        factories.institution("NEW-AFTER-RESTORE")
        db.session.commit()
        added = db.session.scalar(select(Institution.id).filter_by(acronym="NEW-AFTER-RESTORE"))
    assert added > highest


def test_a_database_that_is_not_empty_is_refused_and_left_alone(archive, target):
    _, path = archive
    with target.app_context():
        factories.user(email="only@example.org")
        db.session.commit()
    before = _row_counts(target)
    result = _restore(target, path)
    assert result.exit_code != 0
    assert "this database is not empty (rows in app_user" in result.output
    assert _row_counts(target) == before


def test_a_database_at_another_revision_is_refused_and_left_alone(archive, tmp_path):
    _, path = archive
    with scratch_database(tmp_path, "backup_old_revision") as (url, options):
        app = _app(url, options)
        with app.app_context():
            config = app.extensions["migrate"].migrate.get_config()
            scripts = ScriptDirectory.from_config(config)
            previous = scripts.get_revision(scripts.get_current_head()).down_revision
            upgrade(revision=previous)
        result = _restore(app, path)
        refused = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "old.zip")])
        with app.app_context():
            left = {name: db.session.scalar(text(f"SELECT count(*) FROM {name}"))  # noqa: S608
                    for name in ("app_user", "recommendation", "audit_event", "stored_file")}
        _dispose(app)
    assert result.exit_code != 0
    assert f"this database is at {previous}" in result.output
    assert f"`tracker db upgrade {scripts.get_current_head()}`" in result.output
    assert not any(left.values())
    # Nor does this version back up a database its models do not describe.
    assert refused.exit_code != 0
    assert "back it up with the version that created it" in refused.output
    assert not (tmp_path / "old.zip").exists()


def test_a_file_that_is_not_a_backup_is_refused(target, tmp_path):
    spreadsheet = tmp_path / "matrix.zip"
    with zipfile.ZipFile(spreadsheet, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a zip")
    for path in (spreadsheet, notes):
        result = _restore(target, path)
        assert result.exit_code != 0
        assert "the archive is damaged or not a tracker backup" in result.output


def test_a_changed_byte_is_refused(archive, target, tmp_path):
    _, path = archive
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        member = zf.getinfo("tables/audit_event.jsonl")
    data[member.header_offset + 100] ^= 0x01  # inside the member's compressed bytes
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    result = _restore(target, damaged)
    assert result.exit_code != 0
    assert "restore refused, nothing saved" in result.output
    assert "damaged" in result.output
    assert not any(count for name, count in _row_counts(target).items()
                   if name != "data_version")


def _edited(path: Path, folder: Path, member: str, change) -> Path:
    """Copy the archive with one member's bytes changed by change(bytes)."""
    edited = folder / "edited.zip"
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(edited, "w") as copy:
        for info in original.infolist():
            content = original.read(info)
            copy.writestr(info, change(content) if info.filename == member else content)
    return edited


def _edit_manifest(change):
    def edit(content: bytes) -> bytes:
        manifest = json.loads(content)
        change(manifest)
        return json.dumps(manifest).encode()
    return edit


def test_an_edited_row_is_refused_by_the_checksum(archive, target, tmp_path):
    _, path = archive
    edited = _edited(path, tmp_path, "tables/institution.jsonl",
                     lambda content: content.replace("Niñez".encode(), b"Ninez"))
    result = _restore(target, edited)
    assert result.exit_code != 0
    assert "table institution in the archive does not match its checksum" in result.output
    assert not any(count for name, count in _row_counts(target).items()
                   if name != "data_version")


@pytest.mark.parametrize(("change", "message"), [
    (lambda m: m.update(format_version=2),
     "backup format 2 is not one this version of the tracker reads"),
    (lambda m: m["files"][-1].update(sha256="0" * 64),
     "does not match its checksum after the restore"),
])
def test_a_manifest_that_does_not_fit_is_refused(archive, target, tmp_path, change, message):
    _, path = archive
    result = _restore(target, _edited(path, tmp_path, "manifest.json", _edit_manifest(change)))
    assert result.exit_code != 0
    assert message in result.output
    assert not any(count for name, count in _row_counts(target).items()
                   if name != "data_version")
