"""Errors that stop a course command: wrong arguments, a missing folder, a server this machine lacks."""


class UsageError(Exception):
    """The command was called wrongly; the CLI prints the message on one line and exits with 2."""


class Unavailable(Exception):
    """This machine cannot give the command what it needs: a database server that is not installed
    or does not start. Not a wrong call: the CLI prints the message on one line and exits with 1."""
