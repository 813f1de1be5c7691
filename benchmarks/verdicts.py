"""Part 3's verdicts, graded again and again: the same submission must get the same verdict.

Each case of the recorded group "part3" that runs on PostgreSQL (the course's end state, each
Part 3 step's start, every realistic Part 3 mistake, every right form) is graded end to end `runs`
times on one embedded PostgreSQL (and one MariaDB for step 12); for every step its verdicts are
counted. A step whose verdict is not the same every time is a flip: a verdict that timing decided.

The whole corpus takes hours, so every grade is written to a ledger as it ends, with a digest of the
files that decide a verdict: a later run of the same course (a fresh clone included) grades only
what is still owed, and a change to the grader, the lessons or the cases starts the count again.
"""
import json
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from testing.grader import judged, servers_running
from testing.tests import recorded
from testing.tests.cases import GROUPS

MESSAGE_KEPT = 400  # characters of a failing check's message kept for the table
LEDGER = "verdicts-grades.jsonl"  # in the results folder: one grade a line


@dataclass
class Measured:
    rows: list[dict]  # [{case, step, passed, failed, failed_said}]
    graded: int  # grades of the cases asked for, this run's and earlier runs' of the same files
    wanted: int  # runs × cases
    jobs: tuple[int, ...]  # grades at a time, in the runs the grades come from
    between: tuple[str, str]  # the first and the last grade's time, UTC

    @property
    def complete(self):
        return self.graded >= self.wanted


def measure(runs, named=(), jobs=1, results=Path("."), minutes=None):
    """Each Part 3 case (only those whose name contains one of `named`, when given) graded until it has
    `runs` grades of today's files, `jobs` grades at a time; none starts after `minutes`."""
    cases = [case for case in GROUPS["part3"] if case.database == "postgresql"
             and (not named or any(name in case.name for name in named))]
    ledger = results / LEDGER
    decided_by = recorded.verdicts_decided_by()
    kept = _kept(ledger, decided_by)
    said = _said(kept)
    done = Counter(line["case"] for line in kept)
    owed = [case for case in cases for _ in range(max(runs - done[case.name], 0))]
    wanted = runs * len(cases)
    print(f"  verdicts: {wanted - len(owed)} of {wanted} grades kept from earlier runs of these files, "
          f"{len(owed)} to go", file=sys.stderr, flush=True)
    deadline = time.monotonic() + minutes * 60 if minutes is not None else None
    # Every server the grades use (step 12's MariaDB too) started once, not once per grade; none when
    # nothing is owed.
    servers = {server for case in cases for server in case.servers} if owed and not _past(deadline) else set()
    with servers_running(servers), tempfile.TemporaryDirectory(prefix="bench-verdicts-") as holder, \
            ThreadPoolExecutor(jobs) as pool, ledger.open("a", encoding="utf-8") as appended:
        def graded(number, case):
            return case, judged(recorded.live_facts(case, Path(holder) / str(number)), case.up_to)

        running: set[Future] = set()
        started = 0
        while running or (started < len(owed) and not _past(deadline)):
            while len(running) < jobs and started < len(owed) and not _past(deadline):
                running.add(pool.submit(graded, started, owed[started]))
                started += 1
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                case, report = future.result()
                line = _line(case, report, decided_by, jobs, said)
                appended.write(json.dumps(line) + "\n")
                appended.flush()  # a run cut short keeps every grade that ended
                kept.append(line)
                print(f"  verdicts: {len(kept)} in the ledger, {case.name}", file=sys.stderr, flush=True)
    order = {case.name: number for number, case in enumerate(cases)}
    lines = _first(runs, [line for line in kept if line["case"] in order])
    return Measured(_rows(lines, order), len(lines), wanted,
                    tuple(sorted({line["jobs"] for line in lines})),
                    (min((line["at"] for line in lines), default=""), max((line["at"] for line in lines), default="")))


def _past(deadline):
    return deadline is not None and time.monotonic() >= deadline


