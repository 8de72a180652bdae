"""`python -m bench.measure REPORT CMD...`: run CMD, write its wall time and peak RSS to REPORT.

A child forked from the benchmark process would be charged the benchmark's own memory (Linux
keeps the pre-exec peak in `ru_maxrss`), so commands are started from this small launcher,
whose only child is the command. CMD inherits stdin, stdout and stderr.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

TIMEOUT_SECONDS = 600.0


def main(argv: list[str]) -> int:
    report, command = Path(argv[0]), argv[1:]
    started = time.perf_counter()
    try:
        code = subprocess.call(command, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        code = -9
    wall = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report.write_text(json.dumps({"wall": wall, "code": code, "max_rss_mb": peak_kib / 1024}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
