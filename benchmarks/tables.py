"""Fill the tables a revision has with N employees (and N/10 departments), fast, in SQL."""
import sqlalchemy as sa

from testing.grader import schema

EMPLOYEES_PER_DEPARTMENT = 10
SEQUENCE = {  # n = 1..count, in each dialect
    "sqlite": "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count}) "
              "SELECT {values} FROM seq",
    "postgresql": "SELECT {values} FROM generate_series(1, {count}) AS seq(n)",
}


def fill(engine, employees):
    """Put `employees` rows in the employees table and proportionally many in the departments one."""
    departments = max(employees // EMPLOYEES_PER_DEPARTMENT, 1)
    first_ids = {}  # the id before the first new row of each table: a migration may have added rows
    with engine.begin() as connection:
        for table in schema.reflect(connection).sorted_tables:  # departments before the employees that refer to them
            first_ids[table.name] = connection.exec_driver_sql(
                f"SELECT COALESCE(MAX(id), 0) FROM {table.name}").scalar()
            count = employees if table.name == "employees" else departments
            values = ", ".join(_value(column, first_ids, departments) for column in table.columns)
            select = SEQUENCE[engine.dialect.name].format(count=count, values=values)
            names = ", ".join(column.name for column in table.columns)
            connection.execute(sa.text(f"INSERT INTO {table.name} ({names}) {select}"))  # text(): % is modulo
            if engine.dialect.name == "postgresql":  # later inserts must not reuse the ids given here
                connection.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                           f"{first_ids[table.name] + count})")


def _value(column, first_ids, departments):
    if column.name == "id":
        return f"{first_ids[column.table.name]} + n"
    if column.foreign_keys:
        referred = next(iter(column.foreign_keys)).column.table.name
        return f"{first_ids[referred]} + (n - 1) % {departments} + 1"
    if isinstance(column.type, sa.Integer):
        return "n"
    return f"'{column.name[0]}' || n"  # unique, and short enough for VARCHAR(10)
