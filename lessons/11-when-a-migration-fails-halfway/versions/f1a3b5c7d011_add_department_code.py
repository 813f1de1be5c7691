"""add department code

Revision ID: f1a3b5c7d011
Revises: e0f2a4b6c010
Create Date: 2026-11-22 09:11:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a3b5c7d011'
down_revision = 'e0f2a4b6c010'
branch_labels = None
depends_on = None


def upgrade():
    # 1. The column, nullable for now: the departments that exist have no code yet.
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=10), nullable=True))

    # 2. A different code for each of them, made from its id: D1, D2, ... One UPDATE, and
    # SQLAlchemy writes the concatenation each database understands ('||' or concat()).
    departments = sa.table('departments', sa.column('id', sa.Integer), sa.column('code', sa.String))
    op.execute(departments.update().values(code='D' + sa.cast(departments.c.id, sa.String)))

    # 3. Now that every row has one: NOT NULL and unique.
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.alter_column('code', existing_type=sa.String(length=10), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_departments_code'), ['code'])


def downgrade():
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_departments_code'), type_='unique')
        batch_op.drop_column('code')
