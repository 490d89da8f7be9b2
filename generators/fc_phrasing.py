"""Phrasing for function_calling: requests that justify every argument, answers read off the real tool output.

Templates live in prompts/function_calling/*.toml. A request template is eligible only when each argument of the
call is mentioned, directly (`{value}`) or through a slot that stands for it (`{from_name}` says the unit,
`{rate_pct}` the rate): otherwise the call would carry a value the user never gave. An answer template is filled
from the parsed tool output (`out`, `out[key]`, `listing`, `inline`, `count`), so it says what actually came back.
"""

import json
import random
import string
import tomllib
from functools import cache
from typing import Any

from generators.fc_world import DATA, fmt

FILES = ("units_dates.toml", "stats_text.toml", "state.toml", "math_misc.toml")

# slot -> arguments it tells the model (besides the argument of the same name)
COVERS: dict[str, set[str]] = {
    "from_name": {"from_unit", "from_base"}, "to_name": {"to_unit", "to_base"}, "start_long": {"start_date"},
    "end_long": {"end_date"}, "date_long": {"date"}, "born_long": {"birth_date"}, "on_long": {"on_date"},
    "rate_pct": {"rate", "annual_rate", "tax_rate"}, "day": {"date"}, "city_a": {"from_tz", "lat1", "lon1"},
    "city_b": {"to_tz", "lat2", "lon2"}, "time": {"datetime"}, "month_name": {"month"}, "due_long": {"due"},
    "hemi_name": {"hemisphere"}, "axis_name": {"axis"}, "city": {"lat", "lon"}, "heading": {"bearing_deg"},
    "from_day": {"start_date"}, "to_day": {"end_date"}, "activity_words": {"activity"},
    "threshold_words": {"threshold"}, "ask_kind": {"query", "statement"}, "invest": {"cash_flows"},
    "returns": {"cash_flows"}, "what": {"pattern", "replacement", "row"}, "where": {"directory"},
    "shape": {"sides"}, "wave": {"speed_m_s"}, "compounding": {"compounds_per_year"}, "years": {"months"},
    "pts": {"amount"}, "order": {"descending"}, "sd_kind": {"sample"}, "sd_kind_cap": {"sample"},
    "sep_words": {"separator"}, "match_words": {"full_match"}, "n": {"days"}, "seps": {"pattern"},
}
_FORMATTER = string.Formatter()


@cache
def phrasebook() -> dict[str, dict[str, Any]]:
    """Every function's templates, with `like` groups merged in (group lists first)."""
    book: dict[str, dict[str, Any]] = {}
    for name in FILES:
        book |= tomllib.loads((DATA / name).read_text(encoding="utf-8"))
    for entry in book.values():
        base = book.get(entry.get("like", ""), {})
        for key, value in base.items():
            if isinstance(value, list):
                entry[key] = [*value, *entry.get(key, [])]
    return book


@cache
def shared() -> dict[str, Any]:
    return tomllib.loads((DATA / "shared.toml").read_text(encoding="utf-8"))


@cache
def knowledge() -> dict[str, Any]:
    return tomllib.loads((DATA / "knowledge.toml").read_text(encoding="utf-8"))


def fields(template: str) -> set[str]:
    """The root slot names a template uses (`out[key]` -> `out`)."""
    out = set()
    for _, field, _, _ in _FORMATTER.parse(template):
        if field:
            out.add(field.split("[")[0].split(".")[0])
    return out


def covered(template: str, arguments: dict, implied: frozenset[str] | set[str] = frozenset()) -> bool:
    """Does the template tell every argument? `implied` slots count as used (a template chosen for an ask_kind)."""
    used = fields(template) | implied
    told = set(used) | {a for s in used for a in COVERS.get(s, ())}
    return set(arguments) <= told


