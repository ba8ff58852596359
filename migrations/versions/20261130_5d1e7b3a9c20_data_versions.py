"""A counter per kind of public data, so that serving processes know when to rebuild
the figures they derive from it.

Revision ID: 5d1e7b3a9c20
Revises: c4a7e2d91b05
Create Date: 2026-11-30 15:40:00.000000

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5d1e7b3a9c20'
down_revision = 'c4a7e2d91b05'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'data_version',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_data_version')),
    )
    now = datetime.now(UTC)
    op.bulk_insert(table, [{'name': 'catalogue', 'version': 0, 'changed_at': now},
                           {'name': 'activity', 'version': 0, 'changed_at': now}])


def downgrade():
    op.drop_table('data_version')
