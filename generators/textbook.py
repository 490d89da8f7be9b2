"""Textbook-quality Python lessons (Phi-1 style): explanation + a typed module + exercises + pytest tests, verified.

Phi-1 showed that for small code models data quality beats quantity. A lesson is only kept when its module and its
tests actually pass together in the sandbox (`python3 -m pytest` inside bubblewrap), and the outcome is recorded in
`verification` so the filter stage can re-run it.

Two sources, each saying what it is in lineage:
- procedural (`generators.textbook.procedural`): a library of parameterised lesson templates (typed functions with
  docstrings, dataclasses, generators, parsing, algorithms); names, data and constants vary with the task seed, and
  expected test values come from a reference computation here, so the sandbox checks the lesson code against it.
- teacher (`generators.textbook`): a distilabel Task asks the teacher for the module and the tests in a fixed,
  parseable layout; unparseable output or failing tests are rejected with the reason. With a 135M teacher most of
  these fail; the procedural lessons carry the family.
"""

import hashlib
import random
import re
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from distilabel.steps.tasks import Task

from factory.cost import Estimate, estimate_tokens
from generators.pipelines import record_usage, run_pipeline
from schemas import make_record

FAMILY = "textbook"
VERSION = "1"
PROMPTS = Path(__file__).resolve().parent / "prompts"
LESSON_TEMPLATE = (PROMPTS / "textbook_lesson.txt").read_text(encoding="utf-8")
SYSTEM_TEMPLATE = (PROMPTS / "textbook_system.txt").read_text(encoding="utf-8")
TEACHER_TEMPLATE_HASH = hashlib.sha256((SYSTEM_TEMPLATE + LESSON_TEMPLATE).encode()).hexdigest()[:16]
MODULE_PATH, TESTS_PATH = "lesson.py", "test_lesson.py"
MAX_NEW_TOKENS = 700
AUDIENCES = ("beginners", "intermediate Python programmers", "a student who knows loops but not classes",
             "someone coming from JavaScript")
ASKS = ("Teach me {topic}.", "Can you give me a short lesson on {topic}?", "I want to understand {topic} in Python.",
        "Explain {topic} with a small module and tests.", "How do I do {topic} properly in Python?")


@dataclass
class Lesson:
    topic: str
    explanation: str
    module: str
    tests: str
    exercises: list[str]
    facets: dict


# ---------------------------------------------------------------------------------------------------------------
# Procedural lesson templates. Each takes a Random and returns a Lesson; expected values are computed here.

def _lesson_clamp(rng: random.Random) -> Lesson:
    name = rng.choice(["clamp", "bound", "limit", "confine"])
    low, high = sorted(rng.sample(range(-50, 100), 2))
    cases = [rng.randint(low - 30, high + 30) for _ in range(4)] + [low, high]
    module = f'''"""Keep numbers inside a range."""


def {name}(value: float, low: float, high: float) -> float:
    """Return value limited to the closed interval [low, high].

    >>> {name}(5, 0, 3)
    3
    """
    if low > high:
        raise ValueError(f"low ({{low}}) must not exceed high ({{high}})")
    return max(low, min(value, high))
'''
    tests = f'''import pytest

from lesson import {name}


@pytest.mark.parametrize("value, expected", {[(v, max(low, min(v, high))) for v in cases]!r})
def test_{name}_cases(value, expected):
    assert {name}(value, {low}, {high}) == expected


def test_{name}_rejects_inverted_range():
    with pytest.raises(ValueError):
        {name}(1, {high}, {low})
'''
    return Lesson(
        f"clamping a number to a range with `{name}`",
        f"`{name}` keeps a value between {low} and {high}: `min` caps it from above, `max` from below. Validating "
        "the bounds first turns a silent bug (an inverted range) into a clear error.",
        module, tests,
        [f"Make `{name}` accept `low=None` or `high=None` to mean 'no bound'.",
         "Write a `wrap` function that wraps around the range instead of clamping."],
        {"template": "clamp", "name": name, "low": low, "high": high})


