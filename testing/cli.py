"""The course's commands: `pipenv run grade` and `pipenv run lesson`, thin faces over the engine."""
import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    # `pipenv run` starts this file by path: import the course from the repository root.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

try:
    import click
    from click.core import ParameterSource
except ImportError:  # `pipenv run` makes an empty virtualenv when `pipenv install` never ran
    sys.exit("The course's packages are not installed here yet: run `pipenv install --dev` "
             "in the course's folder, then try again.")

from testing import console, course  # noqa: E402
from testing.command_errors import UsageError  # noqa: E402
from testing.grader import DATABASES, DEFAULT_TIME_LIMIT, grade, render_text  # noqa: E402
from testing.guide import pg  # noqa: E402


class _Commands(click.Group):
    """The course's commands, `lesson` imported only when it is asked for: its dozen modules are no part
    of `grade`'s start-up, which the learner's process waits for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), "lesson"])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "lesson":
            from testing.guide.commands import lesson

            return lesson
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands)
def main() -> None:
    """Schema migrations with Flask-Migrate: the course's commands."""


@main.command(name="grade")
@click.option("--server-dir", type=click.Path(path_type=Path), default=course.SERVER_DIR, show_default="server/",
              help="The server folder to grade.")
@click.option("--step", type=int, help="Grade steps 1 to STEP (default: every step).")
@click.option("--database", type=click.Choice(DATABASES), default="sqlite", show_default=True,
              help="The scratch database to run the migrations on.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, show_default=True,
              help="Seconds any one migration, or importing app.py, may take.")
@click.option("--cohort", type=click.Path(path_type=Path),
              help="Grade every subfolder of this folder, one learner each (a clone of the course or a server folder).")
@click.option("--jobs", type=int, help="Learners graded at once with --cohort.  [default: one per core]")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path),
              help="The gradebook --cohort or --merge writes.  [default: gradebook.csv]")
@click.option("--shard", help="With --cohort: grade only the I-th of N shares of the learners, e.g. 2/4.")
@click.option("--merge", is_flag=True, help="Join the gradebooks FILES of several shards into one (--csv).")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def grade_command(server_dir: Path, step: int | None, database: str, as_json: bool, time_limit: float,
                  cohort: Path | None, jobs: int | None, csv_path: Path | None, shard: str | None, merge: bool,
                  files: tuple[Path, ...]) -> None:
    """Grade the migrations in the server folder, on a scratch copy; or a whole cohort (--cohort)."""
    if cohort or merge:
        from testing import cohort_command  # matplotlib and the process pool: only for instructors

        given = click.get_current_context().get_parameter_source("server_dir") == ParameterSource.COMMANDLINE
        sys.exit(cohort_command.run(cohort, merge, files, server_given=given, jobs=jobs, csv_path=csv_path,
                                    shard=shard, as_json=as_json, up_to_step=step, database=database,
                                    time_limit=time_limit))
    for name, value in (("--jobs", jobs), ("--csv", csv_path), ("--shard", shard)):
        if value:
            raise UsageError(f"{name} goes with --cohort DIR (or --merge FILES)")
    if files:
        raise UsageError(f"unexpected {files[0]}: files go with --merge (grade --merge shard-1.csv shard-2.csv)")
    with console.Status() as status:
        report = grade(server_dir, up_to_step=step, database=database, time_limit=time_limit, progress=status)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        if report.isolation:  # for instructors: how the learner's code was held (testing/README.md)
            click.echo(f"Isolation: {report.isolation}\n")
        click.echo(render_text(report, colour=console.use_colour()))
    sys.exit(0 if report.passed else 1)


@main.command(name="faults")
@click.option("--database", type=click.Choice(DATABASES), default="sqlite", show_default=True,
              help="The scratch database to run the migrations on.")
@click.option("--stock-sqlite", is_flag=True,
              help="Use the starter's app.py, without step 11's atomic SQLite setting.")
def faults_command(database: str, stock_sqlite: bool) -> None:
    """Make every reference migration fail after each of its writes; was the database left as before?"""
    from testing import faults  # it builds the course's chain: Alembic only for this command

    click.echo(faults.render(faults.inject(database, stock_sqlite)))


@main.group(name="pg", invoke_without_command=True)
@click.pass_context
def pg_command(context: click.Context) -> None:
    """Start a PostgreSQL of your own in the background and print its DATABASE_URL."""
    if context.invoked_subcommand is not None:
        return
    with console.Status() as status:
        if pg.url() is None:
            status("Starting PostgreSQL (a few seconds)...")
        url, data, running = pg.start()
    click.echo(f"PostgreSQL {'is already running' if running else 'started'} (its data: {data}).")
    click.echo("Use it in this shell (flask db, seed.py and show_rows.py all read DATABASE_URL):")
    click.echo(f"  export DATABASE_URL='{url}'")
    click.echo("Stop it and delete its data: pipenv run pg stop")


@pg_command.command(name="url")
def pg_url() -> None:
    """Print the DATABASE_URL of your PostgreSQL, starting it first if it is not running
    (for: export DATABASE_URL="$(pipenv run pg url)")."""
    url = pg.url()
    if url is None:
        # On the terminal only: the line the learner types captures stdout, which holds the URL alone.
        with console.Status() as status:
            status("Starting your PostgreSQL (stop it with: pipenv run pg stop)...")
            url, _, _ = pg.start()
    click.echo(url)


@pg_command.command(name="stop")
def pg_stop() -> None:
    """Stop your PostgreSQL and delete its data."""
    if pg.stop():
        click.echo("PostgreSQL stopped; its data is deleted. Back to SQLite: unset DATABASE_URL")
    else:
        click.echo("No PostgreSQL of yours is running.")

if __name__ == "__main__":
    console.run(main)
