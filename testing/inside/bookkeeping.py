"""Alembic's own statements on its version table, which are not a migration's work: the learner's
process neither pauses on them nor counts them as writes, and the grader does not ask to have been
shown them. One rule for both sides, so that each leaves out exactly what the other does."""
import re

_REVISION = r"'[^']*'"
# The statements as Alembic sends them, whole: a learner's own query that names the table (a SELECT of
# version_num, a comment, a subquery) is the migration's, shown and measured like any other.
_ALEMBIC_VERSION = re.compile("|".join((
    r"CREATE TABLE alembic_version \(\s*version_num VARCHAR\(\d+\) NOT NULL,\s*"
    r"CONSTRAINT alembic_version_pkc PRIMARY KEY \(version_num\)\s*\)",
    rf"INSERT INTO alembic_version \(version_num\) VALUES \({_REVISION}\)( RETURNING (alembic_version\.)?version_num)?",
    rf"UPDATE alembic_version SET version_num={_REVISION} WHERE alembic_version\.version_num = {_REVISION}",
    rf"DELETE FROM alembic_version WHERE alembic_version\.version_num = {_REVISION}",
    r"SELECT alembic_version\.version_num\s+FROM alembic_version",
)))


def is_alembic_bookkeeping(statement: str) -> bool:
    return _ALEMBIC_VERSION.fullmatch(statement.strip()) is not None
