# Every statement written out in raw SQL, and the trigger dropped with its function (CASCADE).
CONTRACT = [
    "ALTER TABLE employees ADD CONSTRAINT full_name_present CHECK (full_name IS NOT NULL) NOT VALID",
    "ALTER TABLE employees VALIDATE CONSTRAINT full_name_present",
    "ALTER TABLE employees ALTER COLUMN full_name SET NOT NULL",
    "ALTER TABLE employees DROP CONSTRAINT full_name_present",
    "ALTER TABLE employees ALTER COLUMN name DROP NOT NULL",
    "DROP FUNCTION employees_sync_full_name() CASCADE",
    "ALTER TABLE employees DROP COLUMN name",
]


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        for statement in CONTRACT:
            with_retries(lambda: op.execute(statement))
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
