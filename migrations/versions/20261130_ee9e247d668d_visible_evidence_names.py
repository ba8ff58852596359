"""Evidence names without invisible format characters.

Uploads kept bidirectional overrides and zero-width characters in file names and
labels, so "informe", U+202E, "fdp.exe" was shown as the harmless "informeexe.pdf". New
uploads are cleaned by the evidence service; this cleans what was stored before, in the
same way: format characters removed, control characters turned into spaces, NFC.
The labels inside report snapshots are cleaned too, since the history shows them.

There is no way back to the spoofed names, so the downgrade leaves the data as it is.

Revision ID: ee9e247d668d
Revises: ea9fc02b53cf
Create Date: 2026-11-30 06:50:00.000000

"""
import unicodedata

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'ee9e247d668d'
down_revision = 'ea9fc02b53cf'
branch_labels = None
depends_on = None


def _visible(text):
    # A copy of the service's rule as it stands today: a migration must not change
    # meaning when the application code changes later.
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cf":
            continue
        kept.append(" " if category == "Cc" else ch)
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


def _clean_column(conn, table, column, fallback):
    rows = conn.execute(sa.select(table.c.id, table.c[column])).all()
    for row_id, value in rows:
        if value is None:
            continue
        cleaned = _visible(value) or fallback
        if cleaned != value:
            conn.execute(table.update().where(table.c.id == row_id).values({column: cleaned}))


def upgrade():
    conn = op.get_bind()
    metadata = sa.MetaData()
    stored_file = sa.Table('stored_file', metadata, sa.Column('id', sa.Integer),
                           sa.Column('filename', sa.String))
    evidence = sa.Table('evidence', metadata, sa.Column('id', sa.Integer),
                        sa.Column('label', sa.String))
    transition = sa.Table('report_transition', metadata, sa.Column('id', sa.Integer),
                          sa.Column('snapshot', sa.JSON))
    _clean_column(conn, stored_file, 'filename', 'evidence')
    _clean_column(conn, evidence, 'label', '')
    rows = conn.execute(sa.select(transition.c.id, transition.c.snapshot)
                        .where(transition.c.snapshot.is_not(None))).all()
    for row_id, snapshot in rows:
        items = snapshot.get('evidence') if isinstance(snapshot, dict) else None
        if not items:
            continue
        changed = False
        for item in items:
            label = item.get('label') if isinstance(item, dict) else None
            if isinstance(label, str) and _visible(label) != label:
                item['label'] = _visible(label)
                changed = True
        if changed:
            conn.execute(transition.update().where(transition.c.id == row_id)
                         .values(snapshot=snapshot))


def downgrade():
    pass
