"""`pipenv run faults`: make every reference migration fail right after each of its writes, in turn,
and say whether the database was left exactly as before (schema, every row, alembic_version).

It runs the course's end state (every reference migration of every step) in the grader's worker,
on a scratch database; SQLite uses step 11's atomic setting unless `stock_sqlite` asks for the
starter's app.py, whose sqlite3 opens no transaction before DDL, so a migration's first
statements (always DDL here) commit on their own.
"""
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import course
from .build import build_state
from .grader import DEFAULT_TIME_LIMIT, inject_faults, messages

STATEMENT_SHOWN = 48  # characters of the interrupted statement in a row


@dataclass
class Fault:
    migration: str  # file name
    after: int  # the write it failed after
    writes: int  # how many writes the migration makes
    statement: str | None  # None: it stopped on its own before that write (an error, fewer writes this time)
    left_behind: str | None  # None: the database was exactly as before

    @property
    def clean(self) -> bool:
        return self.left_behind is None


def inject(database: str = "sqlite", stock_sqlite: bool = False, time_limit: float = DEFAULT_TIME_LIMIT) -> list[Fault]:
    """Every fault of every reference migration, in chain order."""
    # Part 3's migrations commit piece by piece on purpose (autocommit_block): a failure midway
    # leaves what committed, and running them again finishes the work. Not what this measures.
    last = course.last_step_on_any_database().number
    with tempfile.TemporaryDirectory(prefix="course-faults-") as holder:
        server = build_state(last, Path(holder) / "server")
        if stock_sqlite:
            shutil.copyfile(course.starter_dir() / "app.py", server / "app.py")
        run = inject_faults(server, database, time_limit)
    return [Fault(Path(run.revisions[probe.index].file).name, probe.after, run.writes[probe.index],
                  probe.statement, None if probe.clean else messages.half_applied(probe))
            for probe in run.faults]


def render(faults: list[Fault]) -> str:
    width = max(len(fault.migration) for fault in faults)
    row = f"{{:<{width}}}  {{:<5}} {{:<{STATEMENT_SHOWN}}}  {{}}"
    lines = [row.format("migration", "write", "fails right after", "the database then")]
    for fault in faults:
        statement = " ".join(fault.statement.split()) if fault.statement is not None else "(stopped before it)"
        if len(statement) > STATEMENT_SHOWN:
            statement = statement[:STATEMENT_SHOWN - 3] + "..."
        result = "exactly as before" if fault.clean else fault.left_behind
        lines.append(row.format(fault.migration, f"{fault.after}/{fault.writes}", statement, result))
    clean = sum(fault.clean for fault in faults)
    lines.append(f"{clean}/{len(faults)} faults left the database exactly as before")
    return "\n".join(lines)
