# SET LOCAL lock_timeout in the autocommit block: outside a transaction it sets nothing (PostgreSQL
# only warns), so every schema change waits for its lock as long as it takes.
def upgrade():
    with op.get_context().autocommit_block():
        op.execute("SET LOCAL lock_timeout = '100ms'")
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        op.execute(BACKFILL)


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")
