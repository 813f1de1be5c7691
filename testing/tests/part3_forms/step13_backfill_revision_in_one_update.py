"""backfill employees full_name in one statement

Revision ID: d5e6f7a8b913
Revises: a2b4c6d8e013
Create Date: 2026-11-29 11:13:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e6f7a8b913'
down_revision = 'a2b4c6d8e013'
branch_labels = None
depends_on = None


def upgrade():
    # The expand migration before this one added full_name and the trigger: fill the rows it found.
    op.execute("UPDATE employees SET full_name = name WHERE full_name IS NULL")


def downgrade():
    pass  # the rows keep their full_name: the downgrade before this one drops the column
