"""The procedural lesson library behind `generators.textbook` (lineage `generators.textbook.procedural`).

Each lesson kind is a function `Random -> Lesson`: an explanation, a typed module, exercises and pytest tests.
Expected test values come from a reference computation written here, independently of the lesson's own code, so
the sandbox really checks the lesson against something.

Why so many moving parts per kind: the filter's MinHash near dedup compares word 5-grams (punctuation and case
dropped, every number read as 0). Lessons of one kind that differ only in their numbers are near duplicates and all
but one are dropped. So variety has to be in the words: every kind draws a scenario (a domain that names the
functions, parameters, data and prose: a thermostat's temperature vs a speaker's volume), often an implementation
variant (a loop vs a built-in, a class vs functions), one of several explanations written as separate paragraphs
with different angles (the problem first, the idea first, a pitfall, the cost), a sample from a pool of exercises,
and one of two test layouts (a parametrized table or plain asserts). All of it is teaching text: no filler.
bench/bench_textbook_variety.py measures the result (lessons verified, near-dedup survivors per kind).

Adding a kind: write `_lesson_<name>(rng) -> Lesson` with `facets["template"] == "<name>"` and add it to TEMPLATES
at the bottom. `generators.textbook.plan` deals kinds evenly; tests/test_textbook.py runs every kind's module
against its tests in the sandbox and through the filter's ruff and pyright checks. Generated tests compare
True/False/None with `is` (ruff E711/E712 in the filter) and import only what they use (F401).
"""

import heapq
import math
import random
import re
import string
import unicodedata
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any


@dataclass
class Lesson:
    topic: str
    explanation: str
    module: str
    tests: str
    exercises: list[str]
    facets: dict


# ---------------------------------------------------------------------------------------------------------------
# Helpers shared by the templates.

def _explain(rng: random.Random, *slots: list[str]) -> str:
    """One alternative from each slot, as paragraphs; an empty string in a slot means 'leave this one out'."""
    return "\n\n".join(p for p in (rng.choice(slot) for slot in slots) if p)


def _some(rng: random.Random, pool: list[str], low: int = 2, high: int = 3) -> list[str]:
    return rng.sample(pool, min(len(pool), rng.randint(low, high)))


def _checks(rng: random.Random, fn: str, cases: list[tuple[str, Any]], label: str) -> str:
    """A test asserting `fn(args) == expected` for every (args source, expected) case, in one of two layouts."""
    if rng.random() < 0.5:
        op = "is" if all(_op(e) == "is" for _, e in cases) else "=="
        rows = "".join(f"\n    (({args},), {expected!r})," for args, expected in cases)
        return (f'@pytest.mark.parametrize("args, expected", [{rows}\n])\n'
                f"def test_{label}(args, expected):\n    assert {fn}(*args) {op} expected\n")
    lines = "".join(f"\n    assert {fn}({args}) {_op(expected)} {expected!r}" for args, expected in cases)
    return f"def test_{label}():{lines}\n"


def _tests(names: list[str], *blocks: str, imports: tuple[str, ...] = ()) -> str:
    """A test file: imports (pytest only when a block uses it), `from lesson import ...`, then the blocks."""
    body = "\n\n\n".join(b.strip("\n") for b in blocks if b.strip())
    head = [*imports, "import pytest"] if "pytest." in body else list(imports)
    std = "\n".join(sorted(head))
    lesson = f"from lesson import {', '.join(sorted(set(names), key=lambda n: (not n[0].isupper(), n)))}"
    return (f"{std}\n\n" if std else "") + f"{lesson}\n\n\n{body}\n"


def _op(expected: Any) -> str:
    """The comparison a test should use for a literal: `is` for True/False/None (ruff E711/E712), else `==`."""
    return "is" if expected is None or isinstance(expected, bool) else "=="


def _raises(label: str, call: str, exc: str = "ValueError", match: str = "") -> str:
    m = f", match={match!r}" if match else ""
    return f"def test_{label}():\n    with pytest.raises({exc}{m}):\n        {call}\n"


# ---------------------------------------------------------------------------------------------------------------
# Lesson kinds.

CLAMP_SCENES = [
    ("volume", "level", "quietest", "loudest", "a speaker's volume slider", -10, 110),
    ("brightness", "percent", "dimmest", "brightest", "a screen's brightness control", -20, 120),
    ("temperature", "celsius", "coldest", "warmest", "a thermostat set-point", -30, 60),
    ("zoom", "factor", "min_zoom", "max_zoom", "the zoom factor of a map viewer", -5, 40),
    ("speed", "kmh", "slowest", "fastest", "a cruise-control target speed", -20, 200),
    ("score", "points", "floor", "ceiling", "a game score shown on a leaderboard", -100, 1000),
    ("angle", "degrees", "lower", "upper", "a robot arm's joint angle", -200, 200),
    ("opacity", "alpha", "transparent", "opaque", "the opacity of a drawing layer", -50, 150),
]


