"""The grader's end of the learner's process: start it contained, ask one command at a time, and
end it with everything it started.

Whatever the learner's code does (loop forever, print megabytes, write garbage where the reply
goes, call os._exit, start children that hide), `call` returns a Reply or raises Stopped; the
deadlines are the grader's own (each command's, and one for the whole grade that nothing resets),
and at most MAX_REPLY bytes are ever read from the learner's process.
"""
import os
import select
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO

from . import containment
from .fingerprint import submitted_files
from .protocol import Command, Op, Pause, ProtocolError, Reply, Stopped, decode_reply, encode

OUTPUT_KEPT = 4000  # characters of the learner's own output kept for a report
MAX_REPLY = 1 << 20  # bytes one reply may take
MAX_READ = 16 << 20  # bytes read from the learner's process in all, one grade


class LearnerProcess:
    """`with LearnerProcess(copy, workdir, url, …) as learner: reply = learner.call(command, action)`."""

    def __init__(self, copy: Path, workdir: Path, database_url: str, isolation: containment.Isolation,
                 time_limit: float, total_limit: float, progress: Callable[[str], None] | None = None) -> None:
        self.copy, self.workdir = copy, workdir
        self.database_url, self.isolation = database_url, isolation
        self.time_limit, self.total_limit = time_limit, total_limit
        self.progress = progress or (lambda text: None)
        self.read_so_far = 0
        self.pending = bytearray()
        self.last_action = "starting your code"
        self.unanswered: tuple[str, dict[str, object]] | None = None  # the action and details of a command sent

    def __enter__(self) -> "LearnerProcess":
        self.files = submitted_files(self.copy)  # before any of the learner's code runs
        commands_read, self.commands = os.pipe()
        self.replies, replies_write = os.pipe()
        output_read, output_write = os.pipe()
        containment.hand_over(self.workdir, self.isolation)
        env = containment.environment(self.workdir, {"DATABASE_URL": self.database_url})
        argv = [sys.executable, "-m", "testing.inside.worker", str(commands_read), str(replies_write)]
        self.deadline = time.monotonic() + self.total_limit
        self.launcher = containment.launch(argv, self.copy, env, self.isolation, self.total_limit,
                                           pass_fds=(commands_read, replies_write, output_write),
                                           output_fd=output_write, scratch=self.workdir)
        # Both piped by launch(): closing the one ends everything, the other tells the exit code.
        self.to_launcher, self.from_launcher = _piped(self.launcher)
        for fd in (commands_read, replies_write, output_write):
            os.close(fd)
        self.output = _OutputTail(output_read)
        return self

    def call(self, command: Command, action: str, on_pause: Callable[[Pause], None] | None = None,
             **details: object) -> Reply:
        """Send `command`; its Reply, or Stopped. `action` says what runs, for messages and progress.
        `on_pause(Pause)`: called for each Pause before the reply (UPGRADE with pause_first); the
        time it takes is not the learner's."""
        self.send(command, action, **details)
        return self.answer(on_pause)

    def send(self, command: Command, action: str, **details: object) -> None:
        """Send `command` and go on: `answer()` waits for its Reply. The grader works meanwhile (LOAD,
        while it loads its own libraries); one command at a time."""
        if self.unanswered is not None:
            raise RuntimeError(f"{command.op.name} sent before the answer to {self.unanswered[0]!r}")
        self.progress(action)
        self.last_action = action
        self.unanswered = (action, details)
        try:
            os.write(self.commands, encode(command))
        except BrokenPipeError:
            raise self._exited({"action": action, **details}) from None

    def answer(self, on_pause: Callable[[Pause], None] | None = None) -> Reply:
        """The Reply to the command sent last, or Stopped; `on_pause` as for `call`."""
        if self.unanswered is None:
            raise RuntimeError("no command waits for an answer")
        (action, details), self.unanswered = self.unanswered, None
        where = {"action": action, **details}
        # The command's time limit runs from now, not from when it was sent: the grader's own work since
        # is not the learner's.
        deadline = min(time.monotonic() + self.time_limit, self.deadline)
        reply = self._read_reply(where, deadline)
        while reply.pause is not None and on_pause is not None:
            started = time.monotonic()
            on_pause(reply.pause)
            spent = time.monotonic() - started  # the grader's, not the learner's
            deadline += spent
            self.deadline += spent
            try:
                os.write(self.commands, encode(Command(Op.RESUME)))
            except BrokenPipeError:
                raise self._exited(where) from None
            reply = self._read_reply(where, deadline)
        if reply.pause is not None:
            raise Stopped("garbage", action, {**where, "why": "a pause the grader did not ask for"})
        changed = submitted_files(self.copy).changed_since(self.files)
        if changed:
            raise Stopped("changed_files", action, {**details, "files": changed})
        return reply

    def seconds_left(self) -> float:
        """How long the grader may wait on anything now: a command's time limit, within the grade's."""
        return float(min(self.time_limit, self.deadline - time.monotonic()))

    def _read_reply(self, where, deadline: float) -> Reply:
        scanned = 0
        while True:
            end = self.pending.find(b"\n", scanned)
            if end >= 0:
                line, self.pending = bytes(self.pending[:end]), self.pending[end + 1:]
                try:
                    reply = decode_reply(line)
                except ProtocolError as exc:
                    raise Stopped("garbage", where["action"], {**where, "why": str(exc)}) from None
                if self.pending and reply.pause is None:  # one reply per command: anything more was not asked for
                    raise Stopped("garbage", where["action"], {**where, "why": "more than one reply"})
                return reply
            scanned = len(self.pending)
            if scanned > MAX_REPLY or self.read_so_far > MAX_READ:
                raise Stopped("garbage", where["action"], {**where, "why": "a reply too long"})
            remaining = deadline - time.monotonic()
            ready = select.select([self.replies, self.from_launcher.fileno()], [], [], max(remaining, 0))[0] \
                if remaining > 0 else []
            if not ready:
                seconds = self.time_limit if deadline < self.deadline else self.total_limit
                raise Stopped("time_limit", where["action"], {**where, "seconds": round(seconds, 1)})
            if self.replies in ready:
                chunk = os.read(self.replies, 65536)
                if chunk:
                    self.read_so_far += len(chunk)
                    self.pending += chunk
                    continue
            raise self._exited(where)

    def _exited(self, where):
        """Stopped: the learner's process ended (or closed its end) without answering."""
        try:
            self.from_launcher.flush()
            code = int(self.from_launcher.readline() or -1) if select.select(
                [self.from_launcher], [], [], 1)[0] else None
        except ValueError:
            code = None
        return Stopped("exited", where["action"], {**where, "code": code, "output": self.output.text()})

    def __exit__(self, *exc: object) -> None:
        os.close(self.commands)
        self.to_launcher.close()  # the launcher kills everything the learner's code started
        try:
            self.launcher.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.launcher.kill()
            self.launcher.wait()
        self.from_launcher.close()
        os.close(self.replies)
        self.output.close()


class _OutputTail:
    """Drains the learner's output in the background, keeping only its last characters."""

    def __init__(self, fd):
        self.fd = fd
        self.chunks: deque[bytes] = deque()
        self.size = 0
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        try:
            for chunk in iter(lambda: os.read(self.fd, 65536), b""):
                self.chunks.append(chunk)
                self.size += len(chunk)
                while self.size - len(self.chunks[0]) > OUTPUT_KEPT:
                    self.size -= len(self.chunks.popleft())
        except OSError:
            pass

    def text(self):
        self.thread.join(timeout=0.5)
        return b"".join(self.chunks).decode("utf-8", "replace")[-OUTPUT_KEPT:]

    def close(self):
        self.thread.join(timeout=1)
        try:
            os.close(self.fd)
        except OSError:
            pass


def _piped(launcher: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    if launcher.stdin is None or launcher.stdout is None:
        raise ValueError("the launcher was started without its pipes")
    return launcher.stdin, launcher.stdout
