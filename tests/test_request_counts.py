"""The request counts a batch prints are what went over the wire, as the server counted them:
refused probes and the SDK's retries included, the store's answers apart."""

from __future__ import annotations

import re

import pytest


@pytest.mark.loopback
def test_the_batch_summary_counts_the_requests_the_server_received(cli, served, tmp_path):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    for n in range(3):
        (inputs / f"p{n}.md").write_text(f"# Proposal {n}\n\nShould we adopt plan {n}?\n")
    args = ["batch", str(inputs), "--out", str(out), "--concurrency", "4", "--no-progress"]
    counted = []
    for extra in ([], ["--force"]):  # the second is answered by the store, after one probe
        served.reset(reject_json_schema=500)  # refused, and retried twice by the SDK
        result = cli(*args, *extra)
        assert result.code == 0, result.err
        sent, cached = map(int, re.search(r"(\d+) requests \((\d+) cached\)", result.err).groups())
        assert sent == served.stats().requests
        counted.append((sent, cached))
    (first_sent, first_cached), (again_sent, again_cached) = counted
    assert first_cached == 0 and again_cached == first_sent - 3  # all but the refused probe
    assert again_sent == 3  # the probe and its two retries
