"""Sequential and error-correcting function-calling traces: calls that depend on what an earlier call returned.

- sequential: CHAINS maps a name to a planner whose second (or third) call takes its arguments from the parsed real
  output of the first, e.g. haversine_distance -> travel_time(distance_km=<the km it returned>). Some chains fan out
  in parallel after a lookup (sql_list_tables -> one sql_count_rows per table). A chain rejects its task when an
  output does not parse or lacks what the next call needs; it never fills the gap itself.
- error_correct: MISTAKES gives, per function, a plausible schema-valid wrong argument (a spelled-out unit, a
  DD/MM/YYYY date, a percentage where a fraction belongs, a key without its prefix ...). The wrong call runs and
  must fail for real; the assistant reads the error, looks something up when the error does not say enough, and
  retries with the corrected argument, which must then succeed.
"""

import json
import tomllib
from collections.abc import Callable, Generator
from datetime import date
from functools import cache
from typing import Any

from generators.fc_args import long_date
from generators.fc_phrasing import fields, fill, is_error, parse_output, request_slots
from generators.fc_world import DATA, banks, fmt
from generators.grounded import Reject, Script, Turn

CHAINS: dict[str, Callable] = {}


@cache
def phrases() -> dict[str, Any]:
    return tomllib.loads((DATA / "chains.toml").read_text(encoding="utf-8"))


def chain(name: str) -> Callable:
    def register(fn: Callable) -> Callable:
        CHAINS[name] = fn
        return fn

    return register


def say(c: Any, key: str, field_: str, slots: dict) -> str:
    """Fill one of the chain's templates (`ask` or `say`) whose slots all resolve."""
    values = {k: v if isinstance(v, str) else request_slots({"v": v}, {})["v"] for k, v in slots.items()}
    templates = [t for t in phrases()[key][field_] if fields(t) <= set(values)]
    if not templates:
        raise Reject(f"chain {key}: no {field_} template fits {sorted(values)}")
    return fill(c.r.choice(templates), values)


def value_of(out: str, what: str) -> Any:
    value = parse_output(out)
    if is_error(value):
        raise Reject(f"{what} failed: {out[:160]}")
    return value


def result(fn: str, args: dict, content: str | None = None) -> Generator[Turn, list[str] | None, Any]:
    """One call of `fn` as an assistant turn (saying `content` with it); returns the call's parsed value."""
    out = yield Turn([(fn, args)], content=content)
    assert out is not None
    return value_of(out[0], fn)


def start(c: Any, key: str, needed: list[str], slots: dict, domain: str, extra_tools: int = 6) -> None:
    """Offer the chain's tools plus distractors, and phrase the user's request."""
    c.setup(needed, c.distractors(needed, c.r.randint(len(set(needed)) + 1, len(set(needed)) + extra_tools)))
    c.facets["chain"] = key


def ask(c: Any, key: str, slots: dict, domain: str) -> None:
    c.user = c.decorate(domain, say(c, key, "ask", slots))


def lead(c: Any, text: str) -> str:
    opener = c.r.choice(c.voiced("answer_leads"))
    return f"{opener} {text}" if opener else text


def between(c: Any, key: str, slots: dict) -> str | None:
    """What the assistant says before its dependent call (sometimes nothing)."""
    if "then" not in phrases()[key] or c.r.random() < 0.35:
        return None
    return say(c, key, "then", slots)


def kv_put(c: Any, key: str, value: str) -> None:
    """Make sure the world's key-value store holds key=value (chains need a specific kind of entry)."""
    store = json.loads(c.world.files[".state/kv.json"])
    store[key] = value
    c.world.files[".state/kv.json"] = json.dumps(store, indent=1, sort_keys=True)


# ---------------------------------------------------------------------------------------------------------------
# chains

@chain("kv_temp_convert")
def ch_kv_temp(c: Any) -> Script:
    key = c.r.choice(["sensor:greenhouse:temp_c", "sensor:attic:temp_c", "sensor:garage:temp_c"])
    start(c, "kv_temp_convert", ["kv_get", "convert_temperature"], {}, "kv")
    kv_put(c, key, f"{c.r.uniform(-5, 35):.1f}")
    slots = {"key": key, "place": key.split(":")[1]}
    ask(c, "kv_temp_convert", slots, "kv")
    raw = (yield from result("kv_get", {"key": key}, content=c.preamble(0.2)))["value"]
    try:
        celsius = float(raw)
    except ValueError:
        raise Reject(f"stored temperature {raw!r} is not a number") from None
    f = yield from result("convert_temperature", {"value": celsius, "from_unit": "C", "to_unit": "F"},
                          content=between(c, "kv_temp_convert", slots | {"c": raw}))
    return lead(c, say(c, "kv_temp_convert", "say", slots | {"c": raw, "f": f}))


