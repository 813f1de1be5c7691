# The backfill without ids: 1000 rows still empty at a time, until an UPDATE finds none.
FILL_SOME = """
UPDATE employees SET full_name = name
WHERE id IN (SELECT id FROM employees WHERE full_name IS NULL LIMIT 1000)
"""


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        connection = op.get_bind()
        while with_retries(lambda: connection.execute(sa.text(FILL_SOME))).rowcount:
            pass
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")
