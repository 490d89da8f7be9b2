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
from collections.abc import Callable
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
    out = yield Turn([("kv_get", {"key": key})], content=c.preamble(0.2))
    assert out is not None
    raw = value_of(out[0], "kv_get")["value"]
    try:
        celsius = float(raw)
    except ValueError:
        raise Reject(f"stored temperature {raw!r} is not a number") from None
    out = yield Turn([("convert_temperature", {"value": celsius, "from_unit": "C", "to_unit": "F"})],
                     content=between(c, "kv_temp_convert", slots | {"c": raw}))
    assert out is not None
    f = value_of(out[0], "convert_temperature")
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
    out = yield Turn([("kv_get", {"key": "config:timezone"})])
    assert out is not None
    zone = value_of(out[0], "kv_get")["value"]
    out = yield Turn([("convert_timezone", {"datetime": f"{d.isoformat()}T{slots['time']}", "from_tz": here[3],
                                            "to_tz": zone})], content=between(c, "kv_zone_meeting", slots | {"zone": zone}))
    assert out is not None
    res = value_of(out[0], "convert_timezone")
    return lead(c, say(c, "kv_zone_meeting", "say", slots | {"zone": zone, "at": res["datetime"].replace("T", " "),
                                                            "weekday": res["weekday"]}))


@chain("kv_flags")
def ch_kv_flags(c: Any) -> Script:
    start(c, "kv_flags", ["kv_list_keys", "kv_get"], {}, "kv")
    for flag in c.r.sample(["beta_search", "dark_mode", "new_checkout", "ai_summary"], c.r.randint(2, 3)):
        kv_put(c, f"feature:{flag}", c.r.choice(["on", "off"]))
    ask(c, "kv_flags", {}, "kv")
    out = yield Turn([("kv_list_keys", {"prefix": "feature:"})])
    assert out is not None
    keys = value_of(out[0], "kv_list_keys")
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
    out = yield Turn([("fs_read", {"path": "data/readings.txt"})], content=c.preamble(0.2))
    assert out is not None
    text = value_of(out[0], "fs_read")
    try:
        nums = [float(x) for x in text.split()]
    except ValueError:
        raise Reject("readings file has non-numbers") from None
    nums = [int(x) if x.is_integer() else x for x in nums]
    out = yield Turn([("describe_numbers", {"values": nums})], content=between(c, "readings_stats", {"n": str(len(nums))}))
    assert out is not None
    d = value_of(out[0], "describe_numbers")
    return lead(c, say(c, "readings_stats", "say", {k: fmt(v) for k, v in d.items()}))


@chain("essay_words")
def ch_essay(c: Any) -> Script:
    start(c, "essay_words", ["fs_read", "word_count"], {}, "files")
    path = "drafts/essay.md"
    ask(c, "essay_words", {"path": path}, "files")
    out = yield Turn([("fs_read", {"path": path})])
    assert out is not None
    text = value_of(out[0], "fs_read")
    out = yield Turn([("word_count", {"text": text})], content=between(c, "essay_words", {}))
    assert out is not None
    wc = value_of(out[0], "word_count")
    return lead(c, say(c, "essay_words", "say", {"path": path} | {k: fmt(v) for k, v in wc.items()}))


@chain("search_then_read")
def ch_search_read(c: Any) -> Script:
    start(c, "search_then_read", ["fs_search", "fs_read"], {}, "files")
    lines = [x for p in c.world.facts["notes"] for x in c.world.files[p].splitlines()]
    word = c.r.choice(sorted({w.strip(".:,").lower() for x in lines for w in x.split() if len(w) > 6}))
    slots = {"word": word}
    ask(c, "search_then_read", slots, "files")
    out = yield Turn([("fs_search", {"pattern": f"(?i){word}"})])
    assert out is not None
    hits = value_of(out[0], "fs_search")
    if not hits:
        raise Reject("search found nothing")
    path = hits[0]["path"]
    out = yield Turn([("fs_read", {"path": path})], content=between(c, "search_then_read", slots | {"path": path}))
    assert out is not None
    body = value_of(out[0], "fs_read")
    return lead(c, say(c, "search_then_read", "say", slots | {"path": path, "body": body.strip()}))