def _lesson_clamp(rng: random.Random) -> Lesson:
    noun, value, low_name, high_name, where, lo_span, hi_span = rng.choice(CLAMP_SCENES)
    verb = rng.choice(["clamp", "limit", "bound", "confine", "restrict"])
    name = f"{verb}_{noun}"
    low, high = sorted(rng.sample(range(lo_span // 2, hi_span // 2), 2))
    cases = [rng.randint(lo_span, hi_span) for _ in range(4)] + [low, high]
    style = rng.choice(["minmax", "branches"])
    if style == "minmax":
        body = f"    return max({low_name}, min({value}, {high_name}))"
    else:
        body = (f"    if {value} < {low_name}:\n        return {low_name}\n    if {value} > {high_name}:\n"
                f"        return {high_name}\n    return {value}")
    module = f'''"""Keep {where} inside its allowed range."""


def {name}({value}: float, {low_name}: float, {high_name}: float) -> float:
    """Return `{value}` limited to the closed interval [{low_name}, {high_name}].

    Raises ValueError when the interval is inverted, because that is always a caller's bug.
    """
    if {low_name} > {high_name}:
        raise ValueError(f"{low_name} ({{{low_name}}}) must not exceed {high_name} ({{{high_name}}})")
{body}
'''
    tests = _tests(
        [name],
        _checks(rng, name, [(f"{v}, {low}, {high}", max(low, min(v, high))) for v in cases], f"{name}_examples"),
        _raises(f"{name}_rejects_inverted_range", f"{name}(1, {high}, {low})"),
        f"def test_{name}_is_idempotent():\n    once = {name}({cases[0]}, {low}, {high})\n"
        f"    assert {name}(once, {low}, {high}) == once\n")
    how = ("`min` caps the value from above and `max` lifts it from below; nesting them gives both limits in one "
           "expression." if style == "minmax" else
           "Two early returns handle the two ways a value can be out of range; anything that falls through is "
           "already inside and comes back unchanged.")
    explanation = _explain(
        rng,
        [f"Think of {where}: whatever the user or a sensor asks for, the value we act on has to stay between "
         f"{low} and {high}. `{name}` is the one place that rule lives.",
         f"Clamping means: below the range, use the lower edge; above it, use the upper edge; otherwise keep the "
         f"value. We will write it for {where}, as `{name}({value}, {low_name}, {high_name})`.",
         f"A surprising number of bugs come from values drifting past their limits. For {where} the fix is a "
         f"small function, `{name}`, that every caller goes through."],
        [how,
         f"The order of the checks does not matter for a valid range, which is why the function first rejects an "
         f"inverted one ({low_name} > {high_name}). {how}"],
        ["The tests cover values on both sides of the range and exactly on its edges, because edges are where "
         "off-by-one mistakes hide.",
         "Notice the idempotence test: clamping a value that is already clamped must not change it.",
         "Raising on an inverted range turns a silent bug into a clear error message that names both bounds."])
    exercises = _some(rng, [
        f"Let `{name}` accept `None` for either bound, meaning 'no limit on this side'.",
        "Write a `wrap` function that wraps around the range (like angles on a compass) instead of clamping.",
        f"Add a `{noun}_step` function that moves a value by a delta and clamps the result.",
        f"Make `{name}` work for integers only and check that pyright catches a float argument.",
        "Return a pair `(value, was_clamped)` so a caller can log when input was out of range.",
    ])
    return Lesson(f"clamping {where} with `{name}`", explanation, module, tests, exercises,
                  {"template": "clamp", "scene": noun, "style": style})


INVENTORY_SCENES = [
    ("Book", "copies", "title", "bookshop"), ("Plant", "pots", "species", "garden centre"),
    ("Part", "units", "part_number", "repair workshop"), ("Fruit", "crates", "variety", "market stall"),
    ("Ticket", "seats", "event", "box office"), ("Paint", "tins", "colour", "hardware store"),
    ("Cheese", "wheels", "cheese", "delicatessen"), ("Bike", "frames", "model", "bicycle shop"),
    ("Tea", "boxes", "blend", "tea room"), ("Cable", "reels", "gauge", "electrical supplier"),
]
ITEM_WORDS = ["amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "harbor", "iris", "juniper", "kestrel",
              "linden", "maple", "nova", "orchid", "pebble", "quartz", "rowan", "sable", "tundra"]


def _lesson_inventory(rng: random.Random) -> Lesson:
    thing, unit, label, shop = rng.choice(INVENTORY_SCENES)
    price, qty = rng.choice([("price", "quantity"), ("unit_price", "in_stock"), ("cost", "count"),
                             ("price_each", "on_hand")])
    add = rng.choice(["restock", "receive", "add_stock", "top_up"])
    total_fn = rng.choice(["total_value", "stock_value", "inventory_worth"])
    names = rng.sample(ITEM_WORDS, 4)
    items = [(n, round(rng.uniform(1, 50), 2), rng.randint(0, 12)) for n in names]
    total = round(sum(p * q for _, p, q in items), 2)
    amount = rng.randint(1, 9)
    frozen = rng.random() < 0.35
    if frozen:
        method = f'''    def {add}(self, amount: int) -> "{thing}":
        """A new {thing} with `amount` more {unit}; the original is unchanged (the dataclass is frozen)."""
        if amount < 0:
            raise ValueError("amount must be non-negative")
        return replace(self, {qty}=self.{qty} + amount)'''
        restock_test = (f"def test_{add}_returns_a_new_{thing.lower()}():\n    item = {thing}('x', 2.5, 1)\n"
                        f"    bigger = item.{add}({amount})\n    assert bigger.{qty} == {1 + amount}\n"
                        f"    assert item.{qty} == 1\n")
    else:
        method = f'''    def {add}(self, amount: int) -> None:
        """Add `amount` {unit}; a negative amount would be a sale, not a delivery."""
        if amount < 0:
            raise ValueError("amount must be non-negative")
        self.{qty} += amount'''
        restock_test = (f"def test_{add}_adds():\n    item = {thing}('x', 2.5, 1)\n    item.{add}({amount})\n"
                        f"    assert item.{qty} == {1 + amount}\n")
    imports = "from dataclasses import dataclass, replace" if frozen else "from dataclasses import dataclass"
    module = f'''"""Stock records for a {shop}, built on dataclasses."""

{imports}


@dataclass{"(frozen=True)" if frozen else ""}
class {thing}:
    """One line of stock: the {label.replace("_", " ")}, a {price.replace("_", " ")} and how many {unit} there are."""

    {label}: str
    {price}: float
    {qty}: int = 0

{method}

    @property
    def value(self) -> float:
        return self.{price} * self.{qty}


def {total_fn}(items: list[{thing}]) -> float:
    """What all the stock is worth, rounded to cents."""
    return round(sum(item.value for item in items), 2)
'''
    tests = _tests(
        [thing, total_fn],
        f"STOCK = {items!r}\n\n\ndef make():\n    return [{thing}(*row) for row in STOCK]\n",
        f"def test_{total_fn}():\n    assert {total_fn}(make()) == pytest.approx({total})\n",
        restock_test,
        _raises(f"{add}_rejects_negative", f"{thing}('x', 1.0).{add}(-1)"),
        f"def test_empty_{shop.split()[-1].replace('-', '_')}_is_worth_nothing():\n    assert {total_fn}([]) == 0\n")
    explanation = _explain(
        rng,
        [f"A {shop} keeps a list of {thing.lower()}s, each with a {label.replace('_', ' ')}, a "
         f"{price.replace('_', ' ')} and a number of {unit}. A `@dataclass` turns that description into a class: "
         "from the annotated fields it writes `__init__`, `__repr__` and `__eq__` for us.",
         f"Before writing methods, write down the data. For a {shop} one record is a `{thing}` with three fields, "
         f"and `@dataclass` generates the boilerplate (constructor, readable repr, equality) from them.",
         f"Dataclasses are Python's answer to 'I just need a record with a few fields'. Here the record is a "
         f"`{thing}` in a {shop}'s stock list."],
        [f"`value` is a property rather than a stored field, so it can never disagree with `{price}` and "
         f"`{qty}`. `{total_fn}` then only has to add the values up and round to cents.",
         f"Behaviour that belongs to one item lives on the class (`{add}`, `value`); behaviour over the whole stock "
         f"(`{total_fn}`) is a plain function taking `list[{thing}]`."],
        [("Because the class is `frozen=True`, instances are immutable: "
          f"`{add}` uses `dataclasses.replace` to build a new {thing} instead of changing this one. That makes "
          "items safe to share and to use as dictionary keys.") if frozen else
         (f"`{add}` validates its argument: a negative delivery is almost certainly a bug, and raising "
          "`ValueError` makes it loud instead of quietly shrinking the stock."),
         "The tests build the stock from plain tuples, so the expected total can be checked by hand, and they "
         "cover the empty stock too."])
    exercises = _some(rng, [
        f"Add a `sell(amount)` method to `{thing}` that refuses to sell more {unit} than are in stock.",
        f"Add `order=True` to the dataclass and sort the stock by {label.replace('_', ' ')}.",
        f"Write `low_stock(items, threshold)` returning the {label.replace('_', ' ')}s that need reordering.",
        f"Give `{thing}` a `__post_init__` that rejects a negative {price.replace('_', ' ')}.",
        "Load the stock from a CSV file with `csv.DictReader`.",
    ])
    return Lesson(f"dataclasses, with the stock of a {shop}", explanation, module, tests, exercises,
                  {"template": "inventory", "thing": thing, "frozen": frozen})


WINDOW_SCENES = [
    ("readings", "a temperature sensor"), ("samples", "an audio signal"), ("prices", "a stock ticker"),
    ("steps", "a pedometer"), ("visits", "a web page's hourly visitors"), ("bytes_read", "a network socket"),
    ("laps", "a runner's lap times"), ("rainfall", "a weather station"),
]


def _lesson_windows(rng: random.Random) -> Lesson:
    kind = rng.choice(["chunked", "sliding_windows", "running_totals", "pairwise_deltas"])
    data_name, source = rng.choice(WINDOW_SCENES)
    fn = {"chunked": rng.choice(["chunked", "batches", "in_groups"]),
          "sliding_windows": rng.choice(["sliding_windows", "windows", "neighbourhoods"]),
          "running_totals": rng.choice(["running_totals", "cumulative", "prefix_sums"]),
          "pairwise_deltas": rng.choice(["deltas", "changes", "differences"])}[kind]
    data = [rng.randint(-9, 20) for _ in range(rng.randint(5, 9))]
    size = rng.randint(2, 3)
    if kind == "chunked":
        expected: list = [data[i:i + size] for i in range(0, len(data), size)]
        sig, ret = f"{data_name}: list[int], size: int", "Iterator[list[int]]"
        body = (f"    for start in range(0, len({data_name}), size):\n"
                f"        yield {data_name}[start:start + size]")
        doc = "Yield consecutive groups of `size` items; the last group may be shorter."
        call, empty = f"{fn}({data!r}, {size})", f"{fn}([], 2)"
        idea = (f"`{fn}` cuts the {data_name} from {source} into groups of `size`, for example to send them in "
                "batches. Slicing past the end of a list is safe in Python, which is why the last, shorter group "
                "needs no special case.")
    elif kind == "sliding_windows":
        expected = [data[i:i + size] for i in range(len(data) - size + 1)]
        sig, ret = f"{data_name}: list[int], size: int", "Iterator[list[int]]"
        body = (f"    for start in range(len({data_name}) - size + 1):\n"
                f"        yield {data_name}[start:start + size]")
        doc = "Yield every run of `size` neighbouring items, left to right."
        call, empty = f"{fn}({data!r}, {size})", f"{fn}([], 2)"
        idea = (f"`{fn}` looks at the {data_name} from {source} through a window of `size` items that slides one "
                "step at a time, the basis of moving averages and smoothing. A list of n items has n - size + 1 "
                "windows; when that is zero or negative, `range` is simply empty.")
    elif kind == "running_totals":
        expected, acc = [], 0
        for x in data:
            acc += x
            expected.append(acc)
        sig, ret = f"{data_name}: list[int]", "Iterator[int]"
        body = f"    total = 0\n    for item in {data_name}:\n        total += item\n        yield total"
        doc = "Yield the sum of the items seen so far, once per item."
        call, empty = f"{fn}({data!r})", f"{fn}([])"
        idea = (f"`{fn}` turns the {data_name} from {source} into a running total. The generator keeps one "
                "number of state between `yield`s, which is all a running total needs.")
    else:
        expected = [b - a for a, b in zip(data, data[1:], strict=False)]
        sig, ret = f"{data_name}: list[int]", "Iterator[int]"
        body = (f"    previous = None\n    for item in {data_name}:\n        if previous is not None:\n"
                "            yield item - previous\n        previous = item")
        doc = "Yield how much each item differs from the one before it (n items give n - 1 differences)."
        call, empty = f"{fn}({data!r})", f"{fn}([])"
        idea = (f"`{fn}` reports how the {data_name} from {source} change from one item to the next. It "
                "remembers only the previous item, so it works on a stream of any length.")
    guard = "    if size < 1:\n        raise ValueError(\"size must be at least 1\")\n" if "size" in sig else ""
    module = f'''"""Processing the {data_name.replace("_", " ")} of {source} lazily, with a generator."""

from collections.abc import Iterator


def {fn}({sig}) -> {ret}:
    """{doc}"""
{guard}{body}
'''
    blocks = [f"def test_{fn}_values():\n    assert list({call}) == {expected!r}\n",
              f"def test_{fn}_is_lazy():\n    assert isinstance({call}, types.GeneratorType)\n",
              f"def test_{fn}_of_nothing():\n    assert list({empty}) == []\n"]
    if guard:
        blocks.append(_raises(f"{fn}_rejects_size_zero", f"list({fn}([1, 2], 0))"))
    tests = _tests([fn], *blocks, imports=("import types",))
    explanation = _explain(
        rng,
        [idea],
        ["A function with `yield` in it is a generator: calling it runs nothing yet, it returns an iterator, and "
         "each `next()` resumes the body until the following `yield`. The caller decides how much to consume.",
         "Why a generator and not a list? The values are produced one at a time, so memory stays constant however "
         "long the input is, and a caller that only needs the first few values never pays for the rest.",
         "Generators keep their local variables alive between values. That is what makes them a natural fit for "
         "stream processing: the state lives in ordinary variables, not in a hand-written class."],
        ["" if not guard else "A `size` below 1 would loop forever or yield nothing useful, so it raises. Note "
         "the test wraps the call in `list(...)`: a generator's body, guard included, only runs when iterated.",
         "The laziness test checks the type, `types.GeneratorType`, instead of timing anything.",
         "`list(...)` in the tests forces the generator to run to the end so its output can be compared."])
    exercises = _some(rng, [
        f"Make `{fn}` accept any iterable, not only a list (hint: `itertools.islice` or a `deque`).",
        f"Write `{fn}` again with functions from `itertools` and compare the two.",
        f"Chain two generators: feed `{fn}` into another generator that keeps only positive values.",
        "Write a moving average on top of a sliding window generator.",
        "Explain what happens if the caller stops iterating halfway (try `break` in a for loop).",
    ])
    return Lesson(f"generators: `{fn}` over {data_name.replace('_', ' ')}", explanation, module, tests, exercises,
                  {"template": "windows", "kind": kind, "scene": data_name})


KV_SCENES = [
    ("parse_settings", "settings", ["host", "port", "user", "mode", "timeout", "retries"], "a config string"),
    ("parse_headers", "headers", ["accept", "origin", "referer", "agent", "encoding", "language"], "HTTP-like headers"),
    ("parse_query", "params", ["page", "sort", "filter", "limit", "lang", "query"], "a URL query string"),
    ("parse_tags", "tags", ["artist", "album", "year", "genre", "track", "label"], "audio file tags"),
    ("parse_labels", "labels", ["env", "team", "region", "tier", "owner", "service"], "cloud resource labels"),
    ("parse_cookie", "cookie", ["session", "theme", "consent", "locale", "cart", "visitor"], "a browser cookie"),
]
KV_VALUES = ["alpha", "on", "debug", "x1", "north", "blue", "eu", "fast", "draft", "gold", "json", "night"]


def _lesson_parse_kv(rng: random.Random) -> Lesson:
    fn, result, keys_pool, what = rng.choice(KV_SCENES)
    pair_sep = rng.choice([";", ",", "&", "|"])
    kv_sep = rng.choice(["=", ":"])
    keys = rng.sample(keys_pool, 3)
    values = rng.sample(KV_VALUES, 3)
    text = pair_sep.join(f" {k} {kv_sep} {v} " if i == 0 else f"{k}{kv_sep}{v}"
                         for i, (k, v) in enumerate(zip(keys, values, strict=True)))
    expected = dict(zip(keys, values, strict=True))
    partition = rng.random() < 0.5
    split_line = (f"        key, found, value = pair.partition({kv_sep!r})\n        if not found:\n"
                  if partition else
                  f"        if {kv_sep!r} not in pair:\n")
    after = "" if partition else f"        key, value = pair.split({kv_sep!r}, 1)\n"
    module = f'''"""Parse {what} written as `key{kv_sep}value` pairs separated by {pair_sep!r}."""


def {fn}(text: str) -> dict[str, str]:
    """Turn 'a{kv_sep}1{pair_sep}b{kv_sep}2' into {{'a': '1', 'b': '2'}}; blanks around keys and values are ignored.

    Raises ValueError naming the first malformed pair, because silently skipping it hides typos.
    """
    {result}: dict[str, str] = {{}}
    for pair in text.split({pair_sep!r}):
        if not pair.strip():
            continue
{split_line}            raise ValueError(f"malformed pair: {{pair.strip()!r}}")
{after}        if not key.strip():
            raise ValueError(f"empty key in {{pair.strip()!r}}")
        {result}[key.strip()] = value.strip()
    return {result}
'''
    tests = _tests(
        [fn],
        f"def test_{fn}_example():\n    assert {fn}({text!r}) == {expected!r}\n",
        f"def test_{fn}_empty_text():\n    assert {fn}('') == {{}}\n",
        _raises(f"{fn}_malformed_pair", f"{fn}('novalue')", match="malformed"),
        _raises(f"{fn}_empty_key", f"{fn}('{kv_sep}x')", match="empty key"),
        f"def test_{fn}_last_duplicate_wins():\n    assert {fn}('a{kv_sep}1{pair_sep}a{kv_sep}2') == {{'a': '2'}}\n",
        f"def test_{fn}_value_may_contain_separator():\n    assert {fn}('k{kv_sep}a{kv_sep}b') == {{'k': 'a{kv_sep}b'}}\n")
    how = (f"`str.partition({kv_sep!r})` splits at the first {kv_sep!r} and also tells us whether it found one, "
           "so a missing separator is detected without a second search." if partition else
           f"`split({kv_sep!r}, 1)` splits at the first {kv_sep!r} only, so a value may itself contain "
           f"{kv_sep!r}; checking `in` first lets us name the malformed pair.")
    explanation = _explain(
        rng,
        [f"{what[0].upper() + what[1:]} often arrives as one line of text such as `{text.strip()}`. `{fn}` turns "
         "it into a dictionary in two passes of splitting: first into pairs, then each pair into key and value.",
         f"Parsing is easiest when you split from the outside in. For {what}, the outer separator is "
         f"{pair_sep!r} and the inner one is {kv_sep!r}.",
         f"Here is a small parser for {what}. It is deliberately strict: a pair without {kv_sep!r} or with an "
         "empty key is an error, reported with the offending text."],
        [how, f"Whitespace is stripped from keys and values but not from inside them, and empty pairs (a trailing "
              f"{pair_sep!r}) are skipped. {how}"],
        ["When a key repeats, the later value wins, which is how most config formats behave; a test pins that "
         "down so it cannot change by accident.",
         "Good parsers fail loudly: the error message quotes the malformed pair so the user can find the typo.",
         ""])
    exercises = _some(rng, [
        "Convert values that look like integers to `int` automatically.",
        "Support quoted values that contain the pair separator.",
        "Collect repeated keys into a list instead of keeping the last value.",
        f"Write the inverse, `format_{result}(mapping) -> str`, and test that parsing its output round-trips.",
        "Report every malformed pair at once instead of stopping at the first.",
    ])
    return Lesson(f"parsing {what} into a dict", explanation, module, tests, exercises,
                  {"template": "parse_kv", "fn": fn, "partition": partition})


DURATION_SCENES = [
    ("parse_duration", {"h": 3600, "m": 60, "s": 1}, "seconds", "a timer"),
    ("cooking_time", {"h": 60, "m": 1}, "minutes", "a recipe's cooking time"),
    ("sprint_length", {"w": 7, "d": 1}, "days", "a project sprint"),
    ("parse_timeout", {"m": 60000, "s": 1000, "ms": 1}, "milliseconds", "a network timeout"),
    ("rental_period", {"d": 24, "h": 1}, "hours", "a car rental"),
    ("video_length", {"h": 3600, "m": 60, "s": 1}, "seconds", "a video's running time"),
    ("parking_stay", {"d": 1440, "h": 60, "m": 1}, "minutes", "a parking ticket's stay"),
    ("sleep_log", {"h": 60, "m": 1}, "minutes", "a sleep tracker entry"),
    ("exposure_time", {"s": 1000, "ms": 1}, "milliseconds", "a camera exposure"),
    ("course_length", {"w": 5, "d": 1}, "teaching days", "a training course"),
    ("cache_ttl", {"d": 86400, "h": 3600, "m": 60, "s": 1}, "seconds", "a cache entry's time to live"),
]


def _lesson_duration(rng: random.Random) -> Lesson:
    fn, units, base, what = rng.choice(DURATION_SCENES)
    order = sorted(units, key=lambda u: -units[u])
    amounts = {u: rng.randint(0, 59 if units[u] > 1 else 99) for u in order}
    if not any(amounts.values()):
        amounts[order[-1]] = 1
    text = "".join(f"{v}{u}" for u, v in amounts.items() if v)
    total = sum(v * units[u] for u, v in amounts.items())
    alternation = "|".join(sorted(units, key=lambda u: (-len(u), u)))
    module = f'''"""Parse {what} like '{text}' into {base}, with a regular expression."""

import re

UNITS = {units!r}
TOKEN = re.compile(r"(\\d+)({alternation})")


def {fn}(text: str) -> int:
    """The number of {base} in a duration such as '{text}'; raises ValueError on anything else."""
    text = text.strip().lower()
    if not text or TOKEN.sub("", text):
        raise ValueError(f"not a duration: {{text!r}}")
    return sum(int(amount) * UNITS[unit] for amount, unit in TOKEN.findall(text))
'''
    single = [(f"'{n}{u}'", n * units[u]) for u, n in ((u, rng.randint(1, 9)) for u in order)]
    tests = _tests(
        [fn],
        f"def test_{fn}_example():\n    assert {fn}({text!r}) == {total}\n",
        _checks(rng, fn, single, f"{fn}_each_unit"),
        f'@pytest.mark.parametrize("bad", ["", "5x", {order[0]!r}, "1{order[0]} 2{order[-1]}", "-3{order[-1]}"])\n'
        f"def test_{fn}_rejects(bad):\n    with pytest.raises(ValueError):\n        {fn}(bad)\n")
    explanation = _explain(
        rng,
        [f"People write {what} as a compact string like `{text}`; programs want one number of {base}. `{fn}` "
         "bridges the two with a single regular expression.",
         f"Regular expressions shine at small, regular formats. {what[0].upper() + what[1:]} written as "
         f"amount-unit tokens (`{text}`) is exactly that.",
         f"Let us parse {what}. The units are {', '.join(order)}, and each is a multiple of {base}."],
        [f"The pattern `(\\d+)({alternation})` matches one amount and its unit; `findall` returns every "
         "(amount, unit) pair, and `UNITS` converts each to the base unit. "
         + ("Longer unit names come first in the alternation, so 'ms' is not read as 'm' followed by junk."
            if any(len(u) > 1 for u in units) else ""),
         "Validation is the clever part: removing every valid token with `TOKEN.sub('', text)` must leave "
         "nothing behind. Anything left over (a space, an unknown unit, a minus sign) means the input is not a "
         "duration, and we say so instead of guessing."],
        ["The tests check one example per unit, the combined example, and a list of inputs that must be rejected.",
         "Keeping the unit table in a dictionary means adding a unit is a one-line change, plus a test.",
         ""])
    exercises = _some(rng, [
        f"Write the inverse: `format_{base}(n) -> str` producing the shortest string that parses back to n.",
        "Allow spaces between tokens, like '1h 30m'.",
        "Reject a unit that appears twice, like '5m3m'.",
        "Return a `datetime.timedelta` instead of an int.",
        "Accept decimal amounts such as '1.5h'.",
    ])
    return Lesson(f"parsing {what} with regular expressions", explanation, module, tests, exercises,
                  {"template": "duration", "fn": fn})


SEARCH_SCENES = [
    ("page_numbers", "page", "a book index"), ("timestamps", "moment", "a log file"),
    ("prices", "price", "a sorted price list"), ("ids", "user_id", "a table of user ids"),
    ("heights", "height", "climbers sorted by height"), ("years", "year", "a timeline of events"),
    ("scores", "score", "an exam's sorted results"), ("zip_codes", "code", "a list of postal codes"),
]


def _lesson_binary_search(rng: random.Random) -> Lesson:
    seq, target, where = rng.choice(SEARCH_SCENES)
    variant = rng.choice(["index", "lower_bound", "contains"])
    data = sorted(rng.sample(range(0, 200), rng.randint(6, 12)))
    present = rng.choice(data)
    absent = next(x for x in rng.sample(range(201), 201) if x not in data)
    lo, hi = rng.choice([("lo", "hi"), ("low", "high"), ("left", "right")])
    if variant == "index":
        fn = rng.choice(["find", "index_of", "locate"])
        sig, ret = f"{seq}: list[int], {target}: int", "int"
        body = f'''    {lo}, {hi} = 0, len({seq}) - 1
    while {lo} <= {hi}:
        mid = ({lo} + {hi}) // 2
        if {seq}[mid] == {target}:
            return mid
        if {seq}[mid] < {target}:
            {lo} = mid + 1
        else:
            {hi} = mid - 1
    return -1'''
        doc = f"Index of `{target}` in sorted `{seq}`, or -1 when it is absent."
        cases = [(f"DATA, {x}", data.index(x)) for x in (present, data[0], data[-1])] + [(f"DATA, {absent}", -1)]
        empty = (f"[], {present}", -1)
    elif variant == "lower_bound":
        fn = rng.choice(["first_at_least", "insertion_point", "lower_bound"])
        sig, ret = f"{seq}: list[int], {target}: int", "int"
        body = f'''    {lo}, {hi} = 0, len({seq})
    while {lo} < {hi}:
        mid = ({lo} + {hi}) // 2
        if {seq}[mid] < {target}:
            {lo} = mid + 1
        else:
            {hi} = mid
    return {lo}'''
        doc = f"The first index whose item is >= `{target}` (len({seq}) if there is none), like bisect_left."
        probes = [present, absent, -1, 250]
        cases = [(f"DATA, {x}", sum(1 for d in data if d < x)) for x in probes]
        empty = (f"[], {present}", 0)
    else:
        fn = rng.choice(["contains", "has", "is_listed"])
        sig, ret = f"{seq}: list[int], {target}: int", "bool"
        body = f'''    {lo}, {hi} = 0, len({seq})
    while {lo} < {hi}:
        mid = ({lo} + {hi}) // 2
        if {seq}[mid] < {target}:
            {lo} = mid + 1
        else:
            {hi} = mid
    return {lo} < len({seq}) and {seq}[{lo}] == {target}'''
        doc = f"Whether `{target}` occurs in sorted `{seq}`, in O(log n) comparisons."
        cases = [(f"DATA, {present}", True), (f"DATA, {absent}", False), (f"DATA, {data[-1]}", True)]
        empty = (f"[], {present}", False)
    module = f'''"""Binary search in {where}."""


def {fn}({sig}) -> {ret}:
    """{doc}

    Each step halves the range still in play, so a million items need about twenty comparisons.
    """
{body}
'''
    tests = _tests(
        [fn],
        f"DATA = {data!r}\n",
        _checks(rng, fn, cases, f"{fn}_in_{seq}"),
        f"def test_{fn}_empty():\n    assert {fn}({empty[0]}) {'is' if isinstance(empty[1], bool) else '=='} "
        f"{empty[1]!r}\n",
        (f"def test_{fn}_agrees_with_bisect():\n    for x in range(-1, 202):\n"
         f"        assert {fn}(DATA, x) == bisect.bisect_left(DATA, x)\n") if variant == "lower_bound" else
        (f"def test_{fn}_every_item():\n    for i, x in enumerate(DATA):\n        assert {fn}(DATA, x) == i\n")
        if variant == "index" else
        f"def test_{fn}_agrees_with_in():\n    for x in range(-1, 202):\n        assert {fn}(DATA, x) == (x in DATA)\n",
        imports=("import bisect",) if variant == "lower_bound" else ())
    explanation = _explain(
        rng,
        [f"Looking something up in {where} one item at a time is slow when the list is long. Because the "
         f"{seq.replace('_', ' ')} are sorted, we can do much better: compare with the middle item and throw away "
         "the half that cannot contain the answer.",
         f"Binary search is the classic divide-and-conquer algorithm. Our data is {where}: sorted "
         f"{seq.replace('_', ' ')}, which is the one thing binary search requires.",
         f"`{fn}` answers a question about {where} in logarithmic time. The price is a precondition: the list "
         "must already be sorted."],
        [f"The loop keeps an interval `[{lo}, {hi}]` that must contain the answer if there is one. "
         f"`mid = ({lo} + {hi}) // 2` splits it; one comparison tells which half survives. The loop ends when the "
         "interval is empty.",
         f"The hardest part of binary search is the boundaries. Here `{hi}` is "
         + ("inclusive, so the loop runs while `lo <= hi` and moves past `mid` on both sides."
            if variant == "index" else "exclusive, so the loop runs while the interval is non-empty and `" + hi +
            " = mid` keeps `mid` as a candidate.")],
        ["The tests include the first and last items and an absent value: off-by-one errors show up exactly there.",
         "A brute-force check over every possible input compares the function with the obvious slow answer.",
         "An empty list is a legitimate input and must not raise."])
    exercises = _some(rng, [
        "Return the last occurrence when items repeat.",
        "Compare with the standard library's `bisect` module and use it where you can.",
        "Count how many comparisons the search makes and check the log2 bound.",
        "Make the function generic over any type that supports `<` using a `TypeVar`.",
        f"Search a list of records by a key (for example the {target.replace('_', ' ')} field of a dataclass).",
    ])
    return Lesson(f"binary search in {where} (`{fn}`)", explanation, module, tests, exercises,
                  {"template": "binary_search", "variant": variant, "scene": seq})


WORD_POOLS = {
    "a cooking blog": ["onion", "garlic", "butter", "pan", "salt", "simmer", "stir", "sauce", "oven", "pepper"],
    "a football report": ["goal", "keeper", "pass", "striker", "corner", "header", "referee", "match", "ball", "pitch"],
    "a space news feed": ["orbit", "rocket", "moon", "launch", "crew", "probe", "mars", "station", "signal", "star"],
    "a gardening forum": ["soil", "seed", "water", "rose", "compost", "shade", "leaf", "root", "bloom", "weed"],
    "a support inbox": ["login", "error", "password", "reset", "account", "email", "refund", "order", "crash", "help"],
    "a travel diary": ["train", "beach", "hotel", "museum", "market", "ferry", "hill", "cafe", "bridge", "rain"],
}


def _lesson_word_counts(rng: random.Random) -> Lesson:
    source = rng.choice(sorted(WORD_POOLS))
    pool = WORD_POOLS[source]
    words = [rng.choice(pool) for _ in range(rng.randint(12, 20))]
    text = " ".join(w.capitalize() if rng.random() < 0.3 else w for w in words) + "."
    k = rng.randint(2, 3)
    fn = rng.choice(["top_words", "most_common_words", "frequent_terms", "keyword_counts"])
    counts = Counter(re.findall(r"[a-z']+", text.lower()))
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    manual = rng.random() < 0.4
    count_block = ("    counts: dict[str, int] = {}\n    for word in re.findall(r\"[a-z']+\", text.lower()):\n"
                   "        counts[word] = counts.get(word, 0) + 1" if manual else
                   "    counts = Counter(re.findall(r\"[a-z']+\", text.lower()))")
    module = f'''"""Word frequencies for {source}{"" if manual else " with collections.Counter"}."""

import re
{"" if manual else "from collections import Counter"}


def {fn}(text: str, k: int) -> list[tuple[str, int]]:
    """The k most frequent words (case-insensitive); ties are broken alphabetically so results are stable."""
{count_block}
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:k]
'''.replace("import re\n\n\n\n", "import re\n\n\n")
    a, b, c = rng.sample(pool, 3)
    tests = _tests(
        [fn],
        f"TEXT = {text!r}\n",
        f"def test_{fn}_on_{source.split()[-1]}():\n    assert {fn}(TEXT, {k}) == {expected!r}\n",
        f"def test_{fn}_ties_alphabetical():\n    assert {fn}('{b} {a} {b} {a} {c}', 2) == "
        f"{sorted([(a, 2), (b, 2)])!r}\n",
        f"def test_{fn}_ignores_case():\n    assert {fn}('{a.upper()} {a}', 1) == [({a!r}, 2)]\n",
        f"def test_{fn}_empty():\n    assert {fn}('', 3) == []\n")
    explanation = _explain(
        rng,
        [f"Which words dominate {source}? `{fn}` answers that: lowercase the text, pull out the words with a "
         "regular expression, count them, and sort.",
         f"Counting things is one of the most common jobs in data processing. Here the things are words from "
         f"{source}, and the result is the k most frequent ones with their counts.",
         f"Let us build a tiny text-analysis tool for {source}: given some text, report its most frequent words."],
        [("A plain dictionary with `counts.get(word, 0) + 1` does the counting; `collections.Counter` would do "
          "the same in one line, and the exercises ask you to switch.") if manual else
         ("`Counter` does the counting in one call; it is a dict subclass, so `.items()` gives (word, count) "
          "pairs ready to sort."),
         "The regular expression `[a-z']+` keeps letters and apostrophes together (so \"don't\" stays one word) and "
         "treats everything else as a separator, including punctuation."],
        ["Sorting by the key `(-count, word)` puts the most frequent first and breaks ties alphabetically. Without "
         "the tie-break the order of equal counts would depend on insertion order, and the test would be fragile.",
         "Why not `Counter.most_common`? It breaks ties by first appearance; sorting explicitly makes the rule "
         "visible and testable."])
    exercises = _some(rng, [
        "Ignore a set of stop words such as 'the' and 'a'.",
        "Count bigrams (pairs of neighbouring words) too.",
        f"Read the text from a file and print a table of the results for {source}.",
        "Return relative frequencies (fractions of all words) instead of counts.",
        "Strip a trailing 's' so that plurals are counted with their singular.",
    ])
    return Lesson(f"counting words in {source}", explanation, module, tests, exercises,
                  {"template": "word_counts", "source": source, "manual": manual})


BRACKET_SCENES = [
    ("is_balanced", "expressions in a calculator", ["x", "+", "1"]),
    ("well_nested", "a templating language's tags", ["a", "b", " "]),
    ("check_brackets", "code typed into an editor", ["f", "i", ","]),
    ("brackets_match", "JSON-like data", ["k", "v", ":"]),
    ("valid_nesting", "regular expressions", ["a", "*", "?"]),
]


def _lesson_brackets(rng: random.Random) -> Lesson:
    fn, where, filler = rng.choice(BRACKET_SCENES)
    pairs = dict(rng.sample([("(", ")"), ("[", "]"), ("{", "}"), ("<", ">")], rng.randint(2, 3)))
    stack_name = rng.choice(["stack", "open_brackets", "pending", "expected"])
    pushes_closer = stack_name == "expected"

    def balanced(s: str) -> bool:
        closing = {v: k for k, v in pairs.items()}
        stack: list[str] = []
        for ch in s:
            if ch in pairs:
                stack.append(ch)
            elif ch in closing and (not stack or stack.pop() != closing[ch]):
                return False
        return not stack

    alphabet = "".join(pairs) + "".join(pairs.values()) + "".join(filler)
    cases = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(6)]
    o, c = next(iter(pairs.items()))
    cases += [o + c, o + o + c + c, c + o, o]
    if pushes_closer:
        loop = f'''    for ch in text:
        if ch in PAIRS:
            {stack_name}.append(PAIRS[ch])
        elif ch in CLOSERS:
            if not {stack_name} or {stack_name}.pop() != ch:
                return False'''
        head = f"PAIRS = {pairs!r}\nCLOSERS = set(PAIRS.values())"
    else:
        loop = f'''    for ch in text:
        if ch in PAIRS:
            {stack_name}.append(ch)
        elif ch in OPENER_OF:
            if not {stack_name} or {stack_name}.pop() != OPENER_OF[ch]:
                return False'''
        head = f"PAIRS = {pairs!r}\nOPENER_OF = {{close: open_ for open_, close in PAIRS.items()}}"
    module = f'''"""Balanced brackets in {where}, checked with a stack."""

{head}


def {fn}(text: str) -> bool:
    """True when every bracket in PAIRS is closed by its partner in the right order; other characters are ignored."""
    {stack_name}: list[str] = []
{loop}
    return not {stack_name}
'''
    tests = _tests([fn], _checks(rng, fn, [(repr(s), balanced(s)) for s in cases], f"{fn}_cases"),
                   f"def test_{fn}_empty_text():\n    assert {fn}('') is True\n",
                   f"def test_{fn}_ignores_other_characters():\n    assert {fn}({filler[0] + o + filler[1] + c!r}) is True\n"
                   f"    assert {fn}({filler[0] + c + o!r}) is False\n")
    explanation = _explain(
        rng,
        [f"Are the brackets in {where} balanced? Counting is not enough: `{o}{c}` and `{c}{o}` have the same "
         "counts, and mixed kinds must also nest properly. What we need is memory of the order things were opened.",
         f"A stack (last in, first out) is exactly the structure for nesting. `{fn}` uses a Python list as one: "
         "`append` pushes, `pop` removes the most recent item.",
         f"This lesson checks bracket nesting in {where}, a small problem that shows why stacks exist."],
        [("Instead of remembering the opening bracket, the stack stores the closer we *expect* next; a closing "
          "bracket must then simply equal the top of the stack.") if pushes_closer else
         ("`OPENER_OF` maps each closing bracket to its opener, so when a closer arrives we pop the most recent "
          "opener and compare."),
         "Three things can go wrong: a closer with nothing open, a closer of the wrong kind, and openers left "
         "over at the end. The function returns False in the first two cases and checks the third with "
         f"`return not {stack_name}`."],
        ["Characters that are not brackets are ignored, so the check works on real text.",
         "The test cases include random strings whose expected answers come from an independent reference, plus "
         "the classic hand-written cases."])
    exercises = _some(rng, [
        "Return the index of the first error instead of a bool.",
        "Ignore brackets inside quoted strings.",
        "Report the deepest nesting level reached.",
        "Write a function that repairs a string by appending the missing closers.",
    ])
    return Lesson(f"checking bracket nesting in {where} with a stack", explanation, module, tests, exercises,
                  {"template": "brackets", "pairs": "".join(pairs), "closer_stack": pushes_closer})


PLAINTEXTS = ["Hello, World!", "attack at dawn", "Python 3.11 rocks", "Keep it Simple", "zebra crossing",
              "Meet me by the old oak tree", "The owl flies at midnight", "Bring snacks and a torch",
              "Quiet hours start at ten", "Launch code: Blue Falcon", "Treasure under the third stone",
              "Lunch is on Friday"]


def _lesson_caesar(rng: random.Random) -> Lesson:
    shift = rng.randint(1, 25)
    plain = rng.choice(PLAINTEXTS)
    enc_name, dec_name = rng.choice([("encrypt", "decrypt"), ("encode", "decode"), ("scramble", "unscramble"),
                                     ("hide", "reveal"), ("rotate_text", "unrotate_text")])
    variant = rng.choice(["index", "ord", "translate"])

    def enc(s: str, k: int) -> str:
        out = []
        for ch in s:
            if ch.isascii() and ch.isalpha():
                base = ord("A") if ch.isupper() else ord("a")
                out.append(chr((ord(ch) - base + k) % 26 + base))
            else:
                out.append(ch)
        return "".join(out)

    if variant == "index":
        helpers = '''import string


def shift_letter(ch: str, shift: int) -> str:
    """Shift one ASCII letter, keeping its case; any other character comes back unchanged."""
    for alphabet in (string.ascii_lowercase, string.ascii_uppercase):
        if ch in alphabet:
            return alphabet[(alphabet.index(ch) + shift) % 26]
    return ch


'''
        body = "    return \"\".join(shift_letter(ch, shift) for ch in text)"
        how = "`shift_letter` finds the letter's position in the alphabet string and adds the shift modulo 26."
    elif variant == "ord":
        helpers = '''def shift_letter(ch: str, shift: int) -> str:
    """Shift one ASCII letter, keeping its case; any other character comes back unchanged."""
    if "a" <= ch <= "z":
        return chr((ord(ch) - ord("a") + shift) % 26 + ord("a"))
    if "A" <= ch <= "Z":
        return chr((ord(ch) - ord("A") + shift) % 26 + ord("A"))
    return ch


'''
        body = "    return \"\".join(shift_letter(ch, shift) for ch in text)"
        how = ("`ord` turns a letter into its code point and `chr` turns it back; subtracting `ord('a')` makes "
               "'a' zero, so `% 26` wraps 'z' around to 'a'.")
    else:
        helpers = '''import string

LOWER, UPPER = string.ascii_lowercase, string.ascii_uppercase


'''
        body = ("    k = shift % 26\n    table = str.maketrans(LOWER + UPPER, LOWER[k:] + LOWER[:k] + UPPER[k:] + "
                "UPPER[:k])\n    return text.translate(table)")
        how = ("`str.maketrans` builds the whole substitution table at once from a rotated alphabet, and "
               "`str.translate` applies it in C, which is much faster than a Python loop on long texts.")
    module = f'''"""The Caesar cipher: shift letters around the alphabet, keep everything else."""

{helpers}def {enc_name}(text: str, shift: int) -> str:
    """Shift each ASCII letter by `shift` places, wrapping z to a; case, digits and punctuation are kept."""
{body}


def {dec_name}(text: str, shift: int) -> str:
    """Undo `{enc_name}`: shifting back is shifting by the opposite amount."""
    return {enc_name}(text, -shift)
'''
    tests = _tests(
        [enc_name, dec_name],
        f"MESSAGE = {plain!r}\n",
        f"def test_{enc_name}():\n    assert {enc_name}(MESSAGE, {shift}) == {enc(plain, shift)!r}\n",
        f"def test_{dec_name}_round_trip():\n    assert {dec_name}({enc_name}(MESSAGE, {shift}), {shift}) == MESSAGE\n",
        f"def test_full_turn_is_identity():\n    assert {enc_name}(MESSAGE, 26) == MESSAGE\n",
        f"def test_wraps_around():\n    assert {enc_name}('xyz XYZ', 3) == 'abc ABC'\n")
    explanation = _explain(
        rng,
        [f"Julius Caesar reportedly hid messages by shifting every letter a fixed number of places. With a shift of "
         f"{shift}, {plain!r} becomes {enc(plain, shift)!r}. It is no protection today, but it is a perfect "
         "exercise in character arithmetic.",
         f"We will write `{enc_name}` and `{dec_name}` for the Caesar cipher. The only real question is how to "
         "wrap past 'z' back to 'a', and modular arithmetic answers it.",
         "A cipher is a pair of functions that undo each other. The Caesar cipher is the simplest one: rotate the "
         "alphabet."],
        [how],
        [f"Decryption needs no code of its own: `{dec_name}` calls `{enc_name}` with the opposite shift, and the "
         "round-trip test checks that the two really are inverses.",
         "Only ASCII letters move; digits, spaces and punctuation pass through, and upper case stays upper case.",
         "A shift of 26 is a full turn and must change nothing, which makes a neat extra test."])
    exercises = _some(rng, [
        "Break the cipher by trying all 26 shifts and scoring how English each result looks.",
        "Extend it to a Vigenère cipher, where the shift changes with each letter of a key.",
        "Shift digits too, modulo 10.",
        "Write a ROT13 function and show that applying it twice gives the original text.",
    ])
    return Lesson(f"the Caesar cipher with `{enc_name}`/`{dec_name}`", explanation, module, tests, exercises,
                  {"template": "caesar", "shift": shift, "variant": variant})


RLE_SCENES = [
    ("pixels", "a row of pixels in a black-and-white image", "bw"), ("bases", "a DNA fragment", "acgt"),
    ("weather", "a month of daily weather codes (s=sun, r=rain, c=cloud)", "src"),
    ("moves", "a robot's moves (l, r, f)", "lrf"), ("votes", "a sequence of yes/no votes", "yn"),
    ("tiles", "a row of floor tiles", "abc"),
]


def _lesson_rle(rng: random.Random) -> Lesson:
    data_name, what, alphabet = rng.choice(RLE_SCENES)
    text = "".join(rng.choice(alphabet) * rng.randint(1, 4) for _ in range(rng.randint(3, 6)))
    runs, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and text[j] == text[i]:
            j += 1
        runs.append((text[i], j - i))
        i = j
    compact = rng.random() < 0.5
    enc, dec = rng.choice([("encode", "decode"), ("compress", "expand"), ("pack", "unpack"),
                           ("to_runs", "from_runs")])
    if compact:
        encoded: Any = "".join(f"{n}{ch}" for ch, n in runs)
        module = f'''"""Run-length encoding of {what}, as a compact string like '3a1b'."""

import re
from itertools import groupby

RUN = re.compile(r"(\\d+)(\\D)")


def {enc}({data_name}: str) -> str:
    """'aaab' -> '3a1b': each run of a repeated character becomes its length followed by the character."""
    return "".join(f"{{len(list(group))}}{{ch}}" for ch, group in groupby({data_name}))


def {dec}(encoded: str) -> str:
    """Expand '3a1b' back to 'aaab'; raises ValueError on text that is not an encoding."""
    if RUN.sub("", encoded):
        raise ValueError(f"not run-length encoded: {{encoded!r}}")
    return "".join(ch * int(count) for count, ch in RUN.findall(encoded))
'''
        extra = _raises(f"{dec}_rejects_garbage", f"{dec}('a3')")
        how = ("The encoded form is a string: a count then a character. Decoding uses a regular expression, "
               "`(\\d+)(\\D)`, so counts above 9 work, and rejects anything that is not made of such pairs.")
    else:
        encoded = runs
        module = f'''"""Run-length encoding of {what}: store each run of a repeated character once, with its length."""

from itertools import groupby


def {enc}({data_name}: str) -> list[tuple[str, int]]:
    """'aaab' -> [('a', 3), ('b', 1)]."""
    return [(ch, len(list(group))) for ch, group in groupby({data_name})]


def {dec}(runs: list[tuple[str, int]]) -> str:
    """The inverse of `{enc}`: repeat each character by its count."""
    return "".join(ch * count for ch, count in runs)
'''
        extra = ""
        how = ("The encoded form is a list of (character, count) tuples: easy to inspect and impossible to "
               "misparse, at the price of being larger than a compact string.")
    tests = _tests(
        [enc, dec],
        f"def test_{enc}_{data_name}():\n    assert {enc}({text!r}) == {encoded!r}\n",
        f"def test_{dec}_round_trip():\n    assert {dec}({enc}({text!r})) == {text!r}\n",
        f"def test_{enc}_long_run():\n    assert {dec}({enc}('{alphabet[0]}' * 12)) == '{alphabet[0]}' * 12\n",
        f"def test_empty():\n    assert {enc}('') == {'' if compact else []!r}\n    assert {dec}({'' if compact else []!r}) == ''\n",
        extra)
    explanation = _explain(
        rng,
        [f"Data such as {what} often repeats the same symbol many times in a row. Run-length encoding stores each "
         f"run once with its length, so {text!r} becomes {encoded!r}.",
         f"Run-length encoding (RLE) is one of the oldest compression schemes, still used in fax machines and some "
         f"image formats. We apply it to {what}.",
         f"Here we write `{enc}` and `{dec}` for {what}: a tiny compressor and its inverse."],
        ["`itertools.groupby` does the hard part: it yields each run of equal neighbouring items as one group, so "
         "the length of the group is the run length.",
         "Without `groupby` you would scan with two indices, extending the run while the next character matches; "
         "`groupby` packages that loop."],
        [how],
        ["The round-trip test is the most valuable one for any encoder: whatever the details, decoding must give "
         "back exactly the original.",
         "RLE can make data larger when runs are short (every single character costs a count too); one exercise "
         "asks you to measure that."])
    exercises = _some(rng, [
        "Measure the compression ratio and find inputs where RLE makes the data bigger.",
        "Encode runs longer than 9 as several runs so that every count is one digit.",
        f"Make `{enc}` work on any iterable of hashable items, not only strings.",
        "Write a property test: for random strings, decoding the encoding returns the input.",
    ])
    return Lesson(f"run-length encoding of {what}", explanation, module, tests, exercises,
                  {"template": "rle", "compact": compact, "scene": data_name})


FIZZ_WORDS = [(3, "Fizz"), (5, "Buzz"), (7, "Bazz"), (4, "Quux"), (2, "Pip"), (6, "Zap"), (9, "Bop"), (11, "Zing")]


def _lesson_fizzbuzz(rng: random.Random) -> Lesson:
    rules = sorted(rng.sample(FIZZ_WORDS, rng.choice([2, 2, 3])))
    n = rng.randint(12, 24)
    fn, game = rng.choice([("say", "play"), ("label", "labels"), ("call_out", "game"), ("shout", "round_of")])
    layout = rng.choice(["join", "loop"])

    def say(i: int) -> str:
        return "".join(w for d, w in rules if i % d == 0) or str(i)

    if layout == "join":
        body = ("    words = \"\".join(word for divisor, word in rules if number % divisor == 0)\n"
                "    return words or str(number)")
    else:
        body = ("    words = \"\"\n    for divisor, word in rules:\n        if number % divisor == 0:\n"
                "            words += word\n    return words if words else str(number)")
    module = f'''"""FizzBuzz, generalised: the rules are data, not an if-chain."""

RULES: tuple[tuple[int, str], ...] = {tuple(rules)!r}


def {fn}(number: int, rules: tuple[tuple[int, str], ...] = RULES) -> str:
    """The words of every rule whose divisor divides `number`, in rule order, or the number itself."""
{body}


def {game}(limit: int) -> list[str]:
    """What is said for 1, 2, ..., limit."""
    return [{fn}(i) for i in range(1, limit + 1)]
'''
    product = 1
    for d, _ in rules:
        product *= d
    tests = _tests(
        [fn, game],
        f"def test_{game}():\n    assert {game}({n}) == {[say(i) for i in range(1, n + 1)]!r}\n",
        _checks(rng, fn, [(str(product), say(product)), (str(rules[0][0]), say(rules[0][0])), ("1", "1")],
                f"{fn}_numbers"),
        f"def test_{fn}_custom_rules():\n    assert {fn}(6, ((2, 'a'), (3, 'b'))) == 'ab'\n",
        f"def test_{game}_zero():\n    assert {game}(0) == []\n")
    rule_text = ", ".join(f"{w} for multiples of {d}" for d, w in rules)
    explanation = _explain(
        rng,
        [f"FizzBuzz is a counting game: say the number, unless a rule replaces it with a word. Our rules are "
         f"{rule_text}; when several apply, their words are joined.",
         f"The usual FizzBuzz solution is a chain of ifs, and it gets messy as soon as a rule is added. This "
         f"version ({rule_text}) keeps the rules in a tuple instead.",
         "Most people have written FizzBuzz; fewer have written it so that new rules cost nothing. That is the "
         "point of this lesson."],
        [f"`{fn}` walks the rules in order and collects the words whose divisor divides the number; "
         + ("`str.join` over a generator expression does it in one line."
            if layout == "join" else "a plain loop that appends to a string keeps each step visible.")
         + " An empty result falls back to the number itself (`words or str(number)`).",
         f"The rules are a default argument, so `{fn}` uses the game's rules unless a test passes its own. The "
         "default is a tuple, which is immutable: a mutable default list would be shared between calls."],
        [f"`{game}` is just a list comprehension over `{fn}`; keeping the per-number logic separate makes it "
         "easy to test in isolation.",
         "Adding a rule is now a one-line change to `RULES`, with no new branches to get wrong."])
    exercises = _some(rng, [
        "Add a rule that triggers when the number *contains* a digit, not only when it divides.",
        f"Turn `{game}` into a generator that can run forever.",
        "Read the rules from a string like '3:Fizz,5:Buzz'.",
        "Let rules carry a priority so that one word can replace the others instead of joining them.",
    ])
    return Lesson(f"data-driven FizzBuzz ({', '.join(w for _, w in rules)})", explanation, module, tests, exercises,
                  {"template": "fizzbuzz", "rules": ",".join(f"{d}:{w}" for d, w in rules), "layout": layout})


RECURRENCE_SCENES = [
    ("rabbits", "a rabbit population where each month adds the previous {order} months' litters"),
    ("staircase", "the ways to climb a staircase taking 1 to {order} steps at a time"),
    ("tiles", "the ways to tile a strip with pieces of length 1 to {order}"),
    ("relay", "a message relay where each round forwards the last {order} rounds' messages"),
    ("echoes", "echoes in a canyon, each the sum of the previous {order}"),
]


def _lesson_recurrence(rng: random.Random) -> Lesson:
    order = rng.choice([2, 3, 4])
    scene, story = rng.choice(RECURRENCE_SCENES)
    story = story.format(order=order)
    seeds = [rng.randint(0, 3) for _ in range(order)]
    seeds[-1] = max(seeds[-1], 1)
    name = f"{scene}_{rng.choice(['term', 'count', 'at'])}"
    seq = list(seeds)
    while len(seq) < 15:
        seq.append(sum(seq[-order:]))
    style = rng.choice(["cache", "dict", "iterative"])
    if style == "cache":
        module = f'''"""{story[0].upper() + story[1:]}: a recurrence, memoised with functools.cache."""

from functools import cache

SEEDS = {tuple(seeds)!r}


@cache
def {name}(n: int) -> int:
    """Term n: the seeds first, then each term is the sum of the previous {order}."""
    if n < 0:
        raise ValueError("n must be non-negative")
    if n < len(SEEDS):
        return SEEDS[n]
    return sum({name}(n - k) for k in range(1, {order + 1}))
'''
        how = ("Naive recursion recomputes the same terms again and again (the call tree grows exponentially). "
               "`@cache` stores every result, so each term is computed once.")
        big = 300
    elif style == "dict":
        module = f'''"""{story[0].upper() + story[1:]}: a recurrence, memoised by hand with a dictionary."""

SEEDS = {tuple(seeds)!r}
_known: dict[int, int] = dict(enumerate(SEEDS))


def {name}(n: int) -> int:
    """Term n: the seeds first, then each term is the sum of the previous {order}."""
    if n < 0:
        raise ValueError("n must be non-negative")
    if n not in _known:
        _known[n] = sum({name}(n - k) for k in range(1, {order + 1}))
    return _known[n]
'''
        how = ("A module-level dictionary remembers every term computed so far; before recursing, we look there "
               "first. This is what `functools.cache` does for you, written out.")
        big = 300
    else:
        module = f'''"""{story[0].upper() + story[1:]}: a recurrence computed bottom-up."""

SEEDS = {tuple(seeds)!r}


def {name}(n: int) -> int:
    """Term n: the seeds first, then each term is the sum of the previous {order}."""
    if n < 0:
        raise ValueError("n must be non-negative")
    window = list(SEEDS)
    if n < len(window):
        return window[n]
    for _ in range(n - len(window) + 1):
        window = window[1:] + [sum(window)]
    return window[-1]
'''
        how = (f"Instead of recursing down from n, the loop walks up from the seeds keeping only the last {order} "
               "terms: O(n) time, O(1) extra memory, and no recursion limit.")
        big = 2000
    tests = _tests(
        [name],
        f"def test_{name}_first_terms():\n    assert [{name}(i) for i in range(15)] == {seq!r}\n",
        f"def test_{name}_large_n_is_fast():\n    assert {name}({big}) > {name}({big - 1})\n",
        _raises(f"{name}_negative", f"{name}(-1)"))
    explanation = _explain(
        rng,
        [f"Model {story}. Each term depends only on the {order} before it, and the first {order} are given "
         f"(the seeds {tuple(seeds)!r}). That is a recurrence, like Fibonacci's.",
         f"Recurrences turn up everywhere in counting problems. Ours: {story}.",
         f"`{name}(n)` computes term n of a recurrence: {story}."],
        [how],
        ["The test on a large n would take longer than the age of the universe with plain recursion; it passes "
         "instantly here.",
         "The terms grow exponentially, which Python's arbitrary-precision integers handle without overflow.",
         "Negative indices make no sense for a sequence, so they raise instead of recursing forever."])
    exercises = _some(rng, [
        "Rewrite it in another of the three styles (recursive with `@cache`, hand-made memo, bottom-up loop).",
        "Find where plain recursion (no memo) becomes too slow, and explain why with the call tree.",
        "Generalise the function to take the seeds as an argument.",
        f"Make a generator that yields the terms of the {scene} sequence forever.",
    ])
    return Lesson(f"recurrences and memoisation: {scene}", explanation, module, tests, exercises,
                  {"template": "recurrence", "order": order, "style": style, "scene": scene})


PALINDROME_PHRASES = ["A man, a plan, a canal: Panama", "Was it a car or a cat I saw?", "No lemon, no melon",
                      "Never odd or even", "Step on no pets", "Madam, in Eden, I'm Adam", "Eva, can I see bees in a cave?",
                      "Mr. Owl ate my metal worm", "Do geese see God?", "Top spot", "Race car", "Red rum, sir, is murder"]
NOT_PALINDROMES = ["Hello there", "Palindromes are fun", "Python rocks", "Almost a palindrome", "Open the pod doors",
                   "Tea for two", "Level up", "Stats and facts"]


def _lesson_palindrome(rng: random.Random) -> Lesson:
    fn = rng.choice(["is_palindrome", "reads_same_backwards", "is_mirror_phrase"])
    clean = rng.choice(["normalise", "letters_only", "canonical", "squeeze"])
    variant = rng.choice(["reverse", "two_pointers"])
    yes = rng.sample(PALINDROME_PHRASES, 3)
    no = rng.sample(NOT_PALINDROMES, 2)

    def norm(s: str) -> str:
        return "".join(ch.lower() for ch in s if ch.isalnum())

    if variant == "reverse":
        check = f"    letters = {clean}(text)\n    return letters == letters[::-1]"
        how = ("Once the text is normalised, the check is one comparison with its reverse, `letters[::-1]`: a slice "
               "with step -1 walks the string backwards.")
    else:
        check = (f"    letters = {clean}(text)\n    left, right = 0, len(letters) - 1\n    while left < right:\n"
                 "        if letters[left] != letters[right]:\n            return False\n"
                 "        left += 1\n        right -= 1\n    return True")
        how = ("Two indices walk towards each other from both ends, comparing as they go; the first mismatch ends "
               "the search early, and no reversed copy is built.")
    module = f'''"""Palindromes: phrases that read the same forwards and backwards, ignoring case and punctuation."""


def {clean}(text: str) -> str:
    """Lowercase letters and digits of `text`, in order; everything else is dropped."""
    return "".join(ch.lower() for ch in text if ch.isalnum())


def {fn}(text: str) -> bool:
    """True when `text` reads the same both ways once normalised; an empty phrase counts as a palindrome."""
{check}
'''
    tests = _tests(
        [fn, clean],
        f"def test_{clean}():\n    assert {clean}({yes[0]!r}) == {norm(yes[0])!r}\n",
        _checks(rng, fn, [(repr(s), True) for s in yes] + [(repr(s), norm(s) == norm(s)[::-1]) for s in no],
                f"{fn}_phrases"),
        f"def test_{fn}_single_character_and_empty():\n    assert {fn}('x')\n    assert {fn}('')\n    "
        f"assert {fn}('?!')\n")
    explanation = _explain(
        rng,
        [f"{yes[0]!r} is a palindrome, but only if you ignore spaces, punctuation and case. So the lesson has two "
         f"steps: `{clean}` reduces the text to what matters, and `{fn}` compares.",
         "Splitting a problem into 'clean the input' and 'answer the question' is a habit worth building early. "
         "Palindrome checking shows why: the comparison is trivial, the cleaning is where decisions are made.",
         f"Let us write `{fn}`, a check for palindromic phrases such as {yes[1]!r}."],
        [f"`{clean}` uses `str.isalnum`, which keeps letters and digits (including accented letters) and drops the "
         "rest; `lower()` removes case differences.", how],
        ["" if variant == "two_pointers" else how,
         "The edge cases are worth a test each: one character and the empty string are palindromes, and so is a "
         "string of pure punctuation, because nothing is left after cleaning."])
    exercises = _some(rng, [
        "Find the longest palindromic substring of a word.",
        f"Write `{fn}` recursively: compare the ends, then check the middle.",
        "Use `unicodedata` to treat 'é' and 'e' as the same letter.",
        "Return the position of the first mismatch instead of False.",
    ])
    return Lesson(f"checking palindromic phrases with `{fn}`", explanation, module, tests, exercises,
                  {"template": "palindrome", "variant": variant})


ANAGRAM_POOLS = [
    ["listen", "silent", "enlist", "google", "banana", "inlets", "tinsel"],
    ["evil", "vile", "live", "veil", "levi", "lives", "elvis"],
    ["stone", "notes", "onset", "tones", "store", "rotes", "forest", "foster", "softer"],
    ["race", "care", "acre", "heart", "earth", "hater", "cat", "act"],
    ["below", "elbow", "bowel", "state", "taste", "night", "thing", "dusty", "study"],
    ["angel", "glean", "angle", "players", "parsley", "replays", "sparely"],
]


def _lesson_anagrams(rng: random.Random) -> Lesson:
    pool = rng.choice(ANAGRAM_POOLS)
    words = rng.sample(pool, min(len(pool), rng.randint(5, 8)))
    fn = rng.choice(["group_anagrams", "anagram_families", "bucket_by_letters"])
    key_fn = rng.choice(["signature", "letter_key", "sorted_letters"])
    use_counter = rng.random() < 0.3
    groups: dict[str, list[str]] = {}
    for w in words:
        groups.setdefault("".join(sorted(w)), []).append(w)
    expected = sorted(groups.values(), key=lambda g: g[0])
    if use_counter:
        key_code = f'''def {key_fn}(word: str) -> tuple[tuple[str, int], ...]:
    """The letter counts of `word`, as a hashable key: anagrams have equal counts."""
    return tuple(sorted(Counter(word.lower()).items()))'''
        head = "from collections import Counter, defaultdict"
        key_type = "tuple[tuple[str, int], ...]"
        key_note = ("The key is the word's letter counts, frozen into a sorted tuple so it can be a dictionary key "
                    "(a `Counter` itself is mutable and unhashable).")
    else:
        key_code = f'''def {key_fn}(word: str) -> str:
    """The letters of `word` in sorted order: two words are anagrams exactly when their keys are equal."""
    return "".join(sorted(word.lower()))'''
        head = "from collections import defaultdict"
        key_type = "str"
        key_note = ("The key is the word's letters in sorted order: 'listen' and 'silent' both become 'eilnst'. "
                    "Sorting costs O(k log k) for a word of length k, which is nothing for words.")
    module = f'''"""Group words that are anagrams of each other, with a dictionary keyed by a canonical form."""

{head}


{key_code}


def {fn}(words: list[str]) -> list[list[str]]:
    """Anagram groups, each in input order, the groups ordered by their first word."""
    groups: defaultdict[{key_type}, list[str]] = defaultdict(list)
    for word in words:
        groups[{key_fn}(word)].append(word)
    return sorted(groups.values(), key=lambda group: group[0])
'''
    a = words[0]
    tests = _tests(
        [fn, key_fn],
        f"WORDS = {words!r}\n",
        f"def test_{fn}():\n    assert {fn}(WORDS) == {expected!r}\n",
        f"def test_{key_fn}_ignores_order_and_case():\n    assert {key_fn}({a!r}) == {key_fn}({a[::-1].upper()!r})\n",
        f"def test_{fn}_no_words():\n    assert {fn}([]) == []\n",
        f"def test_{fn}_keeps_every_word():\n    assert sorted(w for g in {fn}(WORDS) for w in g) == sorted(WORDS)\n")
    explanation = _explain(
        rng,
        [f"Given words such as {', '.join(words[:4])}, which ones are anagrams of each other? Comparing every pair "
         "would be quadratic. Instead we compute one key per word such that anagrams share a key, and let a "
         "dictionary collect them.",
         "Grouping is a pattern you will use constantly: choose a key function, then put each item in the bucket "
         "for its key. Anagram grouping is a classic example.",
         f"`{fn}` sorts a word list into anagram families in a single pass."],
        [key_note,
         "`defaultdict(list)` creates an empty list the first time a key is seen, so the loop body is a single "
         "`append` with no `if key not in groups` check."],
        ["Returning the groups sorted by their first word makes the result deterministic, which is what lets the "
         "test compare it with a literal.",
         "One test checks that no word is lost or duplicated: flattening the groups must give the input back."])
    exercises = _some(rng, [
        "Return only the groups with more than one word.",
        "Treat spaces and punctuation as irrelevant, so 'dormitory' and 'dirty room' match.",
        f"Write `{key_fn}` the other way (sorted letters vs letter counts) and compare speed on long words.",
        "Find the largest anagram family in a dictionary file.",
    ])
    return Lesson("grouping anagrams with a dictionary", explanation, module, tests, exercises,
                  {"template": "anagrams", "counter": use_counter})


INTERVAL_SCENES = [
    ("bookings", "room bookings", "start", "end", "hours of the day"),
    ("meetings", "calendar meetings", "begin", "finish", "minutes after nine"),
    ("shifts", "staff shifts", "clock_in", "clock_out", "hours of the week"),
    ("outages", "server outages", "down", "up", "seconds since midnight"),
    ("ranges", "highlighted text ranges", "first", "last", "character offsets"),
    ("reservations", "parking reservations", "arrive", "leave", "half-hours"),
]


def _lesson_intervals(rng: random.Random) -> Lesson:
    plural, what, s_name, e_name, unit = rng.choice(INTERVAL_SCENES)
    fn = rng.choice([f"merge_{plural}", f"combine_{plural}", "merge_overlapping"])
    busy_fn = rng.choice(["total_covered", "busy_time", "covered_length"])
    ivs = []
    for _ in range(rng.randint(4, 7)):
        a = rng.randint(0, 40)
        ivs.append((a, a + rng.randint(1, 8)))
    rng.shuffle(ivs)
    merged: list[list[int]] = []
    for a, b in sorted(ivs):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    expected = [tuple(m) for m in merged]
    covered = sum(b - a for a, b in expected)
    use_class = rng.random() < 0.5
    const = plural.upper()
    if use_class:
        cls = plural[:-1].capitalize()
        head = f'''from typing import NamedTuple


class {cls}(NamedTuple):
    """A stretch of {unit}, from `{s_name}` to `{e_name}`."""

    {s_name}: int
    {e_name}: int
'''
        get_s, get_e, make = f".{s_name}", f".{e_name}", cls
        data = f"{const} = [{cls}(*pair) for pair in {ivs!r}]\n"
        touching = f"[{cls}(5, 8), {cls}(1, 5)]"
        names = [cls, fn, busy_fn]
    else:
        cls = "Span"
        head = "Span = tuple[int, int]  # (start, end)\n"
        get_s, get_e, make = "[0]", "[1]", ""
        data = f"{const} = {ivs!r}\n"
        touching = "[(5, 8), (1, 5)]"
        names = [fn, busy_fn]
    module = f'''"""Merging overlapping {what}: sort by start, then sweep once."""

{head}

def {fn}({plural}: list[{cls}]) -> list[{cls}]:
    """The union of the {what} as a sorted list of non-overlapping spans; touching spans are joined."""
    merged: list[{cls}] = []
    for span in sorted({plural}):
        if merged and span{get_s} <= merged[-1]{get_e}:
            last = merged[-1]
            merged[-1] = {make}(last{get_s}, max(last{get_e}, span{get_e}))
        else:
            merged.append(span)
    return merged


def {busy_fn}({plural}: list[{cls}]) -> int:
    """How many {unit} are covered by at least one of the {what}."""
    return sum(span{get_e} - span{get_s} for span in {fn}({plural}))
'''
    tests = _tests(
        names,
        data,
        f"def test_{fn}():\n    assert [tuple(s) for s in {fn}({const})] == {expected!r}\n",
        f"def test_{busy_fn}():\n    assert {busy_fn}({const}) == {covered}\n",
        f"def test_touching_{plural}_are_joined():\n    assert [tuple(s) for s in {fn}({touching})] == [(1, 8)]\n",
        f"def test_no_{plural}():\n    assert {fn}([]) == []\n    assert {busy_fn}([]) == 0\n")
    explanation = _explain(
        rng,
        [f"Suppose we have {what} measured in {unit}, and we need to know which stretches are covered at all. "
         "Overlapping entries must be merged into one.",
         f"Interval merging is a small algorithm with a big idea: sort first, and a hard problem becomes one "
         f"linear sweep. Our intervals are {what}.",
         f"`{fn}` takes {what} that may overlap and returns the same coverage with no overlaps; `{busy_fn}` "
         "builds on it."],
        ["After sorting by start, an interval can only overlap the last merged one (every earlier merged interval "
         "ends before that one starts). So the sweep compares each interval with `merged[-1]` only: extend it, or "
         "start a new one. Sorting costs O(n log n); the sweep is O(n).",
         "The key observation: once the intervals are sorted by start, overlaps are always between neighbours in "
         "the sweep. Each interval either extends the current merged block or begins a new block."],
        [(f"A `NamedTuple` gives the two ends names (`{s_name}`, `{e_name}`) while staying a tuple, so sorting and "
          "comparison still work field by field.") if use_class else
         "Plain `(start, end)` tuples sort by start first, then end, which is exactly the order the sweep needs.",
         "Intervals that merely touch (one ends at 5, the next starts at 5) are joined; the `<=` in the comparison "
         "decides that, and a test pins it down."])
    exercises = _some(rng, [
        f"Given the merged {what}, list the gaps between them.",
        "Insert one new interval into an already merged list without re-sorting everything.",
        "Change the comparison so that touching intervals stay separate, and update the tests.",
        f"Find the moment covered by the largest number of {what} (a sweep over start and end events).",
    ])
    return Lesson(f"merging overlapping {what}", explanation, module, tests, exercises,
                  {"template": "intervals", "named_tuple": use_class, "scene": plural})


MATRIX_SCENES = [("grid", "a game board"), ("image", "a tiny greyscale image"), ("table", "a spreadsheet range"),
                 ("board", "a tile puzzle"), ("heights", "a terrain height map"), ("seats", "a cinema seating plan")]


def _lesson_matrix(rng: random.Random) -> Lesson:
    var, what = rng.choice(MATRIX_SCENES)
    op = rng.choice(["transpose", "rotate", "multiply", "flip"])
    rows, cols = rng.randint(2, 4), rng.randint(2, 4)
    m = [[rng.randint(0, 9) for _ in range(cols)] for _ in range(rows)]
    alias = rng.choice(["Matrix", "Grid", "Rows"])
    if op == "transpose":
        fn = rng.choice(["transpose", "swap_axes", "columns_as_rows"])
        body = (f"    return [list(column) for column in zip(*{var})]" if rng.random() < 0.5 else
                f"    if not {var}:\n        return []\n"
                f"    return [[{var}[r][c] for r in range(len({var}))] for c in range(len({var}[0]))]")
        expected: Any = [list(c) for c in zip(*m, strict=True)]
        sig, call = f"{var}: {alias}", f"{fn}(M)"
        idea = ("Transposing swaps rows and columns: the element at row r, column c moves to row c, column r. "
                "`zip(*rows)` does exactly that, because it takes the first item of every row, then the second, ...")
        prop = f"def test_{fn}_twice_is_identity():\n    assert {fn}({fn}(M)) == M\n"
    elif op == "rotate":
        fn = rng.choice(["rotate_clockwise", "turn_right", "rotate_90"])
        body = f"    return [list(row) for row in zip(*{var}[::-1])]"
        expected = [list(r) for r in zip(*m[::-1], strict=True)]
        sig, call = f"{var}: {alias}", f"{fn}(M)"
        idea = ("Rotating a quarter turn clockwise is two simple steps: reverse the order of the rows, then "
                "transpose. `zip(*{var}[::-1])` does both in one expression.").replace("{var}", var)
        prop = (f"def test_{fn}_four_times_is_identity():\n    once = {fn}(M)\n"
                f"    assert {fn}({fn}({fn}(once))) == M\n")
    elif op == "flip":
        fn = rng.choice(["mirror", "flip_horizontal", "reflect"])
        body = f"    return [row[::-1] for row in {var}]"
        expected = [r[::-1] for r in m]
        sig, call = f"{var}: {alias}", f"{fn}(M)"
        idea = ("A horizontal mirror reverses every row and leaves their order alone; a slice with step -1 "
                "reverses one row.")
        prop = f"def test_{fn}_twice_is_identity():\n    assert {fn}({fn}(M)) == M\n"
    else:
        fn = rng.choice(["matmul", "multiply", "product"])
        width = rng.randint(2, 3)
        other = [[rng.randint(-3, 3) for _ in range(width)] for _ in range(cols)]
        body = (f"    if {var} and len({var}[0]) != len(other):\n"
                "        raise ValueError(\"columns of the left matrix must equal rows of the right one\")\n"
                f"    return [[sum(a * b for a, b in zip(row, column)) for column in zip(*other)] for row in {var}]")
        expected = [[sum(a * b for a, b in zip(row, col, strict=True)) for col in zip(*other, strict=True)]
                    for row in m]
        sig, call = f"{var}: {alias}, other: {alias}", f"{fn}(M, {other!r})"
        idea = ("Entry (i, j) of a matrix product is the dot product of row i of the left matrix with column j of "
                "the right one. `zip(*other)` gives the columns, and `sum(a * b ...)` is the dot product.")
        identity = [[1 if i == j else 0 for j in range(cols)] for i in range(cols)]
        prop = (f"def test_{fn}_by_identity():\n    assert {fn}(M, {identity!r}) == M\n\n\n"
                + _raises(f"{fn}_shape_mismatch", f"{fn}(M, [[1]] * {cols + 1})"))
    module = f'''"""Working with {what} stored as a list of rows."""

{alias} = list[list[int]]


def {fn}({sig}) -> {alias}:
    """A new matrix; the input is not modified."""
{body}
'''
    tests = _tests([fn], f"M = {m!r}\n", f"def test_{fn}():\n    assert {call} == {expected!r}\n", prop,
                   f"def test_{fn}_leaves_input_alone():\n    before = [row[:] for row in M]\n    {call}\n"
                   "    assert M == before\n")
    explanation = _explain(
        rng,
        [f"Python has no built-in matrix type, but a list of rows is enough for {what}: `M[r][c]` is the cell in "
         f"row r, column c. This lesson implements `{fn}` on that representation.",
         f"Many problems about {what} are matrix operations in disguise. Here is `{fn}`, written with nothing but "
         "lists, `zip` and comprehensions.",
         f"The type alias `{alias} = list[list[int]]` documents the shape we work with, and pyright checks it."],
        [idea],
        ["The function builds a new matrix instead of changing its argument; a test checks that the input is left "
         "exactly as it was, a common source of bugs with nested lists.",
         "Beware `[[0] * n] * m`: it repeats one row object m times, so changing one cell changes a whole column. "
         "Comprehensions create independent rows."],
        ["" if op == "multiply" else "Algebraic properties make excellent tests: doing the operation enough times "
         "must return the original matrix.",
         "For real numeric work, use NumPy; writing it once by hand is how you learn what NumPy is doing."])
    exercises = _some(rng, [
        "Rotate counter-clockwise, then check that it undoes the clockwise rotation.",
        "Compute the sum of each row and each column.",
        "Validate that every row has the same length and raise a clear error if not.",
        "Extract the main diagonal and the anti-diagonal.",
        "Rewrite the function with NumPy and compare the results.",
    ])
    return Lesson(f"matrix operations on {what}: `{fn}`", explanation, module, tests, exercises,
                  {"template": "matrix", "op": op, "scene": var})


def _rpn(tokens: list[str]) -> float:
    stack: list[float] = []
    for t in tokens:
        if t in "+-*/" and len(t) == 1:
            b, a = stack.pop(), stack.pop()
            stack.append(a + b if t == "+" else a - b if t == "-" else a * b if t == "*" else a / b)
        else:
            stack.append(float(t))
    return stack[0]


def _lesson_rpn(rng: random.Random) -> Lesson:
    fn = rng.choice(["evaluate_rpn", "calculate", "run_postfix", "rpn"])
    stack_name = rng.choice(["stack", "operands", "values"])
    dispatch = rng.choice(["operator_module", "lambdas", "branches"])
    exprs = []
    for _ in range(3):
        n = rng.randint(2, 4)
        toks = [str(rng.randint(1, 9)) for _ in range(n)]
        out = toks[:2] + [rng.choice("+-*")]
        for t in toks[2:]:
            out += [t, rng.choice("+-*")]
        exprs.append(" ".join(out))
    div = f"{rng.randint(2, 9) * 2} 2 /"
    if dispatch == "operator_module":
        head = ("import operator\nfrom collections.abc import Callable\n\nOPERATORS: dict[str, Callable[[float, float], "
                "float]] = {\n    \"+\": operator.add,\n    \"-\": operator.sub,\n    \"*\": operator.mul,\n"
                "    \"/\": operator.truediv,\n}\n")
        apply = "            result = OPERATORS[token](left, right)"
    elif dispatch == "lambdas":
        head = ("from collections.abc import Callable\n\nOPERATORS: dict[str, Callable[[float, float], float]] = {\n"
                "    \"+\": lambda a, b: a + b,\n    \"-\": lambda a, b: a - b,\n    \"*\": lambda a, b: a * b,\n"
                "    \"/\": lambda a, b: a / b,\n}\n")
        apply = "            result = OPERATORS[token](left, right)"
    else:
        head = "OPERATORS = (\"+\", \"-\", \"*\", \"/\")\n"
        apply = ("            if token == \"+\":\n                result = left + right\n"
                 "            elif token == \"-\":\n                result = left - right\n"
                 "            elif token == \"*\":\n                result = left * right\n"
                 "            else:\n                result = left / right")
    module = f'''"""A reverse Polish notation (postfix) calculator built on a stack."""

{head}

def {fn}(expression: str) -> float:
    """Evaluate a postfix expression such as '3 4 + 2 *' (= 14); tokens are separated by spaces.

    Raises ValueError for an operator without two operands, an unknown token, or leftover operands.
    """
    {stack_name}: list[float] = []
    for token in expression.split():
        if token in OPERATORS:
            if len({stack_name}) < 2:
                raise ValueError(f"not enough operands for {{token!r}}")
            right = {stack_name}.pop()
            left = {stack_name}.pop()
{apply}
            {stack_name}.append(result)
        else:
            try:
                {stack_name}.append(float(token))
            except ValueError:
                raise ValueError(f"unknown token {{token!r}}") from None
    if len({stack_name}) != 1:
        raise ValueError(f"expected one result, found {{len({stack_name})}}")
    return {stack_name}[0]
'''
    cases = [(repr(e), _rpn(e.split())) for e in exprs] + [(repr(div), _rpn(div.split()))]
    tests = _tests(
        [fn],
        _checks(rng, fn, cases, f"{fn}_expressions"),
        f"def test_{fn}_order_of_operands():\n    assert {fn}('10 4 -') == 6\n",
        f'@pytest.mark.parametrize("bad", ["+", "1 +", "1 2", "1 x +", ""])\n'
        f"def test_{fn}_rejects(bad):\n    with pytest.raises(ValueError):\n        {fn}(bad)\n")
    explanation = _explain(
        rng,
        ["In reverse Polish notation the operator comes after its operands: `3 4 +` means 3 + 4, and "
         "`3 4 + 2 *` means (3 + 4) * 2. No parentheses and no precedence rules are needed, which is why old "
         "calculators and many virtual machines use it.",
         f"A stack-based calculator is the standard first use of a stack. `{fn}` reads tokens left to right: "
         "numbers are pushed, an operator pops two numbers and pushes the result.",
         f"Let us write `{fn}`, a postfix calculator, and see how a plain list works as a stack."],
        ["Order matters when popping: the first pop is the *right* operand. For `10 4 -` we pop 4, then 10, and "
         "compute 10 - 4. A dedicated test protects that.",
         {"operator_module": "The operators are looked up in a dictionary of functions from the `operator` "
                             "module, so adding one (say `%`) is a one-line change.",
          "lambdas": "A dictionary maps each operator symbol to a small lambda; dispatching through a dict "
                     "replaces an if-chain and keeps the loop short.",
          "branches": "An explicit if/elif chain handles the four operators; it is longer than a dispatch "
                      "table but every case is visible at a glance."}[dispatch]],
        ["A well-formed expression leaves exactly one number on the stack. Anything else (an operator with too "
         "few operands, or numbers left over) is reported as a `ValueError` with a specific message.",
         "`raise ... from None` replaces float's own error with one that names the bad token, without the "
         "confusing chained traceback."])
    exercises = _some(rng, [
        "Add `^` for exponentiation and `neg` as a one-operand operator.",
        "Write a converter from ordinary infix notation to postfix (the shunting-yard algorithm).",
        "Make division by zero raise a ValueError with a clear message.",
        "Return integers when every operand and result is a whole number.",
    ])
    return Lesson(f"a stack-based postfix calculator (`{fn}`)", explanation, module, tests, exercises,
                  {"template": "rpn", "dispatch": dispatch})


QUEUE_SCENES = [
    ("PrintQueue", "job", "a shared office printer", ["report", "invoice", "poster", "letter", "ticket", "memo"]),
    ("Checkout", "customer", "a supermarket till", ["ana", "ben", "chen", "dara", "eli", "farah"]),
    ("SupportLine", "caller", "a support hotline", ["billing", "outage", "login", "refund", "upgrade", "bug"]),
    ("Runway", "flight", "an airport runway", ["BA12", "LH40", "AF77", "KL09", "IB31", "SK55"]),
    ("Playlist", "song", "a party playlist", ["intro", "anthem", "ballad", "remix", "encore", "finale"]),
    ("Kitchen", "order", "a restaurant kitchen", ["soup", "salad", "pasta", "curry", "tacos", "pie"]),
]


def _lesson_queue(rng: random.Random) -> Lesson:
    cls, item, where, pool = rng.choice(QUEUE_SCENES)
    add, take = rng.choice([("join", "serve"), ("enqueue", "dequeue"), ("push", "pop_next"), ("arrive", "next_up")])
    items = rng.sample(pool, 4)
    served = rng.randint(1, 3)
    capacity = rng.choice([None, 5, 6])
    cap_line = (f"\n    def __init__(self, capacity: int = {capacity}) -> None:\n"
                f"        self.capacity = capacity\n        self._waiting: deque[str] = deque()\n"
                if capacity else "\n    def __init__(self) -> None:\n        self._waiting: deque[str] = deque()\n")
    cap_check = ("        if len(self._waiting) >= self.capacity:\n"
                 f"            raise OverflowError(f\"{where} is full ({{self.capacity}} waiting)\")\n"
                 if capacity else "")
    module = f'''"""A first-in, first-out queue for {where}, built on collections.deque."""

from collections import deque


class {cls}:
    """{item.capitalize()}s are served in the order they arrived."""
{cap_line}
    def {add}(self, {item}: str) -> None:
        """Put a {item} at the back of the queue."""
{cap_check}        self._waiting.append({item})

    def {take}(self) -> str:
        """Remove and return the {item} at the front; raises IndexError when nobody is waiting."""
        if not self._waiting:
            raise IndexError("the queue is empty")
        return self._waiting.popleft()

    def peek(self) -> str | None:
        """The {item} at the front without removing it, or None."""
        return self._waiting[0] if self._waiting else None

    def __len__(self) -> int:
        return len(self._waiting)
'''
    blocks = [
        f"def make():\n    q = {cls}()\n    for name in {items!r}:\n        q.{add}(name)\n    return q\n",
        f"def test_{take}_is_first_in_first_out():\n    q = make()\n"
        f"    assert [q.{take}() for _ in range({served})] == {items[:served]!r}\n    assert len(q) == {4 - served}\n",
        f"def test_peek_does_not_remove():\n    q = make()\n    assert q.peek() == {items[0]!r}\n    assert len(q) == 4\n",
        f"def test_empty_{item}_queue():\n    q = {cls}()\n    assert q.peek() is None\n"
        f"    with pytest.raises(IndexError):\n        q.{take}()\n",
    ]
    if capacity:
        blocks.append(f"def test_capacity():\n    q = {cls}(capacity=2)\n    q.{add}('a')\n    q.{add}('b')\n"
                      f"    with pytest.raises(OverflowError):\n        q.{add}('c')\n")
    tests = _tests([cls], *blocks)
    explanation = _explain(
        rng,
        [f"{where[0].upper() + where[1:]} works first come, first served: the {item} who arrived first leaves "
         f"first. That is a queue (FIFO), and `{cls}` wraps one behind two methods, `{add}` and `{take}`.",
         f"Queues appear wherever work waits its turn. We model {where} with a small class, `{cls}`.",
         f"Why not a plain list? `list.pop(0)` shifts every remaining element, so serving from the front of a long "
         f"list is O(n). `collections.deque` removes from either end in O(1), which is what {where} needs."],
        [f"The deque is stored in `_waiting`; the leading underscore says 'internal', so callers use `{add}`, "
         f"`{take}`, `peek` and `len()` instead of touching it. `__len__` is what makes `len(queue)` work.",
         f"`append` adds at the right end and `popleft` removes from the left end, so the {item} at the front is "
         "always the one that has waited longest."],
        [(f"The queue has a capacity of {capacity} by default; a full queue raises `OverflowError` rather than "
          "growing without limit, a simple form of back-pressure.") if capacity else
         "Serving from an empty queue raises `IndexError` (like `list.pop`), while `peek` returns None; the "
         "tests cover both.",
         "`peek` returns `str | None`, so a caller has to handle the empty case, and pyright will remind them."])
    exercises = _some(rng, [
        f"Add a priority lane: {item}s marked urgent go before everyone else but keep FIFO among themselves.",
        f"Make `{cls}` iterable, yielding {item}s in order without removing them.",
        f"Simulate {where} for an hour with random arrivals and report the longest wait.",
        "Replace `deque` with a list and measure the difference for 100,000 items.",
    ])
    return Lesson(f"queues with `collections.deque`: {where}", explanation, module, tests, exercises,
                  {"template": "queue", "cls": cls, "capacity": capacity})


GRAPH_SCENES = [
    ("rooms", "a house's rooms and doors", ["hall", "kitchen", "study", "garden", "attic", "cellar", "porch", "den"]),
    ("stations", "a metro map", ["central", "harbour", "museum", "park", "airport", "market", "campus", "zoo"]),
    ("people", "a social network", ["ada", "bo", "cy", "di", "ed", "flo", "gus", "hal"]),
    ("pages", "links between wiki pages", ["home", "about", "faq", "blog", "shop", "help", "news", "terms"]),
    ("towns", "roads between towns", ["ashby", "brook", "crest", "dale", "elmton", "fenwick", "glen", "holt"]),
]


def _bfs(adj: dict[str, list[str]], start: str) -> dict[str, int]:
    dist = {start: 0}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        for nxt in adj.get(node, []):
            if nxt not in dist:
                dist[nxt] = dist[node] + 1
                todo.append(nxt)
    return dist


def _lesson_bfs(rng: random.Random) -> Lesson:
    kind, what, pool = rng.choice(GRAPH_SCENES)
    nodes = rng.sample(pool, rng.randint(5, 7))
    adj: dict[str, list[str]] = {n: [] for n in nodes}
    for i in range(1, len(nodes) - 1):
        j = rng.randrange(i)
        adj[nodes[i]].append(nodes[j])
        adj[nodes[j]].append(nodes[i])
    for _ in range(rng.randint(0, 2)):
        a, b = rng.sample(nodes[:-1], 2)
        if b not in adj[a]:
            adj[a].append(b)
            adj[b].append(a)
    isolated = nodes[-1]
    start = nodes[0]
    variant = rng.choice(["distances", "path"])
    graph = rng.choice(["graph", "links", "neighbours", "network"])
    dist = _bfs(adj, start)
    if variant == "distances":
        fn = rng.choice(["hops_from", "distances_from", "steps_from"])
        module = f'''"""Breadth-first search over {what}: how many steps from one place to every other."""

from collections import deque

Graph = dict[str, list[str]]


def {fn}({graph}: Graph, start: str) -> dict[str, int]:
    """The fewest edges from `start` to every reachable node; unreachable nodes are absent."""
    distance = {{start: 0}}
    frontier = deque([start])
    while frontier:
        node = frontier.popleft()
        for neighbour in {graph}.get(node, []):
            if neighbour not in distance:
                distance[neighbour] = distance[node] + 1
                frontier.append(neighbour)
    return distance
'''
        blocks = [f"def test_{fn}_{start}():\n    assert {fn}(MAP, {start!r}) == {dist!r}\n",
                  f"def test_{isolated}_is_unreachable():\n    assert {isolated!r} not in {fn}(MAP, {start!r})\n",
                  f"def test_{fn}_alone():\n    assert {fn}({{}}, 'x') == {{'x': 0}}\n"]
    else:
        fn = rng.choice(["shortest_route", "fewest_hops", "find_path"])
        target = max(dist, key=lambda n: (dist[n], n))
        module = f'''"""Breadth-first search over {what}: a shortest route, rebuilt from parent links."""

from collections import deque

Graph = dict[str, list[str]]


def {fn}({graph}: Graph, start: str, goal: str) -> list[str] | None:
    """A shortest list of nodes from `start` to `goal` (both included), or None when `goal` is unreachable."""
    parent: dict[str, str | None] = {{start: None}}
    frontier = deque([start])
    while frontier:
        node = frontier.popleft()
        if node == goal:
            route: list[str] = []
            step: str | None = node
            while step is not None:
                route.append(step)
                step = parent[step]
            return route[::-1]
        for neighbour in {graph}.get(node, []):
            if neighbour not in parent:
                parent[neighbour] = node
                frontier.append(neighbour)
    return None
'''
        blocks = [f"def test_{fn}_length():\n    route = {fn}(MAP, {start!r}, {target!r})\n"
                  f"    assert route is not None\n    assert len(route) == {dist[target] + 1}\n"
                  f"    assert route[0] == {start!r} and route[-1] == {target!r}\n",
                  f"def test_{fn}_uses_real_edges():\n    route = {fn}(MAP, {start!r}, {target!r}) or []\n"
                  "    for a, b in zip(route, route[1:]):\n        assert b in MAP[a]\n",
                  f"def test_{fn}_unreachable():\n    assert {fn}(MAP, {start!r}, {isolated!r}) is None\n",
                  f"def test_{fn}_to_itself():\n    assert {fn}(MAP, {start!r}, {start!r}) == [{start!r}]\n"]
    tests = _tests([fn], f"MAP = {adj!r}\n", *blocks)
    explanation = _explain(
        rng,
        [f"Model {what} as a graph: each {kind[:-1]} is a node, and the dictionary maps it to its neighbours. "
         "Breadth-first search (BFS) explores it in rings: first everything one step away, then two steps, and "
         "so on.",
         f"How far apart are two {kind} in {what}? When every edge counts the same, breadth-first search answers "
         "with the fewest steps.",
         f"Graphs do not need a library: a `dict[str, list[str]]` of neighbours is enough for {what}. On top of "
         f"it we write `{fn}`."],
        ["The queue is what makes it breadth-first: nodes are explored in the order they were discovered, so the "
         "first time we reach a node is via a shortest path. A stack instead would give depth-first search, "
         "which finds *a* path but not the shortest.",
         "Each node is marked when it is first discovered, not when it is explored; that keeps it from entering "
         "the queue twice and makes the whole search O(nodes + edges)."],
        [f"The {isolated!r} node has no edges, so it is never reached; the function reports that honestly "
         + ("by leaving it out of the result." if variant == "distances" else "by returning None."),
         ("The route is rebuilt backwards from the goal by following `parent` links, then reversed."
          if variant == "path" else "The result doubles as the visited set: a node is in it exactly when seen.")])
    exercises = _some(rng, [
        "Return every node at exactly distance k from the start.",
        "Detect whether the graph is connected.",
        "Add weights to the edges and switch to Dijkstra's algorithm with `heapq`.",
        "Write the depth-first version with an explicit stack and compare the order of visits.",
    ])
    return Lesson(f"breadth-first search over {what}", explanation, module, tests, exercises,
                  {"template": "bfs", "variant": variant, "scene": kind})


TOPO_SCENES = [
    ("build steps", "step", ["fetch", "configure", "compile", "link", "test", "package", "publish", "deploy"]),
    ("university courses", "course", ["algebra", "calculus", "logic", "programming", "databases", "compilers",
                                      "networks", "theory"]),
    ("recipe stages", "stage", ["shop", "wash", "chop", "marinate", "preheat", "roast", "plate", "serve"]),
    ("morning routine", "task", ["wake", "shower", "dress", "coffee", "breakfast", "pack", "commute", "work"]),
    ("house building", "job", ["survey", "foundation", "frame", "roof", "wiring", "plumbing", "walls", "paint"]),
]


def _lesson_toposort(rng: random.Random) -> Lesson:
    what, unit, chain = rng.choice(TOPO_SCENES)
    nodes = chain[: rng.randint(5, 8)]
    deps: dict[str, list[str]] = {n: [] for n in nodes}
    for i, n in enumerate(nodes[1:], 1):
        deps[n] = sorted(set(rng.sample(nodes[:i], min(i, rng.randint(1, 2)))))
    fn = rng.choice(["build_order", "schedule", "plan_order", "topological_order"])
    req = rng.choice(["requires", "depends_on", "after"])
    # Kahn's algorithm, always taking the alphabetically smallest ready node.
    indeg = {n: len(deps[n]) for n in nodes}
    users: dict[str, list[str]] = {n: [] for n in nodes}
    for n, ds in deps.items():
        for d in ds:
            users[d].append(n)
    ready = [n for n in nodes if indeg[n] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        n = heapq.heappop(ready)
        order.append(n)
        for u in users[n]:
            indeg[u] -= 1
            if indeg[u] == 0:
                heapq.heappush(ready, u)
    a, b = nodes[0], nodes[1]
    module = f'''"""Ordering {what} so that every {unit} comes after the ones it needs (Kahn's algorithm)."""

import heapq


def {fn}({req}: dict[str, list[str]]) -> list[str]:
    """Every {unit} after all of its prerequisites; among {unit}s that are ready, alphabetical order.

    `{req}[x]` lists what x needs. Raises ValueError if the requirements form a cycle.
    """
    waiting_on = {{name: len(needs) for name, needs in {req}.items()}}
    unlocks: dict[str, list[str]] = {{name: [] for name in {req}}}
    for name, needs in {req}.items():
        for need in needs:
            waiting_on.setdefault(need, 0)
            unlocks.setdefault(need, []).append(name)
    ready = [name for name, count in waiting_on.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for later in unlocks[name]:
            waiting_on[later] -= 1
            if waiting_on[later] == 0:
                heapq.heappush(ready, later)
    if len(order) != len(waiting_on):
        stuck = sorted(name for name, count in waiting_on.items() if count)
        raise ValueError(f"cycle among: {{', '.join(stuck)}}")
    return order
'''
    tests = _tests(
        [fn],
        f"NEEDS = {deps!r}\n",
        f"def test_{fn}():\n    assert {fn}(NEEDS) == {order!r}\n",
        f"def test_every_{unit}_after_its_needs():\n    order = {fn}(NEEDS)\n    for name, needs in NEEDS.items():\n"
        "        assert all(order.index(need) < order.index(name) for need in needs)\n",
        _raises(f"{fn}_cycle", f"{fn}({{{a!r}: [{b!r}], {b!r}: [{a!r}]}})", match="cycle"),
        f"def test_unlisted_need_counts():\n    assert {fn}({{'b': ['a']}}) == ['a', 'b']\n")
    explanation = _explain(
        rng,
        [f"Some {unit}s in {what} must happen before others. Given what each {unit} needs, we want one order "
         "that respects every requirement: a topological order of the dependency graph.",
         f"Dependency resolution is everywhere: package managers, build tools, spreadsheets. Here we do it for "
         f"{what}.",
         f"`{fn}` takes a dictionary saying what each {unit} needs and returns an order in which all of them can "
         "be done."],
        ["Kahn's algorithm counts, for every node, how many prerequisites are still unfinished. Nodes with count "
         "zero are ready; finishing one decrements the counts of the nodes it unlocks, which may make them ready.",
         "The idea: anything with no unfinished prerequisites can go next. Repeat until nothing is left, and keep "
         "the counts up to date as you go."],
        ["The ready nodes sit in a heap, so the smallest name always comes out first. Without that rule many "
         "orders would be valid and the test could not compare with a single answer.",
         "If some nodes never become ready, they wait on each other: a cycle. The function names them in the "
         "error instead of returning a partial order."])
    exercises = _some(rng, [
        "Group the result into stages: everything in one stage can run in parallel.",
        "Write the depth-first version (post-order) and compare the orders it produces.",
        "Report the actual cycle path, not just the nodes involved.",
        f"Find the longest chain of {unit}s, which is the minimum number of stages.",
    ])
    return Lesson(f"topological sorting of {what}", explanation, module, tests, exercises,
                  {"template": "toposort", "scene": what})


DATE_SCENES = [
    ("days_until", "a countdown to a holiday", "today", "holiday"),
    ("loan_days", "a library loan", "borrowed", "returned"),
    ("trip_length", "a trip itinerary", "depart", "arrive"),
    ("age_in_days", "a pet's age", "born", "checkup"),
    ("notice_period", "a job's notice period", "given", "last_day"),
    ("subscription_days", "a subscription", "started", "renews"),
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _lesson_dates(rng: random.Random) -> Lesson:
    fn, what, a_name, b_name = rng.choice(DATE_SCENES)
    fmt, fmt_name, render = rng.choice([("%Y-%m-%d", "ISO (YYYY-MM-DD)", "{y:04d}-{m:02d}-{d:02d}"),
                                        ("%d/%m/%Y", "day/month/year", "{d:02d}/{m:02d}/{y:04d}"),
                                        ("%d.%m.%Y", "day.month.year", "{d:02d}.{m:02d}.{y:04d}")])
    parse_fn = rng.choice(["parse_day", "read_date", "to_date"])
    weekday_fn = rng.choice(["weekday_name", "day_of_week"])
    first = date(rng.randint(2019, 2027), rng.randint(1, 12), rng.randint(1, 28))
    second = first + timedelta(days=rng.randint(1, 400))

    def show(d: date) -> str:
        return render.format(y=d.year, m=d.month, d=d.day)

    leap = date(2024, 2, 29)
    module = f'''"""Dates for {what}: parsing {fmt_name} strings and counting days, with the datetime module."""

from datetime import date, datetime

FORMAT = {fmt!r}


def {parse_fn}(text: str) -> date:
    """Parse a {fmt_name} date; raises ValueError for malformed or impossible dates such as 31 February."""
    return datetime.strptime(text.strip(), FORMAT).date()


def {fn}({a_name}: str, {b_name}: str) -> int:
    """Whole days from `{a_name}` to `{b_name}`; negative when `{b_name}` comes first."""
    return ({parse_fn}({b_name}) - {parse_fn}({a_name})).days


def {weekday_fn}(text: str) -> str:
    """The English weekday of a {fmt_name} date, e.g. 'Monday'."""
    return {parse_fn}(text).strftime("%A")
'''
    tests = _tests(
        [fn, parse_fn, weekday_fn],
        f"def test_{parse_fn}():\n    assert {parse_fn}({show(first)!r}) == date({first.year}, {first.month}, "
        f"{first.day})\n",
        _checks(rng, fn, [(f"{show(first)!r}, {show(second)!r}", (second - first).days),
                          (f"{show(second)!r}, {show(first)!r}", (first - second).days),
                          (f"{show(first)!r}, {show(first)!r}", 0)], f"{fn}_examples"),
        f"def test_{weekday_fn}():\n    assert {weekday_fn}({show(second)!r}) == {WEEKDAYS[second.weekday()]!r}\n",
        f"def test_leap_day():\n    assert {parse_fn}({show(leap)!r}).day == 29\n",
        f'@pytest.mark.parametrize("bad", ["2023-02-29", "31/02/2023", "30.02.2021", "yesterday", ""])\n'
        f"def test_{parse_fn}_rejects(bad):\n    with pytest.raises(ValueError):\n        {parse_fn}(bad)\n",
        imports=("from datetime import date",))
    explanation = _explain(
        rng,
        [f"For {what} we need to know how many days lie between two dates written as text. Doing that by hand "
         "(month lengths, leap years) is a classic source of bugs; the `datetime` module already knows the "
         "calendar.",
         f"Date arithmetic is a good reason to trust the standard library. `{fn}` parses two {fmt_name} strings "
         "and subtracts them.",
         f"Dates arrive as strings (`{show(first)}`) but arithmetic needs `date` objects. This lesson converts "
         f"between the two for {what}."],
        [f"`datetime.strptime(text, {fmt!r})` parses according to a format string: `%Y` is a four-digit year, "
         "`%m` the month and `%d` the day. It raises `ValueError` for anything that does not match, including "
         "impossible dates.",
         "Subtracting two `date` objects gives a `timedelta`, whose `.days` is the signed number of days. "
         "`strftime('%A')` formats the weekday name."],
        ["Leap years are handled for free: 29 February exists in 2024 and is rejected in 2023, and the tests "
         "check both.",
         "Note that `strftime('%A')` follows the locale; the tests assume the default C locale, which gives "
         "English names."])
    exercises = _some(rng, [
        "Count only working days (Monday to Friday) between the two dates.",
        "Accept both ISO and day/month/year input, trying each format in turn.",
        "Add `add_days(text, n) -> str` that returns a date string in the same format.",
        "Use `date.fromisoformat` and compare it with `strptime`.",
        "List the dates of every Friday 13th in a given year.",
    ])
    return Lesson(f"dates and `datetime`: {what}", explanation, module, tests, exercises,
                  {"template": "dates", "format": fmt, "fn": fn})


VALIDATION_SCENES = [
    ("username", "validate_username", "a sign-up form", 3, 16, "_", "letters, digits and underscores"),
    ("product_code", "check_product_code", "a warehouse scanner", 5, 10, "-", "capital letters, digits and dashes"),
    ("nickname", "nickname_problems", "a chat app", 2, 12, ".", "letters, digits and dots"),
    ("room_name", "validate_room_name", "a booking system", 4, 20, " ", "letters, digits and spaces"),
    ("tag", "tag_errors", "a blog's tag editor", 2, 24, "-", "lowercase letters, digits and dashes"),
]


def _lesson_validation(rng: random.Random) -> Lesson:
    field, fn, where, low, high, extra, allowed_text = rng.choice(VALIDATION_SCENES)
    upper_only = field == "product_code"
    lower_only = field == "tag"
    collect = rng.random() < 0.6

    def problems(v: str) -> list[str]:
        out = []
        if not low <= len(v) <= high:
            out.append(f"must be {low} to {high} characters")
        if upper_only:
            bad = [c for c in v if not (c.isdigit() or c == extra or ("A" <= c <= "Z"))]
        elif lower_only:
            bad = [c for c in v if not (c.isdigit() or c == extra or ("a" <= c <= "z"))]
        else:
            bad = [c for c in v if not (c.isascii() and (c.isalnum() or c == extra))]
        if bad:
            out.append(f"invalid character {bad[0]!r}")
        if v[:1] in (extra, ) or v[:1].isdigit():
            out.append("must start with a letter")
        return out

    if upper_only:
        allowed = f"string.ascii_uppercase + string.digits + {extra!r}"
    elif lower_only:
        allowed = f"string.ascii_lowercase + string.digits + {extra!r}"
    else:
        allowed = f"string.ascii_letters + string.digits + {extra!r}"
    good_pool = {"username": ["ada_l", "grace99", "linus_t", "tim"], "product_code": ["AB-123", "XK9-77", "QQ-0001"],
                 "nickname": ["bo", "sky.walker", "zed.9"], "room_name": ["Blue Room", "Lab 4", "Main Hall"],
                 "tag": ["python", "web-dev", "ml-101"]}[field]
    bad_pool = ["x", "9lives", extra + "start", "has space!" if extra != " " else "semi;colon", "über" + "a" * 3,
                "a" * (high + 1)]
    samples = rng.sample(good_pool, 2) + rng.sample(bad_pool, 3)
    if collect:
        sig = f"def {fn}({field}: str) -> list[str]:"
        doc = "Every rule the value breaks, as readable messages; an empty list means it is valid."
        acc = "    problems: list[str] = []\n"
        emit = "problems.append"
        ret = "    return problems"
    else:
        sig = f"def {fn}({field}: str) -> str | None:"
        doc = "The first rule the value breaks, as a readable message, or None when it is valid."
        acc = ""
        emit = "return "
        ret = "    return None"

    def rule(msg_src: str) -> str:
        return f"{emit}({msg_src})" if collect else f"return {msg_src}"

    module = f'''"""Validating a {field.replace("_", " ")} for {where}: explicit rules, readable messages."""

import string

ALLOWED = set({allowed})
MIN_LEN, MAX_LEN = {low}, {high}


{sig}
    """{doc}"""
{acc}    if not MIN_LEN <= len({field}) <= MAX_LEN:
        {rule('f"must be {MIN_LEN} to {MAX_LEN} characters"')}
    bad = [ch for ch in {field} if ch not in ALLOWED]
    if bad:
        {rule('f"invalid character {bad[0]!r}"')}
    if {field}[:1] == {extra!r} or {field}[:1].isdigit():
        {rule('"must start with a letter"')}
{ret}
'''
    if collect:
        cases = [(repr(v), problems(v)) for v in samples]
    else:
        cases = [(repr(v), (problems(v) or [None])[0]) for v in samples]
    op_none = "== []" if collect else "is None"
    tests = _tests(
        [fn],
        _checks(rng, fn, cases, f"{fn}_samples"),
        f"def test_{fn}_accepts_good_values():\n    for value in {good_pool!r}:\n        assert {fn}(value) {op_none}\n",
        (f"def test_{fn}_reports_every_problem():\n    assert len({fn}({'9' + chr(0x263A) + 'x' * high!r})) == 3\n"
         if collect else
         f"def test_{fn}_reports_the_length_first():\n    assert {fn}({'!' * (high + 1)!r}) == "
         f"'must be {low} to {high} characters'\n"))
    explanation = _explain(
        rng,
        [f"Users type anything into {where}. Before a {field.replace('_', ' ')} is stored, `{fn}` checks it "
         f"against three rules: length {low} to {high}, only {allowed_text}, and a letter first.",
         f"Validation code tends to grow into a tangle of conditions. Keeping each rule a separate, named check "
         f"with its own message keeps it readable; here it is for a {field.replace('_', ' ')}.",
         f"Good validation tells the user what is wrong, not just that something is. Our {field.replace('_', ' ')} "
         "checker returns messages, not booleans."],
        [("Collecting *every* problem into a list lets a form show all the errors at once, instead of making the "
          "user fix them one by one.") if collect else
         ("Returning the first problem (or None) keeps the function simple; the caller shows one message at a "
          "time. The return type `str | None` makes that contract explicit."),
         "The allowed characters live in a set built from the `string` module's constants, so the membership "
         "test is O(1) and the rule is visible at the top of the file. Non-ASCII letters are rejected because "
         "they are not in the set."],
        ["The tests use both valid and invalid samples, with the exact messages expected, so a change in wording "
         "is a deliberate decision.",
         "Notice `value[:1]` instead of `value[0]`: slicing an empty string gives '' instead of raising."])
    exercises = _some(rng, [
        f"Reject {field.replace('_', ' ')}s from a list of reserved words (like 'admin').",
        "Return structured errors (a dataclass with a code and a message) instead of strings.",
        "Add a rule forbidding two separators in a row.",
        "Write a `normalise` function that fixes what can be fixed (trimming, case) before validating.",
    ])
    return Lesson(f"validating a {field.replace('_', ' ')} with readable errors", explanation, module, tests,
                  exercises, {"template": "validation", "field": field, "collect": collect})


MACHINES = [
    ("Turnstile", "a subway turnstile", {("locked", "coin"): "unlocked", ("unlocked", "push"): "locked",
                                         ("locked", "push"): "locked", ("unlocked", "coin"): "unlocked"}, "locked"),
    ("Door", "an automatic door", {("closed", "open"): "opened", ("opened", "close"): "closed",
                                   ("closed", "lock"): "locked", ("locked", "unlock"): "closed"}, "closed"),
    ("Order", "an online order", {("placed", "pay"): "paid", ("paid", "ship"): "shipped",
                                  ("shipped", "deliver"): "delivered", ("placed", "cancel"): "cancelled",
                                  ("paid", "cancel"): "refunded"}, "placed"),
    ("Player", "a media player", {("stopped", "play"): "playing", ("playing", "pause"): "paused",
                                  ("paused", "play"): "playing", ("playing", "stop"): "stopped",
                                  ("paused", "stop"): "stopped"}, "stopped"),
    ("TrafficLight", "a pedestrian crossing light", {("red", "timer"): "green", ("green", "timer"): "amber",
                                                      ("amber", "timer"): "red", ("green", "button"): "amber"}, "red"),
    ("Ticket", "a bug tracker ticket", {("open", "assign"): "in_progress", ("in_progress", "resolve"): "resolved",
                                        ("resolved", "reopen"): "open", ("resolved", "close"): "closed",
                                        ("open", "close"): "closed"}, "open"),
]


def _lesson_state_machine(rng: random.Random) -> Lesson:
    cls, what, table, start = rng.choice(MACHINES)
    events = sorted({e for _, e in table})
    states = sorted({s for s, _ in table} | set(table.values()))
    seq, state, valid = [], start, []
    for _ in range(rng.randint(4, 7)):
        options = [e for (s, e) in table if s == state]
        if not options:
            break
        e = rng.choice(options)
        seq.append(e)
        state = table[(state, e)]
        valid.append(state)
    bad_state = rng.choice(states)
    bad_event = next((e for e in events if (bad_state, e) not in table), None)
    use_enum = rng.random() < 0.5
    fire = rng.choice(["handle", "send", "fire", "on"])
    run_fn = rng.choice(["replay", "run_events", "feed"])
    table_src = "{\n" + "".join(f"    ({s!r}, {e!r}): {t!r},\n" for (s, e), t in table.items()) + "}"
    if use_enum:
        enum_src = "class State(str, Enum):\n" + "".join(f"    {s.upper()} = {s!r}\n" for s in states)
        module = f'''"""{what[0].upper() + what[1:]} as a finite state machine: a transition table and an Enum of states."""

from enum import Enum


{enum_src}

TRANSITIONS: dict[tuple[State, str], State] = {{
{"".join(f"    (State.{s.upper()}, {e!r}): State.{t.upper()},{chr(10)}" for (s, e), t in table.items())}}}


class {cls}:
    """Holds the current state; events move it along the table, unknown ones are refused."""

    def __init__(self) -> None:
        self.state = State.{start.upper()}

    def {fire}(self, event: str) -> State:
        """Apply one event and return the new state; raises ValueError if it is not allowed right now."""
        try:
            self.state = TRANSITIONS[(self.state, event)]
        except KeyError:
            raise ValueError(f"cannot {{event!r}} while {{self.state.value}}") from None
        return self.state


def {run_fn}(events: list[str]) -> list[str]:
    """The state (as text) after each event, starting from a fresh {cls}."""
    machine = {cls}()
    return [machine.{fire}(event).value for event in events]
'''
    else:
        module = f'''"""{what[0].upper() + what[1:]} as a finite state machine driven by a transition table."""

TRANSITIONS: dict[tuple[str, str], str] = {table_src}
STATES = frozenset(state for pair in TRANSITIONS for state in (pair[0], TRANSITIONS[pair]))


class {cls}:
    """Holds the current state; events move it along the table, unknown ones are refused."""

    def __init__(self, state: str = {start!r}) -> None:
        if state not in STATES:
            raise ValueError(f"unknown state {{state!r}}")
        self.state = state

    def {fire}(self, event: str) -> str:
        """Apply one event and return the new state; raises ValueError if it is not allowed right now."""
        key = (self.state, event)
        if key not in TRANSITIONS:
            raise ValueError(f"cannot {{event!r}} while {{self.state}}")
        self.state = TRANSITIONS[key]
        return self.state


def {run_fn}(events: list[str]) -> list[str]:
    """The state after each event, starting from a fresh {cls}."""
    machine = {cls}()
    return [machine.{fire}(event) for event in events]
'''
    blocks = [f"def test_{run_fn}():\n    assert {run_fn}({seq!r}) == {valid!r}\n",
              f"def test_starts_{start}():\n    assert {cls}().state == {start!r}\n"]
    if bad_event is not None:
        if use_enum:
            setup = f"    machine = {cls}()\n    machine.state = State.{bad_state.upper()}\n"
        else:
            setup = f"    machine = {cls}({bad_state!r})\n"
        blocks.append(f"def test_refuses_{bad_event}_while_{bad_state}():\n{setup}"
                      f"    with pytest.raises(ValueError):\n        machine.{fire}({bad_event!r})\n"
                      f"    assert machine.state == {bad_state!r}\n")
    blocks.append(f"def test_unknown_event():\n    with pytest.raises(ValueError):\n        {cls}().{fire}('explode')\n")
    tests = _tests([cls, run_fn, *(["State"] if use_enum and bad_event is not None else [])], *blocks)
    explanation = _explain(
        rng,
        [f"{what[0].upper() + what[1:]} is always in exactly one of a few states ({', '.join(states)}), and "
         "events move it between them. Writing that down as a table, instead of nested ifs, is the idea of a "
         "finite state machine.",
         f"State machines make behaviour explicit. For {what}, every allowed move is one entry in `TRANSITIONS`: "
         "(current state, event) -> next state. Anything not in the table is not allowed.",
         f"Here is {what} modelled as a state machine, with a class `{cls}` around a transition table."],
        [("An `Enum` (here a `str` Enum, so each member is also its text) gives the states names that pyright can "
          "check; a typo like `State.PLAYNG` fails before the program runs.") if use_enum else
         ("The states are plain strings and `STATES` is derived from the table, so the constructor can reject a "
          "state that does not exist without a second list to keep in sync."),
         f"`{fire}` looks up the pair (state, event). A missing key means the event is not allowed in this "
         "state, and the machine refuses it with a ValueError that names both, leaving its state unchanged."],
        [f"`{run_fn}` replays a whole list of events and records every intermediate state, which makes the "
         "tests read like a story.",
         "Because the table is data, you can print it, draw it as a diagram, or check it (is every state "
         "reachable?) without touching the logic."])
    exercises = _some(rng, [
        "Find the states that can never be reached from the start state.",
        f"Record a history of (event, new state) pairs on the {cls} object.",
        "Add entry actions: a function to call whenever a state is entered.",
        "Generate a Graphviz `dot` description of the transition table.",
        "Write a property test: random event sequences never leave the set of known states.",
    ])
    return Lesson(f"a finite state machine for {what}", explanation, module, tests, exercises,
                  {"template": "state_machine", "machine": cls, "enum": use_enum})


TABLE_SCENES = [
    ("league", ["team", "played", "points"], [["Rovers", "Athletic", "United", "City", "Wanderers"], (5, 30), (0, 90)]),
    ("grades", ["student", "exam", "coursework"], [["Ana", "Bilal", "Chloe", "Dmitri", "Esi"], (30, 100), (40, 100)]),
    ("menu", ["dish", "calories", "price"], [["Soup", "Risotto", "Burger", "Salad", "Curry"], (150, 900), (4, 25)]),
    ("planets", ["planet", "moons", "day_hours"], [["Mercury", "Venus", "Mars", "Jupiter", "Saturn"], (0, 95), (9, 5900)]),
    ("servers", ["host", "cpu", "memory_gb"], [["alpha", "bravo", "charlie", "delta", "echo"], (1, 64), (2, 512)]),
    ("mountains", ["peak", "height_m", "first_climbed"], [["Everest", "K2", "Denali", "Elbrus", "Kilimanjaro"],
                                                          (4000, 8849), (1850, 1960)]),
    ("inventory", ["item", "in_stock", "reorder_at"], [["bolts", "nuts", "washers", "screws", "hinges"], (0, 900),
                                                       (10, 200)]),
    ("marathon", ["runner", "bib", "minutes"], [["Kip", "Paula", "Haile", "Tirunesh", "Eliud"], (1, 999),
                                                (120, 300)]),
    ("library", ["branch", "books", "members"], [["Central", "Riverside", "Hillcrest", "Old Town", "Harbour"],
                                                 (900, 90000), (50, 9000)]),
    ("commits", ["author", "commits", "lines_added"], [["ada", "linus", "guido", "grace", "ken"], (1, 400),
                                                       (10, 20000)]),
]


def _lesson_text_table(rng: random.Random) -> Lesson:
    name, headers, (labels, r1, r2) = rng.choice(TABLE_SCENES)
    rows = [[lab, rng.randint(*r1), rng.randint(*r2)] for lab in rng.sample(labels, rng.randint(3, 5))]
    fn = rng.choice(["format_table", "render_table", "as_text_table", "tabulate"])
    sep = rng.choice([" | ", "  ", " : "])
    rule_char = rng.choice(["-", "=", "~"])
    use_fstring = rng.random() < 0.5

    def render(hs: list[str], rs: list[list[Any]]) -> str:
        cells = [[str(c) for c in r] for r in [hs, *rs]]
        widths = [max(len(r[i]) for r in cells) for i in range(len(hs))]

        def line(r: list[str]) -> str:
            return sep.join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths,
                                                                                              strict=True)))
        out = [line(cells[0]), sep.join(rule_char * w for w in widths)] + [line(r) for r in cells[1:]]
        return "\n".join(x.rstrip() for x in out)

    pad = ("f\"{cell:<{width}}\" if column == 0 else f\"{cell:>{width}}\"" if use_fstring else
           "cell.ljust(width) if column == 0 else cell.rjust(width)")
    module = f'''"""Plain-text tables: the {name} as aligned columns, with no library."""

from collections.abc import Sequence

SEPARATOR = {sep!r}


def {fn}(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Left-align the first column, right-align the others (numbers line up), and rule off the header."""
    cells = [[str(value) for value in row] for row in [headers, *rows]]
    if any(len(row) != len(headers) for row in cells):
        raise ValueError("every row needs one value per header")
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]

    def line(row: list[str]) -> str:
        parts = [{pad} for column, (cell, width) in enumerate(zip(row, widths))]
        return SEPARATOR.join(parts).rstrip()

    rule = SEPARATOR.join({rule_char!r} * width for width in widths).rstrip()
    return "\\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])
'''
    expected = render(headers, rows)
    tests = _tests(
        [fn],
        f"HEADERS = {headers!r}\nROWS = {rows!r}\n",
        f"def test_{fn}_{name}():\n    assert {fn}(HEADERS, ROWS) == {expected!r}\n",
        f"def test_columns_line_up():\n    lines = {fn}(HEADERS, ROWS).splitlines()\n"
        f"    assert len({{len(line) for line in lines[1:]}}) == 1\n",
        f"def test_header_only():\n    assert {fn}(['a', 'bb'], []).splitlines()[1] == "
        f"{render(['a', 'bb'], []).splitlines()[1]!r}\n",
        _raises("ragged_rows", f"{fn}(['a', 'b'], [[1]])"))
    explanation = _explain(
        rng,
        [f"Command-line tools often print tables. This lesson formats the {name} so every column lines up, "
         "using only `str` methods.",
         "Aligning text in columns is a two-pass job: first measure the widest cell of each column, then pad "
         "every cell to that width.",
         f"`{fn}` takes headers and rows and returns one string, ready to print: here, a small table of {name}."],
        [("Padding uses format specs: `f\"{cell:<{width}}\"` left-aligns in a field of `width` characters, "
          "`>` right-aligns. The width itself can be a nested replacement field.") if use_fstring else
         ("`str.ljust(width)` pads on the right (left-aligned text) and `str.rjust(width)` pads on the left, "
          "which lines numbers up by their last digit."),
         "Everything is converted with `str()` first, so the function accepts numbers and text alike; the "
         "widths are then computed on the strings that will actually be printed."],
        ["Trailing spaces are stripped from every line: invisible, but they make tests and diffs noisy.",
         "A ragged row (fewer values than headers) is an error, reported before any formatting happens."])
    exercises = _some(rng, [
        "Right-align a column only if all its values are numbers.",
        "Add a totals row for the numeric columns.",
        "Let the caller pass a maximum width and truncate long cells with '…'.",
        "Render the same data as Markdown table syntax.",
    ])
    return Lesson(f"formatting a text table of {name}", explanation, module, tests, exercises,
                  {"template": "text_table", "scene": name, "fstring": use_fstring})


SORT_SCENES = [("scores", "quiz scores"), ("heights", "plant heights in cm"), ("ages", "club members' ages"),
               ("bids", "auction bids"), ("delays", "train delays in minutes"), ("weights", "parcel weights")]


SORT_WORDS = [("cities", "city names for a travel site", ["oslo", "lima", "cairo", "perth", "quito", "dakar", "riga",
                                                          "hanoi", "bern", "accra", "kyiv", "doha"]),
              ("fruits", "fruit names on a market board", ["pear", "fig", "kiwi", "lime", "plum", "date", "apple",
                                                           "mango", "grape", "melon", "guava", "lemon"]),
              ("languages", "programming languages in a survey", ["rust", "go", "python", "ruby", "java", "swift",
                                                                   "kotlin", "scala", "perl", "lua", "elixir", "dart"]),
              ("rivers", "river names in an atlas index", ["nile", "amazon", "volga", "rhine", "danube", "ganges",
                                                           "mekong", "thames", "seine", "indus", "tigris", "congo"])]


def _lesson_sorting(rng: random.Random) -> Lesson:
    algo = rng.choice(["insertion", "merge", "selection", "counting"])
    use_words = algo != "counting" and rng.random() < 0.45
    if use_words:
        data_name, what, pool = rng.choice(SORT_WORDS)
        data: list = rng.sample(pool, rng.randint(6, 10))
        item_t = "str"
    else:
        data_name, what = rng.choice(SORT_SCENES)
        data = [rng.randint(0, 60) for _ in range(rng.randint(6, 11))]
        item_t = "int"
    descending = rng.random() < 0.3 and algo != "counting"
    fn = rng.choice([f"{algo}_sort", f"sort_{data_name}", f"{algo}_sorted"])
    one = "x" if use_words else 7
    cmp = ">" if descending else "<"
    if algo == "insertion":
        body = f'''    result = list({data_name})
    for i in range(1, len(result)):
        current = result[i]
        j = i - 1
        while j >= 0 and current {cmp} result[j]:
            result[j + 1] = result[j]
            j -= 1
        result[j + 1] = current
    return result'''
        idea = ("Insertion sort grows a sorted prefix one item at a time: take the next item and shift larger "
                "items right until its place opens up. It is O(n^2) in general but fast on nearly sorted input, "
                "which is why real sorts use it for short runs.")
        helper = ""
    elif algo == "selection":
        body = f'''    result = list({data_name})
    for i in range(len(result)):
        best = i
        for j in range(i + 1, len(result)):
            if result[j] {cmp} result[best]:
                best = j
        result[i], result[best] = result[best], result[i]
    return result'''
        idea = ("Selection sort repeatedly finds the " + ("largest" if descending else "smallest") + " remaining "
                "item and swaps it into the next position. It always does O(n^2) comparisons but at most n swaps.")
        helper = ""
    elif algo == "merge":
        helper = f'''def merge(left: list[{item_t}], right: list[{item_t}]) -> list[{item_t}]:
    """Combine two sorted lists into one sorted list in linear time."""
    merged: list[{item_t}] = []
    i = j = 0
    while i < len(left) and j < len(right):
        if {"left[i] >= right[j]" if descending else "left[i] <= right[j]"}:
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            j += 1
    return merged + left[i:] + right[j:]


'''
        body = f'''    if len({data_name}) <= 1:
        return list({data_name})
    middle = len({data_name}) // 2
    return merge({fn}({data_name}[:middle]), {fn}({data_name}[middle:]))'''
        idea = ("Merge sort splits the list in half, sorts each half recursively, and merges the two sorted halves. "
                "Each level of recursion does O(n) work and there are log2(n) levels: O(n log n) always. Taking from "
                "the left half on ties keeps it stable.")
    else:
        body = f'''    if not {data_name}:
        return []
    if min({data_name}) < 0:
        raise ValueError("counting sort needs non-negative integers")
    counts = [0] * (max({data_name}) + 1)
    for value in {data_name}:
        counts[value] += 1
    return [value for value, count in enumerate(counts) for _ in range(count)]'''
        idea = ("Counting sort never compares two items. It counts how often each value occurs, then writes the "
                "values out in order: O(n + k) for values up to k, which beats O(n log n) when k is small, as it "
                f"is for {what}.")
        helper = ""
    module = f'''"""Sorting {what} with {algo} sort, written out by hand."""


{helper}def {fn}({data_name}: list[{item_t}]) -> list[{item_t}]:
    """A new list with the items in {"descending" if descending else "ascending"} order; the input is unchanged."""
{body}
'''
    expected = sorted(data, reverse=descending)
    blocks = [f"{data_name.upper()} = {data!r}\n",
              f"def test_{fn}_{data_name}():\n    assert {fn}({data_name.upper()}) == {expected!r}\n",
              f"def test_input_unchanged():\n    before = list({data_name.upper()})\n    {fn}({data_name.upper()})\n"
              f"    assert {data_name.upper()} == before\n",
              f"def test_small_inputs():\n    assert {fn}([]) == []\n    assert {fn}([{one!r}]) == [{one!r}]\n",
              f"def test_agrees_with_sorted():\n    for n in range(8):\n"
              f"        data = [{'str((i * 7) % 5)' if use_words else '(i * 7) % 5'} for i in range(n)]\n"
              f"        assert {fn}(data) == sorted(data{', reverse=True' if descending else ''})\n"]
    if algo == "counting":
        blocks.append(_raises("negative_values", f"{fn}([3, -1])"))
    tests = _tests([fn], *blocks)
    explanation = _explain(
        rng,
        [f"Python's `sorted` is excellent and you should use it. But writing a sort yourself is the best way to "
         f"understand what it costs. Here we sort {what} with {algo} sort.",
         f"{algo.capitalize()} sort, step by step, on {what}.",
         f"Sorting algorithms differ in how they trade comparisons, moves and memory. {algo.capitalize()} sort is "
         "a good one to know, and it fits in a few lines."],
        [idea],
        ["The function copies its input and returns a new list, like `sorted` (not like `list.sort`, which sorts "
         "in place and returns None). A test makes sure the caller's list is untouched.",
         "The most convincing test compares the result with `sorted` on many small inputs, including empty lists "
         "and duplicates."])
    exercises = _some(rng, [
        f"Add a `key` parameter to `{fn}`, like the one `sorted` has.",
        "Count the comparisons made on sorted, reversed and random input and compare.",
        "Check whether your implementation is stable, using (value, label) pairs.",
        "Time it against `sorted` for 1,000 and 100,000 items with `timeit`.",
    ])
    return Lesson(f"{algo} sort on {what}", explanation, module, tests, exercises,
                  {"template": "sorting", "algo": algo, "descending": descending})


RECORD_SCENES = [
    ("Runner", [("name", "str"), ("club", "str"), ("minutes", "int")],
     [["Ada", "Bo", "Cy", "Di", "Ed", "Flo"], ["north", "south", "east"], (28, 60)], "race results"),
    ("Book", [("title", "str"), ("author", "str"), ("year", "int")],
     [["Dune", "Emma", "Ulysses", "Beloved", "Hamlet", "Walden"], ["austen", "joyce", "morrison"], (1800, 2020)],
     "a reading list"),
    ("Employee", [("name", "str"), ("team", "str"), ("salary", "int")],
     [["Ana", "Ben", "Cai", "Dev", "Eva", "Fay"], ["ops", "data", "web"], (30, 90)], "a payroll"),
    ("Product", [("sku", "str"), ("category", "str"), ("stock", "int")],
     [["kettle", "toaster", "blender", "mixer", "grill", "fan"], ["kitchen", "garden", "office"], (0, 40)],
     "a shop catalogue"),
    ("Song", [("title", "str"), ("genre", "str"), ("plays", "int")],
     [["Aurora", "Blue", "Comet", "Dawn", "Echo", "Flare"], ["jazz", "rock", "folk"], (0, 500)], "a music library"),
]


def _lesson_sort_keys(rng: random.Random) -> Lesson:
    cls, fields, (labels, groups, span), what = rng.choice(RECORD_SCENES)
    (f1, _), (f2, _), (f3, _) = fields
    rows = [(lab, rng.choice(groups), rng.randint(*span)) for lab in rng.sample(labels, 5)]
    fn = rng.choice([f"rank_{cls.lower()}s", f"sort_{cls.lower()}s", "ordered"])
    desc = rng.random() < 0.5
    keyer = rng.choice(["lambda", "attrgetter"]) if not desc else "lambda"
    if keyer == "attrgetter":
        key_src = f"attrgetter({f2!r}, {f3!r}, {f1!r})"
        head = "from dataclasses import dataclass\nfrom operator import attrgetter"
        rule = f"by {f2}, then {f3}, then {f1}, all ascending"
        expected = sorted(rows, key=lambda r: (r[1], r[2], r[0]))
    elif desc:
        key_src = f"lambda item: (item.{f2}, -item.{f3}, item.{f1})"
        head = "from dataclasses import dataclass"
        rule = f"by {f2} ascending, then {f3} descending, then {f1}"
        expected = sorted(rows, key=lambda r: (r[1], -r[2], r[0]))
    else:
        key_src = f"lambda item: (item.{f2}, item.{f3}, item.{f1})"
        head = "from dataclasses import dataclass"
        rule = f"by {f2}, then {f3}, then {f1}, all ascending"
        expected = sorted(rows, key=lambda r: (r[1], r[2], r[0]))
    best_fn = rng.choice(["best_per_group", f"top_by_{f2}", "leaders"])
    best: dict[str, tuple] = {}
    for r in rows:
        if r[1] not in best or (-r[2], r[0]) < (-best[r[1]][2], best[r[1]][0]):
            best[r[1]] = r
    best_expected = {g: r[0] for g, r in sorted(best.items())}
    module = f'''"""Sorting {what} by several keys at once."""

{head}


@dataclass(frozen=True)
class {cls}:
    {f1}: str
    {f2}: str
    {f3}: int


def {fn}(items: list[{cls}]) -> list[{cls}]:
    """The items sorted {rule}."""
    return sorted(items, key={key_src})


def {best_fn}(items: list[{cls}]) -> dict[str, str]:
    """For each {f2}, the {f1} with the highest {f3} (ties: alphabetically first {f1})."""
    best: dict[str, {cls}] = {{}}
    for item in sorted(items, key=lambda item: (-item.{f3}, item.{f1})):
        best.setdefault(item.{f2}, item)
    return {{group: item.{f1} for group, item in sorted(best.items())}}
'''
    tests = _tests(
        [cls, fn, best_fn],
        f"ROWS = {rows!r}\n\n\ndef items():\n    return [{cls}(*row) for row in ROWS]\n",
        f"def test_{fn}():\n    assert [x.{f1} for x in {fn}(items())] == {[r[0] for r in expected]!r}\n",
        f"def test_{best_fn}():\n    assert {best_fn}(items()) == {best_expected!r}\n",
        f"def test_{fn}_is_stable_and_pure():\n    data = items()\n    assert {fn}({fn}(data)) == {fn}(data)\n"
        f"    assert data == items()\n")
    explanation = _explain(
        rng,
        [f"Sorting {what} by one field is easy; real reports need ties broken by a second and third field. In "
         "Python the answer is a key function that returns a tuple: tuples compare element by element.",
         f"`sorted(items, key=...)` calls the key once per item and sorts by the results. Return a tuple and you "
         f"get a multi-level sort, here {rule}.",
         f"This lesson sorts {what} ({cls} records) by several fields and then picks a winner per group."],
        [(f"`operator.attrgetter({f2!r}, {f3!r}, {f1!r})` builds that tuple-returning key for us and reads "
          "slightly faster than the equivalent lambda.") if keyer == "attrgetter" else
         (f"To sort one field descending and the others ascending, negate the numeric field: `-item.{f3}`. "
          "(For strings there is no minus; then sort twice, relying on stability.)") if desc else
         "The lambda builds the comparison tuple; writing the fields in priority order is all it takes.",
         f"`{best_fn}` uses a neat trick: sort so that the best item of each group comes first, then "
         "`dict.setdefault` keeps only the first item it sees per key."],
        ["Python's sort is stable: items that compare equal keep their original order. Sorting an already sorted "
         "list therefore changes nothing, which one test checks.",
         "The dataclass is frozen, so records can be shared and compared safely; `sorted` never changes them."])
    exercises = _some(rng, [
        f"Sort by {f1} descending without negation (hint: stability and two passes).",
        f"Group the items by {f2} with `itertools.groupby` (sort first!).",
        "Add `order=True` to the dataclass and explain which field order it compares by.",
        "Return the top three per group instead of one.",
    ])
    return Lesson(f"sorting {what} by several keys", explanation, module, tests, exercises,
                  {"template": "sort_keys", "record": cls, "keyer": keyer, "desc": desc})


def _nested(rng: random.Random, depth: int) -> list:
    out: list = []
    for _ in range(rng.randint(1, 3)):
        if depth > 0 and rng.random() < 0.45:
            out.append(_nested(rng, depth - 1))
        else:
            out.append(rng.randint(0, 9))
    return out


def _flat(x: list) -> list[int]:
    out: list[int] = []
    for v in x:
        out.extend(_flat(v) if isinstance(v, list) else [v])
    return out


def _depth(x: list) -> int:
    return 1 + max((_depth(v) for v in x if isinstance(v, list)), default=0)


FLATTEN_SCENES = [("a folder tree of file sizes", "sizes"), ("an outline of chapter page counts", "pages"),
                  ("a bracket of tournament scores", "scores"), ("nested menu item prices", "prices"),
                  ("a family tree's ages", "ages"), ("comment threads' like counts", "likes")]


def _lesson_flatten(rng: random.Random) -> Lesson:
    what, unit = rng.choice(FLATTEN_SCENES)
    data = _nested(rng, 3)
    while _depth(data) < 3:
        data = [data, _nested(rng, 2)]
    style = rng.choice(["recursive_list", "generator", "stack"])
    fn = rng.choice(["flatten", "leaves", f"all_{unit}"])
    depth_fn = rng.choice(["depth", "nesting_level", "max_depth"])
    total_fn = rng.choice([f"total_{unit}", "deep_sum"])
    Nested = rng.choice(["Nested", "Tree", "NestedList"])
    if style == "recursive_list":
        flat_src = f'''def {fn}(items: {Nested}) -> list[int]:
    """Every integer in `items`, left to right, however deeply nested."""
    result: list[int] = []
    for item in items:
        if isinstance(item, list):
            result.extend({fn}(item))
        else:
            result.append(item)
    return result'''
        how = ("The recursive case is a nested list: flatten it with the same function and extend the result. "
               "The base case is an integer, appended as is.")
        head = ""
    elif style == "generator":
        flat_src = f'''def {fn}(items: {Nested}) -> Iterator[int]:
    """Yield every integer in `items`, left to right, however deeply nested."""
    for item in items:
        if isinstance(item, list):
            yield from {fn}(item)
        else:
            yield item'''
        how = ("`yield from` hands every value of the recursive call straight to our caller, so the generator "
               "version needs no intermediate lists at all.")
        head = "from collections.abc import Iterator\n"
    else:
        flat_src = f'''def {fn}(items: {Nested}) -> list[int]:
    """Every integer in `items`, left to right, however deeply nested (no recursion: an explicit stack)."""
    result: list[int] = []
    stack = [iter(items)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif isinstance(item, list):
            stack.append(iter(item))
        else:
            result.append(item)
    return result'''
        how = ("Recursion uses Python's call stack, which is limited to about 1000 frames. An explicit stack of "
               "iterators does the same walk with no limit: descend by pushing an iterator, return by popping one.")
        head = ""
    as_list = "list(" if style == "generator" else ""
    close = ")" if style == "generator" else ""
    module = f'''"""Recursion on nested lists: {what}."""

{head}
{Nested} = list["int | {Nested}"]


{flat_src}


def {depth_fn}(items: {Nested}) -> int:
    """1 for a flat list, plus one for each level of nesting inside it."""
    return 1 + max(({depth_fn}(item) for item in items if isinstance(item, list)), default=0)


def {total_fn}(items: {Nested}) -> int:
    """The sum of every integer, at any depth."""
    return sum({fn}(items))
'''.replace('"""\n\n\n' + Nested, '"""\n\n' + Nested)
    tests = _tests(
        [Nested, fn, depth_fn, total_fn],
        f"DATA: {Nested} = {data!r}\n",
        f"def test_{fn}():\n    assert {as_list}{fn}(DATA){close} == {_flat(data)!r}\n",
        _checks(rng, depth_fn, [("DATA", _depth(data)), ("[]", 1), ("[[[]]]", 3)], f"{depth_fn}_examples"),
        f"def test_{total_fn}():\n    assert {total_fn}(DATA) == {sum(_flat(data))}\n",
        f"def test_empty_lists_vanish():\n    assert {as_list}{fn}([[], [[]], 4]){close} == [4]\n")
    explanation = _explain(
        rng,
        [f"Data like {what} is naturally nested: lists inside lists to any depth. Loops handle one level; "
         "recursion handles all of them, because a nested list is just a smaller instance of the same problem.",
         "Every recursive function needs a base case that stops and a recursive case that makes progress. For "
         "nested lists the base case is a plain value and the recursive case is a sub-list.",
         f"This lesson writes `{fn}`, `{depth_fn}` and `{total_fn}` for {what}."],
        [how],
        [f"`{depth_fn}` follows the same shape: one plus the deepest child, and `max(..., default=0)` handles "
         "a list with no sub-lists.",
         f"The type alias `{Nested} = list[\"int | {Nested}\"]` is recursive: the string defers the "
         "self-reference, and pyright understands it.",
         "The tests include empty sub-lists, which contribute nothing but still count towards the depth."])
    exercises = _some(rng, [
        f"Write `{fn}` in one of the other styles (recursive list, generator with `yield from`, explicit stack).",
        "Keep the path to each value, e.g. (0, 2, 1) for `items[0][2][1]`.",
        "Flatten only down to a given depth.",
        "Make it work for tuples as well as lists.",
    ])
    return Lesson(f"recursion on nested lists ({what})", explanation, module, tests, exercises,
                  {"template": "flatten", "style": style})


PAIR_SCENES = [("prices", "two gifts that use up a gift card", "budget"), ("weights", "two parcels that fill a crate",
                                                                          "capacity"),
               ("durations", "two songs that fill a break exactly", "slot"),
               ("distances", "two legs that make up a route", "route_length"),
               ("calories", "two snacks that hit a target", "target"),
               ("minutes", "two workouts that fill a training slot", "session"),
               ("pages", "two chapters that make a night's reading", "reading_goal"),
               ("seats", "two groups that fill a minibus", "seats_free"),
               ("tokens", "two prompts that fit a model's context window", "context_size"),
               ("points", "two moves that reach a winning score", "winning_score")]


def _lesson_two_sum(rng: random.Random) -> Lesson:
    data_name, story, target_name = rng.choice(PAIR_SCENES)
    data = rng.sample(range(1, 60), rng.randint(6, 10))
    i, j = sorted(rng.sample(range(len(data)), 2))
    target = data[i] + data[j]
    fn = rng.choice(["find_pair", "two_sum", "matching_pair"])
    all_fn = rng.choice(["all_pairs", "every_pair", "pairs_summing_to"])

    def first_pair(xs: list[int], t: int) -> tuple[int, int] | None:
        seen: dict[int, int] = {}
        for k, x in enumerate(xs):
            if t - x in seen:
                return (seen[t - x], k)
            seen.setdefault(x, k)
        return None

    expected = first_pair(data, target)
    pairs = sorted({(min(a, b), max(a, b)) for x, a in enumerate(data) for b in data[x + 1:] if a + b == target})
    module = f'''"""Finding {story}: the two-sum problem, solved with a dictionary in one pass."""


def {fn}({data_name}: list[int], {target_name}: int) -> tuple[int, int] | None:
    """Indices (i, j), i < j, of the first pair (by j) whose values add up to `{target_name}`, or None."""
    seen: dict[int, int] = {{}}
    for j, value in enumerate({data_name}):
        wanted = {target_name} - value
        if wanted in seen:
            return seen[wanted], j
        seen.setdefault(value, j)
    return None


def {all_fn}({data_name}: list[int], {target_name}: int) -> list[tuple[int, int]]:
    """Every distinct pair of values (smaller first, sorted) that adds up to `{target_name}`."""
    seen: set[int] = set()
    found: set[tuple[int, int]] = set()
    for value in {data_name}:
        wanted = {target_name} - value
        if wanted in seen:
            found.add((min(value, wanted), max(value, wanted)))
        seen.add(value)
    return sorted(found)
'''
    tests = _tests(
        [fn, all_fn],
        f"{data_name.upper()} = {data!r}\n",
        f"def test_{fn}():\n    assert {fn}({data_name.upper()}, {target}) == {expected!r}\n",
        f"def test_{fn}_none():\n    assert {fn}({data_name.upper()}, 1000) is None\n    assert {fn}([], 5) is None\n",
        f"def test_{fn}_same_item_not_used_twice():\n    assert {fn}([5], 10) is None\n"
        f"    assert {fn}([5, 5], 10) == (0, 1)\n",
        f"def test_{all_fn}():\n    assert {all_fn}({data_name.upper()}, {target}) == {pairs!r}\n")
    explanation = _explain(
        rng,
        [f"We want {story}: given a list of {data_name} and a {target_name.replace('_', ' ')}, find two entries that "
         "add up to it exactly. Trying every pair works but costs O(n^2).",
         "The two-sum problem is a favourite interview question because the jump from the obvious solution to the "
         "good one is a single idea: remember what you have seen.",
         f"`{fn}` solves the two-sum problem for {story}, in one pass over the data."],
        [f"For each value we ask: have I already seen `{target_name} - value`? A dictionary from value to index "
         "answers in O(1), so the whole scan is O(n).",
         "Checking before inserting is what stops an item from pairing with itself; `setdefault` keeps the "
         "earliest index when a value repeats."],
        [f"`{all_fn}` is the same idea with a set, collecting every distinct pair instead of stopping at the first.",
         "Returning `None` when there is no pair makes the 'not found' case explicit in the type."])
    exercises = _some(rng, [
        "Solve it for a sorted list with two pointers and O(1) extra memory.",
        "Extend it to three values that add up to the target (three-sum).",
        "Return the pair whose sum is closest to the target when no exact pair exists.",
        "Count pairs instead of listing them, for very long inputs.",
    ])
    return Lesson(f"the two-sum problem: {story}", explanation, module, tests, exercises,
                  {"template": "two_sum", "scene": data_name})


SET_SCENES = [
    ("students", "two course rosters", ["ana", "ben", "chen", "dara", "eli", "fay", "gil", "hana", "ivo"]),
    ("tags", "tags on two blog posts", ["python", "web", "data", "ml", "api", "css", "sql", "cloud", "devops"]),
    ("guests", "two party guest lists", ["mia", "noah", "olga", "pete", "quin", "rosa", "sam", "tara", "uma"]),
    ("packages", "dependencies of two projects", ["numpy", "flask", "pytest", "rich", "click", "attrs", "httpx",
                                                  "pydantic", "jinja2"]),
    ("birds", "birds seen on two walks", ["robin", "wren", "heron", "kite", "swift", "finch", "owl", "jay", "crow"]),
]


def _lesson_set_ops(rng: random.Random) -> Lesson:
    noun, what, pool = rng.choice(SET_SCENES)
    a = rng.sample(pool, rng.randint(3, 6))
    b = rng.sample(pool, rng.randint(3, 6))
    a_name, b_name = rng.choice([("first", "second"), ("left", "right"), ("before", "after"), ("mine", "theirs")])
    fn = rng.choice(["compare", "diff_lists", f"compare_{noun}"])
    jac = rng.choice(["similarity", "jaccard", "overlap_score"])
    operators = rng.random() < 0.5
    ops = (("a & b", "a - b", "b - a", "a | b") if operators else
           ("a.intersection(b)", "a.difference(b)", "b.difference(a)", "a.union(b)"))
    sa, sb = set(a), set(b)
    report = {"both": sorted(sa & sb), f"only_{a_name}": sorted(sa - sb), f"only_{b_name}": sorted(sb - sa)}
    score = round(len(sa & sb) / len(sa | sb), 3)
    module = f'''"""Comparing {what} with set operations."""


def {fn}({a_name}: list[str], {b_name}: list[str]) -> dict[str, list[str]]:
    """Which {noun} are in both lists and which in only one, each group sorted."""
    a, b = set({a_name}), set({b_name})
    return {{
        "both": sorted({ops[0]}),
        "only_{a_name}": sorted({ops[1]}),
        "only_{b_name}": sorted({ops[2]}),
    }}


def {jac}({a_name}: list[str], {b_name}: list[str]) -> float:
    """Jaccard similarity: shared {noun} divided by all distinct {noun}, rounded to 3 places (1.0 for two empties)."""
    a, b = set({a_name}), set({b_name})
    if not a and not b:
        return 1.0
    return round(len({ops[0]}) / len({ops[3]}), 3)
'''
    tests = _tests(
        [fn, jac],
        f"{a_name.upper()} = {a!r}\n{b_name.upper()} = {b!r}\n",
        f"def test_{fn}():\n    assert {fn}({a_name.upper()}, {b_name.upper()}) == {report!r}\n",
        f"def test_{jac}():\n    assert {jac}({a_name.upper()}, {b_name.upper()}) == {score!r}\n",
        f"def test_{jac}_edge_cases():\n    assert {jac}([], []) == 1.0\n    assert {jac}(['x'], ['y']) == 0.0\n"
        f"    assert {jac}({a_name.upper()}, {a_name.upper()}) == 1.0\n",
        f"def test_duplicates_do_not_matter():\n    assert {fn}(['x', 'x'], ['x']) == "
        f"{{'both': ['x'], 'only_{a_name}': [], 'only_{b_name}': []}}\n")
    explanation = _explain(
        rng,
        [f"Given {what}, which {noun} appear in both, and which in only one? With lists you would write nested "
         "loops; with sets each question is one operator.",
         "Sets are Python's tool for membership questions: no duplicates, O(1) `in`, and the algebra of "
         f"intersection, difference and union built in. We use them on {what}.",
         f"`{fn}` and `{jac}` answer two questions about {what}: what differs, and how similar are they overall?"],
        [("The operators read like the maths: `a & b` (intersection), `a - b` (difference), `a | b` (union)."
          if operators else
          "The named methods (`intersection`, `difference`, `union`) read well and, unlike the operators, also "
          "accept any iterable as argument."),
         "Converting to sets discards duplicates and order, so every group is sorted before returning: sets have "
         "no order, and tests need one."],
        [f"`{jac}` is the Jaccard similarity, the same measure that near-duplicate detection uses on word "
         "shingles. Two empty inputs are defined as identical, avoiding a division by zero.",
         "A test checks that repeating a name changes nothing, the defining property of a set."])
    exercises = _some(rng, [
        "Add the symmetric difference (in exactly one list) using `^`.",
        "Compare three lists: who is in all of them, and who in exactly one?",
        "Make the comparison case-insensitive.",
        "Use `collections.Counter` instead to compare lists where duplicates matter.",
    ])
    return Lesson(f"set operations: comparing {what}", explanation, module, tests, exercises,
                  {"template": "set_ops", "scene": noun, "operators": operators})


ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
         (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def _to_roman(n: int) -> str:
    out = []
    for v, s in ROMAN:
        while n >= v:
            out.append(s)
            n -= v
    return "".join(out)


def _lesson_roman(rng: random.Random) -> Lesson:
    context = rng.choice(["chapter numbers in a book", "years on a film's copyright notice", "clock faces",
                          "the names of monarchs (Louis XIV)", "Super Bowl editions", "page numbers of a preface"])
    to_fn, from_fn = rng.choice([("to_roman", "from_roman"), ("roman", "arabic"), ("encode_roman", "decode_roman")])
    style = rng.choice(["greedy_table", "divmod"])
    numbers = rng.sample(range(1, 4000), 5) + [rng.choice([4, 9, 14, 40, 90, 400, 900, 1994, 3999])]
    parse = rng.choice(["lookahead", "right_to_left"])
    if parse == "lookahead":
        parse_body = """    total = 0
    for ch, following in zip(numeral, numeral[1:] + " "):
        value = VALUES[ch]
        total += -value if following in VALUES and VALUES[following] > value else value
"""
        parse_note = ("Reading left to right, a symbol smaller than the one after it is subtracted (the I in IV), "
                      "otherwise added; pairing each character with its successor via `zip` gives the lookahead.")
    else:
        parse_body = """    total = 0
    largest_so_far = 0
    for ch in reversed(numeral):
        value = VALUES[ch]
        if value < largest_so_far:
            total -= value
        else:
            total += value
            largest_so_far = value
"""
        parse_note = ("Reading right to left is simpler: keep the largest value seen so far; a smaller symbol "
                      "before it (the I in IV) is subtracted, anything else is added.")
    table = rng.choice(["pairs", "digits"])
    if table == "pairs":
        table_src = """NUMERALS = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]
VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
"""
    else:
        table_src = """# Each decimal digit has its own Roman spelling; the four tables are thousands, hundreds, tens and ones.
THOUSANDS = ["", "M", "MM", "MMM"]
HUNDREDS = ["", "C", "CC", "CCC", "CD", "D", "DC", "DCC", "DCCC", "CM"]
TENS = ["", "X", "XX", "XXX", "XL", "L", "LX", "LXX", "LXXX", "XC"]
ONES = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"]
VALUES = dict(I=1, V=5, X=10, L=50, C=100, D=500, M=1000)
"""
        style = "digits"
    if style == "digits":
        to_body = """    return THOUSANDS[number // 1000] + HUNDREDS[number // 100 % 10] + TENS[number // 10 % 10] + ONES[number % 10]"""
        how = ("Roman numerals are really decimal: each digit of the number is spelled independently, with "
               "its own three letters (I/V/X for ones, X/L/C for tens, ...). Four lookup tables indexed by the "
               "digits, joined together, give the numeral with no loop at all.")
    elif style == "greedy_table":
        to_body = '''    parts = []
    for value, symbol in NUMERALS:
        while number >= value:
            parts.append(symbol)
            number -= value
    return "".join(parts)'''
        how = ("The table includes the subtractive pairs (CM, XC, IV, ...) as if they were single symbols. Then "
               "conversion is greedy: take the largest value that still fits, as often as it fits.")
    else:
        to_body = '''    parts = []
    for value, symbol in NUMERALS:
        count, number = divmod(number, value)
        parts.append(symbol * count)
    return "".join(parts)'''
        how = ("`divmod(number, value)` gives how many times a symbol fits and what remains in one step, so each "
               "table entry is visited once. With the subtractive pairs (CM, XC, IV, ...) in the table, this is the "
               "whole algorithm.")
    module = f'''"""Roman numerals, both ways, for {context}."""

{table_src}

def {to_fn}(number: int) -> str:
    """The Roman numeral for 1..3999; raises ValueError outside that range."""
    if not 1 <= number <= 3999:
        raise ValueError("Roman numerals cover 1 to 3999")
{to_body}


def {from_fn}(numeral: str) -> int:
    """The value of a canonical Roman numeral; raises ValueError for anything else (like 'IIII' or 'IC')."""
    if not numeral or any(ch not in VALUES for ch in numeral):
        raise ValueError(f"not a Roman numeral: {{numeral!r}}")
{parse_body}    if total < 1 or total > 3999 or {to_fn}(total) != numeral:
        raise ValueError(f"not a canonical Roman numeral: {{numeral!r}}")
    return total
'''
    cases = [(str(n), _to_roman(n)) for n in numbers]
    back = rng.sample(numbers, 3)
    tests = _tests(
        [to_fn, from_fn],
        _checks(rng, to_fn, cases, f"{to_fn}_examples"),
        _checks(rng, from_fn, [(repr(_to_roman(n)), n) for n in back], f"{from_fn}_examples"),
        f"def test_round_trip_everything():\n    for n in range(1, 4000):\n        assert {from_fn}({to_fn}(n)) == n\n",
        f'@pytest.mark.parametrize("bad", ["", "IIII", "IC", "VX", "ABC", "MMMM"])\n'
        f"def test_{from_fn}_rejects(bad):\n    with pytest.raises(ValueError):\n        {from_fn}(bad)\n",
        _raises(f"{to_fn}_out_of_range", f"{to_fn}(0)"))
    explanation = _explain(
        rng,
        [f"Roman numerals still appear in {context}. Converting to them is a neat greedy algorithm; converting "
         "back needs one observation about subtraction.",
         f"This lesson converts between integers and Roman numerals, as used for {context}, and validates input "
         "strictly.",
         "Roman numerals look irregular, but with the right table they are not: list the subtractive pairs next "
         "to the single letters and the irregularity disappears."],
        [how],
        [parse_note + " That rule alone would accept nonsense such as 'IC' or 'IIII', so the parser converts its "
         "result back and insists on getting the same string: only canonical numerals pass.",
         f"Validation by round trip is a cheap, strong technique: `{from_fn}` trusts `{to_fn}` to define what a "
         "correct numeral is, and the exhaustive test checks all 3999 values both ways."])
    exercises = _some(rng, [
        "Accept lowercase numerals as well.",
        "Support numbers up to 3,999,999 with an overline (use a trailing '_' for 'times 1000').",
        "Write a function that adds two Roman numerals without converting to int (hard!).",
        "Explain why the round-trip check rejects 'IIII' although clocks use it.",
    ])
    return Lesson(f"Roman numerals for {context}", explanation, module, tests, exercises,
                  {"template": "roman", "style": style, "parse": parse, "table": table})


BASE_SCENES = [(2, "binary", "bit masks"), (16, "hexadecimal", "colour codes"), (8, "octal", "file permissions"),
               (36, "base 36", "short URL ids"), (3, "ternary", "a balanced-scale puzzle"),
               (5, "base 5", "counting on one hand"), (12, "duodecimal", "dozens and grosses"),
               (7, "base 7", "days-of-the-week arithmetic"), (20, "vigesimal", "Maya-style counting"),
               (32, "base 32", "compact order numbers"), (6, "senary", "dice-roll encodings"),
               (4, "quaternary", "DNA letters as digits"), (9, "base 9", "packing sudoku digits")]


def _lesson_bases(rng: random.Random) -> Lesson:
    base, base_name, use = rng.choice(BASE_SCENES)
    to_fn = rng.choice(["to_base", "encode_number", "in_base"])
    from_fn = rng.choice(["from_base", "decode_number", "parse_base"])
    digits_name = rng.choice(["DIGITS", "ALPHABET", "SYMBOLS"])
    recursive = rng.random() < 0.4
    alphabet = string.digits + string.ascii_lowercase

    def conv(n: int, b: int) -> str:
        if n == 0:
            return "0"
        sign, n, out = "-" if n < 0 else "", abs(n), []
        while n:
            n, r = divmod(n, b)
            out.append(alphabet[r])
        return sign + "".join(reversed(out))

    nums = [rng.randint(0, 5000) for _ in range(4)] + [-rng.randint(1, 300)]
    if recursive:
        body = f'''    if number < 0:
        return "-" + {to_fn}(-number, base)
    if number < base:
        return {digits_name}[number]
    return {to_fn}(number // base, base) + {digits_name}[number % base]'''
        how = ("The recursive version says it directly: the representation of n is the representation of "
               "n // base followed by the digit for n % base. Small numbers are a single digit (the base case).")
    else:
        body = f'''    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    number = abs(number)
    digits = []
    while number:
        number, remainder = divmod(number, base)
        digits.append({digits_name}[remainder])
    return sign + "".join(reversed(digits))'''
        how = ("Repeated `divmod` peels off the last digit each time: the remainder is the digit, the quotient is "
               "what is left. The digits come out least significant first, hence the `reversed`.")
    module = f'''"""Writing integers in any base from 2 to 36, for {use}."""

{digits_name} = "0123456789abcdefghijklmnopqrstuvwxyz"


def {to_fn}(number: int, base: int) -> str:
    """`number` written in `base` (2..36) with digits 0-9 then a-z; negative numbers get a leading '-'."""
    if not 2 <= base <= 36:
        raise ValueError("base must be between 2 and 36")
{body}


def {from_fn}(text: str, base: int) -> int:
    """The inverse of `{to_fn}`; Python's int() already parses any base from 2 to 36."""
    return int(text, base)
'''
    tests = _tests(
        [to_fn, from_fn],
        _checks(rng, to_fn, [(f"{n}, {base}", conv(n, base)) for n in nums], f"{to_fn}_{base_name.replace(' ', '_')}"),
        f"def test_round_trip():\n    for base in (2, 7, {base}, 36):\n        for n in range(-50, 500, 7):\n"
        f"            assert {from_fn}({to_fn}(n, base), base) == n\n",
        f"def test_matches_builtins():\n    assert {to_fn}(255, 16) == format(255, 'x')\n"
        f"    assert {to_fn}(10, 2) == bin(10)[2:]\n    assert {to_fn}(0, {base}) == '0'\n",
        _raises("bad_base", f"{to_fn}(5, 1)"))
    explanation = _explain(
        rng,
        [f"{base_name[0].upper() + base_name[1:]} shows up in {use}. Python can print a few bases itself "
         "(`bin`, `oct`, `hex`), but writing the general conversion teaches how positional notation works.",
         f"A number has no base; its *representation* does. `{to_fn}` produces the representation in any base "
         f"from 2 to 36, and we use base {base} ({base_name}) for {use}.",
         f"How do you write 2024 in {base_name}? Divide by {base} repeatedly and read the remainders backwards."],
        [how],
        [f"Parsing back needs no code: `int(text, base)` does it. The round-trip test checks `{to_fn}` against it "
         "for several bases, and another test compares with `format` and `bin`.",
         "Bases above 10 need more digit symbols; using 0-9 followed by a-z gives 36 of them, the same convention "
         "`int()` accepts."])
    exercises = _some(rng, [
        f"Write `{from_fn}` yourself instead of calling `int` (multiply and add, digit by digit).",
        "Support a custom digit alphabet, e.g. one that avoids look-alike characters.",
        "Format binary output in groups of four digits separated by '_'.",
        "Convert between two bases directly, such as base 3 to base 9, and explain the shortcut.",
    ])
    return Lesson(f"number bases: {base_name} for {use}", explanation, module, tests, exercises,
                  {"template": "bases", "base": base, "recursive": recursive})


CSV_SCENES = [
    ("sales", "region", "amount", ["north", "south", "east", "west"], "a shop's sales export"),
    ("expenses", "category", "cost", ["travel", "food", "office", "software"], "a team's expense report"),
    ("rainfall", "station", "mm", ["airport", "harbour", "hilltop", "valley"], "weather station readings"),
    ("donations", "campaign", "euros", ["spring", "summer", "gala", "online"], "a charity's donations"),
    ("workouts", "activity", "minutes", ["run", "swim", "cycle", "yoga"], "a fitness log"),
]


def _lesson_csv_totals(rng: random.Random) -> Lesson:
    name, group, value, labels, what = rng.choice(CSV_SCENES)
    rows = [(rng.choice(labels), rng.randint(1, 200)) for _ in range(rng.randint(5, 9))]
    delim = rng.choice([",", ";"])
    fn = rng.choice([f"totals_by_{group}", f"sum_{value}", "group_totals"])
    use_dictreader = rng.random() < 0.5
    csv_text = f"{group}{delim}{value}\n" + "".join(f"{g}{delim}{v}\n" for g, v in rows)
    totals: dict[str, int] = {}
    for g, v in rows:
        totals[g] = totals.get(g, 0) + v
    expected = dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))
    if use_dictreader:
        read = f'''    reader = csv.DictReader(io.StringIO(text), delimiter={delim!r})
    for line_no, row in enumerate(reader, start=2):
        try:
            amount = int(row[{value!r}])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"line {{line_no}}: bad {value} {{row.get({value!r})!r}}") from None
        totals[row[{group!r}]] += amount'''
        how = (f"`csv.DictReader` reads the header line and yields each row as a dict, so the code says "
               f"`row[{value!r}]` instead of `row[1]`: robust to reordered columns.")
    else:
        read = f'''    reader = csv.reader(io.StringIO(text), delimiter={delim!r})
    next(reader, None)  # the header
    for line_no, row in enumerate(reader, start=2):
        if len(row) != 2 or not row[1].strip().lstrip("-").isdigit():
            raise ValueError(f"line {{line_no}}: expected '{group}{delim}{value}', got {{row!r}}")
        totals[row[0]] += int(row[1])'''
        how = ("`csv.reader` yields each line as a list of fields, handling quoting for us (a field may contain "
               "the delimiter if it is quoted). We skip the header with `next` and check each row's shape.")
    module = f'''"""Totals per {group} from {what} in CSV form, with the csv module."""

import csv
import io
from collections import defaultdict


def {fn}(text: str) -> dict[str, int]:
    """Sum the `{value}` column per `{group}`; the biggest total first, ties alphabetical."""
    totals: defaultdict[str, int] = defaultdict(int)
{read}
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))
'''
    tests = _tests(
        [fn],
        f"CSV = {csv_text!r}\n",
        f"def test_{fn}():\n    assert {fn}(CSV) == {expected!r}\n",
        f"def test_order_is_biggest_first():\n    assert list({fn}(CSV)) == {list(expected)!r}\n",
        f"def test_header_only():\n    assert {fn}('{group}{delim}{value}\\n') == {{}}\n",
        _raises("bad_number", f"{fn}('{group}{delim}{value}\\nx{delim}lots\\n')", match="line 2"),
        f"def test_quoted_field():\n    assert {fn}('{group}{delim}{value}\\n\"a{delim}b\"{delim}3\\n') == "
        f"{{'a{delim}b': 3}}\n")
    explanation = _explain(
        rng,
        [f"{what[0].upper() + what[1:]} arrives as CSV text. We want the total {value} per {group}. Splitting "
         f"lines on {delim!r} by hand breaks as soon as a field is quoted, so we let the `csv` module parse.",
         f"CSV looks too simple to need a library, until a value contains the delimiter. This lesson totals "
         f"{what} properly, with `csv` and `defaultdict`.",
         f"`{fn}` reads CSV text and sums one column grouped by another: a tiny version of a spreadsheet pivot "
         "table or SQL's GROUP BY."],
        [how,
         "`defaultdict(int)` starts every new group at 0, so adding to a group needs no existence check. The "
         "result is sorted biggest first; dicts keep insertion order, so the sorted order survives."],
        ["Errors name the line number (the header is line 1), which is what a person fixing the file needs.",
         "`io.StringIO` lets the function take text, which keeps tests free of temporary files; for a real file, "
         "pass `open(path, newline='')` to the reader instead."])
    exercises = _some(rng, [
        f"Also report the average {value} per {group}.",
        "Read from a file path and handle a UTF-8 byte-order mark.",
        "Write the totals back out as CSV with `csv.writer`.",
        "Let the caller choose which columns to group by and sum.",
    ])
    return Lesson(f"CSV group totals: {what}", explanation, module, tests, exercises,
                  {"template": "csv_totals", "scene": name, "dictreader": use_dictreader})


