"""The wheel ships the prompts and programs, and an installed copy finds them."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("sixhats_ai-*.whl")
    return built


def test_wheel_holds_prompts_and_programs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "prompts").rglob("*.j2"):
        assert f"sixhats_ai/_data/prompts/{template.relative_to(ROOT / 'prompts')}" in names
    for program in (ROOT / "programs").glob("*.toml"):
        assert f"sixhats_ai/_data/programs/{program.name}" in names
    for template in (ROOT / "sixhats_ai" / "render" / "templates").iterdir():
        assert f"sixhats_ai/render/templates/{template.name}" in names
    assert "sixhats_ai/local/catalogue.toml" in names


def test_installed_wheel_run_from_elsewhere_finds_its_data(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import sixhats_ai, sys; from sixhats_ai.cli import main; "
        "print(sixhats_ai.__file__); main(['programs', 'show', 'choose'])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env={"PYTHONPATH": str(site), "SIXHATS_CONFIG_DIR": str(tmp_path / "cfg")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert str(site) in proc.stdout.splitlines()[0]
    assert "Blue, White, (Green), Yellow, Black, Red, Blue" in proc.stdout
