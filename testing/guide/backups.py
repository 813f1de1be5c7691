"""Timestamped copies of a learner's server folder (files and instance/app.db), kept in .lesson/.

A backup is written under a temporary name and renamed when complete, so a backup that is listed
is always whole, even if the command making it was killed.
"""
import json
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import course
from ..command_errors import UsageError

BACKUPS_DIR = course.REPO_ROOT / ".lesson" / "backups"
ABOUT = "about.json"


@dataclass(frozen=True)
class Backup:
    path: Path
    created: str
    reason: str
    server_dir: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def server_copy(self) -> Path:
        return self.path / "server"


def back_up(server_dir: Path | str, reason: str) -> Backup | None:
    """Copy `server_dir` into a new backup; None when there is no such folder to save."""
    server_dir = Path(server_dir).resolve()
    if not server_dir.is_dir():
        return None
    BACKUPS_DIR.mkdir(parents=True, exist_ok=True)
    partial = BACKUPS_DIR / f".partial-{uuid.uuid4().hex}"
    shutil.copytree(server_dir, partial / "server", symlinks=True)
    now = datetime.now()
    about = {"created": now.isoformat(timespec="seconds"), "reason": reason, "server_dir": str(server_dir)}
    (partial / ABOUT).write_text(json.dumps(about, indent=2), encoding="utf-8")
    final = _free_name(now.strftime("%Y-%m-%d_%H-%M-%S"))
    partial.rename(final)
    return _read(final)


def _free_name(stem):
    candidate, number = BACKUPS_DIR / stem, 1
    while candidate.exists():
        number += 1
        candidate = BACKUPS_DIR / f"{stem}_{number}"
    return candidate


def _read(path: Path) -> Backup:
    about = json.loads((path / ABOUT).read_text(encoding="utf-8"))
    return Backup(path, about["created"], about["reason"], about["server_dir"])


def all_backups() -> list[Backup]:
    """Every complete backup, newest first."""
    if not BACKUPS_DIR.is_dir():
        return []
    found = [_read(path) for path in BACKUPS_DIR.iterdir()
             if not path.name.startswith(".") and (path / ABOUT).is_file()]
    return sorted(found, key=lambda backup: (backup.created, backup.name), reverse=True)


def find(name: str) -> Backup:
    """The backup called `name`, or the newest one for "latest"."""
    backups = all_backups()
    if not backups:
        raise UsageError("there are no backups yet: `lesson start`, `reset` and `restore` make one")
    if name == "latest":
        return backups[0]
    for backup in backups:
        if backup.name == name:
            return backup
    raise UsageError(f"there is no backup {name!r}: `pipenv run lesson restore` lists them")
