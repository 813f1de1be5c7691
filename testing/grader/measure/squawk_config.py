"""server/.squawk.toml as a reviewer reads it: the rules it silences, and which have no reason.

The course asks for a reason next to every rule in `excluded_rules`, as a TOML comment (`# ...`,
with words after the #). A rule has its reason when
- its line ends with a comment, or
- the line just above it is a comment line, or a line of rules that has its reason that way:
  rules on the lines right under one comment share it, until a blank or other line.
So this has reasons for all three rules:

    excluded_rules = [
        # Step 14 drops what no running code uses any more.
        "ban-drop-column",
        "ban-drop-not-null",
        "prefer-text-field",  # our VARCHAR lengths are the app's own limits
    ]

TOML keeps no comments, so tomllib gives the rules and the lines of the file give the comments.
A file squawk itself refuses (not TOML, an unknown rule) is reported from squawk's own words
(linter.py); here it is read as far as it can be, and never fails.
"""
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..facts import SquawkConfig
from .linter import CONFIG_FILE

KEY = re.compile(r"^\s*excluded_rules\s*=")


@dataclass(frozen=True)
class _Line:
    """One line of the excluded_rules array: the strings on it and its comment's words."""
    strings: int
    comment: str
    alone: bool  # the comment is all the line holds


def read(folder: Path) -> SquawkConfig | None:
    """The excluded_rules of `folder`/.squawk.toml; None when there is no such file."""
    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
        rules = tomllib.loads(text).get("excluded_rules", [])
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return SquawkConfig()  # squawk refuses it too, and says why
    if not isinstance(rules, list) or not all(isinstance(rule, str) for rule in rules):
        return SquawkConfig()
    lines = text.splitlines()
    start = next((number for number, line in enumerate(lines) if KEY.match(line)), None)
    reasoned = _reasoned(lines, start) if start is not None else []
    if len(reasoned) != len(rules):  # strings the line reader did not pair with the rules: trust none
        reasoned = [False] * len(rules)
    return SquawkConfig(tuple(rules), tuple(rule for rule, has in zip(rules, reasoned, strict=True) if not has))


def _reasoned(lines: list[str], start: int) -> list[bool]:
    """For each string of the array that begins on line `start`: whether it has its reason."""
    covered = start > 0 and _is_comment(lines[start - 1])
    found = []
    first = KEY.sub("", lines[start], count=1)
    for line in _array_lines([first, *lines[start + 1:]]):
        if line.strings:
            found += [covered or bool(line.comment)] * line.strings
        else:
            covered = line.alone and bool(line.comment)
    return found


def _is_comment(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith("#") and bool(stripped[1:].strip())


def _array_lines(lines: list[str]):
    """The lines of the array whose text starts at lines[0], up to its closing bracket."""
    quote = None
    for line in lines:
        strings, comment, position = 0, "", 0
        while position < len(line):
            char = line[position]
            if quote:
                if char == "\\" and quote == '"':
                    position += 1  # an escaped character, perhaps a quote
                elif char == quote:
                    quote = None
            elif char in "\"'":
                quote, strings = char, strings + 1
            elif char == "#":
                comment = line[position + 1:].strip()
                break
            elif char == "]":
                yield _Line(strings, _trailing_comment(line[position + 1:]), alone=False)
                return
            position += 1
        yield _Line(strings, comment, alone=not line[:position].strip())


def _trailing_comment(rest: str) -> str:
    """The words of a comment after the closing bracket (`excluded_rules = ["x"]  # why`)."""
    rest = rest.strip()
    return rest[1:].strip() if rest.startswith("#") else ""
