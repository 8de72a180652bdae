"""The board a hat sees: every earlier step, within a line budget however long the program."""

from __future__ import annotations

import re

import pytest

from sixhats_ai.engine import BOARD_LINES

ENTRY = re.compile(r"<<(DATA-\w+) step (\S+) [^>\n]*>>\n(.*?)\n<</\1 ", re.DOTALL)


@pytest.mark.loopback
def test_a_hat_board_stays_within_its_line_budget_however_long_the_program(cli, served, tmp_path):
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
    lines = sum(len(text.splitlines()) for _, _, text in entries)
    assert len(earlier) <= lines <= BOARD_LINES
