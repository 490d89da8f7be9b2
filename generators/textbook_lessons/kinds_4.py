"""Lesson kinds, part 4 of the library (generators/textbook_lessons/__init__.py)."""

import math
import random
from collections import Counter

from sandbox.functions.text import levenshtein_distance

from .base import Lesson, _checks, _raises, _tests, assemble, fill, lesson_rows, lesson_scene, lesson_table, lesson_text


def _lesson_linked_list(rng: random.Random) -> Lesson:
    _txt, (cls, item, what, pool) = lesson_scene(rng, "linked_list", "LINKED_SCENES")
    node = rng.choice(["Node", f"{item.capitalize()}Node", "Cell"])
    nxt = rng.choice(["next", "after", "link"])
    items = rng.sample(pool, 4)
    recursive_len = rng.random() < 0.4
    length_src = (_txt["length_src"] if recursive_len else _txt["length_src_2"])
    helper = (_txt["helper"].format(node=node, nxt=nxt) if recursive_len else "")
    module = _txt["module"].format(what=what, node=node, nxt=nxt, cls=cls, length_src=length_src, helper=helper)
    front = rng.choice(pool[:1] + [p for p in pool if p not in items][:1])
    tests = _tests(
        [cls],
        _txt["test"].format(cls=cls, items=items),
        _txt["test_2"].format(items=items),
        _txt["test_3"].format(front=front),
        _txt["test_4"].format(e1=items[::-1]),
        _txt["test_5"].format(cls=cls))
    return assemble(rng, "linked_list", f"linked lists: {what}", module, tests, [
        fill(_txt["explain_1"], what=what, node=node, item=item, cls=cls),
        [_txt["explain_4"] + nxt + _txt["explain_5"],
         _txt["explain_6"]],
        [(_txt["explain_7"]) if recursive_len else
         _txt["explain_8"],
         _txt["explain_9"]]],
        fill(_txt["exercise_1"], item=item), cls=cls, recursive_len=recursive_len)


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
    _txt = lesson_text("text_wrap")
    text = rng.choice(lesson_table("text_wrap", "WRAP_TEXTS"))
    width = rng.randint(16, 34)
    fn = rng.choice(["wrap", "fill_lines", "word_wrap", "break_lines"])
    where = rng.choice(fill(_txt["where_1"]))
    align = rng.choice(["left", "centre", "right"])
    lines = _wrap(text, width)
    if align == "left":
        shaped = lines
        align_src = "    return lines"
    elif align == "centre":
        shaped = [ln.center(width).rstrip() for ln in lines]
        align_src = _txt["align_src"]
    else:
        shaped = [ln.rjust(width) for ln in lines]
        align_src = _txt["align_src_2"]
    by_words = rng.random() < 0.5
    loop = _txt["loop"] if by_words else _txt["loop_2"]
    module = _txt["module"].format(where=where, align=align, fn=fn, loop=loop, align_src=align_src)
    tests = _tests(
        [fn],
        _txt["test"].format(text=text),
        _txt["test_2"].format(fn=fn, width=width, shaped=shaped),
        _txt["test_3"].format(e1=max(len(w) for w in text.split()), fn=fn),
        _txt["test_4"].format(fn=fn),
        _txt["test_5"].format(fn=fn),
        _txt["test_6"].format(fn=fn))
    return assemble(rng, "text_wrap", f"word wrapping for {where}", module, tests, [
        fill(_txt["explain_1"], where=where, fn=fn),
        [_txt["explain_4"],
         (_txt["explain_5"]) if by_words else
         (_txt["explain_6"])],
        [{"left": _txt["explain_7"],
          "centre": _txt["explain_8"],
          "right": _txt["explain_9"]}[align],
         _txt["explain_10"]]],
        fill(_txt["exercise_1"]), align=align, width=width, by_words=by_words)


