"""Export jobs: chunked stored files, public variants, monthly snapshots, claimed builds.

Large exported files (a 270,000-row matrix) are stored as ordered chunks so that neither
the worker writing them nor the web process serving them holds the whole file in memory;
``stored_file.data`` stays for small files (evidence). Going down deletes the jobs and
files that exist only as chunks, since the older schema cannot read them.

Revision ID: 409f511c9e1e
Revises: 15d64f5aaa79
Create Date: 2026-11-30 08:53:58.464880

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '409f511c9e1e'
down_revision = '15d64f5aaa79'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stored_file_chunk',
        sa.Column('stored_file_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['stored_file_id'], ['stored_file.id'],
                                name=op.f('fk_stored_file_chunk_stored_file_id_stored_file'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('stored_file_id', 'seq', name=op.f('pk_stored_file_chunk')),
    )
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('snapshot_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('rows', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_unique_constraint('uq_report_job_snapshot_key', ['snapshot_key'])
    # The defaults only filled the rows that existed; the model sets every new row itself.
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.alter_column('public', server_default=None)
        batch_op.alter_column('rows', server_default=None)
        batch_op.alter_column('attempts', server_default=None)


def downgrade():
    stored_file = sa.table('stored_file', sa.column('id', sa.Integer),
                           sa.column('data', sa.LargeBinary))
    report_job = sa.table('report_job', sa.column('stored_file_id', sa.Integer))
    chunked = sa.select(stored_file.c.id).where(stored_file.c.data.is_(None))
    op.execute(report_job.delete().where(report_job.c.stored_file_id.in_(chunked)))
    op.execute(stored_file.delete().where(stored_file.c.data.is_(None)))
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.drop_constraint('uq_report_job_snapshot_key', type_='unique')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('attempts')
        batch_op.drop_column('rows')
        batch_op.drop_column('snapshot_key')
        batch_op.drop_column('public')
    op.drop_table('stored_file_chunk')
