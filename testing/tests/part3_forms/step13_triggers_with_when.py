# The sync as four triggers whose WHEN clauses say when each copies: two small functions, no IF.
FUNCTIONS = [
    """CREATE FUNCTION employees_full_name_from_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.full_name := NEW.name; RETURN NEW; END $$""",
    """CREATE FUNCTION employees_name_from_full_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.name := NEW.full_name; RETURN NEW; END $$""",
]
TRIGGERS = {
    'employees_insert_name': "BEFORE INSERT ON employees FOR EACH ROW WHEN (NEW.full_name IS NULL) "
                             "EXECUTE FUNCTION employees_full_name_from_name()",
    'employees_insert_full_name': "BEFORE INSERT ON employees FOR EACH ROW WHEN (NEW.name IS NULL) "
                                  "EXECUTE FUNCTION employees_name_from_full_name()",
    'employees_update_name': "BEFORE UPDATE OF name ON employees FOR EACH ROW "
                             "WHEN (NEW.name IS DISTINCT FROM OLD.name) EXECUTE FUNCTION employees_full_name_from_name()",
    'employees_update_full_name': "BEFORE UPDATE OF full_name ON employees FOR EACH ROW "
                                  "WHEN (NEW.full_name IS DISTINCT FROM OLD.full_name) "
                                  "EXECUTE FUNCTION employees_name_from_full_name()",
}


def upgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        with_retries(lambda: op.add_column('employees', sa.Column('full_name', sa.String(length=80), nullable=True)))
        for function in FUNCTIONS:
            op.execute(function)
        for name, definition in TRIGGERS.items():
            with_retries(lambda: op.execute(f"CREATE TRIGGER {name} {definition}"))
        op.execute(BACKFILL)
        op.execute("RESET lock_timeout")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute(SET_LOCK_TIMEOUT)
        for name in TRIGGERS:
            with_retries(lambda: op.execute(f"DROP TRIGGER {name} ON employees"))
        op.execute("DROP FUNCTION employees_full_name_from_name()")
        op.execute("DROP FUNCTION employees_name_from_full_name()")
        with_retries(lambda: op.drop_column('employees', 'full_name'))
        op.execute("RESET lock_timeout")