HEAP_SCENES = [
    ("tasks", "a to-do list where urgent tasks come first", ["email", "invoice", "backup", "review", "deploy", "call"]),
    ("patients", "an emergency room triage desk", ["ana", "bo", "cyd", "dee", "eko", "fin"]),
    ("jobs", "a print server's job scheduler", ["poster", "thesis", "flyer", "memo", "badge", "map"]),
    ("downloads", "a download manager", ["iso", "video", "patch", "album", "docs", "game"]),
    ("events", "a discrete event simulator", ["arrive", "depart", "refuel", "board", "taxi", "land"]),
    ("repairs", "a city's pothole repair backlog", ["elm_st", "oak_ave", "bridge", "market", "station", "park"]),
    ("alerts", "a monitoring system's alert queue", ["disk", "cpu", "latency", "errors", "memory", "certs"]),
    ("orders", "a bakery's custom cake orders", ["wedding", "birthday", "retirement", "graduation", "party", "baby"]),
    ("builds", "a CI server's build queue", ["hotfix", "nightly", "release", "docs", "feature", "bench"]),
]


def _lesson_heap(rng: random.Random) -> Lesson:
    noun, what, names = rng.choice(HEAP_SCENES)
    cls = rng.choice(["PriorityQueue", "Scheduler", "Triage", "Agenda"])
    add, pop = rng.choice([("push", "pop"), ("add", "next"), ("schedule", "take"), ("submit", "serve")])
    entries = [(n, rng.randint(1, 5)) for n in rng.sample(names, 5)]
    order = [n for n, _, _ in sorted(((n, p, i) for i, (n, p) in enumerate(entries)), key=lambda t: (t[1], t[2]))]
    k = rng.randint(2, 3)
    top_fn = rng.choice(["smallest_k", "most_urgent", "first_k"])
    module = f'''"""{what[0].upper() + what[1:]}: a priority queue on top of heapq."""

import heapq
import itertools


class {cls}:
    """Lowest priority number first; equal priorities leave in the order they were added."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, str]] = []
        self._counter = itertools.count()

    def {add}(self, item: str, priority: int) -> None:
        heapq.heappush(self._heap, (priority, next(self._counter), item))

    def {pop}(self) -> str:
        """Remove and return the most urgent item; raises IndexError when empty."""
        if not self._heap:
            raise IndexError("nothing scheduled")
        return heapq.heappop(self._heap)[2]

    def __len__(self) -> int:
        return len(self._heap)


def {top_fn}(priorities: dict[str, int], k: int) -> list[str]:
    """The k items with the lowest priority numbers (ties by name), without sorting everything."""
    return [name for _, name in heapq.nsmallest(k, ((p, name) for name, p in priorities.items()))]
'''
    prio = dict(entries)
    top = [n for _, n in sorted((p, n) for n, p in prio.items())[:k]]
    tests = _tests(
        [cls, top_fn],
        f"ENTRIES = {entries!r}\n",
        f"def test_{pop}_order():\n    q = {cls}()\n    for item, priority in ENTRIES:\n        q.{add}(item, priority)\n"
        f"    assert [q.{pop}() for _ in range(len(ENTRIES))] == {order!r}\n",
        f"def test_ties_are_first_in_first_out():\n    q = {cls}()\n    for name in ['a', 'b', 'c']:\n"
        f"        q.{add}(name, 1)\n    assert [q.{pop}() for _ in range(3)] == ['a', 'b', 'c']\n",
        f"def test_empty():\n    q = {cls}()\n    assert len(q) == 0\n    with pytest.raises(IndexError):\n"
        f"        q.{pop}()\n",
        f"def test_{top_fn}():\n    assert {top_fn}(dict(ENTRIES), {k}) == {top!r}\n")
    explanation = _explain(
        rng,
        [f"In {what}, the next {noun[:-1]} to handle is the most urgent one, not the oldest. A heap keeps the most "
         "urgent item at the front with O(log n) work per insertion and removal.",
         f"A priority queue is a queue where items jump ahead by importance. Python's `heapq` module turns a "
         f"plain list into one; `{cls}` wraps it with a friendlier interface.",
         f"`heapq` maintains the heap property on a list: `heap[0]` is always the smallest item. We use it for "
         f"{what}."],
        ["Entries are tuples `(priority, counter, item)`. Tuples compare element by element, so the priority "
         "decides first, and the ever-increasing counter breaks ties in arrival order, which also means the items "
         "themselves are never compared.",
         "Without the counter, two entries with the same priority would be ordered by item, and items that cannot "
         "be compared (dicts, objects) would crash the heap. The counter makes the queue stable and safe."],
        [f"`{top_fn}` shows the other side of `heapq`: `nsmallest(k, ...)` finds the k smallest in O(n log k), "
         "cheaper than sorting everything when k is small.",
         "`heapq` only offers a min-heap; for 'largest first', push negated priorities."])
    exercises = _some(rng, [
        f"Add a `peek` method that returns the next {noun[:-1]} without removing it.",
        "Support changing the priority of an item that is already queued (hint: lazy deletion).",
        "Make a max-priority version by negating priorities, and test it.",
        "Merge several sorted lists with `heapq.merge` and explain how it uses a heap.",
    ])
    return Lesson(f"priority queues with `heapq`: {what}", explanation, module, tests, exercises,
                  {"template": "heap", "cls": cls})