@chain("kv_zone_meeting")
def ch_kv_zone(c: Any) -> Script:
    start(c, "kv_zone_meeting", ["kv_get", "convert_timezone"], {}, "kv")
    here, there = c.r.sample(banks()["cities"], 2)
    kv_put(c, "config:timezone", there[3])
    d = date(2026, c.r.randint(1, 12), c.r.randint(1, 28))
    hh = c.r.randint(7, 19)
    slots = {"city": here[0], "time": f"{hh:02d}:{c.r.choice(['00', '30'])}", "day": long_date(d)}
    ask(c, "kv_zone_meeting", slots, "kv")
    zone = (yield from result("kv_get", {"key": "config:timezone"}))["value"]
    res = yield from result("convert_timezone", {"datetime": f"{d.isoformat()}T{slots['time']}", "from_tz": here[3],
                                                 "to_tz": zone}, content=between(c, "kv_zone_meeting", slots | {"zone": zone}))
    return lead(c, say(c, "kv_zone_meeting", "say", slots | {"zone": zone, "at": res["datetime"].replace("T", " "),
                                                            "weekday": res["weekday"]}))


@chain("kv_flags")
def ch_kv_flags(c: Any) -> Script:
    start(c, "kv_flags", ["kv_list_keys", "kv_get"], {}, "kv")
    for flag in c.r.sample(["beta_search", "dark_mode", "new_checkout", "ai_summary"], c.r.randint(2, 3)):
        kv_put(c, f"feature:{flag}", c.r.choice(["on", "off"]))
    ask(c, "kv_flags", {}, "kv")
    keys = yield from result("kv_list_keys", {"prefix": "feature:"})
    if not keys or len(keys) > 4:
        raise Reject("unexpected feature keys")
    outs = yield Turn([("kv_get", {"key": k}) for k in keys], content=between(c, "kv_flags", {"n": str(len(keys))}))
    assert outs is not None
    vals = [value_of(o, "kv_get")["value"] for o in outs]
    on = [k.split(":")[1] for k, v in zip(keys, vals, strict=True) if v == "on"]
    off = [k.split(":")[1] for k, v in zip(keys, vals, strict=True) if v != "on"]
    from generators.fc_phrasing import human_list

    return lead(c, say(c, "kv_flags", "say", {"on": human_list(on) or "none", "off": human_list(off) or "none",
                                              "n": str(len(keys))}))


@chain("readings_stats")
def ch_readings(c: Any) -> Script:
    start(c, "readings_stats", ["fs_read", "describe_numbers"], {}, "files")
    ask(c, "readings_stats", {"path": "data/readings.txt"}, "files")
    text = yield from result("fs_read", {"path": "data/readings.txt"}, content=c.preamble(0.2))
    try:
        nums = [float(x) for x in text.split()]
    except ValueError:
        raise Reject("readings file has non-numbers") from None
    nums = [int(x) if x.is_integer() else x for x in nums]
    d = yield from result("describe_numbers", {"values": nums},
                          content=between(c, "readings_stats", {"n": str(len(nums))}))
    return lead(c, say(c, "readings_stats", "say", {k: fmt(v) for k, v in d.items()}))


@chain("essay_words")
def ch_essay(c: Any) -> Script:
    start(c, "essay_words", ["fs_read", "word_count"], {}, "files")
    path = "drafts/essay.md"
    ask(c, "essay_words", {"path": path}, "files")
    text = yield from result("fs_read", {"path": path})
    wc = yield from result("word_count", {"text": text}, content=between(c, "essay_words", {}))
    return lead(c, say(c, "essay_words", "say", {"path": path} | {k: fmt(v) for k, v in wc.items()}))


@chain("search_then_read")
def ch_search_read(c: Any) -> Script:
    start(c, "search_then_read", ["fs_search", "fs_read"], {}, "files")
    lines = [x for p in c.world.facts["notes"] for x in c.world.files[p].splitlines()]
    word = c.r.choice(sorted({w.strip(".:,").lower() for x in lines for w in x.split() if len(w) > 6}))
    slots = {"word": word}
    ask(c, "search_then_read", slots, "files")
    hits = yield from result("fs_search", {"pattern": f"(?i){word}"})
    if not hits:
        raise Reject("search found nothing")
    path = hits[0]["path"]
    body = yield from result("fs_read", {"path": path}, content=between(c, "search_then_read", slots | {"path": path}))
    return lead(c, say(c, "search_then_read", "say", slots | {"path": path, "body": body.strip()}))


