# The backfill in Python, but every id in one UPDATE: one statement locks every row until it commits.
def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        connection = op.get_bind()
        ids = connection.execute(sa.text("SELECT id FROM employees WHERE full_name IS NULL")).scalars().all()
        with_retries(lambda: connection.execute(
            sa.text("UPDATE employees SET full_name = name WHERE id = ANY(:ids)"), {"ids": ids}))
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")
