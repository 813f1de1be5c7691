"""A cohort's gradebook: one row per learner, as CSV, and the mistakes most learners stop at.

    row = row_from_report("ada", report)
    write_csv(rows, "gradebook.csv"); rows = read_csv("gradebook.csv")
    mistakes(rows) -> [("step 03: rows kept on upgrade", 12), ...]
"""
import csv
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .command_errors import UsageError

if TYPE_CHECKING:  # the grader itself is imported only where a cohort is graded
    from .grader import Report

LEARNER, TOTAL, FIRST_FAILURE, MESSAGE = "learner", "steps passed", "first failing check", "message"
NOT_STARTED = "not started"
NOT_GRADED = "not graded"
CHART_BARS = 12  # the chart shows this many mistakes at most: a lecture re-teaches a few


@dataclass(frozen=True)
class Row:
    learner: str
    steps: dict[int, bool]  # step number -> passed
    first_failure: str  # "step 03: rows kept on upgrade", "step 06: not started", "not graded", or "" (all pass)
    message: str  # what that check told the learner, its lines joined by " | "

    @property
    def total(self) -> int:
        return sum(self.steps.values())

    @property
    def mistake(self) -> str | None:
        """The check this learner stopped at, unless they simply have not begun that step yet."""
        return self.first_failure if self.first_failure and not self.first_failure.endswith(NOT_STARTED) else None

    def to_dict(self) -> dict[str, object]:
        return {"learner": self.learner, "steps": {f"{number:02d}": passed for number, passed in self.steps.items()},
                "steps_passed": self.total, "first_failing_check": self.first_failure, "message": self.message}


def row_from_report(learner: str, report: "Report") -> Row:
    """The learner's row: each step passed or not, and the first failing check of the step where
    they are stuck (the grader's `Report.stuck`)."""
    steps = {step.step: step.passed for step in report.steps}
    stuck = next((step for step in report.steps if step.step == report.stuck), None)
    if stuck is None:
        return Row(learner, steps, "", "")
    if not stuck.started:
        return Row(learner, steps, f"step {stuck.step:02d}: {NOT_STARTED}", "")
    check = next(check for check in stuck.checks if not check.passed)
    return Row(learner, steps, f"step {stuck.step:02d}: {check.name}", _one_line(check.message))


def row_not_graded(learner: str, steps: Iterable[int], reason: str) -> Row:
    """The row of a submission the grader could not grade at all (`steps`: the step numbers graded)."""
    return Row(learner, {number: False for number in steps}, NOT_GRADED, _one_line(reason))


def _one_line(text):
    """A message on one line, for a spreadsheet cell: its lines joined by " | "."""
    return " | ".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _step_column(number):
    return f"step{number:02d}"


def write_csv(rows: list[Row], path: Path | str) -> None:
    """One row per learner, in the order given; the step columns are those of the first row."""
    numbers = list(rows[0].steps) if rows else []
    with Path(path).open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([LEARNER, *map(_step_column, numbers), TOTAL, FIRST_FAILURE, MESSAGE])
        for row in rows:
            writer.writerow([row.learner, *(int(row.steps[number]) for number in numbers), row.total,
                             row.first_failure, row.message])


def read_csv(path: Path | str) -> tuple[list[str], list[Row]]:
    """The rows of a gradebook written by write_csv(), and its header."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no such gradebook: {path}")
    try:
        with path.open(newline="", encoding="utf-8") as file:
            records = list(csv.reader(file))
    except (UnicodeDecodeError, csv.Error):
        records = []  # not text, or not CSV: told below like any other file that is not a gradebook
    header = records[0] if records else []
    step_columns = header[1:-3]
    if (header[:1] != [LEARNER] or header[-3:] != [TOTAL, FIRST_FAILURE, MESSAGE]
            or any(not (name.startswith("step") and name[4:].isdigit()) for name in step_columns)):
        raise UsageError(f"{path} is not a gradebook written by `grade --cohort`")
    numbers = [int(name[4:]) for name in step_columns]
    rows: list[Row] = []
    for record in records[1:]:
        if len(record) != len(header):
            raise UsageError(f"{path} line {len(rows) + 2} has {len(record)} columns, not {len(header)}")
        learner, *passed, _, first_failure, message = record
        rows.append(Row(learner, {number: value == "1" for number, value in zip(numbers, passed, strict=True)},
                        first_failure, message))
    return header, rows


def merge(paths: Sequence[Path | str]) -> list[Row]:
    """The rows of several shard gradebooks, as one gradebook sorted by learner."""
    if not paths:
        raise UsageError("--merge needs the gradebook files to join: grade --merge shard-1.csv shard-2.csv ...")
    header, rows = read_csv(paths[0])
    for path in paths[1:]:
        other_header, other_rows = read_csv(path)
        if other_header != header:
            raise UsageError(f"{path} grades other steps than {paths[0]}: merge shards of one cohort run")
        rows += other_rows
    seen = Counter(row.learner for row in rows)
    twice = sorted(learner for learner, count in seen.items() if count > 1)
    if twice:
        raise UsageError(f"learner {twice[0]!r} is in more than one file: each shard must grade other learners")
    return sorted(rows, key=lambda row: row.learner)


def mistakes(rows: Iterable[Row]) -> list[tuple[str, int]]:
    """(first failing check, how many learners stopped there), most common first."""
    counts = Counter(row.mistake for row in rows if row.mistake)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))  # ties in step order


def chart_path(csv_path: Path | str) -> Path:
    """Where the chart of a gradebook goes: next to it, `NAME-mistakes.png`."""
    csv_path = Path(csv_path)
    return csv_path.with_name(f"{csv_path.stem}-mistakes.png")


def plot_mistakes(rows: list[Row], path: Path | str) -> Path:
    """A bar chart (PNG) of the most common first failing checks: what to re-teach."""
    try:
        import matplotlib
    except ImportError:
        raise UsageError("the mistakes chart needs matplotlib: pipenv install --dev") from None
    matplotlib.use("Agg")  # no display: a file only
    from matplotlib import pyplot
    from matplotlib.ticker import MaxNLocator

    common = mistakes(rows)[:CHART_BARS]
    figure, axes = pyplot.subplots(figsize=(9, 1.6 + 0.4 * max(len(common), 1)))
    if common:
        labels, counts = zip(*reversed(common), strict=True)
        bars = axes.barh(labels, counts, color="#c0392b")
        axes.bar_label(bars, padding=3)
        axes.set_xlabel("learners whose first failing check it is")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        axes.text(0.5, 0.5, "No mistakes: every step begun passes", ha="center", va="center")
        axes.set_axis_off()
    axes.set_title(f"What to re-teach: first failing checks of {len(rows)} learners")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return Path(path)
