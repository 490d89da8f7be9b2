"""Lesson kinds, part 3 of the library (generators/textbook_lessons/__init__.py)."""

import random
import re
import unicodedata
from collections import Counter, OrderedDict
from typing import Any

from sandbox.functions.numbers import convert_base, to_roman

from .base import Lesson, _checks, _raises, _tests, assemble, fill, lesson_scene, lesson_table, lesson_text

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
    _txt = lesson_text("sort_keys")
    cls, fields, (labels, groups, span), what = rng.choice(RECORD_SCENES)
    (f1, _), (f2, _), (f3, _) = fields
    rows = [(lab, rng.choice(groups), rng.randint(*span)) for lab in rng.sample(labels, 5)]
    fn = rng.choice([f"rank_{cls.lower()}s", f"sort_{cls.lower()}s", "ordered"])
    desc = rng.random() < 0.5
    keyer = rng.choice(["lambda", "attrgetter"]) if not desc else "lambda"
    if keyer == "attrgetter":
        key_src = f"attrgetter({f2!r}, {f3!r}, {f1!r})"
        head = _txt["head"]
        rule = _txt["rule"].format(f2=f2, f3=f3, f1=f1)
        expected = sorted(rows, key=lambda r: (r[1], r[2], r[0]))
    elif desc:
        key_src = _txt["key_src"].format(f2=f2, f3=f3, f1=f1)
        head = _txt["head_2"]
        rule = _txt["rule_2"].format(f2=f2, f3=f3, f1=f1)
        expected = sorted(rows, key=lambda r: (r[1], -r[2], r[0]))
    else:
        key_src = _txt["key_src_2"].format(f2=f2, f3=f3, f1=f1)
        head = _txt["head_3"]
        rule = _txt["rule_3"].format(f2=f2, f3=f3, f1=f1)
        expected = sorted(rows, key=lambda r: (r[1], r[2], r[0]))
    best_fn = rng.choice(["best_per_group", f"top_by_{f2}", "leaders"])
    best: dict[str, tuple] = {}
    for r in rows:
        if r[1] not in best or (-r[2], r[0]) < (-best[r[1]][2], best[r[1]][0]):
            best[r[1]] = r
    best_expected = {g: r[0] for g, r in sorted(best.items())}
    module = _txt["module"].format(what=what, head=head, cls=cls, f1=f1, f2=f2, f3=f3, fn=fn, rule=rule,
                                   key_src=key_src, best_fn=best_fn)
    tests = _tests(
        [cls, fn, best_fn],
        _txt["test"].format(rows=rows, cls=cls),
        _txt["test_2"].format(fn=fn, f1=f1, e1=[r[0] for r in expected]),
        _txt["test_3"].format(best_fn=best_fn, best_expected=best_expected),
        _txt["test_4"].format(fn=fn))
    return assemble(rng, "sort_keys", f"sorting {what} by several keys", module, tests, [
        fill(_txt["explain_1"], what=what, rule=rule, cls=cls),
        [(_txt["explain_4"].format(f2=f2, f3=f3, f1=f1)) if keyer == "attrgetter" else
         (_txt["explain_5"].format(f3=f3)) if desc else
         _txt["explain_6"],
         _txt["explain_7"].format(best_fn=best_fn)],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"], f1=f1, f2=f2), record=cls, keyer=keyer, desc=desc)


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


def _lesson_flatten(rng: random.Random) -> Lesson:
    _txt, (what, unit) = lesson_scene(rng, "flatten", "FLATTEN_SCENES")
    data = _nested(rng, 3)
    while _depth(data) < 3:
        data = [data, _nested(rng, 2)]
    style = rng.choice(["recursive_list", "generator", "stack"])
    fn = rng.choice(["flatten", "leaves", f"all_{unit}"])
    depth_fn = rng.choice(["depth", "nesting_level", "max_depth"])
    total_fn = rng.choice([f"total_{unit}", "deep_sum"])
    Nested = rng.choice(["Nested", "Tree", "NestedList"])
    flat_src, how = {"recursive_list": (_txt["flat_src"], _txt["how"]),
                     "generator": (_txt["flat_src_2"], _txt["how_2"]),
                     "stack": (_txt["flat_src_3"], _txt["how_3"])}[style]
    flat_src = flat_src.format(fn=fn, Nested=Nested)
    generator = style == "generator"  # the one style whose function yields: it needs the Iterator import and list()
    head, as_list, close = (_txt["head"], "list(", ")") if generator else ("", "", "")
    module = _txt["module"].format(what=what, head=head, Nested=Nested, flat_src=flat_src, depth_fn=depth_fn,
                                   total_fn=total_fn, fn=fn).replace(_txt["module_2"] + Nested, _txt["module_3"] + Nested)
    tests = _tests(
        [Nested, fn, depth_fn, total_fn],
        _txt["test"].format(Nested=Nested, data=data),
        _txt["test_2"].format(fn=fn, as_list=as_list, close=close, e1=_flat(data)),
        _checks(rng, depth_fn, [("DATA", _depth(data)), ("[]", 1), ("[[[]]]", 3)], f"{depth_fn}_examples"),
        _txt["test_3"].format(total_fn=total_fn, e1=sum(_flat(data))),
        _txt["test_4"].format(as_list=as_list, fn=fn, close=close))
    return assemble(rng, "flatten", _txt["topic"].format(what=what), module, tests, [
        fill(_txt["explain_1"], what=what, fn=fn, depth_fn=depth_fn, total_fn=total_fn),
        [how],
        fill(_txt["explain_2"], depth_fn=depth_fn, Nested=Nested)],
        fill(_txt["exercise_1"], fn=fn), style=style)


def _lesson_two_sum(rng: random.Random) -> Lesson:
    _txt, (data_name, story, target_name) = lesson_scene(rng, "two_sum", "PAIR_SCENES")
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
    module = _txt["module"].format(story=story, fn=fn, data_name=data_name, target_name=target_name, all_fn=all_fn)
    tests = _tests(
        [fn, all_fn],
        _txt["test"].format(e1=data_name.upper(), data=data),
        _txt["test_2"].format(fn=fn, e1=data_name.upper(), target=target, expected=expected),
        _txt["test_3"].format(fn=fn, e1=data_name.upper()),
        _txt["test_4"].format(fn=fn),
        _txt["test_5"].format(all_fn=all_fn, e1=data_name.upper(), target=target, pairs=pairs))
    return assemble(rng, "two_sum", f"the two-sum problem: {story}", module, tests, [
        fill(_txt["explain_1"], story=story, data_name=data_name, e1=target_name.replace('_', ' '), fn=fn),
        fill(_txt["explain_2"], target_name=target_name),
        fill(_txt["explain_3"], all_fn=all_fn)],
        fill(_txt["exercise_1"]), scene=data_name)


def _lesson_set_ops(rng: random.Random) -> Lesson:
    _txt, (noun, what, pool) = lesson_scene(rng, "set_ops", "SET_SCENES")
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
    module = _txt["module"].format(what=what, fn=fn, a_name=a_name, b_name=b_name, noun=noun, e1=ops[0], e2=ops[1],
                                   e3=ops[2], jac=jac, e4=ops[3])
    tests = _tests(
        [fn, jac],
        _txt["test"].format(e1=a_name.upper(), a=a, e2=b_name.upper(), b=b),
        _txt["test_2"].format(fn=fn, e1=a_name.upper(), e2=b_name.upper(), report=report),
        _txt["test_3"].format(jac=jac, e1=a_name.upper(), e2=b_name.upper(), score=score),
        _txt["test_4"].format(jac=jac, e1=a_name.upper()),
        _txt["test_5"].format(fn=fn, a_name=a_name, b_name=b_name))
    return assemble(rng, "set_ops", _txt["topic"].format(what=what), module, tests, [
        fill(_txt["explain_1"], what=what, noun=noun, fn=fn, jac=jac),
        [(_txt["explain_4"]
          if operators else
          _txt["explain_5"]),
         _txt["explain_6"]],
        fill(_txt["explain_2"], jac=jac)],
        fill(_txt["exercise_1"]), scene=noun, operators=operators)


def _lesson_roman(rng: random.Random) -> Lesson:
    _txt = lesson_text("roman")
    context = rng.choice(fill(_txt["context_1"]))
    to_fn, from_fn = rng.choice([("to_roman", "from_roman"), ("roman", "arabic"), ("encode_roman", "decode_roman")])
    style = rng.choice(["greedy_table", "divmod"])
    numbers = rng.sample(range(1, 4000), 5) + [rng.choice([4, 9, 14, 40, 90, 400, 900, 1994, 3999])]
    parse = rng.choice(["lookahead", "right_to_left"])
    parse_body, parse_note = ((_txt["parse_body"], _txt["parse_note"]) if parse == "lookahead" else
                              (_txt["parse_body_2"], _txt["parse_note_2"]))
    table = rng.choice(["pairs", "digits"])
    if table == "pairs":
        table_src = _txt["table_src"]
    else:
        table_src = _txt["table_src_2"]
        style = "digits"
    to_body, how = {"digits": (_txt["to_body"], _txt["how"]), "greedy_table": (_txt["to_body_2"], _txt["how_2"]),
                    "divmod": (_txt["to_body_3"], _txt["how_3"])}[style]
    module = _txt["module"].format(context=context, table_src=table_src, to_fn=to_fn, to_body=to_body,
                                   from_fn=from_fn, parse_body=parse_body)
    cases = [(str(n), to_roman(n)) for n in numbers]
    back = rng.sample(numbers, 3)
    tests = _tests(
        [to_fn, from_fn],
        _checks(rng, to_fn, cases, f"{to_fn}_examples"),
        _checks(rng, from_fn, [(repr(to_roman(n)), n) for n in back], f"{from_fn}_examples"),
        _txt["test"].format(from_fn=from_fn, to_fn=to_fn),
        _txt["test_2"].format(from_fn=from_fn),
        _raises(f"{to_fn}_out_of_range", f"{to_fn}(0)"))
    return assemble(rng, "roman", f"Roman numerals for {context}", module, tests, [
        fill(_txt["explain_1"], context=context),
        [how],
        [parse_note + _txt["explain_4"],
         _txt["explain_5"].format(from_fn=from_fn, to_fn=to_fn)]],
        fill(_txt["exercise_1"]), style=style, parse=parse, table=table)


def _lesson_bases(rng: random.Random) -> Lesson:
    _txt, (base, base_name, use) = lesson_scene(rng, "bases", "BASE_SCENES")
    to_fn = rng.choice(["to_base", "encode_number", "in_base"])
    from_fn = rng.choice(["from_base", "decode_number", "parse_base"])
    digits_name = rng.choice(["DIGITS", "ALPHABET", "SYMBOLS"])
    recursive = rng.random() < 0.4
    nums = [rng.randint(0, 5000) for _ in range(4)] + [-rng.randint(1, 300)]
    if recursive:
        body = _txt["body"].format(to_fn=to_fn, digits_name=digits_name)
        how = _txt["how"]
    else:
        body = _txt["body_2"].format(digits_name=digits_name)
        how = _txt["how_2"]
    module = _txt["module"].format(use=use, digits_name=digits_name, to_fn=to_fn, body=body, from_fn=from_fn)
    tests = _tests(
        [to_fn, from_fn],
        _checks(rng, to_fn, [(f"{n}, {base}", convert_base(str(n), 10, base)) for n in nums], f"{to_fn}_{base_name.replace(' ', '_')}"),
        _txt["test"].format(base=base, from_fn=from_fn, to_fn=to_fn),
        _txt["test_2"].format(to_fn=to_fn, base=base),
        _raises("bad_base", f"{to_fn}(5, 1)"))
    return assemble(rng, "bases", f"number bases: {base_name} for {use}", module, tests, [
        fill(_txt["explain_1"], e1=base_name[0].upper() + base_name[1:], use=use, to_fn=to_fn, base=base,
             base_name=base_name),
        [how],
        fill(_txt["explain_2"], to_fn=to_fn)],
        fill(_txt["exercise_1"], from_fn=from_fn), base=base, recursive=recursive)


def _lesson_csv_totals(rng: random.Random) -> Lesson:
    _txt, (name, group, value, labels, what) = lesson_scene(rng, "csv_totals", "CSV_SCENES")
    rows = [(rng.choice(labels), rng.randint(1, 200)) for _ in range(rng.randint(5, 9))]
    delim = rng.choice([",", ";"])
    fn = rng.choice([f"totals_by_{group}", f"sum_{value}", "group_totals"])
    use_dictreader = rng.random() < 0.5
    csv_text = _txt["csv_text"].format(group=group, delim=delim, value=value) + "".join(_txt["csv_text_2"].format(g=g, delim=delim, v=v) for g, v in rows)
    totals: dict[str, int] = {}
    for g, v in rows:
        totals[g] = totals.get(g, 0) + v
    expected = dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))
    if use_dictreader:
        read = _txt["read"].format(delim=delim, value=value, group=group)
        how = _txt["how"].format(value=value)
    else:
        read = _txt["read_2"].format(delim=delim, group=group, value=value)
        how = _txt["how_2"]
    module = _txt["module"].format(group=group, what=what, fn=fn, value=value, read=read)
    tests = _tests(
        [fn],
        _txt["test"].format(csv_text=csv_text),
        _txt["test_2"].format(fn=fn, expected=expected),
        _txt["test_3"].format(fn=fn, e1=list(expected)),
        _txt["test_4"].format(fn=fn, group=group, delim=delim, value=value),
        _raises("bad_number", f"{fn}('{group}{delim}{value}\\nx{delim}lots\\n')", match="line 2"),
        _txt["test_5"].format(fn=fn, group=group, delim=delim, value=value))
    return assemble(rng, "csv_totals", f"CSV group totals: {what}", module, tests, [
        fill(_txt["explain_1"], e1=what[0].upper() + what[1:], value=value, group=group, delim=delim, what=what, fn=fn),
        [how,
         _txt["explain_4"]],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"], value=value, group=group), scene=name, dictreader=use_dictreader)


def _lesson_heap(rng: random.Random) -> Lesson:
    _txt, (noun, what, names) = lesson_scene(rng, "heap", "HEAP_SCENES")
    cls = rng.choice(["PriorityQueue", "Scheduler", "Triage", "Agenda"])
    add, pop = rng.choice([("push", "pop"), ("add", "next"), ("schedule", "take"), ("submit", "serve")])
    entries = [(n, rng.randint(1, 5)) for n in rng.sample(names, 5)]
    order = [n for n, _, _ in sorted(((n, p, i) for i, (n, p) in enumerate(entries)), key=lambda t: (t[1], t[2]))]
    k = rng.randint(2, 3)
    top_fn = rng.choice(["smallest_k", "most_urgent", "first_k"])
    module = _txt["module"].format(e1=what[0].upper() + what[1:], cls=cls, add=add, pop=pop, top_fn=top_fn)
    prio = dict(entries)
    top = [n for _, n in sorted((p, n) for n, p in prio.items())[:k]]
    tests = _tests(
        [cls, top_fn],
        _txt["test"].format(entries=entries),
        _txt["test_2"].format(pop=pop, cls=cls, add=add, order=order),
        _txt["test_3"].format(cls=cls, add=add, pop=pop),
        _txt["test_4"].format(cls=cls, pop=pop),
        _txt["test_5"].format(top_fn=top_fn, k=k, top=top))
    return assemble(rng, "heap", _txt["topic"].format(what=what), module, tests, [
        fill(_txt["explain_1"], what=what, e1=noun[:-1], cls=cls),
        fill(_txt["explain_2"]),
        fill(_txt["explain_3"], top_fn=top_fn)],
        fill(_txt["exercise_1"], e1=noun[:-1]), cls=cls)


def _lesson_lru(rng: random.Random) -> Lesson:
    _txt, (noun, what, key_name, key_pool) = lesson_scene(rng, "lru", "LRU_SCENES")
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
        _txt["script"].format(key=key, e1=key.upper()) if op == "put" else _txt["script_2"].format(key=key)
        for op, key in ops)
    module = _txt["module"].format(what=what, cls=cls, key_name=key_name)
    tests = _tests(
        [cls],
        _txt["test"].format(cls=cls, cap=cap, script=script, results=results, final=final),
        _txt["test_2"].format(cls=cls),
        _raises("zero_capacity", f"{cls}(0)"))
    return assemble(rng, "lru", f"an LRU cache for {what}", module, tests, [
        fill(_txt["explain_1"], what=what, cls=cls),
        fill(_txt["explain_2"]),
        fill(_txt["explain_3"])],
        fill(_txt["exercise_1"]), capacity=cap)


def _lesson_primes(rng: random.Random) -> Lesson:
    _txt = lesson_text("primes")
    context = rng.choice(fill(_txt["context_1"]))
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
    trial_src, trial_note = ((_txt["trial_src"], _txt["trial_note"]) if trial == "odd" else
                             (_txt["trial_src_2"], _txt["trial_note_2"]))
    trial_src = trial_src.format(test_fn=test_fn)
    if as_counts:
        factor_src = _txt["factor_src"].format(factor_fn=factor_fn)
        head = _txt["head"]
        f_expected: Any = dict(Counter(f))
        f_check = _txt["f_check"].format(factor_fn=factor_fn, comp=comp)
    else:
        factor_src = _txt["factor_src_2"].format(factor_fn=factor_fn)
        head = "import math"
        f_expected = f
        f_check = _txt["f_check_2"].format(factor_fn=factor_fn, comp=comp)
    module = _txt["module"].format(context=context, head=head, sieve_fn=sieve_fn, trial_src=trial_src,
                                   factor_src=factor_src)
    tests = _tests(
        [sieve_fn, test_fn, factor_fn],
        _txt["test"].format(sieve_fn=sieve_fn, limit=limit, primes=primes),
        _checks(rng, test_fn, [(str(p), all(p % d for d in range(2, int(p ** 0.5) + 1)) and p >= 2) for p in probes],
                f"{test_fn}_examples"),
        _txt["test_2"].format(test_fn=test_fn, sieve_fn=sieve_fn),
        _txt["test_3"].format(factor_fn=factor_fn, comp=comp, f_expected=f_expected, f_check=f_check),
        _raises(f"{factor_fn}_rejects_one", f"{factor_fn}(1)"),
        imports=("import math",))
    return assemble(rng, "primes", f"prime numbers ({context})", module, tests, [
        fill(_txt["explain_1"], context=context),
        [_txt["explain_4"],
         trial_note],
        [(_txt["explain_5"])
         if as_counts else
         (_txt["explain_6"]),
         _txt["explain_7"].format(test_fn=test_fn)]],
        [
            _txt["exercise"],
            _txt["exercise_2"],
            (_txt["exercise_3"] if as_counts else
             _txt["exercise_4"]),
            _txt["exercise_5"],
            _txt["exercise_6"],
        ], limit=limit, trial=trial, counts=as_counts)


def _lesson_stats(rng: random.Random) -> Lesson:
    _txt, (data_name, what) = lesson_scene(rng, "stats", "STATS_SCENES")
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
    module = _txt["module"].format(what=what, mean_fn=mean_fn, data_name=data_name, median_fn=median_fn,
                                   mode_fn=mode_fn, summary_fn=summary_fn)
    summary = {"count": n, "min": min(data), "max": max(data), mean_fn: round(mean_v, 2), median_fn: round(med, 2)}
    tests = _tests(
        [mean_fn, median_fn, mode_fn, summary_fn],
        _txt["test"].format(e1=data_name.upper(), data=data),
        _txt["test_2"].format(mean_fn=mean_fn, e1=data_name.upper(), median_fn=median_fn, mode_fn=mode_fn),
        _txt["test_3"].format(summary_fn=summary_fn, e1=data_name.upper(), summary=summary),
        _txt["test_4"].format(mode_fn=mode_fn, e1=data_name.upper(), modes=modes),
        _txt["test_5"].format(median_fn=median_fn),
        _raises(f"{mean_fn}_of_nothing", f"{mean_fn}([])"),
        imports=("import statistics",))
    return assemble(rng, "stats", f"summary statistics of {what}", module, tests, [
        fill(_txt["explain_1"], what=what, mean_fn=mean_fn, median_fn=median_fn, mode_fn=mode_fn,
             summary_fn=summary_fn),
        fill(_txt["explain_2"], mode_fn=mode_fn),
        fill(_txt["explain_3"])],
        fill(_txt["exercise_1"], e1=data_name.replace('_', ' ')), scene=data_name)


def _lesson_slugify(rng: random.Random) -> Lesson:
    _txt = lesson_text("slugify")
    fn = rng.choice(["slugify", "make_slug", "url_slug"])
    where = rng.choice(fill(_txt["where_1"]))
    sep = rng.choice(["-", "_"])
    max_len = rng.choice([None, 30, 40])
    titles = rng.sample(lesson_table("slugify", "SLUG_TITLES"), 4)

    def slug(t: str) -> str:
        ascii_text = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode("ascii")
        words = re.findall(r"[a-z0-9]+", ascii_text.lower())
        out = sep.join(words)
        if max_len is not None and len(out) > max_len:
            out = out[:max_len].rstrip(sep)
        return out

    trim = (_txt["trim"]
            if max_len else "")
    module = _txt["module"].format(where=where, sep=sep, e1=f'MAX_LENGTH = {max_len}' if max_len else '', fn=fn,
                                   trim=trim).replace(_txt["module_2"], _txt["module_3"]).replace(_txt["module_4"].format(sep=sep), _txt["module_5"].format(sep=sep))
    tests = _tests(
        [fn],
        _checks(rng, fn, [(repr(t), slug(t)) for t in titles], f"{fn}_titles"),
        _txt["test"].format(fn=fn, e1=titles[:2]),
        _txt["test_2"].format(fn=fn),
        (_txt["test_3"].format(fn=fn, max_len=max_len, sep=sep)) if max_len else "")
    return assemble(rng, "slugify", f"slugs for {where}", module, tests, [
        fill(_txt["explain_1"], sep=sep, where=where, fn=fn),
        fill(_txt["explain_2"]),
        [(_txt["explain_6"].format(max_len=max_len) if
          max_len else _txt["explain_7"]),
         _txt["explain_8"]]],
        fill(_txt["exercise_1"]), sep=sep, max_len=max_len)


def _lesson_account(rng: random.Random) -> Lesson:
    _txt, (cls, what, field, exc) = lesson_scene(rng, "account", "ACCOUNT_SCENES")
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
    module = _txt["module"].format(e1=what[0].upper() + what[1:], exc=exc, field=field)
    if ledger:
        body = _txt["body"].format(cls=cls, field=field, put=put, take=take, exc=exc)
    else:
        body = _txt["body_2"].format(cls=cls, field=field, put=put, take=take, exc=exc)
    module = module.replace("{body}", body)
    script = "".join(_txt["script"].format(op=op, amt=amt) for op, amt in ok_ops)
    tests = _tests(
        [cls, exc],
        _txt["test"].format(cls=cls, start=start, script=script, history=history),
        _txt["test_2"].format(take=take, cls=cls, exc=exc, field=field),
        _txt["test_3"].format(cls=cls, put=put, take=take),
        _txt["test_4"].format(exc=exc))
    fld = field.replace("_", " ")
    money = cls in ("BankAccount", "Wallet", "GiftCard", "Budget", "Allowance")
    return assemble(rng, "account", f"custom exceptions: {what}", module, tests, [
        fill(_txt["explain_1"], what=what, exc=exc, fld=fld, cls=cls),
        fill(_txt["explain_2"], exc=exc, fld=fld),
        [(_txt["explain_6"].format(fld=fld))
         if ledger else
         (_txt["explain_7"].format(take=take, fld=fld)),
         _txt["explain_8"]]],
        [
            (_txt["exercise"] if ledger else
             _txt["exercise_2"]),
            _txt["exercise_3"].format(cls=cls),
            (_txt["exercise_4"] if money else
             _txt["exercise_5"].format(put=put)),
            _txt["exercise_6"].format(fld=fld),
        ], cls=cls, ledger=ledger)
