"""The eight programs match the seed table; program files are found and validated."""

import pytest

from sixhats_ai.errors import UsageError
from sixhats_ai.method.programs import find_program, load_program_file, load_programs

# The seed's table, exactly (../shared/six-thinking-hats.txt).
SEED = {
    "Initial Ideas": "Blue, White, Green, Blue",
    "Choosing between alternatives": "Blue, White, (Green), Yellow, Black, Red, Blue",
    "Identifying Solutions": "Blue, White, Black, Green, Blue",
    "Quick Feedback": "Blue, Black, Green, Blue",
    "Strategic Planning": "Blue, Yellow, Black, White, Blue, Green, Blue",
    "Process Improvement": (
        "Blue, White, White (Other People's Views), Yellow, Black, Green, Red, Blue"
    ),
    "Solving Problems": "Blue, White, Green, Red, Yellow, Black, Green, Blue",
    "Performance Review": "Blue, Red, White, Yellow, Black, Green, Blue",
}


def test_the_eight_programs_match_the_seed_table_step_by_step():
    by_name = {p.name: p for p in load_programs().values() if not p.emergent}
    assert set(by_name) == set(SEED)
    for name, sequence in SEED.items():
        assert by_name[name].sequence == sequence, name


def test_optional_green_and_other_peoples_views_and_extended_white():
    choose = find_program("choose")
    assert [s.optional for s in choose.steps] == [False, False, True, False, False, False, False]
    process = find_program("Process Improvement")
    assert process.steps[2].hat == "white"
    assert process.steps[2].focus == "Other People's Views"
    assert process.steps[1].extended and process.steps[1].default_seconds == 240


def test_default_time_boxes_follow_the_method():
    review = find_program("performance-review")
    assert review.steps[1].hat == "red" and review.steps[1].default_seconds == 30
    assert review.steps[3].default_seconds == 120


@pytest.mark.parametrize(
    "ref", ["choose", "CHOOSE", "choosing between alternatives", "Choosing Between Alternatives"]
)
def test_program_found_by_slug_or_name_case_insensitively(ref):
    assert find_program(ref).slug == "choose"


def test_plan_gives_stable_ids_and_roles_and_can_skip_optional():
    plan = find_program("choose").plan()
    assert [p.id for p in plan][:3] == ["1-blue", "2-white", "3-green"]
    assert plan[0].role == "framing" and plan[-1].role == "synthesis"
    assert {p.role for p in plan[1:-1]} == {"hat"}
    skipped = find_program("choose").plan(include_optional=False)
    assert "3-green" not in [p.id for p in skipped] and len(skipped) == 6


def test_user_program_dir_adds_and_overrides(tmp_path):
    (tmp_path / "mine.toml").write_text(
        'format = 1\nslug = "mine"\nname = "My Review"\n'
        '[[steps]]\nhat = "blue"\n[[steps]]\nhat = "red"\n[[steps]]\nhat = "blue"\n'
    )
    (tmp_path / "quick.toml").write_text(
        'format = 1\nslug = "quick-feedback"\nname = "Quick Feedback"\n'
        '[[steps]]\nhat = "blue"\n[[steps]]\nhat = "yellow"\n[[steps]]\nhat = "blue"\n'
    )
    programs = load_programs(tmp_path)
    assert programs["mine"].sequence == "Blue, Red, Blue"
    assert programs["quick-feedback"].sequence == "Blue, Yellow, Blue"
    assert find_program("my review", tmp_path).slug == "mine"


def test_unknown_program_names_the_choices():
    with pytest.raises(UsageError) as err:
        find_program("nope")
    assert "unknown program 'nope'" in err.value.one_line()
    assert "choose" in err.value.one_line()


def test_a_broken_user_file_hides_no_other_program(tmp_path, cli, monkeypatch):
    (tmp_path / "broken.toml").write_text("format = 1\nslug = \n")
    assert find_program("choose", tmp_path).slug == "choose"
    with pytest.raises(UsageError, match=r"broken\.toml"):
        find_program("broken", tmp_path)
    with pytest.raises(UsageError, match=r"broken\.toml"):
        find_program("nothing-like-it", tmp_path)  # the likely culprit is named

    monkeypatch.setenv("SIXHATS_CONFIG_DIR", str(tmp_path.parent))
    (tmp_path.parent / "programs").mkdir(exist_ok=True)
    (tmp_path.parent / "programs" / "broken.toml").write_text("format = 1\nslug = \n")
    result = cli("programs")
    assert result.code == 0 and len(result.out.splitlines()) == 9  # the eight and emergent
    assert "warning: skipped" in result.err and "broken.toml" in result.err


def test_each_program_names_the_shape_it_closes_in():
    closing = {slug: program.closing for slug, program in load_programs().items()}
    assert closing == {
        "choose": "decision",
        "identify-solutions": "decision",
        "solve": "decision",
        "quick-feedback": "decision",
        "initial-ideas": "shortlist",
        "process-improvement": "keep-stop-start",
        "strategic-planning": "direction",
        "performance-review": "review",
        "emergent": "direction",
    }


def test_a_program_file_with_an_unknown_closing_shape_is_one_line(tmp_path):
    path = tmp_path / "odd.toml"
    path.write_text(
        'format = 1\nslug = "odd"\nname = "Odd"\nclosing = "verdict"\n'
        '[[steps]]\nhat = "blue"\n[[steps]]\nhat = "blue"\n'
    )
    with pytest.raises(UsageError) as err:
        load_program_file(path)
    message = err.value.one_line()
    assert "odd.toml: closing: Input should be 'decision', 'shortlist'" in message
    assert len(message.splitlines()) == 1
