"""The learner's process: `python -m testing.inside.worker COMMANDS_FD REPLIES_FD`.

It starts in the scratch copy of the server folder, with DATABASE_URL pointing at a scratch
database, reads one command at a time and answers each with one reply (wire.py). It runs
the learner's code; it decides nothing.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from .bookkeeping import is_alembic_bookkeeping
from .failures import describe_exception
from .startup import without_mako_highlighting
from .wire import AppFacts, Command, Op, Pause, Reply, decode_command, encode

if TYPE_CHECKING:  # imported when the app loads, not before: the learner's process starts with little
    from alembic.config import Config
    from flask import Flask
    from sqlalchemy import Engine

# SQLite cannot render batch operations without a live database, so SQLite chains are rendered as
# the SQL a PostgreSQL DBA would review. Making the engine needs only the driver, no server.
OFFLINE_URL = {"sqlite": "postgresql+psycopg://offline/hr"}
MAX_SQL = 200_000  # characters of one revision's SQL sent back (the grader reads replies up to 1 MiB)


class Session:
    """The learner's app, loaded once, and the Alembic commands run on it."""

    def __init__(self, server_dir: str, wait: Callable[[Pause], None] | None = None) -> None:
        self.server_dir = server_dir
        self.wait = wait  # wait(Pause): tell the grader a statement is about to run, and wait for RESUME
        self.app: Flask | None = None
        self.migrate: Any = None  # Flask-Migrate's Migrate, which has no type information
        self.config: Config | None = None

    def _loaded(self) -> tuple[Any, Config]:
        """The app's Migrate and its Alembic Config: the grader sends LOAD before any other command."""
        if self.config is None:
            raise RuntimeError("a migration command came before the app was loaded")
        return self.migrate, self.config

    def run(self, command: Command) -> Reply:
        handler = {Op.LOAD: self.load, Op.SCRIPTS: self.scripts, Op.UPGRADE: self.upgrade, Op.DOWNGRADE: self.downgrade,
                   Op.MODELS: self.models, Op.OFFLINE: self.offline}[command.op]
        try:
            return handler(command)
        except BaseException as exc:  # the learner's code may raise anything, SystemExit included
            return Reply(ok=False, error=describe_exception(exc, self.server_dir))

    def load(self, command: Command) -> Reply:
        from flask import Flask

        module = importlib.import_module("app")
        app = getattr(module, "app", None)
        if app is None and callable(getattr(module, "create_app", None)):
            app = module.create_app()
        if not isinstance(app, Flask):
            return Reply(ok=True, app=AppFacts(problem="no_app"))
        if "migrate" not in app.extensions:
            return Reply(ok=True, app=AppFacts(problem="no_migrate"))
        self.app = app
        self.app.app_context().push()  # every later command runs inside it, as `flask db` does
        self.migrate = app.extensions["migrate"]
        url = self.migrate.db.engine.url
        self.config = self.migrate.migrate.get_config()
        migrations = self.config.get_main_option("script_location", "migrations")
        _load_offline_driver(url.get_backend_name())
        return Reply(ok=True, app=AppFacts(problem=None, backend=url.get_backend_name(), database=url.database,
                                           url=url.render_as_string(hide_password=True),
                                           migrations=os.path.abspath(migrations)))

    def scripts(self, command: Command) -> Reply:
        """Import every migration file as Alembic does, one at a time, so that a file that fails is
        named; the revision ids found."""
        from alembic.script import Script, ScriptDirectory

        directory = ScriptDirectory.from_config(self._loaded()[1])
        found: list[str] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for folder in directory._version_locations:
                if not folder.exists():
                    continue
                for path in Script._list_py_dir(directory, folder):
                    try:
                        script = Script._from_path(directory, path)
                    except BaseException as exc:  # migration files are Python: importing them runs them
                        return Reply(ok=False, revisions=tuple(found),
                                     error_file=os.path.relpath(path, self.server_dir),
                                     error=describe_exception(exc, self.server_dir))
                    if script is not None:
                        found.append(str(script.revision))
        return Reply(ok=True, revisions=tuple(found))

    def upgrade(self, command: Command) -> Reply:
        from alembic import command as alembic

        from .interrupt import InjectedFailure, fail_after_writes

        migrate, config = self._loaded()
        counting = command.fail_after is not None or command.count_writes
        engine = migrate.db.engine
        writes: AbstractContextManager[list[str]] = \
            fail_after_writes(engine, command.fail_after) if counting else contextlib.nullcontext([])
        with writes as written, pausing(engine, command.pause_first, self.wait):
            try:
                alembic.upgrade(config, _target(command))
            except InjectedFailure:
                return Reply(ok=True, **_writes(written))
            except BaseException as exc:
                return Reply(ok=False, **_writes(written),
                             error=describe_exception(exc, self.server_dir))
        return Reply(ok=True, **_writes(written))

    def downgrade(self, command: Command) -> Reply:
        from alembic import command as alembic

        alembic.downgrade(self._loaded()[1], _target(command))
        return Reply(ok=True)

    def models(self, command: Command) -> Reply:
        from .models import check_differences

        return Reply(ok=True, models=tuple(check_differences(self._loaded()[1])))

    def offline(self, command: Command) -> Reply:
        """Run the whole chain (or the range `command.target`, whose SQL is then sent) as
        `flask db upgrade --sql` does."""
        import sqlalchemy as sa
        from alembic import command as alembic

        migrate, config = self._loaded()
        engines = migrate.db.engines  # Flask-Migrate's env.py asks Flask-SQLAlchemy for the URL
        online = engines[None]
        url = OFFLINE_URL.get(online.dialect.name)
        offline = sa.create_engine(url) if url else online
        engines[None] = offline
        rendered = io.StringIO()
        try:
            with contextlib.redirect_stdout(rendered):
                alembic.upgrade(config, command.target or "head", sql=True)
        finally:
            engines[None] = online
        sql = rendered.getvalue()[:MAX_SQL] if command.target else None
        return Reply(ok=True, dialect=offline.dialect.name, sql=sql)


