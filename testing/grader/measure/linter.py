"""squawk, the PostgreSQL migration linter, run on the SQL of one Part 3 revision.

squawk (the `squawk-cli` wheel) runs as a program, offline, in the copy of server/, reading the
learner's server/.squawk.toml when there is one. Whatever goes wrong with it becomes a Squawk fact
that says why there are no findings, never "no findings": squawk missing or not starting, running
past its time, output that is not its JSON, or a .squawk.toml it refuses (squawk then prints only
"Configuration error: ..." on stderr and lints nothing).
"""
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from ..facts import Revision, Squawk, SquawkFinding

TIME_LIMIT = 30  # seconds for one migration's SQL: squawk takes milliseconds
CONFIG_FILE = ".squawk.toml"
CONFIGURATION_ERROR = "Configuration error:"
EXIT_CODES = (0, 1)  # nothing found, something found (or a configuration error)


def binary() -> str | None:
    """squawk on PATH, or beside this Python (the course's virtualenv)."""
    return shutil.which("squawk") or shutil.which("squawk", path=os.path.dirname(sys.executable))


def lint_revision(render: Callable[[Revision], str], revision: Revision, folder: Path | None) -> Squawk:
    """squawk's findings on the SQL of `revision` as `flask db upgrade --sql` renders it
    (`render(revision)`: that SQL), or why there are none."""
    if len(revision.parents) != 1:
        return Squawk()  # a merge has no SQL of its own
    try:
        sql = render(revision)
    except ValueError as error:  # the learner's migration may not render; the chain checks say so
        return Squawk(unavailable=f"the migration does not render as SQL ({error})")
    return lint(sql, folder)


def lint(sql: str, folder: Path | None = None) -> Squawk:
    """squawk's findings on `sql`, with `folder`'s .squawk.toml if it has one."""
    program = binary()
    if program is None:
        return Squawk(unavailable="squawk is not installed (pipenv install --dev)")
    command = [program, "--reporter", "json"]
    config = Path(folder) / CONFIG_FILE if folder else None
    if config and config.is_file():
        command += ["--config", str(config)]  # that file, not one squawk might find above the copy
    try:
        done = subprocess.run(command, input=sql, capture_output=True, text=True, timeout=TIME_LIMIT, cwd=folder)
    except subprocess.TimeoutExpired:
        return Squawk(unavailable=f"squawk ran past its time limit ({TIME_LIMIT} s) and was stopped")
    except OSError as error:
        return Squawk(unavailable=f"squawk could not be started ({error.strerror or error})")
    said = done.stderr.strip()
    if not done.stdout.strip() and said.startswith(CONFIGURATION_ERROR):
        return Squawk(configuration=said.removeprefix(CONFIGURATION_ERROR).strip())
    findings = _findings(done.stdout, sql) if done.returncode in EXIT_CODES else None
    if findings is None:
        shown = " ".join((said or done.stdout).split())[:200] or "nothing"
        return Squawk(unavailable=f"squawk gave no findings the grader can read (exit code {done.returncode}; "
                                  f"it printed: {shown})")
    return Squawk(findings)


def _findings(output: str, sql: str) -> tuple[SquawkFinding, ...] | None:
    """The findings of squawk's JSON reporter, or None when `output` is not that."""
    try:
        found = json.loads(output)
        if not all(isinstance(item["rule_name"], str) and isinstance(item["message"], str) for item in found):
            return None
        lines = sql.splitlines()
        return tuple(SquawkFinding(item["rule_name"], item["message"], item.get("help"),
                                   one_line(lines[item["line"]]) if 0 <= item["line"] < len(lines) else "")
                     for item in found)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def one_line(sql: str | None) -> str:
    """SQL on one line, cut at 160 characters: how a message quotes a statement."""
    text = " ".join((sql or "").split())
    return text if len(text) <= 160 else text[:157] + "..."
