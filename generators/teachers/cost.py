"""Tokens and dollars: a price table for known models, a thread-safe budget, and dry-run estimates.

Generation with a paid teacher can burn money fast, so `budget=<usd>` is a hard cap: before each teacher batch the
orchestrator asks the budget whether the batch's *worst case* (prompt estimate + max_tokens per request) still fits,
and after it adds what was really spent. Prices are public list prices in USD per million tokens; a local or
self-hosted endpoint costs $0 unless the user passes `price=<in>,<out>` (a rented GPU is not free).
"""

import threading
from dataclasses import dataclass
from typing import Any

# USD per 1M tokens (input, output). Longest matching prefix wins, so dated snapshots
# ("claude-3-5-haiku-20241022", "gpt-4o-mini-2024-07-18") resolve to their family's price.
PRICES: dict[str, tuple[float, float]] = {
    "openai:gpt-4o-mini": (0.15, 0.60),
    "openai:gpt-4o": (2.50, 10.00),
    "openai:gpt-4.1-nano": (0.10, 0.40),
    "openai:gpt-4.1-mini": (0.40, 1.60),
    "openai:gpt-4.1": (2.00, 8.00),
    "openai:gpt-5-nano": (0.05, 0.40),
    "openai:gpt-5-mini": (0.25, 2.00),
    "openai:gpt-5": (1.25, 10.00),
    "openai:o4-mini": (1.10, 4.40),
    "openai:o3-mini": (1.10, 4.40),
    "openai:o3": (2.00, 8.00),
    "anthropic:claude-3-5-haiku": (0.80, 4.00),
    "anthropic:claude-haiku-4-5": (1.00, 5.00),
    "anthropic:claude-3-5-sonnet": (3.00, 15.00),
    "anthropic:claude-3-7-sonnet": (3.00, 15.00),
    "anthropic:claude-sonnet-4": (3.00, 15.00),
    "anthropic:claude-opus-4": (15.00, 75.00),
}
FREE_PROVIDERS = ("local", "compatible")


@dataclass(frozen=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input_per_mtok + completion_tokens * self.output_per_mtok) / 1e6


def parse_price(text: str) -> Price:
    """`price=0.15,0.60` -> Price (USD per 1M input, output tokens)."""
    parts = [p.strip() for p in text.split(",")]
    assert len(parts) == 2, f"price must be '<in>,<out>' USD per 1M tokens, got {text!r}"
    return Price(float(parts[0]), float(parts[1]))


def price_for(provider: str, model: str, override: Price | None = None) -> Price | None:
    """The price of a teacher, or None when unknown (a paid provider with a model missing from the table)."""
    if override is not None:
        return override
    if provider in FREE_PROVIDERS or provider.startswith("http"):
        return Price(0.0, 0.0)
    if provider == "openrouter" and "/" in model:
        # OpenRouter passes through the upstream list price: "openai/gpt-4o-mini" -> openai:gpt-4o-mini.
        upstream, _, name = model.partition("/")
        provider, model = upstream, name
    key = f"{provider}:{model}"
    matches = [k for k in PRICES if key.startswith(k)]
    if not matches:
        return None
    return Price(*PRICES[max(matches, key=len)])


def price_per_mtok(provider: str, model: str) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens, the shape generators.teachers.teacher asks for; None when unknown."""
    price = price_for(provider, model)
    return None if price is None else (price.input_per_mtok, price.output_per_mtok)


def add_usage(usage: Any, prompt_tokens: int, completion_tokens: int, requests: int, cost_usd: float) -> None:
    """Fold tokens counted elsewhere (distilabel's worker process) into a teacher's Usage, requests included."""
    if requests <= 0:
        return
    usage.add(prompt_tokens, completion_tokens, cost_usd)
    lock = getattr(usage, "_lock", None) or threading.Lock()
    with lock:
        usage.requests += requests - 1


def estimate_tokens(text: str) -> int:
    """A deliberately high token count for estimates (3 characters per token; English and code average ~4, and the
    budget check needs an upper bound); exact counts come from usage."""
    return max(1, (len(text) + 2) // 3 + 4)


@dataclass
class Estimate:
    """Expected load of some tasks on the teacher; `completion_tokens` is the worst case (max_tokens) per request."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: "Estimate") -> "Estimate":
        return Estimate(self.requests + other.requests, self.prompt_tokens + other.prompt_tokens,
                        self.completion_tokens + other.completion_tokens)


# Per-task fallbacks for families that do not expose `estimate(tasks)`: a multi-step tool trace re-sends its growing
# context each step, so it costs several requests with long prompts.
TYPICAL_PER_TASK: dict[str, Estimate] = {
    "identity": Estimate(3, 1200, 600),
    "tool_use": Estimate(5, 6000, 1200),
    "safety": Estimate(3, 3000, 600),
    "reasoning": Estimate(1, 400, 400),
    "textbook": Estimate(1, 500, 1200),
}


class Budget:
    """A hard spending cap shared by every lane; `None` limit means unlimited."""

    def __init__(self, limit_usd: float | None, spent_usd: float = 0.0):
        assert limit_usd is None or limit_usd >= 0, f"budget must be >= 0, got {limit_usd}"
        self.limit_usd = limit_usd
        self.spent_usd = spent_usd
        self._lock = threading.Lock()

    def fits(self, worst_case_usd: float) -> bool:
        with self._lock:
            return self.limit_usd is None or self.spent_usd + worst_case_usd <= self.limit_usd + 1e-12

    def add(self, usd: float) -> None:
        with self._lock:
            self.spent_usd += usd

    @property
    def left_usd(self) -> float | None:
        with self._lock:
            return None if self.limit_usd is None else max(0.0, self.limit_usd - self.spent_usd)
