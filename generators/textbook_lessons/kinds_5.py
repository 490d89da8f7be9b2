"""Lesson kinds, part 5 of the library (generators/textbook_lessons/__init__.py)."""

import math
import random

from .base import Lesson, _checks, _op, _raises, _tests, assemble, fill, lesson_rows, lesson_scene, lesson_text

ROTA_NAMES = lesson_rows("iterator_class", "ROTA_NAMES")


RANGE_NAMES = lesson_rows("iterator_class", "RANGE_NAMES")


def _lesson_iterator_class(rng: random.Random) -> Lesson:
    _txt = lesson_text("iterator_class")
    cls, what = rng.choice(lesson_rows("iterator_class", "ITER_SCENES"))
    start, stop, step = rng.randint(0, 10), rng.randint(20, 60), rng.randint(2, 7)
    if cls in ROTA_NAMES:
        seq_name, count_name, pool = ROTA_NAMES[cls]
        people = rng.sample(pool, rng.randint(2, 4))
        n = rng.randint(5, 9)
        expected: list = [people[i % len(people)] for i in range(n)]
        state_src = _txt["state_src"].format(seq_name=seq_name, count_name=count_name)
        next_src = _txt["next_src"].format(seq_name=seq_name)
        init_sig = f"{seq_name}: list[str], {count_name}: int"
        call = f"{cls}({people!r}, {n})"
        doc = _txt["doc"].format(seq_name=seq_name, count_name=count_name)
    elif cls == "Countdown":
        start, stop, step = rng.randint(8, 15), 0, 1
        expected = list(range(start, stop - 1, -step))
        state_src = _txt["state_src_2"]
        next_src = _txt["next_src_2"]
        init_sig = "start: int"
        call = f"{cls}({start})"
        doc = _txt["doc_2"]
    elif cls == "Fibonacci":
        expected, a, b = [], 0, 1
        while a <= stop:
            expected.append(a)
            a, b = b, a + b
        state_src = _txt["state_src_3"]
        next_src = _txt["next_src_3"]
        init_sig = "limit: int"
        call = f"{cls}({stop})"
        doc = _txt["doc_3"]
    else:
        lo, hi, by = RANGE_NAMES[cls]
        expected = list(range(start, stop, step))
        state_src = _txt["state_src_4"].format(by=by, hi=hi, lo=lo)
        next_src = _txt["next_src_4"].format(hi=hi, by=by)
        init_sig = f"{lo}: int, {hi}: int, {by}: int"
        call = f"{cls}({start}, {stop}, {step})"
        doc = _txt["doc_4"].format(lo=lo, hi=hi, by=by)
    item_t = "str" if cls in ROTA_NAMES else "int"
    module = _txt["module"].format(what=what, cls=cls, doc=doc, init_sig=init_sig, state_src=state_src, item_t=item_t,
                                   next_src=next_src)
    tests = _tests(
        [cls],
        _txt["test"].format(call=call, expected=expected),
        _txt["test_2"].format(call=call, expected=expected),
        _txt["test_3"].format(call=call, e1=expected[0], e2=expected[1] if len(expected) > 1 else 'done'),
        (_txt["test_4"].format(call=call, e1=sorted(set(expected)), e2=max(expected))) if item_t == "str" else
        (_txt["test_5"].format(call=call, e1=sum(expected), e2=max(expected))))
    return assemble(rng, "iterator_class", f"iterator classes: {what}", module, tests, [
        fill(_txt["explain_1"], what=what, cls=cls),
        fill(_txt["explain_2"]),
        fill(_txt["explain_3"])],
        fill(_txt["exercise_1"], cls=cls), cls=cls)


