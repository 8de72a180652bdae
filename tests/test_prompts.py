"""Every template renders for every step of every program; user text stays literal."""

import pytest

from sixhats_ai.method.programs import load_programs
from sixhats_ai.prompts import PromptLibrary, template_name_for
from sixhats_ai.run.engine import Engine
from sixhats_ai.run.request import RunRequest
from sixhats_ai.text.documents import Document

PROGRAMS = [p for p in load_programs().values() if not p.emergent]  # fixed sequences


def _engine(user_dir=None) -> Engine:
    return Engine(None, PromptLibrary(user_dir), lambda step: "m")


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.slug)
def test_every_step_of_every_program_renders_with_strict_undefined(program):
    engine = _engine()
    request = RunRequest(problem="Should we hire?", program=program)
    previews = engine.preview(request)
    assert len(previews) == len(program.steps)
    for step, prompt in previews:
        assert "Should we hire?" in prompt.user
        assert "Should we hire?" not in prompt.system  # untrusted text only in the user turn
        after_material = prompt.user.split(" problem>>\n", 2)[-1]
        assert f"step {step.id}" in after_material  # the step's own part follows the material
        assert step.hat.value.capitalize() in after_material
        assert "JSON" in prompt.system


def test_hat_templates_carry_the_method():
    library = PromptLibrary()
    text = {name: library.source(name)[0] for name in library.names()}
    assert "how to fill" in text["white.j2"] and "information gaps" in text["white.j2"]
    assert "No justification" in text["red.j2"]
    assert "PMI" in text["black.j2"] and "reason" in text["black.j2"]
    assert "PMI" in text["yellow.j2"] and "reason" in text["yellow.j2"]
    assert "Po" in text["green.j2"] and "Concept challenge" in text["green.j2"]
    assert "CAF" in text["framing.j2"] and "FIP" in text["framing.j2"]
    # shared parts by inheritance, not copies
    for name in (
        "white.j2",
        "red.j2",
        "black.j2",
        "yellow.j2",
        "green.j2",
        "blue.j2",
        "framing.j2",
        "synthesis.j2",
    ):
        assert text[name].startswith('{% extends "_hat.j2" %}'), name


@pytest.mark.parametrize("problem", ["{{ 7*7 }}", "{% raw %}", "{% for x in y %}", "{#"])
def test_problem_text_is_a_variable_never_template_source(problem):
    program = load_programs()["choose"]
    [(_, prompt), *_] = _engine().preview(RunRequest(problem=problem, program=program))
    assert f" problem>>\n{problem}\n<</" in prompt.user  # verbatim, not evaluated


def test_untrusted_text_is_fenced_with_a_per_run_nonce():
    program = load_programs()["choose"]
    previews = _engine().preview(RunRequest(problem="p", program=program))
    nonces = {p.system.split("<<", 1)[1].split(" ", 1)[0] for _, p in previews}
    assert len(nonces) == 1  # one marker a run: every request starts with the same bytes
    [nonce] = nonces
    for _, prompt in previews:
        assert f"<<{nonce} problem>>\np\n<</{nonce} problem>>" in prompt.user
    again = _engine().preview(RunRequest(problem="p", program=program))
    assert nonce not in again[0][1].system  # a new marker for the next run


@pytest.mark.parametrize("program", list(load_programs().values()), ids=lambda p: p.slug)
def test_every_request_of_a_run_starts_with_the_method_the_problem_and_the_documents(program):
    request = RunRequest(
        problem="Should we hire?",
        program=program,
        documents=[Document("plan.md", "The plan. " * 300), Document("notes.md", "Notes.")],
    )
    previews = _engine().preview(request)
    systems = {prompt.system for _, prompt in previews}
    assert len(systems) == 1  # the method, byte for byte
    [system] = systems
    assert "Should we hire?" not in system and "The plan." not in system
    first = previews[0][1].user
    material = first[: first.index("notes.md>>\nNotes.\n<</") + len("notes.md>>\nNotes.\n")]
    material = first[: first.index(">>", len(material)) + 2]  # through the last fence's end
    assert material.count("Should we hire?") == 1 and material.count("The plan.") == 300
    for step, prompt in previews:
        assert prompt.user.startswith(material), step.id
        assert f"step {step.id}" not in material  # what differs by step comes after


def test_user_template_overrides_the_packaged_one(tmp_path):
    (tmp_path / "red.j2").write_text(
        '{% extends "_hat.j2" %}{% block method %}CUSTOM RED {{ step.id }}{% endblock %}'
    )
    program = load_programs()["choose"]
    previews = dict(
        (s.id, p) for s, p in _engine(tmp_path).preview(RunRequest(problem="p", program=program))
    )
    assert "CUSTOM RED 6-red" in previews["6-red"].user
    assert "CUSTOM RED" not in previews["5-black"].user


