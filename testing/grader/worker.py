"""The process that runs a learner's code: `python -m testing.grader.worker SETTINGS_JSON`.

It runs inside the scratch copy of the server folder, with DATABASE_URL pointing at a scratch
database, and reports facts as JSON lines on the file descriptor named in the settings. It never
decides pass or fail; the supervisor that started it may stop it at any time (a time limit).
"""
import contextlib
import importlib
import importlib.util
import io
import json
import os
import sys
import warnings

from alembic import command

from .chain import ChainProblem, load_chain
from .failures import describe_exception
from .walk import ChainWalk


class Events:
    def __init__(self, fd):
        self.stream = os.fdopen(fd, "w", buffering=1, encoding="utf-8")

    def send(self, **event):
        self.stream.write(json.dumps(event, default=str) + "\n")
        self.stream.flush()

    def begin(self, action, **details):
        self.send(type="begin", action=action, **details)

    def fact(self, key, value):
        self.send(type="fact", key=key, value=value)


def main(settings):
    events = Events(settings["events_fd"])
    _walk_learner_chain(events, settings)
    events.send(type="done")


def _walk_learner_chain(events, settings):
    server_dir = os.getcwd()

    def run_learner_code(action, function, **details):
        """Run `function` (which runs learner code); None if it worked, else what went wrong."""
        events.begin(action, **details)
        try:
            function()
        except BaseException as exc:  # learner code may raise anything, SystemExit included
            return {**details, **describe_exception(exc, server_dir)}
        return None

    loaded = {}
    error = run_learner_code("importing app.py", lambda: loaded.update(app=_import_app()))
    if error:
        return events.fact("app", {"problem": "import", **error})
    app = loaded["app"]
    problem = _app_problem(app, settings["database"])
    if problem:
        return events.fact("app", problem)
    with app.app_context():
        migrate = app.extensions["migrate"]
        engine = migrate.db.engine
        if _has_tables(engine):
            return events.fact("app", {"problem": "create_all"})
        events.fact("app", {"problem": None, "database": engine.url.render_as_string(hide_password=True)})
        config = migrate.migrate.get_config()
        events.begin("reading the migration files")  # they are Python: importing them runs them
        try:
            revisions = load_chain(config, server_dir)
        except ChainProblem as problem:
            return events.fact("chain", problem.details)
        events.fact("chain", {"problem": None, "revisions": revisions})
        states = {int(step): _lesson_metadata(path) for step, path in settings["states"].items()}
        walk = ChainWalk(engine, config, revisions, states, migrate.db.metadata, events, run_learner_code,
                         probe_steps=settings["probe_steps"], describe_changes=settings["mode"] == "changes")
        if settings["mode"] == "faults":
            return walk.run_faults()
        if settings["mode"] == "changes":
            return walk.run_changes()
        walk.run()
        if settings["learner_database"]:
            events.fact("learner_database", walk.compare_database(settings["learner_database"]))
        events.fact("offline", _render_offline(migrate.db, config, run_learner_code))


# SQLite cannot render batch operations without a live database, so SQLite chains are rendered as
# the SQL a PostgreSQL DBA would review. Making the engine needs only the driver, no server.
OFFLINE_URL = {"sqlite": "postgresql+psycopg://offline/hr"}


def _render_offline(db, config, run_learner_code):
    """Run the whole chain as `flask db upgrade --sql` does; the dialect and the error, if any."""
    import sqlalchemy as sa

    engines = db.engines  # Flask-Migrate's env.py asks Flask-SQLAlchemy for the engine's URL
    online = engines[None]
    url = OFFLINE_URL.get(online.dialect.name)
    offline = sa.create_engine(url) if url else online
    engines[None] = offline
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the SQL itself is not needed
            error = run_learner_code("rendering the chain as SQL (flask db upgrade --sql)",
                                     lambda: command.upgrade(config, "head", sql=True))
    finally:
        engines[None] = online
    return {"dialect": offline.dialect.name, "error": error}


def _import_app():
    module = importlib.import_module("app")
    app = getattr(module, "app", None)
    if app is None and callable(getattr(module, "create_app", None)):
        app = module.create_app()
    return app


def _app_problem(app, database):
    import sqlalchemy as sa
    from flask import Flask

    if not isinstance(app, Flask):
        return {"problem": "no_app"}
    if "migrate" not in app.extensions:
        return {"problem": "no_migrate"}
    with app.app_context():
        url = app.extensions["migrate"].db.engine.url
    expected = sa.make_url(os.environ["DATABASE_URL"])
    if url.get_backend_name() != database or url.database != expected.database:
        found = url.set(database=os.path.relpath(url.database)) if url.get_backend_name() == "sqlite" and url.database else url
        return {"problem": "ignores_database_url", "expected": database,
                "found": found.render_as_string(hide_password=True)}
    return None


def _has_tables(engine):
    import sqlalchemy as sa

    return bool(sa.inspect(engine).get_table_names())


def _lesson_metadata(path):
    """The MetaData of a lesson's models.py, loaded under a name of its own."""
    spec = importlib.util.spec_from_file_location(f"lesson_models_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.db.metadata


if __name__ == "__main__":
    warnings.simplefilter("ignore")  # library deprecation notices are not the learner's concern
    main(json.loads(sys.argv[1]))
