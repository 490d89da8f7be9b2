"""Tokens and dollars: a price table for known models, a thread-safe budget, and dry-run estimates.

Generation with a paid teacher can burn money fast, so `budget=<usd>` is a hard cap: before each teacher batch the
orchestrator asks the budget whether the batch's *worst case* (prompt estimate + max_tokens per request) still fits,
and after it adds what was really spent. Prices are public list prices in USD per million tokens, kept with their date
and source in prices.toml (input, cached input, cache writes, output and reasoning each at its own price); a user's
`prices=FILE` merges over it. A local or self-hosted endpoint costs $0 unless the user passes `price=<in>,<out>` or a
prices file entry (a rented GPU is not free).
"""

import re
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRICES_FILE = Path(__file__).resolve().parent / "prices.toml"
FREE_PROVIDERS = ("local", "compatible")
SNAPSHOT = re.compile(r"-(?:\d{4}-?\d{2}-?\d{2}|latest)$")  # "-2024-07-18", "-20251001", "-latest"


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens. Cached input, cache writes and reasoning default to the input / input / output price."""

    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None = None
    cache_write_per_mtok: float | None = None
    reasoning_per_mtok: float | None = None
    as_of: str = ""
    source: str = ""

    def cost(self, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0, cache_write_tokens: int = 0,
             reasoning_tokens: int = 0) -> float:
        """prompt_tokens counts every input token (cached and cache writes included), completion_tokens every output
        token (reasoning included), as OpenAI reports them; each part is billed at its own price."""
        cached = min(cached_tokens, prompt_tokens)
        written = min(cache_write_tokens, prompt_tokens - cached)
        reasoning = min(reasoning_tokens, completion_tokens)
        cached_price = self.input_per_mtok if self.cached_input_per_mtok is None else self.cached_input_per_mtok
        write_price = self.input_per_mtok if self.cache_write_per_mtok is None else self.cache_write_per_mtok
        reasoning_price = self.output_per_mtok if self.reasoning_per_mtok is None else self.reasoning_per_mtok
        return ((prompt_tokens - cached - written) * self.input_per_mtok + cached * cached_price
                + written * write_price + (completion_tokens - reasoning) * self.output_per_mtok
                + reasoning * reasoning_price) / 1e6


FREE = Price(0.0, 0.0, source="local or self-hosted endpoint")


def parse_price(text: str) -> Price:
    """`price=0.15,0.60` -> Price (USD per 1M input, output tokens)."""
    parts = [p.strip() for p in text.split(",")]
    assert len(parts) == 2, f"price must be '<in>,<out>' USD per 1M tokens, got {text!r}"
    return Price(float(parts[0]), float(parts[1]), source="price= setting")


def load_prices(path: Path | None = None) -> dict[str, Price]:
    """The price table (prices.toml), with a user's file of the same shape merged over it. Bad files: ValueError."""
    table: dict[str, Price] = {}
    for file in [PRICES_FILE] + ([Path(path)] if path else []):
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"prices file {file}: no such file") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"prices file {file}: not valid TOML: {exc}") from None
        entries = data.get("prices")
        if not isinstance(entries, dict) or not entries:
            raise ValueError(f'prices file {file}: no [prices."provider:model"] tables')
        for key, entry in entries.items():
            if ":" not in key or not isinstance(entry, dict) or "input" not in entry or "output" not in entry:
                raise ValueError(f'prices file {file}: [prices."{key}"] needs a provider:model key, input and output')
            try:
                table[key] = Price(float(entry["input"]), float(entry["output"]),
                                   _opt(entry.get("cached_input")), _opt(entry.get("cache_write")),
                                   _opt(entry.get("reasoning")), str(entry.get("as_of", "")),
                                   str(entry.get("source", "") or (f"user file {file}" if file != PRICES_FILE else "")))
            except (TypeError, ValueError):
                raise ValueError(f'prices file {file}: [prices."{key}"] has a price that is not a number') from None
    return table


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


def price_for(provider: str, model: str, override: Price | None = None,
              table: dict[str, Price] | None = None) -> Price | None:
    """The price of a teacher, or None when unknown (a paid provider with a model missing from the table)."""
    if override is not None:
        return override
    table = load_prices() if table is None else table
    keys = [f"{provider}:{model}"]
    if provider == "openrouter" and "/" in model:
        # OpenRouter passes the upstream list price through: "openai/gpt-5-nano" -> openai:gpt-5-nano,
        # "anthropic/claude-haiku-4.5" -> anthropic:claude-haiku-4-5.
        upstream, _, name = model.partition("/")
        keys.append(f"{upstream}:{name.replace('.', '-') if upstream == 'anthropic' else name}")
    for key in keys:
        if key in table:
            return table[key]
        base = SNAPSHOT.sub("", key)
        if base != key and base in table:
            return table[base]
    return FREE if provider in FREE_PROVIDERS else None


def price_per_mtok(provider: str, model: str) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens; None when unknown."""
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