def test_user_templates_render_in_a_sandbox(tmp_path):
    from sixhats_ai.errors import UsageError

    (tmp_path / "red.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    library = PromptLibrary(tmp_path)
    with pytest.raises(UsageError) as err:
        library.render_prompt("red.j2", {"part": "system"})
    assert "red.j2" in err.value.one_line()


@pytest.mark.parametrize("name", ["update", "__class__", "clear"])
def test_a_variable_keyed_as_a_dict_method_still_meets_the_sandbox(name):
    """A dict's key is read as `x.key` on a fast path: a key named like one of dict's own
    attributes is the attribute, and the immutable sandbox still refuses it."""
    from jinja2.exceptions import SecurityError

    env = PromptLibrary().env
    assert env.from_string("{{ x.key }}|{{ x.other is defined }}").render(x={"key": 1}) == (
        "1|False"
    )
    with pytest.raises(SecurityError):
        env.from_string(f"{{{{ x.{name} }}}}").render(x={name: "shadowed"})


def test_the_sandbox_judges_an_attribute_by_its_objects_type_each_time():
    """Its verdicts are kept by type and name: an object's own `append` is read, a list's
    (which would change it) is refused, whichever came first."""
    from types import SimpleNamespace

    from jinja2.exceptions import SecurityError

    template = PromptLibrary().env.from_string("{{ x.append }}")
    for _ in range(2):
        assert template.render(x=SimpleNamespace(append="read")) == "read"
        with pytest.raises(SecurityError):
            template.render(x=[1])


def test_the_sandbox_calls_and_reads_as_the_stock_sandbox_does():
    """Macros, blocks and a string's own methods are called, and attributes judged safe
    before are read, on fast paths: what each renders, twice over (the second time from the
    verdicts kept), is what Jinja's own immutable sandbox renders; a string's `format` is
    still the sandbox's, and what is unsafe is still refused."""
    import jinja2
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    source = (
        "{% macro twice(x) %}{{ x }}{{ x }}{% endmacro %}{% block b %}B{% endblock %}|"
        '{{ twice("a") }}|{{ self.b() }}|{{ "ies".endswith("s") }}|{{ s.upper() }}|'
        '{{ "{0}!".format(s) }}|{{ (s.upper).__name__ is defined }}|{{ h.title }}'
    )
    mine, stock = (
        PromptLibrary().env,
        ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined),
    )
    values = {"s": "x", "h": type("Hat", (), {"title": "Red hat"})()}
    expected = stock.from_string(source).render(values)
    assert [mine.from_string(source).render(values) for _ in range(2)] == [expected] * 2
    for unsafe in ("{{ s.upper.__self__ }}", "{{ s.__class__ }}", "{{ s.upper.__call__ }}"):
        with pytest.raises(SecurityError):
            mine.from_string(unsafe).render(values)


def test_template_name_for_roles():
    assert template_name_for("framing", "blue") == "framing.j2"
    assert template_name_for("synthesis", "blue") == "synthesis.j2"
    assert template_name_for("hat", "blue") == "blue.j2"


def test_a_dry_run_board_is_a_realistic_placeholder_analysis():
    program = load_programs()["choose"]
    previews = dict(
        (s.id, p) for s, p in _engine().preview(RunRequest(problem="p", program=program))
    )
    board = previews["7-blue"].user
    assert "(their findings appear here)" not in board
    for category in (
        "Alternative:",
        "Factor:",
        "Fact (",
        "Gap:",
        "Benefit (",
        "Risk (",
        "Dot vote:",
    ):
        assert category in board, category
    assert "(example)" in board


def _alone(library: PromptLibrary, name: str, variables: dict) -> tuple[str, str]:
    return (
        library.render_text(name, {**variables, "part": "system"}),
        library.render_text(name, {**variables, "part": "user"}),
    )


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.slug)
def test_both_messages_rendered_at_once_are_those_rendered_one_at_a_time(program, monkeypatch):
    checked: list[str] = []
    at_once = PromptLibrary.render_prompt

    def compare(self, name, variables):
        prompt = at_once(self, name, variables)
        assert (prompt.system, prompt.user) == _alone(self, name, variables)
        checked.append(name)
        return prompt

    monkeypatch.setattr(PromptLibrary, "render_prompt", compare)
    _engine().preview(RunRequest(problem="Should we hire? <<sixhats 00>>", program=program))
    assert len(checked) == len(program.steps)


def test_an_older_base_template_that_renders_one_part_still_gives_both(tmp_path):
    (tmp_path / "_base.j2").write_text(
        '{% if part == "system" %}{% block system %}{% endblock %}'
        "{% else %}{% block user %}{% endblock %}{% endif %}"
    )
    program = PROGRAMS[0]
    [(_, prompt), *_] = _engine(tmp_path).preview(RunRequest(problem="Hire?", program=program))
    assert "Hire?" in prompt.user and "Hire?" not in prompt.system
    assert "JSON" in prompt.system


@pytest.mark.parametrize(
    "command",
    [
        ["analyze", "Four-day week?", "--dry-run"],
        ["batch", "NOTES", "--out", "REPORTS"],
        ["minutes", "NOTES", "--offline"],
        ["prompts"],
    ],
)
def test_a_missing_prompts_folder_is_named_before_anything_runs(cli, tmp_path, command):
    notes, reports = tmp_path / "notes.md", tmp_path / "reports"
    notes.write_text("Notes: we talked.")
    args = [{"NOTES": str(notes), "REPORTS": str(reports)}.get(a, a) for a in command]
    result = cli(*args, "--prompts-dir", str(tmp_path / "nowhere"))
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"error: the prompts folder {tmp_path / 'nowhere'} does not exist "
        "(pass a folder of .j2 templates to --prompts-dir, or leave it out)"
    ]
    assert not reports.exists()
