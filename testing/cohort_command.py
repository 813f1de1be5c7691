"""`grade --cohort DIR` and `grade --merge FILES`: what the instructor sees of a cohort's grading."""
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import click

from . import cohort, gradebook
from .command_errors import UsageError

DEFAULT_CSV = Path("gradebook.csv")
MISTAKES_SHOWN = 10


def run(folder: Path | None, merge: bool, files: Sequence[Path], server_given: bool, jobs: int | None,
        csv_path: Path | None, shard: str | None, as_json: bool, up_to_step: int | None, database: str,
        time_limit: float) -> int:
    """Grade a cohort (or join shard gradebooks), write the gradebook and the chart; the exit code."""
    if folder and merge:
        raise UsageError("--cohort grades and --merge joins gradebooks: use one of them")
    if server_given:
        raise UsageError("--server-dir grades one learner; --cohort DIR grades each subfolder of DIR")
    csv_path = csv_path or DEFAULT_CSV
    started = time.monotonic()
    if merge:
        if jobs or shard:
            raise UsageError("--jobs and --shard go with --cohort, not --merge")
        rows = gradebook.merge(files)
        what = f"Joined {len(files)} gradebooks: {len(rows)} learners."
    else:
        if files:
            raise UsageError(f"unexpected {files[0]}: files go with --merge")
        rows = _grade_cohort(folder, jobs, shard, up_to_step, database, time_limit)
        what = (f"Graded {len(rows)} learners{f' (shard {shard})' if shard else ''} "
                f"in {time.monotonic() - started:.0f} s.")
    gradebook.write_csv(rows, csv_path)
    chart = gradebook.plot_mistakes(rows, gradebook.chart_path(csv_path))
    if as_json:
        click.echo(json.dumps(_as_dict(rows, csv_path, chart), indent=2))
    else:
        click.echo(_as_text(what, rows, csv_path, chart))
    return 0


def _grade_cohort(folder, jobs, shard, up_to_step, database, time_limit):
    learners = cohort.submissions(folder, cohort.Shard.parse(shard) if shard else None)
    jobs = cohort.default_jobs() if jobs is None else jobs
    options = {"up_to_step": up_to_step, "database": database, "time_limit": time_limit,
               "notice": lambda line: click.echo(line, err=True)}
    if not sys.stderr.isatty():  # progress is for a person watching; logs and pipes get the result only
        return cohort.grade_all(learners, jobs, **options)
    with click.progressbar(length=len(learners), label=f"Grading ({jobs} at a time)", file=sys.stderr,
                           show_pos=True) as bar:
        return cohort.grade_all(learners, jobs, on_graded=lambda row: bar.update(1), **options)


def _as_text(what, rows, csv_path, chart):
    numbers = list(rows[0].steps) if rows else []
    width = max(len(str(len(rows))), 2) + 1
    lines = [what, "",
             "step          " + "".join(f"{number:02d}".rjust(width) for number in numbers),
             "passed by     " + "".join(f"{sum(row.steps[number] for row in rows):>{width}}" for number in numbers),
             f"every step    {sum(row.total == len(numbers) for row in rows)} of {len(rows)} learners", ""]
    common = gradebook.mistakes(rows)
    if common:
        lines.append("Most common first failing checks (what to re-teach):")
        lines += [f"  {count:>4}  {check}" for check, count in common[:MISTAKES_SHOWN]]
        if len(common) > MISTAKES_SHOWN:
            lines.append(f"        ... {len(common) - MISTAKES_SHOWN} more in the gradebook")
    else:
        lines.append("No mistakes: every step a learner has begun passes.")
    lines += ["", f"Gradebook: {csv_path}", f"Chart:     {chart}"]
    return "\n".join(lines)


def _as_dict(rows, csv_path, chart):
    return {"learners": [row.to_dict() for row in rows],
            "mistakes": [{"check": check, "learners": count} for check, count in gradebook.mistakes(rows)],
            "gradebook": str(csv_path), "chart": str(chart)}
