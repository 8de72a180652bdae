"""`python -m bench.measure REPORT CMD...`: run CMD, write its wall time, CPU seconds and peak
RSS to REPORT.

A child forked from the benchmark process would be charged the benchmark's own memory (Linux
keeps the pre-exec peak in `ru_maxrss`), so commands are started from this small launcher,
whose only child is the command. CMD inherits stdin, stdout and stderr.
The launcher blocks in `wait4` for the command (and its own resource usage): a wait with a
timeout would poll, sleeping up to 50 ms at a time, and add that much to a short command's
wall time. A timer kills a command that runs too long.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

TIMEOUT_SECONDS = 600.0


def main(argv: list[str]) -> int:
    report, command = Path(argv[0]), argv[1:]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    timer = threading.Timer(TIMEOUT_SECONDS, process.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    wall = time.perf_counter() - started
    process.returncode = code = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    report.write_text(
        json.dumps(
            {
                "wall": wall,
                "code": code,
                "max_rss_mb": usage.ru_maxrss / 1024,
                "cpu": usage.ru_utime + usage.ru_stime,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
