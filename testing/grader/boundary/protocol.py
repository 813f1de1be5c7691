"""The grader's side of the boundary with the learner's process (testing/inside/wire.py declares it).

A reply is decoded strictly, through the same codec as the facts: a misspelt field, a kind no enum
has or a value of the wrong type is a ProtocolError, which the grader reports as "stopped", never
as a fact.
"""
import json
from dataclasses import dataclass, field

from ...inside.wire import AppFacts, Command, LearnerError, Op, Pause, Reply, encode
from .. import codec

__all__ = ["AppFacts", "Command", "LearnerError", "Op", "Pause", "ProtocolError", "Reply", "Stopped",
           "decode_reply", "encode"]


class ProtocolError(Exception):
    """A line from the learner's process that is not the reply the grader asked for."""


def decode_reply(line: bytes) -> Reply:
    """The Reply in `line`, checked field by field; ProtocolError for anything else."""
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError("a line that is not JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError("a line that is not a JSON object")
    try:
        reply = codec.typed(Reply, data, "the reply")
    except codec.FactsError as exc:
        raise ProtocolError(str(exc)) from None
    if reply.models is not None and not all(isinstance(item.get("kind"), str) for item in reply.models):
        raise ProtocolError("a schema item without a kind")
    return reply


@dataclass
class Stopped(Exception):
    """The learner's process did not answer as asked: it ran out of time, ended, or sent garbage."""
    reason: str  # "time_limit", "exited", "garbage", "changed_files", "database_held"
    action: str = "the grader"
    details: dict[str, object] = field(default_factory=dict)

    def as_fact(self) -> dict[str, object]:
        return {"reason": self.reason, "action": self.action, **self.details}
