"""The HR app. Flask-Migrate adds the `flask db` commands to it."""
import os

from flask import Flask
from flask_migrate import Migrate

from models import db

app = Flask(__name__)
# DATABASE_URL chooses the database; without it, SQLite keeps it in instance/app.db.
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///app.db")

db.init_app(app)
# Alembic compares server defaults only when asked: then `flask db migrate` and `flask db check`
# see a server_default that models.py and the migrations disagree on (Migrate passes it to Alembic).
migrate = Migrate(app, db, compare_server_default=True)
