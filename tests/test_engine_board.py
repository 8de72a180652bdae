"""The board a hat sees: every earlier step and every category, within a token budget however
long the program."""

from __future__ import annotations

import re

import pytest

from sixhats_ai.run.board import HAT_BOARD_TOKENS
from sixhats_ai.text.tokens import estimate_tokens

ENTRY = re.compile(r"<<(DATA-\w+) step (\S+) [^>\n]*>>\n(.*?)\n<</\1 ", re.DOTALL)


@pytest.mark.loopback
def test_a_hat_board_stays_within_its_budget_and_keeps_every_category(cli, served, tmp_path):
    hats = ["blue", *["white", "green", "red", "yellow", "black"] * 3, "blue"]
    steps = "".join(f'[[steps]]\nhat = "{hat}"\n' for hat in hats)
    program = tmp_path / "long.toml"
    program.write_text(f'format = 1\nslug = "long"\nname = "Long"\n{steps}')
    served.reset(record=True, items=6)  # six facts and six gaps: 12 lines from a white hat

    result = cli("analyze", "How do we cut first-reply times?", "--program", str(program))
    assert result.code == 0, result.err

    last_hat = served.stats().exchanges[-2]["messages"][1]["content"]
    entries = ENTRY.findall(last_hat)
    earlier = [f"{index}-{hat}" for index, hat in enumerate(hats[:-2], start=1)]
    assert [step for _, step, _ in entries] == earlier
    lines = [line for _, _, text in entries for line in text.splitlines()]
    assert len(earlier) <= len(lines)
    budgeted = [line for line in lines if not line.startswith("Alternative: ")]
    assert sum(estimate_tokens(line) for line in budgeted) <= HAT_BOARD_TOKENS * 1.1
    by_step = {step: text for _, step, text in entries}
    categories = {
        "1-blue": ["Alternative", "Framing", "Factor", "Priority", "Goal", "Out of scope"],
        "2-white": ["Fact", "Gap"],
        "3-green": ["Idea", "Po", "Challenge"],
        "4-red": ["Feeling"],
        "5-yellow": ["Benefit", "Interesting"],
        "6-black": ["Risk", "Interesting"],
    }
    for step, names in categories.items():
        for name in names:
            assert re.search(rf"^{name}\b", by_step[step], re.MULTILINE), (step, name)
