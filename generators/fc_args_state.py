"""Argument samplers, part three: the stateful domains (key-value store, files, CSV tables, sqlite, calendar,
inventory, to-do list, address book, expense ledger). Each asks about something the world planted, and mutating
calls are chosen so they succeed on that state (an item with enough stock, a free calendar slot, an unused key)."""

import random
from datetime import date, timedelta
from typing import Any

from generators.fc_args import SAMPLERS as SAMPLERS
from generators.fc_args import Sample, long_date, person, sampler
from generators.fc_world import World, a_date, banks, fmt

KV_HUMAN = {"theme": "the UI theme", "language": "the interface language", "zone": "the configured time zone",
            "small_int": "that limit", "flag": "the feature flag", "big_int": "the counter", "int": "the counter",
            "temp": "the latest temperature reading", "percent": "the humidity reading", "person": "the name on file",
            "email": "the e-mail on file", "semver": "the deployed version", "window": "the maintenance window",
            "date": "the last sync date", "hex": "the last commit hash", "region": "the deploy region",
            "time": "the standup time"}


def kv_key(r: random.Random, w: World, kinds: tuple[str, ...] = ()) -> str:
    keys = [k for k in w.facts["kv"] if not kinds or w.facts["kv_kinds"][k] in kinds]
    return r.choice(sorted(keys or w.facts["kv"]))


@sampler("kv_get", "kv_delete")
def _kv_key(r: random.Random, w: World) -> Sample:
    key = kv_key(r, w)
    return {"key": key}, {"what": KV_HUMAN[w.facts["kv_kinds"][key]]}


@sampler("kv_set")
def _kv_set(r: random.Random, w: World) -> Sample:
    b = banks()
    key, value = r.choice([("config:theme", r.choice(b["themes"])), ("config:language", r.choice(b["languages"])),
                           ("deploy:region", r.choice(b["regions"])), ("support:oncall", person(r)),
                           ("app:version", r.choice(b["versions"])), ("team:standup_time", r.choice(["09:00", "09:45", "10:15"])),
                           (f"note:{r.choice(b['notes_topics'])}", r.choice(b["note_lines"])),
                           (f"feature:{r.choice(['beta_search', 'dark_mode', 'new_checkout'])}", r.choice(["on", "off"]))])
    return {"key": key, "value": value}, {}


@sampler("kv_list_keys")
def _kv_list(r: random.Random, w: World) -> Sample:
    prefixes = sorted({k.split(":")[0] + ":" for k in w.facts["kv"]})
    prefix = r.choice(prefixes + [""])
    return ({"prefix": prefix} if prefix else {}), {"group": prefix.rstrip(":") or "all"}


@sampler("kv_increment")
def _kv_inc(r: random.Random, w: World) -> Sample:
    key = kv_key(r, w, ("big_int", "int"))
    if w.facts["kv_kinds"].get(key) not in ("big_int", "int"):
        key = "counter:" + r.choice(["downloads", "retries", "visits"])
    args: dict[str, Any] = {"key": key}
    if r.random() < 0.6:
        args["amount"] = r.choice([2, 5, 10, 25, -1, -3])
    return args, {}


@sampler("kv_exists")
def _kv_exists(r: random.Random, w: World) -> Sample:
    key = kv_key(r, w) if r.random() < 0.5 else r.choice(["config:font_size", "feature:ai_summary", "counter:logouts",
                                                          "user:99:name", "cache:weather:rome"])
    return {"key": key}, {}


@sampler("kv_rename")
def _kv_ren(r: random.Random, w: World) -> Sample:
    key = kv_key(r, w)
    new = key.replace(":", ":legacy_", 1)
    return {"old_key": key, "new_key": new}, {}


@sampler("kv_count")
def _kv_count(r: random.Random, w: World) -> Sample:
    prefix = r.choice(sorted({k.split(":")[0] + ":" for k in w.facts["kv"]}) + [""])
    return ({"prefix": prefix} if prefix else {}), {"group": prefix.rstrip(":") or "all"}


# files ----------------------------------------------------------------------------------------------------------

def topic(path: str) -> str:
    return path.split("/")[-1].rsplit(".", 1)[0]


