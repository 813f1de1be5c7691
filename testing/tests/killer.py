"""Run a course command and kill it with SIGKILL right after the Nth call of one function, as a
closed laptop or a `kill -9` would, midway:

    python -m testing.tests.killer rename 2 lesson start 4     (from the top folder of a clone)
"""
import os
import pathlib
import signal
import subprocess
import sys

# The functions a kill can follow: moving and deleting files, and running git.
TARGETS = {"rename": (pathlib.Path, "rename"), "unlink": (pathlib.Path, "unlink"), "git": (subprocess, "run")}


def kill_after(name, count):
    owner, attribute = TARGETS[name]
    original = getattr(owner, attribute)
    calls = 0

    def then_die(*args, **kwargs):
        nonlocal calls
        result = original(*args, **kwargs)
        calls += 1
        if calls == count:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, attribute, then_die)


if __name__ == "__main__":
    name, count, *arguments = sys.argv[1:]
    kill_after(name, int(count))
    from testing import cli, console

    sys.argv = ["cli.py", *arguments]
    console.run(cli.main)