@chain("list_then_read")
def ch_list_read(c: Any) -> Script:
    start(c, "list_then_read", ["fs_list", "fs_read"], {}, "files")
    path = c.r.choice(c.world.facts["notes"])
    topic = path.split("/")[1].removesuffix(".txt")
    slots = {"topic": topic}
    ask(c, "list_then_read", slots, "files")
    files = yield from result("fs_list", {"directory": "notes"})
    match = [p for p in files if topic in p]
    if len(match) != 1:
        raise Reject(f"expected one {topic} file, found {match}")
    value = yield from result("fs_read", {"path": match[0]}, content=between(c, "list_then_read", slots | {"path": match[0]}))
    return lead(c, say(c, "list_then_read", "say", slots | {"path": match[0], "body": value.strip()}))


@chain("table_sizes")
def ch_tables(c: Any) -> Script:
    start(c, "table_sizes", ["sql_list_tables", "sql_count_rows"], {}, "sql")
    ask(c, "table_sizes", {}, "sql")
    tables = yield from result("sql_list_tables", {})
    outs = yield Turn([("sql_count_rows", {"table": t}) for t in tables], content=between(c, "table_sizes", {}))
    assert outs is not None
    counts = [value_of(o, "sql_count_rows") for o in outs]
    listing = "\n".join(f"- {t}: {n} rows" for t, n in zip(tables, counts, strict=True))
    return lead(c, say(c, "table_sizes", "say", {"listing": listing, "n": str(len(tables))}))


@chain("price_median")
def ch_price_median(c: Any) -> Script:
    start(c, "price_median", ["sql_select", "calculate_median"], {}, "sql")
    cat = c.r.choice(c.world.facts["sql"]["categories"])
    slots = {"category": cat}
    ask(c, "price_median", slots, "sql")
    value = yield from result("sql_select", {"query": f"SELECT price FROM products WHERE category = '{cat}'"})
    prices = [row["price"] for row in value]
    if not prices:
        raise Reject("no prices")
    value = yield from result("calculate_median", {"values": prices}, content=between(c, "price_median", slots))
    return lead(c, say(c, "price_median", "say", slots | {"median": fmt(value),
                                                         "n": str(len(prices))}))


@chain("customer_orders")
def ch_customer_orders(c: Any) -> Script:
    start(c, "customer_orders", ["sql_select"], {}, "sql")
    _, name, _ = c.r.choice(c.world.facts["sql"]["customers"])
    slots = {"name": name}
    ask(c, "customer_orders", slots, "sql")
    rows = yield from result("sql_select", {"query": f"SELECT id FROM customers WHERE name = '{name}'"})
    if len(rows) != 1:
        raise Reject("customer lookup is not unique")
    cid = rows[0]["id"]
    res = (yield from result("sql_select", {"query": f"SELECT COUNT(*) AS orders, COALESCE(SUM(quantity), 0) AS items "
                                                      f"FROM orders WHERE customer_id = {cid}"},
                             content=between(c, "customer_orders", slots | {"id": str(cid)})))[0]
    return lead(c, say(c, "customer_orders", "say", slots | {"orders": fmt(res["orders"]), "items": fmt(res["items"])}))


@chain("restock_lowest")
def ch_restock(c: Any) -> Script:
    start(c, "restock_lowest", ["inv_low_stock", "inv_add_stock"], {}, "inventory")
    lowest = min(v["quantity"] for v in c.world.facts["inventory"].values())
    threshold = max(lowest, c.r.choice([3, 5]))
    qty = c.r.choice([10, 20, 25, 30])
    slots = {"threshold": str(threshold), "qty": str(qty)}
    ask(c, "restock_lowest", slots, "inventory")
    low = yield from result("inv_low_stock", {"threshold": threshold})
    if not low:
        raise Reject("nothing low")
    item = low[0]["item"]
    res = yield from result("inv_add_stock", {"item": item, "quantity": qty},
                            content=between(c, "restock_lowest", slots | {"item": item}))
    return lead(c, say(c, "restock_lowest", "say", slots | {"item": item, "was": fmt(low[0]["quantity"]),
                                                           "now": fmt(res["quantity"])}))


@chain("discount_priciest")
def ch_discount(c: Any) -> Script:
    start(c, "discount_priciest", ["inv_list_items", "inv_set_price"], {}, "inventory")
    pct = c.r.choice([10, 15, 20, 25])
    slots = {"pct": str(pct)}
    ask(c, "discount_priciest", slots, "inventory")
    items = yield from result("inv_list_items", {})
    top = max(items, key=lambda i: (i["unit_price"], i["item"]))
    new = round(top["unit_price"] * (1 - pct / 100), 2)
    res = yield from result("inv_set_price", {"item": top["item"], "unit_price": new},
                            content=between(c, "discount_priciest", slots | {"item": top["item"], "old": fmt(top["unit_price"])}))
    return lead(c, say(c, "discount_priciest", "say", slots | {"item": top["item"], "old": fmt(res["old_price"]),
                                                              "new": fmt(res["new_price"])}))


