"""The course's commands: `pipenv run grade` and `pipenv run lesson`, thin faces over the engine."""
import json
import os
import sys
from pathlib import Path

if __package__ in (None, ""):
    # `pipenv run` starts this file by path: import the course from the repository root.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import click  # noqa: E402

from testing import course  # noqa: E402
from testing.build import build_state  # noqa: E402
from testing.grader import DATABASES, UsageError, grade, render_text  # noqa: E402
from testing.grader import DEFAULT_TIME_LIMIT  # noqa: E402


def use_colour():
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def usage_errors(function):
    """Our own UsageError becomes click's, which prints one line and exits with 2."""
    def wrapped(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except UsageError as exc:
            raise click.UsageError(str(exc)) from None
    wrapped.__name__ = function.__name__
    wrapped.__doc__ = function.__doc__
    return wrapped


server_dir_option = click.option(
    "--server-dir", type=click.Path(path_type=Path), default=course.SERVER_DIR, show_default="server/",
    help="The server folder to grade.")


@click.group()
def main():
    """Schema migrations with Flask-Migrate: the course's commands."""


@main.command(name="grade")
@server_dir_option
@click.option("--step", type=int, help="Grade steps 1 to STEP (default: every step).")
@click.option("--database", type=click.Choice(DATABASES), default="sqlite", show_default=True,
              help="The scratch database to run the migrations on.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, show_default=True,
              help="Seconds any one migration, or importing app.py, may take.")
@usage_errors
def grade_command(server_dir, step, database, as_json, time_limit):
    """Grade the migrations in the server folder, on a scratch copy."""
    report = grade(server_dir, up_to_step=step, database=database, time_limit=time_limit)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(render_text(report, colour=use_colour()))
    sys.exit(0 if report.passed else 1)


@main.group()
def lesson():
    """Move through the course."""


@lesson.command()
@click.argument("step", type=int)
@click.argument("directory", type=click.Path(path_type=Path))
@usage_errors
def build(step, directory):
    """Write a server folder at the reference end state of STEP into the new DIRECTORY."""
    build_state(step, directory)
    click.echo(f"Wrote the end state of step {step:02d} to {directory}")


if __name__ == "__main__":
    main(prog_name="pipenv run")
