"""Errors that stop a grading run before any check: wrong arguments, a missing folder."""


class UsageError(Exception):
    """The command was called wrongly; the CLI prints the message and exits with 2."""
