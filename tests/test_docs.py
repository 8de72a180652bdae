"""The README cannot drift from the commands (as sqlite-utils' test_docs.py): its command
reference is generated from the typer app, and every command has an example in its --help."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sixhats_ai.cli import reference
from sixhats_ai.resources import pip_install

README = Path(__file__).resolve().parent.parent / "README.md"
COMMANDS = [path for path, _ in reference.commands()]


def test_the_readme_command_reference_is_generated_from_the_app():
    text = README.read_text(encoding="utf-8")
    assert reference.updated(text) == text, (
        "README.md's command reference is stale: run python -m sixhats_ai.cli.reference"
    )


def test_a_stale_reference_is_noticed_and_rewritten():
    stale = f"intro\n{reference.START}\n| `sixhats gone` | removed |\n{reference.END}\noutro\n"
    fresh = reference.updated(stale)
    assert fresh != stale and "sixhats gone" not in fresh
    assert fresh.startswith("intro\n") and fresh.endswith("\noutro\n")
    assert "| `sixhats show RUN_ID` |" in fresh
    with pytest.raises(ValueError, match="markers"):
        reference.updated("no markers here")


def test_every_command_is_listed():
    assert {"sixhats analyze", "sixhats batch", "sixhats programs show"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme_and_has_an_example_in_its_help(cli, command):
    assert f"`{command}" in README.read_text(encoding="utf-8")
    result = cli(*command.split()[1:], "--help")
    assert result.code == 0, result.err
    examples = [line.strip() for line in result.out.splitlines() if "Example: " in line]
    assert any(line.startswith(f"Example: {command}") for line in examples), result.out


DOCS = README.parent / "docs"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def prose(text: str) -> str:
    """The text outside fenced code blocks (a sample report's links are not the page's)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for a page's headings."""
    headings = re.findall(r"^#+ (.+)$", prose(page.read_text(encoding="utf-8")), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def local_links(page: Path) -> list[str]:
    found = LINK.findall(prose(page.read_text(encoding="utf-8")))
    return [link for link in found if not re.match(r"[a-z]+:", link)]


@pytest.mark.parametrize("page", [README, *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name)
def test_every_link_of_the_readme_and_the_docs_resolves(page):
    for link in local_links(page):
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.exists(), f"{page.name} links to {link}, which does not exist"
        if anchor and target.suffix == ".md":
            assert anchor in anchors(target), f"{page.name}: {link} names no heading"


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(README.parent / link.partition("#")[0]).resolve() for link in local_links(README)}
    pages = {page.resolve() for page in DOCS.glob("*.md")}
    assert pages - linked == set(), "docs pages the README does not link to"


def test_the_link_check_finds_a_broken_link_and_a_missing_anchor(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[ok](#title) [gone](nowhere.md)\n```\n[code](x.md)\n```\n")
    assert local_links(page) == ["#title", "nowhere.md"]
    assert anchors(page) == {"title"}


def test_the_readme_stays_short_and_opens_with_the_commands_ci_runs():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    blocks = re.findall(r"^```bash\n(.*?)^```", text, flags=re.M | re.S)
    user, contributor = blocks[0].splitlines(), blocks[1].splitlines()
    assert user[0].endswith("pip install -e .") and "--offline" in user[1]
    assert contributor == [
        'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[dev]"',
        "python -m pytest",
    ]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert all(line in ci for line in contributor), ".ci/run must run the README's commands"


NUMBERS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]


def test_the_program_count_in_the_docs_is_the_number_sixhats_programs_lists(cli):
    listed = [line.split()[0] for line in cli("programs").out.splitlines() if line.strip()]
    for page in (README, DOCS / "programs.md"):
        counts = re.findall(rf"\b({'|'.join(NUMBERS)}) programs\b", page.read_text("utf-8"))
        assert counts and {NUMBERS.index(word) for word in counts} == {len(listed)}, page.name
    table = re.findall(r"^\| `([a-z-]+)` \|", (DOCS / "programs.md").read_text("utf-8"), re.M)
    assert sorted(table) == sorted(listed)


def test_every_install_hint_works_from_a_clone():
    """sixhats is not on PyPI: a hint naming `sixhats-ai[...]` would send pip there."""
    hint = pip_install("local")
    checkout = Path(re.search(r"-e '(.+)\[local\]'", hint).group(1))
    assert (checkout / "pyproject.toml").is_file()
    assert re.search(r"^local = \[", (checkout / "pyproject.toml").read_text(), flags=re.M)
    named = re.compile(r"""install ['"]?sixhats-ai\[""")
    offenders = [p.name for p in _hinting_files() if named.search(p.read_text("utf-8"))]
    assert offenders == []


def _hinting_files() -> list[Path]:
    """Where an install hint may be written: the code, the docs, and the tests' fixtures
    (read as examples of what sixhats says)."""
    root = README.parent
    return [*(root / "sixhats_ai").rglob("*.py"), *(root / "tests").rglob("*.py"), README,
            *DOCS.glob("*.md")]  # fmt: skip


def test_every_extra_a_hint_names_is_one_pyproject_offers():
    """A hint naming an extra that does not exist (`[pdf]`) fails whoever follows it."""
    import tomllib

    pyproject = tomllib.loads((README.parent / "pyproject.toml").read_text("utf-8"))
    offered = set(pyproject["project"]["optional-dependencies"])
    named = re.compile(r"\bthe `?([a-z]+)`? extra\b|\binstall [^\n]*?\[([a-z,]+)\]")
    found = {
        (path.name, extra)
        for path in _hinting_files()
        for match in named.finditer(path.read_text("utf-8"))
        for extra in ",".join(filter(None, match.groups())).split(",")
    }
    assert len(found) > 5
    assert sorted((path, extra) for path, extra in found if extra not in offered) == []


def test_every_template_the_docs_name_is_one_sixhats_prompts_lists():
    """A renamed template leaves `sixhats prompts copy OLD` failing for whoever pastes it."""
    from sixhats_ai import Hat, PromptLibrary

    named: set[str] = set()
    for page in [README, *DOCS.glob("*.md")]:
        text = page.read_text("utf-8")
        for name in re.findall(r"sixhats prompts (?:copy|show) ([a-z][a-z0-9_/.-]*)", text):
            named.add(name if name.endswith((".j2", ".toml")) else f"{name}.j2")
        named |= set(re.findall(r"`(brief/[a-z0-9_/.<>-]+\.(?:j2|toml))`", text))
    every = {name.replace("<hat>", hat.value) for name in named for hat in Hat}
    assert len(every) > 10
    assert sorted(every - set(PromptLibrary().names())) == []
