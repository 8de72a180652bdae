"""`sixhats mcp` driven in memory through the SDK's own client: the tools, the model choice
(no provider: the client's model by sampling), progress, cancellation, the resources and
prompts, and bad input as a one-line tool error that the server survives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import respx
from mcp import Client
from mcp_types import CallToolResult, ListRootsResult, Root

from sixhats_ai.mcp_server.library import CANCELLED
from sixhats_ai.mcp_server.model_choice import NO_MODEL
from sixhats_ai.mcp_server.server import build_server
from sixhats_ai.run.report import Report
from sixhats_ai.store.database import RunStore
from testkit.sampling import HOST_MODEL, SamplingStandIn
from testkit.standin import MODEL

PROBLEM = "Should our support team move to a four-day week?"
NOTES = """# Meeting notes: four-day week

## 1-blue
- Decide on the four-day week pilot

## Black hat
- Friday coverage is thin

## 7-blue
- Decision: pilot in one team
"""


@pytest.fixture(autouse=True)
def no_local_server(no_network: respx.MockRouter) -> None:
    """Nothing configured, and none of the usual local servers answers."""
    no_network.get(url__regex=r"http://127\.0\.0\.1:\d+/v1/models").mock(
        side_effect=httpx.ConnectError("nothing listens")
    )


def connect(**callbacks: Any) -> Client:
    """The SDK's client on a fresh server, over the initialize handshake as hosts speak it."""
    return Client(build_server(), mode="legacy", **callbacks)


async def quick_feedback(client: Client) -> CallToolResult:
    """`analyze` of the problem with the shortest program (4 steps)."""
    return await client.call_tool("analyze", {"problem": PROBLEM, "program": "quick-feedback"})


def roots_at(*folders: Path) -> Any:
    async def list_roots(context: Any) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=f.resolve().as_uri()) for f in folders])

    return list_roots


def error_line(result: CallToolResult) -> str:
    assert result.is_error
    [block] = result.content
    text = block.text  # type: ignore[union-attr]
    assert "\n" not in text and "Traceback" not in text
    return str(text)


async def test_the_tools_are_listed_with_typed_input_schemas():
    async with connect() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"analyze", "brief", "minutes", "history", "show", "programs", "hats"}
    analyze = tools["analyze"].input_schema
    assert analyze["required"] == ["problem"]
    assert set(analyze["properties"]) == {"problem", "program", "documents", "flow", "participants"}
    assert analyze["properties"]["flow"]["enum"] == ["sequential", "parallel"]
    document = analyze["properties"]["documents"]["items"]["anyOf"]
    assert {frozenset(d["$ref"].rsplit("/", 1)[-1] for d in document)} == {
        frozenset({"PathInput", "TextInput"})
    }
    assert tools["brief"].input_schema["properties"]["offline"]["type"] == "boolean"


async def test_brief_offline_returns_the_brief_as_json_and_markdown():
    async with connect() as client:
        result = await client.call_tool(
            "brief",
            {
                "topic": "Replace our on-call rota?",
                "participants": 6,
                "where": "Room 4",
                "offline": True,
            },
        )
    assert not result.is_error
    brief = result.structured_content
    assert brief is not None and brief["kind"] == "sixhats.brief"
    assert brief["topic"] == "Replace our on-call rota?" and "Room 4" in json.dumps(brief)
    assert brief["agenda"][0]["step_id"] == "1-blue"
    assert result.content[0].text.startswith("# Meeting brief: Replace our on-call rota?")  # type: ignore[union-attr]