@chain("list_then_read")
def ch_list_read(c: Any) -> Script:
    start(c, "list_then_read", ["fs_list", "fs_read"], {}, "files")
    path = c.r.choice(c.world.facts["notes"])
    topic = path.split("/")[1].removesuffix(".txt")
    slots = {"topic": topic}
    ask(c, "list_then_read", slots, "files")
    out = yield Turn([("fs_list", {"directory": "notes"})])
    assert out is not None
    files = value_of(out[0], "fs_list")
    match = [p for p in files if topic in p]
    if len(match) != 1:
        raise Reject(f"expected one {topic} file, found {match}")
    out = yield Turn([("fs_read", {"path": match[0]})], content=between(c, "list_then_read", slots | {"path": match[0]}))
    assert out is not None
    return lead(c, say(c, "list_then_read", "say", slots | {"path": match[0], "body": value_of(out[0], "fs_read").strip()}))


@chain("table_sizes")
def ch_tables(c: Any) -> Script:
    start(c, "table_sizes", ["sql_list_tables", "sql_count_rows"], {}, "sql")
    ask(c, "table_sizes", {}, "sql")
    out = yield Turn([("sql_list_tables", {})])
    assert out is not None
    tables = value_of(out[0], "sql_list_tables")
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
    out = yield Turn([("sql_select", {"query": f"SELECT price FROM products WHERE category = '{cat}'"})])
    assert out is not None
    prices = [row["price"] for row in value_of(out[0], "sql_select")]
    if not prices:
        raise Reject("no prices")
    out = yield Turn([("calculate_median", {"values": prices})], content=between(c, "price_median", slots))
    assert out is not None
    return lead(c, say(c, "price_median", "say", slots | {"median": fmt(value_of(out[0], "calculate_median")),
                                                         "n": str(len(prices))}))


@chain("customer_orders")
def ch_customer_orders(c: Any) -> Script:
    start(c, "customer_orders", ["sql_select"], {}, "sql")
    _, name, _ = c.r.choice(c.world.facts["sql"]["customers"])
    slots = {"name": name}
    ask(c, "customer_orders", slots, "sql")
    out = yield Turn([("sql_select", {"query": f"SELECT id FROM customers WHERE name = '{name}'"})])
    assert out is not None
    rows = value_of(out[0], "sql_select")
    if len(rows) != 1:
        raise Reject("customer lookup is not unique")
    cid = rows[0]["id"]
    out = yield Turn([("sql_select", {"query": f"SELECT COUNT(*) AS orders, COALESCE(SUM(quantity), 0) AS items "
                                               f"FROM orders WHERE customer_id = {cid}"})],
                     content=between(c, "customer_orders", slots | {"id": str(cid)}))
    assert out is not None
    res = value_of(out[0], "sql_select")[0]
    return lead(c, say(c, "customer_orders", "say", slots | {"orders": fmt(res["orders"]), "items": fmt(res["items"])}))


@chain("restock_lowest")
def ch_restock(c: Any) -> Script:
    start(c, "restock_lowest", ["inv_low_stock", "inv_add_stock"], {}, "inventory")
    lowest = min(v["quantity"] for v in c.world.facts["inventory"].values())
    threshold = max(lowest, c.r.choice([3, 5]))
    qty = c.r.choice([10, 20, 25, 30])
    slots = {"threshold": str(threshold), "qty": str(qty)}
    ask(c, "restock_lowest", slots, "inventory")
    out = yield Turn([("inv_low_stock", {"threshold": threshold})])
    assert out is not None
    low = value_of(out[0], "inv_low_stock")
    if not low:
        raise Reject("nothing low")
    item = low[0]["item"]
    out = yield Turn([("inv_add_stock", {"item": item, "quantity": qty})], content=between(c, "restock_lowest", slots | {"item": item}))
    assert out is not None
    res = value_of(out[0], "inv_add_stock")
    return lead(c, say(c, "restock_lowest", "say", slots | {"item": item, "was": fmt(low[0]["quantity"]),
                                                           "now": fmt(res["quantity"])}))


