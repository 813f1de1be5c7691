"""Write the figures as Markdown tables and PNG plots (time against rows, log scales)."""
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")  # files only, no window
import matplotlib.pyplot as plt  # noqa: E402

from testing import author  # noqa: E402

# The migrations the lessons compare with their naive versions: plotted with floor and naive.
NAIVE = {revision: alternative for revision, alternative in author.alternatives().items() if alternative.naive}
PLOTTED = list(NAIVE)


def seconds(value):
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def latency_table(rows, ratio, floor, runs):
    lines = ["| command | median wall time | median peak memory |", "|---|---|---|"]
    lines += [f"| {name} | {seconds(wall)} | {peak:.0f} MB |" for name, wall, peak in rows]
    lines.append("")
    lines.append(f"Median of {runs} alternating runs, each in a new process. Ours / pytest-alembic: **{ratio:.2f}×**. "
                 f"Loading the app alone / pytest-alembic: {floor:.2f}×, the part of any such tool's time that is "
                 "Python importing the app and its libraries. What the OS sandbox costs: sandbox.md.")
    return "\n".join(lines)


def sandbox_table(cost):
    """`cost`: a sandbox.Cost."""
    def shown(spread, show, strong=""):
        low, high = spread.quartiles
        first, last = spread.interval
        return f"{strong}{show(spread.median)}{strong} | {show(low)} – {show(high)} | {show(first)} – {show(last)}"

    def percent(ratio):
        return f"{(ratio - 1) * 100:+.1f} %"

    lines = [f"| grade --step 5 | median | quartiles | {cost.ratio.confidence * 100:.0f} % interval of the median |",
             "|---|---|---|---|",
             f"| with the OS sandbox | {shown(cost.on, seconds)} |",
             f"| without it | {shown(cost.off, seconds)} |",
             f"| **the sandbox's cost** (with / without, pair by pair) | {shown(cost.ratio, percent, '**')} |",
             "",
             f"{cost.pairs} pairs of grades, each in a new process, the order within a pair alternating (with, "
             f"without; without, with; ...) after {cost.warm_up} not counted. Without the sandbox, as "
             f"`grade --json` said: {cost.without}",
             "",
             f"Load average (1 minute) {cost.load[0]:.2f} before, {cost.load[1]:.2f} after, on a machine shared "
             "with other work: the quartiles and the interval show how much that moved the figures."]
    return "\n".join(lines)


def cohort_table(rows, size, right, time_limit):
    lines = ["| --jobs | wall time | learners per minute | peak memory (largest process) |", "|---|---|---|---|"]
    lines += [f"| {jobs} | {seconds(wall)} | {per_minute:.1f} | {peak:.0f} MB |"
              for jobs, wall, per_minute, peak in rows]
    lines.append("")
    lines.append(f"`grade --cohort` over {size} learners: the course's reference end states and its realistic "
                 f"wrong submissions in turn, every step graded (`--time-limit {time_limit}`), each run in a new "
                 f"process. {right} of {size} gradebook rows agree with the learner's kind in every run "
                 "(a reference state passes its steps; a mistake's first failing check is in the step it "
                 "breaks). The chart is the class's mistakes, as `grade --cohort` draws it.")
    return "\n".join(lines)