async def test_analyze_with_no_provider_runs_on_the_clients_model_by_sampling():
    sampler = SamplingStandIn()
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    async with connect(sampling_callback=sampler) as client:
        result = await client.call_tool(
            "analyze",
            {"problem": PROBLEM, "program": "quick-feedback"},
            progress_callback=on_progress,
        )
        assert not result.is_error, result.content
        run_id = result.content[1].text.split()[3].rstrip(":")  # type: ignore[union-attr]
        shown = await client.call_tool("show", {"run_id": run_id})
        listed = await client.call_tool("history", {})

    report = Report.model_validate(result.structured_content)
    assert report.metadata.models == [HOST_MODEL]  # the model the client said it used
    assert report.metadata.base_url == "mcp-sampling:mcp"
    assert [s.id for s in report.steps] == ["1-blue", "2-black", "3-green", "4-blue"]
    assert not report.metadata.degraded
    assert result.content[0].text.startswith("# Six Thinking Hats: Quick Feedback")  # type: ignore[union-attr]
    # The schema travels in the first user message: sampling has no response_format.
    assert sampler.requests == 4
    assert all("It must match this JSON schema" in m for m in sampler.messages)
    # A notification as each step starts and as it ends, in order, out of the total.
    assert [(done, total) for done, total, _ in progress] == [(n, 8.0) for n in range(1, 9)]
    assert [m for _, _, m in progress] == [
        f"{step} {event}"
        for step in ("1-blue (Blue)", "2-black (Black)", "3-green (Green)", "4-blue (Blue)")
        for event in ("started", "done")
    ]
    assert shown.structured_content == result.structured_content
    assert listed.structured_content is not None
    assert [r["id"] for r in listed.structured_content["items"]] == [run_id]


async def test_without_provider_or_sampling_the_call_says_how_to_configure_a_model():
    async with connect() as client:
        result = await client.call_tool("analyze", {"problem": PROBLEM})
        assert error_line(result) == f"Error executing tool analyze: {NO_MODEL}"
        assert not (await client.call_tool("hats", {})).is_error  # the server lives on


async def test_bad_input_is_a_one_line_tool_error_and_the_server_lives_on(tmp_path, monkeypatch):
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    (outside / "secret.md").write_text("not for the server", encoding="utf-8")
    (allowed / "link.md").symlink_to(outside / "secret.md")
    sampler = SamplingStandIn()
    async with connect(sampling_callback=sampler, list_roots_callback=roots_at(allowed)) as client:
        unknown = await client.call_tool("analyze", {"problem": PROBLEM, "program": "nope"})
        missing = await client.call_tool(
            "analyze", {"problem": PROBLEM, "documents": [{"path": "gone.md"}]}
        )
        escape = await client.call_tool(
            "analyze", {"problem": PROBLEM, "documents": [{"path": "../outside/secret.md"}]}
        )
        absolute = await client.call_tool(
            "minutes", {"notes": {"path": str(outside / "secret.md")}, "offline": True}
        )
        linked = await client.call_tool("minutes", {"notes": {"path": "link.md"}, "offline": True})
        still = await client.call_tool("programs", {})
    assert "unknown program 'nope' (use one of: choose," in error_line(unknown)
    assert f"document {allowed / 'gone.md'} does not exist (check the path)" in error_line(missing)
    assert "../outside/secret.md is outside the folders this server may read" in error_line(escape)
    assert f"{outside / 'secret.md'} is outside the folders" in error_line(absolute)
    assert "link.md is outside the folders" in error_line(linked)  # a link leading out
    assert sampler.requests == 0  # refused before any model was asked
    assert not still.is_error


async def test_a_program_file_is_read_under_the_roots_only(tmp_path):
    """A program may be a path to its file; like a document's, it is read only under the
    client's roots (a file anywhere on the server's machine was read, and its fields told)."""
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    mine = 'format = 1\nslug = "mine"\nname = "Mine"\n[[steps]]\nhat = "blue"\n'
    (outside / "mine.toml").write_text(mine + '[[steps]]\nhat = "red"\n[[steps]]\nhat = "blue"\n')
    (allowed / "mine.toml").write_text((outside / "mine.toml").read_text())
    async with connect(list_roots_callback=roots_at(allowed)) as client:
        calls = [
            ("analyze", {"problem": PROBLEM, "program": str(outside / "mine.toml")}),
            ("brief", {"topic": PROBLEM, "program": "../outside/mine.toml", "offline": True}),
            ("minutes", {"notes": {"text": NOTES}, "program": str(outside / "mine.toml"),
                         "offline": True}),
        ]  # fmt: skip
        refused = [await client.call_tool(name, args) for name, args in calls]
        inside = await client.call_tool(
            "brief", {"topic": PROBLEM, "program": "mine.toml", "offline": True}
        )
    for result in refused:
        assert "mine.toml is outside the folders this server may read" in error_line(result)
    assert not inside.is_error
    assert "Mine (Blue, Red, Blue)" in inside.content[0].text  # type: ignore[union-attr]