LRU_SCENES = [
    ("thumbnails", "image thumbnails", "path", ["cat.png", "dog.jpg", "map.gif", "logo.svg", "sky.png", "sea.jpg",
                                                "tree.png", "moon.gif"]),
    ("pages", "rendered web pages", "url", ["/home", "/about", "/blog", "/shop", "/faq", "/login", "/news", "/help"]),
    ("lookups", "DNS lookups", "hostname", ["example.org", "python.org", "pypi.org", "github.com", "wikipedia.org",
                                            "gnu.org", "kernel.org", "debian.org"]),
    ("queries", "database query results", "sql", ["users", "orders", "invoices", "products", "reviews", "carts",
                                                  "sessions", "coupons"]),
    ("profiles", "user profiles", "username", ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]),
    ("tiles", "map tiles", "tile", ["north", "south", "east", "west", "centre", "harbour", "hills", "forest"]),
    ("translations", "translated UI strings", "phrase", ["hello", "goodbye", "save", "cancel", "open", "close",
                                                         "undo", "print"]),
    ("weather", "weather forecasts per city", "city", ["oslo", "lima", "cairo", "perth", "quito", "dakar", "riga",
                                                       "hanoi"]),
]


def _lesson_lru(rng: random.Random) -> Lesson:
    noun, what, key_name, key_pool = rng.choice(LRU_SCENES)
    cls = rng.choice(["LRUCache", f"{noun.capitalize()}Cache", "RecentCache", "BoundedCache"])
    cap = rng.randint(2, 4)
    keys = rng.sample(key_pool, cap + 3)
    ops: list[tuple[str, str]] = []
    for _ in range(rng.randint(7, 11)):
        ops.append((rng.choice(["put", "put", "get"]), rng.choice(keys)))
    sim: OrderedDict[str, str] = OrderedDict()
    results = []
    for op, key in ops:
        if op == "put":
            sim[key] = key.upper()
            sim.move_to_end(key)
            if len(sim) > cap:
                sim.popitem(last=False)
        else:
            if key in sim:
                sim.move_to_end(key)
                results.append(sim[key])
            else:
                results.append(None)
    final = list(sim)
    script = "".join(
        f"    cache.put({key!r}, {key.upper()!r})\n" if op == "put" else f"    seen.append(cache.get({key!r}))\n"
        for op, key in ops)
    module = f'''"""A least-recently-used cache for {what}, built on OrderedDict."""

from collections import OrderedDict


class {cls}:
    """Keeps at most `capacity` entries; adding one more evicts the entry used longest ago."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._entries: OrderedDict[str, str] = OrderedDict()

    def get(self, {key_name}: str) -> str | None:
        """The cached value (which now counts as recently used), or None on a miss."""
        if {key_name} not in self._entries:
            return None
        self._entries.move_to_end({key_name})
        return self._entries[{key_name}]

    def put(self, {key_name}: str, value: str) -> None:
        """Store or refresh an entry, evicting the least recently used one if over capacity."""
        self._entries[{key_name}] = value
        self._entries.move_to_end({key_name})
        if len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def keys(self) -> list[str]:
        """Keys from least to most recently used."""
        return list(self._entries)
'''
    tests = _tests(
        [cls],
        f"def test_script():\n    cache = {cls}({cap})\n    seen = []\n{script}    assert seen == {results!r}\n"
        f"    assert cache.keys() == {final!r}\n",
        f"def test_get_refreshes():\n    cache = {cls}(2)\n    cache.put('a', '1')\n    cache.put('b', '2')\n"
        f"    cache.get('a')\n    cache.put('c', '3')\n    assert cache.keys() == ['a', 'c']\n",
        _raises("zero_capacity", f"{cls}(0)"))
    explanation = _explain(
        rng,
        [f"Computing {what} is slow, so we keep recent results. But memory is finite: when the cache is full, "
         "which entry goes? 'Least recently used' (LRU) is the classic answer: evict what nobody has asked for "
         "in the longest time.",
         f"`functools.lru_cache` caches function calls; sometimes you need the same policy for data you manage "
         f"yourself, such as {what}. `{cls}` does that in a few lines.",
         f"An LRU cache needs two things: fast lookup by key, and an order of use. `OrderedDict` provides both, "
         f"and we use it to cache {what}."],
        ["`move_to_end(key)` marks an entry as most recently used in O(1); `popitem(last=False)` removes the "
         "oldest in O(1). Every operation of the cache is therefore constant time.",
         "Both reading and writing count as use: `get` and `put` move the key to the end, so the front of the "
         "OrderedDict is always the eviction candidate."],
        ["The scripted test replays a sequence of operations and checks every lookup result and the final order, "
         "so a wrong eviction shows up immediately.",
         "A capacity below 1 makes no sense and is rejected in the constructor, not discovered later."])
    exercises = _some(rng, [
        "Count hits and misses and expose a hit rate.",
        "Add a time-to-live: entries older than n seconds count as misses.",
        "Implement the same cache with a plain dict (which also keeps insertion order) and compare.",
        "Turn it into a decorator that caches a function's results by argument.",
    ])
    return Lesson(f"an LRU cache for {what}", explanation, module, tests, exercises,
                  {"template": "lru", "capacity": cap})


