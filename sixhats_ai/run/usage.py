"""What a run spent, and which program it ran: the two report models a brief carries too.

They live apart from `report` so that a brief, which has no hat answers, does not build the
hats' models to carry them (an offline brief starts a fifth faster).
"""

from __future__ import annotations

from pydantic import BaseModel


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    cached_requests: int = 0
    cost_usd: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.requests += other.requests
        self.cached_requests += other.cached_requests
        self.cost_usd += other.cost_usd


class ProgramRef(BaseModel):
    slug: str
    name: str
    sequence: str
