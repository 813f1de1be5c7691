"""A `lesson` command killed midway loses nothing: the learner's folder is either untouched, or
backed up whole, and `lesson restore` brings it back byte for byte."""
import json
import signal
import subprocess
import sys

import pytest

from .clones import fingerprint, git, learner_environment, learners_work, lesson

# Points in a command that replaces server/: right after its backup is complete, while the folder
# is being emptied, and while it is being filled again.
KILL_POINTS = [("rename", 1), ("unlink", 1), ("rename", 2)]
COMMANDS = {"start": ["start", "4"], "reset": ["reset"], "restore": ["restore", "latest"]}


def killed(clone, point, *arguments):
    name, count = point
    return subprocess.run([sys.executable, "-m", "testing.tests.killer", name, str(count), "lesson", *arguments],
                          cwd=clone, capture_output=True, text=True, timeout=300, env=learner_environment())


@pytest.mark.slow
@pytest.mark.parametrize("point", KILL_POINTS, ids=[f"{name}-{count}" for name, count in KILL_POINTS])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_killed_midway_can_be_undone_by_restore(at_step_3, command, point):
    server = learners_work(at_step_3)
    mine = fingerprint(server)
    done = killed(at_step_3, point, *COMMANDS[command])
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr  # it did die at that point
    newest = sorted((at_step_3 / ".lesson" / "backups").iterdir())[-1]
    assert fingerprint(newest / "server") == mine  # the backup is whole
    assert json.loads((newest / "about.json").read_text())["reason"].startswith(f"lesson {command}")
    assert newest.name in lesson(at_step_3, "restore").stdout  # listed, so a learner finds it
    restored = lesson(at_step_3, "restore", newest.name)
    assert restored.returncode == 0, restored.stderr
    assert fingerprint(server) == mine


@pytest.mark.slow
def test_branches_killed_midway_leave_the_work_tree_alone_and_can_run_again(clone):
    before, status = fingerprint(clone / "server"), git(clone, "status", "--porcelain")
    done = killed(clone, ("git", 5), "branches")
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    assert fingerprint(clone / "server") == before
    assert git(clone, "status", "--porcelain") == status
    again = lesson(clone, "branches", "--force")
    assert again.returncode == 0, again.stderr
