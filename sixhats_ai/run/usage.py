"""What a run spent, and which program it ran: the two report models a brief carries too.

They live apart from `report` so that a brief, which has no hat answers, does not build the
hats' models to carry them (an offline brief starts a fifth faster).
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    cached_requests: int = 0  # answered from sixhats' own request cache, not sent
    cost_usd: float = 0.0
    cached_tokens: int = Field(0, description="prompt tokens the server's prefix cache served")
    saved_usd: float = Field(0.0, description="what the prefix cache saved at the input price")

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.requests += other.requests
        self.cached_requests += other.cached_requests
        self.cost_usd += other.cost_usd
        self.cached_tokens += other.cached_tokens
        self.saved_usd += other.saved_usd

    @property
    def cached_share(self) -> float:
        """The share of the prompt tokens served from the server's prefix cache."""
        return self.cached_tokens / self.prompt_tokens if self.prompt_tokens else 0.0

    def prefix_cache_line(self) -> str:
        """What the server's prefix cache served, for a report's footer ('' if nothing)."""
        if not self.cached_tokens:
            return ""
        return (
            f"{self.cached_tokens} of {self.prompt_tokens} prompt tokens "
            f"({self.cached_share:.0%}) served from the server's prompt cache, "
            f"saving ${self.saved_usd:.4f}"
        )


class ProgramRef(BaseModel):
    slug: str
    name: str
    sequence: str