def _kept(ledger, decided_by):
    """The ledger's grades of today's files; the file rewritten without the others (stale), and with
    each step's failure said once."""
    if not ledger.is_file():
        return []
    lines = [json.loads(text) for text in ledger.read_text(encoding="utf-8").splitlines() if text.strip()]
    said: set[tuple[str, str]] = set()
    kept = [_said_once(line, said) for line in lines if line.get("decided_by") == decided_by]
    if kept != lines:
        ledger.write_text("".join(json.dumps(line) + "\n" for line in kept), encoding="utf-8")
    return kept


def _said(lines):
    """The (case, step) pairs whose failure a line of `lines` already says."""
    return {(line["case"], step) for line in lines for step in line["failed_said"]}


def _said_once(line, said):
    """`line` saying only the failures no line before it said (`said`, updated): the first failed grade
    of a step is the evidence a flip needs, and a thousand grades of a mistake need not repeat it."""
    new = {step: text for step, text in line["failed_said"].items() if (line["case"], step) not in said}
    said.update((line["case"], step) for step in new)
    return {**line, "failed_said": new}


def _line(case, report, decided_by, jobs, said):
    steps = [step for step in report.steps if step.step >= 13]
    return _said_once({"decided_by": decided_by, "case": case.name, "jobs": jobs,
                       "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
                       "passed": {str(step.step): step.passed for step in steps},
                       "failed_said": {str(step.step): _failing(step) for step in steps if not step.passed}}, said)


def _first(runs, lines):
    """Each case's first `runs` grades: an earlier run that asked for more leaves its extra grades out."""
    seen: Counter[str] = Counter()
    first = []
    for line in lines:
        seen[line["case"]] += 1
        if seen[line["case"]] <= runs:
            first.append(line)
    return first


def _rows(lines, order):
    """One row a (case, step), in the order of `order` ({case: position})."""
    counts: dict[tuple[str, int], Counter[bool]] = {}
    # What the first failed grade of each step said: a flip seen once in hundreds of grades keeps its evidence.
    said: dict[tuple[str, int], str] = {}
    for line in lines:
        for step, passed in line["passed"].items():
            counts.setdefault((line["case"], int(step)), Counter())[passed] += 1
            if not passed and line["failed_said"].get(step):
                said.setdefault((line["case"], int(step)), line["failed_said"][step])
    return [{"case": name, "step": step, "passed": seen[True], "failed": seen[False],
             "failed_said": said.get((name, step), "")}
            for (name, step), seen in sorted(counts.items(), key=lambda item: (order[item[0][0]], item[0][1]))]


def _failing(step):
    """Each failing check of a failed step, with the start of its message, on one line."""
    return "; ".join(f"{check.name}: {' '.join(check.message.split())[:MESSAGE_KEPT]}"
                     for check in step.checks if not check.passed)


def flips(rows):
    """How many (case, step) pairs got both verdicts."""
    return sum(1 for row in rows if row["passed"] and row["failed"])


def table(measured, runs):
    rows = measured.rows
    at_once = "/".join(str(jobs) for jobs in measured.jobs)
    at_once = f", {at_once} grades at a time" if measured.jobs != (1,) else ""
    when = f", from {measured.between[0]} to {measured.between[1]} UTC" if measured.between[0] else ""
    if measured.complete:
        head = f"Each case graded {runs} times{at_once}{when}; a step with both verdicts is a flip."
    else:
        head = (f"**Not finished: {measured.graded} of {measured.wanted} grades** ({runs} of each case{at_once}"
                f"{when}); a step with both verdicts is a flip. `pipenv run bench --only verdicts` goes on from "
                f"here: the grades are kept in {LEDGER} as long as the files that decide a verdict stay the same.")
    lines = [head, "", "| case | step | passed | failed |", "|---|---|---|---|"]
    lines += [f"| {row['case']} | {row['step']} | {row['passed']} | {row['failed']} |" for row in rows]
    lines += ["", f"Flips: {flips(rows)} of {len(rows)} steps{'' if measured.complete else ' so far'}."]
    lines += [f"- {row['case']}, step {row['step']}: failed {row['failed']} of {row['passed'] + row['failed']}: "
              f"{row['failed_said']}" for row in rows if row["passed"] and row["failed"]]
    return "\n".join(lines)