@chain("todo_find_complete")
def ch_todo_done(c: Any) -> Script:
    start(c, "todo_find_complete", ["todo_search", "todo_complete"], {}, "todo")
    task = c.r.choice([t for t in c.world.facts["todo"]["tasks"] if not t["done"]] or [None])
    if task is None:
        raise Reject("no open task")
    word = max(task["title"].split(), key=len)
    slots = {"title": task["title"], "word": word}
    ask(c, "todo_find_complete", slots, "todo")
    value = yield from result("todo_search", {"keyword": word})
    hits = [t for t in value if t["title"] == task["title"] and not t["done"]]
    if len(hits) != 1:
        raise Reject("task not uniquely found")
    yield from result("todo_complete", {"task_id": hits[0]["id"]}, content=between(c, "todo_find_complete", slots | {"id": str(hits[0]["id"])}))
    return lead(c, say(c, "todo_find_complete", "say", slots | {"id": str(hits[0]["id"])}))


@chain("todo_bump_due")
def ch_todo_bump(c: Any) -> Script:
    start(c, "todo_bump_due", ["todo_due_before", "todo_set_priority"], {}, "todo")
    due = sorted(t["due"] for t in c.world.facts["todo"]["tasks"] if t["due"] and not t["done"])
    if not due:
        raise Reject("nothing due")
    cutoff = due[min(len(due) - 1, c.r.randint(0, 2))]
    slots = {"date_long": long_date(date.fromisoformat(cutoff)), "date": cutoff}
    ask(c, "todo_bump_due", slots, "todo")
    tasks = yield from result("todo_due_before", {"date": cutoff})
    first = min(tasks, key=lambda t: (t["due"], t["id"]))
    yield from result("todo_set_priority", {"task_id": first["id"], "priority": "high"}, content=between(c, "todo_bump_due", slots | {"title": first["title"]}))
    return lead(c, say(c, "todo_bump_due", "say", slots | {"title": first["title"], "due": first["due"], "n": str(len(tasks))}))


@chain("cancel_by_title")
def ch_cancel(c: Any) -> Script:
    start(c, "cancel_by_title", ["cal_list_events", "cal_cancel_event"], {}, "calendar")
    ev = c.r.choice(c.world.facts["calendar"]["events"])
    from generators.fc_args_state import pretty_day

    slots = {"title": ev["title"], "day": pretty_day(ev["date"])}
    ask(c, "cancel_by_title", slots, "calendar")
    value = yield from result("cal_list_events", {"date": ev["date"]})
    match = [e for e in value if e["title"] == ev["title"]]
    if len(match) != 1:
        raise Reject("event not uniquely found")
    yield from result("cal_cancel_event", {"event_id": match[0]["id"]}, content=between(c, "cancel_by_title", slots | {"id": str(match[0]["id"]), "start": match[0]["start"]}))
    return lead(c, say(c, "cancel_by_title", "say", slots | {"start": match[0]["start"], "end": match[0]["end"]}))


@chain("book_free_slot")
def ch_book(c: Any) -> Script:
    start(c, "book_free_slot", ["cal_find_free_slot", "cal_create_event"], {}, "calendar")
    from generators.fc_args_state import pretty_day

    day = c.r.choice(c.world.facts["calendar"]["week"])
    minutes = c.r.choice([30, 45, 60, 90])
    title = c.r.choice(["Haircut", "Call with the accountant", "Focus block", "Run", "Grocery pickup", "Visit grandma"])
    slots = {"title": title, "day": pretty_day(day), "minutes": str(minutes)}
    ask(c, "book_free_slot", slots, "calendar")
    slot = yield from result("cal_find_free_slot", {"date": day, "duration_minutes": minutes})
    ev = yield from result("cal_create_event", {"title": title, "date": day, "start": slot["start"], "end": slot["end"]},
                           content=between(c, "book_free_slot", slots | {"start": slot["start"]}))
    return lead(c, say(c, "book_free_slot", "say", slots | {"start": ev["start"], "end": ev["end"], "id": str(ev["id"])}))