@sampler("fs_list")
def _fs_list(r: random.Random, w: World) -> Sample:
    d = r.choice([".", "notes", "data"])
    return ({"directory": d} if d != "." else {}), {"where": "the workspace" if d == "." else f"{d}/"}


@sampler("fs_read", "fs_delete")
def _fs_note(r: random.Random, w: World) -> Sample:
    path = r.choice(w.facts["notes"])
    return {"path": path}, {"topic": topic(path)}


@sampler("fs_write")
def _fs_write(r: random.Random, w: World) -> Sample:
    b = banks()
    name = r.choice(["shopping", "plan", "reminders", "draft", "summary", "checklist"])
    lines = r.sample(b["note_lines"], r.randint(2, 4))
    return {"path": f"notes/{name}.txt", "content": "\n".join(lines) + "\n"}, {"topic": name}


@sampler("fs_append")
def _fs_append(r: random.Random, w: World) -> Sample:
    path = r.choice(w.facts["notes"])
    return {"path": path, "text": r.choice(banks()["note_lines"]) + "\n"}, {"topic": topic(path)}


@sampler("fs_stat")
def _fs_stat(r: random.Random, w: World) -> Sample:
    path = r.choice([*w.facts["notes"], "data/readings.txt", w.facts["essay"]])
    return {"path": path}, {"topic": topic(path)}


@sampler("fs_search")
def _fs_search(r: random.Random, w: World) -> Sample:
    pattern, what = r.choice([("TODO", "TODO notes"), ("FIXME|TODO", "TODOs and FIXMEs"), ("(?i)book", "mentions of booking"),
                              ("(?i)call", "calls I need to make"), ("(?i)buy|order", "things to buy"),
                              ("(?i)the", "lines with 'the'")])
    return {"pattern": pattern}, {"what": what}


@sampler("fs_copy")
def _fs_copy(r: random.Random, w: World) -> Sample:
    path = r.choice(w.facts["notes"])
    return {"source": path, "destination": f"backup/{path.split('/')[-1]}"}, {"topic": topic(path)}


@sampler("fs_move")
def _fs_move(r: random.Random, w: World) -> Sample:
    path = r.choice(w.facts["notes"])
    return {"source": path, "destination": f"archive/{path.split('/')[-1]}"}, {"topic": topic(path)}


@sampler("fs_line_count")
def _fs_lines(r: random.Random, w: World) -> Sample:
    path = r.choice(w.facts["notes"])
    args: dict[str, Any] = {"path": path}
    if r.random() < 0.5:
        args["contains"] = r.choice(["TODO", "the", "Buy", "Call"])
    return args, {"topic": topic(path)}


# tables (CSV) ---------------------------------------------------------------------------------------------------

CSV_WORDS = {"sales": "sales log", "grades": "grade sheet", "trips": "trip log", "inventory_counts": "stock count sheet",
             "weather": "weather log"}


def _csv(w: World) -> dict:
    return w.facts["csv"]


@sampler("csv_columns")
def _csv_cols(r: random.Random, w: World) -> Sample:
    t = _csv(w)
    return {"path": t["path"]}, {"sheet": CSV_WORDS[t["kind"]]}


@sampler("csv_column_stats")
def _csv_stats(r: random.Random, w: World) -> Sample:
    t = _csv(w)
    return {"path": t["path"], "column": r.choice(t["numeric"])}, {"sheet": CSV_WORDS[t["kind"]]}


@sampler("csv_filter_rows")
def _csv_filter(r: random.Random, w: World) -> Sample:
    t = _csv(w)
    col = r.choice(t["group"])
    return {"path": t["path"], "column": col, "equals": r.choice(t["rows"])[col]}, {"sheet": CSV_WORDS[t["kind"]]}


@sampler("csv_group_sum")
def _csv_group(r: random.Random, w: World) -> Sample:
    t = _csv(w)
    return {"path": t["path"], "group_by": r.choice(t["group"]), "value_column": r.choice(t["numeric"])}, {
        "sheet": CSV_WORDS[t["kind"]]}


@sampler("csv_top_rows")
def _csv_top(r: random.Random, w: World) -> Sample:
    t = _csv(w)
    args: dict[str, Any] = {"path": t["path"], "column": r.choice(t["numeric"]), "n": r.choice([1, 2, 3, 5])}
    if r.random() < 0.3:
        args["descending"] = False
    return args, {"sheet": CSV_WORDS[t["kind"]], "order": "lowest" if args.get("descending") is False else "highest"}


