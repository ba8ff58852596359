"""Full-text search: one search document per recommendation, indexed by each database.

``recommendation_search`` holds the document (see ``tracker.text_analysis``). PostgreSQL
indexes it as a stored ``tsvector`` column with a GIN index; SQLite as an FTS5 table over
the documents, kept in step by triggers, with its vocabulary beside it. The documents of
the recommendations already stored are computed in Python, a batch at a time.

Revision ID: 7d2f4c8e1a93
Revises: 5d1e7b3a9c20
Create Date: 2026-11-30 15:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7d2f4c8e1a93'
down_revision = '5d1e7b3a9c20'
branch_labels = None
depends_on = None

BATCH = 2000
SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE recommendation_search_fts USING fts5("
    "document, content='recommendation_search', content_rowid='recommendation_id')",
    "CREATE VIRTUAL TABLE recommendation_search_vocab "
    "USING fts5vocab(recommendation_search_fts, 'row')",
    """CREATE TRIGGER recommendation_search_ai AFTER INSERT ON recommendation_search BEGIN
         INSERT INTO recommendation_search_fts (rowid, document)
         VALUES (new.recommendation_id, new.document);
       END""",
    """CREATE TRIGGER recommendation_search_ad AFTER DELETE ON recommendation_search BEGIN
         INSERT INTO recommendation_search_fts (recommendation_search_fts, rowid, document)
         VALUES ('delete', old.recommendation_id, old.document);
       END""",
    """CREATE TRIGGER recommendation_search_au AFTER UPDATE ON recommendation_search BEGIN
         INSERT INTO recommendation_search_fts (recommendation_search_fts, rowid, document)
         VALUES ('delete', old.recommendation_id, old.document);
         INSERT INTO recommendation_search_fts (rowid, document)
         VALUES (new.recommendation_id, new.document);
       END""",
)


def upgrade():
    op.create_table(
        'recommendation_search',
        sa.Column('recommendation_id', sa.Integer(), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['recommendation_id'], ['recommendation.id'],
                                name=op.f('fk_recommendation_search_recommendation_id_recommendation'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('recommendation_id', name=op.f('pk_recommendation_search')),
    )
    conn = op.get_bind()
    if conn.dialect.name == 'postgresql':
        # Filled first, indexed after: one index build is quicker than 270,000 updates.
        _fill(conn)
        op.execute("ALTER TABLE recommendation_search ADD COLUMN terms tsvector "
                   "GENERATED ALWAYS AS (to_tsvector('simple', document)) STORED")
        op.execute("CREATE INDEX ix_recommendation_search_terms ON recommendation_search "
                   "USING gin (terms)")
    else:
        for statement in SQLITE_INDEX:
            op.execute(statement)
        _fill(conn)


def _fill(conn) -> None:
    """Compute every stored recommendation's document, reading them a batch at a time."""
    from tracker.text_analysis import search_document

    search = sa.table('recommendation_search', sa.column('recommendation_id'),
                      sa.column('document'))
    last = 0
    while True:
        heads = conn.execute(sa.text(
            "SELECT r.id, r.reference, r.paragraph, d.symbol FROM recommendation r "
            "JOIN document d ON d.id = r.document_id WHERE r.id > :last "
            "ORDER BY r.id LIMIT :batch"), {"last": last, "batch": BATCH}).all()
        if not heads:
            return
        last = heads[-1][0]
        texts: dict[int, list[tuple[str, str]]] = {}
        for rec_id, language, text in conn.execute(sa.text(
                "SELECT recommendation_id, language, text FROM recommendation_text "
                "WHERE recommendation_id BETWEEN :first AND :last "
                "ORDER BY recommendation_id, language"),
                {"first": heads[0][0], "last": last}):
            texts.setdefault(rec_id, []).append((language, text))
        conn.execute(search.insert(), [
            {"recommendation_id": rec_id,
             "document": search_document(reference, paragraph, symbol, texts.get(rec_id, ()))}
            for rec_id, reference, paragraph, symbol in heads])


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('recommendation_search_ai', 'recommendation_search_ad',
                     'recommendation_search_au'):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE recommendation_search_vocab")
        op.execute("DROP TABLE recommendation_search_fts")
    op.drop_table('recommendation_search')
