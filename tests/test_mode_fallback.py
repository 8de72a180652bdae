"""The output-mode ladder under a real fan-out: a server that refuses `json_schema` costs one
probe, never a file (issue: requests already waiting in json_schema mode were failed once
another request had confirmed json_object)."""

from __future__ import annotations

import json

import pytest

from sixhats_ai.run.structured import ModeState, OutputMode

FILES = 20


def _proposals(folder):
    folder.mkdir()
    for n in range(FILES):
        (folder / f"p{n:02}.md").write_text(f"# Proposal {n}\n\nShould we adopt plan {n}?\n")
    return folder


@pytest.mark.loopback
@pytest.mark.parametrize("status", [400, 500])
def test_a_server_refusing_json_schema_fails_no_file_once_again_or_forced(
    cli, served, tmp_path, status
):
    inputs, out = _proposals(tmp_path / "in"), tmp_path / "out"
    args = ["batch", str(inputs), "--out", str(out), "--program", "choose", "--concurrency", "8"]
    for extra in ([], [], ["--force"]):
        served.reset(reject_json_schema=status)
        result = cli(*args, *extra)
        assert result.code == 0, result.err
        index = json.loads((out / "index.json").read_text())
        statuses = [row["status"] for row in index["rows"]]
        assert len(statuses) == FILES
        assert statuses == ["ok"] * FILES, result.err


def test_a_rejection_of_a_mode_already_abandoned_retries_in_the_current_mode():
    modes = ModeState()
    assert modes.downgrade(OutputMode.JSON_SCHEMA)
    modes.confirm(OutputMode.JSON_OBJECT)
    assert modes.downgrade(OutputMode.JSON_SCHEMA)  # a late rejection: retry as json_object
    assert modes.mode is OutputMode.JSON_OBJECT
    assert not modes.downgrade(OutputMode.JSON_OBJECT)  # the proven mode itself: a failure


async def test_an_answer_from_the_store_proves_no_mode():
    from sixhats_ai.backends.base import FormatRejected
    from sixhats_ai.run.report import WhiteOutput
    from tests.fakes import FakeBackend
    from tests.test_backends import MESSAGES, DictCache, _caller

    def refuse_json_schema(request):
        if (request.response_format or {}).get("type") == "json_schema":
            return FormatRejected("response_format json_schema is not supported")
        return None

    cache, backend = DictCache(), FakeBackend()
    backend.answer_when(refuse_json_schema)
    await _caller(backend, cache).call("m", MESSAGES, WhiteOutput)  # kept as json_object
    again = _caller(backend, cache)
    answer = await again.call("m", MESSAGES, WhiteOutput)
    assert answer.usage.cached_requests == 1
    assert again.modes.mode is OutputMode.JSON_OBJECT and not again.modes.confirmed


async def test_a_backend_answering_in_rounds_is_not_probed_one_call_at_a_time():
    """A probe to the Batch API would be a round of one call, waited on for hours: a backend
    that collects calls into rounds gets json_schema pinned (the Batch API and vLLM take it)."""
    from sixhats_ai.backends.provider import Provider
    from sixhats_ai.backends.rounds import RoundBackend
    from sixhats_ai.config import Config
    from sixhats_ai.run.options import RunOptions
    from sixhats_ai.session import open_session
    from tests.fakes import FakeBackend

    assert RoundBackend.collects_calls
    provider = Provider(base_url="http://127.0.0.1:9/v1", api_key="", model="m")
    for backend, pinned in ((FakeBackend(collects_calls=True), True), (FakeBackend(), False)):
        async with open_session(provider, RunOptions(), Config(), backend=backend) as session:
            modes = session.caller.modes
            assert modes.confirmed is pinned
            assert modes.mode is OutputMode.JSON_SCHEMA


async def test_requests_queued_behind_the_probe_go_together_once_it_proves_the_mode():
    """Only the probe goes alone: a batch's first files used to follow it one at a time, each
    holding the probe's lock through its own request."""
    import asyncio

    modes = ModeState()
    inside, together = 0, []

    async def request(probe: bool) -> None:
        nonlocal inside
        async with modes.trial():
            inside += 1
            together.append(inside)
            await asyncio.sleep(0.01)
            if probe:
                modes.confirm(modes.mode)
            inside -= 1

    await asyncio.gather(request(True), *(request(False) for _ in range(5)))
    assert together[0] == 1 and max(together) == 5
