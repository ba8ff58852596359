"""Imports from the office's screen: a preview before the import, its options and report.

An import job now goes through a preview (a dry run) that the person confirms, with the
options chosen on the screen (keep other States' records, the rows whose file values
replace the office's curated ones); it keeps the uploaded file's name (also when the file
was refused), the last run's counts and its full report as a stored JSON file, who
confirmed it and when, or when it was discarded; and its runs are claimed with a
heartbeat, as export builds are. Existing jobs take their file's name; going down
deletes the stored reports, which the older schema cannot reach.

Revision ID: 8b3f5d0c2a61
Revises: 3e1ebe0f934f
Create Date: 2026-11-30 12:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8b3f5d0c2a61'
down_revision = '3e1ebe0f934f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('filename', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('keep_other_states', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('overwrite_rows', sa.JSON(), nullable=False,
                                      server_default='[]'))
        batch_op.add_column(sa.Column('counts', sa.JSON(), nullable=False,
                                      server_default='{}'))
        batch_op.add_column(sa.Column('report_file_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('discarded_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_foreign_key(op.f('fk_import_job_report_file_id_stored_file'),
                                    'stored_file', ['report_file_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key(op.f('fk_import_job_confirmed_by_id_app_user'),
                                    'app_user', ['confirmed_by_id'], ['id'],
                                    ondelete='SET NULL')
    import_job = sa.table('import_job', sa.column('filename', sa.String),
                          sa.column('stored_file_id', sa.Integer))
    stored_file = sa.table('stored_file', sa.column('id', sa.Integer),
                           sa.column('filename', sa.String))
    op.execute(import_job.update().values(filename=sa.select(stored_file.c.filename).where(
        stored_file.c.id == import_job.c.stored_file_id).scalar_subquery()))
    # The defaults only filled the rows that existed; the model sets every new row itself.
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.alter_column('keep_other_states', server_default=None)
        batch_op.alter_column('overwrite_rows', server_default=None)
        batch_op.alter_column('counts', server_default=None)
        batch_op.alter_column('attempts', server_default=None)


def downgrade():
    import_job = sa.table('import_job', sa.column('report_file_id', sa.Integer))
    stored_file = sa.table('stored_file', sa.column('id', sa.Integer))
    reports = sa.select(import_job.c.report_file_id).where(
        import_job.c.report_file_id.is_not(None))
    report_ids = [row[0] for row in op.get_bind().execute(reports)]
    op.execute(import_job.update().values(report_file_id=None))
    if report_ids:
        chunk = sa.table('stored_file_chunk', sa.column('stored_file_id', sa.Integer))
        op.execute(chunk.delete().where(chunk.c.stored_file_id.in_(report_ids)))
        op.execute(stored_file.delete().where(stored_file.c.id.in_(report_ids)))
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_import_job_confirmed_by_id_app_user'),
                                 type_='foreignkey')
        batch_op.drop_constraint(op.f('fk_import_job_report_file_id_stored_file'),
                                 type_='foreignkey')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('attempts')
        batch_op.drop_column('discarded_at')
        batch_op.drop_column('confirmed_by_id')
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('report_file_id')
        batch_op.drop_column('counts')
        batch_op.drop_column('overwrite_rows')
        batch_op.drop_column('keep_other_states')
        batch_op.drop_column('filename')
