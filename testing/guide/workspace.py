"""Replace what a learner's server folder holds: with the start of a step, or with a backup.

The new contents are made complete beside the folder first (a failing `flask db upgrade` changes
nothing); then the folder is backed up, emptied and filled. If the command is killed midway, the
backup is already whole and `lesson restore` brings everything back.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .. import course
from ..build import build_state
from ..problems import UsageError
from . import backups

PREPARE_TIME_LIMIT = 120  # seconds for `flask db upgrade` or seeding a new folder
NEW_SUFFIX = ".lesson-new"


def start(number, server_dir):
    """Put `server_dir` at the beginning of step `number`; return the backup of what was there."""
    course.step(number)
    return _replace(server_dir, f"lesson start {number}", lambda new: _prepare_start(number, new))


def reset(server_dir):
    return _replace(server_dir, "lesson reset", lambda new: build_state(0, new))


def restore(backup, server_dir):
    return _replace(server_dir, f"lesson restore {backup.name}",
                    lambda new: shutil.copytree(backup.server_copy, new, symlinks=True))


def _prepare_start(number, new):
    """Steps before `number` done: their models and migrations, the database upgraded and seeded.

    A step that begins with given migrations also gets them, not upgraded, and its models.py.
    """
    build_state(number - 1, new)
    if number > 1:
        for command in (["-m", "flask", "db", "upgrade", _sqlite_target(number - 1)], ["seed.py"]):
            _run_in(new, command)
    step = course.step(number)
    for name in step.given:
        shutil.copyfile(step.versions_dir / name, new / "migrations" / "versions" / name)
    if step.given:
        shutil.copyfile(step.models_path, new / "models.py")


def _sqlite_target(number):
    """The revision the folder's SQLite database is upgraded to: the head, or, once Part 3's
    migrations (PostgreSQL only) are there, the last one before them."""
    done = course.steps_up_to(number)
    if not any(step.database for step in done):
        return "head"
    last = [step for step in done if step.database is None and step.migration_files][-1]
    return last.migration_files[-1].name.split("_", 1)[0]


def _run_in(folder, arguments):
    # The new database is the folder's own SQLite file, whatever DATABASE_URL the learner set.
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["PYTHONWARNINGS"] = "ignore"
    try:
        done = subprocess.run([sys.executable, *arguments], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=PREPARE_TIME_LIMIT)
    except subprocess.TimeoutExpired:
        raise UsageError(f"`{' '.join(arguments)}` took over {PREPARE_TIME_LIMIT} s; nothing was changed") from None
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:]
        raise UsageError(f"`python {' '.join(arguments)}` failed ({''.join(last)}); nothing was changed")


def _replace(server_dir, reason, make_new):
    server_dir = Path(server_dir).resolve()
    if backups.BACKUPS_DIR.resolve().is_relative_to(server_dir):  # it would empty its own backups
        raise UsageError(f"{server_dir} holds the course's backups (.lesson/): "
                         "--server-dir must name the server folder")
    new = server_dir.with_name(server_dir.name + NEW_SUFFIX)
    shutil.rmtree(new, ignore_errors=True)  # left by a command killed midway
    try:
        make_new(new)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    backup = backups.back_up(server_dir, reason)
    # The folder itself stays (a learner's shell is often inside it); only what it holds changes.
    server_dir.mkdir(exist_ok=True)
    for child in list(server_dir.iterdir()):
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    for child in list(new.iterdir()):
        child.rename(server_dir / child.name)
    new.rmdir()
    return backup
