"""What a batch leaves in `--out`: report names, the reports, resume sidecars and the index.

Every file is written atomically. A finished input gets its reports (one file per format
asked for) and then a sidecar in `<out>/.sixhats/` holding its resume key: the content hash,
program, models, prompt version and problem, plus the run's id. A sidecar therefore means
every report file is complete; a re-run skips an input whose sidecar key matches.

One batch at a time writes to a folder: two would each run every input, keep each run twice
and write an index that contradicts the reports the other wrote. A lock on the folder (an OS
file lock: released when the process ends, however it ends) refuses the second. A caller may
take it before the batch starts (`hold_out_dir`), to be refused before it prints or loads
anything; the batch inside then runs in the folder its caller holds. A batch that fails before
it writes anything (a local engine that cannot load) takes away the folders it made.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from sixhats_ai import render
from sixhats_ai.errors import SixhatsError, UsageError, option
from sixhats_ai.files import atomic_write
from sixhats_ai.method.programs import Program
from sixhats_ai.prompts import PromptLibrary
from sixhats_ai.run.ranking import BatchIndex
from sixhats_ai.run.report import REPORT_SCHEMA_VERSION, Report
from sixhats_ai.text.documents import DROPPED_CATEGORIES, safe_line

STATE_DIR = ".sixhats"
INDEX_STEM = "index"
LOCK_NAME = "batch.lock"
MAX_STEM_BYTES = 120
# Always written: resume reads the JSON, and index.md links the Markdown. The rest on request,
# each with its index file when there is one (index.html).
BASE_FORMATS = ("json", "md")
_UNSAFE_CHARS = set('/\\:*?"<>|')
# The folders this context holds (`hold_out_dir`): a batch run inside one takes no second lock.
_HELD: ContextVar[frozenset[Path]] = ContextVar("held_out_dirs", default=frozenset())


def report_formats(asked: Sequence[str]) -> tuple[str, ...]:
    """The report formats to write for `--format` values, or a usage error naming a bad one."""
    for fmt in asked:
        if fmt not in render.REPORT_FORMATS:
            raise UsageError(
                f"unknown batch format {fmt!r}",
                hint=f"use {', '.join(render.REPORT_FORMATS)} (json and md are always written)",
            )
    return tuple(ext for ext in render.REPORT_FORMATS if ext in BASE_FORMATS or ext in asked)


def check_out_dir(out: Path, inputs: Sequence[str] = ()) -> None:
    """--out must be a folder, and not one of the input folders: reports would overwrite
    the proposals they are named after."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{option('out')} {out} is a file", hint="name a folder for the reports")
    for raw in inputs:
        folder = Path(raw).expanduser()
        if raw != "-" and folder.is_dir() and folder.resolve() == out.resolve():
            raise UsageError(
                f"{option('out')} {out} is also an input folder; its reports would overwrite the "
                "proposals",
                hint=f"use another folder, e.g. {option('out')} {out / 'reports'}",
            )


def prepare_out_dir(out: Path) -> None:
    """Create `out` (and its state folder), or say clearly why it cannot be used."""
    check_out_dir(out)
    try:
        (out / STATE_DIR).mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise UsageError(f"cannot create {option('out')} {out}: a file is in the way") from None
    except OSError as exc:
        raise UsageError(f"cannot create {option('out')} {out}: {exc.strerror}") from None


def _missing(folder: Path) -> list[Path]:
    """`folder` and its parents that do not exist yet, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


@contextmanager
def hold_out_dir(out: Path) -> Iterator[None]:
    """Hold `out` for one batch (created if need be), or refuse at once if another batch
    holds it; held already in this context, the folder is this batch's. Failed, the batch
    leaves none of the folders it made unless it wrote into them."""
    made = _missing(out / STATE_DIR)
    prepare_out_dir(out)
    key = out.resolve()
    if key in _HELD.get():
        yield
        return
    lock_file = out / STATE_DIR / LOCK_NAME
    lock = FileLock(lock_file, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise SixhatsError(
            f"another sixhats batch is writing to {out}",
            hint=f"wait for it to finish, or give this one another {option('out')} folder",
        ) from None
    token = _HELD.set(_HELD.get() | {key})
    failed = True
    try:
        yield
        failed = False
    finally:
        _HELD.reset(token)
        unmake = failed and made and [p.name for p in lock_file.parent.iterdir()] == [LOCK_NAME]
        if unmake:  # the lock file is this batch's, and taken away while held: no other's
            lock_file.unlink()
        lock.release()
        for folder in made if unmake else []:
            try:
                folder.rmdir()  # only while empty: another batch may have started in it
            except OSError:
                break


def prompt_version(library: PromptLibrary) -> str:
    """A hash of every template's source (user overrides included): changes when a prompt does."""
    digest = hashlib.sha256()
    for name in library.names():
        text, _ = library.source(name)
        digest.update(f"{name}\0{text}\0".encode())
    return digest.hexdigest()[:16]


def resume_key(
    program: Program, models: list[str], library: PromptLibrary, problem: str, **how: Any
) -> dict[str, Any]:
    """What must not change for an earlier report to be kept: all but the input's own hash."""
    return {
        "program": program.slug,
        "program_sha256": hashlib.sha256(program.model_dump_json().encode()).hexdigest()[:16],
        "models": models,
        "prompt_version": prompt_version(library),
        **how,
        "problem_sha256": hashlib.sha256(problem.encode()).hexdigest()[:16],
    }


