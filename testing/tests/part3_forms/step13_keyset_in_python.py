# The backfill in Python: keyset pagination, each batch the 1000 ids after the last one done, each
# UPDATE committed on its own (autocommit block) and retried when it meets a row a request holds.
NEXT_BATCH_END = sa.text("SELECT max(id) FROM (SELECT id FROM employees WHERE id > :last ORDER BY id LIMIT 1000) AS batch")
FILL_BATCH = sa.text("UPDATE employees SET full_name = name WHERE id > :last AND id <= :end AND full_name IS NULL")


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        connection = op.get_bind()
        last = 0
        while True:
            end = connection.execute(NEXT_BATCH_END, {"last": last}).scalar()
            if end is None:
                break
            with_retries(lambda: connection.execute(FILL_BATCH, {"last": last, "end": end}))
            last = end
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")
