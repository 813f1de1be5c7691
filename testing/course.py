"""The course's steps, read from lessons/course.toml, and the folders everything lives in."""
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .problems import UsageError

REPO_ROOT = Path(__file__).resolve().parents[1]
LESSONS_DIR = REPO_ROOT / "lessons"
SERVER_DIR = REPO_ROOT / "server"
MANIFEST = LESSONS_DIR / "course.toml"
FIRST_COMMAND = re.compile(r"^\$ (.+)$", re.M)
# A README marks a first action that is not a command (an edit) where the lesson asks for it.
FIRST_ACTION = re.compile(r"^<!-- lesson-first-action: (.+?) -->$", re.M)


@dataclass(frozen=True)
class Action:
    """What a lesson asks the learner to do first: a command to type in server/, or an edit."""
    text: str
    typed: bool


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    folder: Path
    models_may_lag: bool = False
    checks: tuple = ()  # names of the step's own checks (judge.STEP_CHECKS), beyond the common ones
    given: tuple = ()  # names of reference migrations the step starts with (`lesson start`)
    database: str | None = None  # the one database the step's migrations run on (Part 3: postgresql)

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

    @property
    def first_command(self):
        """The first command the lesson's README asks the learner to type."""
        found = FIRST_COMMAND.search(self.readme.read_text(encoding="utf-8"))
        return found.group(1) if found else None

    @property
    def first_action(self):
        """The first thing the lesson asks for: its marked first action if it comes before the
        first command, else that command."""
        text = self.readme.read_text(encoding="utf-8")
        marked, command = FIRST_ACTION.search(text), FIRST_COMMAND.search(text)
        if marked and (command is None or marked.start() < command.start()):
            return Action(marked.group(1), typed=False)
        return Action(command.group(1), typed=True) if command else None

    def hints(self):
        """The step's hints, in order: the sections of hints.md, each under a '## ' heading."""
        text = (self.folder / "hints.md").read_text(encoding="utf-8")
        return [part.strip() for part in re.split(r"^## .*$", text, flags=re.M)[1:] if part.strip()]


@cache
def manifest():
    return tomllib.loads(MANIFEST.read_text(encoding="utf-8"))


def title():
    return manifest()["title"]


def starter_dir():
    """The pristine server folder a learner starts from (server/ is the learner's copy of it)."""
    return LESSONS_DIR / manifest()["starter"]


@cache
def steps():
    return tuple(
        Step(
            number=entry["number"],
            title=entry["title"],
            folder=LESSONS_DIR / entry["folder"],
            models_may_lag=entry.get("models_may_lag", False),
            checks=tuple(entry.get("checks", ())),
            given=tuple(entry.get("given", ())),
            database=entry.get("database"),
        )
        for entry in manifest()["step"]
    )


def step(number):
    for candidate in steps():
        if candidate.number == number:
            return candidate
    raise UsageError(f"there is no step {number}: the course has steps 1 to {len(steps())}")


def steps_up_to(number):
    """Steps 1 to `number`; 0 gives none (the starting point)."""
    if number != 0:
        step(number)
    return [candidate for candidate in steps() if candidate.number <= number]


def lesson_table():
    """The README's table of lessons, in Markdown."""
    rows = [f"| {step.label} | [{step.title}]({step.readme.relative_to(REPO_ROOT).as_posix()}) |"
            for step in steps()]
    return "\n".join(["| step | lesson |", "|---|---|", *rows])
