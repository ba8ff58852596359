"""The fields of a recommendation the office curated by hand.

A later import leaves those fields alone and reports the conflict. Nothing recorded
before says which fields staff changed, so every existing recommendation starts with
none curated (the audit trail still holds their edits).

Revision ID: 3e1ebe0f934f
Revises: 91c298b2efa2
Create Date: 2026-11-30 10:12:05.906316

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3e1ebe0f934f'
down_revision = '91c298b2efa2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('curated_fields', sa.JSON(), server_default='[]',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_column('curated_fields')