async def test_without_roots_paths_are_read_under_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "notes.md").write_text(NOTES, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    async with connect() as client:
        inside = await client.call_tool("minutes", {"notes": {"path": "notes.md"}, "offline": True})
        above = await client.call_tool(
            "minutes", {"notes": {"path": str(tmp_path.parent / "x.md")}, "offline": True}
        )
    assert not inside.is_error
    minutes = inside.structured_content
    assert minutes is not None and minutes["topic"] == "four-day week"
    assert "Friday coverage is thin" in inside.content[0].text  # type: ignore[union-attr]
    assert "is outside the folders this server may read" in error_line(above)


async def test_a_model_failing_mid_run_is_a_tool_error_and_its_steps_are_kept():
    sampler = SamplingStandIn(fail_from=3)
    async with connect(sampling_callback=sampler) as client:
        failed = await quick_feedback(client)
        after = await client.call_tool("hats", {})
    line = error_line(failed)
    assert line.startswith("Error executing tool analyze: the synthesis failed: the client's model")
    assert "the user declined the sampling request" in line
    with RunStore() as store:
        [run] = store.history()
    assert f"kept as run {run.id} (sixhats rerun {run.id})" in line
    assert [(s.id, s.status) for s in run.steps] == [
        ("1-blue", "ok"),
        ("2-black", "ok"),
        ("3-green", "failed"),
    ]
    assert not after.is_error


async def test_cancelling_the_call_stops_the_run_and_keeps_the_finished_steps():
    blocked = anyio.Event()
    sampler = SamplingStandIn()

    async def answer_two_then_hang(context: Any, params: Any) -> Any:
        if sampler.requests == 2:
            blocked.set()
            await anyio.sleep_forever()
        return await sampler(context, params)

    client = connect(sampling_callback=answer_two_then_hang)
    async with client, anyio.create_task_group() as tasks:
        tasks.start_soon(client.call_tool, "analyze", {"problem": PROBLEM, "program": "solve"})
        await blocked.wait()
        tasks.cancel_scope.cancel()
    # The client is closed, so the server has finished with the call.
    with RunStore() as store:
        [run] = store.history()
    assert run.status == "failed" and run.error == CANCELLED
    assert [s.id for s in run.steps] == ["1-blue", "2-white"]
    assert all(s.model == HOST_MODEL for s in run.steps)


async def test_a_stored_run_reads_as_markdown_and_json_and_programs_as_json():
    async with connect(sampling_callback=SamplingStandIn()) as client:
        made = await quick_feedback(client)
        run_id = made.content[1].text.split()[3].rstrip(":")  # type: ignore[union-attr]
        templates = (await client.list_resource_templates()).resource_templates
        run = await client.read_resource(f"sixhats://runs/{run_id}")
        program = await client.read_resource("sixhats://programs/choose")
        missing = await client.call_tool("show", {"run_id": "ffffffff"})
    assert {t.uri_template for t in templates} == {
        "sixhats://runs/{run_id}",
        "sixhats://programs/{slug}",
    }
    markdown, as_json = run.contents
    assert markdown.mime_type == "text/markdown"
    assert markdown.text.startswith("# Six Thinking Hats: Quick Feedback")  # type: ignore[union-attr]
    assert as_json.mime_type == "application/json"
    assert json.loads(as_json.text) == made.structured_content  # type: ignore[union-attr]
    slug = json.loads(program.contents[0].text)  # type: ignore[union-attr]
    assert slug["slug"] == "choose" and slug["plan"][0]["id"] == "1-blue"
    assert "no run with id 'ffffffff'" in error_line(missing)


async def test_each_program_has_a_prompt_walking_the_hosts_model_through_its_hats():
    async with connect() as client:
        names = [p.name for p in (await client.list_prompts()).prompts]
        prompt = await client.get_prompt("sixhats-quick-feedback", {"problem": PROBLEM})
    assert "sixhats-choose" in names and "sixhats-quick-feedback" in names
    text = prompt.messages[0].content.text  # type: ignore[union-attr]
    hats = [
        line.split(" ", 2)[1] for line in text.splitlines() if line[:2] in ("1.", "2.", "3.", "4.")
    ]
    assert hats == ["Blue", "Black", "Green", "Blue"]
    assert text.endswith(f"<problem>\n{PROBLEM}\n</problem>")


@pytest.mark.parametrize(
    "participants",
    [
        [{"name": "Ann", "role": "support lead"}, {"name": "Bob"}],
        [{"name": "Ann"}, {"name": "ann"}],
    ],
)
async def test_participants_are_checked_like_personas(participants):
    sampler = SamplingStandIn()
    async with connect(sampling_callback=sampler) as client:
        result = await client.call_tool(
            "analyze",
            {"problem": PROBLEM, "program": "quick-feedback", "participants": participants},
        )
    if participants[1]["name"] == "Bob":
        report = Report.model_validate(result.structured_content)
        assert report.roster is not None and report.roster.names == ["Ann", "Bob"]
        assert report.roster.participants[0].role == "support lead"
    else:
        assert "participants: 'ann' is named twice" in error_line(result)


async def test_an_answer_that_does_not_fit_is_asked_again_as_any_models_is():
    sampler = SamplingStandIn(invalid=1)
    async with connect(sampling_callback=sampler) as client:
        result = await quick_feedback(client)
    report = Report.model_validate(result.structured_content)
    assert sampler.requests == 5
    assert report.steps[0].usage.requests == 2 and not report.metadata.degraded


async def test_brief_and_minutes_with_a_model_ask_the_clients_model():
    sampler = SamplingStandIn()
    async with connect(sampling_callback=sampler) as client:
        brief = await client.call_tool("brief", {"topic": "Replace our on-call rota?"})
        asked_for_the_brief = sampler.requests
        minutes = await client.call_tool("minutes", {"notes": {"text": NOTES, "name": "notes.md"}})
        listed = await client.call_tool("history", {})
    assert not brief.is_error and asked_for_the_brief == 1
    assert (
        brief.structured_content is not None and brief.structured_content["kind"] == "sixhats.brief"
    )
    report = Report.model_validate(minutes.structured_content)
    assert report.problem == "four-day week" and report.metadata.models == [HOST_MODEL]
    assert listed.structured_content is not None
    [run] = listed.structured_content["items"]
    assert run["flow"] == "minutes" and run["models"] == [HOST_MODEL]


@pytest.mark.loopback
async def test_a_configured_model_comes_before_the_clients(served):
    sampler = SamplingStandIn()
    async with connect(sampling_callback=sampler) as client:
        result = await quick_feedback(client)
    report = Report.model_validate(result.structured_content)
    assert report.metadata.models == [MODEL] and report.metadata.base_url == served.url
    assert sampler.requests == 0 and served.stats().requests == 4


async def test_a_configured_but_broken_profile_is_its_own_error(monkeypatch):
    monkeypatch.setenv("SIXHATS_PROFILE", "work")  # no such profile in the (empty) config
    sampler = SamplingStandIn()
    async with connect(sampling_callback=sampler) as client:
        result = await client.call_tool("analyze", {"problem": PROBLEM})
    line = error_line(result)
    assert "'work'" in line and "profile" in line
    assert sampler.requests == 0  # not the client's model behind the user's back


async def test_programs_and_hats_describe_the_method():
    async with connect() as client:
        programs = await client.call_tool("programs", {})
        hats = await client.call_tool("hats", {})
    assert programs.structured_content is not None and hats.structured_content is not None
    by_slug = {p["slug"]: p for p in programs.structured_content["items"]}
    assert by_slug["quick-feedback"]["sequence"] == "Blue, Black, Green, Blue"
    assert [h["hat"] for h in hats.structured_content["items"]] == [
        "blue",
        "white",
        "red",
        "black",
        "yellow",
        "green",
    ]


async def test_no_key_reaches_an_error_message(tmp_path, monkeypatch):
    env_key, profile_key = "sk-env-0123456789abcdef", "sk-profile-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", env_key)
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[profiles.work]\napi_key = "{profile_key}"\n', encoding="utf-8")
    async with connect() as client:
        lines = [
            error_line(await client.call_tool("analyze", {"problem": PROBLEM, "program": key}))
            for key in (env_key, profile_key)
        ]
    assert [line.split(":", 1)[1].split("(")[0] for line in lines] == [
        " unknown program '***' "
    ] * 2