def human_list(items: list[str]) -> str:
    items = [str(i) for i in items]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def show(value: Any) -> Any:
    """A slot value as text; dicts stay dicts (for `out[key]`), with their values shown."""
    if isinstance(value, dict):
        return {k: show(v) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) == 2 and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            return f"{fmt(value[0])}–{fmt(value[1])}"
        return human_list([show(v) if not isinstance(v, dict) else ", ".join(f"{k} {fmt(x)}" for k, x in v.items())
                           for v in value]) or "none"
    if value is None:
        return "none"
    return fmt(value)


def request_slots(arguments: dict, slots: dict) -> dict:
    return {k: show(v) for k, v in arguments.items()} | {k: show(v) if not isinstance(v, str) else v
                                                          for k, v in slots.items()}


def fill(template: str, values: dict) -> str:
    return template.format_map(values)


def pick(r: random.Random, templates: list[str], values: dict, arguments: dict | None = None,
         implied: frozenset[str] | set[str] = frozenset()) -> str | None:
    """A template whose slots all resolve (and, for requests, that mentions every argument), filled in."""
    ok = []
    for t in templates:
        if not fields(t) <= set(values):
            continue
        if arguments is not None and not covered(t, arguments, implied):
            continue
        ok.append(t)
    if not ok:
        return None
    return fill(r.choice(ok), values)


def ask_templates(name: str, slots: dict) -> list[str]:
    entry = phrasebook().get(name, {})
    kind = slots.get("ask_kind")
    return entry.get(f"ask_{kind}", []) if kind else entry.get("ask", [])


def request(r: random.Random, name: str, arguments: dict, slots: dict) -> str | None:
    """The user's words for one call, or None when no template fits (a data gap the tests catch)."""
    implied = {"ask_kind"} if "ask_kind" in slots else set()
    return pick(r, ask_templates(name, slots), request_slots(arguments, slots), arguments, implied)


# ---------------------------------------------------------------------------------------------------------------
# answers from real outputs


def parse_output(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def is_error(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"error"}


def variant(name: str, value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and not value:
        return "empty"
    if isinstance(value, dict):
        for key in ("valid", "matches"):
            if isinstance(value.get(key), bool):
                return "true" if value[key] else "false"
        if value.get("over_budget") is True:
            return "over"
        if name == "compare_versions" and value.get("result") == 0:
            return "equal"
    return None


def _item(entry: dict, item: Any) -> str:
    template = entry.get("item")
    if isinstance(item, dict):
        shown = {k: show(v) for k, v in item.items()}
        if template:
            try:
                return template.format(*shown.values(), **shown)
            except (KeyError, IndexError):
                pass
        return ", ".join(f"{k}: {v}" for k, v in shown.items())
    return show(item)


def answer_slots(name: str, value: Any) -> dict:
    entry = phrasebook().get(name, {})
    out: dict[str, Any] = {"out": show(value)}
    items: list | None = None
    if isinstance(value, list):
        items = value
        if all(isinstance(v, int | float) for v in value):
            out["times"] = " × ".join(fmt(v) for v in value)
    elif isinstance(value, dict) and name in ("scale_recipe",):
        items = [f"{k.replace('_', ' ')}: {fmt(v)}" for k, v in value.items()]
    if items is not None:
        rendered = [_item(entry, i) for i in items]
        out |= {"count": str(len(items)), "inline": human_list(rendered) or "none",
                "listing": "\n".join(f"- {x}" for x in rendered) or "(none)"}
    return out


def answer(r: random.Random, name: str, arguments: dict, slots: dict, value: Any) -> str | None:
    """The answer to one call from its parsed output; None when no template fits."""
    entry = phrasebook().get(name, {})
    var = variant(name, value)
    kind = slots.get("ask_kind")
    lists = [entry.get(f"say_{var}") if var else None, entry.get(f"say_{kind}") if kind else None, entry.get("say")]
    templates = next((t for t in lists if t), [])
    values = request_slots(arguments, slots) | answer_slots(name, value)
    return pick(r, templates, values)


def lower_first(text: str) -> str:
    """'What's ...' -> 'what's ...' to continue a sentence, leaving acronyms and code alone."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text
