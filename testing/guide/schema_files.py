"""The learner's files that shape the schema: what `lesson watch` and `lesson view` follow."""
from fnmatch import fnmatchcase
from pathlib import Path, PurePath

PATTERNS = tuple(PurePath(pattern) for pattern in ("models.py", "app.py", "migrations/versions/*.py"))
# A folder moved or deleted as a whole (`lesson start` puts a new migrations/ in place) brings or
# takes its files without a file system event for each of them.
FOLDERS = {folder for pattern in PATTERNS for folder in pattern.parents if folder != PurePath(".")}


def stamps(server_dir: Path | str) -> list[tuple[str, int, int]]:
    """[(path, modification time, size)] of every such file, in a stable order."""
    found = []
    for pattern in PATTERNS:
        for path in sorted(Path(server_dir).glob(str(pattern))):
            try:
                stat = path.stat()
            except FileNotFoundError:  # deleted between glob and stat
                continue
            found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return found


def is_schema_path(server_dir: Path | str, path: Path | str) -> bool:
    """True for such a file, or a folder that holds them, at its place in `server_dir`."""
    try:
        relative = Path(path).relative_to(server_dir)
    except ValueError:
        return False
    return relative in FOLDERS or any(
        relative.parent == pattern.parent and fnmatchcase(relative.name, pattern.name) for pattern in PATTERNS)