@chain("discount_priciest")
def ch_discount(c: Any) -> Script:
    start(c, "discount_priciest", ["inv_list_items", "inv_set_price"], {}, "inventory")
    pct = c.r.choice([10, 15, 20, 25])
    slots = {"pct": str(pct)}
    ask(c, "discount_priciest", slots, "inventory")
    out = yield Turn([("inv_list_items", {})])
    assert out is not None
    items = value_of(out[0], "inv_list_items")
    top = max(items, key=lambda i: (i["unit_price"], i["item"]))
    new = round(top["unit_price"] * (1 - pct / 100), 2)
    out = yield Turn([("inv_set_price", {"item": top["item"], "unit_price": new})],
                     content=between(c, "discount_priciest", slots | {"item": top["item"], "old": fmt(top["unit_price"])}))
    assert out is not None
    res = value_of(out[0], "inv_set_price")
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
    out = yield Turn([("todo_search", {"keyword": word})])
    assert out is not None
    hits = [t for t in value_of(out[0], "todo_search") if t["title"] == task["title"] and not t["done"]]
    if len(hits) != 1:
        raise Reject("task not uniquely found")
    out = yield Turn([("todo_complete", {"task_id": hits[0]["id"]})], content=between(c, "todo_find_complete", slots | {"id": str(hits[0]["id"])}))
    assert out is not None
    value_of(out[0], "todo_complete")
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
    out = yield Turn([("todo_due_before", {"date": cutoff})])
    assert out is not None
    tasks = value_of(out[0], "todo_due_before")
    first = min(tasks, key=lambda t: (t["due"], t["id"]))
    out = yield Turn([("todo_set_priority", {"task_id": first["id"], "priority": "high"})],
                     content=between(c, "todo_bump_due", slots | {"title": first["title"]}))
    assert out is not None
    value_of(out[0], "todo_set_priority")
    return lead(c, say(c, "todo_bump_due", "say", slots | {"title": first["title"], "due": first["due"], "n": str(len(tasks))}))


@chain("cancel_by_title")
def ch_cancel(c: Any) -> Script:
    start(c, "cancel_by_title", ["cal_list_events", "cal_cancel_event"], {}, "calendar")
    ev = c.r.choice(c.world.facts["calendar"]["events"])
    from generators.fc_args_state import pretty_day

    slots = {"title": ev["title"], "day": pretty_day(ev["date"])}
    ask(c, "cancel_by_title", slots, "calendar")
    out = yield Turn([("cal_list_events", {"date": ev["date"]})])
    assert out is not None
    match = [e for e in value_of(out[0], "cal_list_events") if e["title"] == ev["title"]]
    if len(match) != 1:
        raise Reject("event not uniquely found")
    out = yield Turn([("cal_cancel_event", {"event_id": match[0]["id"]})],
                     content=between(c, "cancel_by_title", slots | {"id": str(match[0]["id"]), "start": match[0]["start"]}))
    assert out is not None
    value_of(out[0], "cal_cancel_event")
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
    out = yield Turn([("cal_find_free_slot", {"date": day, "duration_minutes": minutes})])
    assert out is not None
    slot = value_of(out[0], "cal_find_free_slot")
    out = yield Turn([("cal_create_event", {"title": title, "date": day, "start": slot["start"], "end": slot["end"]})],
                     content=between(c, "book_free_slot", slots | {"start": slot["start"]}))
    assert out is not None
    ev = value_of(out[0], "cal_create_event")
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
    out = yield Turn([("contact_find", {"query": first})])
    assert out is not None
    hits = [h for h in value_of(out[0], "contact_find") if h["name"].split()[0] == first]
    if len(hits) != 1:
        raise Reject("ambiguous first name")
    full = hits[0]["name"]
    out = yield Turn([("contact_update", {"name": full, "field": "phone", "value": phone})],
                     content=between(c, "contact_new_phone", slots | {"full": full}))
    assert out is not None
    res = value_of(out[0], "contact_update")
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
    out = yield Turn([("contact_find", {"query": who["name"]})])
    assert out is not None
    hit = value_of(out[0], "contact_find")
    if len(hit) != 1 or not hit[0].get("birthday"):
        raise Reject("contact lookup not unique or without birthday")
    out = yield Turn([("age_on", {"birth_date": hit[0]["birthday"], "on_date": on.isoformat()})],
                     content=between(c, "contact_age", slots | {"born": hit[0]["birthday"]}))
    assert out is not None
    return lead(c, say(c, "contact_age", "say", slots | {"age": fmt(value_of(out[0], "age_on")), "born": hit[0]["birthday"]}))


