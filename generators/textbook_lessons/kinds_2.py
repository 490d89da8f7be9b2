"""Lesson kinds, part 2 of the library (generators/textbook_lessons/__init__.py)."""

import heapq
import random
from collections import deque
from datetime import date, timedelta
from typing import Any

from .base import Lesson, _checks, _raises, _tests, assemble, fill, lesson_rows, lesson_scene, lesson_table, lesson_text


def _lesson_intervals(rng: random.Random) -> Lesson:
    _txt, (plural, what, s_name, e_name, unit) = lesson_scene(rng, "intervals", "INTERVAL_SCENES")
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
        head = _txt["head"].format(cls=cls, unit=unit, s_name=s_name, e_name=e_name)
        get_s, get_e, make = f".{s_name}", f".{e_name}", cls
        data = _txt["data"].format(const=const, cls=cls, ivs=ivs)
        touching = f"[{cls}(5, 8), {cls}(1, 5)]"
        names = [cls, fn, busy_fn]
    else:
        cls = "Span"
        head = _txt["head_2"]
        get_s, get_e, make = "[0]", "[1]", ""
        data = _txt["data_2"].format(const=const, ivs=ivs)
        touching = "[(5, 8), (1, 5)]"
        names = [fn, busy_fn]
    module = _txt["module"].format(what=what, head=head, fn=fn, plural=plural, cls=cls, get_s=get_s, get_e=get_e,
                                   make=make, busy_fn=busy_fn, unit=unit)
    tests = _tests(
        names,
        data,
        _txt["test"].format(fn=fn, const=const, expected=expected),
        _txt["test_2"].format(busy_fn=busy_fn, const=const, covered=covered),
        _txt["test_3"].format(plural=plural, fn=fn, touching=touching),
        _txt["test_4"].format(plural=plural, fn=fn, busy_fn=busy_fn))
    return assemble(rng, "intervals", f"merging overlapping {what}", module, tests, [
        fill(_txt["explain_1"], what=what, unit=unit, fn=fn, busy_fn=busy_fn),
        fill(_txt["explain_2"]),
        [(_txt["explain_6"].format(s_name=s_name, e_name=e_name)) if use_class else
         _txt["explain_7"],
         _txt["explain_8"]]],
        fill(_txt["exercise_1"], what=what), named_tuple=use_class, scene=plural)


