"""Wall time and peak memory of one command, run in a process of its own.

The command is started by this file run as a small launcher, not by the benchmark's process: Linux
gives a new process the peak memory of the one that forked it, so a command forked by the benchmark
(100 MB and more once it has imported what it measures with) would report at least that much. The
launcher is a bare Python of about 10 MB, the least a command can report.
"""
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO


def timed(command: list[str], cwd: Path | str | None = None, env: dict[str, str] | None = None,
          stdout: int | IO = subprocess.DEVNULL) -> tuple[float, float, int]:
    """(seconds, peak resident memory in MB of the largest process in its tree, exit code); `stdout`:
    where its output goes (an open file), when it is read after."""
    read_end, write_end = os.pipe()
    try:
        launcher = subprocess.Popen([sys.executable, "-I", "-S", __file__, str(write_end), *command], cwd=cwd,
                                    env=env, stdout=stdout, stderr=subprocess.DEVNULL, pass_fds=(write_end,))
    finally:
        os.close(write_end)
    with os.fdopen(read_end) as measured:
        answer = measured.read().split()
    if launcher.wait() != 0 or len(answer) != 3:
        raise RuntimeError(f"the launcher could not run {command[0]} (exit code {launcher.returncode})")
    seconds, peak_kb, code = answer
    return float(seconds), int(peak_kb) / 1024, int(code)


def _launch(answer_fd: int, command: list[str]) -> None:
    """Run `command` and write its wall time, peak memory (KB) and exit code to `answer_fd`."""
    started = time.perf_counter()
    process = subprocess.Popen(command)
    # wait4 reports the child's resources together with those of the children it waited for.
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    with os.fdopen(answer_fd, "w") as answer:
        answer.write(f"{seconds} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    _launch(int(sys.argv[1]), sys.argv[2:])