@chain("top_category_details")
def ch_top_cat(c: Any) -> Script:
    start(c, "top_category_details", ["expenses_by_category", "expense_list"], {}, "expenses")
    from generators.fc_args_state import month_words

    month = c.r.choice(c.world.facts["expenses"]["months"])
    slots = {"month_name": month_words(month)}
    ask(c, "top_category_details", slots, "expenses")
    out = yield Turn([("expenses_by_category", {"month": month})])
    assert out is not None
    cats = value_of(out[0], "expenses_by_category")
    if not cats:
        raise Reject("no spending that month")
    top = cats[0]["category"]
    out = yield Turn([("expense_list", {"month": month, "category": top})], content=between(c, "top_category_details", slots | {"category": top}))
    assert out is not None
    rows = value_of(out[0], "expense_list")
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
    out = yield Turn([("percentage_change", {"old_value": ta, "new_value": tb})],
                     content=between(c, "month_over_month", slots | {"ta": fmt(ta), "tb": fmt(tb)}))
    assert out is not None
    return lead(c, say(c, "month_over_month", "say", slots | {"ta": fmt(ta), "tb": fmt(tb),
                                                             "pct": fmt(value_of(out[0], "percentage_change"))}))


@chain("weekday_after")
def ch_weekday(c: Any) -> Script:
    start(c, "weekday_after", ["add_days", "day_of_week"], {}, "dates")
    from generators.fc_world import a_date

    d = a_date(c.r, 2026, 2027)
    n = c.r.choice([10, 14, 21, 30, 45, 60, 90, 100])
    slots = {"date_long": long_date(d), "n": str(n), "purpose": c.r.choice(["a deadline", "a follow-up visit",
                                                                             "the return date", "the trial end"])}
    ask(c, "weekday_after", slots, "dates")
    out = yield Turn([("add_days", {"date": d.isoformat(), "days": n})])
    assert out is not None
    target = value_of(out[0], "add_days")
    out = yield Turn([("day_of_week", {"date": target})], content=between(c, "weekday_after", slots | {"target": target}))
    assert out is not None
    return lead(c, say(c, "weekday_after", "say", slots | {"target": target, "weekday": value_of(out[0], "day_of_week")}))


@chain("days_to_weeks")
def ch_weeks(c: Any) -> Script:
    start(c, "days_to_weeks", ["days_between", "convert_duration"], {}, "dates")
    from generators.fc_world import a_date

    a = a_date(c.r, 2026, 2026)
    b = date.fromordinal(a.toordinal() + c.r.randint(20, 400))
    slots = {"start_long": long_date(a), "end_long": long_date(b), "event": c.r.choice(
        ["the wedding", "my due date", "the marathon", "our move", "the exam", "the launch"])}
    ask(c, "days_to_weeks", slots, "dates")
    out = yield Turn([("days_between", {"start_date": a.isoformat(), "end_date": b.isoformat()})])
    assert out is not None
    days = value_of(out[0], "days_between")
    out = yield Turn([("convert_duration", {"value": days, "from_unit": "day", "to_unit": "week"})],
                     content=between(c, "days_to_weeks", slots | {"days": fmt(days)}))
    assert out is not None
    return lead(c, say(c, "days_to_weeks", "say", slots | {"days": fmt(days), "weeks": fmt(value_of(out[0], "convert_duration"))}))


