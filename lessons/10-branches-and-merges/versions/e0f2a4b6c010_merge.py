"""merge

Revision ID: e0f2a4b6c010
Revises: c8d0e2f4a010, d9e1f3a5b010
Create Date: 2026-11-22 09:11:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e0f2a4b6c010'
down_revision = ('c8d0e2f4a010', 'd9e1f3a5b010')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
