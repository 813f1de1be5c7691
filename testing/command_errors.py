"""Errors that stop a course command: called wrongly (UsageError, exit 2), or this machine lacks
what the command needs (Unavailable, exit 1)."""


class UsageError(Exception):
    """The command was called wrongly; the CLI prints the message on one line and exits with 2."""


class Unavailable(Exception):
    """This machine cannot give the command what it needs: a database server that is not installed
    or does not start. Not a wrong call: the CLI prints the message on one line and exits with 1."""
