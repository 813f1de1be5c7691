"""Grades found once, judged many times.

A case is a server folder the course's tests build (a submission of the corpus, a wrong submission,
a step's starting state...) and how it is graded. Grading it end to end walks the chain on a real
database (seconds); what that walk found, the Facts of `testing.grader.collect`, is kept in
`recorded/<group>.json.gz`, and the fast tests judge those facts in-process (milliseconds):
facts -> verdict -> message. The slow tier (`pytest -m slow`, test_recordings.py) grades every case
again and fails when a report differs from the recorded one; then record them again:

    pipenv run python -m testing.tests.recorded            # every group
    pipenv run python -m testing.tests.recorded corpus     # one group
"""
import difflib
import gzip
import hashlib
import json
import re
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from testing import interrupts
from testing.grader import checks, collect, graded_steps, judged, servers_needed, servers_running
from testing.grader.facts import Facts

STORE = Path(__file__).parent / "recorded"
RECORD_AGAIN = "pipenv run python -m testing.tests.recorded"
COURSE = Path(__file__).resolve().parents[2]
# What decides the facts a grade finds: the grader but its judging modules, the lessons, and how the
# cases are built. A recording carries a digest of them, so a change there cannot go unnoticed.
MEASURED_BY = ("testing/grader", "testing/inside", "testing/course.py", "testing/build.py", "testing/author.py",
               "testing/tests/cases.py", "testing/tests/corpus.py", "testing/tests/part3_forms", "lessons")
# The judging room and the check registry: they decide verdicts from facts, never what is measured.
JUDGING_ONLY = ("testing/grader/judging/", "testing/grader/checks.py")
# A lesson's prose: a grade never reads it (a message names a README by its path only).
LESSON_PROSE = {"README.md", "hints.md"}


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], Path]  # makes the server folder inside the folder given, and returns it
    up_to: int | None = None  # the steps graded (all when None)
    database: str = "sqlite"
    time_limit: int = 20

    @property
    def key(self):
        return f"{self.database}/{self.name}"

    @property
    def servers(self):
        """The database servers grading this case may need: its own, and those a graded step
        asks the chain to run on too (step 12)."""
        return servers_needed(graded_steps(self.up_to), self.database)


def groups():
    """Every group of cases, by name (imported here: the cases import the course's test helpers)."""
    from .cases import GROUPS

    return GROUPS


@cache
def measured_by():
    """A digest of the files that decide what a grade measures (MEASURED_BY, less JUDGING_ONLY and the
    lessons' prose)."""
    return _digest(left_out=JUDGING_ONLY)


@cache
def verdicts_decided_by():
    """A digest of the files that decide a case's verdicts: what decides its facts, and the judging."""
    return _digest(left_out=())


