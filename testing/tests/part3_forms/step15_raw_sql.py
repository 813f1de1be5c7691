# Every statement in raw SQL, each one safe to run again after a failure.
def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("ALTER TABLE employees ADD COLUMN IF NOT EXISTS manager_id integer"))
        with_retries(lambda: op.execute(f"ALTER TABLE employees ADD CONSTRAINT {FOREIGN_KEY} "
                                        "FOREIGN KEY (manager_id) REFERENCES employees (id) NOT VALID"))
        op.execute(f"ALTER TABLE employees VALIDATE CONSTRAINT {FOREIGN_KEY}")
        op.execute("RESET lock_timeout")
        op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON employees (manager_id)")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute(f"ALTER TABLE employees DROP CONSTRAINT IF EXISTS {FOREIGN_KEY}"))
        with_retries(lambda: op.execute("ALTER TABLE employees DROP COLUMN IF EXISTS manager_id"))
        op.execute("RESET lock_timeout")