@chain("contact_new_phone")
def ch_contact_phone(c: Any) -> Script:
    start(c, "contact_new_phone", ["contact_find", "contact_update"], {}, "contacts")
    firsts = [x["name"].split()[0] for x in c.world.facts["contacts"]]
    unique = [x for x in c.world.facts["contacts"] if firsts.count(x["name"].split()[0]) == 1]
    if not unique:
        raise Reject("no contact with a unique first name")
    who = c.r.choice(unique)
    first = who["name"].split()[0]
    phone = f"+44 7{c.r.randint(100, 999)} {c.r.randint(100000, 999999)}"
    slots = {"first": first, "phone": phone}
    ask(c, "contact_new_phone", slots, "contacts")
    value = yield from result("contact_find", {"query": first})
    hits = [h for h in value if h["name"].split()[0] == first]
    if len(hits) != 1:
        raise Reject("ambiguous first name")
    full = hits[0]["name"]
    res = yield from result("contact_update", {"name": full, "field": "phone", "value": phone},
                            content=between(c, "contact_new_phone", slots | {"full": full}))
    return lead(c, say(c, "contact_new_phone", "say", slots | {"full": full, "old": fmt(res["old"])}))


@chain("contact_age")
def ch_contact_age(c: Any) -> Script:
    start(c, "contact_age", ["contact_find", "age_on"], {}, "contacts")
    people = [x for x in c.world.facts["contacts"] if x.get("birthday")]
    if not people:
        raise Reject("no birthdays")
    who = c.r.choice(people)
    on = date(c.r.choice([2026, 2027]), c.r.randint(1, 12), c.r.randint(1, 28))
    slots = {"name": who["name"], "on_long": long_date(on)}
    ask(c, "contact_age", slots, "contacts")
    hit = yield from result("contact_find", {"query": who["name"]})
    if len(hit) != 1 or not hit[0].get("birthday"):
        raise Reject("contact lookup not unique or without birthday")
    value = yield from result("age_on", {"birth_date": hit[0]["birthday"], "on_date": on.isoformat()}, content=between(c, "contact_age", slots | {"born": hit[0]["birthday"]}))
    return lead(c, say(c, "contact_age", "say", slots | {"age": fmt(value), "born": hit[0]["birthday"]}))


@chain("top_category_details")
def ch_top_cat(c: Any) -> Script:
    start(c, "top_category_details", ["expenses_by_category", "expense_list"], {}, "expenses")
    from generators.fc_args_state import month_words

    month = c.r.choice(c.world.facts["expenses"]["months"])
    slots = {"month_name": month_words(month)}
    ask(c, "top_category_details", slots, "expenses")
    cats = yield from result("expenses_by_category", {"month": month})
    if not cats:
        raise Reject("no spending that month")
    top = cats[0]["category"]
    rows = yield from result("expense_list", {"month": month, "category": top},
                             content=between(c, "top_category_details", slots | {"category": top}))
    listing = "\n".join(f"- {r['date']}: {fmt(r['amount'])} ({r['note']})" for r in rows)
    return lead(c, say(c, "top_category_details", "say", slots | {"category": top, "total": fmt(cats[0]["total"]),
                                                                 "listing": listing, "n": str(len(rows))}))


@chain("month_over_month")
def ch_mom(c: Any) -> Script:
    start(c, "month_over_month", ["expense_total", "percentage_change"], {}, "expenses")
    from generators.fc_args_state import month_words

    a, b = c.world.facts["expenses"]["months"]
    slots = {"a": month_words(a), "b": month_words(b)}
    ask(c, "month_over_month", slots, "expenses")
    outs = yield Turn([("expense_total", {"month": a}), ("expense_total", {"month": b})])
    assert outs is not None
    ta, tb = (value_of(o, "expense_total")["total"] for o in outs)
    if not ta:
        raise Reject("first month has no spending")
    value = yield from result("percentage_change", {"old_value": ta, "new_value": tb}, content=between(c, "month_over_month", slots | {"ta": fmt(ta), "tb": fmt(tb)}))
    return lead(c, say(c, "month_over_month", "say", slots | {"ta": fmt(ta), "tb": fmt(tb),
                                                             "pct": fmt(value)}))


@chain("weekday_after")
def ch_weekday(c: Any) -> Script:
    start(c, "weekday_after", ["add_days", "day_of_week"], {}, "dates")
    from generators.fc_world import a_date

    d = a_date(c.r, 2026, 2027)
    n = c.r.choice([10, 14, 21, 30, 45, 60, 90, 100])
    slots = {"date_long": long_date(d), "n": str(n), "purpose": c.r.choice(["a deadline", "a follow-up visit",
                                                                             "the return date", "the trial end"])}
    ask(c, "weekday_after", slots, "dates")
    target = yield from result("add_days", {"date": d.isoformat(), "days": n})
    value = yield from result("day_of_week", {"date": target}, content=between(c, "weekday_after", slots | {"target": target}))
    return lead(c, say(c, "weekday_after", "say", slots | {"target": target, "weekday": value}))


