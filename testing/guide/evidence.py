"""What `lesson` has seen of the learner's own database, kept in .lesson/seen/.

Some steps are done on the database, not in files: going one revision down (05), putting a backup
back (09), running the chain on PostgreSQL (12). Each time `lesson status`, `check` or `watch`
runs, it looks at the learner's database — read-only: a copy of instance/app.db, or the database
DATABASE_URL names, read with SELECTs only — and keeps what it saw: the revision, the kind of
database, and whether the rows seed.py puts in are all there with their values. The grader's
judge decides what those looks prove (the checks whose evidence is the learner's database: grader/checks.py).

`lesson start N` records that the steps before N are done: it did them for the learner.
"""
import ast
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import course
from ..grader import codec
from ..grader.facts import Evidence, Look

SEEN_DIR = course.REPO_ROOT / ".lesson" / "seen"
KEPT_LOOKS = 100  # the newest looks kept per server folder


def look(server_dir: Path | str) -> dict[str, Any] | None:
    """The learner's database as it is now: {"at", "database", "versions", "found", "missing"},
    or None when there is none to look at (not created yet, or its server does not answer)."""
    import sqlalchemy as sa  # only here: starting `lesson` stays fast

    from ..grader import schema

    url = os.environ.get("DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="lesson-look-") as folder:
        if url:
            engine = sa.create_engine(url)
        else:
            path = Path(server_dir) / "instance" / "app.db"
            if not path.is_file():
                return None
            engine = schema.read_only_sqlite(shutil.copyfile(path, Path(folder) / "app.db"))
        try:
            with engine.connect() as connection:
                versions = schema.versions(connection)
                found, missing = _sample_rows(connection)
        except sa.exc.SQLAlchemyError:
            return None
        finally:
            engine.dispose()
    return {"at": datetime.now().isoformat(timespec="seconds"), "database": engine.dialect.name,
            "versions": versions, "found": found, "missing": missing}


def _sample_rows(connection):
    """How many of seed.py's rows the database holds with a value in each of their columns, and the
    others by name."""
    import sqlalchemy as sa

    samples, earlier_names = seed_samples()
    tables = sa.MetaData()
    tables.reflect(bind=connection)
    found, missing = 0, []
    for table in tables.sorted_tables:
        rows = samples.get(earlier_names.get(table.name, table.name), [])
        if not rows or "name" not in table.c:
            continue
        held = {row.name: row for row in connection.execute(sa.select(table)).mappings()}
        for sample in rows:
            row = held.get(sample["name"])
            columns = [column.name for column in table.columns if earlier_names.get(column.name, column.name) in sample]
            # A value gone (NULL) is lost; another value may be a migration's (step 11 makes codes from ids).
            if row is None or any(row[column] is None for column in columns):
                missing.append(f"{table.name}: {sample['name']}")
            else:
                found += 1
    return found, missing


def seed_samples() -> tuple[dict[str, list[dict[str, object]]], dict[str, str]]:
    """SAMPLE_ROWS and EARLIER_NAMES of the course's seed.py, read without running it (it imports the app)."""
    tree = ast.parse((course.starter_dir() / "seed.py").read_text(encoding="utf-8"))
    values = {target.id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
              for target in node.targets if isinstance(target, ast.Name)}
    return values["SAMPLE_ROWS"], values["EARLIER_NAMES"]


def _record_path(server_dir):
    key = hashlib.sha256(str(Path(server_dir).resolve()).encode()).hexdigest()[:16]
    return SEEN_DIR / f"{key}.json"


def kept(server_dir: Path | str) -> dict[str, list[Any]]:
    """{"looks": [oldest first], "given": [steps `lesson start` did]} for this server folder."""
    try:
        record = json.loads(_record_path(server_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"looks": [], "given": []}
    return {"looks": list(record.get("looks", [])), "given": list(record.get("given", []))}


def keep(server_dir: Path | str, seen: Look | dict[str, Any] | None) -> None:
    """Add `seen` (a look, or a facts.Look) to what is kept, unless it says what the newest one kept
    already says."""
    if seen is None:
        return
    data = seen if isinstance(seen, dict) else codec.plain(seen)
    assert isinstance(data, dict)  # a Look made plain is a dict, as a look is
    record = kept(server_dir)
    newest = record["looks"][-1] if record["looks"] else None
    if newest and all(newest[key] == data[key] for key in ("database", "versions", "found", "missing")):
        return
    record["looks"] = (record["looks"] + [data])[-KEPT_LOOKS:]
    _write(server_dir, record)


def give(server_dir: Path | str, steps: Iterable[int]) -> None:
    """Record that `lesson start` did `steps` for the learner: a new folder, whose database is the
    first thing seen of it."""
    seen = look(server_dir)
    _write(server_dir, {"looks": [seen] if seen else [], "given": sorted(steps)})


def _write(server_dir, record):
    path = _record_path(server_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({"server_dir": str(Path(server_dir).resolve()), **record}, indent=1),
                       encoding="utf-8")
    partial.replace(path)


def for_grading(server_dir: Path | str) -> Evidence:
    """What the grader's judge gets as evidence (a facts.Evidence): what is kept, and what was seen just now."""
    seen = look(server_dir)
    now = codec.typed(Look, seen, "the look just now") if seen else None
    record = kept(server_dir)
    try:
        looks = codec.typed(tuple[Look, ...], record["looks"], "the looks kept")
        given = codec.typed(tuple[int, ...], record["given"], "the steps given")
    except codec.FactsError:  # kept by an older course, or edited by hand: start again from now
        looks, given = (), ()
    return Evidence(now, looks + ((now,) if now else ()), given)
