"""`sixhats analyze` end to end through the real SDK, over HTTP mocked by respx."""

import itertools
import json

import httpx
import pytest

from sixhats_ai.method.programs import load_programs
from sixhats_ai.run.report import Report
from tests.fakes import API_KEY, completion, error, schema_name, step_id

PROGRAMS = [p for p in load_programs().values() if not p.emergent]  # fixed sequences


@pytest.mark.parametrize("flow", ["sequential", "parallel"])
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.slug)
def test_every_program_end_to_end_in_both_flows(analyze_json, fake_llm, program, flow):
    problem = "Should we move to a four-day week?"
    report = Report.model_validate(analyze_json(problem, program.slug, flow))
    planned = [p.id for p in program.plan()]
    assert [s.id for s in report.steps] == planned
    assert sorted(fake_llm.steps_requested()) == sorted(planned)
    assert all(s.status == "ok" for s in report.steps)
    assert report.metadata.flow == flow and not report.degraded
    assert report.metadata.usage.requests == len(planned)
    assert report.metadata.usage.prompt_tokens == 100 * len(planned)
    # The synthesis may cite only steps that exist.
    cited = {src for i in report.synthesis.key_insights for src in i.sources}
    assert cited <= set(planned)


def test_sequential_steps_see_the_board_and_parallel_hats_are_blind(cli, fake_llm):
    assert cli("analyze", "p", "--program", "quick-feedback").code == 0
    sequential = {step_id(b): b["messages"][1]["content"] for b in fake_llm.requests}
    assert (
        "Risk (high; likelihood medium; impact high): Coverage gaps on Fridays."
        in (sequential["3-green"])
    )
    fake_llm.requests.clear()
    result = cli("analyze", "p", "--program", "quick-feedback", "--flow", "parallel", "--no-cache")
    assert result.code == 0
    parallel = {step_id(b): b["messages"][1]["content"] for b in fake_llm.requests}
    assert "Coverage gaps on Fridays" not in parallel["3-green"]
    assert "Framing: Decide whether" in parallel["3-green"]
    assert "Coverage gaps on Fridays" in parallel["4-blue"]  # the synthesis sees everything


def test_board_grows_linearly_not_quadratically(cli, fake_llm):
    assert cli("analyze", "p", "--program", "solve").code == 0
    prompts = [b["messages"][1]["content"] for b in fake_llm.requests]
    boards = [p.partition("The board so far")[2].partition("This is step")[0] for p in prompts]
    sizes = [len(board) for board in boards[:-1]]
    steps = [b - a for a, b in itertools.pairwise(sizes)]
    assert min(steps) > 0 and max(steps) < 800  # each step adds its own points, not more


def test_problem_from_file_stdin_and_context_documents(cli, fake_llm, tmp_path, monkeypatch):
    proposal = tmp_path / "proposal.md"
    proposal.write_text("Adopt a four-day week from March.\u200b\x07")
    notes = tmp_path / "notes.txt"
    notes.write_text("Support tickets peak on Mondays.")
    result = cli("analyze", "-f", str(proposal), "--context", str(notes), "--format", "md")
    assert result.code == 0, result.err
    user = fake_llm.requests[0]["messages"][1]["content"]
    assert "Adopt a four-day week from March.\n" in user  # invisible characters stripped
    assert "\u200b" not in user and "\x07" not in user
    assert "Support tickets peak on Mondays." in user and "document notes.txt" in user
    assert result.out.startswith("# Six Thinking Hats: Choosing between alternatives")

    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"From stdin: hire two?")))
    assert cli("analyze", "-", "--program", "quick-feedback").code == 0
    assert "From stdin: hire two?" in fake_llm.requests[-1]["messages"][1]["content"]

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"caf\xe9")))
    result = cli("analyze", "-")
    assert result.code == 2 and "stdin is not valid UTF-8" in result.err

    page = tmp_path / "proposal.html"
    page.write_text("<html><body><h1>Hire two SREs</h1><script>alert(1)</script></body></html>")
    assert cli("analyze", "-f", str(page), "--program", "quick-feedback").code == 0
    user = fake_llm.requests[-1]["messages"][1]["content"]
    assert "Hire two SREs" in user and "<script>" not in user and "alert" not in user


def test_output_file_is_written_and_progress_goes_to_stderr(cli, fake_llm, tmp_path):
    out = tmp_path / "out" / "report.json"
    result = cli("analyze", "p", "--program", "quick-feedback", "-o", str(out))
    assert result.code == 0
    assert result.out == ""
    assert json.loads(out.read_text())["kind"] == "sixhats.report"
    assert "✓ 2-black" in result.err and "tokens" in result.err
    assert [p.name for p in out.parent.iterdir()] == ["report.json"]  # no temp files left


