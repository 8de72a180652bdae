"""The `sixhats` process spares its finalization a garbage collection; a caller's is untouched."""

from __future__ import annotations

import gc
import sys

import pytest

from sixhats_ai.cli import main


@pytest.fixture
def freezes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(1))
    return calls


def test_the_sixhats_process_freezes_the_heap_before_it_exits(freezes, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["sixhats", "programs"])
    main()
    assert "choose" in capsys.readouterr().out
    assert freezes == [1]


def test_even_when_the_command_fails(freezes, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["sixhats", "analyze", "--program", "nope", "x", "--dry-run"])
    with pytest.raises(SystemExit):
        main()
    assert freezes == [1]


def test_a_caller_passing_arguments_keeps_its_collector(freezes, capsys):
    main(["programs"])
    assert freezes == []
