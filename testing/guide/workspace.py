"""Replace a learner's server folder: with the start of a step, or with a backup.

The new folder is made complete beside the old one first; then the old one is backed up and the
two are swapped by renaming. If the command is killed midway, the backup is already whole and
`lesson restore` brings everything back.
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
NEW_SUFFIX, OLD_SUFFIX = ".lesson-new", ".lesson-old"


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
    """Steps before `number` done: their models and migrations, the database upgraded and seeded."""
    build_state(number - 1, new)
    if number > 1:
        for command in (["-m", "flask", "db", "upgrade"], ["seed.py"]):
            _run_in(new, command)


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
    new, old = (server_dir.with_name(server_dir.name + suffix) for suffix in (NEW_SUFFIX, OLD_SUFFIX))
    # A command killed midway may have left these: put the learner's folder back, drop the rest.
    if old.exists() and not server_dir.exists():
        old.rename(server_dir)
    for leftover in (new, old):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        make_new(new)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    backup = backups.back_up(server_dir, reason)
    if server_dir.exists():
        server_dir.rename(old)
    new.rename(server_dir)
    shutil.rmtree(old, ignore_errors=True)
    return backup
