"""Wall time and peak memory of one command, run in a process of its own."""
import os
import subprocess
import time


def timed(command, cwd=None, env=None, stdout=subprocess.DEVNULL):
    """(seconds, peak resident memory in MB of the largest process in its tree, exit code); `stdout`:
    where its output goes (an open file), when it is read after."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.DEVNULL)
    # wait4 reports the child's resources together with those of the children it waited for.
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, process.returncode
