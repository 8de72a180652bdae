"""Prompt templates: one Jinja template per hat, rendered in a sandbox.

Templates live in the packaged `prompts/` folder; a user's folder (`<config dir>/prompts` or
`--prompts-dir`) overrides any of them by file name. Every template renders in an immutable
sandbox with `StrictUndefined`, so a user template cannot reach Python internals and a typo in a
variable name is an error, not a silent blank. User text (problem, documents, earlier outputs)
is only ever passed as a variable, never compiled as template source.

A hat template gives the two messages of a request: `_base.j2` renders its system block and
its user block at once (`part` "both", joined by a random separator), or the one that `part`
("system" or "user") names; an override of `_base.j2` that knows only those two is rendered
twice.
"""

from __future__ import annotations

import re
import secrets
import traceback
import types
from contextlib import suppress
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
from jinja2.runtime import BlockReference, Context, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

from sixhats_ai.errors import UsageError, option
from sixhats_ai.method.balance import BALANCE_RULE, SCORE_RULE
from sixhats_ai.resources import packaged_dir
from sixhats_ai.text.plural import counted


@dataclass(frozen=True)
class RenderedPrompt:
    system: str
    user: str

    def messages(self) -> list[dict[str, str]]:
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user}]


NONCE_PATTERN = re.compile(r"DATA-[0-9a-f]{12}")


def new_nonce() -> str:
    """A per-request marker that fences untrusted text; the text cannot guess it."""
    return f"DATA-{secrets.token_hex(6)}"


def template_name_for(role: str, hat: str) -> str:
    """`framing.j2` for the opening blue, `synthesis.j2` for the closing one, else `<hat>.j2`."""
    return f"{role}.j2" if role in ("framing", "synthesis") else f"{hat}.j2"