@chain("days_to_weeks")
def ch_weeks(c: Any) -> Script:
    start(c, "days_to_weeks", ["days_between", "convert_duration"], {}, "dates")
    from generators.fc_world import a_date

    a = a_date(c.r, 2026, 2026)
    b = date.fromordinal(a.toordinal() + c.r.randint(20, 400))
    slots = {"start_long": long_date(a), "end_long": long_date(b), "event": c.r.choice(
        ["the wedding", "my due date", "the marathon", "our move", "the exam", "the launch"])}
    ask(c, "days_to_weeks", slots, "dates")
    days = yield from result("days_between", {"start_date": a.isoformat(), "end_date": b.isoformat()})
    value = yield from result("convert_duration", {"value": days, "from_unit": "day", "to_unit": "week"}, content=between(c, "days_to_weeks", slots | {"days": fmt(days)}))
    return lead(c, say(c, "days_to_weeks", "say", slots | {"days": fmt(days), "weeks": fmt(value)}))


@chain("trip_time")
def ch_trip(c: Any) -> Script:
    start(c, "trip_time", ["haversine_distance", "travel_time"], {}, "geo")
    a, b = c.r.sample(banks()["cities"], 2)
    speed = c.r.choice([80, 100, 250, 800, 900])
    mode = {80: "driving", 100: "by coach", 250: "by fast train", 800: "by plane", 900: "by jet"}[speed]
    slots = {"a": a[0], "b": b[0], "speed": str(speed), "mode": mode}
    ask(c, "trip_time", slots, "geo")
    km = (yield from result("haversine_distance", {"lat1": a[1], "lon1": a[2], "lat2": b[1], "lon2": b[2]}))["km"]
    t = yield from result("travel_time", {"distance_km": km, "speed_kmh": speed},
                          content=between(c, "trip_time", slots | {"km": fmt(km)}))
    return lead(c, say(c, "trip_time", "say", slots | {"km": fmt(km), "h_mm": t["h_mm"], "hours": fmt(t["hours"])}))


@chain("mix_then_contrast")
def ch_mix(c: Any) -> Script:
    start(c, "mix_then_contrast", ["mix_colors", "contrast_ratio"], {}, "color")
    (a, an), (b, bn) = c.r.sample(banks()["colors"], 2)
    bg, bgn = c.r.choice([("#ffffff", "white"), ("#000000", "black"), ("#f5f5dc", "beige")])
    slots = {"a": a, "an": an, "b": b, "bn": bn, "bg": bg, "bgn": bgn}
    ask(c, "mix_then_contrast", slots, "color")
    mixed = yield from result("mix_colors", {"color_a": a, "color_b": b})
    res = yield from result("contrast_ratio", {"foreground": mixed, "background": bg},
                            content=between(c, "mix_then_contrast", slots | {"mixed": mixed}))
    verdict = "passes" if res["passes_aa"] else "fails"
    return lead(c, say(c, "mix_then_contrast", "say", slots | {"mixed": mixed, "ratio": fmt(res["ratio"]), "verdict": verdict}))


@chain("decode_then_hash")
def ch_decode_hash(c: Any) -> Script:
    import base64

    start(c, "decode_then_hash", ["base64_decode", "sha256_hash"], {}, "encoding")
    msg = c.r.choice(banks()["secret_messages"] + banks()["phrases"])
    data = base64.b64encode(msg.encode()).decode()
    slots = {"data": data}
    ask(c, "decode_then_hash", slots, "encoding")
    text = yield from result("base64_decode", {"data": data})
    value = yield from result("sha256_hash", {"text": text}, content=between(c, "decode_then_hash", slots | {"text": text}))
    return lead(c, say(c, "decode_then_hash", "say", slots | {"text": text, "digest": value}))


@chain("fib_prime")
def ch_fib_prime(c: Any) -> Script:
    start(c, "fib_prime", ["fibonacci", "is_prime"], {}, "numbers")
    n = c.r.randint(5, 45)
    ask(c, "fib_prime", {"n": str(n)}, "numbers")
    f = yield from result("fibonacci", {"n": n})
    if f > 10**12:
        raise Reject("too big to test")
    value = yield from result("is_prime", {"n": f}, content=between(c, "fib_prime", {"f": fmt(f), "n": str(n)}))
    verdict = "is prime" if value else "is not prime"
    return lead(c, say(c, "fib_prime", "say", {"n": str(n), "f": fmt(f), "verdict": verdict}))


