"""`sixhats batch`: analyse many proposals through one session, resumably.

Batch is `analyze` over many inputs: every file goes through the same `Session` (one limiter,
one budget), so `--concurrency` caps requests in flight across all files and hats, 429s slow
the whole batch, and `--max-cost` bounds the whole batch. Inputs are pulled from the discovery
generator only when a file slot frees up, so about `concurrency` texts are held at once.

Each finished input is kept in the run store (when logging is on), then gets its reports (one
file per format asked for, from `REPORT_FORMATS`, written atomically) and then a sidecar in
`<out>/.sixhats/` holding its resume key: the content hash, program, models, prompt version and
problem, plus the run's id. A re-run skips an input whose sidecar key matches; a failed input
has no sidecar, so it is tried again. Requests go through the session's cache, so redoing an
unchanged input (`--force`, or lost sidecars) is answered by the store, not the model. The
index is written at the end, also after Ctrl-C, from the rows of every input seen.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sixhats_ai.api import Session
from sixhats_ai.documents import Document
from sixhats_ai.engine import SynthesisFailed
from sixhats_ai.errors import BudgetExceeded, SixhatsError, UsageError
from sixhats_ai.files import atomic_write
from sixhats_ai.inputs import Discovered, InputFile, InputProblem, MissingExtra, load_input
from sixhats_ai.models import REPORT_SCHEMA_VERSION, Report
from sixhats_ai.programs import Program
from sixhats_ai.prompts import PromptLibrary
from sixhats_ai.render.index import INDEX_FORMATS, BatchIndex, IndexRow, row_for_report
from sixhats_ai.render.markdown import report_markdown
from sixhats_ai.store import RunInputs
from sixhats_ai.structured import DEFAULT_COMPLETION_ESTIMATE

if TYPE_CHECKING:
    from sixhats_ai.store import RunStore

DEFAULT_PROBLEM = "Assess this proposal: should it go ahead, and on what terms?"
STATE_DIR = ".sixhats"
INDEX_STEM = "index"
MAX_STEM_BYTES = 120
MAX_LISTED_FAILURES = 10
# Files in flight per request slot: while one file is between steps (writing its reports,
# reading the next input), another has a request ready, so no request slot idles. The
# limiter, not this, caps requests in flight; this bounds the texts held in memory.
FILES_PER_REQUEST_SLOT = 2
# A step's prompt before any file has run: instructions, a short proposal and the board.
PROMPT_TOKENS_GUESS = 2000
_UNSAFE_CHARS = set('/\\:*?"<>|')


ReportRenderer = Callable[[Report, str | None], str]


def _report_json(report: Report, run_id: str | None) -> str:
    return report.model_dump_json(indent=2)


def _report_markdown(report: Report, run_id: str | None) -> str:
    return report_markdown(report)


def _report_html(report: Report, run_id: str | None) -> str:
    from sixhats_ai.render.html import render_report_html  # Jinja only when HTML is asked for

    return render_report_html(report, run_id=run_id)


# Report files per input, by extension, each rendered with the run's id in the store.
REPORT_FORMATS: dict[str, ReportRenderer] = {
    "json": _report_json,
    "md": _report_markdown,
    "html": _report_html,
}
# Always written: resume reads the JSON, and index.md links the Markdown. The rest on request,
# each with its index file when INDEX_FORMATS has one (index.html).
BASE_FORMATS = ("json", "md")


def report_formats(asked: Sequence[str]) -> tuple[str, ...]:
    """The report formats to write for `--format` values, or a usage error naming a bad one."""
    for fmt in asked:
        if fmt not in REPORT_FORMATS:
            raise UsageError(
                f"unknown batch format {fmt!r}",
                hint=f"use {', '.join(REPORT_FORMATS)} (json and md are always written)",
            )
    return tuple(ext for ext in REPORT_FORMATS if ext in BASE_FORMATS or ext in asked)


def prompt_version(library: PromptLibrary) -> str:
    """A hash of every template's source (user overrides included): changes when a prompt does."""
    digest = hashlib.sha256()
    for name in library.names():
        text, _ = library.source(name)
        digest.update(f"{name}\0{text}\0".encode())
    return digest.hexdigest()[:16]


