"""The course's steps, read from lessons/course.toml, and the folders everything lives in."""
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LESSONS_DIR = REPO_ROOT / "lessons"
SERVER_DIR = REPO_ROOT / "server"
MANIFEST = LESSONS_DIR / "course.toml"


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    folder: Path
    models_may_lag: bool = False

    @property
    def label(self):
        return f"{self.number:02d}"

    @property
    def models_path(self):
        return self.folder / "models.py"

    @property
    def versions_dir(self):
        return self.folder / "versions"

    @property
    def readme(self):
        return self.folder / "README.md"

    @property
    def migration_files(self):
        if not self.versions_dir.is_dir():
            return []
        return sorted(self.versions_dir.glob("*.py"))

    def hints(self):
        """The step's hints, in order: the sections of hints.md, each under a '## ' heading."""
        text = (self.folder / "hints.md").read_text(encoding="utf-8")
        return [part.strip() for part in re.split(r"^## .*$", text, flags=re.M)[1:] if part.strip()]


@cache
def steps():
    manifest = tomllib.loads(MANIFEST.read_text(encoding="utf-8"))
    return tuple(
        Step(
            number=entry["number"],
            title=entry["title"],
            folder=LESSONS_DIR / entry["folder"],
            models_may_lag=entry.get("models_may_lag", False),
        )
        for entry in manifest["step"]
    )


def step(number):
    for candidate in steps():
        if candidate.number == number:
            return candidate
    raise KeyError(number)
