"""The bulk download's files.

One row per language's file of the whole public data set (gzipped JSON Lines, its bytes a
stored file), with the data counters it was built at: a rebuild is due when they move.

Revision ID: 9caa68b1351b
Revises: b6e1f0a4c3d7
Create Date: 2026-11-30 19:27:22.775280

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9caa68b1351b'
down_revision = 'b6e1f0a4c3d7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bulk_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('stored_file_id', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('catalogue_version', sa.BigInteger(), nullable=False),
    sa.Column('activity_version', sa.BigInteger(), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['stored_file_id'], ['stored_file.id'], name=op.f('fk_bulk_file_stored_file_id_stored_file'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_file')),
    sa.UniqueConstraint('language', 'catalogue_version', 'activity_version', name='uq_bulk_file_language_versions')
    )
    with op.batch_alter_table('bulk_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulk_file_stored_file_id'), ['stored_file_id'], unique=False)


def downgrade():
    with op.batch_alter_table('bulk_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulk_file_stored_file_id'))

    op.drop_table('bulk_file')
