"""unique department names

Revision ID: a6b8c0d2e007
Revises: f5a7b9c1d006
Create Date: 2026-11-22 09:07:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6b8c0d2e007'
down_revision = 'f5a7b9c1d006'
branch_labels = None
depends_on = None


def upgrade():
    # SQLite cannot add a constraint in place: batch mode copies the table into a new one that has
    # it. The name comes from models.py's naming convention, so downgrade() can drop it again.
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_departments_name'), ['name'])


def downgrade():
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_departments_name'), type_='unique')
