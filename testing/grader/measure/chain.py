"""Read a migrations folder as written, without running it, and order its chain with Alembic's own
revision map.

Each file's `revision`, `down_revision` (and `branch_labels`, `depends_on`) are read with `ast`,
as literals: the grader's process never imports the learner's files. Alembic's RevisionMap then
finds the heads, the order from base to head and any cycle.

`read_chain` returns the revisions from base to head, or raises ChainProblem with a dict that
messages.py phrases: {"problem": "two_heads", "files": [...]}, {"problem": "syntax", ...}.
"""
import ast
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ...inside.startup import without_mako_highlighting

without_mako_highlighting()
from alembic.script.revision import CycleDetected, Revision, RevisionError, RevisionMap  # noqa: E402
from alembic.util import to_tuple  # noqa: E402

from .sqltext import formatted_sql  # noqa: E402

# The files Alembic reads as migrations (alembic.script.base.Script._only_source_rev_file).
MIGRATION_FILE = re.compile(r"(?!\.#|__init__).*\.py$")
DECLARED = ("revision", "down_revision", "branch_labels", "depends_on")


class ChainProblem(Exception):
    def __init__(self, **details: object) -> None:
        super().__init__(details.get("problem"))
        self.details = details


@dataclass(frozen=True)
class Written:
    """One migration file as written."""
    path: Path
    revision: str
    parents: tuple
    branch_labels: tuple
    depends_on: tuple
    message: str


def read_chain(location: Path | str, server_dir: Path | str) -> list[dict[str, object]]:
    """The revisions in upgrade order: [{"id", "file", "message", "parents", "formatted_sql"}, ...]."""
    location = Path(location)
    if not (location / "env.py").is_file():
        raise ChainProblem(problem="no_migrations", folder=_relative(location, server_dir))
    versions = location / "versions"
    paths = sorted(path for path in versions.iterdir()
                   if MIGRATION_FILE.match(path.name) and path.is_file()) if versions.is_dir() else []
    scripts = [_read(path, server_dir) for path in paths]
    if not scripts:
        raise ChainProblem(problem="no_revisions", folder=_relative(location, server_dir))
    _check_ids(scripts, server_dir)
    revision_map = RevisionMap(lambda: [
        Revision(script.revision, script.parents or None, branch_labels=script.branch_labels or None,
                 dependencies=script.depends_on or None)
        for script in scripts])
    by_id = {script.revision: script for script in scripts}
    try:
        heads = revision_map.heads
        ordered = list(reversed(list(revision_map.iterate_revisions(heads, "base"))))
    except CycleDetected as exc:
        raise ChainProblem(problem="cycle", files=sorted(_relative(by_id[rev].path, server_dir)
                                                         for rev in exc.revisions)) from exc
    except RevisionError as exc:
        raise ChainProblem(problem="unreadable", file=None, error=str(exc)) from exc
    if len(heads) > 1:
        found = sorted((_relative(by_id[head].path, server_dir), head) for head in heads)
        raise ChainProblem(problem="two_heads", files=[file for file, _ in found], heads=[head for _, head in found])
    return [
        {
            "id": revision.revision,
            "file": _relative(by_id[revision.revision].path, server_dir),
            "message": by_id[revision.revision].message,
            "parents": list(by_id[revision.revision].parents),
            "formatted_sql": formatted_sql(by_id[revision.revision].path),
        }
        for revision in ordered
    ]


def _read(path, server_dir):
    file = _relative(path, server_dir)
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as exc:  # bytes that are not UTF-8 come as one too
        raise ChainProblem(problem="syntax", file=file, line=exc.lineno, error=exc.msg) from None
    except ValueError as exc:  # null bytes
        raise ChainProblem(problem="syntax", file=file, line=None, error=str(exc)) from None
    values = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, ast.AnnAssign) and node.value is not None else []
        for target in targets:
            if isinstance(target, ast.Name) and target.id in DECLARED:
                values[target.id] = node.value
    if "revision" not in values:
        raise ChainProblem(problem="no_revision", file=file)
    try:
        declared = {name: ast.literal_eval(value) for name, value in values.items()}
    except ValueError:  # an id computed at run time: only a plain string says which migration it is
        raise ChainProblem(problem="bad_id", file=file) from None
    revision, parents = declared["revision"], to_tuple(declared.get("down_revision"), default=())
    if not isinstance(revision, str) or not all(isinstance(parent, str) for parent in parents):
        raise ChainProblem(problem="bad_id", file=file)
    labels = to_tuple(declared.get("branch_labels"), default=())
    depends_on = to_tuple(declared.get("depends_on"), default=())
    if not all(isinstance(value, str) for value in labels + depends_on):
        raise ChainProblem(problem="bad_id", file=file)
    # As Alembic's Script.doc: the docstring's first paragraph.
    message = (ast.get_docstring(tree) or "").strip().split("\n\n")[0]
    return Written(path, revision, parents, labels, depends_on, message)


def _check_ids(scripts, server_dir):
    counts = Counter(script.revision for script in scripts)
    for revision, count in counts.items():
        if count > 1:
            files = [_relative(s.path, server_dir) for s in scripts if s.revision == revision]
            raise ChainProblem(problem="duplicate_id", revision=revision, files=sorted(files))
    for script in scripts:
        for parent in script.parents:
            if parent not in counts:
                raise ChainProblem(problem="missing_parent", file=_relative(script.path, server_dir), parent=parent)


def _relative(path, server_dir):
    return os.path.relpath(path, server_dir) if path else None