def _lesson_inventory(rng: random.Random) -> Lesson:
    thing, unit = rng.choice([("Book", "copies"), ("Plant", "pots"), ("Part", "units"), ("Fruit", "crates"),
                              ("Ticket", "seats")])
    items = [(f"{thing.lower()}-{i}", round(rng.uniform(1, 50), 2), rng.randint(0, 12)) for i in range(4)]
    total = round(sum(p * q for _, p, q in items), 2)
    restock = rng.randint(1, 9)
    module = f'''"""A tiny inventory of {thing.lower()}s built on dataclasses."""

from dataclasses import dataclass


@dataclass
class {thing}:
    """One line of stock: a name, a unit price and how many {unit} are on hand."""

    name: str
    price: float
    quantity: int = 0

    def restock(self, amount: int) -> None:
        """Add `amount` {unit}; restocking by a negative amount is a mistake, not a sale."""
        if amount < 0:
            raise ValueError("amount must be non-negative")
        self.quantity += amount

    @property
    def value(self) -> float:
        return self.price * self.quantity


def total_value(items: list[{thing}]) -> float:
    """The stock's value, rounded to cents."""
    return round(sum(item.value for item in items), 2)
'''
    tests = f'''import pytest

from lesson import {thing}, total_value

ITEMS = {items!r}


def make():
    return [{thing}(name, price, quantity) for name, price, quantity in ITEMS]


def test_total_value():
    assert total_value(make()) == pytest.approx({total})


def test_restock_adds():
    item = {thing}("x", 2.5, 1)
    item.restock({restock})
    assert item.quantity == {1 + restock}


def test_restock_rejects_negative():
    with pytest.raises(ValueError):
        {thing}("x", 1.0).restock(-1)


def test_empty_inventory_is_worth_nothing():
    assert total_value([]) == 0
'''
    return Lesson(
        f"dataclasses, with an inventory of {thing.lower()}s",
        f"A `@dataclass` writes `__init__`, `__repr__` and `__eq__` for you from the annotated fields, so `{thing}` "
        "is just its data plus the behaviour that belongs to it (`restock`, `value`). Computed values are properties, "
        "so they can never go stale.",
        module, tests,
        [f"Add a `sell(amount)` method to `{thing}` that refuses to sell more than is in stock.",
         "Make the dataclass `frozen=True` and return a new object from `restock` instead."],
        {"template": "inventory", "thing": thing, "items": len(items)})


def _lesson_windows(rng: random.Random) -> Lesson:
    kind = rng.choice(["chunked", "sliding_windows", "running_totals"])
    data = [rng.randint(-9, 20) for _ in range(rng.randint(5, 9))]
    size = rng.randint(2, 3)
    if kind == "chunked":
        expected = [data[i:i + size] for i in range(0, len(data), size)]
        body = '''    for start in range(0, len(items), size):
        yield items[start:start + size]'''
        sig = "def chunked(items: list[int], size: int) -> Iterator[list[int]]:"
        doc = "Yield consecutive chunks of `size` items; the last one may be shorter."
        call = f"chunked({data!r}, {size})"
    elif kind == "sliding_windows":
        expected = [data[i:i + size] for i in range(len(data) - size + 1)]
        body = '''    for start in range(len(items) - size + 1):
        yield items[start:start + size]'''
        sig = "def sliding_windows(items: list[int], size: int) -> Iterator[list[int]]:"
        doc = "Yield every run of `size` neighbouring items, left to right."
        call = f"sliding_windows({data!r}, {size})"
    else:
        expected, acc = [], 0
        for x in data:
            acc += x
            expected.append(acc)
        body = '''    total = 0
    for item in items:
        total += item
        yield total'''
        sig = "def running_totals(items: list[int]) -> Iterator[int]:"
        doc = "Yield the sum of the items seen so far after each item."
        call = f"running_totals({data!r})"
    guard = "" if kind == "running_totals" else '''    if size < 1:
        raise ValueError("size must be at least 1")
'''
    module = f'''"""Lazy sequences with generators."""

from collections.abc import Iterator


{sig}
    """{doc}"""
{guard}{body}
'''
    tests = f'''import types

from lesson import {kind}


def test_{kind}_values():
    assert list({call}) == {expected!r}


def test_{kind}_is_lazy():
    assert isinstance({call}, types.GeneratorType)


def test_{kind}_empty():
    assert list({kind}([]{"" if kind == "running_totals" else ", 2"})) == []
'''
    return Lesson(
        f"generators: `{kind}`", f"`{kind}` is a generator: it produces values one at a time with `yield`, so it "
        "works on long inputs without building the whole result in memory, and a caller can stop early.",
        module, tests,
        [f"Make `{kind}` accept any iterable, not only a list.", "Write the same thing with `itertools`."],
        {"template": "windows", "kind": kind, "n": len(data)})


