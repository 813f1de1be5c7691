"""Puts the course's sample rows into every table that exists, unless a row has the same name.

Run it from server/ after `flask db upgrade`:   python seed.py
"""
from sqlalchemy import MetaData, insert, select

from app import app
from models import db

SAMPLE_ROWS = {
    "employees": [
        {"name": "Kai Uri", "salary": 89000, "department": "Payroll"},
        {"name": "Alena Lee", "salary": 125000, "department": "Human Resources"},
    ],
    "departments": [
        {"name": "Payroll", "location": "Building A, 4th Floor", "code": "PAY"},
        {"name": "Human Resources", "location": "Building C, 1st Floor", "code": "HR"},
    ],
}
# Names a lesson gives a table or column, and the name the samples above use for it, so the
# script works at every step.
EARLIER_NAMES = {"department": "departments", "address": "location", "full_name": "name"}


def sample_rows_for(table, tables):
    samples = SAMPLE_ROWS.get(EARLIER_NAMES.get(table.name, table.name), [])
    rows = []
    for sample in samples:
        row = {column.name: sample[EARLIER_NAMES.get(column.name, column.name)]
               for column in table.columns if EARLIER_NAMES.get(column.name, column.name) in sample}
        if "department_id" in table.columns:  # from step 08 on: the department's id, found by its name
            departments = tables.tables["departments"]
            row["department_id"] = (select(departments.c.id)
                                    .where(departments.c.name == sample["department"]).scalar_subquery())
        rows.append(row)
    return rows


def seed():
    tables = MetaData()
    tables.reflect(bind=db.engine)
    with db.engine.begin() as connection:
        for table in tables.sorted_tables:
            rows = sample_rows_for(table, tables)
            if not rows:
                continue
            # `name`, or `full_name` once step 13 has renamed it (both, during the rename).
            name = next(column for column in table.columns if EARLIER_NAMES.get(column.name, column.name) == "name")
            names = set(connection.execute(select(name)).scalars())
            missing = [row for row in rows if row[name.name] not in names]
            if not missing:
                print(f"{table.name}: already has {len(names)} rows, left as they are")
                continue
            for row in missing:
                connection.execute(insert(table).values(row))
            print(f"{table.name}: added {len(missing)} rows")


if __name__ == "__main__":
    with app.app_context():
        seed()
