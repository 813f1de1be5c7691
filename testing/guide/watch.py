"""Run a check again the moment the learner saves models.py, app.py or a migration file, or their
database changes (a downgrade or an upgrade is work some steps wait for: evidence.py).

watchfiles hears of each write from the system (inotify on Linux) instead of looking at file times
over and over, and it sees folders made while watching: `flask db init` adds migrations/ later.
"""
from collections.abc import Callable
from pathlib import Path

import watchfiles

from ..command_errors import UsageError
from .schema_files import is_schema_path

DATABASE = Path("instance") / "app.db"
LONGEST_BURST_MS = 2000  # check even if the writes never pause for this long
# watchfiles returns this often when nothing changes; its first return is the moment to run the first
# check, when it already listens (a save during that check is not missed).
QUIET_RETURN_MS = 200


def watch(server_dir: Path | str, on_change: Callable[[], object], settle: float = 0.1) -> None:
    """Call `on_change()` now and after every save, until Ctrl-C (KeyboardInterrupt).

    An editor may save in several writes: the check waits until `settle` seconds pass without a new one.
    """
    server_dir = Path(server_dir).resolve()
    if not server_dir.is_dir():
        raise UsageError(f"no such server folder: {server_dir}")
    def followed(_change, path):
        return is_schema_path(server_dir, path) or Path(path) in (server_dir / DATABASE, server_dir / DATABASE.parent)

    saves = watchfiles.watch(server_dir, watch_filter=followed,
                             step=round(settle * 1000), debounce=max(LONGEST_BURST_MS, round(settle * 2000)),
                             rust_timeout=QUIET_RETURN_MS, yield_on_timeout=True)
    checked_once = False
    for changes in saves:
        if changes or not checked_once:
            on_change()
            checked_once = True