def _lesson_primes(rng: random.Random) -> Lesson:
    context = rng.choice(["choosing hash table sizes", "a maths puzzle app", "testing number theory homework",
                          "generating cicada-like cycle lengths", "a cryptography warm-up", "a gear-ratio designer",
                          "a coding-club challenge", "spacing out periodic cron jobs"])
    limit = rng.randint(30, 120)
    sieve_fn = rng.choice(["primes_up_to", "sieve", "prime_list", "primes_below_or_at"])
    test_fn = rng.choice(["is_prime", "prime", "check_prime", "has_no_divisors"])
    factor_fn = rng.choice(["factorise", "prime_factors", "factors", "decompose"])
    trial = rng.choice(["odd", "six_k"])
    as_counts = rng.random() < 0.4
    primes = [n for n in range(2, limit + 1) if all(n % d for d in range(2, int(n ** 0.5) + 1))]
    comp = rng.randint(2, 5000)
    f, n, d = [], comp, 2
    while d * d <= n:
        while n % d == 0:
            f.append(d)
            n //= d
        d += 1
    if n > 1:
        f.append(n)
    probes = rng.sample(range(0, 200), 3) + rng.sample(primes, 2)
    if trial == "odd":
        trial_src = f'''def {test_fn}(n: int) -> bool:
    """Trial division by 2 and by odd numbers up to the square root."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    return all(n % d for d in range(3, math.isqrt(n) + 1, 2))'''
        trial_note = ("Trial division only needs divisors up to the square root: if n = a * b with a <= b, then "
                      "a <= sqrt(n). `math.isqrt` gives that bound exactly, without floating point, and after 2 "
                      "only odd divisors are tried.")
    else:
        trial_src = f'''def {test_fn}(n: int) -> bool:
    """Trial division by 2, 3 and then numbers of the form 6k - 1 and 6k + 1 up to the square root."""
    if n < 4:
        return n >= 2
    if n % 2 == 0 or n % 3 == 0:
        return False
    k = 5
    while k * k <= n:
        if n % k == 0 or n % (k + 2) == 0:
            return False
        k += 6
    return True'''
        trial_note = ("Every prime above 3 is one more or one less than a multiple of 6 (the other residues are "
                      "divisible by 2 or 3), so after testing 2 and 3 the loop only tries k and k + 2 for k = 5, "
                      "11, 17, ...: a third of the candidates.")
    if as_counts:
        factor_src = f'''def {factor_fn}(n: int) -> dict[int, int]:
    """The prime factorisation of n >= 2 as {{prime: exponent}}, primes ascending."""
    if n < 2:
        raise ValueError("only integers >= 2 have a prime factorisation")
    exponents: Counter[int] = Counter()
    divisor = 2
    while divisor * divisor <= n:
        while n % divisor == 0:
            exponents[divisor] += 1
            n //= divisor
        divisor += 1
    if n > 1:
        exponents[n] += 1
    return dict(exponents)'''
        head = "import math\nfrom collections import Counter"
        f_expected: Any = dict(Counter(f))
        f_check = (f"    assert math.prod(p ** e for p, e in {factor_fn}({comp}).items()) == {comp}\n")
    else:
        factor_src = f'''def {factor_fn}(n: int) -> list[int]:
    """The prime factors of n >= 2 in ascending order, with repetition."""
    if n < 2:
        raise ValueError("only integers >= 2 have a prime factorisation")
    factors: list[int] = []
    divisor = 2
    while divisor * divisor <= n:
        while n % divisor == 0:
            factors.append(divisor)
            n //= divisor
        divisor += 1
    if n > 1:
        factors.append(n)
    return factors'''
        head = "import math"
        f_expected = f
        f_check = f"    assert math.prod({factor_fn}({comp})) == {comp}\n"
    module = f'''"""Prime numbers for {context}: a sieve, a primality test and factorisation."""

{head}


def {sieve_fn}(limit: int) -> list[int]:
    """All primes <= limit, with the sieve of Eratosthenes."""
    if limit < 2:
        return []
    candidate = [True] * (limit + 1)
    candidate[0] = candidate[1] = False
    for n in range(2, math.isqrt(limit) + 1):
        if candidate[n]:
            for multiple in range(n * n, limit + 1, n):
                candidate[multiple] = False
    return [n for n, is_candidate in enumerate(candidate) if is_candidate]


{trial_src}


{factor_src}
'''
    tests = _tests(
        [sieve_fn, test_fn, factor_fn],
        f"def test_{sieve_fn}():\n    assert {sieve_fn}({limit}) == {primes!r}\n",
        _checks(rng, test_fn, [(str(p), all(p % d for d in range(2, int(p ** 0.5) + 1)) and p >= 2) for p in probes],
                f"{test_fn}_examples"),
        f"def test_sieve_agrees_with_{test_fn}():\n    assert {sieve_fn}(500) == [n for n in range(501) if {test_fn}(n)]\n",
        f"def test_{factor_fn}():\n    assert {factor_fn}({comp}) == {f_expected!r}\n{f_check}",
        _raises(f"{factor_fn}_rejects_one", f"{factor_fn}(1)"),
        imports=("import math",))
    explanation = _explain(
        rng,
        [f"Primes come up in {context}. Three tools cover most needs: list all primes up to a limit, test one "
         "number, and break a number into prime factors.",
         "The sieve of Eratosthenes is over two thousand years old and still the fastest simple way to list small "
         "primes. We write it next to trial division and factorisation, and test them against each other.",
         f"This lesson is about primes, for {context}, and about testing two implementations against each other."],
        ["The sieve crosses out multiples of each prime, starting at n*n (smaller multiples were crossed out by "
         "smaller primes), and only for n up to the square root of the limit: O(n log log n) overall.",
         trial_note],
        [("Factorisation divides out each factor completely before moving on, so only primes are ever counted; "
          "a `Counter` tallies the exponents, and multiplying the prime powers back must give the number.")
         if as_counts else
         ("Factorisation divides out each factor completely before moving on, so only primes are ever appended; "
          "`math.prod` of the result must give the number back."),
         f"A strong test compares the sieve with `{test_fn}` on every number up to 500: two different algorithms "
         "agreeing is convincing evidence."])
    exercises = _some(rng, [
        "Make the sieve a generator that yields primes as it finds them.",
        "Count primes below one million and time the sieve against trial division.",
        ("Return the factorisation as a sorted list with repetition instead of a dict." if as_counts else
         "Return the factorisation as a dict of prime -> exponent."),
        "Implement the Miller-Rabin test for large numbers.",
        "List the twin primes (p, p + 2) up to a limit.",
    ])
    return Lesson(f"prime numbers ({context})", explanation, module, tests, exercises,
                  {"template": "primes", "limit": limit, "trial": trial, "counts": as_counts})


STATS_SCENES = [("response_times", "API response times in ms"), ("scores", "exam scores"),
                ("temperatures", "daily high temperatures"), ("commute_minutes", "commute times"),
                ("heart_rates", "resting heart rates"), ("page_loads", "page load times"),
                ("goals", "goals scored per match"), ("queue_lengths", "checkout queue lengths"),
                ("rainfall_mm", "daily rainfall"), ("build_seconds", "CI build durations"),
                ("word_counts", "essay word counts in hundreds"), ("orders", "orders per hour")]


def _lesson_stats(rng: random.Random) -> Lesson:
    data_name, what = rng.choice(STATS_SCENES)
    data = [rng.randint(1, 30) for _ in range(rng.choice([6, 7, 8, 9]))]
    data[rng.randrange(len(data))] = data[0]
    mean_fn = rng.choice(["mean", "average"])
    median_fn = rng.choice(["median", "middle_value"])
    mode_fn = rng.choice(["modes", "most_frequent"])
    summary_fn = rng.choice(["summary", "describe", "summarise"])
    s = sorted(data)
    n = len(s)
    med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    counts = Counter(data)
    top = max(counts.values())
    modes = sorted(v for v, c in counts.items() if c == top)
    mean_v = sum(data) / n
    module = f'''"""Summary statistics of {what}, written from scratch (and checked against the statistics module)."""

from collections import Counter
from collections.abc import Sequence


def {mean_fn}({data_name}: Sequence[float]) -> float:
    """The arithmetic mean; raises ValueError for no data."""
    if not {data_name}:
        raise ValueError("{mean_fn} of no data")
    return sum({data_name}) / len({data_name})


def {median_fn}({data_name}: Sequence[float]) -> float:
    """The middle value of the sorted data, or the mean of the two middle values."""
    if not {data_name}:
        raise ValueError("{median_fn} of no data")
    ordered = sorted({data_name})
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def {mode_fn}({data_name}: Sequence[float]) -> list[float]:
    """Every value that occurs most often, ascending (data can have several modes)."""
    counts = Counter({data_name})
    if not counts:
        return []
    top = max(counts.values())
    return sorted(value for value, count in counts.items() if count == top)


def {summary_fn}({data_name}: Sequence[float]) -> dict[str, float]:
    """Count, min, max, {mean_fn} and {median_fn} in one dict, rounded to 2 places."""
    return {{
        "count": len({data_name}),
        "min": min({data_name}),
        "max": max({data_name}),
        "{mean_fn}": round({mean_fn}({data_name}), 2),
        "{median_fn}": round({median_fn}({data_name}), 2),
    }}
'''
    summary = {"count": n, "min": min(data), "max": max(data), mean_fn: round(mean_v, 2), median_fn: round(med, 2)}
    tests = _tests(
        [mean_fn, median_fn, mode_fn, summary_fn],
        f"{data_name.upper()} = {data!r}\n",
        f"def test_against_statistics_module():\n    assert {mean_fn}({data_name.upper()}) == "
        f"pytest.approx(statistics.mean({data_name.upper()}))\n"
        f"    assert {median_fn}({data_name.upper()}) == statistics.median({data_name.upper()})\n"
        f"    assert {mode_fn}({data_name.upper()}) == sorted(statistics.multimode({data_name.upper()}))\n",
        f"def test_{summary_fn}():\n    assert {summary_fn}({data_name.upper()}) == {summary!r}\n",
        f"def test_{mode_fn}_values():\n    assert {mode_fn}({data_name.upper()}) == {modes!r}\n",
        f"def test_{median_fn}_even_and_odd():\n    assert {median_fn}([3, 1, 2]) == 2\n"
        f"    assert {median_fn}([4, 1, 3, 2]) == 2.5\n",
        _raises(f"{mean_fn}_of_nothing", f"{mean_fn}([])"),
        imports=("import statistics",))
    explanation = _explain(
        rng,
        [f"Before plotting {what}, summarise them: how many, the range, the typical value. 'Typical' already has "
         "three answers (mean, median, mode), and they disagree when the data is skewed.",
         f"The `statistics` module computes all of these, but implementing them once makes their differences "
         f"concrete. Our data: {what}.",
         f"This lesson writes `{mean_fn}`, `{median_fn}`, `{mode_fn}` and a `{summary_fn}` for {what}, then checks "
         "them against the standard library."],
        ["The median needs sorted data and has two cases: an odd count has one middle value, an even count "
         "averages the two middle ones. One slow value moves the mean a lot but the median hardly at all, which "
         "is why latency reports prefer medians and percentiles.",
         f"`{mode_fn}` returns a list because data can have several equally common values; `Counter` does the "
         "counting, and one pass finds every value with the top count."],
        ["Asking for the mean of nothing is an error, not zero: zero would be a believable but wrong answer.",
         "The most valuable test compares with `statistics.mean`, `median` and `multimode`: an independent "
         "implementation is the best oracle."])
    exercises = _some(rng, [
        "Add the population standard deviation and compare with `statistics.pstdev`.",
        "Compute the 90th percentile with linear interpolation.",
        "Make the functions accept any iterable, consuming it only once.",
        f"Print a one-line report for the {data_name.replace('_', ' ')}.",
    ])
    return Lesson(f"summary statistics of {what}", explanation, module, tests, exercises,
                  {"template": "stats", "scene": data_name})


SLUG_TITLES = ["Hello, World!", "10 Tips for Better Python", "Why I Love Rust (and Python)", "Café Culture in Paris",
               "The   Zen of Python", "Déjà Vu: A Debugging Story", "C++ vs. Python: A Fair Fight?",
               "What's New in 3.12", "Über-fast JSON Parsing", "Naïve Bayes, Explained", "  Trailing spaces  ",
               "Email & Calendar Tips", "Notes on São Paulo", "Ten Things I Learnt at PyCon"]


def _lesson_slugify(rng: random.Random) -> Lesson:
    fn = rng.choice(["slugify", "make_slug", "url_slug"])
    where = rng.choice(["a blog's post URLs", "a wiki's page names", "file names for exported reports",
                        "a shop's product URLs", "anchor ids for headings"])
    sep = rng.choice(["-", "_"])
    max_len = rng.choice([None, 30, 40])
    titles = rng.sample(SLUG_TITLES, 4)

    def slug(t: str) -> str:
        ascii_text = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode("ascii")
        words = re.findall(r"[a-z0-9]+", ascii_text.lower())
        out = sep.join(words)
        if max_len is not None and len(out) > max_len:
            out = out[:max_len].rstrip(sep)
        return out

    trim = ("    if len(slug) > MAX_LENGTH:\n        slug = slug[:MAX_LENGTH].rstrip(SEPARATOR)\n"
            if max_len else "")
    module = f'''"""Turning titles into URL-safe slugs for {where}."""

import re
import unicodedata

SEPARATOR = {sep!r}
{f"MAX_LENGTH = {max_len}" if max_len else ""}


def {fn}(title: str) -> str:
    """Lowercase ASCII words of `title` joined by SEPARATOR: accents are folded, everything else is dropped."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", folded.lower())
    slug = SEPARATOR.join(words)
{trim}    return slug
'''.replace("\n\n\n\n\ndef", "\n\n\ndef").replace(f"SEPARATOR = {sep!r}\n\n\n\n", f"SEPARATOR = {sep!r}\n\n\n")
    tests = _tests(
        [fn],
        _checks(rng, fn, [(repr(t), slug(t)) for t in titles], f"{fn}_titles"),
        f"def test_{fn}_is_idempotent():\n    for title in {titles[:2]!r}:\n        once = {fn}(title)\n"
        f"        assert {fn}(once) == once\n",
        f"def test_nothing_left():\n    assert {fn}('!!! ???') == ''\n",
        (f"def test_long_titles_are_cut():\n    assert len({fn}('word ' * 40)) <= {max_len}\n"
         f"    assert not {fn}('word ' * 40).endswith({sep!r})\n") if max_len else "")
    explanation = _explain(
        rng,
        [f"A slug is the readable part of a URL: 'Café Culture in Paris' becomes 'cafe{sep}culture{sep}in{sep}paris'. "
         f"We need them for {where}, and they must contain only safe characters.",
         "Slugs look like a one-liner (`title.lower().replace(' ', '-')`) until the first accent, ampersand or "
         "double space arrives. This lesson handles all of those.",
         f"`{fn}` turns any title into a URL-safe slug for {where}."],
        ["Accents are folded with Unicode normalisation: NFKD splits 'é' into 'e' plus a combining accent, and "
         "encoding to ASCII with `errors='ignore'` drops the accent and keeps the 'e'. Characters with no ASCII "
         "form at all disappear.",
         "Instead of listing characters to remove, the function lists what to keep: `re.findall(r\"[a-z0-9]+\")` "
         "extracts the runs of safe characters, and joining them with the separator collapses every gap, however "
         "long, into one."],
        [(f"Slugs are capped at {max_len} characters, and a separator left dangling by the cut is stripped." if
          max_len else "There is no length limit here; one exercise adds one."),
         "Slugifying a slug must change nothing (idempotence); that property test catches a surprising number of "
         "mistakes."])
    exercises = _some(rng, [
        "Transliterate common characters that NFKD cannot fold, like 'ß' -> 'ss' and 'ø' -> 'o'.",
        "Make slugs unique by appending -2, -3, ... when a slug is already taken.",
        "Drop stop words ('a', 'the', 'of') unless that leaves the slug empty.",
        "Cut long slugs at a word boundary rather than mid-word.",
    ])
    return Lesson(f"slugs for {where}", explanation, module, tests, exercises,
                  {"template": "slugify", "sep": sep, "max_len": max_len})


