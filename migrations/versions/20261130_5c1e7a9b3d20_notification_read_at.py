"""Notifications read in the app.

Each person sees their own messages in the tracker; ``read_at`` tells which they have
not opened yet, and the index answers the unread count shown on every page.

Revision ID: 5c1e7a9b3d20
Revises: ee9e247d668d
Create Date: 2026-11-30 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e7a9b3d20'
down_revision = 'ee9e247d668d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_notification_recipient_read', ['recipient_id', 'read_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_recipient_read')
        batch_op.drop_column('read_at')
