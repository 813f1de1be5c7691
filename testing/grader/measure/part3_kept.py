"""Part 3's measurements of one migration, kept between runs of `lesson` while nothing they depend on
changes.

Each Part 3 migration is upgraded under the previous step's running app, then again statement by
statement: seconds each. A learner checking step 15 again and again has not touched steps 13 and
14's migrations, so their measurements are kept, keyed by every file of the server folder but the
migrations that come after (the chain up to the migration, app.py, env.py, .squawk.toml...), the
course's own files and the filler's size. Only a calm run is kept: no request failed, none waited
past the bound, every statement measured. What timing may have decided is measured again, as the
whole grade's cache does (cache.py).

`lesson` turns keeping on for the grades it runs (`kept_in`); `grade`, CodeGrade and the tests keep nothing.
"""
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from .. import cache, codec
from ..facts import MeasuredRun, Revision, TrafficRun

KIND = "part3"
_KEPT: ContextVar["cache.ReportCache | None"] = ContextVar("part3_kept", default=None)


@contextmanager
def kept_in(report_cache: cache.ReportCache | None) -> Iterator[None]:
    """Keep and recall Part 3's measurements in `report_cache` (a ReportCache) for the grades run inside."""
    token = _KEPT.set(report_cache if report_cache is not None and report_cache.folder is not None else None)
    try:
        yield
    finally:
        _KEPT.reset(token)


def key(server_copy: Path, later_files: list[str], index: int, rows: int) -> str | None:
    """The key of revision `index`'s measurements; None when nothing is kept. `later_files`: the
    migration files of the revisions after it (relative to `server_copy`)."""
    if _KEPT.get() is None:
        return None
    digest = hashlib.sha256(json.dumps([cache.course_version(), rows,
                                        cache.files_digest(server_copy, left_out=set(later_files))]).encode())
    # One kept entry per revision position: the newest replaces the older ones (cache.py).
    return f"r{index}-{digest.hexdigest()[:24]}"


def recall(key_: str | None) -> tuple[TrafficRun, MeasuredRun] | None:
    kept = _KEPT.get()
    if kept is None or key_ is None:
        return None
    data = kept.read(key_, KIND)
    if not isinstance(data, dict):
        return None
    try:
        return codec.typed(TrafficRun, data["traffic"]), codec.typed(MeasuredRun, data["measured"])
    except (codec.FactsError, KeyError):
        return None


def keep(key_: str | None, traffic: TrafficRun, measured: MeasuredRun) -> None:
    kept = _KEPT.get()
    if kept is None or key_ is None or traffic.seen.troubled or measured.why_not or measured.cut_short:
        return
    kept.write(key_, KIND, {"traffic": codec.plain(traffic), "measured": codec.plain(measured)})


def later_files(revisions: Sequence[Revision], index: int) -> list[str]:
    return [os.fspath(revision.file) for revision in revisions[index + 1:]]
