# The backfill as a stored procedure that commits after each batch, called with CALL (it must run
# outside a transaction block to commit: the autocommit block), and dropped once done.
BACKFILL_PROCEDURE = """
CREATE PROCEDURE employees_backfill_full_name(batch_size integer) LANGUAGE plpgsql AS $$
DECLARE
    last_id integer := 0;
    batch_end integer;
BEGIN
    LOOP
        SELECT max(id) INTO batch_end
        FROM (SELECT id FROM employees WHERE id > last_id ORDER BY id LIMIT batch_size) AS batch;
        EXIT WHEN batch_end IS NULL;
        BEGIN
            UPDATE employees SET full_name = name
            WHERE id > last_id AND id <= batch_end AND full_name IS NULL;
        EXCEPTION WHEN lock_not_available THEN
            PERFORM pg_sleep(0.05);
            CONTINUE;
        END;
        last_id := batch_end;
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
        op.execute(BACKFILL_PROCEDURE)
        op.execute("CALL employees_backfill_full_name(1000)")
        op.execute("DROP PROCEDURE employees_backfill_full_name(integer)")
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION employees_sync_full_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")
