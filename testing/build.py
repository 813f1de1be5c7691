"""Write a complete server folder at the reference end state of a step.

`build_state(3, target)` gives the starter app, lessons/03's models.py, a migrations folder made
by Flask-Migrate's own template, and the reference migrations of steps 1 to 3.
"""
import contextlib
import io
import shutil
import threading
from pathlib import Path

from . import course
from .command_errors import UsageError


def build_state(number: int, target: Path | str) -> Path:
    """Write the end state of step `number` (0: the starting point) into the new folder `target`."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"{target} is not empty: choose a new folder")
    steps = course.steps_up_to(number)
    shutil.copytree(course.starter_dir(), target, dirs_exist_ok=True)
    if not steps:
        return target
    for step in steps:
        for path in step.server_files:  # the newest one up to the step wins
            shutil.copyfile(path, target / path.name)
    _init_migrations(target / "migrations")
    for step in steps:
        for migration in step.migration_files:
            shutil.copyfile(migration, target / "migrations" / "versions" / migration.name)
    return target


# Alembic's init prints "Generating ..." to sys.stdout, whatever its quiet option says, and
# redirect_stdout swaps sys.stdout for the whole process: two folders built at once in threads could
# leave the StringIO of one as everyone's stdout. One swap at a time.
_STDOUT_TAKEN = threading.Lock()


def _init_migrations(directory):
    """What `flask db init` writes, from Flask-Migrate's own template."""
    # Imported here: the course's commands start faster when only this needs Alembic.
    from alembic import command
    from flask_migrate import Config

    config = Config(str(directory / "alembic.ini"))
    config.set_main_option("script_location", str(directory).replace("%", "%%"))  # an ini file interpolates %
    with _STDOUT_TAKEN, contextlib.redirect_stdout(io.StringIO()):
        command.init(config, str(directory), template="flask")
