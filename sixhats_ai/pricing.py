"""Token estimates, prices and the `--max-cost` budget.

Prices are US dollars per million tokens. The table covers common OpenAI models; users add
or override entries in the config (`[prices."model-name"]`). Prompt tokens a server served from
its prefix cache (`cached_tokens`) cost the model's cached-input price, when it has one. A model
that is not in the table costs 0 and is reported as unpriced: local models are free, and a
guess would mislead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sixhats_ai.errors import BudgetExceeded, option

BATCH_DISCOUNT = 0.5  # the Batch API's price is half the live one


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    batch_input: float | None = None  # the Batch API's price, when not half the live one
    batch_output: float | None = None
    cached_input: float | None = None  # a prompt token served from the prefix cache; else input

    def for_batch(self) -> Price:
        """What the same tokens cost through the Batch API."""
        return Price(
            self.input * BATCH_DISCOUNT if self.batch_input is None else self.batch_input,
            self.output * BATCH_DISCOUNT if self.batch_output is None else self.batch_output,
            cached_input=None if self.cached_input is None else self.cached_input * BATCH_DISCOUNT,
        )

    @property
    def cached(self) -> float:
        return self.input if self.cached_input is None else self.cached_input


DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.60, cached_input=0.075),
    "gpt-4o": Price(2.50, 10.00, cached_input=1.25),
    "gpt-4.1": Price(2.00, 8.00, cached_input=0.50),
    "gpt-4.1-mini": Price(0.40, 1.60, cached_input=0.10),
    "gpt-4.1-nano": Price(0.10, 0.40, cached_input=0.025),
    "gpt-5": Price(1.25, 10.00, cached_input=0.125),
    "gpt-5-mini": Price(0.25, 2.00, cached_input=0.025),
    "gpt-5-nano": Price(0.05, 0.40, cached_input=0.005),
    "o4-mini": Price(1.10, 4.40, cached_input=0.275),
}


@dataclass
class PriceTable:
    """Prices by model; not changed once made (a model's family is looked up once)."""

    prices: dict[str, Price] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    _families: dict[str, str | None] = field(default_factory=dict, init=False, repr=False)

    def price(self, model: str) -> Price | None:
        if model in self.prices:
            return self.prices[model]
        # Dated snapshots ("gpt-4o-mini-2024-07-18") cost what their family costs. Looked up
        # once a model: a request is priced several times (estimate, cost, savings).
        if model not in self._families:
            self._families[model] = max(
                (name for name in self.prices if model.startswith(name + "-")),
                key=len,
                default=None,
            )
        family = self._families[model]
        return self.prices[family] if family else None

    def for_batch(self) -> PriceTable:
        """The same table at Batch API prices (half, unless a model states its own)."""
        return PriceTable({name: price.for_batch() for name, price in self.prices.items()})

    def cost(
        self, model: str, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0
    ) -> float:
        """What a request cost; `cached_tokens` of its prompt at the cached-input price."""
        price = self.price(model)
        if price is None:
            return 0.0
        fresh = prompt_tokens - cached_tokens
        spent = (
            fresh * price.input + cached_tokens * price.cached + completion_tokens * price.output
        )
        return spent / 1_000_000

    def saved(self, model: str, cached_tokens: int) -> float:
        """What serving `cached_tokens` from the prefix cache saved against the input price."""
        price = self.price(model)
        return 0.0 if price is None else cached_tokens * (price.input - price.cached) / 1_000_000


class Budget:
    """Stops before a request could push the spend past `--max-cost`.

    Each request reserves its worst case (estimated prompt + max completion tokens) before it
    is sent and settles at its real cost after, so concurrent requests cannot overshoot.
    """

    def __init__(self, max_usd: float | None) -> None:
        import asyncio  # here: `pricing` is imported by commands that never run a loop

        self.max_usd = max_usd
        self.spent = 0.0
        self._reserved = 0.0
        self._lock = asyncio.Lock()

    async def reserve(self, estimate: float) -> None:
        if self.max_usd is None:
            return
        async with self._lock:
            if self.spent + self._reserved + estimate > self.max_usd:
                raise BudgetExceeded(
                    f"stopped before exceeding {option('max_cost')} ${self.max_usd:.4f} "
                    f"(spent ${self.spent:.4f}, next request up to ${estimate:.4f})",
                    hint=f"raise {option('max_cost')} or use a cheaper model",
                )
            self._reserved += estimate

    def settle(self, estimate: float, actual: float) -> None:
        if self.max_usd is not None:
            self._reserved -= estimate
        self.spent += actual
