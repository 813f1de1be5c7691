"""What every course command shares on the terminal: colour, and one-line errors with exit 2."""
import gc
import os
import shutil
import sys
from typing import NoReturn, TextIO

import click

from . import interrupts
from .command_errors import Unavailable, UsageError

GREEN, RED, YELLOW, DIM = 32, 31, 33, 2


def use_colour() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def paint(text: str, code: int, colour: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if colour else text


class Status:
    """One line on the terminal saying what a slow command is doing now; erased when it is done,
    so that what stays on screen is the answer alone. Off a terminal it writes nothing: output
    that goes to a file or a tool stays clean.

    Written by hand: a line rewritten with a carriage return is all it takes, where a library
    (rich) would add three packages and a tenth of a second to every command's start.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.on = self.stream.isatty() and os.environ.get("TERM") != "dumb"
        self.shown = False

    def __call__(self, text: str) -> None:
        if self.on:
            width = max(shutil.get_terminal_size().columns - 1, 20)
            self.stream.write(f"\r\033[K{text[:width]}")
            self.stream.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False

    def __enter__(self) -> "Status":
        return self

    def __exit__(self, *exc: object) -> None:
        self.clear()


def run(group: click.Command) -> NoReturn:
    """Run a click group; a wrong call prints one line `Error: ...` and exits with 2."""
    interrupts.end_through_clean_up_on_sigterm()
    try:
        code = group.main(prog_name="pipenv run", standalone_mode=False)
    except UsageError as exc:
        fail(str(exc))
    except Unavailable as exc:
        fail(str(exc), 1)
    except click.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except click.Abort:
        sys.exit(1)
    finally:
        # Python's last garbage collection at exit would walk every object a grade made (SQLAlchemy,
        # the lesson states): ~0.2 s for memory the system takes back anyway. Handlers still run.
        gc.freeze()
    sys.exit(code if isinstance(code, int) else 0)


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)
