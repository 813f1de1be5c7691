# Old code's writes reach full_name; new code's never reach name.
ONE_WAY_FUNCTION = """
CREATE FUNCTION employees_sync_full_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.full_name := NEW.name;
    RETURN NEW;
END $$
"""


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(ONE_WAY_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        op.execute(BACKFILL)
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")