def _load_offline_driver(backend: str) -> None:
    """Import the driver OFFLINE will render with (psycopg: a twentieth of a second) in the background,
    while the grader reads the database between commands, instead of when OFFLINE comes last."""
    url = OFFLINE_URL.get(backend)
    if url is None:  # rendered with the app's own engine, whose driver is loaded
        return

    def load() -> None:
        import sqlalchemy as sa

        try:
            sa.create_engine(url).dispose()  # imports the dialect and its driver; connects nowhere
        except Exception:  # no driver here: OFFLINE says so when it comes
            pass

    try:
        threading.Thread(target=load, name="offline-driver", daemon=True).start()
    except RuntimeError:  # no thread to be had (the app's code used up the processes allowed): OFFLINE loads it
        pass


def _target(command: Command) -> str:
    """The revision an UPGRADE or DOWNGRADE goes to: the grader always names it."""
    if command.target is None:
        raise ValueError(f"{command.op.name} without a target revision")
    return command.target


@contextlib.contextmanager
def pausing(engine: Engine, count: int, wait: Callable[[Pause], None] | None) -> Iterator[None]:
    """Before each of the migration's first `count` statements, wait(Pause) (Alembic's own
    bookkeeping of alembic_version is not the migration's)."""
    if not count or wait is None:
        yield
        return
    from sqlalchemy import event

    paused: list[str] = []

    def before_cursor_execute(connection, cursor, statement, parameters, context, executemany):
        if len(paused) >= count or is_alembic_bookkeeping(statement):
            return
        paused.append(statement)
        plain = None if executemany else _plain_parameters(parameters)
        info = getattr(cursor.connection, "info", None)
        wait(Pause(statement=statement[:MAX_SQL], parameters=plain,
                   plain=not executemany and (plain is not None or parameters is None),
                   pid=getattr(info, "backend_pid", None), many=executemany))

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


def _plain_parameters(parameters):
    """The parameters as JSON values (a tuple as a list), or None when they are not plain."""
    if parameters is None:
        return None
    import json

    try:
        return json.loads(json.dumps(parameters))
    except (TypeError, ValueError):
        return None


def _writes(written):
    return {"write_count": len(written), "last_write": written[-1] if written else None}


def main(commands_fd: int, replies_fd: int) -> None:
    # The libraries every grade needs, imported while the grader loads the lesson states.
    without_mako_highlighting()
    import alembic.command  # noqa: F401
    import flask_migrate  # noqa: F401
    import flask_sqlalchemy  # noqa: F401

    commands = os.fdopen(commands_fd, "rb")
    replies = os.fdopen(replies_fd, "wb", buffering=0)

    def wait(pause):
        replies.write(encode(Reply(ok=True, pause=pause)))
        if decode_command(commands.readline()).op != Op.RESUME:
            raise RuntimeError("the grader sent a command where RESUME was expected")

    session = Session(os.getcwd(), wait)
    for line in commands:
        replies.write(encode(session.run(decode_command(line))))


if __name__ == "__main__":
    warnings.simplefilter("ignore")  # library deprecation notices are not the learner's concern
    main(int(sys.argv[1]), int(sys.argv[2]))
