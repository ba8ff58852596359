"""Term aliases and the queue of labels to map.

An import no longer invents a half-named term for a label it does not know: the label
waits in ``pending_label`` (with the recommendations carrying it in
``pending_label_link``) until the office maps it to a term, which records a
``term_alias`` so that later imports find the term by that label themselves.
Nothing existing is changed, so the downgrade only drops the three tables.

Revision ID: 51e0ece9f2bc
Revises: 409f511c9e1e
Create Date: 2026-11-30 09:38:38.398988

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '51e0ece9f2bc'
down_revision = '409f511c9e1e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pending_label',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('vocabulary_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=255), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('first_source', sa.String(length=255), nullable=True),
        sa.Column('first_seen_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['first_seen_by_id'], ['app_user.id'],
                                name=op.f('fk_pending_label_first_seen_by_id_app_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['vocabulary_id'], ['vocabulary.id'],
                                name=op.f('fk_pending_label_vocabulary_id_vocabulary'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_label')),
        sa.UniqueConstraint('vocabulary_id', 'key',
                            name=op.f('uq_pending_label_vocabulary_id_key')),
    )
    op.create_table(
        'term_alias',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('vocabulary_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('label', sa.String(length=255), nullable=False),
        sa.Column('term_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['term_id'], ['term.id'], name=op.f('fk_term_alias_term_id_term'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['vocabulary_id'], ['vocabulary.id'],
                                name=op.f('fk_term_alias_vocabulary_id_vocabulary'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_term_alias')),
        sa.UniqueConstraint('vocabulary_id', 'key', name=op.f('uq_term_alias_vocabulary_id_key')),
    )
    with op.batch_alter_table('term_alias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_term_alias_term_id'), ['term_id'], unique=False)

    op.create_table(
        'pending_label_link',
        sa.Column('pending_label_id', sa.Integer(), nullable=False),
        sa.Column('recommendation_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['pending_label_id'], ['pending_label.id'],
                                name=op.f('fk_pending_label_link_pending_label_id_pending_label'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['recommendation_id'], ['recommendation.id'],
            name=op.f('fk_pending_label_link_recommendation_id_recommendation'),
            ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('pending_label_id', 'recommendation_id',
                                name=op.f('pk_pending_label_link')),
    )
    with op.batch_alter_table('pending_label_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_label_link_recommendation_id'),
                              ['recommendation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_label_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_label_link_recommendation_id'))
    op.drop_table('pending_label_link')
    with op.batch_alter_table('term_alias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_term_alias_term_id'))
    op.drop_table('term_alias')
    op.drop_table('pending_label')
