"""The Python API: `from sixhats_ai import analyze` returns the Report model."""

import pytest

from sixhats_ai.backends.provider import Provider
from sixhats_ai.config import Config, PriceEntry
from sixhats_ai.errors import UsageError
from sixhats_ai.run.report import Report
from tests.fakes import API_KEY, BASE_URL


def _provider(model: str = "fake-model") -> Provider:
    return Provider(base_url=BASE_URL, api_key=API_KEY, model=model)


def test_analyze_returns_a_report(fake_llm):
    from sixhats_ai import analyze

    report = analyze("Hire two people?", program="quick-feedback", provider=_provider())
    assert isinstance(report, Report)
    assert [s.id for s in report.steps] == ["1-blue", "2-black", "3-green", "4-blue"]


async def test_async_twin_and_user_price_table(fake_llm):
    from sixhats_ai import analyze_async

    config = Config(prices={"house-model": PriceEntry(input=1.0, output=2.0)})
    report = await analyze_async(
        "Hire two people?",
        program="initial-ideas",
        provider=_provider("house-model"),
        config=config,
    )
    usage = report.metadata.usage
    assert usage.cost_usd == pytest.approx((400 * 1.0 + 200 * 2.0) / 1e6)


def test_empty_problem_is_refused(fake_llm):
    from sixhats_ai import analyze

    with pytest.raises(UsageError, match="the problem is empty"):
        analyze(" \u200b ", provider=_provider())
    assert fake_llm.requests == []


def test_a_preview_prices_every_request_and_sends_none():
    from sixhats_ai.method.programs import find_program
    from sixhats_ai.run.options import RunOptions
    from sixhats_ai.session import new_session
    from tests.fakes import FakeBackend

    config = Config(prices={"house-model": PriceEntry(input=1.0, output=2.0)})
    backend = FakeBackend()
    options = RunOptions(max_tokens=100)
    session = new_session(_provider("house-model"), options, config, backend=backend)
    request = session.run_request("Hire two people?", find_program("quick-feedback"), [])
    previews = session.preview(request)
    assert [p.step.id for p in previews] == ["1-blue", "2-black", "3-green", "4-blue"]
    first = previews[0]
    assert first.model == "house-model" and first.tokens > 0
    assert first.cost_usd == pytest.approx((first.tokens * 1.0 + 100 * 2.0) / 1e6)
    assert first.cost_usd == session.price_of(first.step, first.tokens)
    assert backend.requests == []


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"concurrency": 0}, "concurrency must be at least 1"),
        ({"max_retries": -1}, "max_retries cannot be negative"),
        ({"rpm": 0}, "rpm must be more than 0 (got 0)"),
        ({"rpm": float("nan")}, "rpm must be more than 0 (got nan)"),  # else no limit at all
    ],
)
def test_the_library_words_bad_options_in_its_own_terms(given, message):
    from sixhats_ai.run.options import RunOptions

    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        RunOptions(**given)


def test_the_cli_names_the_flag(cli):
    result = cli("analyze", "Should we?", "--retries", "-1", "--dry-run")
    assert result.code == 2 and "--retries cannot be negative" in result.err


def test_each_flag_sets_its_option_and_an_absent_one_keeps_the_default():
    from sixhats_ai.cli.options import run_options

    options = run_options(
        {"retries": 0, "skip_optional": True, "concurrency": 3, "max_tokens": None, "x": 1}
    )
    assert (options.max_retries, options.include_optional, options.concurrency) == (0, False, 3)
    assert options.max_tokens is None and options.max_reasks == 2 and options.flow == "sequential"


def test_every_command_defaults_to_the_library_s_options():
    """A default is declared once, on RunOptions; no command writes its own (it did: 8 in
    `analyze` and 4 in the library for --concurrency)."""
    import dataclasses
    import inspect

    from sixhats_ai.cli.analyze import analyze_command
    from sixhats_ai.cli.batch import batch_command
    from sixhats_ai.cli.brief import brief
    from sixhats_ai.cli.minutes import minutes
    from sixhats_ai.cli.runs import rerun
    from sixhats_ai.run.options import BATCH_CONCURRENCY, RunOptions

    fields = {f.name: f.default for f in dataclasses.fields(RunOptions)}
    flag_field = {"retries": "max_retries"}
    checked = 0
    for command in (analyze_command, batch_command, brief, minutes, rerun):
        for name, param in inspect.signature(command).parameters.items():
            field = flag_field.get(name, name)
            if field not in fields or param.default in (None, False):
                continue
            in_batch = (command, field) == (batch_command, "concurrency")
            wanted = BATCH_CONCURRENCY if in_batch else None
            assert param.default == (wanted or fields[field]), f"{command.__name__} --{name}"
            checked += 1
    assert checked >= 20


def test_an_error_names_an_option_as_its_caller_does(cli, fake_llm):
    """The library names the field; the command line its flag; another shell (the MCP
    server) its own argument, through `option_names`."""
    from sixhats_ai.errors import option_names
    from sixhats_ai.run.options import RunOptions

    with pytest.raises(UsageError) as raised:
        RunOptions(max_tokens=0)
    assert str(raised.value) == "max_tokens must be more than 0 (got 0)"
    with option_names(lambda field: f"the {field!r} argument"):
        assert raised.value.one_line() == "the 'max_tokens' argument must be more than 0 (got 0)"
    assert raised.value.one_line() == "max_tokens must be more than 0 (got 0)"
    result = cli("analyze", "Should we?", "--max-tokens", "0", "--dry-run")
    assert result.code == 2 and "error: --max-tokens must be more than 0 (got 0)" in result.err
    result = cli("analyze", "Should we?", "--fit", "squeeze", "--dry-run")
    assert "error: unknown --fit 'squeeze' (use condense, truncate or refuse)" in result.err
