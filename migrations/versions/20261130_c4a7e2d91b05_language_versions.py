"""A recommendation's text in every language: one record, several language versions.

Each recommendation gets the version of its original text (with the UHRI annotation id it
was imported under) and, when staff had typed a translation, the version in the other
language. The translation and annotation columns of the recommendation go.

Earlier imports made a second record ("¶82.2 (2)") when the same paragraph arrived in
another language. Such a record is folded into the first as its language version when
nothing else hangs on it (no assignment, report, assessment or office action) and the
first has no text in its language yet; its States and classification join the first's.
Any other look-alike stays as it is: it may be a recommendation of its own.

Revision ID: c4a7e2d91b05
Revises: 8b3f5d0c2a61
Create Date: 2026-11-30 12:30:00.000000

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4a7e2d91b05'
down_revision = '8b3f5d0c2a61'
branch_labels = None
depends_on = None

SOURCES = ('uhri', 'upr_info', 'file', 'staff')
# Link tables whose rows a folded record hands over to the record it joins.
MERGED_LINKS = (('recommendation_term', 'term_id'), ('recommendation_state', 'country_id'),
                ('recommendation_concerned_state', 'country_id'),
                ('pending_label_link', 'pending_label_id'))
ORDINAL = re.compile(r"^(?P<base>.+) \((?P<n>\d+)\)$")


def upgrade():
    op.create_table(
        'recommendation_text',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recommendation_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('source', sa.Enum(*SOURCES, name='text_source', native_enum=False,
                                    create_constraint=True, length=8), nullable=False),
        sa.Column('annotation_id', sa.String(length=64), nullable=True),
        sa.Column('source_file', sa.String(length=255), nullable=True),
        sa.Column('source_row', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['recommendation_id'], ['recommendation.id'],
                                name=op.f('fk_recommendation_text_recommendation_id_recommendation'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation_text')),
        sa.UniqueConstraint('annotation_id', name=op.f('uq_recommendation_text_annotation_id')),
        sa.UniqueConstraint('recommendation_id', 'language',
                            name=op.f('uq_recommendation_text_recommendation_id_language')),
    )
    op.execute("""
        INSERT INTO recommendation_text (recommendation_id, language, text, source,
                                         annotation_id, updated_at)
        SELECT id, language, text,
               CASE WHEN uhri_annotation_id IS NULL THEN 'file' ELSE 'uhri' END,
               uhri_annotation_id, updated_at
        FROM recommendation""")
    # The translation had no language of its own: it was the other of the two.
    op.execute("""
        INSERT INTO recommendation_text (recommendation_id, language, text, source, updated_at)
        SELECT id, CASE WHEN language = 'es' THEN 'en' ELSE 'es' END, translation, 'staff',
               updated_at
        FROM recommendation
        WHERE translation IS NOT NULL AND TRIM(translation) <> ''""")
    conn = op.get_bind()
    _rename_curated_translation(conn)
    _fold_language_twins(conn)
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_column('translation')
        batch_op.drop_constraint('uq_recommendation_uhri_annotation_id', type_='unique')
        batch_op.drop_column('uhri_annotation_id')


def _rename_curated_translation(conn) -> None:
    """A curated translation is now the curated text of its language ("text_es")."""
    recs = sa.table("recommendation", sa.column("id"), sa.column("language"),
                    sa.column("curated_fields", sa.JSON))
    rows = conn.execute(sa.select(recs.c.id, recs.c.language, recs.c.curated_fields).where(
        sa.cast(recs.c.curated_fields, sa.Text).like('%translation%'))).all()
    for rec_id, language, curated in rows:
        other = 'en' if language == 'es' else 'es'
        fields = sorted({f'text_{other}' if f == 'translation' else f for f in curated})
        conn.execute(recs.update().where(recs.c.id == rec_id).values(curated_fields=fields))


def _fold_language_twins(conn) -> None:
    """Fold each "(n)" record that is only another language's copy into its first record."""
    refs = dict(conn.execute(sa.text("SELECT reference, id FROM recommendation")).all())
    langs: dict[int, set[str]] = {}
    for rec_id, language in conn.execute(sa.text(
            "SELECT recommendation_id, language FROM recommendation_text")).all():
        langs.setdefault(rec_id, set()).add(language)
    busy = _records_with_follow_up(conn)
    for reference, twin_id in sorted(refs.items()):
        found = ORDINAL.match(reference)
        first_id = refs.get(found.group('base')) if found else None
        if first_id is None or twin_id in busy or len(langs.get(twin_id, ())) != 1:
            continue
        (language,) = langs[twin_id]
        if language in langs.get(first_id, set()):
            continue
        conn.execute(sa.text(
            "UPDATE recommendation_text SET recommendation_id = :first "
            "WHERE recommendation_id = :twin"), {"first": first_id, "twin": twin_id})
        for table, column in MERGED_LINKS:
            conn.execute(sa.text(
                f"INSERT INTO {table} (recommendation_id, {column}) "  # noqa: S608
                f"SELECT :first, {column} FROM {table} t WHERE t.recommendation_id = :twin "
                f"AND {column} NOT IN (SELECT {column} FROM {table} "
                f"WHERE recommendation_id = :first)"), {"first": first_id, "twin": twin_id})
            # Explicitly: SQLite runs migrations with its foreign keys (and cascades) off.
            conn.execute(sa.text(f"DELETE FROM {table} WHERE recommendation_id = :twin"),  # noqa: S608
                         {"twin": twin_id})
        conn.execute(sa.text("DELETE FROM recommendation WHERE id = :twin"), {"twin": twin_id})
        langs[first_id] = langs.get(first_id, set()) | {language}


def _records_with_follow_up(conn) -> set[int]:
    """The recommendations that something besides their text and links hangs on."""
    busy: set[int] = set()
    for table in ('assignment', 'status_assessment', 'report_recommendation',
                  'office_action_recommendation'):
        if sa.inspect(conn).has_table(table):
            busy |= set(conn.execute(sa.text(
                f"SELECT recommendation_id FROM {table}")).scalars())  # noqa: S608
    busy |= set(conn.execute(sa.text(
        "SELECT id FROM recommendation WHERE status <> 'no_information' OR follow_up "
        "OR CAST(curated_fields AS TEXT) <> '[]'")).scalars())
    return busy


def downgrade():
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translation', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('uhri_annotation_id', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_recommendation_uhri_annotation_id',
                                          ['uhri_annotation_id'])
    op.execute("""
        UPDATE recommendation SET
          uhri_annotation_id = (SELECT t.annotation_id FROM recommendation_text t
                                WHERE t.recommendation_id = recommendation.id
                                  AND t.language = recommendation.language),
          translation = (SELECT t.text FROM recommendation_text t
                         WHERE t.recommendation_id = recommendation.id
                           AND t.language <> recommendation.language
                         ORDER BY t.language LIMIT 1)""")
    op.drop_table('recommendation_text')
