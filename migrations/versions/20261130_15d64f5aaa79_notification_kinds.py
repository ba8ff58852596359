"""New kinds of notification: the reviewers' submission digest and assignment mails.

``notification.kind`` is a VARCHAR with a CHECK constraint listing the kinds; a new kind
widens the constraint (and the column, when the new name is longer). Further kinds are
added to ``NEW_KINDS`` here rather than in a second migration on the same constraint.
Going down removes the rows of the new kinds first, since the old constraint refuses them.

Revision ID: 15d64f5aaa79
Revises: 5c1e7a9b3d20
Create Date: 2026-11-30 08:05:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '15d64f5aaa79'
down_revision = '5c1e7a9b3d20'
branch_labels = None
depends_on = None

OLD_KINDS = ['reminder_digest', 'escalation', 'review_result', 'report_ready', 'invitation',
             'password_reset']
NEW_KINDS = ['submission_digest', 'assignment']


def _kind_type(kinds):
    return sa.String(length=max(len(k) for k in kinds))


def _set_kinds(kinds, previous):
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_notification_kind'), type_='check')
        batch_op.alter_column('kind', existing_type=_kind_type(previous),
                              type_=_kind_type(kinds), existing_nullable=False)
        batch_op.create_check_constraint(
            batch_op.f('ck_notification_kind'), sa.column('kind').in_(kinds))


def upgrade():
    _set_kinds(OLD_KINDS + NEW_KINDS, OLD_KINDS)


def downgrade():
    notification = sa.table('notification', sa.column('kind', sa.String))
    op.execute(notification.delete().where(notification.c.kind.in_(NEW_KINDS)))
    _set_kinds(OLD_KINDS, OLD_KINDS + NEW_KINDS)
