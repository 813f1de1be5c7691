"""Run the commands a lesson README shows, in a scratch server folder, and compare the output.

In a README, a ```console block holds commands (lines starting with "$ ") each followed by the
output the learner should see. A line "..." stands for any number of lines. Revision ids, dates
and the scratch folder's path are normalised on both sides.

Each lesson starts where `lesson start N` puts the learner (testing/guide/workspace.py).
The learner's edits are HTML comments, invisible on GitHub, placed where the lesson asks for them:
    <!-- lesson-test: models -->      models.py becomes the step's lessons/NN/models.py
    <!-- lesson-test: models FILE --> models.py becomes lessons/NN/FILE (a first try the lesson shows)
    <!-- lesson-test: migration -->   the newest migration becomes the step's reference migration
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
    """True when `actual` lines fit `expected` lines, where "..." matches any run of lines."""
    if not expected:
        return not actual
    if expected[0] == ANY_LINES:
        return any(matches(expected[1:], actual[skip:]) for skip in range(len(actual) + 1))
    return bool(actual) and expected[0].rstrip() == actual[0].rstrip() and matches(expected[1:], actual[1:])


def run(command, server):
    """Run one README command the way a learner in server/ would (in a shell: globs and
    `NAME=value command` work), with this Python's tools."""
    words = shlex.split(command)
    cli = [sys.executable, str(course.REPO_ROOT / "testing" / "cli.py")]
    # The learner's commands work on their own server/; here the scratch folder stands in for it.
    if words[:3] == ["pipenv", "run", "grade"]:
        command = shlex.join([*cli, "grade", *words[3:], "--server-dir", str(server)])
    elif words[:3] == ["pipenv", "run", "lesson"]:
        command = shlex.join([*cli, "lesson", "--server-dir", str(server), *words[3:]])
    env = learner_environment()
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PYTHONWARNINGS"] = "ignore"
    env["PYTHONUNBUFFERED"] = "1"  # interleave output and log lines as a terminal shows them
    done = subprocess.run(["bash", "-c", command], cwd=server, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120)
    return done.returncode, normalise(done.stdout.rstrip(), server)  # trailing blank lines show as nothing


def apply_edit(edit, step, server):
    name, _, argument = edit.partition(" ")
    if name == "models":
        shutil.copyfile(step.folder / argument if argument else step.models_path, server / "models.py")
    elif name == "migration":
        versions = server / "migrations" / "versions"
        newest = max(versions.glob("*.py"), key=lambda path: path.stat().st_mtime_ns)
        newest.unlink()
        for reference in step.migration_files:
            shutil.copyfile(reference, versions / reference.name)
    else:
        raise ValueError(f"unknown lesson-test edit {edit!r} in {step.readme}")


