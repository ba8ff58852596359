"""A portable archive of the whole database, and its restore into an empty one.

The archive is a zip file: ``manifest.json`` describes it (format, app version, schema
revision, every table's columns, row count and SHA-256, every stored file's SHA-256) and
``tables/<name>.jsonl`` holds one table, a JSON array per row, in foreign-key order. It
does not depend on the database it came from: a backup of SQLite restores into
PostgreSQL and the other way round, at the same schema revision.
"""

from tracker.backup.archive import BackupError
from tracker.backup.dump import write_backup
from tracker.backup.load import restore_backup

__all__ = ["BackupError", "restore_backup", "write_backup"]
