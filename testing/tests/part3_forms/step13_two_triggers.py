# The sync as two triggers, one a direction: each fires only when its own column is written.
COPY_NAME = """
CREATE FUNCTION employees_copy_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.name IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.name IS DISTINCT FROM OLD.name) THEN
        NEW.full_name := NEW.name;
    END IF;
    RETURN NEW;
END $$
"""
COPY_FULL_NAME = """
CREATE FUNCTION employees_copy_full_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.full_name IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.full_name IS DISTINCT FROM OLD.full_name) THEN
        NEW.name := NEW.full_name;
    END IF;
    RETURN NEW;
END $$
"""
NAME_TRIGGER = """
CREATE TRIGGER employees_copy_name BEFORE INSERT OR UPDATE OF name ON employees
FOR EACH ROW EXECUTE FUNCTION employees_copy_name()
"""
FULL_NAME_TRIGGER = """
CREATE TRIGGER employees_copy_full_name BEFORE INSERT OR UPDATE OF full_name ON employees
FOR EACH ROW EXECUTE FUNCTION employees_copy_full_name()
"""


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        op.execute(COPY_NAME)
        op.execute(COPY_FULL_NAME)
        with_retries(lambda: op.execute(NAME_TRIGGER))
        with_retries(lambda: op.execute(FULL_NAME_TRIGGER))
        op.execute(BACKFILL)
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.execute("DROP TRIGGER employees_copy_full_name ON employees"))
        with_retries(lambda: op.execute("DROP TRIGGER employees_copy_name ON employees"))
        op.execute("DROP FUNCTION employees_copy_full_name()")
        op.execute("DROP FUNCTION employees_copy_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")
