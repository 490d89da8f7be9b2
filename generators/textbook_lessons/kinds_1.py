"""Lesson kinds, part 1 of the library (generators/textbook_lessons/__init__.py)."""

import random
import re
from collections import Counter
from typing import Any

from .base import Lesson, _checks, _raises, _tests, assemble, fill, lesson_rows, lesson_scene, lesson_table, lesson_text


def _lesson_clamp(rng: random.Random) -> Lesson:
    _txt, (noun, value, low_name, high_name, where, lo_span, hi_span) = lesson_scene(rng, "clamp", "CLAMP_SCENES")
    verb = rng.choice(["clamp", "limit", "bound", "confine", "restrict"])
    name = f"{verb}_{noun}"
    low, high = sorted(rng.sample(range(lo_span // 2, hi_span // 2), 2))
    cases = [rng.randint(lo_span, hi_span) for _ in range(4)] + [low, high]
    style = rng.choice(["minmax", "branches"])
    if style == "minmax":
        body = _txt["body"].format(low_name=low_name, value=value, high_name=high_name)
    else:
        body = _txt["body_2"].format(value=value, low_name=low_name, high_name=high_name)
    module = _txt["module"].format(where=where, name=name, value=value, low_name=low_name, high_name=high_name,
                                   body=body)
    tests = _tests(
        [name],
        _checks(rng, name, [(f"{v}, {low}, {high}", max(low, min(v, high))) for v in cases], f"{name}_examples"),
        _raises(f"{name}_rejects_inverted_range", f"{name}(1, {high}, {low})"),
        _txt["test"].format(name=name, e1=cases[0], low=low, high=high))
    how = (_txt["how"] if style == "minmax" else
           _txt["how_2"])
    return assemble(rng, "clamp", f"clamping {where} with `{name}`", module, tests, [
        fill(_txt["explain_1"], where=where, low=low, high=high, name=name, value=value, low_name=low_name,
             high_name=high_name),
        [how,
         _txt["explain_4"].format(low_name=low_name, high_name=high_name, how=how)],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"], name=name, noun=noun), scene=noun, style=style)


def _lesson_inventory(rng: random.Random) -> Lesson:
    _txt = lesson_text("inventory")
    thing, unit, label, shop = rng.choice(lesson_rows("inventory", "INVENTORY_SCENES"))
    price, qty = rng.choice([("price", "quantity"), ("unit_price", "in_stock"), ("cost", "count"),
                             ("price_each", "on_hand")])
    add = rng.choice(["restock", "receive", "add_stock", "top_up"])
    total_fn = rng.choice(["total_value", "stock_value", "inventory_worth"])
    names = rng.sample(lesson_table("inventory", "ITEM_WORDS"), 4)
    items = [(n, round(rng.uniform(1, 50), 2), rng.randint(0, 12)) for n in names]
    total = round(sum(p * q for _, p, q in items), 2)
    amount = rng.randint(1, 9)
    frozen = rng.random() < 0.35
    if frozen:
        method = _txt["method"].format(add=add, thing=thing, unit=unit, qty=qty)
        restock_test = _txt["restock_test"].format(add=add, e1=thing.lower(), thing=thing, amount=amount, qty=qty,
                                                   e2=1 + amount)
    else:
        method = _txt["method_2"].format(add=add, unit=unit, qty=qty)
        restock_test = _txt["restock_test_2"].format(add=add, thing=thing, amount=amount, qty=qty, e1=1 + amount)
    imports = _txt["imports"] if frozen else _txt["imports_2"]
    module = _txt["module"].format(shop=shop, imports=imports, e1='(frozen=True)' if frozen else '', thing=thing,
                                   e2=label.replace('_', ' '), e3=price.replace('_', ' '), unit=unit, label=label,
                                   price=price, qty=qty, method=method, total_fn=total_fn)
    tests = _tests(
        [thing, total_fn],
        _txt["test"].format(items=items, thing=thing),
        _txt["test_2"].format(total_fn=total_fn, total=total),
        restock_test,
        _raises(f"{add}_rejects_negative", f"{thing}('x', 1.0).{add}(-1)"),
        _txt["test_3"].format(e1=shop.split()[-1].replace('-', '_'), total_fn=total_fn))
    return assemble(rng, "inventory", _txt["topic"].format(shop=shop), module, tests, [
        fill(_txt["explain_1"], shop=shop, e1=thing.lower(), e2=label.replace('_', ' '), e3=price.replace('_', ' '),
             unit=unit, thing=thing),
        fill(_txt["explain_2"], price=price, qty=qty, total_fn=total_fn, add=add, thing=thing),
        [(_txt["explain_6"].format(add=add, thing=thing)) if frozen else
         (_txt["explain_7"].format(add=add)),
         _txt["explain_8"]]],
        fill(_txt["exercise_1"], thing=thing, unit=unit, e1=label.replace('_', ' '),
             e2=price.replace('_', ' ')), thing=thing, frozen=frozen)


def _lesson_windows(rng: random.Random) -> Lesson:
    _txt = lesson_text("windows")
    kind = rng.choice(["chunked", "sliding_windows", "running_totals", "pairwise_deltas"])
    data_name, source = rng.choice(lesson_rows("windows", "WINDOW_SCENES"))
    fn = {"chunked": rng.choice(["chunked", "batches", "in_groups"]),
          "sliding_windows": rng.choice(["sliding_windows", "windows", "neighbourhoods"]),
          "running_totals": rng.choice(["running_totals", "cumulative", "prefix_sums"]),
          "pairwise_deltas": rng.choice(["deltas", "changes", "differences"])}[kind]
    data = [rng.randint(-9, 20) for _ in range(rng.randint(5, 9))]
    size = rng.randint(2, 3)
    if kind == "chunked":
        expected: list = [data[i:i + size] for i in range(0, len(data), size)]
        body, doc, idea = _txt["body"], _txt["doc"], _txt["idea"]
    elif kind == "sliding_windows":
        expected = [data[i:i + size] for i in range(len(data) - size + 1)]
        body, doc, idea = _txt["body_2"], _txt["doc_2"], _txt["idea_2"]
    elif kind == "running_totals":
        expected, acc = [], 0
        for x in data:
            acc += x
            expected.append(acc)
        body, doc, idea = _txt["body_3"], _txt["doc_3"], _txt["idea_3"]
    else:
        expected = [b - a for a, b in zip(data, data[1:], strict=False)]
        body, doc, idea = _txt["body_4"], _txt["doc_4"], _txt["idea_4"]
    body, idea = body.format(data_name=data_name), idea.format(fn=fn, data_name=data_name, source=source)
    sized = kind in ("chunked", "sliding_windows")  # these take a size and yield lists
    if sized:
        sig, ret = f"{data_name}: list[int], size: int", "Iterator[list[int]]"
        call, empty = f"{fn}({data!r}, {size})", f"{fn}([], 2)"
    else:
        sig, ret = f"{data_name}: list[int]", "Iterator[int]"
        call, empty = f"{fn}({data!r})", f"{fn}([])"
    guard = _txt["guard"] if sized else ""
    module = _txt["module"].format(e1=data_name.replace('_', ' '), source=source, fn=fn, sig=sig, ret=ret, doc=doc,
                                   guard=guard, body=body)
    blocks = fill(_txt["blocks_1"], fn=fn, call=call, expected=expected, empty=empty)
    if guard:
        blocks.append(_raises(f"{fn}_rejects_size_zero", f"list({fn}([1, 2], 0))"))
    tests = _tests([fn], *blocks, imports=("import types",))
    return assemble(rng, "windows", f"generators: `{fn}` over {data_name.replace('_', ' ')}", module, tests, [
        [idea],
        fill(_txt["explain_1"]),
        ["" if not guard else _txt["explain_4"],
         _txt["explain_5"],
         _txt["explain_6"]]],
        fill(_txt["exercise_1"], fn=fn), kind=kind, scene=data_name)


def _lesson_parse_kv(rng: random.Random) -> Lesson:
    _txt = lesson_text("parse_kv")
    fn, result, keys_pool, what = rng.choice(lesson_rows("parse_kv", "KV_SCENES"))
    pair_sep = rng.choice([";", ",", "&", "|"])
    kv_sep = rng.choice(["=", ":"])
    keys = rng.sample(keys_pool, 3)
    values = rng.sample(lesson_table("parse_kv", "KV_VALUES"), 3)
    text = pair_sep.join(f" {k} {kv_sep} {v} " if i == 0 else f"{k}{kv_sep}{v}"
                         for i, (k, v) in enumerate(zip(keys, values, strict=True)))
    expected = dict(zip(keys, values, strict=True))
    partition = rng.random() < 0.5
    split_line = (_txt["split_line"].format(kv_sep=kv_sep)
                  if partition else
                  _txt["split_line_2"].format(kv_sep=kv_sep))
    after = "" if partition else _txt["after"].format(kv_sep=kv_sep)
    module = _txt["module"].format(what=what, kv_sep=kv_sep, pair_sep=pair_sep, fn=fn, result=result,
                                   split_line=split_line, after=after)
    tests = _tests(
        [fn],
        _txt["test"].format(fn=fn, text=text, expected=expected),
        _txt["test_2"].format(fn=fn),
        _raises(f"{fn}_malformed_pair", f"{fn}('novalue')", match="malformed"),
        _raises(f"{fn}_empty_key", f"{fn}('{kv_sep}x')", match="empty key"),
        _txt["test_3"].format(fn=fn, kv_sep=kv_sep, pair_sep=pair_sep),
        _txt["test_4"].format(fn=fn, kv_sep=kv_sep))
    how = (_txt["how"].format(kv_sep=kv_sep) if partition else
           _txt["how_2"].format(kv_sep=kv_sep))
    return assemble(rng, "parse_kv", f"parsing {what} into a dict", module, tests, [
        fill(_txt["explain_1"], e1=what[0].upper() + what[1:], e2=text.strip(), fn=fn, what=what, pair_sep=pair_sep,
             kv_sep=kv_sep),
        [how, _txt["explain_4"].format(pair_sep=pair_sep, how=how)],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"], result=result), fn=fn, partition=partition)


def _lesson_duration(rng: random.Random) -> Lesson:
    _txt, (fn, units, base, what) = lesson_scene(rng, "duration", "DURATION_SCENES")
    order = sorted(units, key=lambda u: -units[u])
    amounts = {u: rng.randint(0, 59 if units[u] > 1 else 99) for u in order}
    if not any(amounts.values()):
        amounts[order[-1]] = 1
    text = "".join(f"{v}{u}" for u, v in amounts.items() if v)
    total = sum(v * units[u] for u, v in amounts.items())
    alternation = "|".join(sorted(units, key=lambda u: (-len(u), u)))
    module = _txt["module"].format(what=what, text=text, base=base, units=units, alternation=alternation, fn=fn)
    single = [(f"'{n}{u}'", n * units[u]) for u, n in ((u, rng.randint(1, 9)) for u in order)]
    tests = _tests(
        [fn],
        _txt["test"].format(fn=fn, text=text, total=total),
        _checks(rng, fn, single, f"{fn}_each_unit"),
        _txt["test_2"].format(e1=order[0], e2=order[-1], fn=fn))
    return assemble(rng, "duration", _txt["topic"].format(what=what), module, tests, [
        fill(_txt["explain_1"], what=what, text=text, base=base, fn=fn, e1=what[0].upper() + what[1:],
             e2=', '.join(order)),
        [_txt["explain_4"].format(alternation=alternation)
         + (_txt["explain_5"]
            if any(len(u) > 1 for u in units) else ""),
         _txt["explain_6"]],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"], base=base), fn=fn)


def _lesson_binary_search(rng: random.Random) -> Lesson:
    _txt, (seq, target, where) = lesson_scene(rng, "binary_search", "SEARCH_SCENES")
    variant = rng.choice(["index", "lower_bound", "contains"])
    data = sorted(rng.sample(range(0, 200), rng.randint(6, 12)))
    present = rng.choice(data)
    absent = next(x for x in rng.sample(range(201), 201) if x not in data)
    lo, hi = rng.choice([("lo", "hi"), ("low", "high"), ("left", "right")])
    if variant == "index":
        fn = rng.choice(["find", "index_of", "locate"])
        sig, ret = f"{seq}: list[int], {target}: int", "int"
        body = _txt["body"].format(lo=lo, hi=hi, seq=seq, target=target)
        doc = _txt["doc"].format(target=target, seq=seq)
        cases = [(f"DATA, {x}", data.index(x)) for x in (present, data[0], data[-1])] + [(f"DATA, {absent}", -1)]
        empty = (f"[], {present}", -1)
    elif variant == "lower_bound":
        fn = rng.choice(["first_at_least", "insertion_point", "lower_bound"])
        sig, ret = f"{seq}: list[int], {target}: int", "int"
        body = _txt["body_2"].format(lo=lo, hi=hi, seq=seq, target=target)
        doc = _txt["doc_2"].format(target=target, seq=seq)
        probes = [present, absent, -1, 250]
        cases = [(f"DATA, {x}", sum(1 for d in data if d < x)) for x in probes]
        empty = (f"[], {present}", 0)
    else:
        fn = rng.choice(["contains", "has", "is_listed"])
        sig, ret = f"{seq}: list[int], {target}: int", "bool"
        body = _txt["body_3"].format(lo=lo, hi=hi, seq=seq, target=target)
        doc = _txt["doc_3"].format(target=target, seq=seq)
        cases = [(f"DATA, {present}", True), (f"DATA, {absent}", False), (f"DATA, {data[-1]}", True)]
        empty = (f"[], {present}", False)
    module = _txt["module"].format(where=where, fn=fn, sig=sig, ret=ret, doc=doc, body=body)
    tests = _tests(
        [fn],
        _txt["test"].format(data=data),
        _checks(rng, fn, cases, f"{fn}_in_{seq}"),
        _txt["test_2"].format(fn=fn, e1=empty[0], e2='is' if isinstance(empty[1], bool) else '==', e3=empty[1]),
        (_txt["test_3"].format(fn=fn)) if variant == "lower_bound" else
        (_txt["test_4"].format(fn=fn))
        if variant == "index" else
        _txt["test_5"].format(fn=fn),
        imports=("import bisect",) if variant == "lower_bound" else ())
    return assemble(rng, "binary_search", f"binary search in {where} (`{fn}`)", module, tests, [
        fill(_txt["explain_1"], where=where, e1=seq.replace('_', ' '), fn=fn),
        [_txt["explain_4"].format(lo=lo, hi=hi),
         _txt["explain_5"].format(hi=hi)
         + (_txt["explain_6"]
            if variant == "index" else _txt["explain_7"] + hi +
            _txt["explain_8"])],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"], e1=target.replace('_', ' ')), variant=variant, scene=seq)


WORD_POOLS = lesson_table("word_counts", "WORD_POOLS")


def _lesson_word_counts(rng: random.Random) -> Lesson:
    _txt = lesson_text("word_counts")
    source = rng.choice(sorted(WORD_POOLS))
    pool = WORD_POOLS[source]
    words = [rng.choice(pool) for _ in range(rng.randint(12, 20))]
    text = " ".join(w.capitalize() if rng.random() < 0.3 else w for w in words) + "."
    k = rng.randint(2, 3)
    fn = rng.choice(["top_words", "most_common_words", "frequent_terms", "keyword_counts"])
    counts = Counter(re.findall(r"[a-z']+", text.lower()))
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    manual = rng.random() < 0.4
    count_block = (_txt["count_block"] if manual else
                   _txt["count_block_2"])
    module = _txt["module"].format(source=source, e1='' if manual else ' with collections.Counter',
                                   e2='' if manual else 'from collections import Counter', fn=fn,
                                   count_block=count_block).replace(_txt["module_2"], _txt["module_3"])
    a, b, c = rng.sample(pool, 3)
    tests = _tests(
        [fn],
        _txt["test"].format(text=text),
        _txt["test_2"].format(fn=fn, e1=source.split()[-1], k=k, expected=expected),
        _txt["test_3"].format(fn=fn, b=b, a=a, c=c, e1=sorted([(a, 2), (b, 2)])),
        _txt["test_4"].format(fn=fn, e1=a.upper(), a=a),
        _txt["test_5"].format(fn=fn))
    return assemble(rng, "word_counts", f"counting words in {source}", module, tests, [
        fill(_txt["explain_1"], source=source, fn=fn),
        [(_txt["explain_4"]) if manual else
         (_txt["explain_5"]),
         _txt["explain_6"]],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"], source=source), source=source, manual=manual)


def _lesson_brackets(rng: random.Random) -> Lesson:
    _txt, (fn, where, filler) = lesson_scene(rng, "brackets", "BRACKET_SCENES")
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
        loop = _txt["loop"].format(stack_name=stack_name)
        head = _txt["head"].format(pairs=pairs)
    else:
        loop = _txt["loop_2"].format(stack_name=stack_name)
        head = _txt["head_2"].format(pairs=pairs)
    module = _txt["module"].format(where=where, head=head, fn=fn, stack_name=stack_name, loop=loop)
    tests = _tests([fn], _checks(rng, fn, [(repr(s), balanced(s)) for s in cases], f"{fn}_cases"),
                   _txt["test"].format(fn=fn),
                   _txt["test_2"].format(fn=fn, e1=filler[0] + o + filler[1] + c, e2=filler[0] + c + o))
    return assemble(rng, "brackets", _txt["topic"].format(where=where), module, tests, [
        fill(_txt["explain_1"], where=where, o=o, c=c, fn=fn),
        [(_txt["explain_4"]) if pushes_closer else
         (_txt["explain_5"]),
         _txt["explain_6"].format(stack_name=stack_name)],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"]), pairs="".join(pairs), closer_stack=pushes_closer)


def _lesson_caesar(rng: random.Random) -> Lesson:
    _txt = lesson_text("caesar")
    shift = rng.randint(1, 25)
    plain = rng.choice(lesson_table("caesar", "PLAINTEXTS"))
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

    helpers, body, how = {"index": (_txt["helpers"], _txt["body"], _txt["how"]),
                          "ord": (_txt["helpers_2"], _txt["body_2"], _txt["how_2"]),
                          "translate": (_txt["helpers_3"], _txt["body_3"], _txt["how_3"])}[variant]
    module = _txt["module"].format(helpers=helpers, enc_name=enc_name, body=body, dec_name=dec_name)
    tests = _tests(
        [enc_name, dec_name],
        _txt["test"].format(plain=plain),
        _txt["test_2"].format(enc_name=enc_name, shift=shift, e1=enc(plain, shift)),
        _txt["test_3"].format(dec_name=dec_name, enc_name=enc_name, shift=shift),
        _txt["test_4"].format(enc_name=enc_name),
        _txt["test_5"].format(enc_name=enc_name))
    return assemble(rng, "caesar", _txt["topic"].format(enc_name=enc_name, dec_name=dec_name), module, tests, [
        fill(_txt["explain_1"], shift=shift, plain=plain, e1=enc(plain, shift), enc_name=enc_name, dec_name=dec_name),
        [how],
        fill(_txt["explain_2"], dec_name=dec_name, enc_name=enc_name)],
        fill(_txt["exercise_1"]), shift=shift, variant=variant)


def _lesson_rle(rng: random.Random) -> Lesson:
    _txt, (data_name, what, alphabet) = lesson_scene(rng, "rle", "RLE_SCENES")
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
        module = _txt["module"].format(what=what, enc=enc, data_name=data_name, dec=dec)
        extra = _raises(f"{dec}_rejects_garbage", f"{dec}('a3')")
        how = _txt["how"]
    else:
        encoded = runs
        module = _txt["module_2"].format(what=what, enc=enc, data_name=data_name, dec=dec)
        extra = ""
        how = _txt["how_2"]
    tests = _tests(
        [enc, dec],
        _txt["test"].format(enc=enc, data_name=data_name, text=text, encoded=encoded),
        _txt["test_2"].format(dec=dec, enc=enc, text=text),
        _txt["test_3"].format(enc=enc, dec=dec, e1=alphabet[0]),
        _txt["test_4"].format(enc=enc, e1='' if compact else [], dec=dec),
        extra)
    return assemble(rng, "rle", f"run-length encoding of {what}", module, tests, [
        fill(_txt["explain_1"], what=what, text=text, encoded=encoded, enc=enc, dec=dec),
        fill(_txt["explain_2"]),
        [how],
        fill(_txt["explain_3"])],
        fill(_txt["exercise_1"], enc=enc), compact=compact, scene=data_name)


def _lesson_fizzbuzz(rng: random.Random) -> Lesson:
    _txt = lesson_text("fizzbuzz")
    rules = sorted(rng.sample(lesson_rows("fizzbuzz", "FIZZ_WORDS"), rng.choice([2, 2, 3])))
    n = rng.randint(12, 24)
    fn, game = rng.choice([("say", "play"), ("label", "labels"), ("call_out", "game"), ("shout", "round_of")])
    layout = rng.choice(["join", "loop"])

    def say(i: int) -> str:
        return "".join(w for d, w in rules if i % d == 0) or str(i)

    body = _txt["body"] if layout == "join" else _txt["body_2"]
    module = _txt["module"].format(e1=tuple(rules), fn=fn, body=body, game=game)
    product = 1
    for d, _ in rules:
        product *= d
    tests = _tests(
        [fn, game],
        _txt["test"].format(game=game, n=n, e1=[say(i) for i in range(1, n + 1)]),
        _checks(rng, fn, [(str(product), say(product)), (str(rules[0][0]), say(rules[0][0])), ("1", "1")],
                f"{fn}_numbers"),
        _txt["test_2"].format(fn=fn),
        _txt["test_3"].format(game=game))
    rule_text = ", ".join(f"{w} for multiples of {d}" for d, w in rules)
    return assemble(rng, "fizzbuzz", f"data-driven FizzBuzz ({', '.join(w for _, w in rules)})", module, tests, [
        fill(_txt["explain_1"], rule_text=rule_text),
        [_txt["explain_4"].format(fn=fn)
         + (_txt["explain_5"]
            if layout == "join" else _txt["explain_6"])
         + _txt["explain_7"],
         _txt["explain_8"].format(fn=fn)],
        fill(_txt["explain_2"], game=game, fn=fn)],
        fill(_txt["exercise_1"], game=game), rules=",".join(f"{d}:{w}" for d, w in rules), layout=layout)


def _lesson_recurrence(rng: random.Random) -> Lesson:
    _txt = lesson_text("recurrence")
    order = rng.choice([2, 3, 4])
    scene, story = rng.choice(lesson_rows("recurrence", "RECURRENCE_SCENES"))
    story = story.format(order=order)
    seeds = [rng.randint(0, 3) for _ in range(order)]
    seeds[-1] = max(seeds[-1], 1)
    name = f"{scene}_{rng.choice(['term', 'count', 'at'])}"
    seq = list(seeds)
    while len(seq) < 15:
        seq.append(sum(seq[-order:]))
    style = rng.choice(["cache", "dict", "iterative"])
    if style == "cache":
        module = _txt["module"].format(e1=story[0].upper() + story[1:], e2=tuple(seeds), name=name, order=order,
                                       e3=order + 1)
        how = _txt["how"]
        big = 300
    elif style == "dict":
        module = _txt["module_2"].format(e1=story[0].upper() + story[1:], e2=tuple(seeds), name=name, order=order,
                                         e3=order + 1)
        how = _txt["how_2"]
        big = 300
    else:
        module = _txt["module_3"].format(e1=story[0].upper() + story[1:], e2=tuple(seeds), name=name, order=order)
        how = _txt["how_3"].format(order=order)
        big = 2000
    tests = _tests(
        [name],
        _txt["test"].format(name=name, seq=seq),
        _txt["test_2"].format(name=name, big=big, e1=big - 1),
        _raises(f"{name}_negative", f"{name}(-1)"))
    return assemble(rng, "recurrence", _txt["topic"].format(scene=scene), module, tests, [
        fill(_txt["explain_1"], story=story, order=order, e1=tuple(seeds), name=name),
        [how],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"], scene=scene), order=order, style=style, scene=scene)


def _lesson_palindrome(rng: random.Random) -> Lesson:
    _txt = lesson_text("palindrome")
    fn = rng.choice(["is_palindrome", "reads_same_backwards", "is_mirror_phrase"])
    clean = rng.choice(["normalise", "letters_only", "canonical", "squeeze"])
    variant = rng.choice(["reverse", "two_pointers"])
    yes = rng.sample(lesson_table("palindrome", "PALINDROME_PHRASES"), 3)
    no = rng.sample(lesson_table("palindrome", "NOT_PALINDROMES"), 2)

    def norm(s: str) -> str:
        return "".join(ch.lower() for ch in s if ch.isalnum())

    check, how = ((_txt["check"], _txt["how"]) if variant == "reverse" else (_txt["check_2"], _txt["how_2"]))
    check = check.format(clean=clean)
    module = _txt["module"].format(clean=clean, fn=fn, check=check)
    tests = _tests(
        [fn, clean],
        _txt["test"].format(clean=clean, e1=yes[0], e2=norm(yes[0])),
        _checks(rng, fn, [(repr(s), True) for s in yes] + [(repr(s), norm(s) == norm(s)[::-1]) for s in no],
                f"{fn}_phrases"),
        _txt["test_2"].format(fn=fn))
    return assemble(rng, "palindrome", _txt["topic"].format(fn=fn), module, tests, [
        fill(_txt["explain_1"], e1=yes[0], clean=clean, fn=fn, e2=yes[1]),
        [_txt["explain_4"].format(clean=clean), how],
        ["" if variant == "two_pointers" else how,
         _txt["explain_5"]]],
        fill(_txt["exercise_1"], fn=fn), variant=variant)


def _lesson_anagrams(rng: random.Random) -> Lesson:
    _txt = lesson_text("anagrams")
    pool = rng.choice(lesson_table("anagrams", "ANAGRAM_POOLS"))
    words = rng.sample(pool, min(len(pool), rng.randint(5, 8)))
    fn = rng.choice(["group_anagrams", "anagram_families", "bucket_by_letters"])
    key_fn = rng.choice(["signature", "letter_key", "sorted_letters"])
    use_counter = rng.random() < 0.3
    groups: dict[str, list[str]] = {}
    for w in words:
        groups.setdefault("".join(sorted(w)), []).append(w)
    expected = sorted(groups.values(), key=lambda g: g[0])
    if use_counter:
        key_code = _txt["key_code"].format(key_fn=key_fn)
        head = _txt["head"]
        key_type = _txt["key_type"]
        key_note = _txt["key_note"]
    else:
        key_code = _txt["key_code_2"].format(key_fn=key_fn)
        head = _txt["head_2"]
        key_type = "str"
        key_note = _txt["key_note_2"]
    module = _txt["module"].format(head=head, key_code=key_code, fn=fn, key_type=key_type, key_fn=key_fn)
    a = words[0]
    tests = _tests(
        [fn, key_fn],
        _txt["test"].format(words=words),
        _txt["test_2"].format(fn=fn, expected=expected),
        _txt["test_3"].format(key_fn=key_fn, a=a, e1=a[::-1].upper()),
        _txt["test_4"].format(fn=fn),
        _txt["test_5"].format(fn=fn))
    return assemble(rng, "anagrams", _txt["topic"], module, tests, [
        fill(_txt["explain_1"], e1=', '.join(words[:4]), fn=fn),
        [key_note,
         _txt["explain_4"]],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"], key_fn=key_fn), counter=use_counter)
