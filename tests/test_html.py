"""The HTML report: self-contained, escaped, every hat on the board, and real in a browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from sixhats_ai.render.html import render_index_html, render_report_html
from sixhats_ai.run.ranking import BatchIndex, IndexRow
from sixhats_ai.run.report import Report
from tests.fakes import completion, error, hat_sample, requested_schema, schema_name
from tests.test_batch import write_proposals
from tests.test_store import run_id_of

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "build" / "screenshots" / "report.png"
PROBLEM = "Should our team move to a four-day week?"
SCRIPT = "<script>alert('pwned')</script>"


def hostile_black(body):
    """A black hat whose points carry markup, as a hostile document might make it write."""
    if schema_name(body) != "BlackOutput":
        return None
    answer = hat_sample("BlackOutput", requested_schema(body))
    answer["risks"][0]["point"] = f"Coverage {SCRIPT} gaps"
    answer["interesting"] = ['<img src=x onerror="alert(1)">']
    return httpx.Response(200, json=completion(json.dumps(answer)))


def hostile_aside(body):
    """Markup in a folded-away point, so the screenshot shows an ordinary report."""
    if schema_name(body) != "BlackOutput":
        return None
    answer = {**hat_sample("BlackOutput", requested_schema(body)), "interesting": [SCRIPT]}
    return httpx.Response(200, json=completion(json.dumps(answer)))


def html_report(cli, *args: str) -> str:
    result = cli("analyze", PROBLEM, "--program", "choose", "--format", "html", *args)
    assert result.code == 0, result.err
    return result.out


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each hat card."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.cards: dict[str, list[str]] = {}
        self._card: str | None = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if self._card is not None and tag == "article":
            self._depth += 1
        if tag == "article" and attributes.get("data-step"):
            self._card = str(attributes["data-step"])
            self.cards[self._card] = []
            self._depth = 1

    def handle_endtag(self, tag):
        if self._card is not None and tag == "article":
            self._depth -= 1
            if self._depth == 0:
                self._card = None

    def handle_data(self, data):
        if self._card is not None and data.strip():
            self.cards[self._card].append(data.strip())


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


def test_model_output_is_escaped_not_run(cli, fake_llm):
    fake_llm.fail_when(hostile_black)
    html = html_report(cli)
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    assert SCRIPT not in html and "<img" not in html
    scripts = [a for tag, a in parse(html).tags if tag == "script"]
    assert len(scripts) == 1  # the report's own print helper, nothing from the model
    assert "alert" not in html.split("<script>")[1].split("</script>")[0]


def assert_self_contained(html: str) -> None:
    for tag, attrs in parse(html).tags:
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not value or value.startswith("#"), (tag, name, value)
        assert tag not in ("link", "img", "iframe", "object")
    assert "@import" not in html and "url(" not in html and "@font-face" not in html


def test_the_report_is_self_contained(cli, fake_llm):
    assert_self_contained(html_report(cli))


def test_verdict_first_board_in_program_order_and_the_parts_of_a_report(cli, fake_llm):
    html = html_report(cli)
    report = Report.model_validate_json(cli("show", latest_id(cli), "--format", "json").out)
    doc = parse(html)
    steps = [a["data-step"] for tag, a in doc.tags if tag == "article"]
    assert steps == [s.id for s in report.steps if s.role != "synthesis"]
    for step in report.steps[:-1]:
        text = " ".join(doc.cards[step.id])
        assert f"{step.hat.capitalize()} hat" in text  # a text label, not colour alone
    icons = [a["href"] for tag, a in doc.tags if tag == "use"]
    assert {f"#icon-{s.hat}" for s in report.steps} <= set(icons)
    assert html.index("Pilot a staggered four-day week") < html.index('class="board"')
    assert "70%" in html
    order = ['id="recommendation"', 'id="alternatives"', 'id="case"', 'id="appendix"', "<footer"]
    assert [html.index(part) for part in order] == sorted(html.index(part) for part in order)
    assert '<details class="appendix"' in html  # the hats' findings folded, cited by step id
    assert 'class="versus"' not in html  # a choice argues per alternative instead
    body = html.split('id="appendix"')[0]
    for insight in report.synthesis.key_insights:  # the closing's insights, once each
        assert body.count(escape(insight.text, quote=True)) == 1
    assert "<br>" not in html.split('id="appendix"')[0]
    assert html.count("<details") >= 2 and "@media print" in html
    assert "Degraded report" not in html


def test_a_degraded_run_is_flagged(cli, fake_llm):
    fake_llm.fail_when(
        lambda body: (
            httpx.Response(400, json={"error": {"message": "no red today"}})
            if schema_name(body) == "RedOutput"
            else None
        )
    )
    html = html_report(cli)
    assert 'role="alert"' in html and "Degraded report: step 6-red failed" in html
    card = parse(html).cards["6-red"]
    assert any("This step failed" in text and "no red today" in text for text in card)


def test_the_batch_index_links_each_report_and_escapes(tmp_path):
    index = BatchIndex(
        program="Batch <b>Q3</b>",
        program_slug="q3",
        compares_alternatives=False,
        models=["fake-model"],
        report_formats=["json", "md", "html"],
        rows=[
            IndexRow(
                input="a b.md", status="ok", report="a b", recommendation="Go <now>", confidence=0.8
            ),
            IndexRow(input="c.md", status="degraded", report="c", error="5-black failed"),
            IndexRow(input="d.md", status="failed", error="<script>x</script>"),
        ],
    )
    html = render_index_html(index)
    assert "Batch &lt;b&gt;Q3&lt;/b&gt;" in html and "Go &lt;now&gt;" in html
    assert "&lt;script&gt;x" in html and "<script>x" not in html
    assert [a["href"] for tag, a in parse(html).tags if tag == "a"] == ["a%20b.html", "c.html"]
    assert "80%" in html and "⚠ degraded" in html


def latest_id(cli) -> str:
    return json.loads(cli("history", "--json").out)[0]["id"]


def test_render_report_html_is_the_show_format(cli, fake_llm):
    html_report(cli)
    run_id = latest_id(cli)
    report = Report.model_validate_json(cli("show", run_id, "--format", "json").out)
    assert cli("show", run_id, "--format", "html").out.rstrip("\n") == render_report_html(
        report, run_id=run_id
    ).rstrip("\n")


def failing_synthesis(body):
    return error(400, "the synthesis broke") if schema_name(body) == "Synthesis" else None


def test_a_failed_synthesis_writes_a_degraded_html_page_that_rerun_finishes(
    cli, fake_llm, tmp_path
):
    fake_llm.fail_when(failing_synthesis)
    page = tmp_path / "report.html"
    result = cli("analyze", PROBLEM, "--program", "quick-feedback", "-o", str(page))
    assert result.code == 1 and "the synthesis failed" in result.err
    assert result.out == ""  # the page goes to the file asked for, not Markdown to stdout
    run_id = run_id_of(result.err)
    html = page.read_text()
    assert html.startswith("<!doctype html>") and "# Hat outputs" not in html
    doc = parse(html)
    assert list(doc.cards) == ["1-blue", "2-black", "3-green"]  # the hats are shown
    assert 'role="alert"' in html and "without a synthesis" in html
    assert f"<code>sixhats rerun {run_id}</code>" in html and "the synthesis broke" in html
    assert 'id="recommendation"' not in html  # no verdict is made up
    assert_self_contained(html)
    # Shown again from the store, to stdout, the page is the same.
    shown = cli("show", run_id, "--format", "html")
    assert shown.code == 0 and list(parse(shown.out).cards) == list(doc.cards)
    # A rerun that fails again writes the page it was asked for; one that succeeds, the report.
    again = cli("rerun", run_id, "--format", "html", "--no-progress")
    assert again.code == 1 and "without a synthesis" in again.out
    fake_llm.responders.clear()
    finished = cli("rerun", run_id, "-o", str(page), "--no-progress")
    assert finished.code == 0, finished.err
    finished_page = page.read_text()
    assert 'id="recommendation"' in finished_page and "without a synthesis" not in finished_page


def test_a_failed_synthesis_not_kept_says_to_run_the_command_again(cli, fake_llm):
    fake_llm.fail_when(failing_synthesis)
    result = cli("analyze", PROBLEM, "--program", "quick-feedback", "--format", "html", "--no-log")
    assert result.code == 1 and "saved run" not in result.err
    assert "was not kept (--no-log)" in result.out and "run the command again" in result.out


# A real browser ---------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def in_a_browser(test):
    """A test that opens a page in headless Chromium: marked `browser`, skipped without it."""
    needs = pytest.mark.skipif(
        CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)"
    )
    return pytest.mark.browser(needs(test))


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@in_a_browser
def test_the_report_in_a_real_browser_shows_every_hat(cli, fake_llm, tmp_path):
    fake_llm.fail_when(hostile_aside)
    page = tmp_path / "report.html"
    result = cli("analyze", PROBLEM, "--program", "process-improvement", "-o", str(page))
    assert result.code == 0, result.err
    dom = chromium(tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    doc = parse(dom)
    expected = ["1-blue", "2-white", "3-white", "4-yellow", "5-black", "6-green", "7-red"]
    assert list(doc.cards) == expected
    for step_id, texts in doc.cards.items():
        hat = step_id.split("-", 1)[1]
        assert f"{hat.capitalize()} hat" in " ".join(texts), step_id
        assert len(texts) > 3, f"{step_id} shows no findings"
    assert any(SCRIPT in text for text in doc.cards["5-black"])  # shown as text, never run
    assert not re.search(r"<script>alert", dom)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shot = Path(os.environ.get("SIXHATS_SCREENSHOT", SCREENSHOT))
    chromium(
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1280,1700",
        "--hide-scrollbars",
        page.as_uri(),
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


@in_a_browser
def test_the_batch_index_in_a_real_browser_links_every_report(cli, fake_llm, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    write_proposals(src, ["north.md", "south <b>.md"])
    result = cli("batch", str(src), "--out", str(out), "--format", "html")
    assert result.code == 0, result.err
    dom = chromium(tmp_path / "profile", "--dump-dom", (out / "index.html").as_uri()).stdout
    links = [a["href"] for tag, a in parse(dom.split("All inputs", 1)[1]).tags if tag == "a"]
    assert len(links) == 2
    for href in links:
        assert "<h1>" in (out / unquote(href)).read_text()
    assert "south &lt;b&gt;.md" in dom and "<b>.md" not in dom


@in_a_browser
def test_a_page_without_a_synthesis_in_a_real_browser_shows_its_hats(cli, fake_llm, tmp_path):
    fake_llm.fail_when(failing_synthesis)
    page = tmp_path / "report.html"
    result = cli("analyze", PROBLEM, "--program", "choose", "-o", str(page), "--no-progress")
    assert result.code == 1
    dom = chromium(tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    doc = parse(dom)
    assert list(doc.cards) == ["1-blue", "2-white", "3-green", "4-yellow", "5-black", "6-red"]
    assert all(len(texts) > 3 for texts in doc.cards.values())
    assert f"sixhats rerun {run_id_of(result.err)}" in dom and "without a synthesis" in dom
