"""The requests of a step's old and new app, sent once each by the grader (statements.py).

Part 3 promises that both copies of the app keep working while a migration runs: the one deployed
before it (the step before's models) and the one deployed with it (the step's own). Sent between two
statements of the migration, these requests meet exactly what a request landing there in production
would meet, every time.
"""
import sqlalchemy as sa
from sqlalchemy import orm

from .lessons import models_module
from .traffic import BIG_TABLE, new_row, number_attribute

PROBE_ID = 2_000_000_000  # the id of the row a probe inserts (rolled back), past every filler id


class AppRequests:
    """`requests(done)`: [(app step, request, the database's error)] for every request that failed.
    The step before's app runs throughout the migration; the step's own app is deployed once the
    migration is done, so it is sent only then (`done`)."""

    def __init__(self, engine, running, deployed):
        self.engine = engine
        self.running = _app(*running)
        self.deployed = _app(*deployed)

    def __call__(self, done):
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
        return failed


def _app(step, models_path):
    """(step, the mapper of its model of the big table)."""
    models = models_module(models_path).db.Model
    table = models.metadata.tables[BIG_TABLE]
    return step, next(mapper for mapper in models.registry.mappers if mapper.local_table is table)


def _requests(mapper, some_id):
    """(name, send(session)) of the app's requests on the big table: read a row, insert one, and
    update each of its text and number columns on a row that exists."""
    model = mapper.class_
    requests = [("read", lambda session: session.execute(sa.select(model).where(model.id == some_id)).first()),
                ("insert", lambda session: _flushed(session, model(**new_row(session, mapper, PROBE_ID))))]
    number = number_attribute(mapper)
    texts = [key for key, column in mapper.columns.items() if isinstance(column.type, sa.String)]
    for key in texts:
        requests.append((f"update {key}", lambda session, key=key: _updated(session, model, some_id, key,
                                                                            lambda value: f"Probe {some_id}")))
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
