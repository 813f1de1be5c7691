"""`flask db upgrade <revision>` then `python seed.py`, in one process started in a new server folder.

`lesson start` ran them as two commands: each imported Flask, SQLAlchemy and the app again, about
a second of the learner's wait. Flask-Migrate's `upgrade` is the function behind
`flask db upgrade`.
"""
import os
import runpy
import sys


def main(revision: str) -> None:
    sys.path.insert(0, os.getcwd())  # the folder's app.py and models.py, as `flask` finds them
    from app import app
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(revision=revision)
    runpy.run_path("seed.py", run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1])