# sql ------------------------------------------------------------------------------------------------------------

SQL_ASKS = [
    ("customers_in_city", "SELECT name FROM customers WHERE city = '{city}' ORDER BY name"),
    ("products_under", "SELECT name, price FROM products WHERE price < {price} ORDER BY price"),
    ("orders_per_customer", "SELECT c.name, COUNT(o.id) AS orders FROM customers c JOIN orders o ON o.customer_id = c.id "
                            "GROUP BY c.id ORDER BY orders DESC, c.name LIMIT 3"),
    ("category_stock", "SELECT category, SUM(stock) AS units FROM products GROUP BY category ORDER BY units DESC"),
    ("out_of_stock", "SELECT name FROM products WHERE stock = 0 ORDER BY name"),
    ("revenue_by_product", "SELECT p.name, SUM(o.quantity * p.price) AS revenue FROM orders o JOIN products p "
                           "ON p.id = o.product_id GROUP BY p.id ORDER BY revenue DESC LIMIT 3"),
    ("priciest", "SELECT name, price FROM products ORDER BY price DESC LIMIT 1"),
    ("customers_per_city", "SELECT city, COUNT(*) AS customers FROM customers GROUP BY city ORDER BY customers DESC, city"),
]


@sampler("sql_select")
def _sql_select(r: random.Random, w: World) -> Sample:
    facts = w.facts["sql"]
    kind, query = r.choice(SQL_ASKS)
    city = r.choice(facts["cities"])
    price = r.choice([10, 20, 30, 50])
    return {"query": query.format(city=city, price=price)}, {"ask_kind": kind, "city": city, "price": fmt(price)}


@sampler("sql_execute")
def _sql_exec(r: random.Random, w: World) -> Sample:
    facts = w.facts["sql"]
    _, pname, _, price, _ = r.choice(facts["products"])
    kind = r.choice(["price", "stock", "city"])
    if kind == "price":
        new = round(price * r.choice([0.9, 1.1, 1.2]), 2)
        return {"statement": f"UPDATE products SET price = {new} WHERE name = '{pname}'"}, {"ask_kind": "price",
                                                                                             "product": pname, "new": fmt(new)}
    if kind == "stock":
        n = r.randint(5, 40)
        return {"statement": f"UPDATE products SET stock = stock + {n} WHERE name = '{pname}'"}, {"ask_kind": "stock",
                                                                                                   "product": pname, "n": n}
    _, cname, _ = r.choice(facts["customers"])
    city = r.choice(banks()["cities"])[0]
    return {"statement": f"UPDATE customers SET city = '{city}' WHERE name = '{cname}'"}, {"ask_kind": "city",
                                                                                            "customer": cname, "city": city}


@sampler("sql_list_tables")
def _sql_tables(r: random.Random, w: World) -> Sample:
    return {}, {}


@sampler("sql_describe_table")
def _sql_desc(r: random.Random, w: World) -> Sample:
    return {"table": r.choice(["customers", "products", "orders"])}, {}


@sampler("sql_count_rows")
def _sql_count(r: random.Random, w: World) -> Sample:
    return {"table": r.choice(["customers", "products", "orders"])}, {}


@sampler("sql_insert_row")
def _sql_insert(r: random.Random, w: World) -> Sample:
    if r.random() < 0.5:
        name = person(r)
        city = r.choice(banks()["cities"])[0]
        day = a_date(r, 2026, 2026).isoformat()
        return {"table": "customers", "row": {"name": name, "city": city, "signup_date": day}}, {"what": f"customer {name} from {city}"}
    p = r.choice(["label printer", "desk fan", "laptop sleeve", "french press", "night light"])
    cat = r.choice(banks()["product_categories"])
    price = round(r.uniform(5, 80), 2)
    return {"table": "products", "row": {"name": p, "category": cat, "price": fmt(price), "stock": str(r.randint(1, 30))}}, {
        "what": f"product '{p}' ({cat}) at {fmt(price)}"}


