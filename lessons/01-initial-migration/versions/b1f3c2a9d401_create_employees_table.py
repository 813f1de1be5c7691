"""create employees table

Revision ID: b1f3c2a9d401
Revises: 
Create Date: 2026-11-02 09:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b1f3c2a9d401'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('employees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('salary', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade():
    op.drop_table('employees')
