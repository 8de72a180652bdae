"""The stand-in reports its context as llama.cpp does, and a long document is condensed to fit
it over real loopback HTTP (marker `loopback`): the CLI, the SDK and the stand-in, no mocks."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from sixhats_ai.run.report import Report

CORPUS = Path(__file__).resolve().parent.parent / "bench" / "corpus"
pytestmark = pytest.mark.loopback


def test_props_reports_n_ctx_and_larger_prompts_are_refused(served):
    root = served.url.removesuffix("/v1")
    assert httpx.get(f"{root}/props").status_code == 404  # until a context is set
    served.reset(n_ctx=2048, record=True)
    props = httpx.get(f"{root}/props").json()
    assert props["default_generation_settings"]["n_ctx"] == 2048
    body = {
        "model": "standin",
        "messages": [{"role": "user", "content": "word " * 4000}],
        "response_format": {"type": "json_object", "schema": {"type": "object"}},
    }
    refused = httpx.post(f"{served.url}/chat/completions", json=body)
    assert refused.status_code == 400 and "context size" in refused.text


def test_a_long_document_is_condensed_to_the_context_the_server_reports(cli, served):
    served.reset(n_ctx=8192, record=True)
    doc = CORPUS / "jinja2-templates.rst"
    result = cli("analyze", "Adopt it?", "--context", str(doc), "--format", "json")
    assert result.code == 0, result.err
    [condensed] = Report.model_validate_json(result.out).metadata.condensed
    assert condensed.name == doc.name and condensed.chunks >= 3
    schemas = [e["schema"] for e in served.stats().exchanges]
    assert schemas.count("ChunkExtract") == condensed.chunks
    assert json.loads(result.out)["metadata"]["degraded"] is False