@sampler("sql_preview")
def _sql_prev(r: random.Random, w: World) -> Sample:
    args: dict[str, Any] = {"table": r.choice(["customers", "products", "orders"])}
    if r.random() < 0.5:
        args["limit"] = r.choice([2, 3, 10])
    return args, {}


# calendar -------------------------------------------------------------------------------------------------------

def cal(w: World) -> dict:
    return w.facts["calendar"]


def pretty_day(day: str) -> str:
    d = date.fromisoformat(day)
    return f"{d.strftime('%A')} {long_date(d)}"


@sampler("cal_list_events")
def _cal_list(r: random.Random, w: World) -> Sample:
    day = r.choice(cal(w)["week"])
    return {"date": day}, {"day": pretty_day(day)}


@sampler("cal_events_between")
def _cal_between(r: random.Random, w: World) -> Sample:
    week = cal(w)["week"]
    i = r.randint(0, 4)
    j = r.randint(i + 1, 6)
    return {"start_date": week[i], "end_date": week[j]}, {"from_day": pretty_day(week[i]), "to_day": pretty_day(week[j])}


def free_slot(r: random.Random, w: World, day: str, minutes: int) -> tuple[str, str] | None:
    busy = [(int(e["start"][:2]) * 60 + int(e["start"][3:]), int(e["end"][:2]) * 60 + int(e["end"][3:]))
            for e in cal(w)["events"] if e["date"] == day]
    starts = [s for s in range(8 * 60, 19 * 60 - minutes, 30) if all(s + minutes <= a or s >= z for a, z in busy)]
    if not starts:
        return None
    s = r.choice(starts)
    return f"{s // 60:02d}:{s % 60:02d}", f"{(s + minutes) // 60:02d}:{(s + minutes) % 60:02d}"


@sampler("cal_create_event")
def _cal_create(r: random.Random, w: World) -> Sample:
    for _ in range(20):
        day = r.choice(cal(w)["week"])
        slot = free_slot(r, w, day, r.choice([30, 45, 60, 90]))
        if slot:
            break
    else:
        day, slot = cal(w)["week"][0], ("19:00", "20:00")
    title = r.choice(banks()["event_titles"] + ["Call the bank", "Pick up the kids", "Focus time", "Run"])
    return {"title": title, "date": day, "start": slot[0], "end": slot[1]}, {"day": pretty_day(day)}


def an_event(r: random.Random, w: World) -> dict:
    return r.choice(cal(w)["events"])


@sampler("cal_cancel_event")
def _cal_cancel(r: random.Random, w: World) -> Sample:
    ev = an_event(r, w)
    return {"event_id": ev["id"]}, {"title": ev["title"], "day": pretty_day(ev["date"])}


@sampler("cal_reschedule_event")
def _cal_move(r: random.Random, w: World) -> Sample:
    ev = an_event(r, w)
    length = (int(ev["end"][:2]) * 60 + int(ev["end"][3:])) - (int(ev["start"][:2]) * 60 + int(ev["start"][3:]))
    for _ in range(20):
        day = r.choice(cal(w)["week"])
        slot = free_slot(r, w, day, length)
        if slot and (day, slot[0]) != (ev["date"], ev["start"]):
            break
    else:
        day, slot = (date.fromisoformat(cal(w)["week"][-1]) + timedelta(days=1)).isoformat(), ("09:00", "")
    return {"event_id": ev["id"], "date": day, "start": slot[0]}, {"title": ev["title"], "day": pretty_day(day)}


@sampler("cal_find_free_slot")
def _cal_free(r: random.Random, w: World) -> Sample:
    day = r.choice(cal(w)["week"])
    return {"date": day, "duration_minutes": r.choice([30, 45, 60, 90, 120])}, {"day": pretty_day(day),
                                                                                 "purpose": r.choice(
        ["a haircut", "a call with my accountant", "a walk", "deep work", "a dentist visit", "a workout", "lunch"])}


@sampler("cal_busy_minutes")
def _cal_busy(r: random.Random, w: World) -> Sample:
    day = r.choice(cal(w)["week"])
    return {"date": day}, {"day": pretty_day(day)}


# inventory ------------------------------------------------------------------------------------------------------

