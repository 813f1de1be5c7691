"""Puts the course's sample rows into every table that exists and is still empty.

Run it from server/ after `flask db upgrade`:   python seed.py
"""
from sqlalchemy import MetaData, func, insert, select

from app import app
from models import db

SAMPLE_ROWS = {
    "employees": [
        {"name": "Kai Uri", "salary": 89000},
        {"name": "Alena Lee", "salary": 125000},
    ],
    "departments": [
        {"name": "Payroll", "location": "Building A, 4th Floor"},
        {"name": "Human Resources", "location": "Building C, 1st Floor"},
    ],
}
# Names a table or column has before a lesson renames it, so the script works at every step.
EARLIER_NAMES = {"department": "departments", "address": "location"}


def sample_rows_for(table):
    samples = SAMPLE_ROWS.get(EARLIER_NAMES.get(table.name, table.name), [])
    return [
        {column.name: sample[EARLIER_NAMES.get(column.name, column.name)]
         for column in table.columns if EARLIER_NAMES.get(column.name, column.name) in sample}
        for sample in samples
    ]


def seed():
    tables = MetaData()
    tables.reflect(bind=db.engine)
    with db.engine.begin() as connection:
        for table in tables.sorted_tables:
            rows = sample_rows_for(table)
            if not rows:
                continue
            existing = connection.execute(select(func.count()).select_from(table)).scalar()
            if existing:
                print(f"{table.name}: already has {existing} rows, left as they are")
                continue
            connection.execute(insert(table), rows)
            print(f"{table.name}: added {len(rows)} rows")


if __name__ == "__main__":
    with app.app_context():
        seed()
