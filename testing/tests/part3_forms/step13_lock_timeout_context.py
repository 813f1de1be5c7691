from contextlib import contextmanager


@contextmanager
def short_lock_waits():
    """lock_timeout for everything inside, and RESET afterwards even when something failed."""
    op.execute(SET_LOCK_TIMEOUT)
    try:
        yield
    finally:
        op.execute("RESET lock_timeout")


def upgrade():
    with op.get_context().autocommit_block(), short_lock_waits():
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        op.execute(BACKFILL)


def downgrade():
    with op.get_context().autocommit_block(), short_lock_waits():
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