def test_a_failed_hat_degrades_the_report_but_not_the_run(cli, fake_llm):
    fake_llm.fail_when(lambda b: error(400, "bad hat") if step_id(b) == "5-black" else None)
    result = cli("analyze", "p", "--format", "json")
    assert result.code == 0
    report = Report.model_validate_json(result.out)
    assert report.degraded and report.metadata.failed_steps == ["5-black"]
    assert report.step("5-black").status == "failed"
    assert "bad hat" in (report.step("5-black").error or "")
    synthesis_prompt = fake_llm.requests[-1]["messages"][1]["content"]
    assert "These steps failed" in synthesis_prompt and "5-black" in synthesis_prompt
    assert "5-black" not in synthesis_prompt.split("Valid step ids:")[1].split(".")[0]
    assert "DEGRADED" in result.err
    md = cli("analyze", "p", "--format", "md").out
    assert "Degraded report" in md


def test_strict_fails_instead_of_degrading(cli, fake_llm):
    fake_llm.fail_when(lambda b: error(400, "bad hat") if step_id(b) == "5-black" else None)
    result = cli("analyze", "p", "--strict")
    assert result.code == 1 and "bad hat" in result.err


def test_failed_synthesis_still_prints_the_hat_outputs(cli, fake_llm):
    fake_llm.fail_when(lambda b: error(400, "synthesis broke") if step_id(b) == "7-blue" else None)
    result = cli("analyze", "p")
    assert result.code == 1
    assert "the synthesis failed" in result.err and "synthesis broke" in result.err
    assert "Hat outputs (synthesis failed)" in result.out
    assert (
        "Risk (high; likelihood medium; impact high) \\[Four-day week\\]: Coverage gaps"
        in result.out
    )


def test_per_hat_model_from_program_file(cli, fake_llm, tmp_path):
    program = tmp_path / "p.toml"
    program.write_text(
        'format = 1\nslug = "x"\nname = "X"\n[[steps]]\nhat = "blue"\n'
        '[[steps]]\nhat = "black"\nmodel = "big-model"\n[[steps]]\nhat = "blue"\n'
    )
    result = cli("analyze", "p", "--program", str(program), "--format", "json")
    assert result.code == 0, result.err
    models = [b["model"] for b in fake_llm.requests]
    assert models == ["fake-model", "big-model", "fake-model"]
    assert Report.model_validate_json(result.out).metadata.models == ["big-model", "fake-model"]


def test_max_cost_stops_before_exceeding(cli, fake_llm, monkeypatch):
    monkeypatch.setenv("SIXHATS_MODEL", "gpt-4o")
    result = cli("analyze", "p", "--max-cost", "0.000001")
    assert result.code == 1
    assert "stopped before exceeding --max-cost" in result.err
    assert fake_llm.requests == []


def test_usage_and_cost_are_reported(cli, fake_llm, monkeypatch):
    monkeypatch.setenv("SIXHATS_MODEL", "gpt-4o-mini")
    result = cli("analyze", "p", "--program", "quick-feedback", "--format", "json")
    usage = Report.model_validate_json(result.out).metadata.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.requests) == (400, 200, 4)
    assert usage.cost_usd == pytest.approx((400 * 0.15 + 200 * 0.60) / 1e6)


def test_input_larger_than_context_is_refused_or_truncated(cli, fake_llm, tmp_path):
    big = tmp_path / "big.md"
    big.write_text("word " * 20_000)  # about 25k tokens
    result = cli(
        "analyze", "p", "--context", str(big), "--context-window", "8000", "--fit", "refuse"
    )
    assert result.code == 2 and "--truncate" in result.err
    assert fake_llm.requests == []
    result = cli(
        "analyze",
        "p",
        "--context",
        str(big),
        "--context-window",
        "8000",
        "--truncate",
        "--program",
        "quick-feedback",
    )
    assert result.code == 0
    assert "warning: big.md cut" in result.err
    assert len(fake_llm.requests[0]["messages"][1]["content"]) < 8000 * 4


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p.write_bytes(b"\x00\x01binary"), "is binary"),
        (lambda p: p.write_bytes(b"caf\xe9 latin-1"), "is not valid UTF-8"),
        (lambda p: None, "does not exist"),
        (lambda p: p.write_text("  \n"), "the problem is empty"),
    ],
)
def test_bad_problem_files_exit_2_with_one_line(cli, fake_llm, tmp_path, setup, message):
    path = tmp_path / "input.md"
    setup(path)
    result = cli("analyze", "-f", str(path))
    assert result.code == 2 and message in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert fake_llm.requests == []