def _lesson_parse_kv(rng: random.Random) -> Lesson:
    pair_sep = rng.choice([";", ",", "&", "|"])
    kv_sep = rng.choice(["=", ":"])
    keys = rng.sample(["host", "port", "user", "mode", "level", "path", "retries", "colour"], 3)
    values = [rng.choice(["alpha", "42", "on", "debug", "x1", "7"]) for _ in keys]
    text = pair_sep.join(f" {k} {kv_sep} {v} " if i == 0 else f"{k}{kv_sep}{v}" for i, (k, v) in
                         enumerate(zip(keys, values, strict=True)))
    expected = dict(zip(keys, values, strict=True))
    module = f'''"""Parse `key{kv_sep}value` settings separated by {pair_sep!r}."""


def parse_settings(text: str) -> dict[str, str]:
    """Turn 'a{kv_sep}1{pair_sep}b{kv_sep}2' into {{'a': '1', 'b': '2'}}; blanks around keys and values are ignored.

    Raises ValueError naming the first malformed pair, because silently skipping it hides typos.
    """
    settings: dict[str, str] = {{}}
    for pair in text.split({pair_sep!r}):
        if not pair.strip():
            continue
        if {kv_sep!r} not in pair:
            raise ValueError(f"malformed pair: {{pair.strip()!r}}")
        key, value = pair.split({kv_sep!r}, 1)
        if not key.strip():
            raise ValueError(f"empty key in {{pair.strip()!r}}")
        settings[key.strip()] = value.strip()
    return settings
'''
    tests = f'''import pytest

from lesson import parse_settings


def test_parses_pairs():
    assert parse_settings({text!r}) == {expected!r}


def test_empty_text():
    assert parse_settings("") == {{}}


def test_malformed_pair_is_an_error():
    with pytest.raises(ValueError, match="malformed"):
        parse_settings("novalue")


def test_last_duplicate_wins():
    assert parse_settings("a{kv_sep}1{pair_sep}a{kv_sep}2") == {{"a": "2"}}
'''
    return Lesson(
        "parsing key/value settings strings", f"Split on {pair_sep!r} first, then on the first {kv_sep!r} of each "
        "pair (`split(sep, 1)`), so values may contain the separator. Errors name the offending pair.",
        module, tests, ["Convert numeric values to `int` automatically.", "Support quoted values with separators inside."],
        {"template": "parse_kv", "pair_sep": pair_sep, "kv_sep": kv_sep})


def _lesson_duration(rng: random.Random) -> Lesson:
    parts = {"h": rng.randint(0, 5), "m": rng.randint(0, 59), "s": rng.randint(0, 59)}
    text = "".join(f"{v}{u}" for u, v in parts.items() if v) or "0s"
    seconds = parts["h"] * 3600 + parts["m"] * 60 + parts["s"]
    module = '''"""Parse human durations like '1h30m' with a regular expression."""

import re

UNITS = {"h": 3600, "m": 60, "s": 1}
TOKEN = re.compile(r"(\\d+)([hms])")


def parse_duration(text: str) -> int:
    """Seconds in a duration such as '2h5m' or '45s'; raises ValueError on anything else."""
    text = text.strip().lower()
    if not text or TOKEN.sub("", text):
        raise ValueError(f"not a duration: {text!r}")
    return sum(int(amount) * UNITS[unit] for amount, unit in TOKEN.findall(text))
'''
    tests = f'''import pytest

from lesson import parse_duration


def test_example():
    assert parse_duration({text!r}) == {seconds}


@pytest.mark.parametrize("text, expected", [("90s", 90), ("2m", 120), ("1h1s", 3601)])
def test_units(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "5x", "h", "1h 2m"])
def test_rejects(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)
'''
    return Lesson(
        "parsing durations with regular expressions", "One regex token `(\\d+)([hms])` matches each amount and unit; "
        "if anything is left after removing all tokens, the input is not a duration.",
        module, tests, ["Add days (`d`).", "Write the inverse: `format_duration(seconds) -> str`."],
        {"template": "duration", "text": text})


def _lesson_binary_search(rng: random.Random) -> Lesson:
    data = sorted(rng.sample(range(0, 200), rng.randint(6, 12)))
    present = rng.choice(data)
    absent = next(x for x in range(201) if x not in data)
    module = '''"""Binary search on a sorted list."""


def find(items: list[int], target: int) -> int:
    """Index of `target` in sorted `items`, or -1. O(log n): each step halves the range still in play."""
    lo, hi = 0, len(items) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if items[mid] == target:
            return mid
        if items[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1
'''
    tests = f'''from lesson import find

DATA = {data!r}


def test_finds_present():
    assert find(DATA, {present}) == {data.index(present)}


def test_every_item():
    assert all(find(DATA, x) == i for i, x in enumerate(DATA))


def test_absent():
    assert find(DATA, {absent}) == -1


def test_empty():
    assert find([], 1) == -1
'''
    return Lesson(
        "binary search", "Binary search keeps an interval `[lo, hi]` that must contain the target if it is present, "
        "and halves it each step, so a million items take about twenty comparisons.",
        module, tests, ["Return the insertion point instead of -1 (compare with `bisect.bisect_left`).",
                        "Find the first occurrence when items repeat."],
        {"template": "binary_search", "n": len(data)})


