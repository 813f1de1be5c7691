"""The course's steps, read from lessons/course.toml, and the folders everything lives in.

One folder a step, lessons/NN-<key>/, each part with one role:
    README.md, hints.md   what the learner reads
    models.py             the step's end state (app.py, .squawk.toml beside it: other files it changes)
    versions/             the reference solution's migrations
    given/                migrations the step hands out: `lesson start` puts them in place
    author/               the course author's material, never shown to the learner (testing/author.py)

The manifest is checked when it is read: a mistake in it is one UsageError line, not a traceback
somewhere later. COURSE_LESSONS_DIR names another lessons folder (a course under construction).
"""
import os
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .command_errors import UsageError

REPO_ROOT = Path(__file__).resolve().parents[1]
LESSONS_DIR = Path(os.environ.get("COURSE_LESSONS_DIR") or REPO_ROOT / "lessons").resolve()
SERVER_DIR = REPO_ROOT / "server"
MANIFEST = LESSONS_DIR / "course.toml"
FIRST_COMMAND = re.compile(r"^\$ (.+)$", re.M)
# A README marks a first action that is not a command (an edit) where the lesson asks for it.
FIRST_ACTION = re.compile(r"^<!-- lesson-first-action: (.+?) -->$", re.M)
# The files of a step folder that are the end state's own, beside models.py: the newest one up to a
# step is the learner's (testing/build.py).
SERVER_FILES = ("app.py", "models.py", ".squawk.toml")
# What every step folder holds: the lesson, its hints, its end state.
EVERY_FOLDER_HAS = ("README.md", "hints.md", "models.py")
# The databases a grade runs on, and a step's `database` key may name.
DATABASES = ("sqlite", "postgresql", "mysql")
DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}  # as messages name them

COURSE_KEYS = {"title", "starter", "step"}
STEP_KEYS = {"number", "title", "folder"}
OPTIONAL_STEP_KEYS = {"models_may_lag", "checks", "given", "database"}


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
    # Titles of the step's own checks, beyond the common ones: the grader's registry knows them
    # (grader/checks.py, ASKABLE) and refuses a title it does not know when it grades.
    checks: tuple[str, ...] = ()
    given: tuple[str, ...] = ()  # names of the migrations in given/ the step starts with (`lesson start`)
    database: str | None = None  # the one database the step's migrations run on (Part 3: postgresql)

    @property
    def label(self) -> str:
        return f"{self.number:02d}"

    @property
    def key(self) -> str:
        """The step's stable name: its folder's name without the number ("rename-a-table").
        Messages name a lesson by it, so renumbering the course changes no sentence by hand."""
        return self.folder.name.split("-", 1)[1]

    @property
    def models_path(self) -> Path:
        return self.folder / "models.py"

    @property
    def versions_dir(self) -> Path:
        return self.folder / "versions"

    @property
    def given_dir(self) -> Path:
        return self.folder / "given"

    @property
    def author_dir(self) -> Path:
        return self.folder / "author"

    @property
    def tries_dir(self) -> Path:
        """Files a README's tests put in place: the first tries a lesson shows (author/tries/)."""
        return self.author_dir / "tries"

    @property
    def readme(self) -> Path:
        return self.folder / "README.md"

    @property
    def hints_path(self) -> Path:
        return self.folder / "hints.md"

    @property
    def given_files(self) -> list[Path]:
        return [self.given_dir / name for name in self.given]

    @property
    def migration_files(self) -> list[Path]:
        """Every migration of the step's reference chain: the given ones and the solution's."""
        written = sorted(self.versions_dir.glob("*.py")) if self.versions_dir.is_dir() else []
        return sorted(written + self.given_files, key=lambda path: path.name)

    @property
    def server_files(self) -> list[Path]:
        """The end state's files this step's folder holds (models.py at least)."""
        return [self.folder / name for name in SERVER_FILES if (self.folder / name).is_file()]

    @property
    def changes_files(self) -> bool:
        """Whether the step's end state differs from its start in more than the learner's database."""
        return bool(self.migration_files) or any(path.name != "models.py" for path in self.server_files)

    @property
    def first_command(self) -> str | None:
        """The first command the lesson's README asks the learner to type."""
        found = FIRST_COMMAND.search(self.readme.read_text(encoding="utf-8"))
        return found.group(1) if found else None

    @property
    def first_action(self) -> Action | None:
        """The first thing the lesson asks for: its marked first action if it comes before the
        first command, else that command."""
        text = self.readme.read_text(encoding="utf-8")
        marked, command = FIRST_ACTION.search(text), FIRST_COMMAND.search(text)
        if marked and (command is None or marked.start() < command.start()):
            return Action(marked.group(1), typed=False)
        return Action(command.group(1), typed=True) if command else None

    def hints(self) -> list[str]:
        """The step's hints, in order: the sections of hints.md, each under a '## ' heading."""
        text = self.hints_path.read_text(encoding="utf-8")
        return [part.strip() for part in re.split(r"^## .*$", text, flags=re.M)[1:] if part.strip()]


