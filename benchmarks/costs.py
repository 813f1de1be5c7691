"""Migration cost against table size: every reference migration, upgraded and downgraded on tables
of each size, next to its raw-SQL floor and, where the lessons warn against one, its naive version
(both kept in the step's folder: lessons/NN-*/author/step.toml, [benchmark.<revision>]).

`measure()` builds the course's end state and runs `python -m benchmarks.costs SETTINGS` in it, one
process per database (the app reads DATABASE_URL when it is imported).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from testing import author, course
from testing.build import build_state
from testing.grader import scratch_database

NAIVE_MIGRATIONS = "migrations-naive"


def measure(database, sizes, naive_max_rows):
    """One dict per (migration, size): seconds for upgrade, downgrade, floor and naive (or None)."""
    with tempfile.TemporaryDirectory(prefix="bench-costs-") as holder:
        # Part 3's migrations run on PostgreSQL only, under traffic: benchmarks/traffic.py measures them.
        last = course.last_step_on_any_database()
        server = build_state(last.number, Path(holder) / "server")
        naive = server / NAIVE_MIGRATIONS
        shutil.copytree(server / "migrations", naive)
        _write_naive(naive / "versions")
        with scratch_database(database, Path(holder)) as scratch:
            url = scratch.url
            env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(course.REPO_ROOT), "PYTHONWARNINGS": "ignore"}
            settings = json.dumps({"sizes": sizes, "naive_max_rows": naive_max_rows})
            done = subprocess.run([sys.executable, "-m", "benchmarks.costs", settings], cwd=server, env=env,
                                  capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"measuring on {database} failed after {done.stdout[-300:]}:\n{done.stderr[-1500:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def _write_naive(versions):
    """Put each naive upgrade() in place of its reference migration's own, in the copies in `versions`
    (the header and downgrade() stay)."""
    for alternative in author.alternatives().values():
        if alternative.naive is None:
            continue
        path = next(versions.glob(f"{alternative.revision}_*.py"))
        text = path.read_text()
        path.write_text(text[:text.index("def upgrade():")] + alternative.naive + "\n\n"
                        + text[text.index("def downgrade():"):])


def _seconds(action, *arguments):
    started = time.perf_counter()
    action(*arguments)
    return time.perf_counter() - started


def _run(settings):
    from alembic import command
    from app import app

    from testing.grader import parent_target, read_chain, schema
    from testing.grader.codec import typed
    from testing.grader.facts import Revision

    from .tables import fill

    alternatives = author.alternatives()
    with app.app_context():
        migrate = app.extensions["migrate"]
        engine = migrate.db.engine
        config, naive_config = migrate.migrate.get_config(), migrate.migrate.get_config(NAIVE_MIGRATIONS)
        dialect = engine.dialect.name

        def start_at(parents, rows):
            """An empty database upgraded to the one parent in `parents` (if any), with `rows` employees."""
            with engine.begin() as connection:
                schema.drop_everything(connection)
            if parents:
                command.upgrade(config, parents[0])
            fill(engine, rows)

        def floor(statements):
            with engine.begin() as connection:
                for statement in statements:
                    connection.exec_driver_sql(statement)

        for written in read_chain(config.get_main_option("script_location"), os.getcwd()):
            revision = typed(Revision, written)
            parents, target = revision.parents, revision.id
            if len(parents) > 1:  # the merge: nothing to change, nothing to measure
                continue
            statements = alternatives[target].floors[dialect]
            below = parent_target(revision)
            has_naive = alternatives[target].naive is not None
            for rows in settings["sizes"]:
                start_at(parents, rows)
                result = {"revision": target, "file": Path(revision.file).name, "rows": rows,
                          "upgrade": _seconds(command.upgrade, config, target),
                          "downgrade": _seconds(command.downgrade, config, below), "naive": None}
                start_at(parents, rows)  # a fresh table: after an UPDATE, PostgreSQL's holds dead rows
                result["floor"] = _seconds(floor, statements)
                row_by_row = alternatives[target].row_by_row
                if has_naive and (not row_by_row or rows <= settings["naive_max_rows"]):
                    start_at(parents, rows)
                    result["naive"] = _seconds(command.upgrade, naive_config, target)
                print(json.dumps(result), flush=True)


if __name__ == "__main__":
    import contextlib
    import io
    import warnings

    warnings.simplefilter("ignore")
    settings_ = json.loads(sys.argv[1])
    with contextlib.redirect_stderr(io.StringIO()):  # Alembic's INFO lines
        _run(settings_)
