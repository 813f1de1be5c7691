"""Part 3's verdicts, graded again and again: the same submission must get the same verdict.

Each case of the recorded group "part3" that runs on PostgreSQL (the course's end state, each
Part 3 step's start, every realistic Part 3 mistake) is graded end to end `runs` times on one
embedded PostgreSQL (and one MariaDB for step 12); for every step its verdicts are counted. A step
whose verdict is not the same every time is a flip: a verdict that timing decided.
"""
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from testing.grader import judged, servers_running
from testing.tests import recorded
from testing.tests.cases import GROUPS

MESSAGE_KEPT = 400  # characters of a failing check's message kept for the table


def measure(runs, named=(), jobs=1):
    """[{case, step, passed, failed, failed_said}] for each Part 3 case graded `runs` times (only those
    whose name contains one of `named`, when given), `jobs` grades at a time; `failed_said`: what the
    step's first failed grade said, if any failed."""
    cases = [case for case in GROUPS["part3"] if case.database == "postgresql"
             and (not named or any(name in case.name for name in named))]
    counts: dict[tuple[str, int], Counter[bool]] = {}
    # What the first failed grade of each step said: a flip seen once in hundreds of grades keeps its evidence.
    said: dict[tuple[str, int], str] = {}
    # Every server the grades use (step 12's MariaDB too) started once, not once per grade.
    servers = {server for case in cases for server in case.servers}
    with servers_running(servers), tempfile.TemporaryDirectory(prefix="bench-verdicts-") as holder:
        def graded(numbered):
            number, case, run = numbered
            return case, judged(recorded.live_facts(case, Path(holder) / f"{number}-{run}"), case.up_to)

        grades = [(number, case, run) for number, case in enumerate(cases) for run in range(runs)]
        with ThreadPoolExecutor(jobs) as pool:
            for done, (case, report) in enumerate(pool.map(graded, grades), start=1):
                # Hours for the whole corpus: each grade is named as it ends.
                print(f"  verdicts: {done} of {len(grades)} grades, {case.name}", file=sys.stderr, flush=True)
                for step in report.steps:
                    if step.step >= 13:
                        counts.setdefault((case.name, step.step), Counter())[step.passed] += 1
                        if not step.passed:
                            said.setdefault((case.name, step.step), _failing(step))
    return [{"case": name, "step": step, "passed": seen[True], "failed": seen[False],
             "failed_said": said.get((name, step), "")} for (name, step), seen in counts.items()]


def _failing(step):
    """Each failing check of a failed step, with the start of its message, on one line."""
    return "; ".join(f"{check.name}: {' '.join(check.message.split())[:MESSAGE_KEPT]}"
                     for check in step.checks if not check.passed)


def flips(rows):
    """How many (case, step) pairs got both verdicts."""
    return sum(1 for row in rows if row["passed"] and row["failed"])


def table(rows, runs, jobs=1):
    at_once = f", {jobs} grades at a time" if jobs > 1 else ""
    lines = [f"Each case graded {runs} times{at_once}; a step with both verdicts is a flip.", "",
             "| case | step | passed | failed |", "|---|---|---|---|"]
    lines += [f"| {row['case']} | {row['step']} | {row['passed']} | {row['failed']} |" for row in rows]
    lines += ["", f"Flips: {flips(rows)} of {len(rows)} steps."]
    lines += [f"- {row['case']}, step {row['step']}: failed {row['failed']} of {row['passed'] + row['failed']}: "
              f"{row['failed_said']}" for row in rows if row["passed"] and row["failed"]]
    return "\n".join(lines)