@chain("trip_time")
def ch_trip(c: Any) -> Script:
    start(c, "trip_time", ["haversine_distance", "travel_time"], {}, "geo")
    a, b = c.r.sample(banks()["cities"], 2)
    speed = c.r.choice([80, 100, 250, 800, 900])
    mode = {80: "driving", 100: "by coach", 250: "by fast train", 800: "by plane", 900: "by jet"}[speed]
    slots = {"a": a[0], "b": b[0], "speed": str(speed), "mode": mode}
    ask(c, "trip_time", slots, "geo")
    out = yield Turn([("haversine_distance", {"lat1": a[1], "lon1": a[2], "lat2": b[1], "lon2": b[2]})])
    assert out is not None
    km = value_of(out[0], "haversine_distance")["km"]
    out = yield Turn([("travel_time", {"distance_km": km, "speed_kmh": speed})], content=between(c, "trip_time", slots | {"km": fmt(km)}))
    assert out is not None
    t = value_of(out[0], "travel_time")
    return lead(c, say(c, "trip_time", "say", slots | {"km": fmt(km), "h_mm": t["h_mm"], "hours": fmt(t["hours"])}))


@chain("mix_then_contrast")
def ch_mix(c: Any) -> Script:
    start(c, "mix_then_contrast", ["mix_colors", "contrast_ratio"], {}, "color")
    (a, an), (b, bn) = c.r.sample(banks()["colors"], 2)
    bg, bgn = c.r.choice([("#ffffff", "white"), ("#000000", "black"), ("#f5f5dc", "beige")])
    slots = {"a": a, "an": an, "b": b, "bn": bn, "bg": bg, "bgn": bgn}
    ask(c, "mix_then_contrast", slots, "color")
    out = yield Turn([("mix_colors", {"color_a": a, "color_b": b})])
    assert out is not None
    mixed = value_of(out[0], "mix_colors")
    out = yield Turn([("contrast_ratio", {"foreground": mixed, "background": bg})], content=between(c, "mix_then_contrast", slots | {"mixed": mixed}))
    assert out is not None
    res = value_of(out[0], "contrast_ratio")
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
    out = yield Turn([("base64_decode", {"data": data})])
    assert out is not None
    text = value_of(out[0], "base64_decode")
    out = yield Turn([("sha256_hash", {"text": text})], content=between(c, "decode_then_hash", slots | {"text": text}))
    assert out is not None
    return lead(c, say(c, "decode_then_hash", "say", slots | {"text": text, "digest": value_of(out[0], "sha256_hash")}))


@chain("fib_prime")
def ch_fib_prime(c: Any) -> Script:
    start(c, "fib_prime", ["fibonacci", "is_prime"], {}, "numbers")
    n = c.r.randint(5, 45)
    ask(c, "fib_prime", {"n": str(n)}, "numbers")
    out = yield Turn([("fibonacci", {"n": n})])
    assert out is not None
    f = value_of(out[0], "fibonacci")
    if f > 10**12:
        raise Reject("too big to test")
    out = yield Turn([("is_prime", {"n": f})], content=between(c, "fib_prime", {"f": fmt(f), "n": str(n)}))
    assert out is not None
    verdict = "is prime" if value_of(out[0], "is_prime") else "is not prime"
    return lead(c, say(c, "fib_prime", "say", {"n": str(n), "f": fmt(f), "verdict": verdict}))


@chain("hex_prime")
def ch_hex_prime(c: Any) -> Script:
    start(c, "hex_prime", ["convert_base", "is_prime"], {}, "numbers")
    n = c.r.randint(100, 10**6)
    h = format(n, "x")
    ask(c, "hex_prime", {"hex": h}, "numbers")
    out = yield Turn([("convert_base", {"number": h, "from_base": 16, "to_base": 10})])
    assert out is not None
    dec = int(value_of(out[0], "convert_base"))
    out = yield Turn([("is_prime", {"n": dec})], content=between(c, "hex_prime", {"dec": str(dec)}))
    assert out is not None
    verdict = "is prime" if value_of(out[0], "is_prime") else "is not prime"
    return lead(c, say(c, "hex_prime", "say", {"hex": h, "dec": str(dec), "verdict": verdict}))