async def test_documents_as_paths_and_as_text_reach_the_run_and_the_store(tmp_path):
    (tmp_path / "survey.md").write_text("Most of the team favours Fridays off.", encoding="utf-8")
    sampler = SamplingStandIn()
    documents = [{"path": "survey.md"}, {"text": "Coverage must hold on Fridays.", "name": "sla"}]
    async with connect(sampling_callback=sampler, list_roots_callback=roots_at(tmp_path)) as client:
        result = await client.call_tool(
            "analyze", {"problem": PROBLEM, "program": "quick-feedback", "documents": documents}
        )
    assert not result.is_error, result.content
    assert "Most of the team favours Fridays off." in sampler.messages[0]
    assert "Coverage must hold on Fridays." in sampler.messages[0]
    with RunStore() as store:
        [run] = store.history()
    assert [(d.name, d.path) for d in run.documents] == [
        ("survey.md", str((tmp_path / "survey.md").resolve())),
        ("sla", None),
    ]


async def test_arguments_that_do_not_fit_the_schema_are_told_in_one_line():
    async with connect() as client:
        sideways = await client.call_tool("analyze", {"problem": PROBLEM, "flow": "sideways"})
        nothing = await client.call_tool("analyze", {})
    assert error_line(sideways) == (
        "Error executing tool analyze: flow: Input should be 'sequential' or 'parallel' "
        "(see the tool's input schema)"
    )
    assert error_line(nothing) == (
        "Error executing tool analyze: problem: Field required (see the tool's input schema)"
    )