def _lesson_word_counts(rng: random.Random) -> Lesson:
    pool = ["data", "model", "python", "test", "code", "loop", "list", "type", "bug", "fix"]
    words = [rng.choice(pool) for _ in range(rng.randint(12, 20))]
    text = " ".join(w.capitalize() if rng.random() < 0.3 else w for w in words) + "."
    k = rng.randint(2, 3)
    counts = Counter(w.lower() for w in re.findall(r"[a-z']+", text.lower()))
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    module = '''"""Word frequencies with collections.Counter."""

import re
from collections import Counter


def top_words(text: str, k: int) -> list[tuple[str, int]]:
    """The k most frequent words (case-insensitive); ties are broken alphabetically so results are stable."""
    counts = Counter(re.findall(r"[a-z']+", text.lower()))
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:k]
'''
    tests = f'''from lesson import top_words

TEXT = {text!r}


def test_top_words():
    assert top_words(TEXT, {k}) == {expected!r}


def test_ties_alphabetical():
    assert top_words("b a b a c", 2) == [("a", 2), ("b", 2)]


def test_empty():
    assert top_words("", 3) == []
'''
    return Lesson(
        "counting words with `Counter`", "`Counter` does the counting; sorting by `(-count, word)` makes the order "
        "deterministic, which is what makes the function testable.", module, tests,
        ["Ignore a list of stop words.", "Count bigrams (pairs of neighbouring words) too."],
        {"template": "word_counts", "k": k})


