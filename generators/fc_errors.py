"""Wrong-argument calls that fail for real and are corrected: the error_correct shape of function_calling.

For a function and its correctly sampled arguments, a mistake is a schema-valid but wrong variant of one argument
that people (and models) really produce: a unit spelled out where a symbol is expected, a DD/MM/YYYY date, 5 for a
5% rate, a key without its prefix, a contact's first name only, a colour without its '#'. The wrong call is executed
and must come back as an error; when the error message does not itself show the right value (a missing key, a
column name) the assistant looks it up with a second tool, and the corrected value must appear in that lookup's
real output before the retry is made. The retry must succeed.
"""

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from generators.fc_args import UNIT_NAMES
from generators.fc_phrasing import fields, fill, is_error, parse_output
from generators.fc_world import DATA
from generators.grounded import Reject, Script, Turn
from sandbox.functions import units as unit_tables


@dataclass
class Mistake:
    kind: str
    bad: dict
    wrong: str
    right: str
    lookup: tuple[str, dict] | None = None


@cache
def notes() -> dict[str, Any]:
    return tomllib.loads((DATA / "errors.toml").read_text(encoding="utf-8"))


TABLES = {"convert_length": unit_tables.LENGTH, "convert_mass": unit_tables.MASS, "convert_volume": unit_tables.VOLUME,
          "convert_speed": unit_tables.SPEED, "convert_area": unit_tables.AREA, "convert_data_size": unit_tables.DATA,
          "convert_energy": unit_tables.ENERGY, "convert_pressure": unit_tables.PRESSURE,
          "convert_duration": unit_tables.DURATION, "convert_temperature": {"C": 1, "F": 1, "K": 1}}


def m_unit(c: Any, fn: str, args: dict) -> Mistake | None:
    table = TABLES[fn]
    options = [(k, n) for k in ("from_unit", "to_unit") for n in UNIT_NAMES[args[k]] if n not in table]
    if not options:
        return None
    key, name = c.r.choice(options)
    return Mistake("unit_name", args | {key: name}, name, args[key])


DATE_KEYS = ("date", "start_date", "end_date", "birth_date", "on_date", "due")


