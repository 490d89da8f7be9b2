"""The test file of a `ledger` lesson (kinds_6.py), composed like its module.

Where the export lines live ([tables.test_data] in prompts/lessons/ledger.toml: a constant, a text block, a pytest
fixture, good and bad lines apart) and which checks are made, in which form ([tables.check_*]: totals whole, sized,
group by group or parametrized; order; minimum; limit; malformed lines; empty input; extras such as reversed or
doubled input) are drawn on their own, and the checks come in a shuffled order. Every expected value is computed
here from the same lines by `reference` (kinds_6.py passes its own, written apart from the composed program), so
the sandbox checks the program against it.
"""

import random
from collections.abc import Callable
from typing import Any

from .base import _tests, lesson_table

Reference = Callable[[list[str], int], dict[str, int]]
Shaped = Callable[[dict[str, int], int | None], Any]


def _eligible(table: str, output: str, strict: bool, raises: bool, split: bool = False) -> dict[str, dict]:
    """The variants of one check that fit this lesson's result shape, parser and empty-input behaviour."""
    out = {}
    for key, variant in lesson_table("ledger", table).items():
        if output not in variant.get("outputs", [output]) or variant.get("strict", strict) != strict:
            continue
        if variant.get("raises", raises) != raises or (variant.get("lenient_only") and strict):
            continue
        if key == "same_as_clean" and not split:
            continue
        out[key] = variant
    return out


