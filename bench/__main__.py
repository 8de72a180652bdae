"""`python -m bench`: run the scenarios, print the table, write the JSON results.

`--smoke` runs every scenario at tiny sizes (for CI: it must run, not meet targets).
Exit status: 1 if a scenario failed to run or, in a full run, a target was missed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench import (  # noqa: F401 - registers the scenarios
    batch_rounds,
    board_memory,
    display,
    local_engine,
    long_documents,
    mcp_server,
    meeting,
    reliability,
    scenarios,
)
from bench.harness import SCENARIOS, open_context, run_scenario
from bench.report import RESULTS_DIR, Results, machine, table, write_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; targets not enforced")
    parser.add_argument("--only", type=int, nargs="+", metavar="N", help="run these scenarios")
    parser.add_argument("--output", type=Path, help="JSON results file")
    args = parser.parse_args(argv)
    chosen = [
        s
        for s in sorted(SCENARIOS, key=lambda s: s.number)
        if not args.only or s.number in args.only
    ]
    if not chosen:
        parser.error(f"no such scenario; there are {', '.join(str(s.number) for s in SCENARIOS)}")
    output = args.output or RESULTS_DIR / ("smoke.json" if args.smoke else "latest.json")

    results: Results = []
    with open_context(args.smoke) as ctx:
        for item in chosen:
            print(f"scenario {item.number}: {item.title} ...", file=sys.stderr, flush=True)
            try:
                results.append((item, run_scenario(item, ctx), None))
            except Exception as exc:  # one broken scenario must not hide the others
                results.append((item, None, f"{type(exc).__name__}: {exc}"))

    info = machine()
    print(
        f"sixhats {info['sixhats']} on {info['nproc']} x {info['cpu']}, Python {info['python']}"
        + (" (smoke run: tiny sizes, targets not enforced)" if args.smoke else "")
    )
    print(table(results, args.smoke))
    write_json(results, args.smoke, output)
    print(f"results written to {output}", file=sys.stderr)
    failed = any(outcome is None for _, outcome, _ in results)
    missed = any(f.ok is False for _, o, _ in results if o is not None for f in o.figures)
    return 1 if failed or (missed and not args.smoke) else 0


if __name__ == "__main__":
    sys.exit(main())
