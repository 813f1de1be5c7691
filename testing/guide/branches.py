"""Git branches step-01-… to step-NN-…, one commit each at the reference end state of a step.

The commits are made with git's plumbing (a private index, write-tree, commit-tree), so neither
the work tree nor the learner's index is touched. Each branch's commit follows the previous
step's, so `git diff step-02-… step-03-…` shows exactly one step.
"""
import os
import re
import subprocess
import tempfile
from pathlib import Path

from .. import course
from ..build import build_state
from ..command_errors import UsageError

AUTHOR = {"GIT_AUTHOR_NAME": "Flask-Migrate course", "GIT_AUTHOR_EMAIL": "course@example.invalid",
          "GIT_COMMITTER_NAME": "Flask-Migrate course", "GIT_COMMITTER_EMAIL": "course@example.invalid"}


def branch_name(step: course.Step) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", step.title.lower()).strip("-")
    return f"step-{step.label}-{slug}"


def make_branches(server_dir: Path | str, force: bool = False) -> list[str]:
    """Create (or with `force`, move) one branch per step; return their names."""
    server_dir = Path(server_dir).resolve()
    if not server_dir.is_dir():
        raise UsageError(f"no such server folder: {server_dir}")
    root = _repository_root(server_dir)
    if _git(root, "status", "--porcelain", "--untracked-files=no"):
        raise UsageError("your work tree has uncommitted changes: commit or stash them first")
    names = [branch_name(step) for step in course.steps()]
    existing = [name for name in names if _git(root, "branch", "--list", name)]
    if existing and not force:
        raise UsageError(f"these branches already exist: {', '.join(existing)}; "
                         "add --force to move them to the course's commits")
    current = _git(root, "branch", "--show-current")
    if current in names:  # git refuses to move it, and would do so after moving the others
        raise UsageError(f"you are on {current}, which --force would move: `git checkout` another branch first")
    where = server_dir.relative_to(root).as_posix()
    parent = _git(root, "rev-parse", "HEAD")
    commits = []
    with tempfile.TemporaryDirectory(prefix="lesson-branches-") as scratch:
        for step in course.steps():
            state = build_state(step.number, Path(scratch) / step.label)
            tree = _tree_with(root, parent, where, state, Path(scratch) / f"{step.label}.index")
            parent = _git(root, "commit-tree", tree, "-p", parent,
                          "-m", f"Step {step.label}: {step.title} (the course's reference end state)", env=AUTHOR)
            commits.append(parent)
    # Branches are set only once every commit exists, so a failure leaves no half-made set.
    for name, commit in zip(names, commits, strict=True):
        _git(root, "branch", "--force", name, commit)
    return names


def _tree_with(root, commit, where, folder, index_file):
    """The tree of `commit` with the folder `where` replaced by the files of `folder`."""
    env = {"GIT_INDEX_FILE": str(index_file)}
    _git(root, "read-tree", commit, env=env)
    # --force: the private index may differ from the work tree; only the index is changed.
    _git(root, "rm", "-r", "--cached", "--force", "--quiet", "--ignore-unmatch", "--", where, env=env)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        blob = _git(root, "hash-object", "-w", "--", str(path))
        mode = "100755" if os.access(path, os.X_OK) else "100644"
        target = f"{where}/{path.relative_to(folder).as_posix()}"
        _git(root, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{target}", env=env)
    return _git(root, "write-tree", env=env)


def _repository_root(folder):
    try:
        return Path(_git(folder, "rev-parse", "--show-toplevel"))
    except UsageError:
        raise UsageError(f"{folder} is not inside a git repository: `git init` and commit first") from None


def _git(cwd, *arguments, env=None):
    done = subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    if done.returncode != 0:
        raise UsageError(f"git {arguments[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()