@chain("circle_in_feet")
def ch_circle(c: Any) -> Script:
    start(c, "circle_in_feet", ["circle_area", "convert_area"], {}, "geometry")
    r = round(c.r.uniform(0.5, 12), 1)
    thing = c.r.choice(["round patio", "circular pond", "trampoline", "round rug", "fountain"])
    slots = {"r": fmt(r), "thing": thing}
    ask(c, "circle_in_feet", slots, "geometry")
    out = yield Turn([("circle_area", {"radius": r})])
    assert out is not None
    area = value_of(out[0], "circle_area")
    out = yield Turn([("convert_area", {"value": area, "from_unit": "m2", "to_unit": "ft2"})],
                     content=between(c, "circle_in_feet", slots | {"m2": fmt(area)}))
    assert out is not None
    return lead(c, say(c, "circle_in_feet", "say", slots | {"m2": fmt(area), "ft2": fmt(value_of(out[0], "convert_area"))}))


@chain("fall_in_mph")
def ch_fall(c: Any) -> Script:
    start(c, "fall_in_mph", ["free_fall", "convert_speed"], {}, "physics")
    h = c.r.choice([5, 10, 20, 45, 80, 120, 200])
    slots = {"h": str(h), "from": c.r.choice(["a bridge", "a cliff", "a drone", "a tower", "a balcony"])}
    ask(c, "fall_in_mph", slots, "physics")
    out = yield Turn([("free_fall", {"height_m": h})])
    assert out is not None
    ff = value_of(out[0], "free_fall")
    out = yield Turn([("convert_speed", {"value": ff["impact_speed_m_s"], "from_unit": "m/s", "to_unit": "mph"})],
                     content=between(c, "fall_in_mph", slots | {"ms": fmt(ff["impact_speed_m_s"])}))
    assert out is not None
    return lead(c, say(c, "fall_in_mph", "say", slots | {"s": fmt(ff["seconds"]), "ms": fmt(ff["impact_speed_m_s"]),
                                                        "mph": fmt(value_of(out[0], "convert_speed"))}))


@chain("energy_in_kcal")
def ch_energy(c: Any) -> Script:
    start(c, "energy_in_kcal", ["kinetic_energy", "convert_energy"], {}, "physics")
    m, v = c.r.choice([(75, 8), (1200, 25), (90, 11), (1500, 30), (60, 5)])
    thing = {75: "a cyclist", 1200: "a small car", 90: "a sprinter", 1500: "a car on the motorway", 60: "a jogger"}[m]
    slots = {"m": str(m), "v": str(v), "thing": thing}
    ask(c, "energy_in_kcal", slots, "physics")
    out = yield Turn([("kinetic_energy", {"mass_kg": m, "speed_m_s": v})])
    assert out is not None
    j = value_of(out[0], "kinetic_energy")["joules"]
    out = yield Turn([("convert_energy", {"value": j, "from_unit": "J", "to_unit": "kcal"})], content=between(c, "energy_in_kcal", slots | {"j": fmt(j)}))
    assert out is not None
    return lead(c, say(c, "energy_in_kcal", "say", slots | {"j": fmt(j), "kcal": fmt(value_of(out[0], "convert_energy"))}))


@chain("numbers_in_text_mean")
def ch_regex_mean(c: Any) -> Script:
    start(c, "numbers_in_text_mean", ["regex_find_all", "calculate_mean"], {}, "regex")
    nums = [c.r.randint(2, 300) for _ in range(c.r.randint(3, 6))]
    words = c.r.sample(["apples", "boxes", "visitors", "tickets", "parcels", "chairs", "emails", "bikes"], len(nums))
    text = "; ".join(f"{w}: {n}" for w, n in zip(words, nums, strict=True))
    slots = {"text": text}
    ask(c, "numbers_in_text_mean", slots, "regex")
    out = yield Turn([("regex_find_all", {"pattern": "\\d+", "text": text})])
    assert out is not None
    found = [int(x) for x in value_of(out[0], "regex_find_all")]
    out = yield Turn([("calculate_mean", {"values": found})], content=between(c, "numbers_in_text_mean", {"n": str(len(found))}))
    assert out is not None
    return lead(c, say(c, "numbers_in_text_mean", "say", {"n": str(len(found)), "mean": fmt(value_of(out[0], "calculate_mean"))}))


