"""`pipenv run bench`: measure, then write Markdown and PNG files into benchmarks/results/."""
import sys
from pathlib import Path

if __package__ in (None, ""):
    # `pipenv run bench` starts this file by path: import from the repository root.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import click  # noqa: E402

from benchmarks import costs, latency, machine, report, suite, tables, traffic  # noqa: E402
from testing import console  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PARTS = ("latency", "costs", "suite", "traffic")
TARGETS = {  # what issue 6 asks for
    "grader / pytest-alembic": 1.0,
    "rename growth 1k -> largest": 1.5,
    "step-08 backfill / floor at the largest size": 1.5,
    "test suite seconds": 60,
}
RENAMES = {"d3e5f7a9b003": "table rename", "e4f6a8b0c004": "column rename"}
BACKFILL = "b7c9d1e3f008"


def _databases(text):
    names = text.split(",")
    unknown = [name for name in names if name not in tables.SEQUENCE]
    if unknown:
        raise click.BadParameter(f"{', '.join(unknown)}: the costs are measured on {' and '.join(tables.SEQUENCE)}")
    return names


def _sizes(text):
    return [int(size) for size in text.split(",")]


@click.command()
@click.option("--only", "parts", multiple=True, type=click.Choice(PARTS), help="Measure only these (repeatable).")
@click.option("--runs", default=5, show_default=True, help="Alternating runs for the latency medians.")
@click.option("--sizes", default="1000,10000,100000,1000000", show_default=True, type=_sizes,
              help="Employees per table, comma-separated.")
@click.option("--databases", default="sqlite,postgresql", show_default=True, type=_databases,
              help="Where to measure migration costs: sqlite, postgresql or both.")
@click.option("--naive-max-rows", default=100_000, show_default=True,
              help="Largest table the row-by-row naive migrations run on (they take minutes beyond).")
@click.option("--traffic-sizes", default="100000,1000000", show_default=True, type=_sizes,
              help="Employees while Part 3's migrations run under traffic, comma-separated.")
@click.option("--results", type=click.Path(path_type=Path), default=RESULTS, show_default="benchmarks/results/",
              help="Folder the Markdown and PNG files go to.")
def main(parts, runs, sizes, databases, naive_max_rows, traffic_sizes, results):
    """Measure the grader's latency, each migration's cost against table size, and the test suite."""
    parts = parts or PARTS
    results.mkdir(parents=True, exist_ok=True)
    about = machine.description()
    verdicts = []
    if "latency" in parts:
        rows, ratio = latency.measure(runs)
        _write(results / "latency.md", "Grader latency", about, report.latency_table(rows, ratio, runs))
        verdicts.append(("grader / pytest-alembic", ratio))
    if "costs" in parts:
        for database in databases:
            measured = costs.measure(database, sizes, naive_max_rows)
            _write(results / f"costs-{database}.md", f"Migration cost against table size ({database})", about,
                   report.costs_table(measured, database) + f"\n\n![plot](costs-{database}.png)")
            report.costs_plot(measured, database, results / f"costs-{database}.png")
            verdicts += [("rename growth 1k -> largest", report.growth(measured, revision), f"{name}, {database}")
                         for revision, name in RENAMES.items()]
            verdicts.append(("step-08 backfill / floor at the largest size", report.floor_ratio(measured, BACKFILL),
                             database))
    if "traffic" in parts:
        measured = traffic.measure(traffic_sizes)
        _write(results / "traffic.md", "Part 3: the running app during each migration (PostgreSQL)", about,
               report.traffic_table(measured) + "\n\n![plot](traffic.png)")
        report.traffic_plot(measured, results / "traffic.png")
    if "suite" in parts:
        seconds, code = suite.measure()
        _write(results / "suite.md", "The course's test suite", about,
               f"`pipenv run pytest -n auto`: {seconds:.0f} s (exit code {code}).")
        verdicts.append(("test suite seconds", seconds))
    if verdicts:  # the traffic part has no targets: the summary stays as measured
        summary = _summary(verdicts, results / "summary.md")
        _write(results / "summary.md", "Targets", about, summary)
        click.echo(summary)


def _summary(verdicts, previous):
    """The targets table: this run's rows, and the rows of parts measured before and not now."""
    rows = {}
    if previous.is_file():  # keep what `--only` left out
        rows = {line.split(" | ")[0]: line for line in previous.read_text(encoding="utf-8").splitlines()
                if line.startswith("| ") and not line.startswith(("| target ", "|---"))}
    for name, value, *where in verdicts:
        shown = "—" if value is None else f"{value:.2f}"
        met = "—" if value is None else ("yes" if value <= TARGETS[name] else "**no**")
        label = f"| {name} ({where[0]})" if where else f"| {name}"
        rows[label] = f"{label} | {shown} | ≤ {TARGETS[name]} | {met} |"
    return "\n".join(["| target | measured | goal | met |", "|---|---|---|---|", *rows.values()])


def _write(path, title, about, body):
    path.write_text(f"# {title}\n\n{about}\n\n{body}\n", encoding="utf-8")


if __name__ == "__main__":
    console.run(main)