def _lesson_match_commands(rng: random.Random) -> Lesson:
    _txt, (what, verbs, args) = lesson_scene(rng, "match_commands", "COMMAND_SCENES")
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

    module = _txt["module"].format(what=what, fn=fn, v0=v0, v1=v1, v2=v2, v3=v3)
    tests = _tests(
        [fn],
        _checks(rng, fn, [(repr(t), interp(t)) for t in inputs], f"{fn}_inputs"),
        _txt["test"].format(fn=fn, v3=v3, e1=interp(v3)),
        _txt["test_2"].format(fn=fn, v0=v0))
    return assemble(rng, "match_commands", _txt["topic"].format(what=what), module, tests, [
        fill(_txt["explain_1"], what=what, fn=fn),
        fill(_txt["explain_2"], v0=v0),
        fill(_txt["explain_3"])],
        fill(_txt["exercise_1"]), scene=what)


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
    _txt = lesson_text("luhn")
    what, length = rng.choice([("credit card numbers", 16), ("IMEI numbers of phones", 15),
                               (_txt["text"], 9), ("loyalty card numbers", 12),
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
    dbl = (_txt["dbl"]
           if doubling == "subtract_nine" else
           _txt["dbl_2"])
    module = _txt["module"].format(what=what, dbl=dbl, check_fn=check_fn, digit_fn=digit_fn)
    tests = _tests(
        [check_fn, digit_fn],
        _checks(rng, check_fn, [(repr(v), True) for v in valid[:2]] + [(repr(grouped), True), (repr(broken), False),
                                                                        (repr(swapped), _luhn_ok(swapped)),
                                                                        ("'12a4'", False), ("''", False)],
                f"{check_fn}_numbers"),
        _checks(rng, digit_fn, [(repr(p), _luhn_digit(p)) for p in payloads], f"{digit_fn}_payloads"),
        _txt["test"].format(payloads=payloads, check_fn=check_fn, digit_fn=digit_fn),
        _raises(f"{digit_fn}_rejects_letters", f"{digit_fn}('12x')"))
    return assemble(rng, "luhn", f"the Luhn checksum for {what}", module, tests, [
        fill(_txt["explain_1"], what=what, check_fn=check_fn, digit_fn=digit_fn),
        [_txt["explain_4"]
         + (_txt["explain_5"] if doubling == "subtract_nine" else
            _txt["explain_6"])
         + _txt["explain_7"],
         _txt["explain_8"]],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"]), doubling=doubling)


def _lesson_context_manager(rng: random.Random) -> Lesson:
    _txt, (store, what, key, temp, orig) = lesson_scene(rng, "context_manager", "CONTEXT_SCENES")
    fn = rng.choice(["override", "temporarily", "patched", "scoped_setting"])
    style = rng.choice(["generator", "class"])
    store_name = store.upper()
    if style == "generator":
        body = _txt["body"].format(fn=fn, store_name=store_name)
        head = _txt["head"]
        how = _txt["how"]
    else:
        body = _txt["body_2"].format(e1=''.join(p.capitalize() for p in fn.split('_')), store_name=store_name)
        head = ""
        how = _txt["how_2"]
        fn = "".join(p.capitalize() for p in fn.split("_"))
    module = _txt["module"].format(what=what, e1=head + chr(10) + chr(10) if head else '', store_name=store_name,
                                   key=key, orig=orig, body=body)
    tests = _tests(
        [fn, store_name],
        _txt["test"].format(fn=fn, key=key, temp=temp, store_name=store_name, e1=_op(temp), e2=_op(orig), orig=orig),
        _txt["test_2"].format(fn=fn, key=key, temp=temp, store_name=store_name, e1=_op(orig), orig=orig),
        _txt["test_3"].format(fn=fn, store_name=store_name),
        _txt["test_4"].format(fn=fn, key=key, store_name=store_name))
    return assemble(rng, "context_manager", _txt["topic"].format(what=what), module, tests, [
        fill(_txt["explain_1"], what=what, fn=fn),
        [how],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"],
             e1='a class with __enter__/__exit__' if style == 'generator' else '@contextmanager'), style=style)


def _lesson_pascal(rng: random.Random) -> Lesson:
    _txt = lesson_text("pascal")
    story = rng.choice(fill(_txt["story_1"]))
    row_fn = rng.choice(["pascal_row", "binomial_row", "triangle_row"])
    tri_fn = rng.choice(["pascal_triangle", "triangle", "first_rows"])
    choose_fn = rng.choice(["choose", "n_choose_k", "combinations_count"])
    style = rng.choice(["pairwise", "multiplicative"])
    n = rng.randint(5, 12)
    rows = [[math.comb(r, k) for k in range(r + 1)] for r in range(n + 1)]
    row_src, how = (_txt["row_src"], _txt["how"]) if style == "pairwise" else (_txt["row_src_2"], _txt["how_2"])
    module = _txt["module"].format(story=story, row_src=row_src.format(row_fn=row_fn), tri_fn=tri_fn, row_fn=row_fn,
                                   choose_fn=choose_fn)
    tests = _tests(
        [row_fn, tri_fn, choose_fn],
        _txt["test"].format(row_fn=row_fn, n=n, e1=rows[n]),
        _txt["test_2"].format(tri_fn=tri_fn, e1=rows[:5]),
        _txt["test_3"].format(choose_fn=choose_fn),
        _txt["test_4"].format(row_fn=row_fn, n=n),
        _raises(f"{row_fn}_negative", f"{row_fn}(-1)"),
        imports=("import math",))
    return assemble(rng, "pascal", f"Pascal's triangle: {story}", module, tests, [
        fill(_txt["explain_1"], story=story, row_fn=row_fn, tri_fn=tri_fn, choose_fn=choose_fn),
        [how],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"], choose_fn=choose_fn), style=style)


def _lesson_receipt(rng: random.Random) -> Lesson:
    _txt, (shop, pool, cur) = lesson_scene(rng, "receipt", "RECEIPT_SCENES")
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
    module = _txt["module"].format(shop=shop, width=width, cur=cur, tax=tax, line_fn=line_fn, fn=fn)
    tests = _tests(
        ["money", fn],
        _txt["test"].format(items=items),
        _txt["test_2"].format(fn=fn, expected=expected),
        _txt["test_3"].format(fn=fn, width=width),
        _checks(rng, "money", [("5", money(5)), ("123456", money(123456)), ("100", money(100))], "money_formats"))
    return assemble(rng, "receipt", _txt["topic"].format(shop=shop), module, tests, [
        fill(_txt["explain_1"], shop=shop, fn=fn),
        fill(_txt["explain_2"], line_fn=line_fn),
        [(_txt["explain_6"]) if tax else
         _txt["explain_7"],
         _txt["explain_8"]]],
        fill(_txt["exercise_1"]), tax=tax)


def _lesson_inverted_index(rng: random.Random) -> Lesson:
    _txt, (kind, titles) = lesson_scene(rng, "inverted_index", "INDEX_SCENES")
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

    combine = (_txt["combine"] if mode == "all" else _txt["combine_2"])
    module = _txt["module"].format(kind=kind, e1='AND' if mode == 'all' else 'OR', build_fn=build_fn,
                                   search_fn=search_fn, e2='every' if mode == 'all' else 'at least one',
                                   combine=combine)
    tests = _tests(
        [build_fn, search_fn],
        _txt["test"].format(docs=docs, build_fn=build_fn),
        _checks(rng, search_fn, [(f"index(), {q!r}", search(q)) for q in (q1, q2, "zebra", "")], f"{search_fn}_queries"),
        _txt["test_2"].format(build_fn=build_fn),
        _txt["test_3"].format(search_fn=search_fn, e1=q2.upper(), q2=q2))
    return assemble(rng, "inverted_index", _txt["topic"].format(kind=kind), module, tests, [
        fill(_txt["explain_1"], kind=kind, build_fn=build_fn, search_fn=search_fn),
        [_txt["explain_4"].format(e1='all the words are the intersection' if mode == 'all' else 'any of the words are the union',
                                  combine=combine)
         + (_txt["explain_5"] if mode == "all" else " and changes nothing."),
         _txt["explain_6"]],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"]), mode=mode)


def _spiral(m: list[list[int]]) -> list[int]:
    out: list[int] = []
    grid = [row[:] for row in m]
    while grid:
        out += grid.pop(0)
        grid = [list(r) for r in zip(*grid, strict=True)][::-1]
    return out


def _lesson_spiral(rng: random.Random) -> Lesson:
    _txt = lesson_text("spiral")
    story = rng.choice(fill(_txt["story_1"]))
    fn = rng.choice(["spiral_order", "spiral", "walk_spiral", "clockwise_spiral"])
    style = rng.choice(["rotate", "bounds"])
    rows, cols = rng.randint(2, 5), rng.randint(2, 5)
    m = [[rng.randint(1, 99) for _ in range(cols)] for _ in range(rows)]
    body, how = (_txt["body"], _txt["how"]) if style == "rotate" else (_txt["body_2"], _txt["how_2"])
    module = _txt["module"].format(story=story, fn=fn, body=body)
    tests = _tests(
        [fn],
        _txt["test"].format(m=m),
        _txt["test_2"].format(fn=fn, e1=_spiral(m)),
        _txt["test_3"].format(fn=fn),
        _checks(rng, fn, [("[[1, 2, 3]]", [1, 2, 3]), ("[[1], [2], [3]]", [1, 2, 3]), ("[]", []),
                          ("[[1, 2], [4, 3]]", [1, 2, 3, 4])], f"{fn}_shapes"))
    return assemble(rng, "spiral", f"spiral order of a grid: {story}", module, tests, [
        fill(_txt["explain_1"], story=story, fn=fn),
        [how],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"]), style=style)
