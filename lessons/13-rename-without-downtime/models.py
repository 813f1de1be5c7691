"""The app's tables, written as Python classes."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import unmapped_column

# Every constraint gets a predictable name, the same on every database, so a later migration
# can drop it by that name. SQLite cannot drop a constraint without one.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)
db = SQLAlchemy(metadata=metadata)


class Employee(db.Model):
    __tablename__ = "employees"

    id = db.Column(db.Integer, primary_key=True)
    # `name` is still in the table for the copies of the app that run the old code; this code no
    # longer reads or writes it (a trigger fills it), and step 14 drops it.
    name = unmapped_column(db.String(80), nullable=False)
    full_name = db.Column(db.String(80))
    salary = db.Column(db.Integer)
    title = db.Column(db.String(80), nullable=False, server_default="Associate")
    department_id = db.Column(db.Integer, db.ForeignKey("departments.id"), nullable=False)
    email = db.Column(db.String(120))

    def __repr__(self):
        return f"<Employee {self.id} {self.full_name}>"


class Department(db.Model):
    __tablename__ = "departments"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False, unique=True)
    location = db.Column(db.String(120))
    budget = db.Column(db.Integer)
    code = db.Column(db.String(10), nullable=False, unique=True)

    def __repr__(self):
        return f"<Department {self.id} {self.name}>"
