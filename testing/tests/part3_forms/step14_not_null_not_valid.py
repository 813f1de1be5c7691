# PostgreSQL 18: the NOT NULL constraint itself added NOT VALID, then validated, with no CHECK.
def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute(
            "ALTER TABLE employees ADD CONSTRAINT employees_full_name_not_null NOT NULL full_name NOT VALID"))
        op.execute("ALTER TABLE employees VALIDATE CONSTRAINT employees_full_name_not_null")
        with_retries(lambda: op.alter_column('employees', 'name', existing_type=sa.String(length=80), nullable=True))
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
