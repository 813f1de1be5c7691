"""The only code of the course that runs in the learner's process, next to their app and migrations.

It runs what the grader asks (import the app, an Alembic command, a comparison of models.py) and
answers done or the learner's error. It measures nothing the grade rests on: the grader reads the
database itself after every command (see ../grader/supervisor.py and ../grader/walk.py).

It imports nothing of the grader: the grader imports it (the wire format, wire.py; the way
differences are described, described.py), never the other way round.
"""
