# Every schema change as raw SQL that can run again after a failure: IF NOT EXISTS, OR REPLACE.
SAFE_AGAIN = [
    "ALTER TABLE employees ADD COLUMN IF NOT EXISTS full_name varchar(80)",
    SYNC_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
    SYNC_TRIGGER.replace("CREATE TRIGGER", "CREATE OR REPLACE TRIGGER"),
]


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        for statement in SAFE_AGAIN:
            with_retries(lambda: op.execute(statement))
        op.execute(BACKFILL)
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER IF EXISTS employees_sync_full_name ON employees"))
        op.execute("DROP FUNCTION IF EXISTS employees_sync_full_name()")
        with_retries(lambda: op.execute("ALTER TABLE employees DROP COLUMN IF EXISTS full_name"))
        op.execute("RESET lock_timeout")