@chain("hex_prime")
def ch_hex_prime(c: Any) -> Script:
    start(c, "hex_prime", ["convert_base", "is_prime"], {}, "numbers")
    n = c.r.randint(100, 10**6)
    h = format(n, "x")
    ask(c, "hex_prime", {"hex": h}, "numbers")
    value = yield from result("convert_base", {"number": h, "from_base": 16, "to_base": 10})
    dec = int(value)
    value = yield from result("is_prime", {"n": dec}, content=between(c, "hex_prime", {"dec": str(dec)}))
    verdict = "is prime" if value else "is not prime"
    return lead(c, say(c, "hex_prime", "say", {"hex": h, "dec": str(dec), "verdict": verdict}))


@chain("circle_in_feet")
def ch_circle(c: Any) -> Script:
    start(c, "circle_in_feet", ["circle_area", "convert_area"], {}, "geometry")
    r = round(c.r.uniform(0.5, 12), 1)
    thing = c.r.choice(["round patio", "circular pond", "trampoline", "round rug", "fountain"])
    slots = {"r": fmt(r), "thing": thing}
    ask(c, "circle_in_feet", slots, "geometry")
    area = yield from result("circle_area", {"radius": r})
    value = yield from result("convert_area", {"value": area, "from_unit": "m2", "to_unit": "ft2"}, content=between(c, "circle_in_feet", slots | {"m2": fmt(area)}))
    return lead(c, say(c, "circle_in_feet", "say", slots | {"m2": fmt(area), "ft2": fmt(value)}))


@chain("fall_in_mph")
def ch_fall(c: Any) -> Script:
    start(c, "fall_in_mph", ["free_fall", "convert_speed"], {}, "physics")
    h = c.r.choice([5, 10, 20, 45, 80, 120, 200])
    slots = {"h": str(h), "from": c.r.choice(["a bridge", "a cliff", "a drone", "a tower", "a balcony"])}
    ask(c, "fall_in_mph", slots, "physics")
    ff = yield from result("free_fall", {"height_m": h})
    value = yield from result("convert_speed", {"value": ff["impact_speed_m_s"], "from_unit": "m/s", "to_unit": "mph"}, content=between(c, "fall_in_mph", slots | {"ms": fmt(ff["impact_speed_m_s"])}))
    return lead(c, say(c, "fall_in_mph", "say", slots | {"s": fmt(ff["seconds"]), "ms": fmt(ff["impact_speed_m_s"]),
                                                        "mph": fmt(value)}))


@chain("energy_in_kcal")
def ch_energy(c: Any) -> Script:
    start(c, "energy_in_kcal", ["kinetic_energy", "convert_energy"], {}, "physics")
    m, v = c.r.choice([(75, 8), (1200, 25), (90, 11), (1500, 30), (60, 5)])
    thing = {75: "a cyclist", 1200: "a small car", 90: "a sprinter", 1500: "a car on the motorway", 60: "a jogger"}[m]
    slots = {"m": str(m), "v": str(v), "thing": thing}
    ask(c, "energy_in_kcal", slots, "physics")
    j = (yield from result("kinetic_energy", {"mass_kg": m, "speed_m_s": v}))["joules"]
    value = yield from result("convert_energy", {"value": j, "from_unit": "J", "to_unit": "kcal"}, content=between(c, "energy_in_kcal", slots | {"j": fmt(j)}))
    return lead(c, say(c, "energy_in_kcal", "say", slots | {"j": fmt(j), "kcal": fmt(value)}))


@chain("numbers_in_text_mean")
def ch_regex_mean(c: Any) -> Script:
    start(c, "numbers_in_text_mean", ["regex_find_all", "calculate_mean"], {}, "regex")
    nums = [c.r.randint(2, 300) for _ in range(c.r.randint(3, 6))]
    words = c.r.sample(["apples", "boxes", "visitors", "tickets", "parcels", "chairs", "emails", "bikes"], len(nums))
    text = "; ".join(f"{w}: {n}" for w, n in zip(words, nums, strict=True))
    slots = {"text": text}
    ask(c, "numbers_in_text_mean", slots, "regex")
    value = yield from result("regex_find_all", {"pattern": "\\d+", "text": text})
    found = [int(x) for x in value]
    value = yield from result("calculate_mean", {"values": found}, content=between(c, "numbers_in_text_mean", {"n": str(len(found))}))
    return lead(c, say(c, "numbers_in_text_mean", "say", {"n": str(len(found)), "mean": fmt(value)}))