def _lesson_matrix(rng: random.Random) -> Lesson:
    _txt, (var, what) = lesson_scene(rng, "matrix", "MATRIX_SCENES")
    op = rng.choice(["transpose", "rotate", "multiply", "flip"])
    rows, cols = rng.randint(2, 4), rng.randint(2, 4)
    m = [[rng.randint(0, 9) for _ in range(cols)] for _ in range(rows)]
    alias = rng.choice(["Matrix", "Grid", "Rows"])
    if op == "transpose":
        fn = rng.choice(["transpose", "swap_axes", "columns_as_rows"])
        body = (_txt["body"].format(var=var) if rng.random() < 0.5 else
                _txt["body_2"].format(var=var))
        expected: Any = [list(c) for c in zip(*m, strict=True)]
        sig, call = f"{var}: {alias}", f"{fn}(M)"
        idea = _txt["idea"]
        prop = _txt["prop"].format(fn=fn)
    elif op == "rotate":
        fn = rng.choice(["rotate_clockwise", "turn_right", "rotate_90"])
        body = _txt["body_3"].format(var=var)
        expected = [list(r) for r in zip(*m[::-1], strict=True)]
        sig, call = f"{var}: {alias}", f"{fn}(M)"
        idea = (_txt["idea_2"]).replace("{var}", var)
        prop = _txt["prop_2"].format(fn=fn)
    elif op == "flip":
        fn = rng.choice(["mirror", "flip_horizontal", "reflect"])
        body = _txt["body_4"].format(var=var)
        expected = [r[::-1] for r in m]
        sig, call = f"{var}: {alias}", f"{fn}(M)"
        idea = _txt["idea_3"]
        prop = _txt["prop_3"].format(fn=fn)
    else:
        fn = rng.choice(["matmul", "multiply", "product"])
        width = rng.randint(2, 3)
        other = [[rng.randint(-3, 3) for _ in range(width)] for _ in range(cols)]
        body = _txt["body_5"].format(var=var)
        expected = [[sum(a * b for a, b in zip(row, col, strict=True)) for col in zip(*other, strict=True)]
                    for row in m]
        sig, call = f"{var}: {alias}, other: {alias}", f"{fn}(M, {other!r})"
        idea = _txt["idea_4"]
        identity = [[1 if i == j else 0 for j in range(cols)] for i in range(cols)]
        prop = (_txt["prop_4"].format(fn=fn, identity=identity)
                + _raises(f"{fn}_shape_mismatch", f"{fn}(M, [[1]] * {cols + 1})"))
    module = _txt["module"].format(what=what, alias=alias, fn=fn, sig=sig, body=body)
    tests = _tests([fn], _txt["test"].format(m=m), _txt["test_2"].format(fn=fn, call=call, expected=expected), prop,
                   _txt["test_3"].format(fn=fn, call=call))
    return assemble(rng, "matrix", _txt["topic"].format(what=what, fn=fn), module, tests, [
        fill(_txt["explain_1"], what=what, fn=fn, alias=alias),
        [idea],
        fill(_txt["explain_2"]),
        ["" if op == "multiply" else _txt["explain_6"],
         _txt["explain_7"]]],
        fill(_txt["exercise_1"]), op=op, scene=var)


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
    _txt = lesson_text("rpn")
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
    head, apply = {"operator_module": (_txt["head"], _txt["apply"]), "lambdas": (_txt["head_2"], _txt["apply_2"]),
                   "branches": (_txt["head_3"], _txt["apply_3"])}[dispatch]
    module = _txt["module"].format(head=head, fn=fn, stack_name=stack_name, apply=apply)
    cases = [(repr(e), _rpn(e.split())) for e in exprs] + [(repr(div), _rpn(div.split()))]
    tests = _tests(
        [fn],
        _checks(rng, fn, cases, f"{fn}_expressions"),
        _txt["test"].format(fn=fn),
        _txt["test_2"].format(fn=fn))
    return assemble(rng, "rpn", _txt["topic"].format(fn=fn), module, tests, [
        fill(_txt["explain_1"], fn=fn),
        [_txt["explain_4"],
         {"operator_module": _txt["explain_5"],
          "lambdas": _txt["explain_6"],
          "branches": _txt["explain_7"]}[dispatch]],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"]), dispatch=dispatch)


def _lesson_queue(rng: random.Random) -> Lesson:
    _txt, (cls, item, where, pool) = lesson_scene(rng, "queue", "QUEUE_SCENES")
    add, take = rng.choice([("join", "serve"), ("enqueue", "dequeue"), ("push", "pop_next"), ("arrive", "next_up")])
    items = rng.sample(pool, 4)
    served = rng.randint(1, 3)
    capacity = rng.choice([None, 5, 6])
    cap_line = (_txt["cap_line"].format(capacity=capacity)
                if capacity else _txt["cap_line_2"])
    cap_check = (_txt["cap_check"].format(where=where)
                 if capacity else "")
    module = _txt["module"].format(where=where, cls=cls, e1=item.capitalize(), cap_line=cap_line, add=add, item=item,
                                   cap_check=cap_check, take=take)
    blocks = fill(_txt["blocks_1"], cls=cls, items=items, add=add, take=take, served=served, e1=items[:served],
                  e2=4 - served, e3=items[0], item=item)
    if capacity:
        blocks.append(_txt["text"].format(cls=cls, add=add))
    tests = _tests([cls], *blocks)
    return assemble(rng, "queue", _txt["topic"].format(where=where), module, tests, [
        fill(_txt["explain_1"], e1=where[0].upper() + where[1:], item=item, cls=cls, add=add, take=take, where=where),
        fill(_txt["explain_2"], add=add, take=take, item=item),
        [(_txt["explain_6"].format(capacity=capacity)) if capacity else
         _txt["explain_7"],
         _txt["explain_8"]]],
        fill(_txt["exercise_1"], item=item, cls=cls, where=where), cls=cls, capacity=capacity)


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
    _txt = lesson_text("bfs")
    kind, what, pool = rng.choice(lesson_rows("bfs", "GRAPH_SCENES"))
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
        module = _txt["module"].format(what=what, fn=fn, graph=graph)
        blocks = fill(_txt["blocks_1"], fn=fn, start=start, dist=dist, isolated=isolated)
    else:
        fn = rng.choice(["shortest_route", "fewest_hops", "find_path"])
        target = max(dist, key=lambda n: (dist[n], n))
        module = _txt["module_2"].format(what=what, fn=fn, graph=graph)
        blocks = fill(_txt["blocks_2"], fn=fn, start=start, target=target, e1=dist[target] + 1, isolated=isolated)
    tests = _tests([fn], _txt["test"].format(adj=adj), *blocks)
    return assemble(rng, "bfs", _txt["topic"].format(what=what), module, tests, [
        fill(_txt["explain_1"], what=what, e1=kind[:-1], kind=kind, fn=fn),
        fill(_txt["explain_2"]),
        [_txt["explain_6"].format(isolated=isolated)
         + (_txt["explain_7"] if variant == "distances" else "by returning None."),
         (_txt["explain_8"]
          if variant == "path" else _txt["explain_9"])]],
        fill(_txt["exercise_1"]), variant=variant, scene=kind)


def _lesson_toposort(rng: random.Random) -> Lesson:
    _txt, (what, unit, chain) = lesson_scene(rng, "toposort", "TOPO_SCENES")
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
    module = _txt["module"].format(what=what, unit=unit, fn=fn, req=req)
    tests = _tests(
        [fn],
        _txt["test"].format(deps=deps),
        _txt["test_2"].format(fn=fn, order=order),
        _txt["test_3"].format(unit=unit, fn=fn),
        _raises(f"{fn}_cycle", f"{fn}({{{a!r}: [{b!r}], {b!r}: [{a!r}]}})", match="cycle"),
        _txt["test_4"].format(fn=fn))
    return assemble(rng, "toposort", f"topological sorting of {what}", module, tests, [
        fill(_txt["explain_1"], unit=unit, what=what, fn=fn),
        fill(_txt["explain_2"]),
        fill(_txt["explain_3"])],
        fill(_txt["exercise_1"], unit=unit), scene=what)


WEEKDAYS = lesson_table("dates", "WEEKDAYS")


def _lesson_dates(rng: random.Random) -> Lesson:
    _txt = lesson_text("dates")
    fn, what, a_name, b_name = rng.choice(lesson_rows("dates", "DATE_SCENES"))
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
    module = _txt["module"].format(what=what, fmt_name=fmt_name, fmt=fmt, parse_fn=parse_fn, fn=fn, a_name=a_name,
                                   b_name=b_name, weekday_fn=weekday_fn)
    tests = _tests(
        [fn, parse_fn, weekday_fn],
        _txt["test"].format(parse_fn=parse_fn, e1=show(first), e2=first.year, e3=first.month, e4=first.day),
        _checks(rng, fn, [(f"{show(first)!r}, {show(second)!r}", (second - first).days),
                          (f"{show(second)!r}, {show(first)!r}", (first - second).days),
                          (f"{show(first)!r}, {show(first)!r}", 0)], f"{fn}_examples"),
        _txt["test_2"].format(weekday_fn=weekday_fn, e1=show(second), e2=WEEKDAYS[second.weekday()]),
        _txt["test_3"].format(parse_fn=parse_fn, e1=show(leap)),
        _txt["test_4"].format(parse_fn=parse_fn),
        imports=(_txt["test_5"],))
    return assemble(rng, "dates", f"dates and `datetime`: {what}", module, tests, [
        fill(_txt["explain_1"], what=what, fn=fn, fmt_name=fmt_name, e1=show(first)),
        fill(_txt["explain_2"], fmt=fmt),
        fill(_txt["explain_3"])],
        fill(_txt["exercise_1"]), format=fmt, fn=fn)


def _lesson_validation(rng: random.Random) -> Lesson:
    _txt, (field, fn, where, low, high, extra, allowed_text) = lesson_scene(rng, "validation", "VALIDATION_SCENES")
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
        allowed = _txt["allowed"].format(extra=extra)
    elif lower_only:
        allowed = _txt["allowed_2"].format(extra=extra)
    else:
        allowed = _txt["allowed_3"].format(extra=extra)
    good_pool = {"username": ["ada_l", "grace99", "linus_t", "tim"], "product_code": ["AB-123", "XK9-77", "QQ-0001"],
                 "nickname": ["bo", "sky.walker", "zed.9"], "room_name": ["Blue Room", "Lab 4", "Main Hall"],
                 "tag": ["python", "web-dev", "ml-101"]}[field]
    bad_pool = ["x", "9lives", extra + "start", "has space!" if extra != " " else "semi;colon", "über" + "a" * 3,
                "a" * (high + 1)]
    samples = rng.sample(good_pool, 2) + rng.sample(bad_pool, 3)
    if collect:
        sig = _txt["sig"].format(fn=fn, field=field)
        doc = _txt["doc"]
        acc = _txt["acc"]
        emit = "problems.append"
        ret = "    return problems"
    else:
        sig = _txt["sig_2"].format(fn=fn, field=field)
        doc = _txt["doc_2"]
        acc = ""
        emit = "return "
        ret = "    return None"

    def rule(msg_src: str) -> str:
        return f"{emit}({msg_src})" if collect else f"return {msg_src}"

    module = _txt["module"].format(e1=field.replace('_', ' '), where=where, allowed=allowed, low=low, high=high,
                                   sig=sig, doc=doc, acc=acc, field=field,
                                   e2=rule('f"must be {MIN_LEN} to {MAX_LEN} characters"'),
                                   e3=rule('f"invalid character {bad[0]!r}"'), extra=extra,
                                   e4=rule('"must start with a letter"'), ret=ret)
    if collect:
        cases = [(repr(v), problems(v)) for v in samples]
    else:
        cases = [(repr(v), (problems(v) or [None])[0]) for v in samples]
    op_none = "== []" if collect else "is None"
    tests = _tests(
        [fn],
        _checks(rng, fn, cases, f"{fn}_samples"),
        _txt["test"].format(fn=fn, good_pool=good_pool, op_none=op_none),
        (_txt["test_2"].format(fn=fn, e1='9' + chr(9786) + 'x' * high)
         if collect else
         _txt["test_3"].format(fn=fn, e1='!' * (high + 1), low=low, high=high)))
    return assemble(rng, "validation", _txt["topic"].format(e1=field.replace('_', ' ')), module, tests, [
        fill(_txt["explain_1"], where=where, e1=field.replace('_', ' '), fn=fn, low=low, high=high,
             allowed_text=allowed_text),
        [(_txt["explain_4"]) if collect else
         (_txt["explain_5"]),
         _txt["explain_6"]],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"], e1=field.replace('_', ' ')), field=field, collect=collect)


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
    _txt = lesson_text("state_machine")
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
    table_src = _txt["table_src"] + "".join(_txt["table_src_2"].format(s=s, e=e, t=t) for (s, e), t in table.items()) + "}"
    if use_enum:
        enum_src = _txt["enum_src"] + "".join(_txt["enum_src_2"].format(e1=s.upper(), s=s) for s in states)
        module = _txt["module"].format(e1=what[0].upper() + what[1:], enum_src=enum_src,
                                       e2=''.join((f'    (State.{s.upper()}, {e!r}): State.{t.upper()},{chr(10)}' for (s, e), t in table.items())),
                                       cls=cls, e3=start.upper(), fire=fire, run_fn=run_fn)
    else:
        module = _txt["module_2"].format(e1=what[0].upper() + what[1:], table_src=table_src, cls=cls, start=start,
                                         fire=fire, run_fn=run_fn)
    blocks = fill(_txt["blocks_1"], run_fn=run_fn, seq=seq, valid=valid, start=start, cls=cls)
    if bad_event is not None:
        if use_enum:
            setup = _txt["setup"].format(cls=cls, e1=bad_state.upper())
        else:
            setup = _txt["setup_2"].format(cls=cls, bad_state=bad_state)
        blocks.append(_txt["text"].format(bad_event=bad_event, bad_state=bad_state, setup=setup, fire=fire))
    blocks.append(_txt["text_2"].format(cls=cls, fire=fire))
    tests = _tests([cls, run_fn, *(["State"] if use_enum and bad_event is not None else [])], *blocks)
    return assemble(rng, "state_machine", _txt["topic"].format(what=what), module, tests, [
        fill(_txt["explain_1"], e1=what[0].upper() + what[1:], e2=', '.join(states), what=what, cls=cls),
        [(_txt["explain_4"]) if use_enum else
         (_txt["explain_5"]),
         _txt["explain_6"].format(fire=fire)],
        fill(_txt["explain_2"], run_fn=run_fn)],
        fill(_txt["exercise_1"], cls=cls), machine=cls, enum=use_enum)


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
    _txt = lesson_text("text_table")
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
        return _txt["text"].join(x.rstrip() for x in out)

    pad = (_txt["pad"] if use_fstring else
           _txt["pad_2"])
    module = _txt["module"].format(name=name, sep=sep, fn=fn, pad=pad, rule_char=rule_char)
    expected = render(headers, rows)
    tests = _tests(
        [fn],
        _txt["test"].format(headers=headers, rows=rows),
        _txt["test_2"].format(fn=fn, name=name, expected=expected),
        _txt["test_3"].format(fn=fn),
        _txt["test_4"].format(fn=fn, e1=render(['a', 'bb'], []).splitlines()[1]),
        _raises("ragged_rows", f"{fn}(['a', 'b'], [[1]])"))
    return assemble(rng, "text_table", _txt["topic"].format(name=name), module, tests, [
        fill(_txt["explain_1"], name=name, fn=fn),
        [(_txt["explain_4"]) if use_fstring else
         (_txt["explain_5"]),
         _txt["explain_6"]],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"]), scene=name, fstring=use_fstring)


def _lesson_sorting(rng: random.Random) -> Lesson:
    _txt = lesson_text("sorting")
    algo = rng.choice(["insertion", "merge", "selection", "counting"])
    use_words = algo != "counting" and rng.random() < 0.45
    if use_words:
        data_name, what, pool = rng.choice(lesson_rows("sorting", "SORT_WORDS"))
        data: list = rng.sample(pool, rng.randint(6, 10))
        item_t = "str"
    else:
        data_name, what = rng.choice(lesson_rows("sorting", "SORT_SCENES"))
        data = [rng.randint(0, 60) for _ in range(rng.randint(6, 11))]
        item_t = "int"
    descending = rng.random() < 0.3 and algo != "counting"
    fn = rng.choice([f"{algo}_sort", f"sort_{data_name}", f"{algo}_sorted"])
    one = "x" if use_words else 7
    cmp = ">" if descending else "<"
    if algo == "insertion":
        body = _txt["body"].format(data_name=data_name, cmp=cmp)
        idea = _txt["idea"]
        helper = ""
    elif algo == "selection":
        body = _txt["body_2"].format(data_name=data_name, cmp=cmp)
        idea = (_txt["idea_2"] + ("largest" if descending else "smallest") + _txt["idea_3"])
        helper = ""
    elif algo == "merge":
        helper = _txt["helper"].format(item_t=item_t,
                                       e1='left[i] >= right[j]' if descending else 'left[i] <= right[j]')
        body = _txt["body_3"].format(data_name=data_name, fn=fn)
        idea = _txt["idea_4"]
    else:
        body = _txt["body_4"].format(data_name=data_name)
        idea = _txt["idea_5"].format(what=what)
        helper = ""
    module = _txt["module"].format(what=what, algo=algo, helper=helper, fn=fn, data_name=data_name, item_t=item_t,
                                   e1='descending' if descending else 'ascending', body=body)
    expected = sorted(data, reverse=descending)
    blocks = fill(_txt["blocks_1"], e1=data_name.upper(), data=data, fn=fn, data_name=data_name, expected=expected,
                  one=one, e2='str((i * 7) % 5)' if use_words else '(i * 7) % 5',
                  e3=', reverse=True' if descending else '')
    if algo == "counting":
        blocks.append(_raises("negative_values", f"{fn}([3, -1])"))
    tests = _tests([fn], *blocks)
    return assemble(rng, "sorting", f"{algo} sort on {what}", module, tests, [
        fill(_txt["explain_1"], what=what, algo=algo, e1=algo.capitalize()),
        [idea],
        fill(_txt["explain_2"])],
        fill(_txt["exercise_1"], fn=fn), algo=algo, descending=descending)
