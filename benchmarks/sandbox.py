"""What the OS sandbox costs a grade: `grade --step 5 --json` on step 5's reference end state, with
bubblewrap and without it, each in a new process, in pairs whose order alternates (on off, off on,
on off, ...), so that a machine growing busier or quieter weighs on both sides alike.

Each pair gives a ratio, sandboxed / not; the cost is the median of those ratios, with its
quartiles and an interval that holds the true median with at least 95 % confidence (from 6 pairs on;
fewer give the full range, at the confidence it has). Every grade's `"isolation"` is read back, so a run that did not
apply what it was meant to (bwrap refused here, say) stops the measurement instead of skewing it."""
import json
import math
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from testing import course
from testing.build import build_state

from .processes import timed

CLI = str(course.REPO_ROOT / "testing" / "cli.py")
STEP = 5
TURNED_OFF = "turned off to measure it"
# The same `grade`, with bubblewrap reported unavailable (testing/grader/boundary/bubblewrap.py): the
# grader then holds the learner's code as it does where bwrap cannot run (macOS, Ubuntu's AppArmor).
WITHOUT_SANDBOX = (f"import runpy, sys; sys.path.insert(0, {str(course.REPO_ROOT)!r}); "
                   "from testing.grader import bubblewrap; "
                   f"bubblewrap.availability = lambda: bubblewrap.Availability(False, {TURNED_OFF!r}); "
                   f"sys.argv = [{CLI!r}, *sys.argv[1:]]; runpy.run_path({CLI!r}, run_name='__main__')")
WARM_UP = 1  # pairs run first and not counted: the first grades fill the page cache


@dataclass(frozen=True)
class Spread:
    median: float
    quartiles: tuple[float, float]
    interval: tuple[float, float]  # confidence interval of the median (distribution-free)
    confidence: float  # of that interval: at least 95 % from 6 values on


@dataclass(frozen=True)
class Cost:
    pairs: int
    warm_up: int  # pairs run first and not counted
    on: Spread  # seconds per grade, with the sandbox
    off: Spread  # without it
    ratio: Spread  # on / off, pair by pair
    without: str  # how the learner's code was held without the sandbox, as `grade --json` says
    load: tuple[float, float]  # the machine's 1-minute load average before and after


def measure(pairs: int) -> Cost:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as holder:
        server = build_state(STEP, Path(holder) / "server")
        arguments = ["grade", "--step", str(STEP), "--server-dir", str(server), "--json"]
        arms = {True: [sys.executable, CLI, *arguments], False: [sys.executable, "-c", WITHOUT_SANDBOX, *arguments]}
        output = Path(holder) / "report.json"
        seconds: dict[bool, list[float]] = {True: [], False: []}
        without = ""
        for number in range(WARM_UP + pairs):
            order = (True, False) if number % 2 == 0 else (False, True)
            for sandboxed in order:
                with open(output, "wb") as file:
                    took, _, code = timed(arms[sandboxed], cwd=server, stdout=file)
                isolation = _isolation(output, code)
                # `grade` says "no OS sandbox (why): ..." wherever it held the code without one.
                if isolation.startswith("no OS sandbox") == sandboxed or (TURNED_OFF in isolation) == sandboxed:
                    raise RuntimeError(f"a grade meant to run {'in' if sandboxed else 'without'} the sandbox "
                                       f"said: {isolation}")
                without = without if sandboxed else isolation
                if number >= WARM_UP:
                    seconds[sandboxed].append(took)
    ratios = [on / off for on, off in zip(seconds[True], seconds[False], strict=True)]
    return Cost(pairs, WARM_UP, spread(seconds[True]), spread(seconds[False]), spread(ratios), without,
                (load_before, os.getloadavg()[0]))


def _isolation(report: Path, code: int) -> str:
    if code not in (0, 1):
        raise RuntimeError(f"grade exited with {code}")
    return str(json.loads(report.read_text(encoding="utf-8"))["isolation"])


def spread(values: list[float]) -> Spread:
    ordered = sorted(values)
    low, _, high = statistics.quantiles(ordered, n=4, method="inclusive") if len(ordered) > 1 else (ordered[0],) * 3
    rank = _interval_rank(len(ordered))
    return Spread(statistics.median(ordered), (low, high), (ordered[rank], ordered[-1 - rank]),
                  1 - 2 * _below(len(ordered), rank))


def _interval_rank(count: int, confidence: float = 0.95) -> int:
    """The largest 0-based rank k such that [x_k, x_(n-1-k)] of `count` sorted values covers their
    population's median with at least `confidence` (0 when none does)."""
    tail = (1 - confidence) / 2
    rank = 0
    while rank + 1 < count // 2 and _below(count, rank + 1) <= tail:
        rank += 1
    return rank


def _below(count: int, rank: int) -> float:
    """The chance that the population's median lies below x_rank of `count` sorted values: that at
    most `rank` of them fall below it, a binomial(count, 1/2) tail."""
    return sum(math.comb(count, below) for below in range(rank + 1)) / (1 << count)
