"""Recommendation indexes led by the filter column.

With ``(is_published, status)`` SQLite, which keeps no statistics unless ANALYZE runs,
picked that index for every published-only query and read the whole table; the home
page and the list's filter options took seconds at 270,000 rows. Each filter column now
leads its own index with ``is_published`` beside it, which also serves the foreign keys.

Revision ID: d5513034b691
Revises: b482db28cb76
Create Date: 2026-11-28 00:27:24.618454

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5513034b691'
down_revision = 'b482db28cb76'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_mechanism_id'))
        batch_op.drop_index(batch_op.f('ix_recommendation_published_status'))
        batch_op.drop_index(batch_op.f('ix_recommendation_status'))
        batch_op.create_index('ix_recommendation_document_published', ['document_id', 'is_published'], unique=False)
        batch_op.create_index('ix_recommendation_mechanism_published', ['mechanism_id', 'is_published'], unique=False)
        batch_op.create_index('ix_recommendation_status_published', ['status', 'is_published'], unique=False)


def downgrade():
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_index('ix_recommendation_status_published')
        batch_op.drop_index('ix_recommendation_mechanism_published')
        batch_op.drop_index('ix_recommendation_document_published')
        batch_op.create_index(batch_op.f('ix_recommendation_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_recommendation_published_status'), ['is_published', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_recommendation_mechanism_id'), ['mechanism_id'], unique=False)