def compose_tests(rng: random.Random, names: dict[str, str], lines: list[str], minimum: int, *, output: str,
                  minimum_kind: str, strict: bool, raises_on_empty: bool, match: str | None, bad_lines: list[str],
                  good_lines: list[str], reference: Reference, shaped: Shaped) -> tuple[str, str]:
    """(the test file, the data style). `reference(lines, minimum)` totals the well-formed lines at or above
    `minimum`; `shaped(totals, limit)` turns totals into the function's result."""
    fn = names["fn"]
    styles = {k: v for k, v in lesson_table("ledger", "test_data").items() if not (v.get("lenient_only") and strict)}
    style = rng.choice(sorted(styles))
    data = styles[style]
    if style == "split":
        lines = [*good_lines, *bad_lines]
    fixture = rng.choice(styles["fixture"]["names"]).format(**names)
    ref = data["ref"].format(fixture=fixture)
    sig = data["param"].format(fixture=fixture)
    group_var = names["group_f"]
    listed = output in ("ranked", "nlargest")

    def call(arg: str, minimum: int | None = None, limit: int | None = None) -> str:
        args = [arg]
        if minimum_kind == "required":
            args.append(str(minimum or 0))
        elif minimum_kind == "optional" and minimum:
            args.append(f"minimum={minimum}")
        if limit is not None:
            args.append(f"limit={limit}")
        return f"{fn}({', '.join(args)})"

    def expect(src: list[str], minimum: int = 0, limit: int | None = None) -> Any:
        return shaped(reference(src, minimum), limit)

    totals = expect(lines)
    as_map = dict(totals) if listed else totals
    base = call(ref)
    fields: dict[str, Any] = {
        **names, "sig": sig, "sig_param": f"{sig}, " if sig else "", "call": base, "group_var": group_var,
        "mapped_call": f"dict({base})" if listed else base, "size": len(totals) if output != "top" else 0,
        "pairs": sorted(as_map.items()) if isinstance(as_map, dict) else [],
        "expected": totals, "total": sum(reference(lines, 0).values()),
    }
    chosen: list[tuple[str, dict, dict[str, Any]]] = []  # (table, variant, extra fields)

    def pick(table: str, per_key: dict[str, dict] | None = None, count: int = 1, **extra: Any) -> None:
        """`count` different variants of `table` that fit, with `extra` and their own entry of `per_key` as fields."""
        options = _eligible(table, output, strict, raises_on_empty, style == "split")
        options = {k: v for k, v in options.items() if match or "{match" not in v["code"]}
        for key in rng.sample(sorted(options), min(count, len(options))):
            chosen.append((table, options[key], {**extra, **(per_key or {}).get(key, {})}))

    total_table = _eligible("check_total", output, strict, raises_on_empty)
    key = rng.choice(sorted(total_table))
    each = "\n".join(total_table[key].get("each", "").format(key=k, value=v) for k, v in sorted(as_map.items())) \
        if isinstance(as_map, dict) else ""
    chosen.append(("check_total", total_table[key], {"lines_each": each}))
    if output in ("sorted", "ranked", "nlargest") and rng.random() < 0.5:
        order = list(as_map) if isinstance(as_map, dict) else []
        key_expr = f"{group_var} for {group_var}, _ in {base}" if listed else f"key for key in {base}"
        pick("check_order", key_expr=key_expr, order=order)
    if minimum_kind != "none":
        cases = []
        for threshold in sorted({0, minimum, *rng.sample(sorted({int(x.split(",")[2]) for x in good_lines}), 2)}):
            result = reference(lines, threshold)
            if result and len(set(result.values())) == len(result):
                cases.append((threshold, shaped(result, None)))
        min_call = f"{fn}({ref}, minimum)" if minimum_kind == "required" else f"{fn}({ref}, minimum=minimum)"
        above = max(int(x.split(",")[2]) for x in good_lines) + 1
        per_key = {"whole": {"expected": expect(lines, minimum)}, "above": {"expected": shaped({}, None)}}
        pick("check_minimum", per_key, rng.randint(1, 2), call_min=call(ref, minimum), min_call=min_call, cases=cases,
             call_above=call(ref, above))
    if listed:
        limit = rng.choice([1, 2])
        ranked = shaped(reference(lines, 0), len(as_map))
        pick("check_limit", call_limit=call(ref, limit=limit), limit=limit, expected=ranked[:limit],
             call_one=call(ref, limit=1), key=ranked[0][0], value=ranked[0][1])
    bad = rng.choice(bad_lines)
    at_start = rng.random() < 0.5
    call_bad = call(f"[{bad!r}, *{ref}]" if at_start else f"[*{ref}, {bad!r}]")
    number = 1 if at_start else len(lines) + 1
    if strict or rng.random() < 0.6:
        pick("check_bad", call_bad=call_bad, call_clean=call("GOOD"), match=(match or "").format(number=number, **names))
    pick("check_empty", call_empty=call("[]"), call_empty_var=call("lines"),
         expected=shaped({}, None) if not raises_on_empty else None)
    extras = _eligible("check_extra", output, strict, raises_on_empty)
    wanted = max(rng.randint(0, 2), 3 - len(chosen))  # three tests at least
    for key in rng.sample(sorted(extras), min(len(extras), wanted)):
        single_group = rng.choice(sorted(as_map)) if isinstance(as_map, dict) and as_map else names["example"]
        single = rng.choice([x for x in good_lines if x.split(",")[1].strip().lower() == single_group.lower()]
                            or good_lines)
        header = f"{names['name_f']},{names['group_f']},{names['amount_f']}"
        chosen.append(("check_extra", extras[key], {
            "call_reversed": call(rng.choice([f"{ref}[::-1]", f"list(reversed({ref}))"])),
            "call_doubled": call(f"{ref} * 2"), "call_single": call(repr([single])),
            "call_header": call(repr([header])),
            "expected": {"doubled": expect(lines * 2), "single": expect([single]),
                         "header_only": shaped({}, None)}.get(key)}))
    blocks, used = [], set()
    head, rest = chosen[0], chosen[1:]
    rng.shuffle(rest)
    for _table, variant, extra in [head, *rest]:
        name = rng.choice(variant["names"]).format(**{**fields, **extra}).replace(" ", "_")
        while name in used:
            name += "_too"
        used.add(name)
        blocks.append(variant["code"].format(**{**fields, **extra, "name": name}))
    data_code = data["code"].format(lines=lines, block="\n".join(lines), good=good_lines, bad=bad_lines,
                                     fixture=fixture, **names)
    return _tests([fn], data_code, *blocks), style