def an_item(r: random.Random, w: World, min_qty: int = 0) -> str:
    items = [k for k, v in w.facts["inventory"].items() if v["quantity"] >= min_qty]
    return r.choice(sorted(items or w.facts["inventory"]))


@sampler("inv_list_items")
def _inv_list(r: random.Random, w: World) -> Sample:
    return {}, {}


@sampler("inv_stock_level")
def _inv_level(r: random.Random, w: World) -> Sample:
    return {"item": an_item(r, w)}, {}


@sampler("inv_add_stock")
def _inv_add(r: random.Random, w: World) -> Sample:
    return {"item": an_item(r, w), "quantity": r.choice([5, 10, 12, 20, 24, 50])}, {}


@sampler("inv_remove_stock")
def _inv_remove(r: random.Random, w: World) -> Sample:
    item = an_item(r, w, 1)
    have = w.facts["inventory"][item]["quantity"]
    return {"item": item, "quantity": r.randint(1, max(1, min(have, 6)))}, {}


@sampler("inv_set_price")
def _inv_price(r: random.Random, w: World) -> Sample:
    item = an_item(r, w)
    old = w.facts["inventory"][item]["unit_price"]
    return {"item": item, "unit_price": round(old * r.choice([0.8, 0.9, 1.1, 1.25]), 2)}, {}


@sampler("inv_add_item")
def _inv_new(r: random.Random, w: World) -> Sample:
    new = [p for p in banks()["products"] if p not in w.facts["inventory"]]
    return {"item": r.choice(new), "quantity": r.randint(0, 40), "unit_price": round(r.uniform(3, 90), 2)}, {}


@sampler("inv_low_stock")
def _inv_low(r: random.Random, w: World) -> Sample:
    args: dict[str, Any] = {}
    if r.random() < 0.7:
        args["threshold"] = r.choice([2, 3, 5, 10])
    return args, {"threshold_words": fmt(args.get("threshold", 5))}


@sampler("inv_total_value")
def _inv_value(r: random.Random, w: World) -> Sample:
    return {}, {}


# to-do ----------------------------------------------------------------------------------------------------------

def a_task(r: random.Random, w: World, open_only: bool = True) -> dict:
    tasks = [t for t in w.facts["todo"]["tasks"] if not (open_only and t["done"])]
    return r.choice(tasks or w.facts["todo"]["tasks"])


@sampler("todo_add")
def _todo_add(r: random.Random, w: World) -> Sample:
    b = banks()
    title = r.choice([t for t in b["task_titles"] if t not in {x["title"] for x in w.facts["todo"]["tasks"]}])
    args: dict[str, Any] = {"title": title}
    if r.random() < 0.6:
        args["due"] = (date.fromisoformat(w.facts["todo"]["start"]) + timedelta(days=r.randint(1, 30))).isoformat()
    if r.random() < 0.5:
        args["priority"] = r.choice(["high", "low"])
    return args, {"due_long": long_date(date.fromisoformat(args["due"])) if "due" in args else ""}


@sampler("todo_list")
def _todo_list(r: random.Random, w: World) -> Sample:
    status = r.choice(["open", "open", "done", "all"])
    return ({"status": status} if status != "open" else {}), {"status": status}


@sampler("todo_complete")
def _todo_done(r: random.Random, w: World) -> Sample:
    t = a_task(r, w)
    return {"task_id": t["id"]}, {"title": t["title"]}


@sampler("todo_delete")
def _todo_del(r: random.Random, w: World) -> Sample:
    t = a_task(r, w, open_only=False)
    return {"task_id": t["id"]}, {"title": t["title"]}


@sampler("todo_set_priority")
def _todo_prio(r: random.Random, w: World) -> Sample:
    t = a_task(r, w)
    return {"task_id": t["id"], "priority": r.choice([p for p in ("high", "normal", "low") if p != t["priority"]])}, {
        "title": t["title"]}


@sampler("todo_due_before")
def _todo_due(r: random.Random, w: World) -> Sample:
    d = date.fromisoformat(w.facts["todo"]["start"]) + timedelta(days=r.randint(3, 15))
    return {"date": d.isoformat()}, {"date_long": long_date(d)}


@sampler("todo_search")
def _todo_search(r: random.Random, w: World) -> Sample:
    t = a_task(r, w, open_only=False)
    word = max(t["title"].split(), key=len)
    return {"keyword": word}, {}