def _digest(left_out):
    digest = hashlib.sha256()
    for root in MEASURED_BY:
        top = COURSE / root
        for path in sorted([top] if top.is_file() else top.rglob("*")):
            relative = path.relative_to(COURSE).as_posix()
            skipped = relative.startswith(left_out) or (root == "lessons" and path.name in LESSON_PROSE)
            if path.is_file() and "__pycache__" not in path.parts and not skipped:
                digest.update(relative.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@cache
def _stored(group):
    """{"measured_by": digest, "grades": {case key: facts}} as recorded, or {} when never recorded."""
    path = STORE / f"{group}.json.gz"
    if not path.is_file():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as file:
        return json.load(file)


def stale(group):
    """Why `group`'s recording no longer shows what today's grader would find, or None."""
    stored = _stored(group)
    if not stored:
        return f"group {group} was never recorded: {RECORD_AGAIN} {group}"
    if stored.get("measured_by") != measured_by():
        return (f"the grader, the lessons or the cases changed since group {group} was recorded, so its facts "
                f"may not be what grading finds today: record again: {RECORD_AGAIN} {group}")
    return None


def facts(group, case):
    """The Facts recorded for `case` (new objects each time: a test may add to them)."""
    data = _stored(group).get("grades", {}).get(case.key)
    if data is None:
        raise LookupError(f"no recorded grade of {case.key} in group {group}: {RECORD_AGAIN} {group}")
    return Facts.from_dict(data)


def report(group, case):
    """The Report of `case` judged from its recorded facts."""
    return judged(facts(group, case), case.up_to)


MEASURED = re.compile(r"\d[\d,.]*")
# A scratch database's name, made anew for each grade (MySQL's errors quote it): 26 hex digits
# since a name says which process made it (grader/servers/owners.py), 16 in older recordings.
SCRATCH_DATABASE = re.compile(r"grade_[0-9a-f]{26}|grade_[0-9a-f]{16}")


def comparable(report_):
    """A report as the learner reads it, but for what differs from one run to the next: who the
    learner's code ran as (this machine's), the scratch database's name, and what the live traffic
    of Part 3 met (how many requests failed or waited, and when, is timing): of that check, its
    verdict and its first line, figures masked."""
    data = report_.to_dict()
    data.pop("isolation")
    for step in data["steps"]:
        for check in step["checks"]:
            check["message"] = SCRATCH_DATABASE.sub("grade_…", check["message"])
            if check["id"] == checks.LIVE.id:
                check["message"] = MEASURED.sub("#", check["message"].split("\n", 1)[0])
    return data


def differences(today, kept):
    """What differs between two reports, as a diff of their comparable JSON ("" when nothing does)."""
    before, after = (json.dumps(comparable(report_), indent=1, ensure_ascii=False).splitlines()
                     for report_ in (kept, today))
    return "\n".join(difflib.unified_diff(before, after, "recorded", "today", lineterm="", n=2))


def verdicts_changed(today, kept):
    """Today's whole message of each check whose verdict differs from the kept one: the diff masks
    what the live traffic met, which is what a rare failure of that check needs to show."""
    kept_verdicts = {(step.step, check.id): check.passed for step in kept.steps for check in step.checks}
    return "\n".join(f"step {step.step}, {check.name}: {check.message}" for step in today.steps
                     for check in step.checks if kept_verdicts.get((step.step, check.id), check.passed) != check.passed)


def live_facts(case, folder):
    """Grade `case` end to end in `folder`: its Facts."""
    server = case.build(Path(folder))
    return collect(server, case.up_to, case.database, case.time_limit)


def record(group, cases, workers=2):
    """Grade every case of `group` and keep the facts (the servers they need must be running).
    Each grade is named on stderr as it ends: recording a group takes minutes."""
    def graded(numbered):
        number, case = numbered
        found = live_facts(case, Path(holder) / str(number))
        print(f"  {group}: {case.key}", file=sys.stderr, flush=True)
        return found

    with tempfile.TemporaryDirectory(prefix="record-") as holder, ThreadPoolExecutor(workers) as pool:
        kept = {case.key: found.to_dict()
                for case, found in zip(cases, pool.map(graded, enumerate(cases)), strict=True)}
    STORE.mkdir(exist_ok=True)
    # mtime=0: the same facts make the same bytes, so git sees a change only where grading changed.
    with gzip.GzipFile(STORE / f"{group}.json.gz", "wb", compresslevel=9, mtime=0) as file:
        stored = {"measured_by": measured_by(), "grades": kept}
        file.write(json.dumps(stored, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    _stored.cache_clear()
    return len(kept)


def main(names):
    every = groups()
    unknown = [name for name in names if name not in every]
    if unknown:
        sys.exit(f"no group {', '.join(unknown)}: the groups are {', '.join(every)}")
    chosen = {name: every[name] for name in names or every}
    with servers_running({database for cases in chosen.values() for case in cases for database in case.servers}):
        for name, cases in chosen.items():
            print(f"{name}: {record(name, cases)} grades recorded", file=sys.stderr, flush=True)


if __name__ == "__main__":
    interrupts.end_through_clean_up_on_sigterm()  # a recording stopped with `kill` stops its servers too
    main(sys.argv[1:])