ACCOUNT_SCENES = [("BankAccount", "a bank account", "balance", "InsufficientFunds"),
                  ("Wallet", "a prepaid transit card", "credit", "NotEnoughCredit"),
                  ("GiftCard", "a shop gift card", "remaining", "CardExhausted"),
                  ("Budget", "a project budget", "available", "OverBudget"),
                  ("Tank", "a car's fuel tank", "litres", "TankEmpty"),
                  ("Battery", "a phone battery's charge", "charge", "BatteryFlat"),
                  ("Pantry", "a pantry's stock of flour in grams", "grams", "OutOfFlour"),
                  ("Allowance", "a child's pocket-money jar", "coins", "JarEmpty"),
                  ("Quota", "an API rate-limit quota", "requests_left", "QuotaExceeded"),
                  ("Leave", "an employee's holiday allowance", "days_left", "NoLeaveLeft"),
                  ("Reservoir", "a reservoir's water level", "megalitres", "ReservoirDry")]


def _lesson_account(rng: random.Random) -> Lesson:
    cls, what, field, exc = rng.choice(ACCOUNT_SCENES)
    put, take = rng.choice([pair for pair in [("deposit", "withdraw"), ("add", "spend"), ("top_up", "charge"),
                                              ("credit", "debit")] if field not in pair])
    start = rng.randint(0, 100)
    ops = [(rng.choice([put, take, take]), rng.randint(1, 60)) for _ in range(rng.randint(4, 7))]
    bal, history = start, []
    ok_ops = []
    for op, amt in ops:
        if op == take and amt > bal:
            continue
        bal += amt if op == put else -amt
        ok_ops.append((op, amt))
        history.append(bal)
    ledger = rng.random() < 0.5
    module = f'''"""{what[0].upper() + what[1:]} with a custom exception for the one failure callers must handle."""


class {exc}(Exception):
    """Raised when taking more than is available; carries both amounts for the error message."""

    def __init__(self, requested: int, {field}: int) -> None:
        super().__init__(f"requested {{requested}} but only {{{field}}} available")
        self.requested = requested
        self.{field} = {field}


{{body}}'''
    if ledger:
        body = f'''class {cls}:
    """Every change is recorded in a ledger; the {field} is computed from it, so the two cannot disagree."""

    def __init__(self, {field}: int = 0) -> None:
        if {field} < 0:
            raise ValueError("cannot start below zero")
        self.ledger: list[int] = [{field}] if {field} else []

    @property
    def {field}(self) -> int:
        return sum(self.ledger)

    @staticmethod
    def _check(amount: int) -> None:
        if amount <= 0:
            raise ValueError(f"amount must be positive, got {{amount}}")

    def {put}(self, amount: int) -> int:
        """Record a positive amount coming in; returns the new {field}."""
        self._check(amount)
        self.ledger.append(amount)
        return self.{field}

    def {take}(self, amount: int) -> int:
        """Record a positive amount going out, if it is available; returns the new {field}."""
        self._check(amount)
        available = self.{field}
        if amount > available:
            raise {exc}(amount, available)
        self.ledger.append(-amount)
        return self.{field}
'''
    else:
        body = f'''class {cls}:
    def __init__(self, {field}: int = 0) -> None:
        if {field} < 0:
            raise ValueError("cannot start below zero")
        self.{field} = {field}

    def {put}(self, amount: int) -> int:
        """Add a positive amount; returns the new {field}."""
        if amount <= 0:
            raise ValueError("amount must be positive")
        self.{field} += amount
        return self.{field}

    def {take}(self, amount: int) -> int:
        """Take a positive amount if it is available; returns the new {field}."""
        if amount <= 0:
            raise ValueError("amount must be positive")
        if amount > self.{field}:
            raise {exc}(amount, self.{field})
        self.{field} -= amount
        return self.{field}
'''
    module = module.replace("{body}", body)
    script = "".join(f"    seen.append(acct.{op}({amt}))\n" for op, amt in ok_ops)
    tests = _tests(
        [cls, exc],
        f"def test_sequence():\n    acct = {cls}({start})\n    seen = []\n{script}    assert seen == {history!r}\n",
        f"def test_{take}_too_much():\n    acct = {cls}(10)\n    with pytest.raises({exc}) as info:\n"
        f"        acct.{take}(25)\n    assert info.value.requested == 25\n    assert info.value.{field} == 10\n"
        f"    assert acct.{field} == 10\n",
        f'@pytest.mark.parametrize("amount", [0, -5])\n'
        f"def test_amount_must_be_positive(amount):\n    with pytest.raises(ValueError):\n"
        f"        {cls}(10).{put}(amount)\n    with pytest.raises(ValueError):\n        {cls}(10).{take}(amount)\n",
        f"def test_custom_exception_is_an_exception():\n    assert issubclass({exc}, Exception)\n"
        f"    assert '7' in str({exc}(7, 3))\n")
    fld = field.replace("_", " ")
    money = cls in ("BankAccount", "Wallet", "GiftCard", "Budget", "Allowance")
    explanation = _explain(
        rng,
        [f"Modelling {what} is mostly bookkeeping, but one failure matters: taking more than is there. Callers "
         f"need to catch exactly that case, so it gets its own exception class, `{exc}`.",
         "Custom exceptions turn 'something went wrong' into a specific, catchable condition with data attached. "
         f"Here the condition is asking {what} for more than its {fld}.",
         f"`{cls}` tracks the {fld} of {what} and refuses operations that would break its rules, each with a "
         "precise exception."],
        [f"`{exc}` subclasses `Exception` and stores the requested amount and the {fld}, so a handler can show "
         "a helpful message or offer the maximum instead. `super().__init__(message)` sets the text `str(exc)` "
         "returns.",
         "Two kinds of error, two exception types: a non-positive amount is a programming error (`ValueError`), "
         f"while asking for more than the {fld} is an expected condition (`{exc}`) that a caller would "
         "reasonably catch."],
        [(f"Instead of a mutable counter, the class keeps a ledger of signed changes and exposes the {fld} as a "
          "read-only property computed from it: an audit trail for free, at the cost of summing on each read.")
         if ledger else
         (f"A failed `{take}` leaves the {fld} unchanged, which one test checks explicitly: errors must not "
          "leave objects half-updated."),
         "`pytest.raises(...) as info` gives the test access to the exception object, so it can check the data "
         "the exception carries, not only its type."])
    exercises = _some(rng, [
        ("Add a `statement()` method that prints the ledger with a running total." if ledger else
         "Keep a history of operations and add a `statement()` method."),
        f"Add a `transfer(other, amount)` that moves an amount between two {cls} objects atomically.",
        ("Explain why amounts are integers (cents) and why floats are a bad idea for money." if money else
         f"Add a maximum so that `{put}` refuses to go above a configured capacity."),
        f"Add an overdraft limit so the {fld} may go down to a configured negative value.",
    ])
    return Lesson(f"custom exceptions: {what}", explanation, module, tests, exercises,
                  {"template": "account", "cls": cls, "ledger": ledger})


LINKED_SCENES = [("Playlist", "song", "a music player's playlist", ["intro", "anthem", "ballad", "remix", "encore"]),
                 ("Train", "carriage", "a toy train", ["engine", "diner", "sleeper", "cargo", "caboose"]),
                 ("History", "page", "a browser's back history", ["home", "search", "article", "video", "profile"]),
                 ("Conga", "dancer", "a conga line", ["ana", "bo", "cy", "dee", "eli"]),
                 ("Chain", "link", "a chain of custody log", ["seized", "logged", "tested", "stored", "released"])]


def _lesson_linked_list(rng: random.Random) -> Lesson:
    cls, item, what, pool = rng.choice(LINKED_SCENES)
    node = rng.choice(["Node", f"{item.capitalize()}Node", "Cell"])
    nxt = rng.choice(["next", "after", "link"])
    items = rng.sample(pool, 4)
    recursive_len = rng.random() < 0.4
    length_src = ('''    def __len__(self) -> int:
        return _count(self.head)''' if recursive_len else '''    def __len__(self) -> int:
        return sum(1 for _ in self)''')
    helper = (f'''


def _count(node: {node} | None) -> int:
    """Nodes from `node` to the end, recursively: an empty list has none."""
    return 0 if node is None else 1 + _count(node.{nxt})''' if recursive_len else "")
    module = f'''"""A singly linked list, as {what}: nodes that point to the next one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class {node}:
    value: str
    {nxt}: {node} | None = None


class {cls}:
    """Append at the end, push at the front, reverse in place, iterate in order."""

    def __init__(self) -> None:
        self.head: {node} | None = None

    def push_front(self, value: str) -> None:
        self.head = {node}(value, self.head)

    def append(self, value: str) -> None:
        new = {node}(value)
        if self.head is None:
            self.head = new
            return
        current = self.head
        while current.{nxt} is not None:
            current = current.{nxt}
        current.{nxt} = new

    def reverse(self) -> None:
        """Reverse the links in place: O(n) time, O(1) extra memory."""
        previous: {node} | None = None
        current = self.head
        while current is not None:
            current.{nxt}, previous, current = previous, current, current.{nxt}
        self.head = previous

    def __iter__(self) -> Iterator[str]:
        current = self.head
        while current is not None:
            yield current.value
            current = current.{nxt}

{length_src}{helper}
'''
    front = rng.choice(pool[:1] + [p for p in pool if p not in items][:1])
    tests = _tests(
        [cls],
        f"def build():\n    chain = {cls}()\n    for value in {items!r}:\n        chain.append(value)\n    return chain\n",
        f"def test_append_keeps_order():\n    assert list(build()) == {items!r}\n",
        f"def test_push_front():\n    chain = build()\n    chain.push_front({front!r})\n"
        f"    assert list(chain)[0] == {front!r}\n    assert len(chain) == 5\n",
        f"def test_reverse():\n    chain = build()\n    chain.reverse()\n    assert list(chain) == {items[::-1]!r}\n",
        f"def test_empty():\n    chain = {cls}()\n    chain.reverse()\n    assert list(chain) == []\n"
        f"    assert len(chain) == 0\n")
    explanation = _explain(
        rng,
        [f"A linked list stores each element in its own node, and each node points to the next. We model {what} "
         f"this way: `{node}` holds one {item}, `{cls}` holds the first node.",
         "Python's `list` is an array, and you will rarely need anything else. Linked lists are still worth "
         f"writing once: they make pointers and in-place updates concrete. Our example is {what}.",
         f"`{cls}` is a singly linked list of {item}s: pushing at the front is O(1), appending walks to the end."],
        ["Reversal is the classic exercise: walk the list once, turning each `" + nxt + "` pointer around. The "
         "tuple assignment updates three names at once from the old values, so no temporary is needed (but the "
         "order of targets matters, since they are assigned left to right).",
         "`__iter__` is a generator that follows the links, so `for`, `list()` and `sum()` all work on the list "
         "without exposing nodes to the caller."],
        [("`__len__` counts recursively with a helper: zero for no node, else one plus the rest. It is elegant but "
          "hits the recursion limit at about 1000 nodes; the iterative version would not.") if recursive_len else
         "`__len__` counts by iterating, O(n); a real implementation would keep a counter updated by every method.",
         "`from __future__ import annotations` lets the dataclass mention its own type in a field annotation."])
    exercises = _some(rng, [
        "Keep a `tail` reference so that `append` becomes O(1).",
        f"Add `remove(value)` that unlinks the first matching {item}.",
        "Find the middle node in one pass with a slow and a fast pointer.",
        "Detect a cycle with Floyd's tortoise-and-hare algorithm.",
    ])
    return Lesson(f"linked lists: {what}", explanation, module, tests, exercises,
                  {"template": "linked_list", "cls": cls, "recursive_len": recursive_len})


WRAP_TEXTS = [
    "The quick brown fox jumps over the lazy dog while the farmer sleeps under an old oak tree.",
    "Readability counts, and simple is better than complex, but complex is better than complicated.",
    "Small programs that do one thing well can be combined into larger systems with surprising power.",
    "Every morning the baker lit the ovens before dawn, and the smell of bread filled the narrow street.",
    "Testing shows the presence of bugs, not their absence, so write tests for the cases that scare you.",
    "Rain drummed on the tin roof as the hikers spread their maps across the wooden table of the hut.",
    "A good variable name explains why a value exists, not merely what type of thing it happens to hold.",
    "The lighthouse keeper counted ships by night and wrote their names in a leather-bound journal.",
]


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _lesson_text_wrap(rng: random.Random) -> Lesson:
    text = rng.choice(WRAP_TEXTS)
    width = rng.randint(16, 34)
    fn = rng.choice(["wrap", "fill_lines", "word_wrap", "break_lines"])
    where = rng.choice(["a terminal help screen", "an e-mail client", "a thermal receipt printer", "a chat bubble",
                        "a subtitle track", "a code comment formatter"])
    align = rng.choice(["left", "centre", "right"])
    lines = _wrap(text, width)
    if align == "left":
        shaped = lines
        align_src = "    return lines"
    elif align == "centre":
        shaped = [ln.center(width).rstrip() for ln in lines]
        align_src = "    return [line.center(width).rstrip() for line in lines]"
    else:
        shaped = [ln.rjust(width) for ln in lines]
        align_src = "    return [line.rjust(width) for line in lines]"
    by_words = rng.random() < 0.5
    if by_words:
        loop = """    lines: list[str] = []
    line_words: list[str] = []
    used = 0
    for word in text.split():
        needed = len(word) if not line_words else used + 1 + len(word)
        if line_words and needed > width:
            lines.append(" ".join(line_words))
            line_words, used = [word], len(word)
        else:
            line_words.append(word)
            used = needed
    if line_words:
        lines.append(" ".join(line_words))"""
    else:
        loop = """    lines: list[str] = []
    current = ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)"""
    module = f'''"""Greedy word wrapping for {where}, {align}-aligned."""


def {fn}(text: str, width: int) -> list[str]:
    """Lines of at most `width` characters, breaking only between words (a longer word gets a line of its own)."""
    if width < 1:
        raise ValueError("width must be positive")
{loop}
{align_src}
'''
    tests = _tests(
        [fn],
        f"TEXT = {text!r}\n",
        f"def test_{fn}_{width}():\n    assert {fn}(TEXT, {width}) == {shaped!r}\n",
        f"def test_no_line_too_long():\n    for width in range({max(len(w) for w in text.split())}, 40):\n"
        f"        for line in {fn}(TEXT, width):\n"
        "            assert len(line) <= width\n",
        f"def test_words_survive():\n    assert ' '.join(line.strip() for line in {fn}(TEXT, 20)).split() == TEXT.split()\n",
        f"def test_long_word_alone():\n    assert [line.strip() for line in {fn}('a supercalifragilistic b', 5)] == "
        "['a', 'supercalifragilistic', 'b']\n",
        f"def test_{fn}_empty():\n    assert {fn}('', 10) == []\n")
    explanation = _explain(
        rng,
        [f"Text for {where} has to fit a fixed width. The greedy algorithm is what most editors do: put as many "
         "words on the line as fit, then start a new line.",
         "Word wrapping is a tidy exercise in string building and edge cases: a word longer than the width, "
         f"empty input, runs of spaces. We wrap for {where}.",
         f"The standard library has `textwrap`, but writing `{fn}` yourself shows exactly where each line break "
         "comes from."],
        ["`text.split()` with no argument splits on any run of whitespace and drops empty strings, so extra "
         "spaces and newlines in the input disappear for free. A word joins the current line only if the line, "
         "one space and the word still fit.",
         ("The line being built is a list of words plus its length so far (`used`); joining happens once per "
          "line, which avoids building many intermediate strings. After the loop, the last line still has to be "
          "added.") if by_words else
         ("The loop keeps the line being built in `current`. When the next word would overflow, `current` is "
          "finished and the word starts a new line. After the loop, the last line still has to be added.")],
        [{"left": "Left alignment needs nothing more; the lines come back as built.",
          "centre": "`str.center(width)` pads both sides; the trailing padding is stripped so lines never end in "
                    "spaces.",
          "right": "`str.rjust(width)` pads on the left, right-aligning every line to the same edge."}[align],
         "A word longer than the width cannot be broken without hyphenation rules, so it gets a line of its own "
         "and is allowed to overflow; a test documents that choice."])
    exercises = _some(rng, [
        "Compare your output with `textwrap.wrap` on the same text.",
        "Add full justification: spread extra spaces between the words of each line except the last.",
        "Break words longer than the width with a hyphen.",
        "Preserve blank lines between paragraphs.",
    ])
    return Lesson(f"word wrapping for {where}", explanation, module, tests, exercises,
                  {"template": "text_wrap", "align": align, "width": width, "by_words": by_words})


MERGE_SCENES = [
    ("config", "application settings", {"server": {"host": "localhost", "port": 8000}, "debug": False,
                                        "db": {"name": "app", "pool": {"size": 5, "timeout": 30}}},
     {"server": {"port": 9000}, "db": {"pool": {"size": 20}}, "debug": True}),
    ("theme", "a UI theme", {"colors": {"bg": "white", "fg": "black", "accent": "blue"}, "font": {"size": 12,
                                                                                                  "family": "serif"}},
     {"colors": {"accent": "orange"}, "font": {"size": 14}, "rounded": True}),
    ("profile", "a game character profile", {"stats": {"hp": 100, "mp": 30}, "gear": {"hand": "sword",
                                                                                     "head": "none"}, "level": 1},
     {"stats": {"mp": 45}, "gear": {"head": "helmet"}, "level": 2}),
    ("deploy", "deployment overrides", {"replicas": 2, "resources": {"cpu": "500m", "memory": "1Gi"},
                                        "env": {"LOG": "info", "REGION": "eu"}},
     {"resources": {"memory": "2Gi"}, "env": {"LOG": "debug"}}),
    ("recipe", "a recipe with substitutions", {"serves": 4, "ingredients": {"flour": "500g", "milk": "300ml",
                                                                            "eggs": "2"}, "oven": {"temp": 180}},
     {"ingredients": {"milk": "oat milk 300ml"}, "oven": {"fan": True}}),
]


