"""Prints every table in the database with its rows, alembic_version included.

Run it from server/ whenever a lesson asks you to look at your data:   python show_rows.py
"""
from sqlalchemy import MetaData, select

from app import app
from models import db


def format_table(name, columns, rows):
    cells = [list(columns)] + [["" if value is None else str(value) for value in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = [f"{name} ({len(rows)} rows)"]
    for row in cells:
        lines.append("  " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return "\n".join(lines)


def show_rows():
    tables = MetaData()
    tables.reflect(bind=db.engine)
    if not tables.tables:
        print("The database has no tables yet.")
    with db.engine.connect() as connection:
        for table in tables.sorted_tables:
            rows = connection.execute(select(table)).all()
            print(format_table(table.name, table.columns.keys(), rows))


if __name__ == "__main__":
    with app.app_context():
        show_rows()
