# The backfill as a Python loop of op.execute(), the range bound as parameters: from the smallest id
# to the largest, 1000 ids at a time, each range committed on its own.
FILL_RANGE = "UPDATE employees SET full_name = name WHERE id >= :start AND id < :stop AND full_name IS NULL"


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        low, high = op.get_bind().execute(sa.text("SELECT min(id), max(id) FROM employees")).one()
        if low is not None:
            for start in range(low, high + 1, 1000):
                with_retries(lambda: op.execute(sa.text(FILL_RANGE).bindparams(start=start, stop=start + 1000)))
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")