def _merged(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _lesson_deep_merge(rng: random.Random) -> Lesson:
    name, what, base, over = rng.choice(MERGE_SCENES)
    fn = rng.choice(["deep_merge", "merge_settings", "overlay", "apply_overrides"])
    get_fn = rng.choice(["get_path", "lookup", "dig"])
    sep = rng.choice([".", "/", ":"])
    merged = _merged(base, over)
    # a dotted path into the merged dict
    path, cur = [], merged
    while isinstance(cur, dict):
        key = rng.choice(sorted(cur))
        path.append(key)
        cur = cur[key]
    dotted = sep.join(path)
    copy_style = rng.choice(["dict_copy", "comprehension"])
    start = "    result = dict(base)" if copy_style == "dict_copy" else "    result = {key: value for key, value in base.items()}"
    module = f'''"""Layered configuration for {what}: recursive merging of nested dictionaries."""

from typing import Any


def {fn}(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A new dict: `overrides` wins, except that two dicts under the same key are merged recursively.

    Neither argument is modified.
    """
{start}
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = {fn}(result[key], value)
        else:
            result[key] = value
    return result


def {get_fn}(data: dict[str, Any], path: str, default: Any = None) -> Any:
    """Follow a {sep!r}-separated path of keys, returning `default` as soon as a key is missing."""
    current: Any = data
    for key in path.split({sep!r}):
        if not isinstance(current, dict) or key not in current:
            return default
        current = current[key]
    return current
'''
    tests = _tests(
        [fn, get_fn],
        f"BASE = {base!r}\nOVERRIDES = {over!r}\n",
        f"def test_{fn}():\n    assert {fn}(BASE, OVERRIDES) == {merged!r}\n",
        f"def test_inputs_untouched():\n    before = copy.deepcopy(BASE)\n    {fn}(BASE, OVERRIDES)\n"
        "    assert BASE == before\n",
        f"def test_{get_fn}():\n    assert {get_fn}({fn}(BASE, OVERRIDES), {dotted!r}) "
        f"{'is' if isinstance(cur, bool) else '=='} {cur!r}\n"
        f"    assert {get_fn}(BASE, 'missing{sep}key', 'fallback') == 'fallback'\n",
        f"def test_non_dict_replaces_dict():\n    assert {fn}({{'a': {{'b': 1}}}}, {{'a': 2}}) == {{'a': 2}}\n",
        imports=("import copy",))
    explanation = _explain(
        rng,
        [f"Settings for {what} usually come in layers: defaults, then a file, then overrides. A plain "
         "`dict.update` replaces whole sub-dictionaries, losing defaults; we need a merge that recurses.",
         f"`{{**base, **overrides}}` merges one level only. For nested structures like {what}, `{fn}` applies "
         "the same rule at every level, which is a natural fit for recursion.",
         f"This lesson builds a recursive merge, `{fn}`, and a path lookup, `{get_fn}`, for {what}."],
        ["The recursion has a clear base case: when either side is not a dict, the override simply wins. Only "
         "when both sides hold dicts does the function call itself on them.",
         f"`{get_fn}` is the read side: split a path like {dotted!r} and walk down one key at a time, giving up "
         "with a default as soon as a key is missing."],
        [("The first line copies `base`" + (" with `dict(base)`" if copy_style == "dict_copy" else
                                             " with a comprehension")
          + ", so the caller's dictionary is never modified; nested dicts that are merged get fresh copies "
          "from the recursive calls."),
         "A test deep-copies the input before merging and compares afterwards: mutation bugs in nested data are "
         "easy to write and hard to see."])
    exercises = _some(rng, [
        "Merge lists by concatenation instead of replacement, behind a flag.",
        "Write `set_path(data, path, value)`, creating intermediate dicts as needed.",
        "Merge any number of layers: `merge_all(*layers)`.",
        "Record which keys each layer changed, for a 'where did this setting come from?' report.",
    ])
    return Lesson(f"recursive dictionary merging: {what}", explanation, module, tests, exercises,
                  {"template": "deep_merge", "scene": name})


HIST_SCENES = [("votes", "a class election", ["ana", "ben", "cleo", "dan", "eve"]),
               ("fruit", "a fruit survey", ["apple", "banana", "cherry", "kiwi", "mango"]),
               ("grades", "exam grades", ["A", "B", "C", "D", "E"]),
               ("weather", "a month of weather", ["sunny", "cloudy", "rainy", "windy", "snowy"]),
               ("status_codes", "web server status codes", ["200", "301", "404", "500", "503"]),
               ("pets", "a pet census", ["cat", "dog", "fish", "rabbit", "parrot"])]


def _lesson_histogram(rng: random.Random) -> Lesson:
    data_name, what, labels = rng.choice(HIST_SCENES)
    used = rng.sample(labels, rng.randint(3, 5))
    data = [rng.choice(used) for _ in range(rng.randint(8, 20))]
    bar = rng.choice(["#", "*", "="])
    fn = rng.choice(["histogram", "bar_chart", "tally_chart"])
    scale = rng.choice([None, 10])
    order = rng.choice(["count", "label"])
    counts = Counter(data)
    items = (sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if order == "count" else sorted(counts.items()))
    width = max(len(k) for k in counts)
    top = max(counts.values())

    def bar_len(c: int) -> int:
        return c if scale is None else round(c * scale / top)

    lines = [f"{k.ljust(width)} | {bar * bar_len(c)} {c}" for k, c in items]
    sort_src = ("sorted(counts.items(), key=lambda item: (-item[1], item[0]))" if order == "count" else
                "sorted(counts.items())")
    length_src = "count" if scale is None else f"round(count * {scale} / top)"
    module = f'''"""A text bar chart of {what}, from raw observations."""

from collections import Counter


def {fn}({data_name}: list[str]) -> str:
    """One line per distinct value: the label padded to a common width, a bar of {bar!r}, and the count.

    {"Bars are as long as the counts." if scale is None else f"Bars are scaled so the longest is {scale} characters."}
    Lines are ordered {"by count, biggest first (ties alphabetical)" if order == "count" else "alphabetically"}.
    """
    counts = Counter({data_name})
    if not counts:
        return ""
    width = max(len(label) for label in counts)
{"" if scale is None else "    top = max(counts.values())" + chr(10)}    lines = []
    for label, count in {sort_src}:
        lines.append(f"{{label.ljust(width)}} | {{{bar!r} * {length_src}}} {{count}}")
    return "\\n".join(lines)
'''
    tests = _tests(
        [fn],
        f"{data_name.upper()} = {data!r}\n",
        f"def test_{fn}():\n    assert {fn}({data_name.upper()}).splitlines() == {lines!r}\n",
        f"def test_counts_add_up():\n    total = sum(int(line.rsplit(' ', 1)[1]) for line in {fn}({data_name.upper()}).splitlines())\n"
        f"    assert total == len({data_name.upper()})\n",
        f"def test_empty():\n    assert {fn}([]) == ''\n")
    explanation = _explain(
        rng,
        [f"A quick look at {what} does not need a plotting library: a text bar chart in the terminal shows the "
         "distribution at a glance. `Counter` counts, string methods draw.",
         f"Histograms answer 'how often does each value occur?'. For {what}, the values are labels, so the "
         "chart is one bar per label.",
         f"`{fn}` turns raw observations ({what}) into a readable chart in a dozen lines."],
        [("Each bar is simply the bar character repeated `count` times: multiplying a string by an integer "
          "repeats it.") if scale is None else
         (f"Bars are scaled so the most frequent value gets {scale} characters and the others proportionally "
          "fewer, with `round`; the raw count is still printed at the end so no information is lost."),
         "Labels are padded with `ljust` to the longest label, so all the bars start in the same column."],
        [("Sorting by `(-count, label)` puts the biggest bar first and keeps ties in a stable, alphabetical "
          "order.") if order == "count" else
         "Alphabetical order keeps labels in the same place from one chart to the next, which helps when "
         "comparing charts side by side.",
         "The tests check the exact lines and a property: the printed counts must add up to the number of "
         "observations."])
    exercises = _some(rng, [
        "Draw the chart vertically, with bars growing upwards.",
        "Add percentages after the counts.",
        "Bucket numeric data into ranges (0-9, 10-19, ...) before drawing.",
        "Use Unicode block characters for finer-grained bar lengths.",
    ])
    return Lesson(f"a text histogram of {what}", explanation, module, tests, exercises,
                  {"template": "histogram", "scene": data_name, "scaled": scale is not None})


def _lesson_gcd(rng: random.Random) -> Lesson:
    story, a_name, b_name = rng.choice([
        ("cutting two ribbons into equal pieces with nothing left over", "red", "blue"),
        ("tiling a floor with the largest square tiles that fit exactly", "width", "depth"),
        ("syncing two blinking lights", "first_period", "second_period"),
        ("simplifying a recipe's ratio of flour to water", "flour", "water"),
        ("packing two kinds of sweets into identical party bags", "toffees", "mints"),
        ("finding when two planets line up again", "orbit_a", "orbit_b")])
    gcd_fn = rng.choice(["gcd", "greatest_common_divisor", "highest_common_factor"])
    lcm_fn = rng.choice(["lcm", "least_common_multiple"])
    simplify_fn = rng.choice(["simplify", "reduce_ratio", "lowest_terms"])
    recursive = rng.random() < 0.5
    g = rng.randint(2, 12)
    a, b = g * rng.randint(1, 20), g * rng.randint(1, 20)
    pairs = [(a, b), (rng.randint(1, 300), rng.randint(1, 300)), (rng.randint(1, 50), 0)]
    if recursive:
        gcd_src = f'''def {gcd_fn}({a_name}: int, {b_name}: int) -> int:
    """Euclid's algorithm, recursively: gcd(a, b) = gcd(b, a % b), and gcd(a, 0) = |a|."""
    if {b_name} == 0:
        return abs({a_name})
    return {gcd_fn}({b_name}, {a_name} % {b_name})'''
    else:
        gcd_src = f'''def {gcd_fn}({a_name}: int, {b_name}: int) -> int:
    """Euclid's algorithm, as a loop: replace (a, b) by (b, a % b) until b is 0."""
    while {b_name}:
        {a_name}, {b_name} = {b_name}, {a_name} % {b_name}
    return abs({a_name})'''
    module = f'''"""Greatest common divisors, for {story}."""


{gcd_src}


def {lcm_fn}({a_name}: int, {b_name}: int) -> int:
    """The smallest positive number both divide (0 if either is 0)."""
    if {a_name} == 0 or {b_name} == 0:
        return 0
    return abs({a_name} * {b_name}) // {gcd_fn}({a_name}, {b_name})


def {simplify_fn}({a_name}: int, {b_name}: int) -> tuple[int, int]:
    """The ratio {a_name}:{b_name} in lowest terms; raises ValueError for 0:0."""
    common = {gcd_fn}({a_name}, {b_name})
    if common == 0:
        raise ValueError("0:0 is not a ratio")
    return {a_name} // common, {b_name} // common
'''
    tests = _tests(
        [gcd_fn, lcm_fn, simplify_fn],
        _checks(rng, gcd_fn, [(f"{x}, {y}", math.gcd(x, y)) for x, y in pairs], f"{gcd_fn}_examples"),
        f"def test_agrees_with_math_gcd():\n    for x in range(0, 60, 7):\n        for y in range(1, 60, 5):\n"
        f"            assert {gcd_fn}(x, y) == math.gcd(x, y)\n            assert {lcm_fn}(x, y) == math.lcm(x, y)\n",
        f"def test_{simplify_fn}():\n    assert {simplify_fn}({a}, {b}) == {(a // math.gcd(a, b), b // math.gcd(a, b))!r}\n",
        _raises(f"{simplify_fn}_zero", f"{simplify_fn}(0, 0)"),
        imports=("import math",))
    explanation = _explain(
        rng,
        [f"Problems like {story} all come down to the greatest common divisor (GCD) of two numbers. Euclid found "
         "the fast way to compute it over two thousand years ago.",
         f"The greatest common divisor is the largest number dividing both inputs. We use it for {story}, and "
         "derive the least common multiple and ratio simplification from it.",
         f"Euclid's algorithm is probably the oldest algorithm still in daily use. `{gcd_fn}` implements it, and "
         f"`{lcm_fn}` and `{simplify_fn}` build on it."],
        [("The key fact: any common divisor of a and b also divides a % b, so gcd(a, b) = gcd(b, a % b). The "
          "numbers shrink quickly (at least halving every two steps), and the recursion stops when b is 0.")
         if recursive else
         ("The key fact: any common divisor of a and b also divides a % b, so the pair (a, b) can be replaced "
          "by (b, a % b) without changing the answer. The loop does that until b is 0; tuple assignment updates "
          "both at once."),
         "With the GCD in hand, the LCM is |a * b| // gcd(a, b), and a ratio is simplified by dividing both "
         "terms by their GCD."],
        ["Python ships `math.gcd` and `math.lcm`; the tests use them as the reference implementation across a "
         "grid of inputs.",
         "Zero needs care: gcd(a, 0) is |a|, the LCM with 0 is defined as 0, and the ratio 0:0 is meaningless, "
         "so it raises."])
    exercises = _some(rng, [
        "Extend Euclid's algorithm to return Bézout coefficients x, y with a*x + b*y = gcd(a, b).",
        "Compute the GCD of a whole list with `functools.reduce`.",
        "Count the steps Euclid's algorithm takes for consecutive Fibonacci numbers and explain the result.",
        "Use `fractions.Fraction` and compare its automatic simplification with yours.",
    ])
    return Lesson(f"Euclid's algorithm: {story}", explanation, module, tests, exercises,
                  {"template": "gcd", "recursive": recursive})


def _life_step(cells: set[tuple[int, int]], wrap: tuple[int, int] | None) -> set[tuple[int, int]]:
    counts: Counter[tuple[int, int]] = Counter()
    for r, c in cells:
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                if dr or dc:
                    nr, nc = r + dr, c + dc
                    if wrap:
                        nr, nc = nr % wrap[0], nc % wrap[1]
                    counts[(nr, nc)] += 1
    return {p for p, n in counts.items() if n == 3 or (n == 2 and p in cells)}


def _lesson_life(rng: random.Random) -> Lesson:
    story = rng.choice(["bacteria on a petri dish", "trees spreading in a forest", "lights on a stadium display",
                        "a colony of pixels", "moss on a garden wall", "a crowd doing a stadium wave"])
    step_fn = rng.choice(["step", "next_generation", "tick", "evolve"])
    count_fn = rng.choice(["live_neighbours", "neighbour_count", "count_around"])
    rows, cols = rng.randint(5, 7), rng.randint(5, 7)
    alive = rng.choice(["#", "O", "*", "@"])
    dead = rng.choice([".", "-", " "]) if alive != " " else "."
    grid_cells = {(r, c) for r in range(rows) for c in range(cols) if rng.random() < 0.35}
    torus = rng.random() < 0.5
    wrap = (rows, cols) if torus else None
    nxt = _life_step(grid_cells, wrap)
    if not torus:
        nxt = {(r, c) for r, c in nxt if 0 <= r < rows and 0 <= c < cols}

    def show(cells: set[tuple[int, int]]) -> list[str]:
        return ["".join(alive if (r, c) in cells else dead for c in range(cols)) for r in range(rows)]

    edge = ("        for dc in (-1, 0, 1):\n            if (dr, dc) != (0, 0):\n"
            "                total += grid[(row + dr) % height][(col + dc) % width] == ALIVE\n"
            if torus else
            "        for dc in (-1, 0, 1):\n            r, c = row + dr, col + dc\n"
            "            if (dr, dc) != (0, 0) and 0 <= r < height and 0 <= c < width:\n"
            "                total += grid[r][c] == ALIVE\n")
    module = f'''"""Conway's Game of Life on a small {"wrap-around" if torus else "bounded"} grid: {story}."""

ALIVE, DEAD = {alive!r}, {dead!r}


def {count_fn}(grid: list[str], row: int, col: int) -> int:
    """How many of the 8 surrounding cells are alive{"; the grid wraps around at the edges" if torus else "; cells beyond the edge count as dead"}."""
    height, width = len(grid), len(grid[0])
    total = 0
    for dr in (-1, 0, 1):
{edge}    return total


def {step_fn}(grid: list[str]) -> list[str]:
    """The next generation: a live cell survives with 2 or 3 live neighbours, a dead cell is born with exactly 3."""
    new_rows = []
    for row, line in enumerate(grid):
        cells = []
        for col, cell in enumerate(line):
            n = {count_fn}(grid, row, col)
            cells.append(ALIVE if n == 3 or (cell == ALIVE and n == 2) else DEAD)
        new_rows.append("".join(cells))
    return new_rows
'''
    blinker = [dead * 5, dead * 5, dead + alive * 3 + dead, dead * 5, dead * 5]
    vertical = [dead * 5, dead * 2 + alive + dead * 2, dead * 2 + alive + dead * 2, dead * 2 + alive + dead * 2,
                dead * 5]
    tests = _tests(
        [step_fn, count_fn],
        f"GRID = {show(grid_cells)!r}\n",
        f"def test_{step_fn}():\n    assert {step_fn}(GRID) == {show(nxt)!r}\n",
        f"def test_blinker_oscillates():\n    blinker = {blinker!r}\n    assert {step_fn}(blinker) == {vertical!r}\n"
        f"    assert {step_fn}({step_fn}(blinker)) == blinker\n",
        f"def test_empty_stays_empty():\n    empty = [{dead * 4!r}] * 4\n    assert {step_fn}(empty) == empty\n",
        f"def test_{count_fn}_centre():\n    assert {count_fn}({blinker!r}, 2, 2) == 2\n")
    explanation = _explain(
        rng,
        [f"The Game of Life is a grid of cells, alive or dead, evolving by two rules. Think of {story}: a cell with "
         "too few live neighbours dies of loneliness, too many of overcrowding, and exactly three bring a dead "
         "cell to life.",
         "John Conway's Game of Life shows how very simple local rules produce complex behaviour: oscillators, "
         f"gliders, even computers. Our grid models {story}.",
         f"This lesson simulates {story} with Conway's Game of Life, using nothing but lists of strings."],
        [f"The grid is a list of strings, one per row, with {alive!r} for alive and {dead!r} for dead. A new grid "
         "is built from scratch each generation: updating in place would let already-updated cells influence "
         "their neighbours in the same step, which is the classic bug here.",
         f"`{count_fn}` looks at the 3x3 block around a cell, skipping the cell itself. "
         + ("Indices are taken modulo the grid size, so the grid wraps around like a torus and every cell has "
            "exactly eight neighbours." if torus else
            "Neighbours outside the grid are simply not counted, so edge cells have fewer neighbours.")],
        ["The blinker (three cells in a row) flips between horizontal and vertical every generation, a perfect "
         "test: two steps must give back the original.",
         "`total += condition` adds 1 for True and 0 for False, since `bool` is a subclass of `int` in Python."])
    exercises = _some(rng, [
        "Represent the live cells as a set of (row, col) pairs and compare the speed on a large sparse grid.",
        "Detect when the grid stops changing or starts repeating.",
        "Add a glider and check that after 4 steps it has moved one cell diagonally.",
        "Print an animation in the terminal with a short pause between generations.",
    ])
    return Lesson(f"Conway's Game of Life: {story}", explanation, module, tests, exercises,
                  {"template": "life", "torus": torus})


DECORATOR_SCENES = [("count_calls", "counting how often a function is called"),
                    ("log_calls", "recording every call's arguments"),
                    ("memoize", "caching results of a slow function"),
                    ("retry", "retrying a flaky operation"),
                    ("validate_positive", "rejecting non-positive arguments")]


def _lesson_decorators(rng: random.Random) -> Lesson:
    kind, what = rng.choice(DECORATOR_SCENES)
    target = rng.choice([("area", "width: int, height: int", "width * height", "3, 4", 12),
                         ("shipping_cost", "weight: int, zone: int", "5 + weight * zone", "2, 3", 11),
                         ("score", "hits: int, misses: int", "hits * 10 - misses", "7, 2", 68),
                         ("volume", "side: int, depth: int", "side * side * depth", "2, 5", 20),
                         ("fare", "stops: int, riders: int", "2 * stops * riders", "3, 2", 12),
                         ("paint_litres", "walls: int, coats: int", "walls * coats * 2", "4, 2", 16),
                         ("seat_count", "rows: int, per_row: int", "rows * per_row", "6, 9", 54),
                         ("bonus_points", "streak: int, level: int", "streak * level + 1", "5, 3", 16),
                         ("pixel_total", "columns: int, lines: int", "columns * lines", "8, 5", 40),
                         ("dose_mg", "weight_kg: int, mg_per_kg: int", "weight_kg * mg_per_kg", "20, 3", 60)])
    fname, params, expr, args, result = target
    if kind == "count_calls":
        deco = '''def count_calls(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap `func` so that `wrapper.calls` says how many times it has been called."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        wrapper.calls += 1  # type: ignore[attr-defined]
        return func(*args, **kwargs)

    wrapper.calls = 0  # type: ignore[attr-defined]
    return wrapper'''
        check = (f"def test_counts():\n    before = {fname}.calls  # type: ignore[attr-defined]\n"
                 f"    {fname}({args})\n    {fname}({args})\n"
                 f"    assert {fname}.calls == before + 2  # type: ignore[attr-defined]\n")
        idea = ("The counter lives as an attribute on the wrapper function itself: functions are objects, and "
                "objects can carry attributes.")
    elif kind == "log_calls":
        deco = '''CALLS: list[str] = []


def log_calls(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap `func` so that each call is recorded in CALLS as 'name(args) -> result'."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        result = func(*args, **kwargs)
        shown = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
        CALLS.append(f"{func.__name__}({shown}) -> {result!r}")
        return result

    return wrapper'''
        check = (f"def test_logged():\n    CALLS.clear()\n    {fname}({args})\n"
                 f"    assert CALLS == ['{fname}({args}) -> {result!r}']\n")
        idea = ("The wrapper calls the original, formats the positional and keyword arguments with `repr`, and "
                "appends one line to a module-level log. Returning the original result keeps the decorated "
                "function a drop-in replacement.")
    elif kind == "memoize":
        deco = '''def memoize(func: Callable[P, R]) -> Callable[P, R]:
    """Cache results by positional arguments (which must be hashable); keyword calls are not cached."""
    cache: dict[tuple, R] = {}

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs:
            return func(*args, **kwargs)
        if args not in cache:
            cache[args] = func(*args, **kwargs)
        return cache[args]

    return wrapper'''
        check = ("def test_cached_result_is_reused():\n    calls = []\n\n    @memoize\n"
                 "    def slow_square(n: int) -> int:\n        calls.append(n)\n        return n * n\n\n"
                 "    assert slow_square(4) == 16\n    assert slow_square(4) == 16\n    assert calls == [4]\n")
        idea = ("The cache is a dictionary in the decorator's closure, keyed by the argument tuple; each decorated "
                "function gets its own. This is `functools.cache` in miniature.")
    elif kind == "retry":
        deco = '''def retry(times: int) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A decorator factory: call the function up to `times` times while it raises ValueError."""
    if times < 1:
        raise ValueError("times must be at least 1")

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for attempt in range(1, times + 1):
                try:
                    return func(*args, **kwargs)
                except ValueError:
                    if attempt == times:
                        raise
            raise AssertionError("unreachable")

        return wrapper

    return decorate'''
        check = ("def test_retries_until_success():\n    attempts = []\n\n    @retry(3)\n    def flaky() -> str:\n"
                 "        attempts.append(1)\n        if len(attempts) < 3:\n            raise ValueError('not yet')\n"
                 "        return 'ok'\n\n    assert flaky() == 'ok'\n    assert len(attempts) == 3\n\n\n"
                 "def test_gives_up():\n    @retry(2)\n    def broken() -> None:\n        raise ValueError('no')\n\n"
                 "    with pytest.raises(ValueError):\n        broken()\n")
        idea = ("`retry(3)` is called first and returns the real decorator: that is why decorators with arguments "
                "need three nested functions. The last failure is re-raised with a bare `raise`, keeping its "
                "traceback.")
    else:
        deco = '''def validate_positive(func: Callable[P, R]) -> Callable[P, R]:
    """Reject any int or float argument that is not positive, before calling `func`."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for value in [*args, *kwargs.values()]:
            if isinstance(value, int | float) and value <= 0:
                raise ValueError(f"{func.__name__}: arguments must be positive, got {value!r}")
        return func(*args, **kwargs)

    return wrapper'''
        check = (f"def test_rejects_zero():\n    with pytest.raises(ValueError, match='{fname}'):\n"
                 f"        {fname}({args.split(',')[0]}, 0)\n")
        idea = ("The wrapper inspects every argument before delegating; the error message uses `func.__name__`, "
                "which is correct thanks to `functools.wraps`.")
    use = f"@{kind}(3)" if kind == "retry" else f"@{kind}"
    module = f'''"""Decorators: {what}, with `functools.wraps` and typed with ParamSpec."""

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


{deco}


{use}
def {fname}({params}) -> int:
    """An ordinary function, decorated."""
    return {expr}
'''
    names = [fname] + ([kind] if kind in ("retry", "memoize") else []) + (["CALLS"] if kind == "log_calls" else [])
    tests = _tests(
        names,
        f"def test_{fname}_still_works():\n    assert {fname}({args}) == {result}\n",
        f"def test_wraps_keeps_metadata():\n    assert {fname}.__name__ == {fname!r}\n"
        f"    assert 'decorated' in ({fname}.__doc__ or '')\n",
        check)
    explanation = _explain(
        rng,
        [f"A decorator is a function that takes a function and returns a new one, usually a wrapper that adds "
         f"behaviour around the original. Our example: {what}.",
         f"`@{kind}` above a `def` is shorthand for `{fname} = {kind}({fname})`" + ("(3)" if kind == "retry" else "")
         + ". Once that clicks, decorators stop being magic.",
         f"Decorators let you add cross-cutting behaviour, here {what}, without touching the function's body."],
        [idea],
        ["`functools.wraps` copies the original's name and docstring onto the wrapper. Without it every "
         "decorated function would be called 'wrapper' in tracebacks and help(), and a test checks it.",
         "`ParamSpec` and `TypeVar` let the type checker see that the decorated function keeps its exact "
         "signature: pyright still flags a wrong argument to the decorated function."])
    exercises = _some(rng, [
        "Write a `timed` decorator that records how long each call takes (inject the clock so it is testable).",
        f"Make `{kind}` usable both as `@{kind}` and `@{kind}(...)` with options.",
        "Stack two decorators and work out which wrapper runs first.",
        "Write the same behaviour as a class with `__call__` and compare.",
    ])
    return Lesson(f"decorators: {what}", explanation, module, tests, exercises,
                  {"template": "decorators", "kind": kind, "target": fname})


CASE_WORDS = [["user", "id"], ["http", "response", "code"], ["max", "retry", "count"], ["first", "name"],
              ["is", "valid", "email"], ["parse", "json", "body"], ["total", "price", "cents"], ["last", "login", "at"],
              ["background", "colour"], ["page", "size"], ["api", "key"], ["created", "by", "user"],
              ["next", "page", "token"], ["row", "count"], ["file", "path"]]


def _lesson_case_conversion(rng: random.Random) -> Lesson:
    words = rng.sample(CASE_WORDS, 4)
    to_snake = rng.choice(["to_snake", "snake_case", "camel_to_snake"])
    to_camel = rng.choice(["to_camel", "camel_case", "snake_to_camel"])
    why = rng.choice(["JSON keys from a JavaScript API", "column names in a CSV export", "fields of a REST payload",
                      "names generated for a code generator", "environment variable names"])
    regex = rng.random() < 0.5

    def camel(ws: list[str]) -> str:
        return ws[0] + "".join(w.capitalize() for w in ws[1:])

    if regex:
        snake_src = f'''def {to_snake}(name: str) -> str:
    """'userId' -> 'user_id', 'HTTPResponse' -> 'http_response': split before each capital that starts a word."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\\1_\\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\\1_\\2", name)
    return name.replace("-", "_").lower()'''
        head = "import re\n\n\n"
        how = ("Two substitutions find word boundaries: a lowercase letter or digit followed by a capital "
               "(`userId`), and a run of capitals followed by a capitalised word (`HTTPResponse`). An underscore "
               "goes in at each boundary, then everything is lowercased.")
    else:
        snake_src = f'''def {to_snake}(name: str) -> str:
    """'userId' -> 'user_id', 'HTTPResponse' -> 'http_response': split before each capital that starts a word."""
    out: list[str] = []
    for i, ch in enumerate(name):
        if ch.isupper() and i > 0:
            previous_lower = name[i - 1].islower() or name[i - 1].isdigit()
            next_lower = i + 1 < len(name) and name[i + 1].islower()
            if previous_lower or (next_lower and name[i - 1].isupper()):
                out.append("_")
        out.append("_" if ch == "-" else ch.lower())
    return "".join(out)'''
        head = ""
        how = ("The loop decides, character by character, whether a capital starts a new word: it does after a "
               "lowercase letter or digit (`userId`), and inside a run of capitals only when a lowercase letter "
               "follows (`HTTPResponse`: the R starts 'Response').")
    module = f'''"""Converting identifiers between camelCase and snake_case, e.g. for {why}."""

{head}{snake_src}


def {to_camel}(name: str) -> str:
    """'user_id' -> 'userId': the first word stays lowercase, the others are capitalised, underscores vanish."""
    first, *rest = name.split("_")
    return first.lower() + "".join(part.capitalize() for part in rest if part)
'''
    cases = [(repr(camel(w)), "_".join(w)) for w in words]
    back = [(repr("_".join(w)), camel(w)) for w in words]
    tests = _tests(
        [to_snake, to_camel],
        _checks(rng, to_snake, cases + [("'HTTPResponse'", "http_response"), ("'already_snake'", "already_snake")],
                f"{to_snake}_names"),
        _checks(rng, to_camel, back + [("'x'", "x")], f"{to_camel}_names"),
        f"def test_round_trip():\n    for name in {[camel(w) for w in words]!r}:\n"
        f"        assert {to_camel}({to_snake}(name)) == name\n")
    explanation = _explain(
        rng,
        [f"Different ecosystems name things differently: JavaScript likes `camelCase`, Python `snake_case`. When "
         f"handling {why}, you convert between the two, and the acronyms are what make it interesting.",
         "Converting `camelCase` to `snake_case` sounds like one `replace` call. It is really a question of "
         "where words begin, and acronyms such as HTTP make the question harder.",
         f"`{to_snake}` and `{to_camel}` translate identifier styles, e.g. for {why}."],
        [how],
        ["The reverse direction is easy: split on underscores, keep the first part lowercase and capitalise the "
         "rest. The round trip works for ordinary names but not for acronyms (`HTTPResponse` comes back as "
         "`httpResponse`); the tests only promise what the functions deliver.",
         "Tests list the tricky inputs explicitly: an acronym, a name that is already snake_case, a single word."])
    exercises = _some(rng, [
        "Add `to_kebab` (`user-id`) and `to_pascal` (`UserId`).",
        "Convert every key of a nested JSON object recursively.",
        "Keep a list of known acronyms so that `http_response` becomes `HTTPResponse` again.",
        "Handle digits: should `utf8Decoder` become `utf8_decoder` or `utf_8_decoder`? Decide and test it.",
    ])
    return Lesson(f"camelCase and snake_case conversion ({why})", explanation, module, tests, exercises,
                  {"template": "case_conversion", "regex": regex})


EDIT_PAIRS = [("kitten", "sitting"), ("flaw", "lawn"), ("sunday", "saturday"), ("python", "typhoon"),
              ("garden", "danger"), ("recieve", "receive"), ("color", "colour"), ("intention", "execution"),
              ("algorithm", "altruistic"), ("book", "back"), ("horse", "ros"), ("teh", "the"), ("adress", "address"),
              ("plant", "planet"), ("stone", "tones")]


def _edit(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _lesson_edit_distance(rng: random.Random) -> Lesson:
    use = rng.choice(["a spelling suggester", "fuzzy search in a contact list", "grading typed answers",
                      "detecting near-duplicate usernames", "a 'did you mean?' prompt for CLI commands"])
    fn = rng.choice(["edit_distance", "levenshtein", "distance"])
    suggest_fn = rng.choice(["closest", "suggest", "best_match"])
    pairs = rng.sample(EDIT_PAIRS, 4)
    rows_only = rng.random() < 0.5
    if rows_only:
        dp = '''    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(
                previous[j] + 1,  # delete char_a
                current[j - 1] + 1,  # insert char_b
                previous[j - 1] + (char_a != char_b),  # substitute (free if equal)
            ))
        previous = current
    return previous[-1]'''
        how = ("Only the previous row of the table is needed to compute the next, so the function keeps two "
               "rows instead of the whole (len(a)+1) x (len(b)+1) table: O(len(b)) memory.")
    else:
        dp = '''    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        table[i][0] = i
    for j in range(len(b) + 1):
        table[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
    return table[len(a)][len(b)]'''
        how = ("`table[i][j]` is the distance between the first i characters of `a` and the first j of `b`. The "
               "first row and column are the cost of building a prefix from nothing; every other cell takes the "
               "cheapest of delete, insert and substitute.")
    words = sorted({w for p in pairs for w in p})
    probe = rng.choice(words)[::-1][:4] + "e"
    best = min(words, key=lambda w: (_edit(probe, w), w))
    module = f'''"""Levenshtein edit distance with dynamic programming, for {use}."""


def {fn}(a: str, b: str) -> int:
    """The fewest single-character insertions, deletions and substitutions that turn `a` into `b`."""
{dp}


def {suggest_fn}(word: str, candidates: list[str]) -> str | None:
    """The candidate nearest to `word` (ties: alphabetical), or None when there are no candidates."""
    if not candidates:
        return None
    return min(candidates, key=lambda candidate: ({fn}(word, candidate), candidate))
'''
    tests = _tests(
        [fn, suggest_fn],
        _checks(rng, fn, [(f"{a!r}, {b!r}", _edit(a, b)) for a, b in pairs], f"{fn}_pairs"),
        f"def test_{fn}_properties():\n    assert {fn}('', 'abc') == 3\n    assert {fn}('same', 'same') == 0\n"
        f"    assert {fn}({pairs[0][0]!r}, {pairs[0][1]!r}) == {fn}({pairs[0][1]!r}, {pairs[0][0]!r})\n",
        f"def test_{suggest_fn}():\n    assert {suggest_fn}({probe!r}, {words!r}) == {best!r}\n"
        f"    assert {suggest_fn}('x', []) is None\n")
    explanation = _explain(
        rng,
        [f"How different are two words? For {use} we need a number, and the Levenshtein distance is the standard "
         "one: the fewest single-character edits that turn one word into the other.",
         "Edit distance is the textbook example of dynamic programming: the answer for two strings is built from "
         "the answers for their prefixes, each computed once.",
         f"`{fn}` computes the Levenshtein distance; `{suggest_fn}` uses it for {use}."],
        [how,
         "Each cell considers the last characters: drop one from `a` (delete), drop one from `b` (insert), or "
         "match them up (substitute, free when they are equal). The minimum of the three is the answer for those "
         "prefixes."],
        ["The distance is symmetric and zero only for equal strings; a test checks both properties besides the "
         "known examples such as kitten -> sitting = 3.",
         f"`{suggest_fn}` breaks ties alphabetically through its key tuple, so suggestions are deterministic."])
    exercises = _some(rng, [
        "Return the actual list of edits, not just their number (walk back through the table).",
        "Stop early when the distance is known to exceed a limit k.",
        "Count a swap of two neighbouring letters as one edit (Damerau-Levenshtein).",
        "Compare with `difflib.get_close_matches` from the standard library.",
    ])
    return Lesson(f"edit distance for {use}", explanation, module, tests, exercises,
                  {"template": "edit_distance", "rows_only": rows_only})


COIN_SCENES = [("coins", "making change with euro coins", [1, 2, 5, 10, 20, 50]),
               ("stamps", "paying postage with stamps", [1, 7, 10, 22]),
               ("weights", "balancing a scale with weights", [1, 3, 4, 9]),
               ("tickets", "buying ride tickets sold in bundles", [1, 5, 6, 12]),
               ("packs", "ordering screws sold in packs", [6, 9, 20]),
               ("notes", "paying with a strange currency's notes", [2, 5, 11]),
               ("boxes", "shipping eggs in boxes of fixed sizes", [6, 10, 12]),
               ("planks", "covering a length with planks", [2, 3, 7]),
               ("bottles", "filling a tank with bottles", [1, 4, 5, 15]),
               ("tiles", "edging a path with tiles of a few lengths", [3, 5, 8]),
               ("credits", "paying with game credits", [1, 3, 10, 25])]


def _lesson_coin_change(rng: random.Random) -> Lesson:
    unit, story, denoms = rng.choice(COIN_SCENES)
    fn = rng.choice([f"fewest_{unit}", "min_pieces", "make_amount"])
    ways_fn = rng.choice(["count_ways", "ways_to_pay", "combinations"])
    targets = rng.sample(range(1, 60), 4)

    def fewest(t: int) -> int | None:
        best: list[int | None] = [0] + [None] * t
        for a in range(1, t + 1):
            opts = [best[a - d] for d in denoms if d <= a and best[a - d] is not None]
            best[a] = min(o for o in opts if o is not None) + 1 if opts else None
        return best[t]

    def ways(t: int) -> int:
        w = [1] + [0] * t
        for d in denoms:
            for a in range(d, t + 1):
                w[a] += w[a - d]
        return w[t]

    module = f'''"""Dynamic programming for {story}: the fewest pieces, and the number of ways."""

DENOMINATIONS = {tuple(denoms)!r}


def {fn}(amount: int, denominations: tuple[int, ...] = DENOMINATIONS) -> int | None:
    """The fewest {unit} adding up to `amount` exactly, or None if it cannot be done."""
    if amount < 0:
        raise ValueError("amount must be non-negative")
    best: list[int | None] = [0] + [None] * amount
    for total in range(1, amount + 1):
        options = [best[total - d] for d in denominations if d <= total]
        reachable = [count for count in options if count is not None]
        best[total] = min(reachable) + 1 if reachable else None
    return best[amount]


def {ways_fn}(amount: int, denominations: tuple[int, ...] = DENOMINATIONS) -> int:
    """How many different multisets of {unit} add up to `amount` (order does not matter)."""
    ways = [1] + [0] * amount
    for d in denominations:
        for total in range(d, amount + 1):
            ways[total] += ways[total - d]
    return ways[amount]
'''
    greedy_trap = ""
    if unit == "weights":
        greedy_trap = f"def test_greedy_would_fail():\n    assert {fn}(6) == 2  # 3 + 3, while greedy takes 4 + 1 + 1\n"
    elif unit == "stamps":
        greedy_trap = f"def test_greedy_would_fail():\n    assert {fn}(14) == 2  # 7 + 7, while greedy takes 10 + 1 * 4\n"
    tests = _tests(
        [fn, ways_fn],
        _checks(rng, fn, [(str(t), fewest(t)) for t in targets] + [("0", 0)], f"{fn}_amounts"),
        _checks(rng, ways_fn, [(str(t), ways(t)) for t in targets[:3]], f"{ways_fn}_amounts"),
        f"def test_custom_denominations():\n    assert {fn}(3, (2,)) is None\n    assert {ways_fn}(4, (1, 2)) == 3\n",
        greedy_trap)
    explanation = _explain(
        rng,
        [f"Problem: {story}, using as few pieces as possible. The denominations are {', '.join(map(str, denoms))}. "
         "Always taking the largest piece that fits (greedy) works for euro coins but fails for many other "
         "systems.",
         "The coin change problem is the standard introduction to dynamic programming: solve every smaller "
         f"amount first, then build the answer for the next one from them. Our setting: {story}.",
         f"`{fn}` and `{ways_fn}` answer two classic questions about {story}: how few pieces, and in how many ways."],
        ["`best[t]` holds the fewest pieces for amount t. For each t we try every denomination d as the last "
         "piece: the rest, t - d, was already solved. Unreachable amounts stay None, and `int | None` in the "
         "signature makes callers deal with that.",
         f"`{ways_fn}` loops over denominations on the outside. That order counts each combination once "
         "(1+2 and 2+1 are the same payment); swapping the loops would count orderings instead."],
        ["Both functions run in O(amount x number of denominations) time, instead of the exponential time a "
         "naive recursion needs.",
         "The denominations are a default argument, a tuple, so tests can pass their own systems to check the "
         "edge cases: an impossible amount, and a known count of ways."])
    exercises = _some(rng, [
        "Return which pieces to use, not just how many.",
        "Find the smallest amount for which the greedy method gives a worse answer than DP.",
        "Limit how many pieces of each kind are available.",
        f"Write `{fn}` recursively with `functools.cache` and compare with the table version.",
    ])
    return Lesson(f"coin change with dynamic programming: {story}", explanation, module, tests, exercises,
                  {"template": "coin_change", "scene": unit})


BST_SCENES = [("a phone book", "name", ["mia", "noah", "liam", "ava", "zoe", "eli", "ivy", "owen", "ruby", "kai"]),
              ("a dictionary of words", "word", ["apple", "mango", "kiwi", "fig", "pear", "date", "lime", "plum", "yam",
                                                 "nut"]),
              ("a leaderboard of player tags", "tag", ["ace", "bolt", "crow", "dusk", "echo", "fang", "gale", "hex",
                                                       "jinx", "koi"]),
              ("an index of city names", "city", ["oslo", "lima", "rome", "bern", "kyiv", "doha", "riga", "baku",
                                                  "lome", "suva"])]


def _lesson_bst(rng: random.Random) -> Lesson:
    what, key, pool = rng.choice(BST_SCENES)
    cls = rng.choice(["SearchTree", "BST", "SortedIndex"])
    node = rng.choice(["Node", "TreeNode", "Branch"])
    keys = rng.sample(pool, rng.randint(6, 9))
    recursive_insert = rng.random() < 0.5
    absent = next(w for w in pool if w not in keys) if len(keys) < len(pool) else "zzz"

    def height(ks: list[str]) -> int:
        tree: dict = {}

        def ins(t: dict, k: str) -> None:
            if not t:
                t.update(k=k, l={}, r={})
            elif k < t["k"]:
                ins(t["l"], k)
            elif k > t["k"]:
                ins(t["r"], k)

        def h(t: dict) -> int:
            return 0 if not t else 1 + max(h(t["l"]), h(t["r"]))

        for k in ks:
            ins(tree, k)
        return h(tree)

    if recursive_insert:
        insert_src = f'''    def insert(self, {key}: str) -> None:
        """Add `{key}`; inserting an existing one changes nothing."""
        self.root = self._insert(self.root, {key})

    def _insert(self, node: {node} | None, {key}: str) -> {node}:
        if node is None:
            self.size += 1
            return {node}({key})
        if {key} < node.{key}:
            node.left = self._insert(node.left, {key})
        elif {key} > node.{key}:
            node.right = self._insert(node.right, {key})
        return node'''
        how = ("`_insert` is recursive: it returns the (possibly new) root of the subtree it was given, and the "
               "caller re-attaches it. An empty subtree becomes a new leaf, which is the base case.")
    else:
        insert_src = f'''    def insert(self, {key}: str) -> None:
        """Add `{key}`; inserting an existing one changes nothing."""
        if self.root is None:
            self.root = {node}({key})
            self.size += 1
            return
        current = self.root
        while True:
            if {key} == current.{key}:
                return
            side = "left" if {key} < current.{key} else "right"
            child = getattr(current, side)
            if child is None:
                setattr(current, side, {node}({key}))
                self.size += 1
                return
            current = child'''
        how = ("Insertion walks down from the root, going left for smaller keys and right for larger ones, until "
               "it finds an empty spot. `getattr`/`setattr` with the side's name avoid writing the walk twice.")
    module = f'''"""A binary search tree for {what}: O(height) lookups, keys in order for free."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class {node}:
    {key}: str
    left: {node} | None = None
    right: {node} | None = None


class {cls}:
    def __init__(self) -> None:
        self.root: {node} | None = None
        self.size = 0

{insert_src}

    def __contains__(self, {key}: str) -> bool:
        current = self.root
        while current is not None:
            if {key} == current.{key}:
                return True
            current = current.left if {key} < current.{key} else current.right
        return False

    def __iter__(self) -> Iterator[str]:
        """Keys in sorted order: an in-order traversal (left subtree, node, right subtree)."""
        yield from _in_order(self.root)

    def height(self) -> int:
        return _height(self.root)


def _in_order(node: {node} | None) -> Iterator[str]:
    if node is not None:
        yield from _in_order(node.left)
        yield node.{key}
        yield from _in_order(node.right)


def _height(node: {node} | None) -> int:
    return 0 if node is None else 1 + max(_height(node.left), _height(node.right))
'''
    tests = _tests(
        [cls],
        f"KEYS = {keys!r}\n\n\ndef build():\n    tree = {cls}()\n    for k in KEYS:\n        tree.insert(k)\n    return tree\n",
        f"def test_in_order_is_sorted():\n    assert list(build()) == {sorted(keys)!r}\n",
        f"def test_membership():\n    tree = build()\n    assert {keys[0]!r} in tree\n    assert {absent!r} not in tree\n",
        f"def test_duplicates_ignored():\n    tree = build()\n    tree.insert({keys[1]!r})\n    assert tree.size == {len(keys)}\n",
        f"def test_height():\n    assert build().height() == {height(keys)}\n    assert {cls}().height() == 0\n")
    explanation = _explain(
        rng,
        [f"A binary search tree keeps keys so that everything in a node's left subtree is smaller and everything "
         f"in its right subtree is larger. For {what} that gives fast lookups and sorted iteration.",
         f"Sorted lists give O(log n) search but O(n) insertion. A binary search tree makes both O(height), which "
         f"is logarithmic when the tree is balanced. We store {key}s from {what}.",
         f"`{cls}` stores the {key}s of {what} in a binary search tree."],
        [how,
         "Iterating in order (left, node, right) visits the keys in sorted order; with `yield from` the recursive "
         "generator reads almost like the definition."],
        ["The height depends on the insertion order: inserting keys already sorted gives a tree of height n, a "
         "linked list in disguise. The test records the height for this particular order.",
         "Python compares strings lexicographically, so any `str` keys work; `__contains__` makes the `in` "
         "operator use the tree's own fast search."])
    exercises = _some(rng, [
        "Add `delete`, handling the node-with-two-children case via the in-order successor.",
        "Insert the keys in sorted order and measure the height; then insert them in a shuffled order.",
        f"Add `range_query(low, high)` yielding the {key}s between two bounds without visiting the whole tree.",
        "Store a value with each key to turn the tree into a map.",
    ])
    return Lesson(f"binary search trees: {what}", explanation, module, tests, exercises,
                  {"template": "bst", "recursive_insert": recursive_insert})


SEMVER_SCENES = [("a package manager", "Package"), ("a plugin loader", "Plugin"), ("a mobile app's update check",
                                                                                 "Release"),
                 ("a database migration tool", "Migration"), ("a firmware updater", "Firmware")]


def _lesson_semver(rng: random.Random) -> Lesson:
    where, _ = rng.choice(SEMVER_SCENES)
    cls = rng.choice(["Version", "SemVer", "ReleaseNumber"])
    parse_fn = rng.choice(["parse", "from_string", "parse_version"])
    latest_fn = rng.choice(["latest", "newest", "highest"])
    order_via = rng.choice(["dataclass_order", "tuple_key"])
    versions = sorted({(rng.randint(0, 3), rng.randint(0, 12), rng.randint(0, 20)) for _ in range(6)})
    texts = [f"{a}.{b}.{c}" for a, b, c in versions]
    shuffled = texts[:]
    rng.shuffle(shuffled)
    compat_base = versions[len(versions) // 2]
    if order_via == "dataclass_order":
        cls_head = "@dataclass(frozen=True, order=True)"
        extra = ""
        how = ("`order=True` makes the dataclass comparable: instances compare like tuples of their fields, in "
               "declaration order, so major beats minor beats patch. That is exactly semantic-version order, and "
               "`max`, `sorted` and `<` just work.")
        sort_expr = "sorted(texts, key=" + parse_fn + ")"
    else:
        cls_head = "@dataclass(frozen=True)"
        extra = '''
    def key(self) -> tuple[int, int, int]:
        """What versions are ordered by: numerically, major first."""
        return (self.major, self.minor, self.patch)
'''
        how = ("The class defines `key()` returning `(major, minor, patch)`; sorting with that key compares the "
               "numbers as numbers. Sorting the strings directly would be wrong: '10.0.0' < '9.0.0' as text.")
        sort_expr = f"sorted(texts, key=lambda text: {parse_fn}(text).key())"
    by_regex = rng.random() < 0.5
    if by_regex:
        head = '''import re
from dataclasses import dataclass

PATTERN = re.compile(r"(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)")'''
        parse_src = f'''def {parse_fn}(text: str) -> {cls}:
    """Parse '1.4.2'; leading zeros, missing parts and suffixes are rejected."""
    match = PATTERN.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a version: {{text!r}}")
    return {cls}(*(int(part) for part in match.groups()))'''
        parse_note = ("The regular expression accepts exactly three dot-separated numbers without leading zeros, and "
                      "`fullmatch` makes sure nothing else is in the string: 'v1.2.3' and '1.2.3-beta' are rejected "
                      "rather than half-parsed.")
    else:
        head = "from dataclasses import dataclass"
        parse_src = f'''def {parse_fn}(text: str) -> {cls}:
    """Parse '1.4.2'; leading zeros, missing parts and suffixes are rejected."""
    parts = text.strip().split(".")
    if len(parts) != 3 or not all(part.isdigit() and (part == "0" or not part.startswith("0")) for part in parts):
        raise ValueError(f"not a version: {{text!r}}")
    major, minor, patch = (int(part) for part in parts)
    return {cls}(major, minor, patch)'''
        parse_note = ("Parsing splits on dots and checks each part by hand: exactly three parts, digits only "
                      "(`str.isdigit`), and no leading zeros except for 0 itself. 'v1.2.3' and '1.2.3-beta' fail "
                      "the digit check instead of being half-parsed.")
    module = f'''"""Semantic versions for {where}: parse 'MAJOR.MINOR.PATCH', compare, and check compatibility."""

{head}


{cls_head}
class {cls}:
    major: int
    minor: int
    patch: int
{extra}
    def compatible_with(self, other: "{cls}") -> bool:
        """Same major version and at least as new: what a caret requirement (^1.4.0) accepts."""
        return self.major == other.major and {"self >= other" if order_via == "dataclass_order" else "self.key() >= other.key()"}


{parse_src}


def {latest_fn}(texts: list[str]) -> str:
    """The newest version in `texts`, by version order (not string order)."""
    return {sort_expr}[-1]
'''
    a, b, c = compat_base
    tests = _tests(
        [cls, parse_fn, latest_fn],
        f"def test_{parse_fn}():\n    assert {parse_fn}({texts[0]!r}) == {cls}{versions[0]!r}\n",
        f"def test_{latest_fn}():\n    assert {latest_fn}({shuffled!r}) == {texts[-1]!r}\n",
        f"def test_numeric_not_text_order():\n    assert {latest_fn}(['9.0.0', '10.0.0', '2.1.3']) == '10.0.0'\n",
        f"def test_compatibility():\n    base = {cls}({a}, {b}, {c})\n    assert {cls}({a}, {b}, {c + 1}).compatible_with(base)\n"
        f"    assert {cls}({a}, {b + 1}, 0).compatible_with(base)\n    assert not {cls}({a + 1}, 0, 0).compatible_with(base)\n",
        f'@pytest.mark.parametrize("bad", ["1.2", "01.2.3", "1.2.3-beta", "v1.2.3", "1..3"])\n'
        f"def test_{parse_fn}_rejects(bad):\n    with pytest.raises(ValueError):\n        {parse_fn}(bad)\n")
    explanation = _explain(
        rng,
        [f"Version strings like '1.10.0' look like numbers but are not: as text, '1.10.0' sorts before '1.9.0'. "
         f"For {where} we parse them into a small frozen dataclass and compare that.",
         "Semantic versioning gives each part a meaning: MAJOR for breaking changes, MINOR for features, PATCH "
         f"for fixes. This lesson models it for {where}.",
         f"`{parse_fn}` turns version strings into `{cls}` objects that compare correctly; `{latest_fn}` and "
         "`compatible_with` build on that."],
        [how, parse_note],
        ["Compatibility follows the caret rule used by npm and Poetry: same major version, not older. A new "
         "major version may break things, so it is never 'compatible'.",
         "The dataclass is frozen, so versions are hashable and can be set members or dictionary keys."])
    exercises = _some(rng, [
        "Support pre-release tags like '1.2.3-beta.1', which sort before the release.",
        "Implement tilde requirements (~1.4.0: same major and minor).",
        "Add `bump(part)` returning the next major, minor or patch version.",
        "Parse a requirement string like '>=1.2.0,<2.0.0' and test versions against it.",
    ])
    return Lesson(f"semantic versions for {where}", explanation, module, tests, exercises,
                  {"template": "semver", "order": order_via, "regex": by_regex})


LOG_SCENES = [
    ("web server", ["GET", "POST", "PUT", "DELETE"], ["/", "/login", "/cart", "/api/items", "/search", "/help"],
     "method", "path"),
    ("print server", ["PRINT", "SCAN", "COPY", "FAX"], ["floor1", "floor2", "lab", "office", "lobby", "annex"],
     "action", "printer"),
    ("game server", ["JOIN", "LEAVE", "CHAT", "SCORE"], ["lobby", "arena", "forest", "castle", "docks", "mines"],
     "event", "zone"),
    ("smart home hub", ["ON", "OFF", "DIM", "LOCK"], ["kitchen", "hall", "garage", "porch", "bedroom", "study"],
     "command", "room"),
    ("build server", ["START", "PASS", "FAIL", "SKIP"], ["lint", "unit", "docs", "deploy", "bench", "package"],
     "status", "job"),
]


def _lesson_log_parsing(rng: random.Random) -> Lesson:
    system, verbs, targets, verb_name, target_name = rng.choice(LOG_SCENES)
    fn = rng.choice(["parse_line", "read_entry", "parse_record"])
    summary_fn = rng.choice([f"count_by_{verb_name}", f"busiest_{target_name}s", "summarise_log"])
    levels = ["INFO", "WARN", "ERROR"]
    entries = []
    for _ in range(rng.randint(6, 9)):
        entries.append((f"12:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}", rng.choice(levels), rng.choice(verbs),
                        rng.choice(targets), rng.randint(1, 999)))
    entries.sort()
    lines = [f"{t} [{lvl}] {v} {tg} {ms}ms" for t, lvl, v, tg, ms in entries]
    lines.insert(rng.randint(1, len(lines) - 1), "-- log rotated --")
    min_level = rng.choice(["INFO", "WARN"])
    rank = {"INFO": 0, "WARN": 1, "ERROR": 2}
    counts = Counter(v for _, lvl, v, _, _ in entries if rank[lvl] >= rank[min_level])
    expected = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    as_dataclass = rng.random() < 0.5
    if as_dataclass:
        entry_src = f'''@dataclass(frozen=True)
class Entry:
    time: str
    level: str
    {verb_name}: str
    {target_name}: str
    millis: int'''
        entry_type, build = "Entry", f"Entry(time, level, {verb_name}, {target_name}, int(millis))"
        get_level, get_verb = "entry.level", f"entry.{verb_name}"
        head = "import re\nfrom collections import Counter\nfrom dataclasses import dataclass"
    else:
        entry_src = f"Entry = tuple[str, str, str, str, int]  # time, level, {verb_name}, {target_name}, millis"
        entry_type, build = "Entry", f"(time, level, {verb_name}, {target_name}, int(millis))"
        get_level, get_verb = "entry[1]", "entry[2]"
        head = "import re\nfrom collections import Counter"
    module = f'''"""Parsing a {system}'s log lines with a regular expression, then summarising them."""

{head}

LINE = re.compile(r"(\\d\\d:\\d\\d:\\d\\d) \\[(INFO|WARN|ERROR)\\] (\\w+) (\\S+) (\\d+)ms")
LEVELS = ("INFO", "WARN", "ERROR")


{entry_src}


def {fn}(line: str) -> {entry_type} | None:
    """One log line as an Entry, or None for lines that are not entries (banners, blank lines)."""
    match = LINE.fullmatch(line.strip())
    if match is None:
        return None
    time, level, {verb_name}, {target_name}, millis = match.groups()
    return {build}


def {summary_fn}(lines: list[str], min_level: str = "INFO") -> dict[str, int]:
    """How many entries at `min_level` or above there are per {verb_name}, most frequent first."""
    threshold = LEVELS.index(min_level)
    counts: Counter[str] = Counter()
    for line in lines:
        entry = {fn}(line)
        if entry is not None and LEVELS.index({get_level}) >= threshold:
            counts[{get_verb}] += 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
'''
    first = entries[0]
    built = (f"Entry{first[:4] + (first[4],)!r}" if as_dataclass else repr(first))
    tests = _tests(
        [fn, summary_fn] + (["Entry"] if as_dataclass else []),
        f"LOG = {lines!r}\n",
        f"def test_{fn}():\n    assert {fn}(LOG[0]) == {built}\n",
        f"def test_{fn}_skips_noise():\n    assert {fn}('-- log rotated --') is None\n    assert {fn}('') is None\n",
        f"def test_{summary_fn}():\n    assert {summary_fn}(LOG, {min_level!r}) == {expected!r}\n",
        f"def test_errors_only():\n    assert sum({summary_fn}(LOG, 'ERROR').values()) == "
        f"{sum(1 for e in entries if e[1] == 'ERROR')}\n")
    explanation = _explain(
        rng,
        [f"A {system} writes one line per event: time, level, {verb_name}, {target_name} and duration. To answer "
         "questions about it we first turn each line into structured data, skipping anything that is not an "
         "entry.",
         f"Log analysis is parsing plus counting. This lesson parses a {system}'s log with one regular "
         "expression and summarises it with `Counter`.",
         f"`{fn}` turns a line of a {system}'s log into a record; `{summary_fn}` counts records per {verb_name}."],
        ["Each group in the pattern captures one field; `fullmatch` insists the whole line matches, and a line "
         "that does not (like '-- log rotated --') yields None instead of an exception, because noise in logs "
         "is normal, not exceptional.",
         ("A frozen dataclass gives the fields names, so the summary reads `entry.level` rather than "
          "`entry[1]`." if as_dataclass else
          "A type alias for the tuple documents what each position means; a dataclass would add names (one "
          "exercise).")],
        ["Levels are ordered by their position in `LEVELS`, so 'at least WARN' is a comparison of indices.",
         "The summary sorts by count then name, so its order is deterministic and testable."])
    exercises = _some(rng, [
        f"Report the average duration per {target_name}.",
        "Read the log lazily from a file with a generator, so huge logs fit in memory.",
        "Find the busiest minute (most entries with the same hh:mm).",
        "Collect malformed lines with their line numbers instead of skipping them silently.",
    ])
    return Lesson(f"parsing a {system}'s log", explanation, module, tests, exercises,
                  {"template": "log_parsing", "dataclass": as_dataclass})


ITER_SCENES = [("Countdown", "a rocket launch countdown"), ("Fibonacci", "Fibonacci numbers up to a limit"),
               ("PageOffsets", "offsets of result pages for a paginated API"),
               ("DayNumbers", "every n-th day of a watering schedule"),
               ("StairHeights", "heights of the steps of a staircase"),
               ("MileMarkers", "marker posts along a cycle route"),
               ("SeatNumbers", "every other seat number in a socially distanced row"),
               ("FrameTimes", "timestamps of sampled video frames"),
               ("RoundRobin", "whose turn it is in a board game"),
               ("ShiftRota", "a rota of who covers the night shift"),
               ("ServerPool", "round-robin load balancing over servers")]
ROTA_NAMES = {"RoundRobin": ("players", "turns", ["ana", "ben", "cleo", "dev", "eko"]),
              "ShiftRota": ("staff", "nights", ["priya", "tom", "wei", "sara", "jon"]),
              "ServerPool": ("servers", "requests", ["web1", "web2", "web3", "edge", "backup"])}
RANGE_NAMES = {"PageOffsets": ("first", "total", "page_size"), "DayNumbers": ("first_day", "last_day", "every"),
               "StairHeights": ("ground", "top", "riser"), "MileMarkers": ("start_km", "end_km", "spacing"),
               "SeatNumbers": ("first_seat", "row_end", "gap"), "FrameTimes": ("start_ms", "end_ms", "interval")}


def _lesson_iterator_class(rng: random.Random) -> Lesson:
    cls, what = rng.choice(ITER_SCENES)
    start, stop, step = rng.randint(0, 10), rng.randint(20, 60), rng.randint(2, 7)
    if cls in ROTA_NAMES:
        seq_name, count_name, pool = ROTA_NAMES[cls]
        people = rng.sample(pool, rng.randint(2, 4))
        n = rng.randint(5, 9)
        expected: list = [people[i % len(people)] for i in range(n)]
        state_src = (f"        if not {seq_name}:\n            raise ValueError(\"need at least one\")\n"
                     f"        self.{seq_name} = list({seq_name})\n        self.remaining = {count_name}\n"
                     "        self.position = 0\n")
        next_src = (f"        if self.remaining <= 0:\n            raise StopIteration\n"
                    f"        value = self.{seq_name}[self.position]\n"
                    f"        self.position = (self.position + 1) % len(self.{seq_name})\n"
                    "        self.remaining -= 1\n        return value")
        init_sig = f"{seq_name}: list[str], {count_name}: int"
        call = f"{cls}({people!r}, {n})"
        doc = f"Cycles through `{seq_name}` in order, yielding `{count_name}` values in total."
    elif cls == "Countdown":
        start, stop, step = rng.randint(8, 15), 0, 1
        expected = list(range(start, stop - 1, -step))
        state_src = "        self.current = start\n"
        next_src = ("        if self.current < 0:\n            raise StopIteration\n        value = self.current\n"
                    "        self.current -= 1\n        return value")
        init_sig = "start: int"
        call = f"{cls}({start})"
        doc = "Counts down from `start` to 0 inclusive."
    elif cls == "Fibonacci":
        expected, a, b = [], 0, 1
        while a <= stop:
            expected.append(a)
            a, b = b, a + b
        state_src = "        self.limit = limit\n        self.a, self.b = 0, 1\n"
        next_src = ("        if self.a > self.limit:\n            raise StopIteration\n        value = self.a\n"
                    "        self.a, self.b = self.b, self.a + self.b\n        return value")
        init_sig = "limit: int"
        call = f"{cls}({stop})"
        doc = "Fibonacci numbers that do not exceed `limit`."
    else:
        lo, hi, by = RANGE_NAMES[cls]
        expected = list(range(start, stop, step))
        state_src = (f"        if {by} <= 0:\n            raise ValueError(\"{by} must be positive\")\n"
                     f"        self.current, self.{hi}, self.{by} = {lo}, {hi}, {by}\n")
        next_src = (f"        if self.current >= self.{hi}:\n            raise StopIteration\n        value = self.current\n"
                    f"        self.current += self.{by}\n        return value")
        init_sig = f"{lo}: int, {hi}: int, {by}: int"
        call = f"{cls}({start}, {stop}, {step})"
        doc = f"Like range({lo}, {hi}, {by}) for a positive {by}, written by hand."
    item_t = "str" if cls in ROTA_NAMES else "int"
    module = f'''"""The iterator protocol by hand: {what}."""

from collections.abc import Iterator


class {cls}:
    """{doc}"""

    def __init__(self, {init_sig}) -> None:
{state_src}
    def __iter__(self) -> Iterator[{item_t}]:
        return self

    def __next__(self) -> {item_t}:
{next_src}
'''
    tests = _tests(
        [cls],
        f"def test_values():\n    assert list({call}) == {expected!r}\n",
        f"def test_exhausted_after_one_pass():\n    it = {call}\n    assert list(it) == {expected!r}\n    assert list(it) == []\n",
        f"def test_next_by_hand():\n    it = iter({call})\n    assert next(it) == {expected[0]!r}\n"
        f"    assert next(it, 'done') == {(expected[1] if len(expected) > 1 else 'done')!r}\n",
        (f"def test_works_with_builtins():\n    assert sorted(set({call})) == {sorted(set(expected))!r}\n"
         f"    assert max({call}) == {max(expected)!r}\n") if item_t == "str" else
        (f"def test_works_with_builtins():\n    assert sum({call}) == {sum(expected)}\n"
         f"    assert max({call}) == {max(expected)}\n"))
    explanation = _explain(
        rng,
        [f"`for` loops work on anything that follows the iterator protocol: `__iter__` returns an iterator, and "
         f"`__next__` returns the next value or raises `StopIteration`. We implement it by hand for {what}.",
         f"Generators are the easy way to write iterators; writing one as a class shows what a generator does for "
         f"you. Our iterator produces {what}.",
         f"`{cls}` is an iterator class for {what}: its state lives in attributes and `__next__` advances it."],
        ["`__iter__` returns `self`, which makes the object its own iterator: it can be looped over once. After "
         "`StopIteration` it stays exhausted, and one test shows that a second `list()` is empty.",
         "Because the class follows the protocol, built-ins such as `list`, `max` and `next` accept it "
         "without knowing anything about it."],
        ["Compare with the generator version: the `yield` keeps the local variables alive between values; here "
         "we keep them in attributes ourselves.",
         "`next(it, default)` returns the default instead of raising when the iterator is exhausted."])
    exercises = _some(rng, [
        f"Rewrite `{cls}` as a generator function and compare the amount of code.",
        "Make the class re-iterable: `__iter__` returns a fresh iterator object each time.",
        "Add `__len__` where the number of values is known in advance.",
        "Combine it with `itertools.islice` to take only the first few values.",
    ])
    return Lesson(f"iterator classes: {what}", explanation, module, tests, exercises,
                  {"template": "iterator_class", "cls": cls})


COMMAND_SCENES = [("a text adventure", ["go", "take", "drop", "look"], ["north", "lamp", "key", "south", "sword"]),
                  ("a drawing robot", ["move", "turn", "pen", "reset"], ["10", "90", "up", "down", "25"]),
                  ("a music player's remote", ["play", "skip", "volume", "stop"], ["jazz", "3", "up", "down", "rock"]),
                  ("a todo-list shell", ["add", "done", "list", "clear"], ["milk", "2", "bills", "7", "gym"])]


def _lesson_match_commands(rng: random.Random) -> Lesson:
    what, verbs, args = rng.choice(COMMAND_SCENES)
    fn = rng.choice(["interpret", "dispatch", "handle_command", "run_command"])
    v0, v1, v2, v3 = verbs
    inputs = [f"{v0} {rng.choice(args)}", f"{v1} {rng.choice(args)} {rng.choice(args)}", v2, f"{v2} {rng.choice(args)}",
              v3, f"{v3} now", "", "dance wildly"]

    def interp(text: str) -> str:
        w = text.split()
        if not w:
            return "say something"
        if len(w) == 2 and w[0] == v0:
            return f"{v0}: {w[1]}"
        if len(w) >= 2 and w[0] == v1:
            return f"{v1}: {' and '.join(w[1:])}"
        if w == [v2]:
            return f"{v2}: everything"
        if len(w) == 2 and w[0] == v2:
            return f"{v2}: only {w[1]}"
        if w == [v3]:
            return f"{v3}!"
        return f"unknown command: {w[0]}"

    module = f'''"""A command interpreter for {what}, using structural pattern matching (match/case)."""


def {fn}(text: str) -> str:
    """Turn one typed command into a response; unknown commands are reported, never raised."""
    match text.split():
        case [{v0!r}, target]:
            return f"{v0}: {{target}}"
        case [{v1!r}, *things] if things:
            return f"{v1}: {{' and '.join(things)}}"
        case [{v2!r}]:
            return "{v2}: everything"
        case [{v2!r}, detail]:
            return f"{v2}: only {{detail}}"
        case [{v3!r}]:
            return "{v3}!"
        case [word, *_]:
            return f"unknown command: {{word}}"
        case _:
            return "say something"
'''
    tests = _tests(
        [fn],
        _checks(rng, fn, [(repr(t), interp(t)) for t in inputs], f"{fn}_inputs"),
        f"def test_extra_spaces_are_ignored():\n    assert {fn}('  {v3}   ') == {interp(v3)!r}\n",
        f"def test_unknown_and_empty_never_raise():\n    assert {fn}('xyzzy {v0}') == 'unknown command: xyzzy'\n"
        f"    assert {fn}('   ') == 'say something'\n")
    explanation = _explain(
        rng,
        [f"Python 3.10 added `match`/`case`, which matches the *shape* of data. Commands for {what} are a "
         "natural fit: split the input into words and match the resulting list.",
         f"An if/elif chain over `words[0]` and `len(words)` gets hard to read quickly. Structural pattern "
         f"matching states each command's shape directly; here for {what}.",
         f"`{fn}` is a tiny command interpreter for {what}, written with `match`/`case`."],
        [f"Each `case` is a pattern: `[{v0!r}, target]` matches a two-word list starting with {v0!r} and binds "
         "the second word to `target`; `*things` captures the rest; a guard (`if things`) adds a condition the "
         "shape alone cannot express.",
         "Cases are tried from top to bottom, so the most specific come first, then `[word, *_]` for any other "
         "command, and finally the wildcard `_`, which only the empty input reaches."],
        ["Unknown input produces a message instead of an exception: in an interactive loop, a typo should not "
         "end the program.",
         "Because `str.split()` drops extra whitespace, '  stop  ' and 'stop' are the same command."])
    exercises = _some(rng, [
        "Accept synonyms with an or-pattern, e.g. `case ['go' | 'walk', direction]`.",
        "Parse numeric arguments with a class pattern such as `int(n)` after converting.",
        "Rewrite the interpreter with a dict of handler functions and compare readability.",
        "Add a `help` command listing every command with its shape.",
    ])
    return Lesson(f"pattern matching with match/case: {what}", explanation, module, tests, exercises,
                  {"template": "match_commands", "scene": what})


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def _luhn_digit(payload: str) -> str:
    for d in "0123456789":
        if _luhn_ok(payload + d):
            return d
    raise AssertionError("unreachable")


def _lesson_luhn(rng: random.Random) -> Lesson:
    what, length = rng.choice([("credit card numbers", 16), ("IMEI numbers of phones", 15),
                               ("Canadian social insurance numbers", 9), ("loyalty card numbers", 12),
                               ("library card barcodes", 14), ("gift voucher codes", 10)])
    check_fn = rng.choice(["is_valid", "luhn_ok", "passes_luhn", "checksum_ok"])
    digit_fn = rng.choice(["check_digit", "luhn_digit", "compute_check_digit"])
    sep = rng.choice([" ", "-"])
    payloads = ["".join(rng.choice("0123456789") for _ in range(length - 1)) for _ in range(3)]
    valid = [p + _luhn_digit(p) for p in payloads]
    broken = valid[0][:-1] + str((int(valid[0][-1]) + rng.randint(1, 9)) % 10)
    swapped = valid[1]
    i = next((k for k in range(len(swapped) - 1) if swapped[k] != swapped[k + 1]), 0)
    swapped = swapped[:i] + swapped[i + 1] + swapped[i] + swapped[i + 2:]
    grouped = sep.join(valid[2][k:k + 4] for k in range(0, len(valid[2]), 4))
    doubling = rng.choice(["subtract_nine", "digit_sum"])
    dbl = ("            doubled = digit * 2\n            digit = doubled - 9 if doubled > 9 else doubled"
           if doubling == "subtract_nine" else
           "            digit = sum(divmod(digit * 2, 10))")
    module = f'''"""The Luhn checksum, as used by {what}: validate a number and compute its check digit."""


def _luhn_sum(digits: str) -> int:
    """Sum of the digits, doubling every second one from the right."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
{dbl}
        total += digit
    return total


def {check_fn}(number: str) -> bool:
    """True when `number` (spaces and dashes allowed) passes the Luhn check."""
    digits = number.replace(" ", "").replace("-", "")
    if len(digits) < 2 or not digits.isdigit():
        return False
    return _luhn_sum(digits) % 10 == 0


def {digit_fn}(payload: str) -> str:
    """The digit that, appended to `payload`, makes it pass the Luhn check."""
    if not payload.isdigit():
        raise ValueError("payload must be digits only")
    return str((10 - _luhn_sum(payload + "0") % 10) % 10)
'''
    tests = _tests(
        [check_fn, digit_fn],
        _checks(rng, check_fn, [(repr(v), True) for v in valid[:2]] + [(repr(grouped), True), (repr(broken), False),
                                                                        (repr(swapped), _luhn_ok(swapped)),
                                                                        ("'12a4'", False), ("''", False)],
                f"{check_fn}_numbers"),
        _checks(rng, digit_fn, [(repr(p), _luhn_digit(p)) for p in payloads], f"{digit_fn}_payloads"),
        f"def test_appending_the_digit_validates():\n    for payload in {payloads!r}:\n"
        f"        assert {check_fn}(payload + {digit_fn}(payload))\n",
        _raises(f"{digit_fn}_rejects_letters", f"{digit_fn}('12x')"))
    explanation = _explain(
        rng,
        [f"Typing long numbers invites mistakes, so {what} end in a check digit. The Luhn algorithm catches every "
         "single-digit error and most swaps of neighbouring digits, with arithmetic simple enough to do by hand.",
         f"The Luhn checksum (1954) still guards {what}. This lesson validates numbers with it and computes the "
         "check digit for new ones.",
         f"`{check_fn}` and `{digit_fn}` implement the Luhn algorithm for {what}."],
        ["From the right, every second digit is doubled; a doubled digit above 9 has its two digits added "
         + ("(equivalently, 9 is subtracted)." if doubling == "subtract_nine" else
            "(`sum(divmod(d * 2, 10))` does exactly that).")
         + " The number is valid when the total is a multiple of 10.",
         "`enumerate(reversed(digits))` numbers the positions from the right, so 'every second digit' is simply "
         "an odd position, whatever the length of the number."],
        ["The check digit is found by computing the sum with a 0 in its place and choosing the digit that "
         "rounds the total up to a multiple of 10; the last `% 10` turns a 10 into 0.",
         "Validation ignores spaces and dashes, so grouped numbers as printed on cards pass, but any other "
         "character makes the number invalid rather than raising."])
    exercises = _some(rng, [
        "Find a swap of neighbouring digits that Luhn does not detect (hint: 09 and 90).",
        "Implement the ISBN-10 check digit, which uses weights 10 down to 1 modulo 11.",
        "Generate random valid numbers of a given length for test fixtures.",
        "Mask all but the last four digits when printing a valid number.",
    ])
    return Lesson(f"the Luhn checksum for {what}", explanation, module, tests, exercises,
                  {"template": "luhn", "doubling": doubling})


CONTEXT_SCENES = [("settings", "a global settings dict", "debug", True, False),
                  ("environment", "environment-style variables", "LOG_LEVEL", "debug", "info"),
                  ("feature_flags", "feature flags", "new_checkout", True, False),
                  ("limits", "rate limits", "max_requests", 1000, 100),
                  ("locale", "locale options", "language", "fr", "en")]


def _lesson_context_manager(rng: random.Random) -> Lesson:
    store, what, key, temp, orig = rng.choice(CONTEXT_SCENES)
    fn = rng.choice(["override", "temporarily", "patched", "scoped_setting"])
    style = rng.choice(["generator", "class"])
    store_name = store.upper()
    if style == "generator":
        body = f'''@contextmanager
def {fn}(key: str, value: object) -> Iterator[None]:
    """Set {store_name}[key] = value inside the `with` block; restore the old state afterwards, even on errors."""
    missing = key not in {store_name}
    old = {store_name}.get(key)
    {store_name}[key] = value
    try:
        yield
    finally:
        if missing:
            del {store_name}[key]
        else:
            {store_name}[key] = old'''
        head = "from collections.abc import Iterator\nfrom contextlib import contextmanager"
        how = ("`@contextmanager` turns a generator into a context manager: the code before `yield` runs on entry, "
               "the code after it on exit. Putting the restore in `finally` is what makes it run even when the "
               "block raises.")
    else:
        body = f'''class {"".join(p.capitalize() for p in fn.split("_"))}:
    """Set {store_name}[key] = value inside the `with` block; restore the old state afterwards, even on errors."""

    def __init__(self, key: str, value: object) -> None:
        self.key, self.value = key, value
        self.missing = False
        self.old: object = None

    def __enter__(self) -> None:
        self.missing = self.key not in {store_name}
        self.old = {store_name}.get(self.key)
        {store_name}[self.key] = self.value

    def __exit__(self, *exc_info: object) -> bool:
        if self.missing:
            del {store_name}[self.key]
        else:
            {store_name}[self.key] = self.old
        return False  # never swallow the exception'''
        head = ""
        how = ("A context manager is any object with `__enter__` and `__exit__`. `__exit__` runs however the block "
               "ends; it receives the exception (if any), and returning False lets the exception propagate.")
        fn = "".join(p.capitalize() for p in fn.split("_"))
    module = f'''"""Temporarily overriding {what} with a context manager, restored even when the block fails."""

{head + chr(10) + chr(10) if head else ""}{store_name}: dict[str, object] = {{{key!r}: {orig!r}}}


{body}
'''
    tests = _tests(
        [fn, store_name],
        f"def test_value_inside_and_restored_after():\n    with {fn}({key!r}, {temp!r}):\n"
        f"        assert {store_name}[{key!r}] {_op(temp)} {temp!r}\n    assert {store_name}[{key!r}] {_op(orig)} {orig!r}\n",
        f"def test_restored_after_an_error():\n    with pytest.raises(RuntimeError):\n"
        f"        with {fn}({key!r}, {temp!r}):\n            raise RuntimeError('boom')\n"
        f"    assert {store_name}[{key!r}] {_op(orig)} {orig!r}\n",
        f"def test_new_key_is_removed_again():\n    with {fn}('brand_new', 1):\n        assert {store_name}['brand_new'] == 1\n"
        f"    assert 'brand_new' not in {store_name}\n",
        f"def test_nesting():\n    with {fn}({key!r}, 'outer'):\n        with {fn}({key!r}, 'inner'):\n"
        f"            assert {store_name}[{key!r}] == 'inner'\n        assert {store_name}[{key!r}] == 'outer'\n")
    explanation = _explain(
        rng,
        [f"Tests and scripts often need to change {what} for a moment and put them back afterwards. Doing it by "
         "hand fails exactly when it matters: if the code in between raises, the restore line never runs.",
         f"The `with` statement guarantees clean-up. Here we use it to override {what} for the duration of a "
         "block.",
         f"`{fn}` changes one entry of {what} inside a `with` block and always restores it."],
        [how],
        ["Two cases need restoring differently: a key that existed gets its old value back, a key that did not "
         "exist is deleted again. The tests cover both, plus nesting and an exception inside the block.",
         "Nesting works naturally: each manager remembers the value it replaced, and they unwind in reverse "
         "order."])
    exercises = _some(rng, [
        "Accept several keys at once as keyword arguments.",
        f"Rewrite it in the other style ({'a class with __enter__/__exit__' if style == 'generator' else '@contextmanager'}).",
        "Make it usable as a decorator too (see `contextlib.ContextDecorator`).",
        "Write a context manager that measures how long its block takes, with an injectable clock.",
    ])
    return Lesson(f"context managers: temporarily overriding {what}", explanation, module, tests, exercises,
                  {"template": "context_manager", "style": style})


def _lesson_pascal(rng: random.Random) -> Lesson:
    story = rng.choice(["counting paths on a city grid", "the odds of coin-flip outcomes", "choosing pizza toppings",
                        "binomial expansions in an algebra worksheet", "ways to pick a team from a squad",
                        "lottery odds", "handshakes and committees at a meetup", "the pins of a Galton board",
                        "choosing which tests to run in a sample", "dealing poker hands"])
    row_fn = rng.choice(["pascal_row", "binomial_row", "triangle_row"])
    tri_fn = rng.choice(["pascal_triangle", "triangle", "first_rows"])
    choose_fn = rng.choice(["choose", "n_choose_k", "combinations_count"])
    style = rng.choice(["pairwise", "multiplicative"])
    n = rng.randint(5, 12)
    rows = [[math.comb(r, k) for k in range(r + 1)] for r in range(n + 1)]
    if style == "pairwise":
        row_src = f'''def {row_fn}(n: int) -> list[int]:
    """Row n of Pascal's triangle (row 0 is [1]): each entry is the sum of the two above it."""
    if n < 0:
        raise ValueError("n must be non-negative")
    row = [1]
    for _ in range(n):
        row = [left + right for left, right in zip([0, *row], [*row, 0])]
    return row'''
        how = ("Each row comes from the previous one: pad it with a 0 on each side and add neighbours pairwise. "
               "`zip([0, *row], [*row, 0])` lines the neighbours up.")
    else:
        row_src = f'''def {row_fn}(n: int) -> list[int]:
    """Row n of Pascal's triangle (row 0 is [1]), computed directly: C(n, k+1) = C(n, k) * (n - k) // (k + 1)."""
    if n < 0:
        raise ValueError("n must be non-negative")
    row = [1]
    for k in range(n):
        row.append(row[-1] * (n - k) // (k + 1))
    return row'''
        how = ("Each entry follows from the one before it by one multiplication and one division, "
               "C(n, k+1) = C(n, k) * (n - k) / (k + 1); the division is always exact, so integer `//` is safe.")
    module = f'''"""Pascal's triangle and binomial coefficients, for {story}."""


{row_src}


def {tri_fn}(count: int) -> list[list[int]]:
    """The first `count` rows."""
    return [{row_fn}(n) for n in range(count)]


def {choose_fn}(n: int, k: int) -> int:
    """How many ways to choose k items from n: entry k of row n (0 when k is out of range)."""
    if not 0 <= k <= n:
        return 0
    return {row_fn}(n)[k]
'''
    tests = _tests(
        [row_fn, tri_fn, choose_fn],
        f"def test_{row_fn}():\n    assert {row_fn}({n}) == {rows[n]!r}\n",
        f"def test_{tri_fn}():\n    assert {tri_fn}(5) == {rows[:5]!r}\n",
        f"def test_{choose_fn}_matches_math_comb():\n    for n in range(15):\n        for k in range(-1, n + 2):\n"
        f"            assert {choose_fn}(n, k) == (math.comb(n, k) if k >= 0 else 0)\n",
        f"def test_rows_sum_to_powers_of_two():\n    assert sum({row_fn}({n})) == 2 ** {n}\n",
        _raises(f"{row_fn}_negative", f"{row_fn}(-1)"),
        imports=("import math",))
    explanation = _explain(
        rng,
        [f"Pascal's triangle lists the binomial coefficients: entry k of row n is the number of ways to choose k "
         f"things from n. That is what {story} comes down to.",
         f"Every number in Pascal's triangle is the sum of the two above it. That one rule generates the "
         f"binomial coefficients, which we need for {story}.",
         f"`{row_fn}`, `{tri_fn}` and `{choose_fn}` compute Pascal's triangle, with an eye on {story}."],
        [how],
        ["The standard library has `math.comb`, which the tests use as the reference; computing the row yourself "
         "shows where the numbers come from.",
         "A neat property makes a good test: row n sums to 2**n, since every subset of n items is counted once. "
         "Out-of-range k gives 0 rather than an error, matching `math.comb` for k > n."])
    exercises = _some(rng, [
        "Print the triangle centred, with each number padded to the same width.",
        "Show that the odd entries of the first 32 rows draw a Sierpinski triangle.",
        "Compute a row modulo a prime without building huge integers.",
        f"Count the monotone paths across a grid with {choose_fn} and check by brute force on a small grid.",
    ])
    return Lesson(f"Pascal's triangle: {story}", explanation, module, tests, exercises,
                  {"template": "pascal", "style": style})


RECEIPT_SCENES = [("a café", ["latte", "croissant", "muffin", "tea", "bagel", "juice"], "€"),
                  ("a hardware store", ["hammer", "screws", "tape", "gloves", "drill bits", "sandpaper"], "$"),
                  ("a bookshop", ["novel", "atlas", "cookbook", "comic", "diary", "map"], "£"),
                  ("a farmers' market", ["apples", "honey", "eggs", "cheese", "bread", "jam"], "€"),
                  ("a cinema kiosk", ["popcorn", "nachos", "soda", "ticket", "candy", "water"], "$")]


def _lesson_receipt(rng: random.Random) -> Lesson:
    shop, pool, cur = rng.choice(RECEIPT_SCENES)
    fn = rng.choice(["format_receipt", "receipt_lines", "print_receipt"])
    line_fn = rng.choice(["format_line", "receipt_line", "item_line"])
    width = rng.randint(28, 36)
    tax = rng.choice([0, 5, 7, 10, 20])
    items = [(name, rng.randint(1, 4), rng.randint(50, 2500)) for name in rng.sample(pool, rng.randint(2, 4))]

    def money(cents: int) -> str:
        return f"{cur}{cents // 100:,}.{cents % 100:02d}"

    def line(name: str, qty: int, cents: int) -> str:
        left = f"{qty} x {name}"
        right = money(qty * cents)
        return f"{left:<{width - len(right)}}{right}"

    subtotal = sum(q * c for _, q, c in items)
    tax_cents = (subtotal * tax + 50) // 100
    expected = [line(n, q, c) for n, q, c in items] + ["-" * width]
    expected.append(f"{'Subtotal':<{width - len(money(subtotal))}}{money(subtotal)}")
    if tax:
        expected.append(f"{f'Tax {tax}%':<{width - len(money(tax_cents))}}{money(tax_cents)}")
    expected.append(f"{'TOTAL':<{width - len(money(subtotal + tax_cents))}}{money(subtotal + tax_cents)}")
    module = f'''"""Receipts for {shop}: money as integer cents, layout with f-string format specs."""

WIDTH = {width}
CURRENCY = {cur!r}
TAX_PERCENT = {tax}


def money(cents: int) -> str:
    """{cur}1,234.50 style: thousands separators, always two decimals, no floats involved."""
    return f"{{CURRENCY}}{{cents // 100:,}}.{{cents % 100:02d}}"


def {line_fn}(label: str, amount: str) -> str:
    """`label` left-aligned and `amount` right-aligned so that together they fill WIDTH characters."""
    return f"{{label:<{{WIDTH - len(amount)}}}}{{amount}}"


def {fn}(items: list[tuple[str, int, int]]) -> list[str]:
    """One line per (name, quantity, unit price in cents), a rule, then subtotal, tax (if any) and total."""
    lines = [{line_fn}(f"{{qty}} x {{name}}", money(qty * cents)) for name, qty, cents in items]
    subtotal = sum(qty * cents for _, qty, cents in items)
    tax = (subtotal * TAX_PERCENT + 50) // 100  # rounded half up, in whole cents
    lines.append("-" * WIDTH)
    lines.append({line_fn}("Subtotal", money(subtotal)))
    if TAX_PERCENT:
        lines.append({line_fn}(f"Tax {{TAX_PERCENT}}%", money(tax)))
    lines.append({line_fn}("TOTAL", money(subtotal + tax)))
    return lines
'''
    tests = _tests(
        ["money", fn],
        f"ITEMS = {items!r}\n",
        f"def test_{fn}():\n    assert {fn}(ITEMS) == {expected!r}\n",
        f"def test_every_line_has_the_same_width():\n    assert {{len(line) for line in {fn}(ITEMS)}} == {{{width}}}\n",
        _checks(rng, "money", [("5", money(5)), ("123456", money(123456)), ("100", money(100))], "money_formats"))
    explanation = _explain(
        rng,
        [f"A receipt for {shop} needs two things done right: money arithmetic and alignment. Money is kept as "
         "integer cents, so 0.1 + 0.2 problems never appear, and f-string format specs do the layout.",
         "Format specifications are a small language inside f-strings: `<` and `>` align, a number sets the "
         f"width, `,` adds thousands separators, `02d` pads with zeros. A receipt for {shop} uses all of them.",
         f"`{fn}` prints a receipt for {shop}: items, a rule, subtotal, tax and total, all lined up."],
        [f"`{line_fn}` computes the padding from the amount's length: the label is left-aligned in a field of "
         "`WIDTH - len(amount)` characters, and a nested replacement field `{WIDTH - len(amount)}` puts that "
         "number inside the format spec.",
         "`money` splits cents with `//` and `%`: `cents // 100` gets a `,` separator, and `cents % 100:02d` "
         "always shows two digits, so 5 cents prints as .05, not .5."],
        [("Tax is rounded half up in whole cents with integer arithmetic, `(subtotal * rate + 50) // 100`; with "
          "floats, the same rounding would depend on binary representation.") if tax else
         "This shop charges no tax, so the tax line is left out entirely rather than printing a zero.",
         "A test checks that every line has exactly the same width, which is the property a receipt printer "
         "actually cares about."])
    exercises = _some(rng, [
        "Truncate item names that are too long, ending them with '…'.",
        "Add a discount line for orders above a threshold.",
        "Use `decimal.Decimal` instead of cents and compare the code.",
        "Centre a shop header above the items with `str.center`.",
    ])
    return Lesson(f"formatting a receipt for {shop} with f-strings", explanation, module, tests, exercises,
                  {"template": "receipt", "tax": tax})


INDEX_SCENES = [("recipes", ["tomato soup with basil", "basil pesto pasta", "tomato and mozzarella salad",
                             "garlic bread", "pasta with garlic and chilli", "chilli con carne"]),
                ("songs", ["love me tender", "tender is the night", "night fever", "fever dream",
                           "dream a little dream", "little wing"]),
                ("tickets", ["login page crashes", "crash on save", "save button missing", "missing login email",
                             "email not sent", "page loads slowly"]),
                ("papers", ["neural networks for vision", "vision transformers at scale", "scaling laws for networks",
                            "laws of robotics", "robotics with vision", "transformers for text"])]


def _lesson_inverted_index(rng: random.Random) -> Lesson:
    kind, titles = rng.choice(INDEX_SCENES)
    docs = rng.sample(titles, 5)
    build_fn = rng.choice(["build_index", "index_documents", "make_index"])
    search_fn = rng.choice(["search", "find_all", "lookup"])
    mode = rng.choice(["all", "any"])
    index: dict[str, set[int]] = {}
    for i, t in enumerate(docs):
        for w in t.split():
            index.setdefault(w, set()).add(i)
    words = sorted(index)
    q1 = " ".join(rng.sample(words, 2))
    q2 = rng.choice(words)

    def search(q: str) -> list[int]:
        sets = [index.get(w, set()) for w in q.lower().split()]
        if not sets:
            return []
        out = set.intersection(*sets) if mode == "all" else set.union(*sets)
        return sorted(out)

    combine = ("matches[0].intersection(*matches[1:])" if mode == "all" else "matches[0].union(*matches[1:])")
    module = f'''"""An inverted index over {kind}: word -> the documents containing it, then {"AND" if mode == "all" else "OR"} queries."""

from collections import defaultdict


def {build_fn}(documents: list[str]) -> dict[str, set[int]]:
    """Map each lowercase word to the positions of the documents that contain it."""
    index: defaultdict[str, set[int]] = defaultdict(set)
    for position, text in enumerate(documents):
        for word in text.lower().split():
            index[word].add(position)
    return dict(index)


def {search_fn}(index: dict[str, set[int]], query: str) -> list[int]:
    """Positions of the documents containing {"every" if mode == "all" else "at least one"} word of `query`, ascending."""
    matches = [index.get(word, set()) for word in query.lower().split()]
    if not matches:
        return []
    return sorted({combine})
'''
    tests = _tests(
        [build_fn, search_fn],
        f"DOCS = {docs!r}\n\n\ndef index():\n    return {build_fn}(DOCS)\n",
        _checks(rng, search_fn, [(f"index(), {q!r}", search(q)) for q in (q1, q2, "zebra", "")], f"{search_fn}_queries"),
        f"def test_{build_fn}_covers_every_word():\n    idx = index()\n    for position, text in enumerate(DOCS):\n"
        "        for word in text.split():\n            assert position in idx[word]\n",
        f"def test_case_insensitive():\n    assert {search_fn}(index(), {q2.upper()!r}) == {search_fn}(index(), {q2!r})\n")
    explanation = _explain(
        rng,
        [f"Searching {kind} by scanning every text for every query is slow once there are many. Search engines "
         "turn it around: build, once, a map from each word to the documents containing it.",
         f"An inverted index is the data structure behind every search box. Here it is in a dozen lines, for "
         f"{kind}.",
         f"`{build_fn}` turns a list of {kind} into a word -> documents map; `{search_fn}` answers queries from it."],
        [f"Queries become set operations: the documents containing {'all the words are the intersection' if mode == 'all' else 'any of the words are the union'} "
         f"of the words' sets, `{combine}`. A word that appears nowhere contributes an empty set"
         + (", so an AND query with an unknown word finds nothing." if mode == "all" else " and changes nothing."),
         "`defaultdict(set)` creates the set for a word the first time it is seen; converting to a plain dict at "
         "the end means later lookups of unknown words do not quietly insert empty entries."],
        ["Documents are identified by their position in the input list; the results are sorted so tests can "
         "compare them with a literal.",
         "Both building and querying lowercase the text, so the search is case-insensitive."])
    exercises = _some(rng, [
        "Support both AND and OR queries with a `mode` parameter.",
        "Rank results by how many query words each document contains.",
        "Ignore punctuation and a short list of stop words when indexing.",
        "Store word positions too, and support phrase queries in quotes.",
    ])
    return Lesson(f"an inverted index for searching {kind}", explanation, module, tests, exercises,
                  {"template": "inverted_index", "mode": mode})


def _spiral(m: list[list[int]]) -> list[int]:
    out: list[int] = []
    grid = [row[:] for row in m]
    while grid:
        out += grid.pop(0)
        grid = [list(r) for r in zip(*grid, strict=True)][::-1]
    return out


def _lesson_spiral(rng: random.Random) -> Lesson:
    story = rng.choice(["a snail crawling around a garden bed", "a robot vacuum cleaning a room edge-first",
                        "reading a spiral-bound puzzle", "a drone surveying a field from the outside in",
                        "a museum tour that circles inwards"])
    fn = rng.choice(["spiral_order", "spiral", "walk_spiral", "clockwise_spiral"])
    style = rng.choice(["rotate", "bounds"])
    rows, cols = rng.randint(2, 5), rng.randint(2, 5)
    m = [[rng.randint(1, 99) for _ in range(cols)] for _ in range(rows)]
    if style == "rotate":
        body = '''    remaining = [list(row) for row in grid]
    order: list[int] = []
    while remaining:
        order.extend(remaining.pop(0))
        remaining = [list(column) for column in zip(*remaining)][::-1]
    return order'''
        how = ("Peel off the top row, then rotate what is left a quarter turn anticlockwise (transpose and reverse "
               "the rows) so that the next edge to walk becomes the new top row. Repeat until nothing is left.")
    else:
        body = '''    order: list[int] = []
    if not grid:
        return order
    top, bottom, left, right = 0, len(grid) - 1, 0, len(grid[0]) - 1
    while top <= bottom and left <= right:
        order.extend(grid[top][c] for c in range(left, right + 1))
        order.extend(grid[r][right] for r in range(top + 1, bottom + 1))
        if top < bottom:
            order.extend(grid[bottom][c] for c in range(right - 1, left - 1, -1))
        if left < right:
            order.extend(grid[r][left] for r in range(bottom - 1, top, -1))
        top, bottom, left, right = top + 1, bottom - 1, left + 1, right - 1
    return order'''
        how = ("Four boundaries (top, bottom, left, right) shrink by one after each lap. The two `if`s stop a "
               "single remaining row or column from being walked twice, the classic off-by-one trap here.")
    module = f'''"""Walking a grid in a clockwise spiral, like {story}."""


def {fn}(grid: list[list[int]]) -> list[int]:
    """Every cell once: along the top row, down the right side, back along the bottom, up the left, then inwards."""
{body}
'''
    tests = _tests(
        [fn],
        f"GRID = {m!r}\n",
        f"def test_{fn}():\n    assert {fn}(GRID) == {_spiral(m)!r}\n",
        f"def test_visits_every_cell_once():\n    assert sorted({fn}(GRID)) == sorted(x for row in GRID for x in row)\n",
        _checks(rng, fn, [("[[1, 2, 3]]", [1, 2, 3]), ("[[1], [2], [3]]", [1, 2, 3]), ("[]", []),
                          ("[[1, 2], [4, 3]]", [1, 2, 3, 4])], f"{fn}_shapes"))
    explanation = _explain(
        rng,
        [f"Think of {story}: go along the outer edge clockwise, then continue with the next ring inside, until "
         "every cell has been visited once.",
         "Spiral order is a favourite exercise because it is easy to describe and easy to get subtly wrong on "
         "single rows and columns.",
         f"`{fn}` lists the cells of a grid in clockwise spiral order, as in {story}."],
        [how],
        ["Tests cover the shapes that break naive solutions: one row, one column, an empty grid and a 2x2, plus "
         "a property check that every cell appears exactly once.",
         "The input grid is never modified; the function works on a copy or only reads from it."])
    exercises = _some(rng, [
        "Produce the anticlockwise spiral instead.",
        "Do the reverse: fill an n x m grid with 1, 2, 3, ... in spiral order.",
        "Return the spiral as a generator so huge grids need no output list.",
        "Walk the spiral from the centre outwards for square grids of odd size.",
    ])
    return Lesson(f"spiral order of a grid: {story}", explanation, module, tests, exercises,
                  {"template": "spiral", "style": style})


TEMPLATES: dict[str, Callable[[random.Random], Lesson]] = {
    "clamp": _lesson_clamp, "inventory": _lesson_inventory, "windows": _lesson_windows, "parse_kv": _lesson_parse_kv,
    "duration": _lesson_duration, "binary_search": _lesson_binary_search, "word_counts": _lesson_word_counts,
    "brackets": _lesson_brackets, "caesar": _lesson_caesar, "rle": _lesson_rle, "fizzbuzz": _lesson_fizzbuzz,
    "recurrence": _lesson_recurrence, "palindrome": _lesson_palindrome, "anagrams": _lesson_anagrams,
    "intervals": _lesson_intervals, "matrix": _lesson_matrix, "rpn": _lesson_rpn, "queue": _lesson_queue,
    "bfs": _lesson_bfs, "toposort": _lesson_toposort, "dates": _lesson_dates, "validation": _lesson_validation,
    "state_machine": _lesson_state_machine, "text_table": _lesson_text_table, "sorting": _lesson_sorting,
    "sort_keys": _lesson_sort_keys, "flatten": _lesson_flatten, "two_sum": _lesson_two_sum,
    "set_ops": _lesson_set_ops, "roman": _lesson_roman, "bases": _lesson_bases, "csv_totals": _lesson_csv_totals,
    "heap": _lesson_heap, "lru": _lesson_lru, "primes": _lesson_primes, "stats": _lesson_stats,
    "slugify": _lesson_slugify, "account": _lesson_account, "linked_list": _lesson_linked_list,
    "text_wrap": _lesson_text_wrap, "deep_merge": _lesson_deep_merge, "histogram": _lesson_histogram,
    "gcd": _lesson_gcd, "life": _lesson_life, "decorators": _lesson_decorators,
    "case_conversion": _lesson_case_conversion, "edit_distance": _lesson_edit_distance,
    "coin_change": _lesson_coin_change, "bst": _lesson_bst, "semver": _lesson_semver,
    "log_parsing": _lesson_log_parsing, "iterator_class": _lesson_iterator_class,
    "match_commands": _lesson_match_commands, "luhn": _lesson_luhn, "context_manager": _lesson_context_manager,
    "pascal": _lesson_pascal, "receipt": _lesson_receipt, "inverted_index": _lesson_inverted_index,
    "spiral": _lesson_spiral,
}
