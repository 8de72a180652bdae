"""Counts read as people write them."""

from sixhats_ai.text.plural import counted


def test_one_is_singular_and_every_other_count_plural():
    assert counted(1, "request") == "1 request"
    assert [counted(n, "dot") for n in (0, 2, 11)] == ["0 dots", "2 dots", "11 dots"]
    assert counted(1, "pass", "passes") == "1 pass" and counted(3, "pass", "passes") == "3 passes"