def test_interrupt_exits_130_and_writes_nothing(cli, fake_llm, tmp_path):
    def interrupt(body):
        if step_id(body) == "4-yellow":
            raise KeyboardInterrupt
        return None

    fake_llm.fail_when(interrupt)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = cli("analyze", "p", "-o", str(out_dir / "r.md"))
    assert result.code == 130
    assert list(out_dir.iterdir()) == []


def test_json_answer_in_prose_is_extracted_in_prompt_mode(cli, fake_llm):
    def prose(body):
        from tests.fakes import sample_answer

        return httpx.Response(200, json=completion(f"Sure! ```json\n{sample_answer(body)}\n```"))

    fake_llm.fail_when(prose)
    result = cli("analyze", "p", "--mode", "prompt", "--program", "quick-feedback")
    assert result.code == 0, result.err
    assert all("response_format" not in b for b in fake_llm.requests)
    assert "It must match this JSON schema" in fake_llm.requests[0]["messages"][1]["content"]
    assert schema_name(fake_llm.requests[0]) == "Framing"


def test_api_key_never_leaks(cli, fake_llm, tmp_path):
    fake_llm.fail_when(lambda b: error(401, f"Incorrect API key provided: {API_KEY}"))
    out = tmp_path / "r.json"
    result = cli("analyze", "p", "-o", str(out))
    assert result.code == 1
    assert API_KEY not in result.err + result.out
    assert "rejected the API key" in result.err and "OPENAI_API_KEY" in result.err


def test_a_template_that_fails_at_run_time_is_refused_before_any_request(cli, fake_llm, tmp_path):
    (tmp_path / "synthesis.j2").write_text(
        '{% extends "_hat.j2" %}{% block method %}{{ 1 / 0 }}{% endblock %}'
    )
    result = cli("analyze", "p", "--prompts-dir", str(tmp_path))
    assert result.code == 2
    assert "synthesis.j2:1" in result.err and "division by zero" in result.err
    assert fake_llm.requests == []


def test_max_cost_refuses_a_remote_model_without_a_price(cli, fake_llm, monkeypatch):
    monkeypatch.setenv("SIXHATS_MODEL", "o3-unlisted")
    result = cli("analyze", "p", "--max-cost", "0.01")
    assert result.code == 2
    assert "--max-cost cannot bound o3-unlisted" in result.err and "[prices." in result.err
    assert fake_llm.requests == []


def test_a_failed_synthesis_says_one_short_line_and_writes_the_file_asked_for(
    cli, fake_llm, tmp_path
):
    def empty_synthesis(body):
        return httpx.Response(200, json=completion("{}")) if step_id(body) == "7-blue" else None

    fake_llm.fail_when(empty_synthesis)
    out = tmp_path / "report.json"
    result = cli("analyze", "p", "--format", "json", "-o", str(out), "--no-progress")

    assert result.code == 1
    said = [line for line in result.err.splitlines() if "synthesis failed" in line]
    assert len(said) == 1 and len(said[0]) < 300 and " more" in said[0], result.err
    assert result.out == ""  # the hats go to the file asked for, in its format
    kept = json.loads(out.read_text())
    assert kept["kind"] == "sixhats.failed_run" and kept["synthesis"] is None
    assert [s["id"] for s in kept["steps"]][:2] == ["1-blue", "2-white"]
    full = kept["error"]  # the whole list, as the store keeps it
    assert full.count(";") > said[0].count(";")
    assert full.split("; ")[-1] not in result.err  # the whole list is not printed, twice or once
    from sixhats_ai.store.database import RunStore

    with RunStore(create=False) as store:
        assert store.get(kept["id"]).error == full


@pytest.mark.parametrize(
    "body",
    [
        {"choices": "abc"},
        {"choices": [{"message": "text"}]},
        {"choices": [{"message": {"content": "x"}}], "usage": 3},
    ],
)
def test_a_server_answer_that_is_no_chat_completion_fails_its_step_in_one_line(cli, fake_llm, body):
    """A JSON object of another shape from the server: it stopped the run with an unexpected
    AttributeError (or TypeError) instead of failing the step as a bad answer does."""
    fake_llm.fail_when(
        lambda b: httpx.Response(200, json=body) if step_id(b) == "5-black" else None
    )
    result = cli("analyze", "p", "--format", "json")
    assert result.code == 0, result.err
    report = Report.model_validate_json(result.out)
    assert report.metadata.failed_steps == ["5-black"]
    assert "not a chat completion" in (report.step("5-black").error or "")
