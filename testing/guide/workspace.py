"""Replace what a learner's server folder holds: with the start of a step, or with a backup.

The new contents are made complete beside the folder first (a failing `flask db upgrade` changes
nothing); then the folder is backed up, emptied and filled. If the command is killed midway, the
backup is already whole and `lesson restore` brings everything back.
"""
import filecmp
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import course
from ..build import build_state
from ..command_errors import UsageError
from . import backups, evidence

PREPARE_TIME_LIMIT = 120  # seconds for `flask db upgrade` and seeding a new folder
UPGRADE_AND_SEED = Path(__file__).with_name("upgrade_and_seed.py")
NEW_SUFFIX = ".lesson-new"


@dataclass(frozen=True)
class Replaced:
    """What a command put in place of the learner's files, by path inside the server folder."""
    backup: "backups.Backup | None"
    changed: tuple[str, ...] = ()  # the learner's files now holding other contents
    removed: tuple[str, ...] = ()  # the learner's files that are gone (their own migrations, say)
    added: tuple[str, ...] = ()  # files that were not there before (the course's migrations, say)

    @property
    def anything(self) -> bool:
        return bool(self.changed or self.removed)


def start(number: int, server_dir: Path, say: Callable[[str], None] = lambda text: None,
          force: bool = False) -> Replaced:
    """Put `server_dir` at the beginning of step `number`; return what was replaced."""
    course.step(number)
    replaced = _replace(server_dir, f"lesson start {number}", lambda new: _prepare_start(number, new, say), force)
    evidence.give(server_dir, [step.number for step in course.steps_up_to(number - 1)])
    return replaced


def reset(server_dir: Path, force: bool = False) -> Replaced:
    replaced = _replace(server_dir, "lesson reset", lambda new: build_state(0, new), force)
    evidence.give(server_dir, [])
    return replaced


def restore(backup: backups.Backup, server_dir: Path, force: bool = False) -> Replaced:
    return _replace(server_dir, f"lesson restore {backup.name}",
                    lambda new: shutil.copytree(backup.server_copy, new, symlinks=True), force)


def _prepare_start(number, new, say):
    """Steps before `number` done: their models and migrations, the database upgraded and seeded.

    A step that begins with given migrations also gets them, not upgraded, and its models.py.
    """
    build_state(number - 1, new)
    if number > 1:
        say(f"lesson start {number}: upgrading a new database and putting in the sample rows...")
        _upgrade_and_seed(new, _sqlite_target(number - 1))
    step = course.step(number)
    for path in step.given_files:
        shutil.copyfile(path, new / "migrations" / "versions" / path.name)
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


def _upgrade_and_seed(folder, revision):
    """`flask db upgrade <revision>` and `python seed.py` in `folder`, in one process."""
    # The new database is the folder's own SQLite file, whatever DATABASE_URL the learner set.
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["PYTHONWARNINGS"] = "ignore"
    commands = f"`flask db upgrade {revision}` then `python seed.py`"
    try:
        done = subprocess.run([sys.executable, str(UPGRADE_AND_SEED), revision], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=PREPARE_TIME_LIMIT)
    except subprocess.TimeoutExpired:
        raise UsageError(f"{commands} took over {PREPARE_TIME_LIMIT} s; nothing was changed") from None
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:]
        raise UsageError(f"{commands} failed ({''.join(last)}); nothing was changed")


def _replace(server_dir, reason, make_new, force=False) -> Replaced:
    linked = Path(server_dir)
    server_dir = linked.resolve()
    if linked.is_symlink() and not server_dir.is_relative_to(course.REPO_ROOT) and not force:
        raise UsageError(f"{linked} is a link to {server_dir}, outside the course: `{reason}` would empty that "
                         "folder and fill it anew. Add --force if that is what you want.")
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
    replaced = _differences(server_dir, new, backup)
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
    return replaced


IGNORED = ("__pycache__",)


def _files(folder):
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {path.relative_to(folder).as_posix(): path for path in sorted(folder.rglob("*"))
            if (path.is_file() or path.is_symlink()) and not any(part in IGNORED for part in path.parts)}


def _differences(old, new, backup) -> Replaced:
    before, after = _files(old), _files(new)
    changed = tuple(name for name in before if name in after
                    and not filecmp.cmp(before[name], after[name], shallow=False))
    return Replaced(backup, changed=changed, removed=tuple(name for name in before if name not in after),
                    added=tuple(name for name in after if name not in before))
