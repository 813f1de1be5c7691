"""Errors that stop a course command before it does anything: wrong arguments, a missing folder."""


class UsageError(Exception):
    """The command was called wrongly; the CLI prints the message on one line and exits with 2."""