@chain("latest_then_bump")
def ch_bump(c: Any) -> Script:
    start(c, "latest_then_bump", ["sort_versions", "bump_version"], {}, "semver")
    versions = [v for v in c.r.sample(banks()["versions"], c.r.randint(3, 6))]
    part = c.r.choice(["major", "minor", "patch"])
    slots = {"versions": ", ".join(versions), "part": part, "pkg": c.r.choice(banks()["packages"])}
    ask(c, "latest_then_bump", slots, "semver")
    latest = (yield from result("sort_versions", {"versions": versions}))[-1]
    value = yield from result("bump_version", {"version": latest, "part": part}, content=between(c, "latest_then_bump", slots | {"latest": latest}))
    return lead(c, say(c, "latest_then_bump", "say", slots | {"latest": latest, "next": value}))


@chain("split_then_info")
def ch_subnet(c: Any) -> Script:
    start(c, "split_then_info", ["split_subnet", "cidr_info"], {}, "network")
    net = f"10.{c.r.randint(0, 255)}.0.0/{c.r.choice([22, 23, 24])}"
    prefix = int(net.split("/")[1]) + c.r.choice([1, 2])
    slots = {"cidr": net, "prefix": str(prefix)}
    ask(c, "split_then_info", slots, "network")
    last = (yield from result("split_subnet", {"cidr": net, "new_prefix": prefix}))[-1]
    info = yield from result("cidr_info", {"cidr": last}, content=between(c, "split_then_info", slots | {"last": last}))
    return lead(c, say(c, "split_then_info", "say", slots | {"last": last, "first": info["first_host"],
                                                            "lasthost": info["last_host"], "hosts": fmt(info["usable_hosts"])}))


@chain("outlier_z")
def ch_outlier(c: Any) -> Script:
    start(c, "outlier_z", ["describe_numbers", "z_score"], {}, "stats")
    vals = [c.r.randint(40, 70) for _ in range(c.r.randint(6, 10))] + [c.r.randint(90, 140)]
    c.r.shuffle(vals)
    slots = {"values": ", ".join(map(str, vals)), "what": c.r.choice(["response times", "delivery times", "scores", "step counts"])}
    ask(c, "outlier_z", slots, "stats")
    top = (yield from result("describe_numbers", {"values": vals}))["max"]
    value = yield from result("z_score", {"value": top, "values": vals}, content=between(c, "outlier_z", slots | {"max": fmt(top)}))
    return lead(c, say(c, "outlier_z", "say", slots | {"max": fmt(top), "z": fmt(value)}))


@chain("group_then_filter")
def ch_group(c: Any) -> Script:
    start(c, "group_then_filter", ["csv_group_sum", "csv_filter_rows"], {}, "tables")
    t = c.world.facts["csv"]
    group, value = c.r.choice(t["group"]), c.r.choice(t["numeric"])
    slots = {"path": t["path"], "group": group, "value": value}
    ask(c, "group_then_filter", slots, "tables")
    top = (yield from result("csv_group_sum", {"path": t["path"], "group_by": group, "value_column": value}))[0]
    filtered = yield from result("csv_filter_rows", {"path": t["path"], "column": group, "equals": top[group]}, content=between(c, "group_then_filter", slots | {"top": top[group]}))
    return lead(c, say(c, "group_then_filter", "say", slots | {"top": top[group], "total": fmt(top["total"]),
                                                              "rows": fmt(filtered["count"])}))


@chain("bmi_imperial")
def ch_bmi(c: Any) -> Script:
    start(c, "bmi_imperial", ["convert_length", "convert_mass", "body_mass_index"], {}, "health")
    feet, inches, lb = c.r.randint(5, 6), c.r.randint(0, 11), c.r.randint(110, 240)
    slots = {"feet": str(feet), "inches": str(inches), "lb": str(lb)}
    ask(c, "bmi_imperial", slots, "health")
    outs = yield Turn([("convert_length", {"value": feet * 12 + inches, "from_unit": "in", "to_unit": "m"}),
                       ("convert_mass", {"value": lb, "from_unit": "lb", "to_unit": "kg"})],
                      content=between(c, "bmi_imperial", slots | {"total_in": str(feet * 12 + inches)}))
    assert outs is not None
    m, kg = (value_of(o, "conversion") for o in outs)
    res = yield from result("body_mass_index", {"weight_kg": kg, "height_m": m})
    return lead(c, say(c, "bmi_imperial", "say", slots | {"m": fmt(m), "kg": fmt(kg), "bmi": fmt(res["bmi"]),
                                                         "category": res["category"]}))


def s_sequential(c: Any) -> Script:
    c.facets["chain"] = c.focus
    return (yield from CHAINS[c.focus](c))