@chain("latest_then_bump")
def ch_bump(c: Any) -> Script:
    start(c, "latest_then_bump", ["sort_versions", "bump_version"], {}, "semver")
    versions = [v for v in c.r.sample(banks()["versions"], c.r.randint(3, 6))]
    part = c.r.choice(["major", "minor", "patch"])
    slots = {"versions": ", ".join(versions), "part": part, "pkg": c.r.choice(banks()["packages"])}
    ask(c, "latest_then_bump", slots, "semver")
    out = yield Turn([("sort_versions", {"versions": versions})])
    assert out is not None
    latest = value_of(out[0], "sort_versions")[-1]
    out = yield Turn([("bump_version", {"version": latest, "part": part})], content=between(c, "latest_then_bump", slots | {"latest": latest}))
    assert out is not None
    return lead(c, say(c, "latest_then_bump", "say", slots | {"latest": latest, "next": value_of(out[0], "bump_version")}))


@chain("split_then_info")
def ch_subnet(c: Any) -> Script:
    start(c, "split_then_info", ["split_subnet", "cidr_info"], {}, "network")
    net = f"10.{c.r.randint(0, 255)}.0.0/{c.r.choice([22, 23, 24])}"
    prefix = int(net.split("/")[1]) + c.r.choice([1, 2])
    slots = {"cidr": net, "prefix": str(prefix)}
    ask(c, "split_then_info", slots, "network")
    out = yield Turn([("split_subnet", {"cidr": net, "new_prefix": prefix})])
    assert out is not None
    last = value_of(out[0], "split_subnet")[-1]
    out = yield Turn([("cidr_info", {"cidr": last})], content=between(c, "split_then_info", slots | {"last": last}))
    assert out is not None
    info = value_of(out[0], "cidr_info")
    return lead(c, say(c, "split_then_info", "say", slots | {"last": last, "first": info["first_host"],
                                                            "lasthost": info["last_host"], "hosts": fmt(info["usable_hosts"])}))


@chain("outlier_z")
def ch_outlier(c: Any) -> Script:
    start(c, "outlier_z", ["describe_numbers", "z_score"], {}, "stats")
    vals = [c.r.randint(40, 70) for _ in range(c.r.randint(6, 10))] + [c.r.randint(90, 140)]
    c.r.shuffle(vals)
    slots = {"values": ", ".join(map(str, vals)), "what": c.r.choice(["response times", "delivery times", "scores", "step counts"])}
    ask(c, "outlier_z", slots, "stats")
    out = yield Turn([("describe_numbers", {"values": vals})])
    assert out is not None
    top = value_of(out[0], "describe_numbers")["max"]
    out = yield Turn([("z_score", {"value": top, "values": vals})], content=between(c, "outlier_z", slots | {"max": fmt(top)}))
    assert out is not None
    return lead(c, say(c, "outlier_z", "say", slots | {"max": fmt(top), "z": fmt(value_of(out[0], "z_score"))}))


@chain("group_then_filter")
def ch_group(c: Any) -> Script:
    start(c, "group_then_filter", ["csv_group_sum", "csv_filter_rows"], {}, "tables")
    t = c.world.facts["csv"]
    group, value = c.r.choice(t["group"]), c.r.choice(t["numeric"])
    slots = {"path": t["path"], "group": group, "value": value}
    ask(c, "group_then_filter", slots, "tables")
    out = yield Turn([("csv_group_sum", {"path": t["path"], "group_by": group, "value_column": value})])
    assert out is not None
    top = value_of(out[0], "csv_group_sum")[0]
    out = yield Turn([("csv_filter_rows", {"path": t["path"], "column": group, "equals": top[group]})],
                     content=between(c, "group_then_filter", slots | {"top": top[group]}))
    assert out is not None
    return lead(c, say(c, "group_then_filter", "say", slots | {"top": top[group], "total": fmt(top["total"]),
                                                              "rows": fmt(value_of(out[0], "csv_filter_rows")["count"])}))


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
    out = yield Turn([("body_mass_index", {"weight_kg": kg, "height_m": m})])
    assert out is not None
    res = value_of(out[0], "body_mass_index")
    return lead(c, say(c, "bmi_imperial", "say", slots | {"m": fmt(m), "kg": fmt(kg), "bmi": fmt(res["bmi"]),
                                                         "category": res["category"]}))


def s_sequential(c: Any) -> Script:
    c.facets["chain"] = c.focus
    return (yield from CHAINS[c.focus](c))
