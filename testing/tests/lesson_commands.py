"""Run the commands a lesson README shows, in a scratch server folder, and compare the output.

In a README, a ```console block holds commands (lines starting with "$ ") each followed by the
output the learner should see. A line "..." stands for any number of lines. Revision ids, dates
and the scratch folder's path are normalised on both sides.

Each lesson starts where `lesson start N` puts the learner (testing/guide/workspace.py).
The learner's edits are HTML comments, invisible on GitHub, placed where the lesson asks for them:
    <!-- lesson-test: models -->      models.py becomes the step's lessons/NN/models.py
    <!-- lesson-test: models FILE --> models.py becomes lessons/NN/FILE (a first try the lesson shows,
                                     kept in the step's author/tries/)
    <!-- lesson-test: app -->         app.py becomes the step's lessons/NN/app.py
    <!-- lesson-test: migration -->   the newest migration becomes the step's reference migration
    <!-- lesson-test: file NAME -->    server/NAME becomes the step's lessons/NN/NAME (.squawk.toml)
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

from testing import course

from .clones import learner_environment

BLOCK = re.compile(r"```console\n(.*?)```|<!-- lesson-test: ([\w ./-]+?) -->", re.S)
REVISION = re.compile(r"(?<![0-9a-f])[0-9a-f]{12}(?![0-9a-f])")
DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+")
ANY_LINES = "..."
# A Python warning as the learner's terminal shows it ("…/render.py:488: UserWarning: …"): a lesson
# must show it, so a "..." line never stands for one.
WARNING = re.compile(r"^\S.*?:\d+: \w*Warning: ")


@dataclass
class Command:
    line: str
    expected: list = field(default_factory=list)


def script(readme_text):
    """The README as a list of Command and edit names, in order."""
    items = []
    for match in BLOCK.finditer(readme_text):
        if match.group(2):
            items.append(match.group(2))
            continue
        for line in match.group(1).splitlines():
            if line.startswith("$ "):
                items.append(Command(line[2:]))
            elif items and isinstance(items[-1], Command):
                items[-1].expected.append(line)
    return items


def normalise(text, server):
    text = text.replace(str(server), ".../server")
    return DATE.sub("<date>", REVISION.sub("<revision>", text))


def matches(expected, actual):
    """True when `actual` lines fit `expected` lines, where a line "..." matches any run of lines
    but a warning's, and "..." inside a line any text (a temporary folder's name, say)."""
    if not expected:
        return not actual
    if expected[0] == ANY_LINES:
        # Skip lines up to the first warning at most: the lesson must show that one.
        limit = next((index for index, line in enumerate(actual) if WARNING.match(line)), len(actual))
        return any(matches(expected[1:], actual[skip:]) for skip in range(limit + 1))
    return bool(actual) and _line_fits(expected[0], actual[0]) and matches(expected[1:], actual[1:])


def _line_fits(expected, actual):
    pattern = ".*".join(re.escape(part) for part in expected.rstrip().split(ANY_LINES))
    return re.fullmatch(pattern, actual.rstrip()) is not None


# Stands in for pipenv in the lesson's shell: the course's scripts, run by this Python on the
# scratch server folder. The learner's scripts (Pipfile) run the same cli.py.
PIPENV = """pipenv() {
  [ "$1" = run ] || { echo "the lesson tests only know 'pipenv run'" >&2; return 2; }
  local script=$2; shift 2
  case $script in
    grade) "$COURSE_PYTHON" "$COURSE_CLI" grade "$@" --server-dir "$COURSE_SERVER" ;;
    lesson) "$COURSE_PYTHON" "$COURSE_CLI" lesson --server-dir "$COURSE_SERVER" "$@" ;;
    *) "$COURSE_PYTHON" "$COURSE_CLI" "$script" "$@" ;;
  esac
}"""


class Shell:
    """A learner's terminal in `server`: each command runs in bash, and what it exports (or unsets)
    is there for the next one. `pipenv run pg` keeps its state in the scratch folder too."""

    def __init__(self, server):
        self.server = server
        self.exported = server.parent / "exported.sh"
        self.pg_state = server.parent / "pg.json"

    def run(self, command):
        env = learner_environment()
        env.pop("PYTHONWARNINGS", None)  # a learner's terminal shows Python's default warnings
        env.update(PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
                   PYTHONUNBUFFERED="1",  # interleave output, logs and warnings as a terminal does
                   COURSE_PYTHON=sys.executable, COURSE_CLI=str(course.REPO_ROOT / "testing" / "cli.py"),
                   COURSE_SERVER=str(self.server), COURSE_PG_STATE=str(self.pg_state))
        script = (f"[ -f {shlex.quote(str(self.exported))} ] && source {shlex.quote(str(self.exported))}\n"
                  f"{PIPENV}\n{command}\nstatus=$?\nexport -p > {shlex.quote(str(self.exported))}\nexit $status")
        done = subprocess.run(["bash", "-c", script], cwd=self.server, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=120)
        return done.returncode, normalise(done.stdout.rstrip(), self.server)  # trailing blank lines show as nothing

    def close(self):
        """Stop a PostgreSQL the lesson started and left running."""
        if self.pg_state.exists():
            self.run("pipenv run pg stop")


def run(command, server):
    """Run one command the way a learner in server/ would."""
    return Shell(server).run(command)


def apply_edit(edit, step, server):
    name, _, argument = edit.partition(" ")
    if name == "models":
        shutil.copyfile(step.folder / argument if argument else step.models_path, server / "models.py")
    elif name == "app":
        shutil.copyfile(step.folder / "app.py", server / "app.py")
    elif name == "file":
        shutil.copyfile(step.folder / argument, server / argument)
    elif name == "migration":
        versions = server / "migrations" / "versions"
        newest = max(versions.glob("*.py"), key=lambda path: path.stat().st_mtime_ns)
        newest.unlink()
        for reference in step.migration_files:
            shutil.copyfile(reference, versions / reference.name)
    else:
        raise ValueError(f"unknown lesson-test edit {edit!r} in {step.readme}")


