"""Start the worker process, enforce the time limit, and collect the facts it reports.

Whatever the learner's code does (loop forever, print megabytes, call os._exit), this module
returns a Facts object: the worker's facts plus, if it did not finish, how and where it stopped.
"""
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from ..course import REPO_ROOT

OUTPUT_KEPT = 4000  # characters of the worker's own output kept for a crash report


@dataclass
class Facts:
    values: dict = field(default_factory=dict)  # one value per key
    climbed: list = field(default_factory=list)
    round_trips: list = field(default_factory=list)
    faults: list = field(default_factory=list)
    traffic: list = field(default_factory=list)  # Part 3: one per revision upgraded under live traffic
    stopped: dict | None = None  # {"reason": "time_limit" | "exited", "action": ..., "file": ...}

    def add(self, key, value):
        if key == "climbed":
            self.climbed.append(value)
        elif key == "round_trip":
            self.round_trips.append(value)
        elif key == "fault":
            self.faults.append(value)
        elif key == "traffic":
            self.traffic.append(value)
        else:
            self.values[key] = value

    def get(self, key, default=None):
        return self.values.get(key, default)


def run_worker(server_copy, database_url, database, states, time_limit, probe_steps=(), mode="grade",
               learner_database=None):
    """Walk the chain in `server_copy`; `probe_steps`: steps whose migration is made to fail on
    purpose. `mode` "faults": instead of grading, make every revision fail after each of its
    writes; "changes": only climb, saying what each revision changed. `learner_database`: a copy
    of the learner's SQLite file, compared with what the chain builds at its alembic_version."""
    read_fd, write_fd = os.pipe()
    settings = {"events_fd": write_fd, "database": database, "probe_steps": list(probe_steps), "mode": mode,
                "learner_database": str(learner_database) if learner_database else None,
                "states": {str(step): str(path) for step, path in states.items()}}
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(REPO_ROOT),
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONWARNINGS": "ignore"}
    process = subprocess.Popen(
        [sys.executable, "-m", "testing.grader.worker", json.dumps(settings)],
        cwd=server_copy, env=env, pass_fds=(write_fd,), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    os.close(write_fd)
    output = _OutputTail(process.stdout)
    facts = Facts()
    try:
        _collect(read_fd, facts, time_limit, process, output)
    finally:
        os.close(read_fd)
        _stop(process)
    return facts


def _collect(read_fd, facts, time_limit, process, output):
    current = {}
    pending = b""
    deadline = time.monotonic() + time_limit
    while True:
        remaining = deadline - time.monotonic()
        ready, _, _ = select.select([read_fd], [], [], max(remaining, 0))
        if not ready:
            facts.stopped = {"reason": "time_limit", "seconds": time_limit, **current}
            return
        chunk = os.read(read_fd, 65536)
        if not chunk:
            code = process.wait()
            facts.stopped = {"reason": "exited", "code": code, "output": output.text(), **current}
            return
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            event = json.loads(line)
            if event["type"] == "done":
                return
            if event["type"] == "begin":
                current = {key: value for key, value in event.items() if key != "type"}
                deadline = time.monotonic() + time_limit
            else:
                facts.add(event["key"], event["value"])


def _stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class _OutputTail:
    """Drains a stream in the background, keeping only its last characters."""

    def __init__(self, stream):
        self.chunks = deque()
        self.size = 0
        self.thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self.thread.start()

    def _drain(self, stream):
        for chunk in iter(lambda: stream.read1(65536), b""):
            self.chunks.append(chunk)
            self.size += len(chunk)
            while self.size - len(self.chunks[0]) > OUTPUT_KEPT:
                self.size -= len(self.chunks.popleft())

    def text(self):
        self.thread.join(timeout=1)
        return b"".join(self.chunks).decode("utf-8", "replace")[-OUTPUT_KEPT:]
