"""What a run keeps while it waits for a batch round: its finished steps and the prompts of
the steps it asked, packed small and restored the same; and a file's hold on them."""

from __future__ import annotations

from pathlib import Path

from sixhats_ai.batches.parked import FileJob
from sixhats_ai.method.hat_outputs import Framing
from sixhats_ai.prompts import RenderedPrompt
from sixhats_ai.run.assembly import RunClock
from sixhats_ai.run.memo import MemoPacker, RunMemo
from sixhats_ai.run.panel import opening_model
from sixhats_ai.run.report import StepRecord
from sixhats_ai.text.inputs import InputFile


def _framing() -> StepRecord:
    output = Framing(
        framing="Should support move to a rota of five?",
        goals=["first replies within four hours"],
        factors=[],
        priorities=[],
        alternatives=[],
        out_of_scope=[],
    )
    return StepRecord(
        id="1-blue", hat="blue", role="framing", status="ok", output=output, model="m"
    )


def _memo() -> RunMemo:
    memo = RunMemo(
        steps={"1-blue": _framing()},
        prompts={
            "1-blue": RenderedPrompt("done: not kept", "done"),
            "2-black": RenderedPrompt("You wear the black hat.", "DATA-0123456789ab the rota"),
        },
    )
    memo.asked.update({"1-blue": {0: "k1"}, "2-black": {0: "k2", 1: "k3"}, "3-red/Ann": {0: "k4"}})
    memo.clock = RunClock()
    memo.began.update({"1-blue": 1.5, "2-black": 2.5})
    memo.warn(["step 2-black saw 3 of the 9 earlier points"])
    memo.cut_boards.append("2-black")
    return memo


def test_a_packed_memo_gives_back_its_steps_and_the_prompts_and_keys_still_to_answer():
    memo = _memo()
    packer = MemoPacker()
    again = packer.unpack(packer.pack(memo))
    assert again.steps == memo.steps
    assert again.prompts == {"2-black": memo.prompts["2-black"]}  # a done step needs none
    assert again.asked == {"2-black": {0: "k2", 1: "k3"}, "3-red/Ann": {0: "k4"}}
    assert again.asked["4-blue"] == {}  # a call not asked yet has no keys
    assert again.clock == memo.clock and again.began == {"2-black": 2.5}
    assert again.warnings == memo.warnings and again.cut_boards == ["2-black"]


def test_a_parked_file_starts_afresh_when_its_text_changed():
    job = FileJob(0, InputFile(Path("p.md")), "p")
    assert job.park("sha-a", _memo(), MemoPacker()) == 1
    assert job.memo_for("sha-a").steps == {"1-blue": _framing()}
    assert job.memo_for("sha-b") == RunMemo()  # answered for another text: nothing kept
    assert job.park("sha-a", _memo(), MemoPacker()) == 2  # the rounds it has waited for


def test_a_run_narrowed_output_comes_back_as_its_hat_output_model():
    class NarrowedFraming(Framing):  # what run_schema makes of Framing for one run
        pass

    step = _framing()
    step.output = NarrowedFraming.model_validate(step.output.model_dump())
    again = RunMemo.from_json(RunMemo(steps={step.id: step}).to_json())
    assert type(again.steps[step.id].output) is Framing
    assert again.steps[step.id].output == _framing().output


def test_a_pass_packs_its_memos_small_against_the_first_and_gives_each_back():
    packer = MemoPacker()
    memos = []
    for n in range(3):
        memo = _memo()
        memo.prompts["2-black"] = RenderedPrompt("You wear the black hat.", f"the rota of team {n}")
        memos.append(memo)
    packed = [packer.pack(memo) for memo in memos]
    assert [packer.unpack(data).to_json() for data in packed] == [m.to_json() for m in memos]
    assert len(packed[2]) < len(memos[2].to_json()) / 5  # the others are mostly the first


def test_an_emergent_framing_comes_back_with_the_fields_it_adds():
    """An emergent run's framing adds its information gaps: read back as plain Framing, it
    was refused ("Extra inputs are not permitted") and the batch in rounds stopped."""
    emergent = opening_model(emergent=True, proposes=None)
    step = _framing()
    step.output = emergent.model_validate({**step.output.model_dump(), "information_gaps": ["x"]})
    again = RunMemo.from_json(RunMemo(steps={step.id: step}).to_json())
    assert type(again.steps[step.id].output) is emergent
    assert again.steps[step.id].output == step.output
