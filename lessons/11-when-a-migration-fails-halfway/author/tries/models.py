"""The app's tables, written as Python classes."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

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
    name = db.Column(db.String(80), nullable=False)
    salary = db.Column(db.Integer)
    title = db.Column(db.String(80), nullable=False, server_default="Associate")
    department_id = db.Column(db.Integer, db.ForeignKey("departments.id"), nullable=False)
    email = db.Column(db.String(120))

    def __repr__(self):
        return f"<Employee {self.id} {self.name}>"


class Department(db.Model):
    __tablename__ = "departments"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False, unique=True)
    location = db.Column(db.String(120))
    budget = db.Column(db.Integer)
    code = db.Column(db.String(10), nullable=False, unique=True, server_default="NEW")

    def __repr__(self):
        return f"<Department {self.id} {self.name}>"
