"""Run a check again each time the learner saves models.py, app.py or a migration file, or their
database changes.

Polling file times keeps this free of extra packages and works the same on every system.
"""
import time
from pathlib import Path

# The database too: a downgrade or an upgrade is work that some steps wait for (evidence.py).
WATCHED = ("models.py", "app.py", "migrations/versions/*.py", "instance/app.db")


def snapshot(server_dir):
    """{path: (modification time, size)} of every watched file."""
    server_dir = Path(server_dir)
    found = {}
    for pattern in WATCHED:
        for path in server_dir.glob(pattern):
            try:
                stat = path.stat()
            except FileNotFoundError:  # deleted between glob and stat
                continue
            found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def watch(server_dir, on_change, interval=0.5):
    """Call `on_change()` now and after every change, until Ctrl-C (KeyboardInterrupt)."""
    seen = snapshot(server_dir)
    on_change()
    while True:
        time.sleep(interval)
        now = snapshot(server_dir)
        if now != seen:
            time.sleep(interval)  # let an editor finish writing
            seen = snapshot(server_dir)
            on_change()