def _lesson_brackets(rng: random.Random) -> Lesson:
    pairs = dict(rng.sample([("(", ")"), ("[", "]"), ("{", "}"), ("<", ">")], rng.randint(2, 3)))

    def balanced(s: str) -> bool:
        closing = {v: k for k, v in pairs.items()}
        stack: list[str] = []
        for ch in s:
            if ch in pairs:
                stack.append(ch)
            elif ch in closing and (not stack or stack.pop() != closing[ch]):
                return False
        return not stack

    alphabet = "".join(pairs) + "".join(pairs.values()) + "ab"
    cases = [("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))) for _ in range(6)]
    o, c = next(iter(pairs.items()))
    cases += [o + c, o + o + c + c, c + o]
    module = f'''"""Balanced brackets with a stack."""

PAIRS = {pairs!r}
CLOSING = {{close: open_ for open_, close in PAIRS.items()}}


def is_balanced(text: str) -> bool:
    """True when every bracket in PAIRS is closed by its partner in the right order; other characters are ignored."""
    stack: list[str] = []
    for ch in text:
        if ch in PAIRS:
            stack.append(ch)
        elif ch in CLOSING:
            if not stack or stack.pop() != CLOSING[ch]:
                return False
    return not stack
'''
    tests = f'''import pytest

from lesson import is_balanced


@pytest.mark.parametrize("text, expected", {[(s, balanced(s)) for s in cases]!r})
def test_cases(text, expected):
    assert is_balanced(text) is expected
'''
    return Lesson(
        "checking balanced brackets with a stack", "A stack remembers which brackets are still open; a closing bracket "
        "must match the most recent one. Anything left open at the end means unbalanced.", module, tests,
        ["Return the index of the first error instead of a bool.", "Ignore brackets inside quoted strings."],
        {"template": "brackets", "pairs": "".join(pairs)})


def _lesson_caesar(rng: random.Random) -> Lesson:
    shift = rng.randint(1, 25)
    plain = rng.choice(["Hello, World!", "attack at dawn", "Python 3.11 rocks", "Keep it Simple", "zebra crossing"])

    def enc(s: str, k: int) -> str:
        out = []
        for ch in s:
            if ch.isascii() and ch.isalpha():
                base = ord("A") if ch.isupper() else ord("a")
                out.append(chr((ord(ch) - base + k) % 26 + base))
            else:
                out.append(ch)
        return "".join(out)

    module = '''"""The Caesar cipher: shift letters, keep everything else."""

import string


def shift_letter(ch: str, shift: int) -> str:
    for alphabet in (string.ascii_lowercase, string.ascii_uppercase):
        if ch in alphabet:
            return alphabet[(alphabet.index(ch) + shift) % 26]
    return ch


def encrypt(text: str, shift: int) -> str:
    """Shift each ASCII letter by `shift` places, wrapping z->a; case, digits and punctuation are kept."""
    return "".join(shift_letter(ch, shift) for ch in text)


def decrypt(text: str, shift: int) -> str:
    return encrypt(text, -shift)
'''
    tests = f'''from lesson import decrypt, encrypt


def test_encrypt():
    assert encrypt({plain!r}, {shift}) == {enc(plain, shift)!r}


def test_round_trip():
    assert decrypt(encrypt({plain!r}, {shift}), {shift}) == {plain!r}


def test_shift_26_is_identity():
    assert encrypt({plain!r}, 26) == {plain!r}
'''
    return Lesson(
        f"the Caesar cipher (shift {shift})", "Modular arithmetic (`% 26`) does the wrapping; decryption is just "
        "encryption with the opposite shift, which the round-trip test checks.", module, tests,
        ["Break the cipher by trying all 26 shifts and scoring English-looking output.", "Support a Vigenère key."],
        {"template": "caesar", "shift": shift})


def _lesson_rle(rng: random.Random) -> Lesson:
    text = "".join(rng.choice("abc") * rng.randint(1, 4) for _ in range(rng.randint(3, 6)))
    encoded, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and text[j] == text[i]:
            j += 1
        encoded.append((text[i], j - i))
        i = j
    module = '''"""Run-length encoding: store each run of a repeated character once, with its length."""

from itertools import groupby


def encode(text: str) -> list[tuple[str, int]]:
    """'aaab' -> [('a', 3), ('b', 1)]."""
    return [(ch, len(list(run))) for ch, run in groupby(text)]


def decode(runs: list[tuple[str, int]]) -> str:
    return "".join(ch * count for ch, count in runs)
'''
    tests = f'''from lesson import decode, encode


def test_encode():
    assert encode({text!r}) == {encoded!r}


def test_round_trip():
    assert decode(encode({text!r})) == {text!r}


def test_empty():
    assert encode("") == [] and decode([]) == ""
'''
    return Lesson(
        "run-length encoding with `itertools.groupby`", "`groupby` yields each run of equal neighbours once, which is "
        "exactly a run-length encoding; decoding multiplies strings back out.", module, tests,
        ["Encode to a compact string like 'a3b1'.", "Measure when RLE makes data bigger instead of smaller."],
        {"template": "rle", "length": len(text)})


def _lesson_fizzbuzz(rng: random.Random) -> Lesson:
    (d1, w1), (d2, w2) = rng.sample([(3, "Fizz"), (5, "Buzz"), (7, "Bazz"), (4, "Quux"), (2, "Pip")], 2)
    n = rng.randint(12, 20)

    def say(i: int) -> str:
        word = (w1 if i % d1 == 0 else "") + (w2 if i % d2 == 0 else "")
        return word or str(i)

    module = f'''"""FizzBuzz, generalised to any rules."""

RULES: list[tuple[int, str]] = [({d1}, {w1!r}), ({d2}, {w2!r})]


def say(number: int, rules: list[tuple[int, str]] = RULES) -> str:
    """The words of every rule whose divisor divides `number`, in rule order, or the number itself."""
    words = "".join(word for divisor, word in rules if number % divisor == 0)
    return words or str(number)


def play(limit: int) -> list[str]:
    return [say(i) for i in range(1, limit + 1)]
'''
    tests = f'''from lesson import play, say


def test_play():
    assert play({n}) == {[say(i) for i in range(1, n + 1)]!r}


def test_both_rules():
    assert say({d1 * d2}) == {w1 + w2!r}


def test_custom_rules():
    assert say(6, [(2, "a"), (3, "b")]) == "ab"
'''
    return Lesson(
        f"data-driven FizzBuzz ({w1}/{w2})", "Putting the rules in data (a list of `(divisor, word)` pairs) instead of "
        "an if-chain makes adding a rule a one-line change and keeps `say` tiny.", module, tests,
        ["Add a rule that triggers when the number *contains* a digit.", "Return the output as a generator."],
        {"template": "fizzbuzz", "rules": f"{d1}:{w1},{d2}:{w2}"})


def _lesson_recurrence(rng: random.Random) -> Lesson:
    order = rng.choice([2, 3])
    seeds = [rng.randint(0, 3) for _ in range(order)]
    name = {2: "pair_sum", 3: "triple_sum"}[order]
    seq = list(seeds)
    while len(seq) < 15:
        seq.append(sum(seq[-order:]))
    module = f'''"""Memoised recurrences with functools.cache."""

from functools import cache

SEEDS = {tuple(seeds)!r}


@cache
def {name}(n: int) -> int:
    """Term n of the sequence that starts with SEEDS and then adds the previous {order} terms."""
    if n < 0:
        raise ValueError("n must be non-negative")
    if n < len(SEEDS):
        return SEEDS[n]
    return sum({name}(n - k) for k in range(1, {order + 1}))
'''
    tests = f'''import pytest

from lesson import {name}


def test_first_terms():
    assert [{name}(i) for i in range(15)] == {seq!r}


def test_large_n_is_fast():
    assert {name}(300) > 0 or {name}(300) == 0


def test_negative():
    with pytest.raises(ValueError):
        {name}(-1)
'''
    return Lesson(
        f"memoisation with `functools.cache` ({name})", "Naive recursion recomputes the same terms exponentially "
        "often; `@cache` stores each result, so term 300 takes 300 steps.", module, tests,
        ["Rewrite it iteratively with O(1) memory.", "Use `sys.setrecursionlimit` to see where recursion breaks."],
        {"template": "recurrence", "order": order, "seeds": seeds})


TEMPLATES: dict[str, Callable[[random.Random], Lesson]] = {
    "clamp": _lesson_clamp, "inventory": _lesson_inventory, "windows": _lesson_windows,
    "parse_kv": _lesson_parse_kv, "duration": _lesson_duration, "binary_search": _lesson_binary_search,
    "word_counts": _lesson_word_counts, "brackets": _lesson_brackets, "caesar": _lesson_caesar, "rle": _lesson_rle,
    "fizzbuzz": _lesson_fizzbuzz, "recurrence": _lesson_recurrence,
}
TEACHER_TOPICS = [
    ("string reversal and palindromes", "`is_palindrome(text: str) -> bool`"),
    ("list comprehensions", "`squares_of_evens(numbers: list[int]) -> list[int]`"),
    ("dictionaries", "`invert(mapping: dict[str, int]) -> dict[int, str]`"),
    ("sets", "`unique_sorted(items: list[int]) -> list[int]`"),
    ("string formatting", "`format_price(amount: float) -> str` returning e.g. '$3.50'"),
    ("exceptions", "`safe_divide(a: float, b: float) -> float | None`"),
    ("recursion", "`factorial(n: int) -> int`"),
    ("sorting with keys", "`sort_by_length(words: list[str]) -> list[str]`"),
    ("enumerate and zip", "`pair_up(a: list[str], b: list[int]) -> list[tuple[str, int]]`"),
    ("while loops", "`count_digits(n: int) -> int`"),
]
TEMPLATE_HASH = hashlib.sha256("".join(sorted(TEMPLATES)).encode() + VERSION.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------------------------
# Plan and estimate.

def plan(persona: Any, count: int, seed: int) -> list[dict]:
    """Mostly procedural lessons; `teacher_share` (recipe.textbook, default 0.15) of them asked of the teacher."""
    frac = float(persona.family_settings.get(FAMILY, {}).get("teacher_share", 0.15))
    names = sorted(TEMPLATES)
    tasks = []
    for i in range(count):
        task_seed = int.from_bytes(hashlib.sha256(f"{FAMILY}:{seed}:{i}".encode()).digest()[:4], "big")
        rng = random.Random(task_seed)
        common = {"family": FAMILY, "persona": persona.slug, "seed": task_seed, "ask": rng.choice(ASKS),
                  "teacher_name": persona.name}
        if rng.random() < frac:
            topic, hint = rng.choice(TEACHER_TOPICS)
            tasks.append({**common, "task_id": f"{FAMILY}-{seed}-{i:06d}-t", "procedural": False, "topic": topic,
                          "hint": hint, "audience": rng.choice(AUDIENCES)})
        else:
            tasks.append({**common, "task_id": f"{FAMILY}-{seed}-{i:06d}-p", "procedural": True,
                          "template": names[(i + rng.randrange(len(names))) % len(names)]})
    return tasks


def _lesson_prompt(task: dict) -> list[dict[str, str]]:
    system = string.Template(SYSTEM_TEMPLATE).substitute(name=task["teacher_name"])
    user = string.Template(LESSON_TEMPLATE).substitute(topic=task["topic"], audience=task["audience"],
                                                      function_hint=task["hint"])
    return [{"role": "system", "content": system.strip()}, {"role": "user", "content": user.strip()}]


def estimate(tasks: list[dict]) -> Estimate:
    total = Estimate()
    for t in tasks:
        if not t.get("procedural"):
            prompt = sum(estimate_tokens(m["content"]) for m in _lesson_prompt(t))
            total = total + Estimate(1, prompt, MAX_NEW_TOKENS)
    return total


# ---------------------------------------------------------------------------------------------------------------
# The teacher task: format_input renders the prompt, format_output parses the fixed layout.

CODE_BLOCK = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL)


def parse_lesson(text: str | None) -> dict[str, Any]:
    """{explanation, module, tests, exercises} from the teacher's reply, or {"failure": reason}."""
    if not text or not text.strip():
        return {"failure": "empty reply"}
    blocks = CODE_BLOCK.findall(text)
    if len(blocks) < 2:
        return {"failure": f"unparseable: expected 2 python code blocks (lesson.py, test_lesson.py), found {len(blocks)}"}
    module = next((b for b in blocks if "def test_" not in b), None)
    tests = next((b for b in blocks if "def test_" in b), None)
    if module is None or tests is None:
        return {"failure": "unparseable: need one module block and one block with test_ functions"}
    if "lesson" not in tests:
        tests = "from lesson import *\n\n" + tests
    explanation = CODE_BLOCK.sub("", text.split("Exercises:")[0]).replace("Explanation:", "").strip()
    exercises = [line.split(".", 1)[1].strip() for line in text.split("Exercises:", 1)[-1].splitlines()
                 if re.match(r"\s*\d+\.\s+\S", line)] if "Exercises:" in text else []
    if not explanation:
        return {"failure": "unparseable: no explanation before the code"}
    return {"explanation": explanation, "module": module.strip() + "\n", "tests": tests.strip() + "\n",
            "exercises": exercises, "failure": None}


class TextbookLesson(Task):
    """Asks the teacher for one lesson (explanation, lesson.py, test_lesson.py, exercises) and parses it."""

    @property
    def inputs(self) -> list[str]:
        return ["key", "prompt"]

    @property
    def outputs(self) -> list[str]:
        return ["explanation", "module", "tests", "exercises", "failure", "raw_reply", "prompt_tokens",
                "completion_tokens"]

    def format_input(self, input: dict[str, Any]) -> list[dict[str, str]]:
        return input["prompt"]

    def format_output(self, output: str | None, input: dict[str, Any] | None = None) -> dict[str, Any]:
        parsed = parse_lesson(output)
        return {"explanation": parsed.get("explanation"), "module": parsed.get("module"),
                "tests": parsed.get("tests"), "exercises": parsed.get("exercises"), "failure": parsed["failure"],
                "raw_reply": output}


# ---------------------------------------------------------------------------------------------------------------
# Verification and records.

def _outcome(stdout: str, exit_code: int | None) -> dict[str, int]:
    def grab(word: str) -> int:
        m = re.search(rf"(\d+) {word}", stdout)
        return int(m.group(1)) if m else 0

    return {"passed": grab("passed"), "failed": grab("failed") + grab("error"), "exit_code": -1 if exit_code is None
            else int(exit_code)}


def verify(lessons: list[tuple[str, str]], sandbox: Any) -> list[tuple[dict[str, int], str]]:
    """Run each (module, tests) pair with pytest in the sandbox; (outcome, output tail) per lesson, order kept."""
    from filters.sandbox import Job, Limits

    jobs = [Job(files={MODULE_PATH: module, TESTS_PATH: tests},
                command=["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", TESTS_PATH],
                limits=Limits(wall_s=30.0)) for module, tests in lessons]
    out = []
    for res in sandbox.run_many(jobs):
        text = (res.stdout or "") + (res.stderr or "")
        outcome = _outcome(res.stdout or "", res.exit_code)
        if res.timed_out:
            text = "timed out\n" + text
        out.append((outcome, text[-1500:]))
    return out


def _render(lesson_text: str, module: str, tests: str, exercises: list[str], outcome: dict[str, int]) -> str:
    ex = "\n".join(f"{i}. {e}" for i, e in enumerate(exercises, 1))
    parts = [lesson_text.strip(), f"```python\n# {MODULE_PATH}\n{module.rstrip()}\n```"]
    if ex:
        parts.append(f"Exercises:\n{ex}")
    parts.append(f"Tests:\n\n```python\n# {TESTS_PATH}\n{tests.rstrip()}\n```")
    parts.append(f"Running `python -m pytest {TESTS_PATH}` on these: {outcome['passed']} passed.")
    return "\n\n".join(parts)


def run(tasks: list[dict], teacher: Any, sandbox: Any, run_id: str) -> list[dict]:
    """One result per task, in order: a verified lesson record or a rejection with the reason."""
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    drafts: dict[int, dict] = {}
    results: list[dict | None] = [None] * len(tasks)

    def reject(i: int, reason: str, raw: Any = None) -> None:
        results[i] = {"rejected": True, "task_id": tasks[i]["task_id"], "reason": reason, "raw": raw}

    for i, t in enumerate(tasks):
        if t.get("procedural"):
            lesson = TEMPLATES[t["template"]](random.Random(t["seed"]))
            drafts[i] = {"topic": lesson.topic, "explanation": lesson.explanation, "module": lesson.module,
                         "tests": lesson.tests, "exercises": lesson.exercises, "facets": lesson.facets}
    teacher_idx = [i for i, t in enumerate(tasks) if not t.get("procedural")]
    if teacher_idx and teacher is None:
        for i in teacher_idx:
            reject(i, "no teacher: this lesson is written by the teacher")
    elif teacher_idx:
        rows = [{"key": tasks[i]["task_id"], "prompt": _lesson_prompt(tasks[i])} for i in teacher_idx]
        kwargs = {"max_new_tokens": MAX_NEW_TOKENS, "temperature": 0.4, "top_p": 0.95}
        out_rows = run_pipeline(rows, teacher.distilabel_llm(kwargs), "crucible-textbook", TextbookLesson)
        by_key = {r["key"]: r for r in out_rows}
        usage = [0, 0]
        for r in out_rows:
            meta = r.get("distilabel_metadata") or {}
            stats = next((v for k, v in meta.items() if k.startswith("statistics_") and v), {})
            usage[0] += int(stats.get("input_tokens") or 0)
            usage[1] += int(stats.get("output_tokens") or 0)
        record_usage(teacher, usage[0], usage[1], len(out_rows))
        for i in teacher_idx:
            row = by_key.get(tasks[i]["task_id"])
            if row is None:
                reject(i, f"lost by distilabel: row missing ({len(out_rows)} of {len(rows)} rows came back)")
            elif row.get("failure") or not row.get("module"):
                reject(i, row.get("failure") or "no module in the reply", row.get("raw_reply"))
            else:
                drafts[i] = {"topic": tasks[i]["topic"], "explanation": row["explanation"], "module": row["module"],
                             "tests": row["tests"], "exercises": row.get("exercises") or [],
                             "facets": {"topic": tasks[i]["topic"], "audience": tasks[i]["audience"]}}
    order = sorted(drafts)
    outcomes = verify([(drafts[i]["module"], drafts[i]["tests"]) for i in order], sandbox) if order else []
    for i, (outcome, tail) in zip(order, outcomes, strict=True):
        d, t = drafts[i], tasks[i]
        if outcome["exit_code"] != 0 or outcome["failed"] or not outcome["passed"]:
            reject(i, f"tests failed in the sandbox: {outcome['passed']} passed, {outcome['failed']} failed, "
                      f"exit {outcome['exit_code']}: {tail.strip().splitlines()[-1][:200] if tail.strip() else ''}",
                   {"module": d["module"], "tests": d["tests"], "output": tail})
            continue
        procedural = bool(t.get("procedural"))
        messages = [{"role": "user", "content": t["ask"].format(topic=d["topic"])},
                    {"role": "assistant", "content": _render(d["explanation"], d["module"], d["tests"],
                                                             d["exercises"], outcome)}]
        verification = {"module_path": MODULE_PATH, "module": d["module"], "tests_path": TESTS_PATH,
                        "tests": d["tests"], "outcome": outcome}
        lineage = {"generator": "generators.textbook.procedural" if procedural else "generators.textbook",
                   "generator_version": VERSION,
                   "teacher": None if procedural or teacher is None else {**teacher.lineage(), "params": {
                       **teacher.lineage().get("params", {}), "max_new_tokens": MAX_NEW_TOKENS, "temperature": 0.4}},
                   "prompt_template_hash": TEMPLATE_HASH if procedural else TEACHER_TEMPLATE_HASH,
                   "seed": t["seed"], "facets": {**d["facets"], "task_id": t["task_id"]}, "run_id": run_id,
                   "created_at": created}
        results[i] = make_record(FAMILY, t["persona"], messages, [], verification, lineage)
    assert all(r is not None for r in results), "textbook.run left a task without a result"
    return [r for r in results if r is not None]