def check_out_dir(out: Path, inputs: Sequence[str] = ()) -> None:
    """--out must be a folder, and not one of the input folders: reports would overwrite
    the proposals they are named after."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file", hint="name a folder for the reports")
    for raw in inputs:
        folder = Path(raw).expanduser()
        if raw != "-" and folder.is_dir() and folder.resolve() == out.resolve():
            raise UsageError(
                f"--out {out} is also an input folder; its reports would overwrite the proposals",
                hint=f"use another folder, e.g. --out {out / 'reports'}",
            )


def prepare_out_dir(out: Path) -> None:
    """Create `out` (and its state folder), or say clearly why it cannot be used."""
    check_out_dir(out)
    try:
        (out / STATE_DIR).mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise UsageError(f"cannot create --out {out}: a file is in the way") from None
    except OSError as exc:
        raise UsageError(f"cannot create --out {out}: {exc.strerror}") from None


def _safe_stem(text: str) -> str:
    """A file-name stem: no separators or control characters, not hidden, bounded in bytes."""
    cleaned = "".join("_" if ch in _UNSAFE_CHARS or ord(ch) < 32 else ch for ch in text)
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
        """The stem for `path`, and a note to show when it is not the plain stem."""
        base = _safe_stem(path.stem)
        candidates = [base]
        if path.parent.name:
            candidates.append(_safe_stem(f"{path.parent.name}__{path.stem}"))
        numbered = (f"{base}-{n}" for n in range(2, 10_000))  # made lazily: few need one
        for stem in itertools.chain(candidates, numbered):
            if stem.casefold() not in self._taken:
                clash = self._taken.get(base.casefold())
                self._taken[stem.casefold()] = str(path)
                note = (
                    f"note: {path} shares the name {base!r} with {clash}; its reports are {stem}.*"
                    if stem != base
                    else None
                )
                return stem, note
        raise UsageError(f"too many inputs named {base!r}")  # pragma: no cover


@dataclass
class BatchSettings:
    out: Path
    program: Program
    problem: str = DEFAULT_PROBLEM
    force: bool = False
    formats: tuple[str, ...] = BASE_FORMATS

    @property
    def index_formats(self) -> list[str]:
        """md, json and csv always; an optional report format brings its index (index.html)."""
        return [e for e in INDEX_FORMATS if e not in REPORT_FORMATS or e in self.formats]


@dataclass
class _Totals:
    started: float = field(default_factory=time.perf_counter)
    done: int = 0
    failed: int = 0
    ran: int = 0
    tokens: int = 0
    requests: int = 0
    cached: int = 0
    kept: int = 0


class BatchRunner:
    """Runs a batch through one session; `run` returns the index it wrote.

    With a `store`, each file's run is kept there (one store shared by every file: it is safe
    for concurrent writers).
    """

    def __init__(
        self,
        session: Session,
        settings: BatchSettings,
        echo: Callable[[str], None],
        total: int | None = None,
        store: RunStore | None = None,
    ) -> None:
        self.session = session
        self.store = store
        self.settings = settings
        self.echo = echo
        self.total = total
        self.names = OutputNames()
        self.rows: dict[int, IndexRow] = {}
        self.totals = _Totals()
        self.stop_reason: str | None = None
        self.files_seen = 0
        options = session.options
        plan = settings.program.plan(include_optional=options.include_optional)
        self.models = sorted({session.engine.model_for(step) for step in plan})
        caller = session.engine.caller
        completion = options.max_tokens or DEFAULT_COMPLETION_ESTIMATE
        self._file_estimate = (
            sum(
                caller.prices.cost(session.engine.model_for(step), PROMPT_TOKENS_GUESS, completion)
                for step in plan
            )
            if caller is not None
            else 0.0
        )
        self._key_base = {
            "program": settings.program.slug,
            "program_sha256": hashlib.sha256(
                settings.program.model_dump_json().encode()
            ).hexdigest()[:16],
            "models": self.models,
            "prompt_version": prompt_version(session.engine.prompts),
            "flow": options.flow,
            "include_optional": options.include_optional,
            "problem_sha256": hashlib.sha256(settings.problem.encode()).hexdigest()[:16],
        }

    # Paths ---------------------------------------------------------------------------

    def _path(self, stem: str, ext: str) -> Path:
        return self.settings.out / f"{stem}.{ext}"

    def _sidecar(self, stem: str) -> Path:
        return self.settings.out / STATE_DIR / f"{stem}.json"

    # One input -----------------------------------------------------------------------

    def _reusable(self, stem: str, key: dict[str, Any]) -> tuple[Report, str | None] | None:
        """The earlier report for this stem and its run id, if made from the same key."""
        if self.settings.force:
            return None
        try:
            sidecar = json.loads(self._sidecar(stem).read_text(encoding="utf-8"))
            if sidecar.get("key") != key:
                return None
            report = Report.model_validate_json(self._path(stem, "json").read_bytes())
            if report.schema_version != REPORT_SCHEMA_VERSION:  # an older version: redo it
                return None
            return report, sidecar.get("run_id")
        except (OSError, ValueError):
            return None

    def _write_reports(
        self, stem: str, report: Report, run_id: str | None, *, missing_only: bool = False
    ) -> None:
        """Each format asked for; a new report also drops files of formats not asked for this
        time (an HTML page of the earlier report), so no file describes an older run."""
        for ext in REPORT_FORMATS:
            path = self._path(stem, ext)
            if ext not in self.settings.formats:
                if not missing_only:
                    path.unlink(missing_ok=True)
            elif not (missing_only and path.is_file()):
                atomic_write(path, REPORT_FORMATS[ext](report, run_id))

    def _write(
        self, stem: str, name: str, key: dict[str, Any], report: Report, run_id: str | None
    ) -> None:
        """Reports first, the sidecar last: a sidecar means every report file is complete."""
        self._write_reports(stem, report, run_id)
        sidecar = {"input": name, "key": key, "run_id": run_id}
        atomic_write(self._sidecar(stem), json.dumps(sidecar, indent=2, ensure_ascii=False))

    def _keep_and_write(
        self, inputs: RunInputs, stem: str, name: str, key: dict[str, Any], report: Report
    ) -> str | None:
        run_id = self._keep(inputs, report)
        self._write(stem, name, key, report, run_id)
        return run_id

    def _keep(self, inputs: RunInputs, outcome: Report | SynthesisFailed) -> str | None:
        """Keep a run (or the hats of one whose synthesis failed) in the store; its id.

        The reports matter more than the log: a store that cannot take the run (locked for
        too long, disk full) costs a note, not the file's reports.
        """
        if self.store is None:
            return None
        try:
            if isinstance(outcome, Report):
                run_id = self.store.save_run(inputs, outcome)
            else:
                run_id = self.store.save_failed_run(inputs, outcome.steps, outcome.one_line())
        except (sqlite3.Error, UsageError) as exc:
            self.echo(f"note: {inputs.document_paths[0]}: not kept in the run store: {exc}")
            return None
        return run_id

    async def _analyse(self, item: InputFile, stem: str) -> IndexRow:
        name = str(item.path)
        try:
            loaded = await asyncio.to_thread(load_input, item.path)
        except MissingExtra as exc:
            return IndexRow(input=name, status="skipped", error=exc.one_line())
        except UsageError as exc:
            return IndexRow(input=name, status="failed", error=exc.one_line())
        key = {**self._key_base, "sha256": loaded.sha256}
        earlier = await asyncio.to_thread(self._reusable, stem, key)
        previous, previous_id = earlier if earlier is not None else (None, None)
        if previous is not None and not previous.degraded:
            try:  # a format asked for since (html) is rendered from the kept report
                await asyncio.to_thread(
                    self._write_reports, stem, previous, previous_id, missing_only=True
                )
            except (OSError, UsageError) as exc:
                return _unwritable(name, exc)
            return row_for_report(name, stem, previous, reused=True)
        # A degraded report keeps its good hats: only the failed ones and the synthesis rerun.
        kept = {s.id: s for s in previous.steps if s.role != "synthesis"} if previous else {}
        try:
            request = self.session.request(
                self.settings.problem,
                self.settings.program,
                [Document(name=item.path.name, text=loaded.text)],
            )
        except UsageError as exc:
            return IndexRow(input=name, status="failed", error=exc.one_line())
        for warning in request.warnings:
            self.echo(f"{name}: {warning}")
        inputs = RunInputs.of_request(request, [item.path], None)
        try:
            report = await self.session.engine.run(request, reuse=kept)
        except SixhatsError as exc:
            cause = exc.__cause__ if isinstance(exc, SynthesisFailed) else exc
            if isinstance(cause, BudgetExceeded):
                self._stop(cause.message)
            if isinstance(exc, SynthesisFailed) and self._keep(inputs, exc):
                self.totals.kept += 1  # its hats are kept, for `sixhats rerun`
            return IndexRow(input=name, status="failed", error=exc.one_line())
        try:
            # In a worker thread, so that fsyncs do not stall the other files' requests. A
            # thread runs to its end even if Ctrl-C cancels this task: the files are complete.
            run_id = await asyncio.to_thread(self._keep_and_write, inputs, stem, name, key, report)
        except (OSError, UsageError) as exc:
            return _unwritable(name, exc)
        self.totals.kept += run_id is not None
        return row_for_report(name, stem, report, reused=False)

    async def _run_one(
        self, seq: int, item: InputFile, stem: str, slots: asyncio.Semaphore
    ) -> None:
        try:
            self.rows[seq] = row = await self._analyse(item, stem)
            self._progress(row)  # before the slot frees, so the budget check sees this file
        finally:
            slots.release()

    # Progress ------------------------------------------------------------------------

    def _progress(self, row: IndexRow) -> None:
        t = self.totals
        if row.status in ("failed",):
            t.failed += 1
        else:
            t.done += 1
        if not row.reused and row.report is not None:
            t.ran += 1
            t.tokens += row.tokens
            t.requests += row.requests
            t.cached += row.cached_requests
        finished = t.done + t.failed
        remaining = "?" if self.total is None else str(max(self.total - finished, 0))
        eta = ""
        if self.total is not None and t.ran:
            per_file = (time.perf_counter() - t.started) / finished
            eta = f", ETA {_duration(per_file * max(self.total - finished, 0))}"
        if row.status in ("ok", "degraded"):
            what = f"{row.recommendation} ({row.confidence:.0%})"
            if row.reused:
                what = f"unchanged, report kept: {what}"
        else:
            what = row.error or ""
        self.echo(
            f"[{finished}/{self.total or '?'}] {row.status} {row.input}: {what}\n"
            f"    done {t.done}, failed {t.failed}, remaining {remaining}; "
            f"{t.tokens} tokens, ${self.session.budget.spent:.4f}{eta}"
        )

    def _stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
            self.echo(f"{reason}; starting no new files")

    def _over_budget(self, running: int) -> bool:
        """Would one more file likely pass --max-cost? Judged by the files done so far, or,
        before any is done, by a worst-case guess, so the first round cannot overrun."""
        budget = self.session.budget
        if budget.max_usd is None:
            return False
        per_file = budget.spent / self.totals.ran if self.totals.ran else self._file_estimate
        return budget.spent + per_file * (running + 1) > budget.max_usd

    # The batch -----------------------------------------------------------------------

    @staticmethod
    def _reap(running: dict[int, tuple[asyncio.Task[None], str]]) -> None:
        """Forget finished files; a bug in one of them surfaces here."""
        for done in [n for n, (task, _) in running.items() if task.done()]:
            running.pop(done)[0].result()

    async def run(self, inputs: Iterator[Discovered]) -> BatchIndex:
        """Analyse every input; write the index, also when interrupted (then re-raise)."""
        slots = asyncio.Semaphore(FILES_PER_REQUEST_SLOT * self.session.options.concurrency)
        running: dict[int, tuple[asyncio.Task[None], str]] = {}
        try:
            for seq, item in enumerate(inputs):
                name = str(item.path)
                if isinstance(item, InputProblem):
                    self.rows[seq] = IndexRow(
                        input=name, status="failed", error=item.error.one_line()
                    )
                    self._progress(self.rows[seq])
                    continue
                self.files_seen += 1
                stem, note = self.names.assign(item.path)
                if note:
                    self.echo(note)
                if self.stop_reason is None:
                    await slots.acquire()
                    self._reap(running)
                    while running and self._over_budget(len(running)):
                        # The files in flight may cost less than feared: wait for one, and
                        # judge again by what it really cost.
                        tasks = [task for task, _ in running.values()]
                        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                        self._reap(running)
                    if self._over_budget(len(running)):
                        budget = self.session.budget
                        self._stop(
                            f"spent ${budget.spent:.4f}, and one more file would likely pass "
                            f"--max-cost ${budget.max_usd:.4f}"
                        )
                    if self.stop_reason is not None:
                        slots.release()
                if self.stop_reason is not None:
                    self.rows[seq] = IndexRow(
                        input=name, status="not started", error=self.stop_reason
                    )
                    continue
                task = asyncio.create_task(self._run_one(seq, item, stem, slots))
                running[seq] = (task, name)
            await asyncio.gather(*(task for task, _ in running.values()))
        except asyncio.CancelledError:
            for task, _ in running.values():
                task.cancel()
            await asyncio.gather(*(task for task, _ in running.values()), return_exceptions=True)
            for seq, (_, name) in running.items():
                if seq not in self.rows:
                    self.rows[seq] = IndexRow(
                        input=name, status="interrupted", error="interrupted; no report written"
                    )
            self.stop_reason = "interrupted"
            self._finish()
            raise
        return self._finish()

    def _finish(self) -> BatchIndex:
        """Write the index and print the summary."""
        index = BatchIndex(
            program=self.settings.program.name,
            program_slug=self.settings.program.slug,
            compares_alternatives=self.settings.program.compares_alternatives,
            models=self.models,
            report_formats=list(self.settings.formats),
            rows=[self.rows[n] for n in sorted(self.rows)],
        )
        if self.files_seen == 0:
            first = next((r.error for r in index.rows if r.error), "no inputs given")
            raise UsageError(first)
        for ext in INDEX_FORMATS:
            if ext in self.settings.index_formats:
                atomic_write(self._path(INDEX_STEM, ext), INDEX_FORMATS[ext](index))
            else:  # an index.html left from an earlier run would not list this one
                self._path(INDEX_STEM, ext).unlink(missing_ok=True)
        for line in self.summary(index):
            self.echo(line)
        return index

    def summary(self, index: BatchIndex) -> list[str]:
        """The closing stderr lines: counts, spend, each failure, and why the batch stopped."""
        t = self.totals
        counts = ", ".join(f"{n} {status}" for status, n in index.counts().items())
        reused = sum(r.reused for r in index.rows)
        lines = [
            f"batch: {counts}"
            + (f" ({reused} unchanged, reports kept)" if reused else "")
            + f"; {t.requests} requests ({t.cached} cached), {t.tokens} tokens, "
            f"${self.session.budget.spent:.4f} this run, "
            f"{_duration(time.perf_counter() - t.started)}"
        ]
        problems = [r for r in index.rows if r.status in ("failed", "skipped")]
        for row in problems[:MAX_LISTED_FAILURES]:
            error = row.error or ""
            lines.append(
                f"  {row.status}: {error}"
                if row.input in error
                else f"  {row.status}: {row.input}: {error}"
            )
        if len(problems) > MAX_LISTED_FAILURES:
            lines.append(f"  ... and {len(problems) - MAX_LISTED_FAILURES} more (see the index)")
        not_started = index.counts().get("not started", 0)
        if self.stop_reason == "interrupted":
            lines.append("interrupted: finished reports are kept; run the same command to resume")
        elif self.stop_reason:
            lines.append(f"{self.stop_reason}; {not_started} inputs not started")
        if self.store is not None:
            lines.append(f"kept {t.kept} runs in the store (see `sixhats history`)")
        index_files = (str(self._path(INDEX_STEM, ext)) for ext in self.settings.index_formats)
        lines.append("index: " + ", ".join(index_files))
        return lines

    def outcome(self, index: BatchIndex) -> SixhatsError | None:
        """The error that makes the exit code 1 when some inputs have no report, else None."""
        missing = [r for r in index.rows if r.status in ("failed", "not started")]
        if not missing:
            return None
        return SixhatsError(
            f"{len(missing)} of {len(index.rows)} inputs have no report",
            hint=f"see {self._path(INDEX_STEM, 'md')}; re-run the same command to retry them",
        )


def _unwritable(name: str, exc: OSError | UsageError) -> IndexRow:
    return IndexRow(input=name, status="failed", error=f"cannot write its reports: {exc}")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
