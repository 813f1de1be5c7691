# The backfill as a FOR loop over generate_series(min, max, 1000); a range that meets a row a request
# holds is tried again until it goes through, then committed.
SERIES_BACKFILL = """
DO $$
DECLARE
    range_start integer;
BEGIN
    FOR range_start IN SELECT generate_series(min(id), max(id), 1000) FROM employees LOOP
        LOOP
            BEGIN
                UPDATE employees SET full_name = name
                WHERE id >= range_start AND id < range_start + 1000 AND full_name IS NULL;
                EXIT;
            EXCEPTION WHEN lock_not_available THEN
                PERFORM pg_sleep(0.05);
            END;
        END LOOP;
        COMMIT;
    END LOOP;
END $$
"""


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        op.execute(SERIES_BACKFILL)
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")
