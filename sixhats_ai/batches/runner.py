"""One batch, input by input: read it, keep its earlier report or run it, and write it out.

Each input goes through `runs.run_and_keep`, the pipeline `analyze` uses, on the batch's one
`Session` (one limiter, one budget). Requests go through the session's cache, so redoing an
unchanged input (`--force`, or lost sidecars) is answered by the store, not the model. The
index is written at the end, also after Ctrl-C, from the rows of every input seen.

Answered in rounds (`--via batch-api|jsonl`), a batch goes in passes: each file runs until it
finishes or parks for the next round; once all have, the round is sent and waited for, and
the next pass starts the parked files again (`batch.parked`).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sixhats_ai.backends.base import Parked
from sixhats_ai.backends.jsonl import RoundPending
from sixhats_ai.backends.rounds import RoundBackend
from sixhats_ai.batches.outputs import (
    BASE_FORMATS,
    BatchOutputs,
    OutputNames,
    resume_key,
)
from sixhats_ai.batches.parked import MAX_PASSES, FileJob
from sixhats_ai.batches.progress import Progress
from sixhats_ai.batches.scheduler import Scheduler
from sixhats_ai.errors import (
    BudgetExceeded,
    SixhatsError,
    StoreDamaged,
    UsageError,
    named,
    option,
)
from sixhats_ai.method.programs import Program
from sixhats_ai.run.condense import PROPOSAL_QUESTION
from sixhats_ai.run.engine import SynthesisFailed
from sixhats_ai.run.memo import MemoPacker, RunMemo
from sixhats_ai.run.ranking import BatchIndex, IndexRow, row_for_report
from sixhats_ai.run.report import REPORT_SCHEMA_VERSION
from sixhats_ai.runs import RunOrigin, RunResult, off_the_loop, run_and_keep
from sixhats_ai.session import Session
from sixhats_ai.store.access import StoreFull
from sixhats_ai.store.database import RunStore
from sixhats_ai.text.documents import Document, safe_line
from sixhats_ai.text.inputs import Discovered, InputProblem, MissingExtra, load_input

if TYPE_CHECKING:
    from sixhats_ai.display import BatchDisplay

DEFAULT_PROBLEM = PROPOSAL_QUESTION


@dataclass
class BatchSettings:
    out: Path
    program: Program
    problem: str = DEFAULT_PROBLEM
    force: bool = False
    formats: tuple[str, ...] = BASE_FORMATS
    # An input's reports that were not written (a full --out) are written from its run kept
    # in the store; off when the store's answers are not to be used (--no-cache).
    from_store: bool = True


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
        progress: BatchDisplay | None = None,
        rounds: RoundBackend | None = None,
    ) -> None:
        self.session = session
        self.rounds = rounds
        self.store = store
        self.settings = settings
        self.echo = echo
        self.outputs = BatchOutputs(settings.out, settings.formats, force=settings.force)
        self._folder = str(settings.out.resolve())  # hashed into each input's every pass
        self.names = OutputNames()
        self.rows: dict[int, IndexRow] = {}
        self.files_seen = 0
        self.unkept = 0  # runs the store could not take (disk full, locked too long)
        self.pending: RoundPending | None = None  # a round written for the user's engine
        self._taking: tuple[int, Discovered] | None = None  # the input waiting for a slot
        self.parked: list[FileJob] = []  # files waiting for the next round
        self._packer = MemoPacker()  # this pass's, for the memos of the files that park
        self._resuming: deque[FileJob] = deque()  # parked files not yet started again
        self.progress = Progress(echo, total, session.budget, session.limiter.counts, progress)
        options = session.options
        plan = settings.program.plan(include_optional=options.include_optional)
        self.models = sorted({session.engine.model_for(step) for step in plan})
        self.scheduler = Scheduler(
            session, plan, echo, lambda: self.progress.totals.ran, lambda: len(self.parked)
        )
        self._key_base = resume_key(
            settings.program,
            self.models,
            session.engine.prompts,
            settings.problem,
            flow=options.flow,
            include_optional=options.include_optional,
        )

    # One input -----------------------------------------------------------------------

    async def _analyse(self, job: FileJob) -> IndexRow | None:
        """The file's row, or None when it parked for the next round."""
        name, stem = job.name, job.stem
        # Reading the input and its earlier report run to their end even after Ctrl-C, so a
        # report on disk is listed as such, never as interrupted.
        try:
            loaded = await off_the_loop(self.session, load_input, job.item.path)
        except MissingExtra as exc:
            return IndexRow(input=name, status="skipped", error=exc.one_line())
        except UsageError as exc:
            return IndexRow(input=name, status="failed", error=exc.one_line())
        key = {**self._key_base, "sha256": loaded.sha256}
        if job.sha256 is not None:  # started again after a round: from where it parked
            return await self._run(
                job, loaded.sha256, loaded.text, key, job.memo_for(loaded.sha256)
            )
        earlier = await off_the_loop(self.session, self.outputs.reusable, stem, key)
        previous, previous_id = earlier if earlier is not None else (None, None)
        if previous is None and (row := await self._from_store(job, key)) is not None:
            return row
        if previous is not None and not previous.degraded:
            try:  # a format asked for since (html) is rendered from the kept report
                await off_the_loop(
                    self.session,
                    functools.partial(self.outputs.write_reports, missing_only=True),
                    stem,
                    previous,
                    previous_id,
                )
            except (OSError, SixhatsError) as exc:
                return self._unwritable(name, exc)
            return row_for_report(name, stem, previous, reused=True)
        task = asyncio.current_task()
        if task is not None and task.cancelling():  # interrupted: ask the model nothing
            raise asyncio.CancelledError
        # A degraded report keeps its good hats: only the failed ones and the synthesis rerun.
        kept = {s.id: s for s in previous.steps if s.role != "synthesis"} if previous else {}
        return await self._run(job, loaded.sha256, loaded.text, key, RunMemo(steps=kept))

    async def _from_store(self, job: FileJob, key: dict[str, Any]) -> IndexRow | None:
        """The row of an input whose run was kept but whose reports were not written (the
        --out disk was full): they are written from the kept run, and nothing is run twice."""
        if self.store is None or self.settings.force or not self.settings.from_store:
            return None
        resume = job.resume_for(key, self._folder)
        kept = await off_the_loop(self.session, self.store.resumable, resume)
        if kept is None or (report := kept.report) is None:
            return None
        if report.degraded or report.schema_version != REPORT_SCHEMA_VERSION:
            return None
        try:
            await off_the_loop(
                self.session, self.outputs.write, job.stem, job.name, key, report, kept.id
            )
        except (OSError, SixhatsError) as exc:
            return self._unwritable(job.name, exc)
        return row_for_report(job.name, job.stem, report, reused=True)

    async def _run(
        self,
        job: FileJob,
        sha256: str,
        text: str,
        key: dict[str, Any],
        memo: RunMemo,
    ) -> IndexRow | None:
        """Ask the model for what is not done in `memo`, keep the run, write the reports;
        park the file (None) when a request waits for a round."""
        name, path = job.name, job.item.path
        try:
            request = await self.session.request(
                self.settings.problem, self.settings.program, [Document(safe_line(path.name), text)]
            )
        except StoreDamaged:  # not this file's failure: the whole batch stops
            raise
        except SixhatsError as exc:  # too large to fit, or condensing it failed
            return IndexRow(input=name, status="failed", error=exc.one_line())
        except Parked:  # its condensing waits for a round
            return self._park(job, sha256, memo)
        request.memo = memo
        if job.sha256 is None:
            for warning in request.warnings:
                self.echo(f"{name}: {warning}")

        def unkept(exc: Exception) -> None:
            self.unkept += 1
            if self.unkept == 1 or not isinstance(exc, StoreFull):  # a full disk: said once
                self.echo(f"note: {path}: not kept in the run store: {exc}")

        try:
            result = await run_and_keep(
                self.session,
                request,
                self.store,
                RunOrigin(
                    document_paths=[path],
                    title=safe_line(path.name),
                    resume=job.resume_for(key, self._folder),
                ),
                on_unkept=unkept,
            )
        except StoreDamaged:
            raise
        except SixhatsError as exc:
            return self._failed(name, exc)
        except Parked:
            return self._park(job, sha256, memo)
        if memo.cut_boards:
            self.progress.cut_to_fit(name, len(memo.cut_boards), request.context_tokens)
        return await self._written(job, key, result)

    async def _written(self, job: FileJob, key: dict[str, Any], result: RunResult) -> IndexRow:
        """Write the run's reports; its row."""
        report = result.outcome
        self.progress.totals.kept += result.run_id is not None  # with no synthesis: for rerun
        if isinstance(report, SynthesisFailed):
            return self._failed(job.name, report)
        try:  # a thread runs to its end even if Ctrl-C cancels this task: the files are whole
            await off_the_loop(
                self.session, self.outputs.write, job.stem, job.name, key, report, result.run_id
            )
        except (OSError, SixhatsError) as exc:
            self.progress.totals.kept -= result.run_id is not None
            return self._unwritable(job.name, exc)
        return row_for_report(job.name, job.stem, report, reused=False)

    def _unwritable(self, name: str, exc: OSError | SixhatsError) -> IndexRow:
        """The row of a file whose reports could not be written; on a full disk no new file
        starts (its reports could not be written either)."""
        if not isinstance(exc, UsageError) and isinstance(exc, SixhatsError):
            self.scheduler.stop(named(f"the {option('out')} disk is full ({exc.message})"))
        return IndexRow(input=name, status="failed", error=f"cannot write its reports: {exc}")

    def _park(self, job: FileJob, sha256: str, memo: RunMemo) -> IndexRow | None:
        """Keep the file for the next pass, with what it has done (None); a file that keeps
        parking past any program's rounds asks something new each time: its row says so."""
        if job.park(sha256, memo, self._packer) > MAX_PASSES:
            return IndexRow(
                input=job.name,
                status="failed",
                error=f"still waiting after {MAX_PASSES} rounds: its requests change from one "
                "round to the next (set SIXHATS_DEBUG=1 and report it)",
            )
        self.parked.append(job)
        return None

    def _failed(self, name: str, exc: SixhatsError) -> IndexRow:
        """The row of a file with no report; a spent budget also stops the batch."""
        cause = exc.__cause__ if isinstance(exc, SynthesisFailed) else exc
        if isinstance(cause, BudgetExceeded):
            self.scheduler.stop(cause.message)
        return IndexRow(input=name, status="failed", error=exc.one_line())

    async def _run_one(self, job: FileJob) -> None:
        row = await self._analyse(job)
        if row is not None:
            self.rows[job.seq] = row
            self.progress.finished(row)  # before the slot frees: the budget check sees it

    # The batch -----------------------------------------------------------------------

    async def run(self, inputs: Iterator[Discovered]) -> BatchIndex:
        """Analyse every input; write the index, also when interrupted (then re-raise). The
        caller holds the folder (`outputs.hold_out_dir`)."""
        discovered = enumerate(inputs)
        try:
            for seq, item in discovered:
                self._taking = (seq, item)
                await self._take(seq, item)
            self._taking = None
            await self.scheduler.wait()
            while self.parked:
                await self._next_pass()
            # Every file finished: the folder's next command is a new batch.
            if self.rounds is not None and (note := self.rounds.end()):
                self.echo(note)
        except RoundPending as pending:  # --via jsonl: the round waits for the user's engine
            self.pending = pending
            for job in self.parked:
                self.rows[job.seq] = IndexRow(
                    input=job.name, status="waiting", error=pending.message
                )
        except asyncio.CancelledError:
            running = await self.scheduler.cancel()
            parked = [(job.seq, job.name) for job in [*self.parked, *self._resuming]]
            for seq, name in running + parked:
                if seq not in self.rows:
                    self.rows[seq] = IndexRow(
                        input=name, status="interrupted", error="interrupted; no report written"
                    )
            # Discovery is cheap: every input gets its row, also those never started.
            waiting = [self._taking] if self._taking is not None else []
            for seq, item in itertools.chain(waiting, discovered):
                if seq not in self.rows:
                    self.rows[seq] = self._not_started(item)
            self._finish()
            raise
        return self._finish()

    async def _next_pass(self) -> None:
        """Send the round the parked files wait for, then start them again."""
        assert self.rounds is not None, "only a backend answering in rounds parks a file"
        await self.rounds.answer_round()
        self._resuming, self.parked = deque(self.parked), []
        self._packer = MemoPacker()
        while self._resuming:
            await self.scheduler.admit(judged=True)  # its cost was judged when it first ran
            job = self._resuming.popleft()
            self.scheduler.start(job.seq, job.name, self._run_one(job))
        await self.scheduler.wait()

    def _not_started(self, item: Discovered) -> IndexRow:
        """The row of an input the interrupt came before."""
        if isinstance(item, InputProblem):
            return _problem_row(item)
        self.files_seen += 1
        return IndexRow(
            input=str(item.path), status="not started", error="interrupted before it started"
        )

    async def _take(self, seq: int, item: Discovered) -> None:
        """Start the next input when the scheduler lets it, or give it its row now."""
        name = str(item.path)
        if isinstance(item, InputProblem):
            self.rows[seq] = _problem_row(item)
            self.progress.finished(self.rows[seq])
            return
        self.files_seen += 1
        stem, note = self.names.assign(item.path)
        if note:
            self.echo(note)
        if await self.scheduler.admit():
            self.scheduler.start(seq, name, self._run_one(FileJob(seq, item, stem)))
        else:
            self.rows[seq] = IndexRow(
                input=name, status="not started", error=self.scheduler.stop_reason
            )

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
        self.outputs.write_index(index)
        lines = self.progress.summary(
            index,
            self.scheduler.stop_reason,
            logged=self.store is not None,
            index_files=self.outputs.index_files(),
        )
        if self.unkept:
            lines.append(f"{self.unkept} runs were not kept in the run store (see the note above)")
        for line in lines:
            self.echo(line)
        if self.pending is not None:
            self.echo(f"next: {self.pending.hint}")
        return index


def _problem_row(item: InputProblem) -> IndexRow:
    return IndexRow(input=str(item.path), status="failed", error=item.error.one_line())