def costs_table(rows, database):
    lines = ["| migration | rows | upgrade | downgrade | raw SQL floor | upgrade / floor | naive |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        ratio = f"{row['upgrade'] / row['floor']:.1f}×" if row["floor"] else "—"
        lines.append(f"| {row['file']} | {row['rows']:,} | {seconds(row['upgrade'])} | {seconds(row['downgrade'])} "
                     f"| {seconds(row['floor'])} | {ratio} | {seconds(row['naive'])} |")
    naive = "; ".join(f"{revision}: {alternative.naive_does}" for revision, alternative in NAIVE.items())
    lines.append("")
    lines.append(f"On {database}. Naive versions — {naive}.")
    return "\n".join(lines)


def costs_plot(rows, database, path):
    by_revision = defaultdict(list)
    for row in rows:
        by_revision[row["revision"]].append(row)
    figure, axes = plt.subplots(2, 2, figsize=(10, 8), sharex=True)
    for axis, revision in zip(axes.flat, PLOTTED, strict=False):
        measured = sorted(by_revision[revision], key=lambda row: row["rows"])
        if not measured:
            continue
        sizes = [row["rows"] for row in measured]
        axis.plot(sizes, [row["upgrade"] for row in measured], "o-", label="the lesson's migration")
        axis.plot(sizes, [row["floor"] for row in measured], "s--", label="raw SQL floor")
        naive = [(row["rows"], row["naive"]) for row in measured if row["naive"] is not None]
        if naive:
            axis.plot(*zip(*naive, strict=True), "^:", label="naive")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_title(measured[0]["file"].removesuffix(".py"), fontsize=9)
        axis.set_xlabel("employees")
        axis.set_ylabel("seconds")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle(f"Upgrade time against table size on {database}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def growth(rows, revision):
    """Upgrade time at the largest size over that at the smallest, or None."""
    measured = sorted((row for row in rows if row["revision"] == revision), key=lambda row: row["rows"])
    if len(measured) < 2:
        return None
    return measured[-1]["upgrade"] / measured[0]["upgrade"]


def floor_ratio(rows, revision):
    """Upgrade time over the floor's at the largest size, or None."""
    measured = [row for row in rows if row["revision"] == revision]
    if not measured:
        return None
    largest = max(measured, key=lambda row: row["rows"])
    return largest["upgrade"] / largest["floor"]


def part3_answers_table(first, edited, mapped, runs):
    return "\n".join([
        f"At the start of step 14 with `pipenv run pg` running and upgraded, DATABASE_URL set; medians of {runs} runs.",
        "",
        "| what | seconds |",
        "|---|---|",
        f"| the first `lesson check 13` (nothing kept yet) | {first:.2f} |",
        f"| `lesson check 13` after an edit of step 13's migration | {edited:.2f} |",
        f"| the course map (`pipenv run lesson`), results kept | {mapped:.2f} |",
    ])


def answers_table(twelve, three, ratio, first, whole, runs):
    return "\n".join([
        f"Medians of {runs} alternating runs, each `lesson status` run again with nothing changed "
        "(the first run's results kept under `.lesson/`).",
        "",
        "| what | seconds |",
        "|---|---|",
        f"| `lesson status` at step 12 (SQLite, PostgreSQL and MariaDB results) | {twelve:.2f} |",
        f"| `lesson status` at step 03 | {three:.2f} |",
        f"| ratio | {ratio:.2f} |",
        f"| `lesson check 12` on a terminal, nothing kept yet: first output | {first:.2f} |",
        f"| the same: its whole answer | {whole:.2f} |",
    ])


def traffic_table(rows):
    lines = ["| migration | rows | requests failed | p50 during | p99 during | slowest during | longest lock wait "
             "| migration took |", "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        failed = "" if row["upgraded"] else " (the upgrade failed)"
        lines.append(f"| {row['case']}{failed} | {row['rows']:,} | {row['errors']} "
                     f"| {seconds(row['p50'])} | {seconds(row['p99'])} | {seconds(row['slowest'])} "
                     f"| {seconds(row['longest_wait'])} "
                     f"| {seconds(row['migration'])} |")
    return "\n".join(lines)


def traffic_plot(rows, path):
    """The slowest request during each migration, one bar per case and size; naive versions hatched.
    (Most requests are reads, which no row lock stops: p50 and p99 hide the writes that waited.)"""
    cases = list(dict.fromkeys(row["case"] for row in rows))
    sizes = sorted({row["rows"] for row in rows})
    width = 0.8 / len(sizes)
    figure, axis = plt.subplots(figsize=(10, 5.5))
    for position, size in enumerate(sizes):
        for index, case in enumerate(cases):
            row = next(r for r in rows if r["case"] == case and r["rows"] == size)
            bar = axis.bar(index + position * width, max(row["slowest"] or 0, 1e-3), width, color=f"C{position}",
                           hatch="//" if row["naive"] else None, edgecolor="black",
                           label=f"{size:,} rows" if index == 0 else None)
            if row["errors"]:
                axis.annotate(f"{row['errors']} failed", (bar[0].get_x() + width / 2, bar[0].get_height()),
                              ha="center", va="bottom", fontsize=7, rotation=90)
    axis.set_yscale("log")
    axis.set_ylabel("slowest request of the app during the migration (s)")
    axis.set_xticks([index + width * (len(sizes) - 1) / 2 for index in range(len(cases))])
    axis.set_xticklabels(cases, rotation=25, ha="right", fontsize=8)
    axis.set_title("Part 3: the running app during each migration (hatched: naive versions)")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
