"""A fake OpenAI-compatible server for tests, served through respx (no network).

`FakeLLM` answers chat completions with a valid sample of whichever schema the request asks
for, in any output mode, and records every request. Tests script failures per step with
`fail_when`. `FakeBackend` does the same one level up, at the `Backend` seam, with no HTTP.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from sixhats_ai.backends.base import Completion, CompletionRequest

BASE_URL = "http://llm.test/v1"
API_KEY = "sk-test-SECRET-0123456789"

ALTERNATIVES = ["Four-day week", "Keep five days"]
# The steps of the packaged `choose` program, in order: what a run of it asks and reports.
CHOOSE_STEPS = ["1-blue", "2-white", "3-green", "4-yellow", "5-black", "6-red", "7-blue"]
SAMPLES: dict[str, dict[str, Any]] = {
    "Framing": {
        "framing": "Decide whether to move the team to a four-day week",
        "goals": ["a decision with owners"],
        "factors": ["workload", "customers", "pay"],
        "priorities": ["customer coverage"],
        "alternatives": ALTERNATIVES,
        "out_of_scope": ["salary changes"],
    },
    "WhiteOutput": {
        "facts": [
            {
                "statement": "The team has 8 people",
                "status": "checked",
                "source": "problem statement",
                "where": None,
                "quote": "our team",
            }
        ],
        "gaps": [{"question": "Customer hours needed?", "how_to_fill": "Ask support lead"}],
        "views": [],
    },
    "RedOutput": {
        "reactions": [
            {
                "about": "four-day week",
                "feeling": "excited",
                "intensity": "high",
                "alternative": "Four-day week",
            }
        ],
        "dots": ["Four-day week", "Four-day week", "Keep five days"],
    },
    "BlackOutput": {
        "risks": [
            {
                "point": "Coverage gaps on Fridays",
                "reason": "support SLA",
                "weight": "high",
                "likelihood": "medium",
                "impact": "high",
                "quote": None,
                "alternative": "Four-day week",
            }
        ],
        "interesting": ["Other teams may follow"],
    },
    "YellowOutput": {
        "benefits": [
            {
                "point": "Better retention",
                "reason": "surveys",
                "weight": "medium",
                "likelihood": "medium",
                "feasibility": "high",
                "for_whom": "the team",
                "quote": None,
                "alternative": "Four-day week",
            }
        ],
        "interesting": [],
        "best_case": "Retention rises and Fridays stay covered.",
    },
    "GreenOutput": {
        "concept_challenges": ["Why must everyone be off on the same day?"],
        "ideas": [{"idea": "Staggered days off", "technique": "reversal", "addresses": None}],
        "provocations": [{"po": "Po: the office closes on Wednesdays", "movement": "split week"}],
    },
    "BlueReview": {
        "summary": "Risks are clear, options are thin",
        "priorities": ["coverage"],
        "next_focus": "ideas for coverage",
        "process": ["spend longer on the green hat"],
    },
}

CLOSINGS: dict[str, dict[str, Any]] = {
    "Decision": {
        "shape": "decision",
        "choice": "Pilot a staggered four-day week",
        "conditions": ["Fridays stay covered"],
    },
    "Shortlist": {
        "shape": "shortlist",
        "ideas": [{"idea": "Staggered days off", "why": "keeps coverage", "sources": []}],
    },
    "KeepStopStart": {
        "shape": "keep-stop-start",
        "keep": [{"text": "Weekly review", "sources": []}],
        "stop": [{"text": "Friday deploys", "sources": []}],
        "start": [{"text": "Staggered days off", "sources": []}],
    },
    "Direction": {
        "shape": "direction",
        "options": [{"option": "Pilot first", "assessment": "low risk", "sources": []}],
        "direction": "Pilot a staggered four-day week, then decide",
    },
    "ReviewClose": {
        "shape": "review",
        "went_well": [{"text": "Retention", "sources": []}],
        "went_badly": [{"text": "Friday coverage", "sources": []}],
        "changes": [{"text": "Stagger days off", "sources": []}],
    },
}


def requested_schema(body: dict[str, Any]) -> dict[str, Any]:
    """The schema a request sends, in any output mode."""
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return dict(fmt["json_schema"]["schema"])
    prompt = body["messages"][1]["content"]
    return dict(json.loads(prompt.split("It must match this JSON schema:\n", 1)[1]))


def _with_sources(node: Any, src: list[str]) -> Any:
    if isinstance(node, dict):
        return {k: src if k == "sources" else _with_sources(v, src) for k, v in node.items()}
    if isinstance(node, list):
        return [_with_sources(item, src) for item in node]
    return node


def synthesis_sample(step_ids: list[str], schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """A synthesis fitting the schema sent: its closing shape and the alternatives it names."""
    src = step_ids[-1:] or ["1-blue"]
    properties = (schema or {}).get("properties", {})
    closing = properties.get("closing", {}).get("$ref", "#/$defs/Decision").rsplit("/", 1)[-1]
    names = properties.get("alternatives", {}).get("items", {})
    alternatives = (schema or {}).get("$defs", {}).get("Alternative", {}) or names
    named = alternatives.get("properties", {}).get("name", {}).get("enum", [])
    count = properties.get("alternatives", {}).get("minItems", 1 if schema is None else 0)
    action = (schema or {}).get("$defs", {}).get("Action", {}).get("properties", {})
    owner = (action.get("owner_role", {}).get("enum") or ["team lead"])[0]
    point = {"text": "Coverage risk", "weight": "high", "grounds": "Fridays", "sources": src}
    benefit = {"text": "Retention", "weight": "medium", "grounds": "surveys", "sources": src}
    return {
        "summary": "Try a staggered four-day week for a quarter.",
        "key_insights": [{"text": "Coverage is the crux", "sources": src}],
        "benefits": [benefit],
        "risks": [point],
        "alternatives": [
            {
                "name": name,
                "benefits": [benefit],
                "risks": [point],
                "feelings": [{"text": "excited", "sources": src}],
                "verdict": f"{name}: worth a pilot",
            }
            for name in (named or ["Four-day week"])[:count]
        ],
        "recommendation": {
            "decision": "Pilot a staggered four-day week",
            "confidence": 0.7,
            "rationale": "Benefits are large and the main risk has a mitigation",
            "reasons": ["Retention matters most", "Coverage can be kept"],
            "sources": src,
        },
        "closing": _with_sources(CLOSINGS[closing], src),
        "tensions": [{"tension": "Red is excited; black sees coverage gaps", "sources": src}],
        "change_conditions": ["Customers object to Friday response times"],
        "another_round": {"needed": False, "hats": [], "why": "the pilot will tell"},
        "next_steps": [
            {
                "action": "Draft pilot plan",
                "owner_role": owner,
                "when": "2 weeks",
                "sources": src,
            }
        ],
        "open_questions": [{"question": "How will customers react?", "owner_role": "support lead"}],
    }


def hat_sample(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A hat's sample answer, fitted to the schema sent (its dot count, its risk numbers)."""
    answer = json.loads(json.dumps(SAMPLES[name]))
    properties = schema.get("properties", {})
    if name == "RedOutput":
        dots = properties["dots"]
        answer["dots"] = (dots.get("items", {}).get("enum", []) * 9)[: dots.get("minItems", 0)]
        if not dots.get("items", {}).get("enum"):
            answer["dots"] = []
    if name == "WhiteOutput" and properties["views"].get("minItems"):
        answer["views"] = [
            {"holder": "customers", "view": "want Friday cover", "basis": "inferred"}
        ]
    tagged = {"RedOutput": "Reaction", "BlackOutput": "Risk", "YellowOutput": "Benefit"}
    if name in tagged:
        allowed = schema["$defs"][tagged[name]]["properties"]["alternative"]["enum"]
        for item in answer.get("reactions", answer.get("risks", answer.get("benefits", []))):
            item["alternative"] = item["alternative"] if item["alternative"] in allowed else "all"
    if name in ("BlackOutput", "YellowOutput"):  # two points on each alternative, and on all
        field = "risks" if name == "BlackOutput" else "benefits"
        point = answer[field][0]
        answer[field] = [{**point, "alternative": a} for a in allowed for _ in range(2)]
    if name == "Framing":
        answer.update(roster_sample(properties))
    if name == "GreenOutput":
        risks = schema["$defs"]["Idea"]["properties"]["addresses"].get("anyOf", [{}])[0]
        answer["ideas"][0]["addresses"] = (risks.get("enum") or [None])[0]
    return answer


