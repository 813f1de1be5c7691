"""Errors that stop a course command: called wrongly (UsageError, exit 2), or this machine lacks
what the command needs (Unavailable, exit 1), a database server that stopped mid-grade among them."""


class UsageError(Exception):
    """The command was called wrongly; the CLI prints the message on one line and exits with 2."""


class Unavailable(Exception):
    """This machine cannot give the command what it needs: a database server that is not installed
    or does not start. Not a wrong call: the CLI prints the message on one line and exits with 1."""


class ServerStopped(Unavailable):
    """A database server stopped answering, or started again, in the middle of a grade: what the
    grade saw says nothing about the learner's work. `what` says which server and what happened;
    `started_here`: the grading process started that server itself (no URL named it), so it may
    start a new one and grade again; `log`: the last lines of the server's log, where it has one."""

    def __init__(self, what: str, started_here: bool, log: str = "") -> None:
        super().__init__(f"{what}, so what the grade saw says nothing about the work: grade again.{log}")
        self.what = what
        self.started_here = started_here
