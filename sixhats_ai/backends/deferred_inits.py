"""Import a package whose `__init__` files re-export far more than we use, deferring them.

The OpenAI SDK's `openai/__init__.py` imports `openai.types`, whose `__init__` (and those of
`types.chat`, `types.responses`, ...) import every one of its ~1,800 pydantic models: about
60% of the SDK's import time, for models a request sent with `post(..., cast_to=bytes)` never
builds. Under `deferred_inits("openai.types")`, such a package is created with its `__path__`
but without running its `__init__`; that runs, whole and unchanged, the first time the package
is asked for a name it does not hold yet (`openai.types.ChatCompletion`, `from openai.types
import Batch`, `dir()`). Submodules import as usual meanwhile, each with what it imports.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any


class _DeferredInit(importlib.abc.Loader):
    """Loads a package bare; its own loader runs its `__init__` on the first missing name."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def __getattr__(self, name: str) -> Any:  # get_source, get_resource_reader, ...
        return getattr(self.loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        lock = threading.RLock()
        ran = False

        def run_init() -> None:
            nonlocal ran
            with lock:  # another thread waits for the whole `__init__`, not half of it
                if ran:  # done, or running on this thread: a name it lacks is missing
                    return
                ran = True
                self.loader.exec_module(module)
                module.__loader__ = self.loader  # as if it had never been deferred
                if module.__spec__ is not None:
                    module.__spec__.loader = self.loader
                for name, hook in (("__getattr__", missing), ("__dir__", listed)):
                    if module.__dict__.get(name) is hook:
                        del module.__dict__[name]

        def missing(name: str) -> Any:
            run_init()
            if name in module.__dict__:
                return module.__dict__[name]
            own = module.__dict__.get("__getattr__")
            if own is not None and own is not missing:  # the package's own (PEP 562)
                return own(name)
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

        def listed() -> list[str]:
            run_init()
            return sorted(module.__dict__)

        module.__dict__.update(__getattr__=missing, __dir__=listed)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.prefix and not fullname.startswith(self.prefix + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None and spec.submodule_search_locations:
            spec.loader = _DeferredInit(spec.loader)
        return spec


@contextmanager
def deferred_inits(prefix: str) -> Iterator[None]:
    """Packages `prefix` and below, first imported inside the block, defer their `__init__`."""
    finder = _Finder(prefix)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


@contextmanager
def without(name: str) -> Iterator[None]:
    """`import name` fails inside the block, as if it were not installed (unless it is
    imported already); outside it, it imports as usual."""
    if name in sys.modules:
        yield
        return
    sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get(name, False) is None:
            del sys.modules[name]
