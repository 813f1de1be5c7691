"""The HR app. Flask-Migrate adds the `flask db` commands to it."""
import os
import sqlite3

from flask import Flask
from flask_migrate import Migrate
from sqlalchemy import Engine, event

from models import db

app = Flask(__name__)
# DATABASE_URL chooses the database; without it, SQLite keeps it in instance/app.db.
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///app.db")

db.init_app(app)
# Alembic compares server defaults only when asked: then `flask db migrate` and `flask db check`
# see a server_default that models.py and the migrations disagree on (Migrate passes it to Alembic).
migrate = Migrate(app, db, compare_server_default=True)


# Python's sqlite3 module opens no transaction before a CREATE, ALTER or DROP, so each commits on
# its own and a migration that fails halfway leaves half its changes behind. Here SQLAlchemy
# begins every transaction itself, with the DDL inside it: a failed migration rolls back whole,
# as it does on PostgreSQL.
@event.listens_for(Engine, "connect")
def leave_transactions_to_sqlalchemy(dbapi_connection, connection_record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None  # sqlite3 no longer begins or commits on its own


@event.listens_for(Engine, "begin")
def begin_sqlite_transaction(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