# contacts -------------------------------------------------------------------------------------------------------

def a_contact(r: random.Random, w: World) -> dict:
    return r.choice(w.facts["contacts"])


@sampler("contact_add")
def _c_add(r: random.Random, w: World) -> Sample:
    names = {c["name"] for c in w.facts["contacts"]}
    name = person(r)
    while name in names:
        name = person(r)
    first, last = name.split(" ", 1)
    args: dict[str, Any] = {"name": name, "phone": f"+44 7{r.randint(100, 999)} {r.randint(100000, 999999)}"}
    if r.random() < 0.6:
        args["email"] = f"{first.lower()}@{r.choice(banks()['email_domains'])}"
    if r.random() < 0.4:
        args["birthday"] = a_date(r, 1960, 2004).isoformat()
    return args, {}


@sampler("contact_find")
def _c_find(r: random.Random, w: World) -> Sample:
    c = a_contact(r, w)
    return {"query": r.choice([c["name"].split()[0], c["name"].split()[1]])}, {"full": c["name"]}


@sampler("contact_update")
def _c_upd(r: random.Random, w: World) -> Sample:
    c = a_contact(r, w)
    first = c["name"].split()[0].lower()
    field, value = r.choice([("phone", f"+49 15{r.randint(10, 99)} {r.randint(1000000, 9999999)}"),
                             ("email", f"{first}@{r.choice(banks()['email_domains'])}")])
    return {"name": c["name"], "field": field, "value": value}, {}


@sampler("contact_delete")
def _c_del(r: random.Random, w: World) -> Sample:
    return {"name": a_contact(r, w)["name"]}, {}


@sampler("contact_list")
def _c_list(r: random.Random, w: World) -> Sample:
    return {}, {}


@sampler("birthdays_in_month")
def _c_bdays(r: random.Random, w: World) -> Sample:
    months = [int(c["birthday"][5:7]) for c in w.facts["contacts"] if c.get("birthday")]
    m = r.choice(months) if months and r.random() < 0.7 else r.randint(1, 12)
    return {"month": m}, {"month_name": date(2000, m, 1).strftime("%B")}


# expenses -------------------------------------------------------------------------------------------------------

def month_words(m: str) -> str:
    return date.fromisoformat(m + "-01").strftime("%B %Y")


@sampler("expense_add")
def _e_add(r: random.Random, w: World) -> Sample:
    f = w.facts["expenses"]
    m = r.choice(f["months"])
    args: dict[str, Any] = {"amount": round(r.uniform(3, 150), 2), "category": r.choice(f["categories"]),
                            "date": f"{m}-{r.randint(1, 28):02d}"}
    if r.random() < 0.5:
        args["note"] = r.choice(banks()["expense_notes"])
    return args, {"date_long": long_date(date.fromisoformat(args["date"]))}


@sampler("expense_list")
def _e_list(r: random.Random, w: World) -> Sample:
    f = w.facts["expenses"]
    m = r.choice(f["months"])
    args: dict[str, Any] = {"month": m}
    if r.random() < 0.6:
        args["category"] = r.choice(f["categories"])
    return args, {"month_name": month_words(m)}


@sampler("expense_total")
def _e_total(r: random.Random, w: World) -> Sample:
    args, slots = _e_list(r, w)
    return args, slots


@sampler("expenses_by_category")
def _e_bycat(r: random.Random, w: World) -> Sample:
    m = r.choice(w.facts["expenses"]["months"])
    return {"month": m}, {"month_name": month_words(m)}


@sampler("budget_remaining")
def _e_budget(r: random.Random, w: World) -> Sample:
    f = w.facts["expenses"]
    m = r.choice(f["months"])
    return {"month": m, "category": r.choice(f["categories"]), "budget": r.choice([100, 150, 200, 300, 400, 600])}, {
        "month_name": month_words(m)}


@sampler("expense_delete")
def _e_del(r: random.Random, w: World) -> Sample:
    e = r.choice(w.facts["expenses"]["rows"])
    return {"expense_id": e["id"]}, {"note": e["note"], "amount": fmt(e["amount"]), "date_long": long_date(date.fromisoformat(e["date"]))}
