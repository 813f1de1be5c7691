"""What a SQLite file itself witnesses of the commands run on it, whatever the learner's code says.

The file's header holds a change counter, which every write transaction moves on (in rollback-journal
mode), and the schema cookie, which every schema change moves on (PRAGMA schema_version reads it,
from the write-ahead log too). Neither ever goes back while the same file is migrated; a copy of the
file put back in its place, or a file made anew, brings older numbers with it.
"""
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

CHANGE_COUNTER_OFFSET = 24  # a 4-byte big-endian integer in the 100-byte database header


@dataclass(frozen=True)
class Counters:
    schema_version: int
    changes: int

    def went_back_from(self, before: "Counters") -> bool:
        return self.schema_version < before.schema_version or self.changes < before.changes


def file_of(engine: sa.Engine) -> Path | None:
    """The SQLite file `engine` reaches, or None for another database or one in memory."""
    path = engine.url.database
    return Path(path) if engine.dialect.name == "sqlite" and path and path != ":memory:" else None


def counters(engine: sa.Engine) -> Counters | None:
    """The counters of the SQLite file `engine` reaches, or None for another database or no file yet."""
    path = file_of(engine)
    if path is None or not path.is_file():
        return None
    with open(path, "rb") as file:
        header = file.read(CHANGE_COUNTER_OFFSET + 4)
    if len(header) < CHANGE_COUNTER_OFFSET + 4:
        return None  # not a database yet: SQLite writes its header with the first table
    with engine.connect() as connection:
        schema_version = connection.exec_driver_sql("PRAGMA schema_version").scalar_one()
    return Counters(int(schema_version), int.from_bytes(header[CHANGE_COUNTER_OFFSET:], "big"))
