"""What every course command shares on the terminal: colour, and one-line errors with exit 2."""
import os
import sys

import click

from .problems import UsageError

GREEN, RED, YELLOW, DIM = 32, 31, 33, 2


def use_colour():
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def paint(text, code, colour):
    return f"\033[{code}m{text}\033[0m" if colour else text


def run(group):
    """Run a click group; a wrong call prints one line `Error: ...` and exits with 2."""
    try:
        code = group.main(prog_name="pipenv run", standalone_mode=False)
    except UsageError as exc:
        fail(str(exc))
    except click.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except click.Abort:
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def fail(message, code=2):
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)
