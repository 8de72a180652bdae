"""Documents too long for the context are condensed (by section) instead of refused."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from sixhats_ai.run.condense import MAX_PASSES, PROPOSAL_QUESTION, ChunkExtract, shares
from sixhats_ai.run.report import Report
from sixhats_ai.text.split import OPENING, sections, split
from sixhats_ai.text.tokens import estimate_tokens
from tests.fakes import BASE_URL, completion, requested_schema, schema_name

CORPUS = Path(__file__).resolve().parent.parent / "bench" / "corpus"
ROOT = BASE_URL.removesuffix("/v1")
SECTION_LINE = re.compile(r"^\[§ (.+)\]$", re.MULTILINE)


def largest_document() -> Path:
    return max((p for p in CORPUS.iterdir() if p.suffix in (".md", ".rst")), key=_size)


def _size(path: Path) -> int:
    return path.stat().st_size


def headings_of(text: str) -> set[str]:
    return {s.ref for s in sections(text)}


def condensing_model(item_chars: int = 60):
    """A model that condenses as asked (items naming the chunk's own sections) and whose
    white hat cites the sections it is shown, as the prompt asks."""

    def answer(body: dict[str, Any]) -> httpx.Response | None:
        name = schema_name(body)
        user = body["messages"][-1]["content"]
        if name == "ChunkExtract":
            listed = user.split("its section headings>>", 1)[1]
            items = [
                {"kind": "fact", "text": f"{ref}: " + "x" * item_chars, "section": ref}
                for ref in SECTION_LINE.findall(listed)
            ]
            return httpx.Response(200, json=completion(json.dumps({"items": items})))
        if name == "WhiteOutput" and (refs := SECTION_LINE.findall(user)):
            facts = [
                {
                    "statement": f"Stated in [§ {ref}]",
                    "status": "checked",
                    "source": "document",
                    "where": f"[§ {ref}]",
                    "quote": f"[§ {ref}]",
                }
                for ref in refs[:3]
            ]
            answer = {"facts": facts, "gaps": [], "views": []}
            return httpx.Response(200, json=completion(json.dumps(answer)))
        return None

    return answer


def llama_cpp_reports(no_network, n_ctx: int) -> None:
    no_network.get(f"{ROOT}/props").respond(json={"default_generation_settings": {"n_ctx": n_ctx}})
    no_network.route(host="llm.test").respond(404)


# Splitting ---------------------------------------------------------------------------------


def test_sections_are_found_in_markdown_and_restructured_text():
    text = (
        "Intro line\n\n# Title\n\nbody\n\n## Costs and *risks*\n\nmore\n\n"
        "Rollout plan\n============\n\nsteps\n\n| a | b |\n|---|---|\n\nNo\n-\n\ntext\n"
    )
    assert [s.ref for s in sections(text)] == ["Title", "Costs and *risks", "Rollout plan"]
    assert text[: sections(text)[0].end].startswith("Intro line")  # the preamble is kept
    assert [s.ref for s in sections("no headings\n\nat all")] == [OPENING]


def test_chunks_fit_keep_every_word_and_name_real_sections():
    text = largest_document().read_text(encoding="utf-8")
    chunks = split(text, 1000)
    assert len(chunks) > 5
    assert all(estimate_tokens(c.text) <= 1000 for c in chunks)
    bodies = "\n".join(text[s.start : s.end] for s in sections(text))  # all but the headings
    words = re.findall(r"\w+", bodies)
    assert re.findall(r"\w+", SECTION_LINE.sub("", "\n".join(c.text for c in chunks))) == words
    assert all(ref in headings_of(text) for c in chunks for ref in c.refs)


def test_a_document_without_headings_or_breaks_is_still_cut_to_size():
    chunks = split("word " * 20_000, 500)
    assert all(estimate_tokens(c.text) <= 500 for c in chunks)
    assert sum(c.text.count("word") for c in chunks) == 20_000


def test_small_documents_stay_whole_and_large_ones_share_the_rest():
    assert shares([100, 5000, 200], 1000) == [None, 700, None]
    assert shares([100, 200], 1000) == [None, None]


def test_a_section_cited_in_another_case_or_spacing_is_the_heading_as_written():
    data = {"items": [{"kind": "risk", "text": "t", "section": "[§ costs  and Risks]"}]}
    extract = ChunkExtract.model_validate(data, context={"sections": ["Costs and risks"]})
    assert extract.items[0].section == "Costs and risks"


def test_an_item_citing_a_section_not_in_the_chunk_is_sent_back():
    data = {"items": [{"kind": "risk", "text": "t", "section": "Invented"}]}
    with pytest.raises(ValidationError, match="unknown section 'Invented'"):
        ChunkExtract.model_validate(data, context={"sections": ["Costs"]})


# Through the CLI ---------------------------------------------------------------------------


def test_a_90kb_document_in_an_8k_context_is_condensed_and_its_report_cites_its_sections(
    cli, fake_llm, no_network, tmp_path
):
    doc = largest_document()
    assert doc.stat().st_size > 60_000
    llama_cpp_reports(no_network, 8192)
    fake_llm.fail_when(condensing_model())
    result = cli(
        "analyze", "Should we adopt it?", "--context", str(doc), "--program", "initial-ideas",
        "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = Report.model_validate_json(result.out)
    [condensed] = report.metadata.condensed
    assert condensed.name == doc.name and condensed.chunks >= 3 and condensed.passes == 1
    assert f"note: {doc.name} condensed from about" in result.err
    assert all(
        sum(estimate_tokens(m["content"]) for m in body["messages"]) < 8192
        for body in fake_llm.requests
    )
    hats = [b for b in fake_llm.requests if schema_name(b) != "ChunkExtract"]
    assert all("condensed first" in b["messages"][0]["content"] for b in hats)
    cited = re.findall(r"\[§ ([^\]]+)\]", report.model_dump_json())
    text = doc.read_text(encoding="utf-8")
    assert cited and set(cited) <= headings_of(text)
    assert all(re.search(rf"^ *{re.escape(ref)} *$", text, re.MULTILINE) for ref in cited)


@pytest.mark.parametrize("server", ["llama.cpp", "vLLM", "Ollama", "LM Studio"])
def test_a_batch_of_long_documents_is_condensed_not_refused_on_each_kind_of_server(
    cli, fake_llm, no_network, tmp_path, server
):
    model = "fake-model"
    if server == "llama.cpp":
        no_network.get(f"{ROOT}/props").respond(
            json={"default_generation_settings": {"n_ctx": 8192}}
        )
    elif server == "vLLM":
        no_network.get(f"{BASE_URL}/models").respond(
            json={"data": [{"id": model, "max_model_len": 8192}]}
        )
    elif server == "Ollama":
        info = {"general.architecture": "qwen2", "qwen2.context_length": 8192}
        no_network.post(f"{ROOT}/api/show").respond(
            json={"parameters": "num_ctx 8192", "model_info": info}
        )
    else:
        no_network.get(f"{ROOT}/api/v0/models").respond(
            json={"data": [{"id": model, "max_context_length": 8192}]}
        )
    no_network.route(host="llm.test").respond(404)
    fake_llm.fail_when(condensing_model())
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    long_doc = CORPUS / "httpx-CHANGELOG.md"
    (src / long_doc.name).write_text(long_doc.read_text(encoding="utf-8"), encoding="utf-8")
    (src / "short.md").write_text("# Short\n\nA small proposal: buy one more laptop.\n")
    result = cli(
        "batch", str(src), "--out", str(out), "--program", "quick-feedback", "--format", "html"
    )
    assert result.code == 0, result.err
    rows = {Path(r["input"]).name: r for r in json.loads((out / "index.json").read_text())["rows"]}
    assert {n: (r["status"], r["condensed"]) for n, r in rows.items()} == {
        long_doc.name: ("ok", True),
        "short.md": ("ok", False),
    }
    assert "ok, condensed" in (out / "index.md").read_text()
    assert "**Condensed:**" in (out / "httpx-CHANGELOG.md").read_text()
    assert "**Condensed:**" not in (out / "short.md").read_text()
    page = (out / "httpx-CHANGELOG.html").read_text()
    assert "Condensed: httpx-CHANGELOG.md was too long" in page

    fake_llm.requests.clear()
    calls = len(no_network.calls)
    again = cli(
        "batch", str(src), "--out", str(out), "--program", "quick-feedback", "--force",
        "--format", "html",
    )  # fmt: skip
    assert again.code == 0, again.err
    assert fake_llm.requests == []  # condensing and hats answered by the store
    assert len(no_network.calls) == calls  # and the context window too


def test_ollama_serving_a_small_context_gets_a_fitted_input_and_the_setting_to_raise_it(
    cli, fake_llm, no_network, tmp_path
):
    info = {"general.architecture": "llama", "llama.context_length": 32768}
    no_network.post(f"{ROOT}/api/show").respond(json={"parameters": "", "model_info": info})
    no_network.get(f"{ROOT}/api/ps").respond(json={"models": []})
    no_network.route(host="llm.test").respond(404)
    fake_llm.fail_when(condensing_model())
    doc = CORPUS / "attrs-init.md"  # about 5,600 tokens: fits 32,768 but not Ollama's 4,096
    result = cli("analyze", "Adopt it?", "--context", str(doc), "--program", "quick-feedback")
    assert result.code == 0, result.err
    assert "OLLAMA_CONTEXT_LENGTH=32768" in result.err
    assert "PARAMETER num_ctx 32768" in result.err
    assert f"{doc.name} condensed" in result.err
    # Ollama's OpenAI endpoint has no `options` field: sixhats does not pretend to set num_ctx.
    assert all("options" not in body for body in fake_llm.requests)
    assert all(
        sum(estimate_tokens(m["content"]) for m in body["messages"]) < 4096
        for body in fake_llm.requests
        if schema_name(body) == "ChunkExtract"
    )


def test_a_document_still_too_long_is_condensed_again_within_the_bound(
    cli, fake_llm, no_network, tmp_path
):
    llama_cpp_reports(no_network, 3000)
    fake_llm.fail_when(condensing_model(item_chars=240))  # verbose notes: one pass is not enough
    doc = largest_document()
    result = cli(
        "analyze", "p", "--context", str(doc), "--program", "quick-feedback", "--format", "json"
    )
    assert result.code == 0, result.err
    [condensed] = Report.model_validate_json(result.out).metadata.condensed
    assert 2 <= condensed.passes <= MAX_PASSES
    assert condensed.condensed_tokens <= 3000 * 0.6
    assert f"{condensed.passes} passes" in result.err


def test_dry_run_shows_the_condensing_requests_and_sends_nothing(cli, no_network, tmp_path):
    doc = largest_document()
    result = cli("analyze", "p", "--context", str(doc), "--context-window", "8192", "--dry-run")
    assert result.code == 0, result.err
    note = re.search(rf"dry run: condense {re.escape(doc.name)}: .* (\d+) chunks", result.err)
    assert note is not None
    assert "(the condensed text appears here" in result.out
    last = result.out.strip().splitlines()[-1]
    assert "context 8192: --context-window" in last
    assert not no_network.calls


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fit", "refuse"], "the input is about"),
        (["--fit", "squeeze"], "unknown --fit 'squeeze'"),
    ],
)
def test_refuse_and_a_bad_policy_exit_2_with_one_line(cli, fake_llm, args, message):
    doc = largest_document()
    result = cli("analyze", "p", "--context", str(doc), "--context-window", "8192", *args)
    assert result.code == 2 and message in result.err.strip().splitlines()[-1]
    assert result.err.count("error:") == 1 and "Traceback" not in result.err
    assert fake_llm.requests == []


def test_several_documents_share_the_room_and_only_the_long_ones_are_condensed(
    cli, fake_llm, no_network
):
    llama_cpp_reports(no_network, 8192)
    fake_llm.fail_when(condensing_model())
    docs = [
        CORPUS / "requests-HISTORY.md",
        CORPUS / "jinja2-switching.rst",
        CORPUS / "jinja2-api.rst",
    ]
    context = [arg for doc in docs for arg in ("--context", str(doc))]
    result = cli("analyze", "p", *context, "--program", "quick-feedback", "--format", "json")
    assert result.code == 0, result.err
    condensed = Report.model_validate_json(result.out).metadata.condensed
    assert [c.name for c in condensed] == ["requests-HISTORY.md", "jinja2-api.rst"]
    hat = next(b for b in fake_llm.requests if schema_name(b) == "Framing")
    user = hat["messages"][1]["content"]
    assert (CORPUS / "jinja2-switching.rst").read_text(encoding="utf-8").strip()[:2000] in user
    assert sum(estimate_tokens(m["content"]) for m in hat["messages"]) < 8192


def test_truncate_cuts_to_the_room_and_marks_the_cut(cli, fake_llm, no_network):
    doc = largest_document()
    result = cli(
        "analyze", "p", "--context", str(doc), "--context-window", "8192", "--fit", "truncate",
        "--program", "quick-feedback",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert f"warning: {doc.name} cut from about" in result.err
    user = fake_llm.requests[0]["messages"][1]["content"]
    assert "[... truncated]" in user and estimate_tokens(user) < 8192


def test_dry_run_uses_the_context_kept_by_an_earlier_run_and_asks_nothing(
    cli, fake_llm, no_network
):
    llama_cpp_reports(no_network, 8192)
    fake_llm.fail_when(condensing_model())
    doc = CORPUS / "attrs-init.md"
    first = cli("analyze", "p", "--context", str(doc), "--program", "quick-feedback")
    assert first.code == 0, first.err
    calls = len(no_network.calls)
    dry = cli("analyze", "p", "--context", str(doc), "--dry-run")
    assert dry.code == 0, dry.err
    assert "context 8192: llama.cpp /props, cached" in dry.out.strip().splitlines()[-1]
    assert len(no_network.calls) == calls


def test_a_document_that_cannot_be_condensed_fails_alone_in_a_batch(
    cli, fake_llm, no_network, tmp_path
):
    llama_cpp_reports(no_network, 8192)

    def cites_nothing_real(body: dict[str, Any]) -> httpx.Response | None:
        if schema_name(body) != "ChunkExtract":
            return None
        items = [{"kind": "claim", "text": "t", "section": "Nowhere"}]
        return httpx.Response(200, json=completion(json.dumps({"items": items})))

    fake_llm.fail_when(cites_nothing_real)
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    (src / "long.md").write_text((CORPUS / "attrs-init.md").read_text(encoding="utf-8"))
    (src / "short.md").write_text("# Short\n\nBuy one more laptop.\n")
    result = cli("batch", str(src), "--out", str(out), "--program", "quick-feedback")
    assert result.code == 1
    rows = {Path(r["input"]).name: r for r in json.loads((out / "index.json").read_text())["rows"]}
    assert rows["short.md"]["status"] == "ok"
    assert rows["long.md"]["status"] == "failed" and "unknown section" in rows["long.md"]["error"]


def test_condensing_puts_the_chunks_headings_in_the_schema_as_an_enum(cli, fake_llm, no_network):
    llama_cpp_reports(no_network, 8192)
    fake_llm.fail_when(condensing_model())
    args = ["analyze", "Should we adopt it?", "--context", str(largest_document())]
    result = cli(*args, "--program", "initial-ideas", "--format", "json")
    assert result.code == 0, result.err
    asked = [b for b in fake_llm.requests if schema_name(b) == "ChunkExtract"]
    assert len(asked) >= 3
    for body in asked:
        schema = requested_schema(body)
        section = schema["$defs"]["Extract"]["properties"]["section"]
        listed = body["messages"][-1]["content"].split("its section headings>>", 1)[1]
        assert section["enum"] == SECTION_LINE.findall(listed)


def test_analyze_condenses_a_long_problem_file_as_batch_condenses_it(
    cli, fake_llm, no_network, tmp_path
):
    doc = largest_document()
    llama_cpp_reports(no_network, 8192)
    fake_llm.fail_when(condensing_model())
    args = ["analyze", "-f", str(doc), "--program", "initial-ideas", "--format", "json"]
    result = cli(*args)
    assert result.code == 0, result.err
    assert "the problem is about" in result.err and "it is condensed as a document" in result.err
    report = Report.model_validate_json(result.out)
    [condensed] = report.metadata.condensed
    assert condensed.chunks >= 3 and condensed.passes == 1
    assert report.problem == PROPOSAL_QUESTION
    out = tmp_path / "out"
    batch = cli("batch", str(doc), "--out", str(out), "--program", "initial-ideas")
    assert batch.code == 0, batch.err
    as_batch = Report.model_validate_json((out / f"{doc.stem}.json").read_text())
    assert as_batch.problem == report.problem
    assert as_batch.metadata.condensed[0].chunks == condensed.chunks


def test_the_closing_line_counts_the_condensing_as_the_report_does(cli, fake_llm, no_network):
    """`done in ...` on stderr gives what the run cost: its condensing requests too, as the
    report's footer and the store count them (it gave the hats' alone, so a long document's
    cost went missing from the line a user reads)."""
    llama_cpp_reports(no_network, 8192)
    fake_llm.fail_when(condensing_model())
    args = ["analyze", "-f", str(largest_document()), "--program", "initial-ideas"]
    result = cli(*args, "--model", "gpt-4o-mini", "--format", "json")
    assert result.code == 0, result.err
    usage = Report.model_validate_json(result.out).metadata.usage
    assert usage.requests == len(fake_llm.requests) > 8
    closing = re.search(
        r"done in [\d.]+ s: (\d+) requests .*, (\d+) tokens, \$([\d.]+)", result.err
    )
    assert closing, result.err
    assert int(closing[1]) == usage.requests and int(closing[2]) == usage.total_tokens
    assert usage.cost_usd > 0  # to the four places printed:
    assert float(closing[3]) == pytest.approx(usage.cost_usd, abs=5.1e-5)