def m_date(c: Any, fn: str, args: dict) -> Mistake | None:
    keys = [k for k in DATE_KEYS if isinstance(args.get(k), str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", args[k])]
    if not keys:
        return None
    key = c.r.choice(keys)
    d = date.fromisoformat(args[key])
    wrong = c.r.choice([f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.strftime('%B')} {d.day}, {d.year}",
                        f"{d.day:02d}.{d.month:02d}.{d.year}", f"{d.month}/{d.day}/{d.year}"])
    return Mistake("date_format", args | {key: wrong}, wrong, args[key])


def m_month(c: Any, fn: str, args: dict) -> Mistake | None:
    m = args.get("month")
    if not isinstance(m, str):
        return None
    wrong = date.fromisoformat(m + "-01").strftime(c.r.choice(["%B %Y", "%b %Y", "%m/%Y"]))
    return Mistake("month_format", args | {"month": wrong}, wrong, m)


def m_zone(c: Any, fn: str, args: dict, slots: dict) -> Mistake | None:
    key, city = c.r.choice([("from_tz", slots.get("city_a")), ("to_tz", slots.get("city_b"))])
    if not city:
        return None
    return Mistake("zone_name", args | {key: city}, city, args[key])


def m_time(c: Any, fn: str, args: dict) -> Mistake | None:
    key = c.r.choice([k for k in ("start", "end") if k in args])
    h, m = map(int, args[key].split(":"))
    suffix = "am" if h < 12 else "pm"
    h12 = h % 12 or 12
    wrong = f"{h12}{suffix}" if m == 0 else f"{h12}:{m:02d}{suffix}"
    return Mistake("time_format", args | {key: wrong}, wrong, args[key])


def m_rate(c: Any, fn: str, args: dict) -> Mistake | None:
    key = next(k for k in ("rate", "annual_rate", "tax_rate") if k in args)
    pct = round(args[key] * 100, 4)
    if pct <= 1:
        return None
    pct_v = int(pct) if float(pct).is_integer() else pct
    return Mistake("rate_percent", args | {key: pct_v}, str(pct_v), str(args[key]))


def m_height(c: Any, fn: str, args: dict) -> Mistake | None:
    cm = round(args["height_m"] * 100)
    return Mistake("height_cm", args | {"height_m": cm}, str(cm), str(args["height_m"]))


def m_kv_key(c: Any, fn: str, args: dict) -> Mistake | None:
    key = "key" if "key" in args else "old_key"
    if ":" not in args[key]:
        return None
    short = args[key].split(":", 1)[1]
    return Mistake("kv_key", args | {key: short}, short, args[key], lookup=("kv_list_keys", {}))


def m_path(c: Any, fn: str, args: dict) -> Mistake | None:
    key = "path" if "path" in args else "source"
    if "/" not in args[key]:
        return None
    short = args[key].split("/")[-1]
    return Mistake("file_path", args | {key: short}, short, args[key])


SQL_RENAMES = {"price": ("cost", "products"), "city": ("town", "customers"), "quantity": ("qty", "orders"),
               "stock": ("in_stock", "products")}


def m_sql_column(c: Any, fn: str, args: dict) -> Mistake | None:
    found = [col for col in SQL_RENAMES if re.search(rf"\b{col}\b", args["query"])]
    if not found:
        return None
    col = c.r.choice(found)
    wrong, table = SQL_RENAMES[col]
    return Mistake("sql_column", args | {"query": re.sub(rf"\b{col}\b", wrong, args["query"])}, wrong, col,
                   lookup=("sql_describe_table", {"table": table}))


def m_sql_table(c: Any, fn: str, args: dict) -> Mistake | None:
    wrong = args["table"].rstrip("s")
    return Mistake("sql_table", args | {"table": wrong}, wrong, args["table"])


def m_item(c: Any, fn: str, args: dict) -> Mistake | None:
    item = args["item"]
    wrong = item + "s" if not item.endswith("s") else item.title()
    if wrong.lower() == item:
        return None
    return Mistake("item_name", args | {"item": wrong}, wrong, item)


def m_contact(c: Any, fn: str, args: dict) -> Mistake | None:
    first = args["name"].split()[0]
    return Mistake("contact_name", args | {"name": first}, first, args["name"], lookup=("contact_find", {"query": first}))


def m_csv_column(c: Any, fn: str, args: dict) -> Mistake | None:
    key = c.r.choice([k for k in ("column", "group_by", "value_column") if k in args])
    wrong = args[key].replace("_", " ").title()
    if wrong == args[key]:
        return None
    return Mistake("csv_column", args | {key: wrong}, wrong, args[key])


def m_base(c: Any, fn: str, args: dict) -> Mistake | None:
    if args["from_base"] != 16 or not re.search(r"[a-f]", args["number"]):
        return None
    return Mistake("number_base", args | {"from_base": 10}, "10", "16")


def m_semver(c: Any, fn: str, args: dict) -> Mistake | None:
    key = c.r.choice([k for k in ("version", "a", "b") if k in args])
    return Mistake("semver_prefix", args | {key: "v" + args[key]}, "v" + args[key], args[key])


def m_hemisphere(c: Any, fn: str, args: dict) -> Mistake | None:
    word = {"N": "North", "S": "South", "E": "East", "W": "West"}[args["hemisphere"]]
    return Mistake("hemisphere_word", args | {"hemisphere": word}, word, args["hemisphere"])


def m_axis(c: Any, fn: str, args: dict) -> Mistake | None:
    word = {"lat": "latitude", "lon": "longitude"}[args["axis"]]
    return Mistake("axis_word", args | {"axis": word}, word, args["axis"])


def m_hex(c: Any, fn: str, args: dict) -> Mistake | None:
    key = c.r.choice([k for k in ("hex_color", "foreground", "background", "color_a", "color_b") if k in args])
    return Mistake("hex_hash", args | {key: args[key].lstrip("#")}, args[key].lstrip("#"), args[key])


def m_cidr(c: Any, fn: str, args: dict) -> Mistake | None:
    import ipaddress

    net = ipaddress.ip_network(args["cidr"], strict=False)
    wrong = f"{args['cidr'].split('/')[0]} {net.netmask}"
    return Mistake("cidr_mask", args | {"cidr": wrong}, wrong, args["cidr"])


COOK_WORDS = {"flour": "plain flour", "sugar": "caster sugar", "butter": "unsalted butter", "oats": "rolled oats",
              "milk": "whole milk", "rice": "basmati rice", "honey": "runny honey", "water": "cold water",
              "brown sugar": "light brown sugar", "powdered sugar": "icing sugar", "cocoa powder": "dutch cocoa",
              "chicken": "whole chicken", "beef": "beef brisket", "pork": "pork shoulder", "lamb": "leg of lamb",
              "turkey": "turkey crown"}


def m_cooking(c: Any, fn: str, args: dict) -> Mistake | None:
    key = "ingredient" if "ingredient" in args else "meat"
    wrong = COOK_WORDS.get(args[key])
    return Mistake("cooking_word", args | {key: wrong}, wrong, args[key]) if wrong else None


def m_regex(c: Any, fn: str, args: dict) -> Mistake | None:
    return Mistake("regex_syntax", args | {"pattern": "(" + args["pattern"]}, "(" + args["pattern"], args["pattern"])


MISTAKES: dict[str, Callable[..., Mistake | None]] = {
    **{f: m_unit for f in TABLES},
    **{f: m_date for f in ("days_between", "add_days", "day_of_week", "add_business_days", "business_days_between",
                           "iso_week_number", "age_on", "todo_due_before", "cal_list_events", "cal_find_free_slot",
                           "cal_busy_minutes", "expense_add")},
    **{f: m_month for f in ("expense_list", "expense_total", "expenses_by_category", "budget_remaining")},
    "convert_timezone": m_zone, "cal_create_event": m_time,
    **{f: m_rate for f in ("compound_interest", "simple_interest", "loan_payment", "net_present_value", "add_sales_tax",
                           "savings_goal")},
    "body_mass_index": m_height, "kv_get": m_kv_key, "kv_delete": m_kv_key, "kv_rename": m_kv_key,
    **{f: m_path for f in ("fs_read", "fs_stat", "fs_line_count", "fs_copy")},
    "sql_select": m_sql_column, "sql_count_rows": m_sql_table, "sql_preview": m_sql_table, "sql_describe_table": m_sql_table,
    **{f: m_item for f in ("inv_stock_level", "inv_add_stock", "inv_remove_stock", "inv_set_price")},
    "contact_update": m_contact, "contact_delete": m_contact,
    **{f: m_csv_column for f in ("csv_column_stats", "csv_filter_rows", "csv_group_sum", "csv_top_rows")},
    "convert_base": m_base, **{f: m_semver for f in ("compare_versions", "bump_version", "parse_version", "satisfies")},
    "dms_to_decimal": m_hemisphere, "decimal_to_dms": m_axis,
    **{f: m_hex for f in ("hex_to_rgb", "hex_to_hsl", "lighten_color", "grayscale", "contrast_ratio", "mix_colors")},
    **{f: m_cidr for f in ("cidr_info", "split_subnet", "ip_in_network")},
    "cups_to_grams": m_cooking, "roasting_time": m_cooking, "regex_find_all": m_regex,
}


def note(c: Any, kind: str, values: dict, which: str = "fix") -> str:
    """What the assistant says about the error before its next call (`fix`, or `lookup` / `after_lookup`)."""
    templates = [t for t in notes()[kind][which] if fields(t) <= set(values)]
    return fill(c.r.choice(templates), values)


def s_error(c: Any) -> Script:
    fn = c.focus
    mistake = None
    for attempt in range(8):  # a sampled argument may leave no plausible mistake (a 0.5% rate): take another function
        if attempt:
            fn = c.r.choice(sorted(MISTAKES))
        c.setup([fn], [])  # plant the world first: the mistake depends on the sampled arguments
        args, slots = c.sample(fn)
        make = MISTAKES[fn]
        mistake = make(c, fn, args, slots) if make is m_zone else make(c, fn, args)
        if mistake is not None:
            break
    if mistake is None:
        raise Reject(f"no applicable mistake for {c.focus}")
    c.facets["function"] = fn
    tools = [fn] + ([mistake.lookup[0]] if mistake.lookup else [])
    c.offered = c.distractors(tools, c.r.randint(len(tools) + 1, 8))
    c.r.shuffle(c.offered)
    c.user = c.request(fn, args, slots)
    c.facets["mistake"] = mistake.kind
    out = yield Turn([(fn, mistake.bad)], content=c.preamble(0.25))
    assert out is not None
    err = parse_output(out[0])
    if not is_error(err):
        raise Reject(f"the {mistake.kind} mistake did not fail: {out[0][:120]}")
    values = {"wrong": mistake.wrong, "right": mistake.right, "fn": fn}
    if mistake.lookup is not None:
        name, largs = mistake.lookup
        out = yield Turn([(name, largs)], content=note(c, mistake.kind, values, "lookup") if c.r.random() < 0.7 else None)
        assert out is not None
        if is_error(parse_output(out[0])) or mistake.right not in json.dumps(parse_output(out[0]), ensure_ascii=False):
            raise Reject(f"lookup {name} does not show {mistake.right!r}")
        text = note(c, mistake.kind, values, "after_lookup") if c.r.random() < 0.8 else None
    else:
        text = note(c, mistake.kind, values)
    as_reasoning = text is not None and c.r.random() < 0.35
    turn = Turn([(fn, args)], content=None if as_reasoning else text, reasoning=text if as_reasoning else None)
    out = yield turn
    assert out is not None
    return c.answer(fn, args, slots, out[0])
