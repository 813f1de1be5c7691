# The expand phase alone: the column and the trigger; the rows that exist are filled by the next
# migration (step13_backfill_revision.py), which changes no schema.
def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")
