# The contract in two migrations: this one makes full_name NOT NULL and frees name of the trigger;
# the next (step14_drop_name_revision.py) drops name.
def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        set_not_null('full_name')
        with_retries(lambda: op.alter_column('employees', 'name', existing_type=sa.String(length=80), nullable=True))
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        op.execute(BACKFILL_NAME)
        set_not_null('name')
        with_retries(lambda: op.alter_column('employees', 'full_name', existing_type=sa.String(length=80),
                                             nullable=True))
        op.execute("RESET lock_timeout")
