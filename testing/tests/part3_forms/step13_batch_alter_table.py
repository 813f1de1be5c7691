# The column added in a batch_alter_table block, as the SQLite steps taught: on PostgreSQL it is one
# plain ALTER TABLE, retried as a whole.
def add_full_name():
    with op.batch_alter_table('employees') as batch:
        batch.add_column(sa.Column('full_name', sa.String(length=80), nullable=True))


def drop_full_name():
    with op.batch_alter_table('employees') as batch:
        batch.drop_column('full_name')


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(add_full_name)
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        op.execute(BACKFILL)
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(drop_full_name)
        op.execute("RESET lock_timeout")