def _template_location(exc: BaseException) -> str:
    """`name.j2:LINE` of the innermost template frame of a rendering error, if any."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename and frame.filename.endswith(".j2"):
            return f"{Path(frame.filename).name}:{frame.lineno}"
    return ""


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, reading a dict's key written `x.key` without first raising and
    catching the AttributeError of `getattr(x, "key")`: the variables are dicts, and that
    detour was the most of a prompt's rendering. What it returns is what the sandbox would:
    a plain dict has no attributes other than its type's, and those still go through it.

    Its verdict on an attribute is kept by the object's type and the attribute's name, the
    only things it depends on (a leading underscore, the type being a function, a method, a
    frame or a mutable container, and the name): working it out again for every `m.count`
    and `hat.title` of every render was a fifth of a prompt's rendering."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._verdicts: dict[tuple[type, str], bool] = {}  # as many as the templates name

    def getattr(self, obj: Any, attribute: str) -> Any:
        """A dict's key; else an attribute already judged safe for its type is read and
        returned as the sandbox would (a `str.format` still wrapped), without the sandbox's
        detour through its checks again."""
        kind = type(obj)
        if kind is dict and attribute not in _DICT_ATTRIBUTES and attribute in obj:
            return obj[attribute]
        if self._verdicts.get((kind, attribute)) and obj.__class__ is kind:
            try:
                value = getattr(obj, attribute)
            except AttributeError:
                return super().getattr(obj, attribute)
            if self.wrap_str_format(value) is None:
                return value
        return super().getattr(obj, attribute)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        kind = type(obj)
        if obj.__class__ is not kind:  # an object passing for another: judged afresh
            return super().is_safe_attribute(obj, attr, value)
        verdict = self._verdicts.get((kind, attr))
        if verdict is None:
            verdict = self._verdicts[kind, attr] = super().is_safe_attribute(obj, attr, value)
        return verdict

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """What a template calls most (its macros, `self.system()`, a string's own methods
        such as `endswith`) is called as the sandbox and the context would call it: none of
        these is marked unsafe or takes the context, so their checks (attribute lookups that
        raise and catch, a third of a prompt's rendering) are left out for them."""
        kind = type(__obj)
        if not (
            kind is Macro
            or kind is BlockReference
            or (kind is types.BuiltinMethodType and type(__obj.__self__) is str)
        ):
            return super().call(__context, __obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)
        kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as `Context.call` answers it
            return __context.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


def _is_html(name: str | None) -> bool:
    """HTML templates (`*.html.j2`) escape every variable; prompt text is left as written."""
    return name is not None and name.endswith(".html.j2")


class CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Compiled templates, kept in the user cache dir: a fresh process loads them rather than
    compiling them again (a run's templates took 30 ms of CPU to compile, 2 ms to load).

    Jinja checks each against its template's text when it loads it; the key also holds what
    the compiled code depends on besides that text (the versions, the environment's
    settings), so neither an upgrade nor an override is ever served stale code. The cache is
    a saving, never a need: a folder that cannot be read or written leaves each template
    compiled, as without it.
    """

    def __init__(self, directory: Path, flavour: str) -> None:
        super().__init__(str(directory), "%s.jinja")
        self.flavour = flavour

    @classmethod
    def for_environment(cls, env: jinja2.Environment) -> CompiledTemplates:
        from sixhats_ai.config import cache_dir
        from sixhats_ai.version import __version__

        escape = getattr(env.autoescape, "__qualname__", env.autoescape)
        flavour = (
            f"{type(env).__name__} jinja {jinja2.__version__} sixhats {__version__} "
            f"autoescape {escape} filters {sorted(env.filters)} trim/lstrip/keep newline "
            f"{env.trim_blocks} {env.lstrip_blocks} {env.keep_trailing_newline}"
        )
        return cls(cache_dir() / "templates", flavour)

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(f"{self.flavour}|{name}", filename)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # unreadable, or cut short (a full disk): compiled again
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with suppress(OSError):
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)


class PromptLibrary:
    """The templates a run uses: the user's folder first, then the packaged prompts."""

    def __init__(self, user_dir: Path | None = None) -> None:
        self.user_dir = user_dir if user_dir is not None and user_dir.is_dir() else None
        self._not_empty: set[str] = set()  # templates checked to hold something
        # Where the two messages of a rendering part: a text holding it only makes the
        # prompt render twice (see `render_prompt`), so one a library does.
        self._between = f"<<sixhats {secrets.token_hex(8)}>>"

    @cached_property
    def env(self) -> ImmutableSandboxedEnvironment:
        loaders: list[jinja2.BaseLoader] = []
        if self.user_dir is not None:
            loaders.append(jinja2.FileSystemLoader(self.user_dir))
        loaders.append(jinja2.FileSystemLoader(packaged_dir("prompts")))
        env = _Sandbox(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            autoescape=_is_html,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            # A run reads its templates once: checking each file's mtime on every render
            # was a twentieth of a large batch's CPU.
            auto_reload=False,
        )
        # Counts in words ("1 dot", "3 dots") and the comparison's rule, in its own words.
        env.filters["counted"] = counted
        env.globals.update(score_rule=SCORE_RULE, balance_rule=BALANCE_RULE)
        env.bytecode_cache = CompiledTemplates.for_environment(env)
        return env

    def names(self) -> list[str]:
        """Template names users can see and override (partials start with `_`), with the
        question banks (`brief/bank/*.toml`)."""
        return sorted(n for n in self.env.list_templates(extensions=["j2", "toml"]))

    def source(self, name: str) -> tuple[str, str]:
        """The template's text and the file it came from."""
        try:
            text, filename, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            raise UsageError(
                f"no template named {name!r}", hint="see `sixhats prompts` for the list"
            ) from None
        return text, filename or name

    def _check_not_empty(self, name: str) -> None:
        """An empty template renders an empty prompt, and the run would go on as if asked:
        a blank override (`prompts show red > red.j2` empties the file first) is an error."""
        if name in self._not_empty:
            return
        text, filename = self.source(name)
        if not text.strip():
            stem = name.removesuffix(".j2")
            raise UsageError(
                f"template {name} is empty ({filename})",
                hint=f"write it, delete it to use the packaged one, or restore that with "
                f"`sixhats prompts copy {stem} --force`",
            )
        self._not_empty.add(name)

    def _template(self, name: str) -> jinja2.Template:
        self._check_not_empty(name)
        try:
            return self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            where = f"{Path(exc.filename or name).name}:{exc.lineno}"
            raise UsageError(
                f"template {where}: syntax error: {exc.message}", hint="fix the template"
            ) from None
        except jinja2.TemplateNotFound as exc:
            raise UsageError(
                f"template {exc.name!r} not found",
                hint="restore it in your prompts folder or remove the override",
            ) from None

    def render_text(self, name: str, variables: dict[str, Any]) -> str:
        """Render a whole template; rendering errors become one-line UsageErrors."""
        template = self._template(name)
        try:
            return template.render(variables).strip() + "\n"
        except jinja2.UndefinedError as exc:
            where = _template_location(exc) or name
            raise UsageError(
                f"template {where}: {exc.message}",
                hint="use only the documented variables (see README, 'Override a prompt')",
            ) from None
        except Exception as exc:  # a user's template can fail in any way: 1/0, range(10**9)
            where = _template_location(exc) or name
            raise UsageError(f"template {where}: {exc}", hint="fix the template") from None

    def render_prompt(self, name: str, variables: dict[str, Any]) -> RenderedPrompt:
        """Both messages in one rendering (half the template work of a large batch)."""
        between = self._between
        both = self.render_text(name, {**variables, "part": "both", "parts_between": between})
        system, found, user = both.partition(between)
        if found and between not in user:
            return RenderedPrompt(system=system.strip() + "\n", user=user.strip() + "\n")
        return RenderedPrompt(
            system=self.render_text(name, {**variables, "part": "system"}),
            user=self.render_text(name, {**variables, "part": "user"}),
        )


def user_library(prompts_dir: Path | None = None) -> PromptLibrary:
    """The packaged templates, overridden by `prompts_dir` or the config dir's `prompts/`."""
    from sixhats_ai.config import user_prompts_dir

    return PromptLibrary(checked_prompts_dir(prompts_dir) or user_prompts_dir())


def checked_prompts_dir(prompts_dir: Path | None) -> Path | None:
    """A prompts folder given on purpose must exist: running on the packaged templates
    instead would hide the mistake until the report reads wrong."""
    if prompts_dir is not None and not prompts_dir.is_dir():
        raise UsageError(
            f"the prompts folder {prompts_dir} "
            + ("is not a folder" if prompts_dir.exists() else "does not exist"),
            hint=f"pass a folder of .j2 templates to {option('prompts_dir')}, or leave it out",
        )
    return prompts_dir


def copy_template(name: str, folder: Path, *, force: bool = False) -> Path:
    """Write the packaged template `name` into `folder`, where it overrides the packaged one.

    Never over an existing file unless `force`: an override holds a user's edits. Written
    atomically, so the file is never seen empty or half written.
    """
    from sixhats_ai.files import atomic_write

    text, _ = PromptLibrary().source(name)
    target = folder / name
    if target.exists() and not force:
        raise UsageError(
            f"{target} already exists",
            hint=f"edit it, or pass {option('force')} to replace it with the packaged template",
        )
    atomic_write(target, text)
    return target
