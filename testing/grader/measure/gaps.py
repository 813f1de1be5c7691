"""The requests of a step's old and new app, sent once each by the grader (statements.py).

Part 3 promises that both copies of the app keep working while a migration runs: the one deployed
before it (the step before's models) and the one deployed with it (the step's own). Sent between two
statements of the migration, these requests meet exactly what a request landing there in production
would meet, every time.
"""
import functools
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import orm

from .lesson_models import models_module
from .traffic import BIG_TABLE, new_row, number_attribute

PROBE_ID = 2_000_000_000  # the id of the row a probe inserts (rolled back), past every filler id


class AppRequests:
    """`requests(done)`: [(app step, request, the database's error)] for every request that failed.
    The step before's app runs throughout the migration; the step's own app is deployed once the
    migration is done, so it is sent only then (`done`)."""

    def __init__(self, engine: sa.Engine, running: tuple[int, Path], deployed: tuple[int, Path]) -> None:
        self.engine = engine
        self.running = _app(*running)
        self.deployed = _app(*deployed)

    def __call__(self, done: bool) -> list[tuple[int, str, str]]:
        failed = []
        with self.engine.connect() as connection:
            some_id = connection.exec_driver_sql(f'SELECT max(id) FROM "{BIG_TABLE}"').scalar()
            connection.rollback()
            for step, mapper in [self.running, self.deployed] if done else [self.running]:
                for request, send in _requests(mapper, some_id):
                    session = orm.Session(bind=connection)
                    try:
                        send(session)
                    except sa.exc.DBAPIError as error:
                        failed.append((step, request, _first_line(error)))
                    finally:
                        session.rollback()
                        session.close()
            if done:
                failed += _out_of_sync(connection, self.running, self.deployed, some_id)
        return failed


def _out_of_sync(connection, running, deployed, some_id):
    """Where the two apps name one text column differently (a rename in progress), what each
    writes must read back the same through the other, and no row may lack the new column's value."""
    (old_step, old), (new_step, new) = running, deployed
    old_only, new_only = (_texts(mapper) - _texts(other) for mapper, other in ((old, new), (new, old)))
    if len(old_only) != 1 or len(new_only) != 1:
        return []
    old_key, new_key = old_only.pop(), new_only.pop()
    found = []
    for (step, writer, key), (other_step, reader, other_key) in (((old_step, old, old_key), (new_step, new, new_key)),
                                                                 ((new_step, new, new_key), (old_step, old, old_key))):
        session = orm.Session(bind=connection)
        try:
            written = f"Sync {step}"
            row = session.get(writer.class_, some_id)
            setattr(row, key, written)
            session.flush()
            read = session.execute(sa.select(getattr(reader.class_, other_key))
                                   .where(reader.class_.id == some_id)).scalar()
            if read != written:
                found.append((step, f"update {key}", f"step {other_step:02d}'s app then reads {other_key} = {read!r}, "
                                                    f"not the {written!r} written"))
        except sa.exc.DBAPIError as error:
            found.append((step, f"update {key}", _first_line(error)))
        finally:
            session.rollback()
            session.close()
    column = new.columns[new_key].name
    empty = connection.exec_driver_sql(f'SELECT count(*) FROM "{BIG_TABLE}" WHERE "{column}" IS NULL').scalar()
    connection.rollback()
    if empty:
        found.append((new_step, f"read {new_key}", f"{empty:,} rows have no {column} after the migration"))
    return found


def _texts(mapper):
    return {key for key, column in mapper.columns.items() if isinstance(column.type, sa.String)}


def _app(step, models_path):
    """(step, the mapper of its model of the big table)."""
    models = models_module(models_path).db.Model
    table = models.metadata.tables[BIG_TABLE]
    return step, next(mapper for mapper in models.registry.mappers if mapper.local_table is table)


def _requests(mapper, some_id):
    """(name, send(session)) of the app's requests on the big table: read a row, insert one, and
    update each of its text and number columns on a row that exists."""
    model = mapper.class_
    requests: list[tuple[str, Callable[[orm.Session], object]]]
    requests = [("read", lambda session: session.execute(sa.select(model).where(model.id == some_id)).first()),
                ("insert", lambda session: _flushed(session, model(**new_row(session, mapper, PROBE_ID))))]
    number = number_attribute(mapper)
    texts = [key for key, column in mapper.columns.items() if isinstance(column.type, sa.String)]
    for key in texts:
        requests.append((f"update {key}", functools.partial(_updated, model=model, some_id=some_id, key=key,
                                                            changed=lambda value: f"Probe {some_id}")))
    requests.append((f"update {number}", lambda session: _updated(session, model, some_id, number,
                                                                  lambda value: (value or 0) + 1)))
    return requests


def _flushed(session, row):
    session.add(row)
    session.flush()


def _updated(session, model, some_id, key, changed):
    row = session.get(model, some_id)
    if row is not None:
        setattr(row, key, changed(getattr(row, key)))
        session.flush()


def _first_line(error):
    text = str(getattr(error, "orig", error)).strip()
    return text.splitlines()[0] if text else type(error).__name__
