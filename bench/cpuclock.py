"""`python -m bench.cpuclock REPORT SCRIPT ARGS...`: run a Python console script (or, if SCRIPT
is no file, that module as `-m` would) in this process, and write the CPU seconds it used, in
all and inside imports, to REPORT.

A fresh `sixhats` process spends most of its CPU importing; what it spends around each
request is what is left. Imports are clocked at the outermost `import` statement (imports
nested in it are inside its time), on the process's CPU clock, so a busy machine's waits
are not counted. The interpreter's own start and finalization are left out of both.
"""

from __future__ import annotations

import builtins
import json
import runpy
import sys
import time
from pathlib import Path
from typing import Any

_real_import = builtins.__import__
_depth = 0
_import_cpu = 0.0


def _clocked_import(*args: Any, **kwargs: Any) -> Any:
    global _depth, _import_cpu
    if _depth:
        return _real_import(*args, **kwargs)
    _depth += 1
    started = time.process_time()
    try:
        return _real_import(*args, **kwargs)
    finally:
        _import_cpu += time.process_time() - started
        _depth -= 1


def main(argv: list[str]) -> int:
    report, script = Path(argv[0]), argv[1]
    sys.argv = argv[1:]
    builtins.__import__ = _clocked_import
    started = time.process_time()
    code = 0
    try:
        if Path(script).is_file():
            runpy.run_path(script, run_name="__main__")
        else:
            runpy.run_module(script, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    finally:
        builtins.__import__ = _real_import
        cpu = time.process_time() - started
        report.write_text(json.dumps({"cpu": cpu, "import_cpu": _import_cpu}))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
