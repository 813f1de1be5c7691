def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        # The same walk, but the start of the range never moves on.
        connection = op.get_bind()
        low, high = connection.execute(sa.text("SELECT min(id), max(id) FROM employees")).one()
        start = low
        while high is not None and start <= high:
            with_retries(lambda: connection.execute(
                sa.text("UPDATE employees SET full_name = name "
                        "WHERE id >= :start AND id < :start + 1000 AND full_name IS NULL"),
                {"start": start}))
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")
