"""Packages imported with their `__init__` deferred: the same package once asked for a name,
none of its cost before (the OpenAI SDK's `openai.types`, see backends/deferred_inits.py)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from sixhats_ai.backends.deferred_inits import deferred_inits, without


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`pkg_deferred`: an `__init__` that counts its runs and re-exports a submodule's name,
    a subpackage, and a subpackage with its own module `__getattr__`."""
    root = tmp_path / "pkg_deferred"
    files = {
        "__init__.py": """
            import builtins
            builtins.pkg_deferred_runs = getattr(builtins, "pkg_deferred_runs", 0) + 1
            from .leaf import VALUE
            from .sub import SUB
        """,
        "leaf.py": "VALUE = 42\n",
        "sub/__init__.py": "SUB = 'sub'\n",
        "lazy/__init__.py": """
            def __getattr__(name):
                if name == "MADE":
                    return "made"
                raise AttributeError(name)
        """,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "pkg_deferred"
    for name in [m for m in sys.modules if m.split(".")[0] == "pkg_deferred"]:
        del sys.modules[name]
    import builtins

    vars(builtins).pop("pkg_deferred_runs", None)


def _runs() -> int:
    import builtins

    return getattr(builtins, "pkg_deferred_runs", 0)


def test_a_submodule_imports_without_the_packages_init(package):
    with deferred_inits(package):
        leaf = importlib.import_module(f"{package}.leaf")
    assert leaf.VALUE == 42
    assert _runs() == 0


def test_the_init_runs_once_on_the_first_name_asked(package):
    with deferred_inits(package):
        module = importlib.import_module(package)
    assert _runs() == 0
    assert module.VALUE == 42 and module.SUB == "sub"
    assert _runs() == 1
    assert type(module.__loader__).__name__ == "SourceFileLoader"  # as if never deferred
    assert "VALUE" in dir(module)
    with pytest.raises(AttributeError, match="no attribute 'NOPE'"):
        _ = module.NOPE
    assert _runs() == 1


def test_from_import_and_dir_run_it_too(package):
    with deferred_inits(package):
        importlib.import_module(package)
    assert "VALUE" in dir(sys.modules[package])
    assert _runs() == 1
    from pkg_deferred import VALUE  # type: ignore[import-not-found]

    assert VALUE == 42


def test_a_packages_own_module_getattr_still_answers(package):
    with deferred_inits(package):
        lazy = importlib.import_module(f"{package}.lazy")
    assert lazy.MADE == "made"
    with pytest.raises(AttributeError):
        _ = lazy.OTHER


def test_outside_the_block_packages_import_as_usual(package):
    with deferred_inits("somewhere_else"):
        pass
    importlib.import_module(package)
    assert _runs() == 1
    assert not any(type(f).__name__ == "_Finder" for f in sys.meta_path)


def test_without_hides_a_module_inside_the_block_only():
    name = "pkg_never_installed_here"
    with without(name), pytest.raises(ImportError):
        importlib.import_module(name)
    assert name not in sys.modules
    with without("json"):  # imported already: left as it is
        assert importlib.import_module("json") is sys.modules["json"]


def test_the_sdk_defers_its_types_and_still_serves_them():
    """`import_sdk` leaves the response types unbuilt, and any of them is there when asked."""
    code = textwrap.dedent(
        """
        import sys
        from sixhats_ai.backends.openai import import_sdk
        openai = import_sdk()
        built = [m for m in sys.modules if m.startswith("openai.types.responses.")]
        print(len(built))
        from openai.types.chat import ChatCompletion
        from openai.types import Batch
        print(ChatCompletion.__name__, Batch.__name__, openai.types.responses.Response.__name__)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    built, names = done.stdout.splitlines()
    assert int(built) < 20  # of ~500 modules, which the eager import built every one of
    assert names == "ChatCompletion Batch Response"
