# The backfill walks the ids in ranges of 1000, from the smallest to the largest, each range
# committed on its own; a range that meets a row a request holds gives up (lock_timeout) and is
# tried again.
RANGE_WALK = """
DO $$
DECLARE
    start_id integer;
    last_id integer;
BEGIN
    SELECT min(id), max(id) INTO start_id, last_id FROM employees;
    WHILE start_id <= last_id LOOP
        BEGIN
            UPDATE employees SET full_name = name
            WHERE id >= start_id AND id < start_id + 1000 AND full_name IS NULL;
        EXCEPTION WHEN lock_not_available THEN
            PERFORM pg_sleep(0.05);
            CONTINUE;
        END;
        COMMIT;
        start_id := start_id + 1000;
    END LOOP;
END $$
"""


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(SYNC_FUNCTION)
        with_retries(lambda: op.execute(SYNC_TRIGGER))
        op.execute(RANGE_WALK)
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")
