# Batches of 1000, but all in Alembic's one transaction (no autocommit block): ADD COLUMN's ACCESS
# EXCLUSIVE lock, and every row the batches update, stay held until the last batch commits. (No
# lock_timeout: in one transaction a schema change that gives up cannot be retried.)
FILL_BATCH = sa.text("UPDATE employees SET full_name = name WHERE id > :last AND id <= :end")
NEXT_BATCH_END = sa.text("SELECT max(id) FROM (SELECT id FROM employees WHERE id > :last ORDER BY id LIMIT 1000) AS batch")


def upgrade():
    op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True))
    op.execute(SYNC_FUNCTION)
    op.execute(SYNC_TRIGGER)
    connection = op.get_bind()
    last = 0
    while (end := connection.execute(NEXT_BATCH_END, {"last": last}).scalar()) is not None:
        connection.execute(FILL_BATCH, {"last": last, "end": end})
        last = end


def downgrade():
    op.execute("DROP TRIGGER employees_sync_full_name ON employees")
    op.execute("DROP FUNCTION employees_sync_full_name()")
    op.drop_column('employees', 'full_name')
