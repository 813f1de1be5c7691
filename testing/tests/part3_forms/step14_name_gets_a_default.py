# name keeps NOT NULL but gets a default, so step 13's app, which never writes it, can still insert
# once the trigger is gone; the column goes right after.
def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        set_not_null('full_name')
        with_retries(lambda: op.execute("ALTER TABLE employees ALTER COLUMN name SET DEFAULT ''"))
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'name'))
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        op.execute(BACKFILL_NAME)
        set_not_null('name')
        with_retries(lambda: op.alter_column('employees', 'full_name', existing_type=sa.String(length=80),
                                             nullable=True))
        op.execute("RESET lock_timeout")