@cache
def manifest() -> dict[str, Any]:
    try:
        text = MANIFEST.read_text(encoding="utf-8")
    except OSError as problem:
        raise UsageError(f"the course has no manifest: {MANIFEST} ({problem.strerror})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise UsageError(f"{MANIFEST} is not valid TOML: {problem}") from None


def title() -> str:
    return str(manifest()["title"])


def starter_dir() -> Path:
    """The pristine server folder a learner starts from (server/ is the learner's copy of it)."""
    return LESSONS_DIR / str(manifest()["starter"])


@cache
def steps() -> tuple[Step, ...]:
    """The course's steps, in order; the manifest is checked first (a UsageError names its mistake)."""
    return validated(manifest(), LESSONS_DIR)


def validated(data: dict[str, Any], lessons_dir: Path) -> tuple[Step, ...]:
    """The steps a manifest's `data` describes, its folders under `lessons_dir`; UsageError with one
    line for the first thing wrong in it."""
    def wrong(text):
        return UsageError(f"{lessons_dir / 'course.toml'}: {text}")

    missing = sorted(COURSE_KEYS - data.keys())
    if missing:
        raise wrong(f"missing {', '.join(missing)}")
    if not (lessons_dir / data["starter"]).is_dir():
        raise wrong(f"starter = {data['starter']!r}: there is no folder {lessons_dir / data['starter']}")
    steps: list[Step] = []
    for position, entry in enumerate(data["step"], 1):
        name = f"step {entry.get('number', f'#{position}')}"
        missing = sorted(STEP_KEYS - entry.keys())
        if missing:
            raise wrong(f"{name} has no {', '.join(missing)}")
        unknown = sorted(entry.keys() - STEP_KEYS - OPTIONAL_STEP_KEYS)
        if unknown:
            raise wrong(f"{name} has unknown keys {', '.join(unknown)} "
                        f"(known: {', '.join(sorted(STEP_KEYS | OPTIONAL_STEP_KEYS))})")
        if any(entry["number"] == earlier.number for earlier in steps):
            raise wrong(f"two steps have number {entry['number']}")
        if entry["number"] != position:
            raise wrong(f"{name} is the manifest's step {position}: numbers go 1, 2, 3... in order, without gaps")
        step = Step(number=entry["number"], title=entry["title"], folder=lessons_dir / entry["folder"],
                    models_may_lag=entry.get("models_may_lag", False), checks=tuple(entry.get("checks", ())),
                    given=tuple(entry.get("given", ())), database=entry.get("database"))
        _check_folder(step, name, wrong)
        steps.append(step)
    keys = [step.key for step in steps]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise wrong(f"two folders have the key {twice[0]!r} (a folder's name without its number): rename one")
    return tuple(steps)


def _check_folder(step, name, wrong):
    if not re.fullmatch(r"\d+-[a-z0-9-]+", step.folder.name):
        raise wrong(f"{name}: folder {step.folder.name!r} must be named NN-words-with-hyphens")
    if not step.folder.is_dir():
        raise wrong(f"{name}: there is no folder {step.folder}")
    absent = [part for part in EVERY_FOLDER_HAS if not (step.folder / part).is_file()]
    if absent:
        raise wrong(f"{name}: {step.folder} has no {', '.join(absent)}")
    if step.database is not None and step.database not in DATABASES:
        raise wrong(f"{name}: unknown database {step.database!r} (one of {', '.join(DATABASES)})")
    lost = [path.name for path in step.given_files if not path.is_file()]
    if lost:
        raise wrong(f"{name}: given file {lost[0]} is not in {step.given_dir}")
    unlisted = sorted(path.name for path in step.given_dir.glob("*.py") if path.name not in step.given)
    if unlisted:
        raise wrong(f"{name}: {step.given_dir / unlisted[0]} is not in its `given` list")


def last_step_on_any_database() -> Step:
    """The last step whose migrations run on any database: the one before Part 3's, which run on
    PostgreSQL only."""
    return [candidate for candidate in steps() if candidate.database is None][-1]


def step(number: int) -> Step:
    for candidate in steps():
        if candidate.number == number:
            return candidate
    raise UsageError(f"there is no step {number}: the course has steps 1 to {len(steps())}")


def step_by_key(key: str) -> Step:
    """The step whose folder is NN-`key` (messages name lessons this way, not by number)."""
    for candidate in steps():
        if candidate.key == key:
            return candidate
    raise UsageError(f"the course has no step {key!r} (keys: {', '.join(each.key for each in steps())})")


def steps_up_to(number: int) -> list[Step]:
    """Steps 1 to `number`; 0 gives none (the starting point)."""
    if number != 0:
        step(number)
    return [candidate for candidate in steps() if candidate.number <= number]


def relative(path: Path | str) -> str:
    """A course file's path as the learner types it from the course's folder."""
    path = Path(path)
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)


def lesson_table() -> str:
    """The README's table of lessons, in Markdown."""
    rows = [f"| {step.label} | [{step.title}]({relative(step.readme)}) |" for step in steps()]
    return "\n".join(["| step | lesson |", "|---|---|", *rows])