def roster_sample(properties: dict[str, Any]) -> dict[str, Any]:
    """The opening blue's extras: the gaps of an emergent run, a proposed roster."""
    extras: dict[str, Any] = {}
    if "information_gaps" in properties:
        extras["information_gaps"] = ["Customer hours needed?"]
    if "participants" in properties:
        count = properties["participants"].get("minItems", 1)
        extras["participants"] = [
            {"name": f"Person {n}", "role": "lead", "knows": "the team", "cares_about": "cover"}
            for n in range(1, count + 1)
        ]
    return extras


def process_sample(body: dict[str, Any]) -> dict[str, Any]:
    """Blue's next hat: the first allowed, or close once three hats have been worn."""
    allowed = requested_schema(body)["properties"]["next"]["enum"]
    worn = re.search(r"Hats worn so far: ([a-z, ]+)\.", instructions(body))
    done = len(worn.group(1).split(", ")) if worn else 0
    pick = "close" if done >= 3 and "close" in allowed else allowed[0]
    return {"next": pick, "focus": "the coverage question", "why": "the board lacks it"}


def panel_sample(hat: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Every participant's answer under the hat, each naming who (the roster is the enum)."""
    item = schema["$defs"][f"{hat}Contribution"]
    names = item["properties"]["participant"]["enum"]
    inner = {**schema["$defs"], **item}  # the hat's schema, as a single answer's
    return {
        "contributions": [
            {**hat_sample(hat, {**inner, "$defs": schema["$defs"]}), "participant": name}
            for name in names
        ]
    }


def brief_sample(step_ids: list[str]) -> dict[str, Any]:
    """A tailored brief's answer: three questions for each step the prompt lists, one
    instruction for a red hat."""
    return {
        "purpose": "Decide whether to replace the on-call rota by the end of the quarter",
        "framing": "Which on-call arrangement should the team run next quarter?",
        "out_of_scope": ["pay for on-call hours"],
        "pre_work": [
            {"question": "How many pages a week?", "how_to_fill": "Export from the pager tool"}
        ],
        "steps": {
            s: [f"{s}: tailored question {n}?" for n in ((1,) if s.endswith("-red") else (1, 2, 3))]
            for s in step_ids
        },
    }


def completion(
    content: str,
    *,
    finish_reason: str = "stop",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    model: str = "fake-model",
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def schema_name(body: dict[str, Any]) -> str:
    """Which model the request asks for, in any output mode."""
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return str(fmt["json_schema"]["name"])
    prompt = body["messages"][1]["content"]
    schema = json.loads(prompt.split("It must match this JSON schema:\n", 1)[1])
    return str(schema["title"])


def instructions(body: dict[str, Any]) -> str:
    """The request's two messages: a run's step-specific part follows its shared material in
    the user message (a minutes or brief prompt keeps it in the system message)."""
    return "\n".join(str(m["content"]) for m in body["messages"][:2])


_FENCED = re.compile(r"<<(DATA-[0-9a-f]{12}) ([^>\n]*)>>\n.*?\n<</\1 \2>>", re.DOTALL)


def outside_fences(text: str) -> str:
    """A message without its fenced material: the instructions only."""
    return _FENCED.sub("", text)


def step_id(body: dict[str, Any]) -> str:
    match = re.search(r"This is step (\S+):", instructions(body))
    return match.group(1) if match else "?"


def valid_step_ids(body: dict[str, Any]) -> list[str]:
    match = re.search(r"Valid step ids: (.*)\.", instructions(body))
    return [s.strip() for s in match.group(1).split(",")] if match and match.group(1) else []


def sample_answer(body: dict[str, Any]) -> str:
    name = schema_name(body)
    if name == "Synthesis":
        return json.dumps(synthesis_sample(valid_step_ids(body), requested_schema(body)))
    if name == "ProcessChoice":
        return json.dumps(process_sample(body))
    if name.startswith("Panel"):
        return json.dumps(panel_sample(name.removeprefix("Panel"), requested_schema(body)))
    if name == "BriefPlan":
        return json.dumps(brief_sample(valid_step_ids(body)))
    return json.dumps(hat_sample(name, requested_schema(body)))


Responder = Callable[[dict[str, Any]], httpx.Response | None]


@dataclass
class FakeLLM:
    """Answers every request validly unless a scripted responder takes it first."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    responders: list[Responder] = field(default_factory=list)

    def fail_when(self, responder: Responder) -> None:
        self.responders.append(responder)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        for responder in self.responders:
            response = responder(body)
            if response is not None:
                return response
        return httpx.Response(200, json=completion(sample_answer(body)))

    def steps_requested(self) -> list[str]:
        return [step_id(b) for b in self.requests]


def error(status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": message}}, headers=headers or {})


Script = Callable[[CompletionRequest], Completion | Exception | None]


@dataclass
class FakeBackend:
    """A `Backend` in process, for tests at the seam (as simonw/llm tests at Model.execute).

    It answers every request with a valid sample of the schema asked for, unless a script
    (`answer_when`) returns a completion or an exception to raise first; it records every
    request, as sent.
    """

    identity: str = "fake:backend"
    is_local: bool = False
    collects_calls: bool = False
    keeps_answers: bool = False
    requests: list[CompletionRequest] = field(default_factory=list)
    scripts: list[Script] = field(default_factory=list)
    closed: bool = False

    def answer_when(self, script: Script) -> None:
        self.scripts.append(script)

    async def complete(self, request: CompletionRequest) -> Completion:
        self.requests.append(request)
        for script in self.scripts:
            answer = script(request)
            if isinstance(answer, Exception):
                raise answer
            if answer is not None:
                return answer
        return Completion.from_dict(completion(sample_answer(request.params())))

    async def aclose(self) -> None:
        self.closed = True
