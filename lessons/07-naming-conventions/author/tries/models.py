"""The app's tables, written as Python classes."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

metadata = MetaData()
db = SQLAlchemy(metadata=metadata)


class Employee(db.Model):
    __tablename__ = "employees"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False)
    salary = db.Column(db.Integer)
    title = db.Column(db.String(80), nullable=False, server_default="Associate")

    def __repr__(self):
        return f"<Employee {self.id} {self.name}>"


class Department(db.Model):
    __tablename__ = "departments"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False, unique=True)
    location = db.Column(db.String(120))

    def __repr__(self):
        return f"<Department {self.id} {self.name}>"
