"""The State(s) each recommendation concerns.

Imports now keep the State a record is addressed to (a joint communication may name
several) and leave out records for other States. Existing recommendations get no rows:
the files they came from are the only source of their State, and the next import of
those files fills it in; a recommendation without one is treated as the tracker's own.

Revision ID: 91c298b2efa2
Revises: 51e0ece9f2bc
Create Date: 2026-11-30 10:07:05.488042

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '91c298b2efa2'
down_revision = '51e0ece9f2bc'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'recommendation_concerned_state',
        sa.Column('recommendation_id', sa.Integer(), nullable=False),
        sa.Column('country_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['country_id'], ['country.id'],
            name=op.f('fk_recommendation_concerned_state_country_id_country'),
            ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['recommendation_id'], ['recommendation.id'],
            name=op.f('fk_recommendation_concerned_state_recommendation_id_recommendation'),
            ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('recommendation_id', 'country_id',
                                name=op.f('pk_recommendation_concerned_state')),
    )
    with op.batch_alter_table('recommendation_concerned_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendation_concerned_state_country_id'),
                              ['country_id'], unique=False)


def downgrade():
    with op.batch_alter_table('recommendation_concerned_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_concerned_state_country_id'))
    op.drop_table('recommendation_concerned_state')