def _merged(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _lesson_deep_merge(rng: random.Random) -> Lesson:
    _txt = lesson_text("deep_merge")
    name, what, base, over = rng.choice(lesson_rows("deep_merge", "MERGE_SCENES"))
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
    start = "    result = dict(base)" if copy_style == "dict_copy" else _txt["start"]
    module = _txt["module"].format(what=what, fn=fn, start=start, get_fn=get_fn, sep=sep)
    tests = _tests(
        [fn, get_fn],
        _txt["test"].format(base=base, over=over),
        _txt["test_2"].format(fn=fn, merged=merged),
        _txt["test_3"].format(fn=fn),
        _txt["test_4"].format(get_fn=get_fn, fn=fn, dotted=dotted, e1='is' if isinstance(cur, bool) else '==',
                              cur=cur, sep=sep),
        _txt["test_5"].format(fn=fn),
        imports=("import copy",))
    return assemble(rng, "deep_merge", _txt["topic"].format(what=what), module, tests, [
        fill(_txt["explain_1"], what=what, fn=fn, get_fn=get_fn),
        fill(_txt["explain_2"], get_fn=get_fn, dotted=dotted),
        [(_txt["explain_6"] + (" with `dict(base)`" if copy_style == "dict_copy" else
                                             " with a comprehension")
          + _txt["explain_7"]),
         _txt["explain_8"]]],
        fill(_txt["exercise_1"]), scene=name)


def _lesson_histogram(rng: random.Random) -> Lesson:
    _txt, (data_name, what, labels) = lesson_scene(rng, "histogram", "HIST_SCENES")
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
    sort_src = (_txt["sort_src"] if order == "count" else
                "sorted(counts.items())")
    length_src = "count" if scale is None else f"round(count * {scale} / top)"
    module = _txt["module"].format(what=what, fn=fn, data_name=data_name, bar=bar,
                                   e1='Bars are as long as the counts.' if scale is None else f'Bars are scaled so the longest is {scale} characters.',
                                   e2='by count, biggest first (ties alphabetical)' if order == 'count' else 'alphabetically',
                                   e3='' if scale is None else '    top = max(counts.values())' + chr(10),
                                   sort_src=sort_src, length_src=length_src)
    tests = _tests(
        [fn],
        _txt["test"].format(e1=data_name.upper(), data=data),
        _txt["test_2"].format(fn=fn, e1=data_name.upper(), lines=lines),
        _txt["test_3"].format(fn=fn, e1=data_name.upper()),
        _txt["test_4"].format(fn=fn))
    return assemble(rng, "histogram", f"a text histogram of {what}", module, tests, [
        fill(_txt["explain_1"], what=what, fn=fn),
        [(_txt["explain_4"]) if scale is None else
         (_txt["explain_5"].format(scale=scale)),
         _txt["explain_6"]],
        [(_txt["explain_7"]) if order == "count" else
         _txt["explain_8"],
         _txt["explain_9"]]],
        fill(_txt["exercise_1"]), scene=data_name, scaled=scale is not None)


def _lesson_gcd(rng: random.Random) -> Lesson:
    _txt = lesson_text("gcd")
    story, a_name, b_name = rng.choice([
        (_txt["text"], "red", "blue"),
        (_txt["text_2"], "width", "depth"),
        (_txt["text_3"], "first_period", "second_period"),
        (_txt["text_4"], "flour", "water"),
        (_txt["text_5"], "toffees", "mints"),
        (_txt["text_6"], "orbit_a", "orbit_b")])
    gcd_fn = rng.choice(["gcd", "greatest_common_divisor", "highest_common_factor"])
    lcm_fn = rng.choice(["lcm", "least_common_multiple"])
    simplify_fn = rng.choice(["simplify", "reduce_ratio", "lowest_terms"])
    recursive = rng.random() < 0.5
    g = rng.randint(2, 12)
    a, b = g * rng.randint(1, 20), g * rng.randint(1, 20)
    pairs = [(a, b), (rng.randint(1, 300), rng.randint(1, 300)), (rng.randint(1, 50), 0)]
    if recursive:
        gcd_src = _txt["gcd_src"].format(gcd_fn=gcd_fn, a_name=a_name, b_name=b_name)
    else:
        gcd_src = _txt["gcd_src_2"].format(gcd_fn=gcd_fn, a_name=a_name, b_name=b_name)
    module = _txt["module"].format(story=story, gcd_src=gcd_src, lcm_fn=lcm_fn, a_name=a_name, b_name=b_name,
                                   gcd_fn=gcd_fn, simplify_fn=simplify_fn)
    tests = _tests(
        [gcd_fn, lcm_fn, simplify_fn],
        _checks(rng, gcd_fn, [(f"{x}, {y}", math.gcd(x, y)) for x, y in pairs], f"{gcd_fn}_examples"),
        _txt["test"].format(gcd_fn=gcd_fn, lcm_fn=lcm_fn),
        _txt["test_2"].format(simplify_fn=simplify_fn, a=a, b=b, e1=(a // math.gcd(a, b), b // math.gcd(a, b))),
        _raises(f"{simplify_fn}_zero", f"{simplify_fn}(0, 0)"),
        imports=("import math",))
    return assemble(rng, "gcd", f"Euclid's algorithm: {story}", module, tests, [
        fill(_txt["explain_1"], story=story, gcd_fn=gcd_fn, lcm_fn=lcm_fn, simplify_fn=simplify_fn),
        [(_txt["explain_4"])
         if recursive else
         (_txt["explain_5"]),
         _txt["explain_6"]],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"]), recursive=recursive)


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
    _txt = lesson_text("life")
    story = rng.choice(fill(_txt["story_1"]))
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

    edge = (_txt["edge"]
            if torus else
            _txt["edge_2"])
    module = _txt["module"].format(e1='wrap-around' if torus else 'bounded', story=story, alive=alive, dead=dead,
                                   count_fn=count_fn,
                                   e2='; the grid wraps around at the edges' if torus else '; cells beyond the edge count as dead',
                                   edge=edge, step_fn=step_fn)
    blinker = [dead * 5, dead * 5, dead + alive * 3 + dead, dead * 5, dead * 5]
    vertical = [dead * 5, dead * 2 + alive + dead * 2, dead * 2 + alive + dead * 2, dead * 2 + alive + dead * 2,
                dead * 5]
    tests = _tests(
        [step_fn, count_fn],
        _txt["test"].format(e1=show(grid_cells)),
        _txt["test_2"].format(step_fn=step_fn, e1=show(nxt)),
        _txt["test_3"].format(blinker=blinker, step_fn=step_fn, vertical=vertical),
        _txt["test_4"].format(e1=dead * 4, step_fn=step_fn),
        _txt["test_5"].format(count_fn=count_fn, blinker=blinker))
    return assemble(rng, "life", f"Conway's Game of Life: {story}", module, tests, [
        fill(_txt["explain_1"], story=story),
        [_txt["explain_4"].format(alive=alive, dead=dead),
         _txt["explain_5"].format(count_fn=count_fn)
         + (_txt["explain_6"] if torus else
            _txt["explain_7"])],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"]), torus=torus)


def _lesson_decorators(rng: random.Random) -> Lesson:
    _txt, (kind, what) = lesson_scene(rng, "decorators", "DECORATOR_SCENES")
    target = rng.choice([("area", "width: int, height: int", "width * height", "3, 4", 12),
                         ("shipping_cost", "weight: int, zone: int", "5 + weight * zone", "2, 3", 11),
                         ("score", "hits: int, misses: int", "hits * 10 - misses", "7, 2", 68),
                         ("volume", "side: int, depth: int", "side * side * depth", "2, 5", 20),
                         ("fare", "stops: int, riders: int", "2 * stops * riders", "3, 2", 12),
                         ("paint_litres", "walls: int, coats: int", "walls * coats * 2", "4, 2", 16),
                         ("seat_count", "rows: int, per_row: int", "rows * per_row", "6, 9", 54),
                         ("bonus_points", "streak: int, level: int", "streak * level + 1", "5, 3", 16),
                         ("pixel_total", "columns: int, lines: int", "columns * lines", "8, 5", 40),
                         ("dose_mg", _txt["target"], "weight_kg * mg_per_kg", "20, 3", 60)])
    fname, params, expr, args, result = target
    if kind == "count_calls":
        deco = _txt["deco"]
        check = _txt["check"].format(fname=fname, args=args)
        idea = _txt["idea"]
    elif kind == "log_calls":
        deco = _txt["deco_2"]
        check = _txt["check_2"].format(fname=fname, args=args, result=result)
        idea = _txt["idea_2"]
    elif kind == "memoize":
        deco = _txt["deco_3"]
        check = _txt["check_3"]
        idea = _txt["idea_3"]
    elif kind == "retry":
        deco = _txt["deco_4"]
        check = _txt["check_4"]
        idea = _txt["idea_4"]
    else:
        deco = _txt["deco_5"]
        check = _txt["check_5"].format(fname=fname, e1=args.split(',')[0])
        idea = _txt["idea_5"]
    use = f"@{kind}(3)" if kind == "retry" else f"@{kind}"
    module = _txt["module"].format(what=what, deco=deco, use=use, fname=fname, params=params, expr=expr)
    names = [fname] + ([kind] if kind in ("retry", "memoize") else []) + (["CALLS"] if kind == "log_calls" else [])
    tests = _tests(
        names,
        _txt["test"].format(fname=fname, args=args, result=result),
        _txt["test_2"].format(fname=fname),
        check)
    return assemble(rng, "decorators", f"decorators: {what}", module, tests, [
        [_txt["explain"].format(what=what),
         _txt["explain_2"].format(kind=kind, fname=fname) + ("(3)" if kind == "retry" else "")
         + _txt["explain_3"],
         _txt["explain_4"].format(what=what)],
        [idea],
        fill(_txt["explain_1"])],
        fill(_txt["exercise_1"], kind=kind), kind=kind, target=fname)


def _lesson_case_conversion(rng: random.Random) -> Lesson:
    _txt = lesson_text("case_conversion")
    words = rng.sample(lesson_table("case_conversion", "CASE_WORDS"), 4)
    to_snake = rng.choice(["to_snake", "snake_case", "camel_to_snake"])
    to_camel = rng.choice(["to_camel", "camel_case", "snake_to_camel"])
    why = rng.choice(fill(_txt["why_1"]))
    regex = rng.random() < 0.5

    def camel(ws: list[str]) -> str:
        return ws[0] + "".join(w.capitalize() for w in ws[1:])

    if regex:
        snake_src = _txt["snake_src"].format(to_snake=to_snake)
        head = _txt["head"]
        how = _txt["how"]
    else:
        snake_src = _txt["snake_src_2"].format(to_snake=to_snake)
        head = ""
        how = _txt["how_2"]
    module = _txt["module"].format(why=why, head=head, snake_src=snake_src, to_camel=to_camel)
    cases = [(repr(camel(w)), "_".join(w)) for w in words]
    back = [(repr("_".join(w)), camel(w)) for w in words]
    tests = _tests(
        [to_snake, to_camel],
        _checks(rng, to_snake, cases + [("'HTTPResponse'", "http_response"), ("'already_snake'", "already_snake")],
                f"{to_snake}_names"),
        _checks(rng, to_camel, back + [("'x'", "x")], f"{to_camel}_names"),
        _txt["test"].format(e1=[camel(w) for w in words], to_camel=to_camel, to_snake=to_snake))
    return assemble(rng, "case_conversion", _txt["topic"].format(why=why), module, tests, [
        fill(_txt["explain_1"], why=why, to_snake=to_snake, to_camel=to_camel),
        [how],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"]), regex=regex)


def _lesson_edit_distance(rng: random.Random) -> Lesson:
    _txt = lesson_text("edit_distance")
    use = rng.choice(fill(_txt["use_1"]))
    fn = rng.choice(["edit_distance", "levenshtein", "distance"])
    suggest_fn = rng.choice(["closest", "suggest", "best_match"])
    pairs = rng.sample(lesson_rows("edit_distance", "EDIT_PAIRS"), 4)
    rows_only = rng.random() < 0.5
    dp, how = (_txt["dp"], _txt["how"]) if rows_only else (_txt["dp_2"], _txt["how_2"])
    words = sorted({w for p in pairs for w in p})
    probe = rng.choice(words)[::-1][:4] + "e"
    best = min(words, key=lambda w: (levenshtein_distance(probe, w), w))
    module = _txt["module"].format(use=use, fn=fn, dp=dp, suggest_fn=suggest_fn)
    tests = _tests(
        [fn, suggest_fn],
        _checks(rng, fn, [(f"{a!r}, {b!r}", levenshtein_distance(a, b)) for a, b in pairs], f"{fn}_pairs"),
        _txt["test"].format(fn=fn, e1=pairs[0][0], e2=pairs[0][1]),
        _txt["test_2"].format(suggest_fn=suggest_fn, probe=probe, words=words, best=best))
    return assemble(rng, "edit_distance", f"edit distance for {use}", module, tests, [
        fill(_txt["explain_1"], use=use, fn=fn, suggest_fn=suggest_fn),
        [how,
         _txt["explain_4"]],
        fill(_txt["explain_2"], suggest_fn=suggest_fn)],
        fill(_txt["exercise_1"]), rows_only=rows_only)


def _lesson_coin_change(rng: random.Random) -> Lesson:
    _txt, (unit, story, denoms) = lesson_scene(rng, "coin_change", "COIN_SCENES")
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

    module = _txt["module"].format(story=story, e1=tuple(denoms), fn=fn, unit=unit, ways_fn=ways_fn)
    greedy_trap = ""
    if unit == "weights":
        greedy_trap = _txt["greedy_trap"].format(fn=fn)
    elif unit == "stamps":
        greedy_trap = _txt["greedy_trap_2"].format(fn=fn)
    tests = _tests(
        [fn, ways_fn],
        _checks(rng, fn, [(str(t), fewest(t)) for t in targets] + [("0", 0)], f"{fn}_amounts"),
        _checks(rng, ways_fn, [(str(t), ways(t)) for t in targets[:3]], f"{ways_fn}_amounts"),
        _txt["test"].format(fn=fn, ways_fn=ways_fn),
        greedy_trap)
    return assemble(rng, "coin_change", _txt["topic"].format(story=story), module, tests, [
        fill(_txt["explain_1"], story=story, e1=', '.join(map(str, denoms)), fn=fn, ways_fn=ways_fn),
        fill(_txt["explain_2"], ways_fn=ways_fn),
        fill(_txt["explain_3"])],
        fill(_txt["exercise_1"], fn=fn), scene=unit)


def _lesson_bst(rng: random.Random) -> Lesson:
    _txt, (what, key, pool) = lesson_scene(rng, "bst", "BST_SCENES")
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
        insert_src = _txt["insert_src"].format(key=key, node=node)
        how = _txt["how"]
    else:
        insert_src = _txt["insert_src_2"].format(key=key, node=node)
        how = _txt["how_2"]
    module = _txt["module"].format(what=what, node=node, key=key, cls=cls, insert_src=insert_src)
    tests = _tests(
        [cls],
        _txt["test"].format(keys=keys, cls=cls),
        _txt["test_2"].format(e1=sorted(keys)),
        _txt["test_3"].format(e1=keys[0], absent=absent),
        _txt["test_4"].format(e1=keys[1], e2=len(keys)),
        _txt["test_5"].format(e1=height(keys), cls=cls))
    return assemble(rng, "bst", f"binary search trees: {what}", module, tests, [
        fill(_txt["explain_1"], what=what, key=key, cls=cls),
        [how,
         _txt["explain_4"]],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"], key=key), recursive_insert=recursive_insert)


def _lesson_semver(rng: random.Random) -> Lesson:
    _txt, (where, _) = lesson_scene(rng, "semver", "SEMVER_SCENES")
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
        cls_head = _txt["cls_head"]
        extra = ""
        how = _txt["how"]
        sort_expr = "sorted(texts, key=" + parse_fn + ")"
    else:
        cls_head = "@dataclass(frozen=True)"
        extra = _txt["extra"]
        how = _txt["how_2"]
        sort_expr = _txt["sort_expr"].format(parse_fn=parse_fn)
    by_regex = rng.random() < 0.5
    if by_regex:
        head = _txt["head"]
        parse_src = _txt["parse_src"].format(parse_fn=parse_fn, cls=cls)
        parse_note = _txt["parse_note"]
    else:
        head = _txt["head_2"]
        parse_src = _txt["parse_src_2"].format(parse_fn=parse_fn, cls=cls)
        parse_note = _txt["parse_note_2"]
    module = _txt["module"].format(where=where, head=head, cls_head=cls_head, cls=cls, extra=extra,
                                   e1='self >= other' if order_via == 'dataclass_order' else 'self.key() >= other.key()',
                                   parse_src=parse_src, latest_fn=latest_fn, sort_expr=sort_expr)
    a, b, c = compat_base
    tests = _tests(
        [cls, parse_fn, latest_fn],
        _txt["test"].format(parse_fn=parse_fn, e1=texts[0], cls=cls, e2=versions[0]),
        _txt["test_2"].format(latest_fn=latest_fn, shuffled=shuffled, e1=texts[-1]),
        _txt["test_3"].format(latest_fn=latest_fn),
        _txt["test_4"].format(cls=cls, a=a, b=b, c=c, e1=c + 1, e2=b + 1, e3=a + 1),
        _txt["test_5"].format(parse_fn=parse_fn))
    return assemble(rng, "semver", f"semantic versions for {where}", module, tests, [
        fill(_txt["explain_1"], where=where, parse_fn=parse_fn, cls=cls, latest_fn=latest_fn),
        [how, parse_note],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"]), order=order_via, regex=by_regex)


def _lesson_log_parsing(rng: random.Random) -> Lesson:
    _txt, (system, verbs, targets, verb_name, target_name) = lesson_scene(rng, "log_parsing", "LOG_SCENES")
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
        entry_src = _txt["entry_src"].format(verb_name=verb_name, target_name=target_name)
        entry_type, build = "Entry", _txt["text"].format(verb_name=verb_name, target_name=target_name)
        get_level, get_verb = "entry.level", f"entry.{verb_name}"
        head = _txt["head"]
    else:
        entry_src = _txt["entry_src_2"].format(verb_name=verb_name, target_name=target_name)
        entry_type, build = "Entry", _txt["text_2"].format(verb_name=verb_name, target_name=target_name)
        get_level, get_verb = "entry[1]", "entry[2]"
        head = _txt["head_2"]
    module = _txt["module"].format(system=system, head=head, entry_src=entry_src, fn=fn, entry_type=entry_type,
                                   verb_name=verb_name, target_name=target_name, build=build, summary_fn=summary_fn,
                                   get_level=get_level, get_verb=get_verb)
    first = entries[0]
    built = (f"Entry{first[:4] + (first[4],)!r}" if as_dataclass else repr(first))
    tests = _tests(
        [fn, summary_fn] + (["Entry"] if as_dataclass else []),
        _txt["test"].format(lines=lines),
        _txt["test_2"].format(fn=fn, built=built),
        _txt["test_3"].format(fn=fn),
        _txt["test_4"].format(summary_fn=summary_fn, min_level=min_level, expected=expected),
        _txt["test_5"].format(summary_fn=summary_fn, e1=sum(1 for e in entries if e[1] == 'ERROR')))
    return assemble(rng, "log_parsing", f"parsing a {system}'s log", module, tests, [
        fill(_txt["explain_1"], system=system, verb_name=verb_name, target_name=target_name, fn=fn,
             summary_fn=summary_fn),
        [_txt["explain_4"],
         (_txt["explain_5"] if as_dataclass else
          _txt["explain_6"])],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"], target_name=target_name), dataclass=as_dataclass)