async def test_an_error_of_the_library_names_the_tools_arguments_not_the_clis_flags():
    async with connect(sampling_callback=SamplingStandIn()) as client:
        failed = await client.call_tool(
            "analyze", {"problem": PROBLEM, "program": "emergent", "flow": "parallel"}
        )
    line = error_line(failed)
    assert "flow parallel cannot run an emergent program" in line
    assert "pick a fixed program with program" in line and "--" not in line


def test_the_library_names_options_as_the_tools_call_them():
    from sixhats_ai.errors import UsageError, option, option_names
    from sixhats_ai.mcp_server.results import tool_argument

    error = UsageError(f"{option('personas')} 9 is too many", hint=f"see {option('max_tokens')}")
    with option_names(tool_argument):
        assert error.one_line() == "participants 9 is too many (see max_tokens)"


async def test_a_store_error_tells_an_mcp_user_the_config_setting_not_keep_false(
    tmp_path, monkeypatch
):
    (tmp_path / "datafile").write_text("")
    monkeypatch.setenv("SIXHATS_DATA_DIR", str(tmp_path / "datafile"))
    async with connect(sampling_callback=SamplingStandIn()) as client:
        line = error_line(await quick_feedback(client))
    assert "cannot create the run store's folder" in line
    assert line.endswith("(set SIXHATS_DATA_DIR to a folder, or keep nothing: log = false "
                         "in config.toml)")  # fmt: skip
