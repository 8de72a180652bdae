"""Scenario 16 (issue 18): a meeting with participants.

The tokens of a `choose` run with four participants against one voice, one request a step
(the participants' contributions make longer answers and a longer board, not more requests),
and the wall time of `--personas-mode separate`, whose four requests a hat run at once: its
critical path is one request per step, so the wall time is compared with that.
"""

from __future__ import annotations

import statistics

from bench.harness import BenchError, Context, Figure, Outcome, scenario
from bench.scenarios import analyze
from sixhats_ai.method.programs import find_program

PEOPLE = "finance lead, support lead, customer advocate, team lead"


@scenario(16, "meeting of 4 participants: tokens against 1, separate mode against its path")
def participants(ctx: Context) -> Outcome:
    program = find_program("choose")
    steps = len(program.plan())
    hats = steps - 2
    ctx.server.reset(latency=0.0)
    _, alone = analyze(ctx, program.slug, "sequential")
    _, together = analyze(ctx, program.slug, "sequential", "--personas", PEOPLE)
    one, four = alone["metadata"]["usage"], together["metadata"]["usage"]
    if four["requests"] != one["requests"]:
        raise BenchError(f"{four['requests']} requests with participants, {one['requests']} alone")

    latency = ctx.size(0.5, 0.02)  # as scenario 1: a hosted model's typical answer time
    critical_path = steps * latency  # each hat's four requests in flight at once
    ctx.server.reset(latency=latency)
    separate = ("--personas", PEOPLE, "--personas-mode", "separate", "--concurrency", "4")
    runs = ctx.size(3, 1)
    walls = [analyze(ctx, program.slug, "sequential", *separate)[0] for _ in range(runs)]
    stats = ctx.server.stats()
    expected = runs * (2 + 4 * hats)
    if stats.requests != expected:
        raise BenchError(f"{stats.requests} requests reached the server, expected {expected}")

    def total(usage: dict[str, int]) -> int:
        return usage["prompt_tokens"] + usage["completion_tokens"]

    path = f"critical path {critical_path:g} s"
    return Outcome(
        figures=[
            Figure("tokens, 1 voice (one request a step)", total(one), "tok"),
            Figure("tokens, 4 participants (one request a step)", total(four), "tok"),
            Figure("tokens, 4 participants / 1", total(four) / total(one), "x"),
            Figure(
                f"separate mode: median wall / {path}",
                statistics.median(walls) / critical_path,
                "x",
                1.15,
            ),
            Figure("separate mode: peak requests in flight", stats.peak_in_flight, "", 4, "=="),
        ],
        details={
            "one": one,
            "four": four,
            "latency": latency,
            "critical_path": critical_path,
            "walls": walls,
        },
        notes=[
            "tokens: the stand-in answers every schema in full, so four contributions make a "
            "longer answer and a longer board (within its token budget) for the next steps",
            f"separate: {hats} hats x 4 participants, --concurrency 4; the path is one "
            "request per step",
        ],
    )
