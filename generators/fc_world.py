"""The worlds function_calling traces run in: seeded state for the library's stateful domains, plus shared banks.

A record's environment holds only what its calls need: a key-value store, user files and CSV tables, an sqlite
seed script, a calendar, an inventory, a to-do list, an address book, an expense ledger. `build_world` returns the
files (the record's `verification.environment`, executed by sandbox.functions.FunctionRuntime) and the facts the
argument samplers use to ask about things that exist (a key, an item, an event's title). Answers never come from
these facts: they are read off the real tool output.
"""

import json
import random
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("prompts") / "function_calling"
STATEFUL = ("kv", "files", "tables", "sql", "calendar", "inventory", "todo", "contacts", "expenses")


@cache
def banks() -> dict[str, Any]:
    return tomllib.loads((DATA / "banks.toml").read_text(encoding="utf-8"))


@dataclass
class World:
    """Files of the environment and what was planted in them."""

    files: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def environment(self) -> dict:
        return {"workspace": {"files": dict(sorted(self.files.items()))}}


def fmt(x: Any) -> str:
    """A number as people write it: no trailing .0, no float noise."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.6g}" if abs(x) < 1e15 else str(x)
    return str(x)


def person(r: random.Random) -> str:
    b = banks()
    return f"{r.choice(b['first_names'])} {r.choice(b['last_names'])}"


def a_date(r: random.Random, year_lo: int = 2025, year_hi: int = 2027) -> date:
    start = date(year_lo, 1, 1)
    return start + timedelta(days=r.randrange((date(year_hi, 12, 31) - start).days))


def money(r: random.Random, lo: float, hi: float) -> float:
    return round(r.uniform(lo, hi), 2)


# ---------------------------------------------------------------------------------------------------------------
# stateful domains


def _kv_value(r: random.Random, kind: str) -> str:
    b = banks()
    return {
        "theme": lambda: r.choice(b["themes"]), "language": lambda: r.choice(b["languages"]),
        "zone": lambda: r.choice(b["cities"])[3], "small_int": lambda: str(r.choice([10, 20, 25, 50, 100])),
        "flag": lambda: r.choice(["on", "off"]), "big_int": lambda: str(r.randint(1000, 250000)),
        "int": lambda: str(r.randint(0, 400)), "temp": lambda: f"{r.uniform(-4, 34):.1f}",
        "percent": lambda: str(r.randint(30, 95)), "person": lambda: person(r),
        "email": lambda: f"{r.choice(b['first_names']).lower()}@{r.choice(b['email_domains'])}",
        "semver": lambda: r.choice(b["versions"]), "window": lambda: r.choice(["Sun 02:00-04:00", "Sat 23:00-01:00"]),
        "date": lambda: a_date(r).isoformat(), "hex": lambda: f"{r.getrandbits(28):07x}",
        "region": lambda: r.choice(b["regions"]), "time": lambda: r.choice(["09:15", "09:30", "10:00", "08:45"]),
    }[kind]()


def kv_world(r: random.Random, w: World) -> None:
    entries = r.sample(banks()["kv_entries"], r.randint(6, 11))
    store = {k: _kv_value(r, kind) for k, kind in entries}
    w.files[".state/kv.json"] = json.dumps(store, indent=1, sort_keys=True)
    w.facts["kv"] = store
    w.facts["kv_kinds"] = dict(entries)


def files_world(r: random.Random, w: World) -> None:
    b = banks()
    topics = r.sample(b["notes_topics"], r.randint(2, 4))
    paths = []
    for topic in topics:
        path = f"notes/{topic}.txt"
        w.files[path] = "\n".join(r.sample(b["note_lines"], r.randint(3, 7))) + "\n"
        paths.append(path)
    readings = [round(r.uniform(10, 40), 1) for _ in range(r.randint(5, 12))]
    w.files["data/readings.txt"] = "\n".join(fmt(x) for x in readings) + "\n"
    essay = " ".join(r.sample(b["sentences"], r.randint(3, 6)))
    w.files["drafts/essay.md"] = f"# {r.choice(b['titles']).title()}\n\n{essay}\n"
    w.facts["notes"] = paths
    w.facts["readings"] = readings
    w.facts["essay"] = "drafts/essay.md"


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    return "\n".join(",".join(fmt(c) for c in row) for row in [header, *rows]) + "\n"


def tables_world(r: random.Random, w: World) -> None:
    b = banks()
    kind = r.choice(b["csv_kinds"])
    if kind == "sales":
        header = ["date", "region", "product", "units", "revenue"]
        rows = []
        for _ in range(r.randint(8, 16)):
            units = r.randint(1, 40)
            rows.append([a_date(r, 2026, 2026).isoformat(), r.choice(b["regions_sales"]), r.choice(b["products"]),
                         units, round(units * r.uniform(4, 60), 2)])
        numeric, group = ["units", "revenue"], ["region", "product"]
    elif kind == "grades":
        header = ["student", "subject", "score"]
        rows = [[r.choice(b["first_names"]), r.choice(b["subjects"]), r.randint(35, 100)] for _ in range(r.randint(8, 16))]
        numeric, group = ["score"], ["student", "subject"]
    elif kind == "trips":
        header = ["day", "vehicle", "km", "minutes"]
        rows = [[a_date(r, 2026, 2026).isoformat(), r.choice(b["vehicles"]), round(r.uniform(1, 60), 1), r.randint(5, 120)]
                for _ in range(r.randint(8, 16))]
        numeric, group = ["km", "minutes"], ["vehicle"]
    elif kind == "inventory_counts":
        header = ["product", "category", "count", "unit_price"]
        rows = [[p, r.choice(b["product_categories"]), r.randint(0, 80), money(r, 2, 90)]
                for p in r.sample(b["products"], r.randint(8, 14))]
        numeric, group = ["count", "unit_price"], ["category"]
    else:
        header = ["station", "date", "temp_c", "rain_mm"]
        rows = [[r.choice(b["stations"]), a_date(r, 2026, 2026).isoformat(), round(r.uniform(-5, 32), 1),
                 round(r.uniform(0, 25), 1)] for _ in range(r.randint(8, 16))]
        numeric, group = ["temp_c", "rain_mm"], ["station"]
    path = f"data/{kind}.csv"
    w.files[path] = _csv(header, rows)
    w.facts["csv"] = {"path": path, "kind": kind, "columns": header, "numeric": numeric, "group": group,
                      "rows": [dict(zip(header, map(fmt, row), strict=True)) for row in rows]}


SQL_SCHEMA = ("customers(id, name, city, signup_date), products(id, name, category, price, stock), "
              "orders(id, customer_id, product_id, quantity, order_date)")


def sql_world(r: random.Random, w: World) -> None:
    b = banks()
    cities = [c[0] for c in r.sample(b["cities"], 6)]
    customers = []
    lines = ["CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT, signup_date TEXT);",
             "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT, price REAL, stock INTEGER);",
             "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), "
             "product_id INTEGER REFERENCES products(id), quantity INTEGER, order_date TEXT);"]
    names = set()
    for i in range(1, r.randint(6, 10) + 1):
        name = person(r)
        while name in names:
            name = person(r)
        names.add(name)
        city = r.choice(cities)
        customers.append((i, name, city))
        lines.append(f"INSERT INTO customers VALUES ({i}, '{name}', '{city}', '{a_date(r, 2024, 2026).isoformat()}');")
    products = []
    for i, pname in enumerate(r.sample(b["products"], r.randint(5, 9)), 1):
        cat, price, stock = r.choice(b["product_categories"]), money(r, 3, 120), r.randint(0, 60)
        products.append((i, pname, cat, price, stock))
        lines.append(f"INSERT INTO products VALUES ({i}, '{pname}', '{cat}', {price}, {stock});")
    for i in range(1, r.randint(8, 18) + 1):
        lines.append(f"INSERT INTO orders VALUES ({i}, {r.randint(1, len(customers))}, {r.randint(1, len(products))}, "
                     f"{r.randint(1, 6)}, '{a_date(r, 2026, 2026).isoformat()}');")
    w.files[".state/seed.sql"] = "\n".join(lines) + "\n"
    w.facts["sql"] = {"customers": customers, "products": products, "cities": sorted({c[2] for c in customers}),
                      "categories": sorted({p[2] for p in products})}


def calendar_world(r: random.Random, w: World) -> None:
    b = banks()
    start = a_date(r, 2026, 2026)
    events = []
    day_slots: dict[str, list[tuple[int, int]]] = {}
    titles = r.sample(b["event_titles"], r.randint(5, 10))
    for title in titles:
        day = (start + timedelta(days=r.randint(0, 6))).isoformat()
        for _ in range(10):
            s = r.choice(range(8 * 60, 17 * 60, 30))
            e = s + r.choice([30, 30, 45, 60, 60, 90])
            if all(e <= a or s >= z for a, z in day_slots.get(day, [])):
                day_slots.setdefault(day, []).append((s, e))
                events.append({"id": len(events) + 1, "title": title, "date": day, "start": f"{s // 60:02d}:{s % 60:02d}",
                               "end": f"{e // 60:02d}:{e % 60:02d}"})
                break
    w.files[".state/calendar.json"] = json.dumps({"next_id": len(events) + 1, "events": events}, indent=1, sort_keys=True)
    w.facts["calendar"] = {"events": events, "week": [(start + timedelta(days=i)).isoformat() for i in range(7)]}


def inventory_world(r: random.Random, w: World) -> None:
    items = {p: {"quantity": r.choice([0, 1, 2, 3, 4, 5, 7, 9, 12, 15, 20, 25, 40, 60]), "unit_price": money(r, 2, 150)}
             for p in r.sample(banks()["products"], r.randint(6, 12))}
    w.files[".state/inventory.json"] = json.dumps({"items": items}, indent=1, sort_keys=True)
    w.facts["inventory"] = items


def todo_world(r: random.Random, w: World) -> None:
    start = a_date(r, 2026, 2026)
    tasks = []
    for i, title in enumerate(r.sample(banks()["task_titles"], r.randint(5, 10)), 1):
        due = (start + timedelta(days=r.randint(-3, 20))).isoformat() if r.random() < 0.75 else None
        tasks.append({"id": i, "title": title, "due": due, "priority": r.choice(["high", "normal", "normal", "low"]),
                      "done": r.random() < 0.2})
    w.files[".state/todo.json"] = json.dumps({"next_id": len(tasks) + 1, "tasks": tasks}, indent=1, sort_keys=True)
    w.facts["todo"] = {"tasks": tasks, "start": start.isoformat()}


def contacts_world(r: random.Random, w: World) -> None:
    b = banks()
    book = {}
    while len(book) < r.randint(5, 9):
        name = person(r)
        first, last = name.split(" ", 1)
        book[name.lower()] = {"name": name, "phone": f"+{r.choice([44, 49, 33, 351, 1, 81])} {r.randint(100, 999)} "
                                                    f"{r.randint(100, 999)} {r.randint(1000, 9999)}",
                              "email": f"{first.lower()}.{last.lower()}@{r.choice(b['email_domains'])}",
                              "birthday": a_date(r, 1950, 2005).isoformat() if r.random() < 0.8 else None}
    w.files[".state/contacts.json"] = json.dumps({"contacts": book}, indent=1, sort_keys=True, ensure_ascii=False)
    w.facts["contacts"] = list(book.values())


def expenses_world(r: random.Random, w: World) -> None:
    b = banks()
    year, month = r.choice([2025, 2026]), r.randint(1, 11)
    months = [f"{year}-{month:02d}", f"{year}-{month + 1:02d}"]
    cats = r.sample(b["expense_categories"], r.randint(3, 6))
    rows = []
    for i in range(1, r.randint(10, 24) + 1):
        m = r.choice(months)
        rows.append({"id": i, "amount": money(r, 2, 180), "category": r.choice(cats), "date": f"{m}-{r.randint(1, 28):02d}",
                     "note": r.choice(b["expense_notes"])})
    w.files[".state/expenses.json"] = json.dumps({"next_id": len(rows) + 1, "expenses": rows}, indent=1, sort_keys=True)
    w.facts["expenses"] = {"rows": rows, "months": months, "categories": cats}


BUILDERS = {"kv": kv_world, "files": files_world, "tables": tables_world, "sql": sql_world, "calendar": calendar_world,
            "inventory": inventory_world, "todo": todo_world, "contacts": contacts_world, "expenses": expenses_world}


def build_world(r: random.Random, domains: list[str] | set[str]) -> World:
    """Plant state for every stateful domain in `domains` (each once, in a fixed order)."""
    w = World()
    for domain in STATEFUL:
        if domain in domains:
            BUILDERS[domain](r, w)
    return w