def resume_hash(key: dict[str, Any], name: str, folder: str) -> str:
    """The input's resume key, name and --out `folder` (its real path) as one hash, kept with
    its run in the store: a rerun into the same folder finds the run whose reports could not
    be written there (`RunStore.resumable`); a batch into another folder runs its inputs
    anew."""
    payload = json.dumps([key, name, folder], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _safe_stem(text: str) -> str:
    """A file-name stem: no separators, no control or format characters (DEL, C1 controls such
    as the 8-bit CSI, bidi overrides: the stem is written into index.csv and index.json as
    it is), not hidden, bounded in bytes."""
    cleaned = "".join(
        "_" if ch in _UNSAFE_CHARS or unicodedata.category(ch) in DROPPED_CATEGORIES else ch
        for ch in text
    )
    cleaned = cleaned.lstrip(".").rstrip(". ")
    cleaned = cleaned.encode("utf-8")[:MAX_STEM_BYTES].decode("utf-8", "ignore")
    return cleaned or "input"


class OutputNames:
    """Unique report names, given in discovery order: the input's stem, else `parent__stem`,
    else a number (`stem-2`). Compared case-insensitively, for case-insensitive file systems.
    """

    def __init__(self) -> None:
        self._taken: dict[str, str] = {INDEX_STEM: "the index"}

    def assign(self, path: Path) -> tuple[str, str | None]:
        """The stem for `path`, and a note to show when it is not the plain stem (naming the
        files as one safe line: a live display prints it as it is)."""
        base, shown = _safe_stem(path.stem), safe_line(str(path))
        candidates = [base]
        if path.parent.name:
            candidates.append(_safe_stem(f"{path.parent.name}__{path.stem}"))
        numbered = (f"{base}-{n}" for n in range(2, 10_000))  # made lazily: few need one
        for stem in itertools.chain(candidates, numbered):
            if stem.casefold() not in self._taken:
                clash = self._taken.get(base.casefold())
                self._taken[stem.casefold()] = shown
                note = (
                    f"note: {shown} shares the name {base!r} with {clash}; its reports are {stem}.*"
                    if stem != base
                    else None
                )
                return stem, note
        raise UsageError(f"too many inputs named {base!r}")  # pragma: no cover


class BatchOutputs:
    """The files of one batch in `out`: reports in `formats`, sidecars and the index."""

    def __init__(self, out: Path, formats: tuple[str, ...], *, force: bool = False) -> None:
        self.out = out
        self.formats = formats
        self.force = force

    @property
    def index_formats(self) -> list[str]:
        """md, json and csv always; an optional report format brings its index (index.html)."""
        return [
            e for e in render.INDEX_FORMATS if e not in render.REPORT_FORMATS or e in self.formats
        ]

    def path(self, stem: str, ext: str) -> Path:
        return self.out / f"{stem}.{ext}"

    def _sidecar(self, stem: str) -> Path:
        return self.out / STATE_DIR / f"{stem}.json"

    def reusable(self, stem: str, key: dict[str, Any]) -> tuple[Report, str | None] | None:
        """The earlier report for this stem and its run id, if made from the same key."""
        if self.force:
            return None
        try:
            sidecar = json.loads(self._sidecar(stem).read_text(encoding="utf-8"))
            if not isinstance(sidecar, dict) or sidecar.get("key") != key:  # damaged: redo it
                return None
            report = Report.model_validate_json(self.path(stem, "json").read_bytes())
            if report.schema_version != REPORT_SCHEMA_VERSION:  # an older version: redo it
                return None
            run_id = sidecar.get("run_id")
            return report, run_id if isinstance(run_id, str) else None
        except (OSError, ValueError):
            return None

    def write_reports(
        self, stem: str, report: Report, run_id: str | None, *, missing_only: bool = False
    ) -> None:
        """Each format asked for; a new report also drops files of formats not asked for this
        time (an HTML page of the earlier report), so no file describes an older run."""
        for ext in render.REPORT_FORMATS:
            path = self.path(stem, ext)
            if ext not in self.formats:
                if not missing_only:
                    path.unlink(missing_ok=True)
            elif not (missing_only and path.is_file()):
                atomic_write(path, render.report(report, ext, run_id=run_id), folder_checked=True)

    def write(
        self, stem: str, name: str, key: dict[str, Any], report: Report, run_id: str | None
    ) -> None:
        """Reports first, the sidecar last: a sidecar means every report file is complete."""
        self.write_reports(stem, report, run_id)
        sidecar = {"input": name, "key": key, "run_id": run_id}
        atomic_write(
            self._sidecar(stem),
            json.dumps(sidecar, indent=2, ensure_ascii=False),
            folder_checked=True,
        )

    def write_index(self, index: BatchIndex) -> None:
        for ext in render.INDEX_FORMATS:
            if ext in self.index_formats:
                atomic_write(self.path(INDEX_STEM, ext), render.batch_index(index, ext))
            else:  # an index.html left from an earlier run would not list this one
                self.path(INDEX_STEM, ext).unlink(missing_ok=True)

    def index_files(self) -> list[str]:
        return [str(self.path(INDEX_STEM, ext)) for ext in self.index_formats]
