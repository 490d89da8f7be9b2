"""Argument samplers for every library function: realistic arguments plus the words a user would ask with.

`SAMPLERS[name](r, world) -> (arguments, slots)`: the arguments are what the assistant's call carries (valid for
the function's schema), the slots fill the request and answer phrasings of generators/prompts/function_calling/
(`{value}`, `{from_name}`, `{city_a}` ...). Every argument is also a slot under its own name. Stateful samplers
pick things the world planted (an existing key, item or event) so a request is about something real.
"""

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from generators.fc_world import World, a_date, banks, fmt, money, person

Sample = tuple[dict[str, Any], dict[str, Any]]
SAMPLERS: dict[str, Callable[[random.Random, World], Sample]] = {}

# symbol -> how people say it (first is the usual written form)
UNIT_NAMES = {
    "mm": ["millimetres", "mm"], "cm": ["centimetres", "cm"], "m": ["metres", "meters"], "km": ["kilometres", "km", "kilometers"],
    "in": ["inches"], "ft": ["feet"], "yd": ["yards"], "mi": ["miles"], "nmi": ["nautical miles"],
    "mg": ["milligrams", "mg"], "g": ["grams"], "kg": ["kilograms", "kilos", "kg"], "t": ["tonnes", "metric tons"],
    "oz": ["ounces"], "lb": ["pounds", "lbs"], "st": ["stone"],
    "ml": ["millilitres", "ml"], "cl": ["centilitres"], "l": ["litres", "liters"], "m3": ["cubic metres"],
    "tsp": ["teaspoons"], "tbsp": ["tablespoons"], "cup": ["cups"], "pt": ["pints"], "qt": ["quarts"],
    "gal": ["gallons"], "floz": ["fluid ounces"],
    "m/s": ["metres per second", "m/s"], "km/h": ["km/h", "kilometres per hour"], "mph": ["mph", "miles per hour"],
    "kn": ["knots"], "ft/s": ["feet per second"],
    "mm2": ["square millimetres"], "cm2": ["square centimetres"], "m2": ["square metres", "m²"], "ha": ["hectares"],
    "km2": ["square kilometres", "km²"], "in2": ["square inches"], "ft2": ["square feet"], "yd2": ["square yards"],
    "acre": ["acres"], "mi2": ["square miles"],
    "B": ["bytes"], "KB": ["kilobytes", "KB"], "MB": ["megabytes", "MB"], "GB": ["gigabytes", "GB"], "TB": ["terabytes", "TB"],
    "KiB": ["KiB", "kibibytes"], "MiB": ["MiB", "mebibytes"], "GiB": ["GiB", "gibibytes"], "TiB": ["TiB"], "bit": ["bits"],
    "J": ["joules"], "kJ": ["kilojoules", "kJ"], "cal": ["calories (small)"], "kcal": ["kcal", "kilocalories"],
    "Wh": ["watt-hours", "Wh"], "kWh": ["kWh", "kilowatt-hours"], "BTU": ["BTU"], "eV": ["electronvolts", "eV"],
    "Pa": ["pascals"], "kPa": ["kPa", "kilopascals"], "bar": ["bar"], "atm": ["atmospheres", "atm"], "psi": ["psi"],
    "mmHg": ["mmHg", "millimetres of mercury"],
    "ms": ["milliseconds"], "s": ["seconds"], "min": ["minutes"], "h": ["hours"], "day": ["days"], "week": ["weeks"],
    "C": ["degrees Celsius", "°C", "Celsius"], "F": ["degrees Fahrenheit", "°F", "Fahrenheit"], "K": ["kelvin"],
}
# (from, to, low, high, decimals): pairs people actually convert
UNIT_PAIRS = {
    "convert_length": [("km", "mi", 1, 500, 1), ("mi", "km", 1, 300, 1), ("m", "ft", 1, 400, 1), ("ft", "m", 1, 1000, 0),
                       ("in", "cm", 1, 80, 1), ("cm", "in", 1, 250, 0), ("nmi", "km", 1, 400, 0), ("yd", "m", 5, 500, 0),
                       ("mm", "in", 1, 600, 0), ("km", "nmi", 5, 900, 0)],
    "convert_mass": [("kg", "lb", 1, 150, 1), ("lb", "kg", 1, 300, 0), ("oz", "g", 1, 40, 1), ("g", "oz", 10, 1000, 0),
                     ("st", "kg", 6, 25, 1), ("t", "lb", 1, 40, 1), ("mg", "g", 50, 5000, 0), ("kg", "st", 40, 140, 1)],
    "convert_temperature": [("C", "F", -30, 45, 1), ("F", "C", -10, 110, 0), ("C", "K", -50, 120, 0),
                            ("K", "C", 200, 400, 1), ("F", "K", -40, 120, 0)],
    "convert_volume": [("l", "gal", 1, 200, 1), ("gal", "l", 1, 60, 1), ("cup", "ml", 0.25, 6, 2), ("ml", "floz", 30, 1000, 0),
                       ("tbsp", "ml", 1, 12, 0), ("tsp", "ml", 0.5, 6, 1), ("pt", "l", 1, 12, 0), ("m3", "l", 0.1, 5, 2),
                       ("qt", "l", 1, 8, 0), ("l", "cup", 0.5, 4, 1)],
    "convert_speed": [("km/h", "mph", 10, 300, 0), ("mph", "km/h", 10, 120, 0), ("m/s", "km/h", 1, 120, 1),
                      ("kn", "km/h", 5, 40, 0), ("mph", "m/s", 5, 90, 0), ("ft/s", "m/s", 5, 200, 0)],
    "convert_area": [("m2", "ft2", 5, 300, 1), ("acre", "ha", 0.5, 400, 1), ("ha", "acre", 0.5, 300, 1),
                     ("km2", "mi2", 1, 5000, 0), ("ft2", "m2", 50, 4000, 0), ("cm2", "in2", 10, 2000, 0),
                     ("yd2", "m2", 5, 500, 0)],
    "convert_data_size": [("GB", "GiB", 1, 2000, 0), ("MB", "MiB", 10, 5000, 0), ("TB", "TiB", 1, 20, 0),
                          ("GiB", "MB", 1, 64, 0), ("bit", "B", 8, 64000, 0), ("KB", "KiB", 100, 50000, 0),
                          ("MiB", "KB", 1, 900, 0)],
    "convert_energy": [("kWh", "kJ", 1, 500, 1), ("kcal", "kJ", 50, 3000, 0), ("kJ", "kcal", 100, 10000, 0),
                       ("BTU", "kWh", 1000, 60000, 0), ("Wh", "J", 1, 500, 0), ("J", "cal", 10, 5000, 0),
                       ("eV", "J", 1, 1000, 0)],
    "convert_pressure": [("psi", "bar", 10, 120, 0), ("bar", "psi", 1, 10, 1), ("atm", "kPa", 0.5, 5, 2),
                         ("mmHg", "kPa", 60, 180, 0), ("kPa", "psi", 100, 900, 0), ("Pa", "atm", 50000, 300000, 0)],
    "convert_duration": [("h", "min", 1, 72, 1), ("min", "h", 30, 2000, 0), ("day", "h", 1, 30, 0), ("week", "day", 1, 52, 0),
                         ("s", "min", 60, 50000, 0), ("ms", "s", 100, 90000, 0), ("day", "week", 7, 400, 0)],
}


def sampler(*names: str) -> Callable:
    """Registers a sampler for each named function (functions whose arguments are drawn alike share one)."""
    def register(fn: Callable[[random.Random, World], Sample]) -> Callable:
        for name in names:
            SAMPLERS[name] = fn
        return fn

    return register


def num(r: random.Random, lo: float, hi: float, decimals: int = 0) -> float | int:
    x = round(r.uniform(lo, hi), decimals)
    return int(x) if decimals == 0 else x


def unit_name(r: random.Random, symbol: str) -> str:
    return r.choice(UNIT_NAMES[symbol])


def _unit_sampler(name: str) -> None:
    def sample(r: random.Random, w: World) -> Sample:
        a, b, lo, hi, dec = r.choice(UNIT_PAIRS[name])
        value = num(r, lo, hi, dec)
        return {"value": value, "from_unit": a, "to_unit": b}, {"from_name": unit_name(r, a), "to_name": unit_name(r, b)}

    SAMPLERS[name] = sample


for _name in UNIT_PAIRS:
    _unit_sampler(_name)


# dates ----------------------------------------------------------------------------------------------------------

def long_date(d: date) -> str:
    return f"{d.day} {d.strftime('%B')} {d.year}"


@sampler("convert_timezone")
def _tz(r: random.Random, w: World) -> Sample:
    a, b = r.sample(banks()["cities"], 2)
    d = a_date(r, 2026, 2027)
    hh, mm = r.randint(6, 21), r.choice([0, 15, 30, 45])
    when = f"{d.isoformat()}T{hh:02d}:{mm:02d}"
    return ({"datetime": when, "from_tz": a[3], "to_tz": b[3]},
            {"city_a": a[0], "city_b": b[0], "time": f"{hh:02d}:{mm:02d}", "day": long_date(d)})


def _two_dates(r: random.Random, span: int = 900) -> tuple[date, date]:
    a = a_date(r, 2025, 2027)
    return a, a + timedelta(days=r.randint(1, span))


@sampler("days_between")
def _days_between(r: random.Random, w: World) -> Sample:
    a, b = _two_dates(r)
    return {"start_date": a.isoformat(), "end_date": b.isoformat()}, {"start_long": long_date(a), "end_long": long_date(b),
                                                                     "occasion": r.choice(OCCASIONS)}


OCCASIONS = ["the wedding", "my sister's graduation", "the product launch", "our anniversary", "the marathon",
             "the exam", "the move", "the trip to Japan", "the conference", "the due date", "the festival",
             "the contract renewal"]


@sampler("add_days")
def _add_days(r: random.Random, w: World) -> Sample:
    d = a_date(r)
    n = r.choice([r.randint(2, 120), -r.randint(2, 90)])
    return {"date": d.isoformat(), "days": n}, {"date_long": long_date(d), "n": abs(n),
                                                "direction": "after" if n > 0 else "before",
                                                "purpose": r.choice(PURPOSES)}


PURPOSES = ["a notice period", "a warranty", "a visa", "a return window", "a trial subscription", "a cooling-off period",
            "a library loan", "a quarantine", "a payment term", "a probation period"]


@sampler("day_of_week")
def _dow(r: random.Random, w: World) -> Sample:
    d = a_date(r, 1990, 2030)
    return {"date": d.isoformat()}, {"date_long": long_date(d), "occasion": r.choice(OCCASIONS)}


@sampler("add_business_days")
def _add_bd(r: random.Random, w: World) -> Sample:
    d = a_date(r, 2026, 2027)
    return {"date": d.isoformat(), "days": r.randint(2, 30)}, {"date_long": long_date(d), "purpose": r.choice(PURPOSES)}


@sampler("business_days_between")
def _bd_between(r: random.Random, w: World) -> Sample:
    a, b = _two_dates(r, 120)
    return {"start_date": a.isoformat(), "end_date": b.isoformat()}, {"start_long": long_date(a), "end_long": long_date(b)}


@sampler("iso_week_number")
def _isoweek(r: random.Random, w: World) -> Sample:
    d = a_date(r)
    return {"date": d.isoformat()}, {"date_long": long_date(d), "occasion": r.choice(OCCASIONS)}


@sampler("is_leap_year")
def _leap(r: random.Random, w: World) -> Sample:
    y = r.choice([r.randrange(1896, 2104, 4), r.randint(1800, 2200), r.choice([1900, 2000, 2100, 2400])])
    return {"year": y}, {}


@sampler("days_in_month")
def _dim(r: random.Random, w: World) -> Sample:
    y, m = r.randint(1990, 2040), r.randint(1, 12)
    return {"year": y, "month": m}, {"month_name": date(2000, m, 1).strftime("%B")}


@sampler("age_on")
def _age(r: random.Random, w: World) -> Sample:
    born = a_date(r, 1940, 2015)
    on = a_date(r, 2026, 2030)
    return {"birth_date": born.isoformat(), "on_date": on.isoformat()}, {"born_long": long_date(born),
                                                                       "on_long": long_date(on),
                                                                       "who": r.choice(RELATIVES)}


RELATIVES = ["my grandmother", "my dad", "my niece", "my neighbour", "our dog's vet", "my best friend", "my son",
             "my aunt", "my colleague", "my partner"]


@sampler("humanize_seconds")
def _humanize(r: random.Random, w: World) -> Sample:
    s = r.choice([r.randint(61, 3600), r.randint(3600, 86400), r.randint(86400, 10**6)])
    return {"seconds": s}, {"thing": r.choice(["the backup job", "the video render", "my commute log", "the upload",
                                                "the batch export", "the test suite", "the download", "the migration"])}


# stats ----------------------------------------------------------------------------------------------------------

DATASETS = ["test scores", "daily step counts", "response times in ms", "monthly sales", "rainfall readings",
            "delivery times in minutes", "heart-rate readings", "page load times", "exam marks", "weekly hours worked",
            "temperatures", "commute times", "order values", "bug counts per sprint", "sleep hours"]


def values(r: random.Random, n_lo: int = 5, n_hi: int = 10, lo: float = 1, hi: float = 100, dec: int = 0) -> list:
    return [num(r, lo, hi, dec) for _ in range(r.randint(n_lo, n_hi))]


def _stats_sampler(name: str, extra: Callable[[random.Random, list], dict] | None = None) -> None:
    def sample(r: random.Random, w: World) -> Sample:
        dec = r.choice([0, 0, 1])
        vals = values(r, dec=dec)
        if name == "find_mode":
            vals = vals + r.sample(vals, 2)
            r.shuffle(vals)
        args: dict[str, Any] = {"values": vals}
        slots: dict[str, Any] = {"dataset": r.choice(DATASETS)}
        if extra:
            args |= extra(r, vals)
        if "sample" in args:
            slots["sd_kind"] = "sample" if args["sample"] else "population"
            slots["sd_kind_cap"] = slots["sd_kind"].capitalize()
        return args, slots

    SAMPLERS[name] = sample


for _name in ("calculate_mean", "calculate_median", "find_mode", "describe_numbers"):
    _stats_sampler(_name)
_stats_sampler("standard_deviation", lambda r, v: {"sample": r.random() < 0.7})
_stats_sampler("variance", lambda r, v: {"sample": r.random() < 0.7})
_stats_sampler("percentile", lambda r, v: {"p": r.choice([10, 25, 75, 90, 95, 99])})


@sampler("z_score")
def _z(r: random.Random, w: World) -> Sample:
    vals = values(r, 6, 12)
    while len(set(vals)) < 2:
        vals = values(r, 6, 12)
    return {"value": num(r, 1, 110), "values": vals}, {"dataset": r.choice(DATASETS)}


PAIRED = [("hours studied", "exam score"), ("temperature", "ice cream sales"), ("ad spend", "signups"),
          ("distance run", "calories burned"), ("house size", "price"), ("rainfall", "umbrella sales"),
          ("practice minutes", "typing speed"), ("fertiliser grams", "plant height")]


def _paired(r: random.Random) -> tuple[list, list, tuple[str, str]]:
    n = r.randint(5, 9)
    xs = [num(r, 1, 50) for _ in range(n)]
    slope, icpt = r.uniform(-3, 5), r.uniform(-10, 40)
    ys = [round(slope * x + icpt + r.uniform(-8, 8), 1) for x in xs]
    if len(set(xs)) < 2:
        xs[0] += 1
    return xs, ys, r.choice(PAIRED)


@sampler("pearson_correlation")
def _corr(r: random.Random, w: World) -> Sample:
    xs, ys, (a, b) = _paired(r)
    return {"x": xs, "y": ys}, {"x_name": a, "y_name": b}


@sampler("linear_regression")
def _linreg(r: random.Random, w: World) -> Sample:
    xs, ys, (a, b) = _paired(r)
    return {"x": xs, "y": ys}, {"x_name": a, "y_name": b}


# text -----------------------------------------------------------------------------------------------------------

def text_blob(r: random.Random, n_lo: int = 1, n_hi: int = 3) -> str:
    return " ".join(r.sample(banks()["sentences"], r.randint(n_lo, n_hi)))


@sampler("word_count")
def _wc(r: random.Random, w: World) -> Sample:
    return {"text": text_blob(r)}, {}


@sampler("slugify")
def _slug(r: random.Random, w: World) -> Sample:
    args: dict[str, Any] = {"text": r.choice(banks()["titles"]).title()}
    if r.random() < 0.25:
        args["separator"] = "_"
        return args, {"sep_words": "with underscores instead of dashes"}
    return args, {}


@sampler("to_title_case")
def _title(r: random.Random, w: World) -> Sample:
    return {"text": r.choice(banks()["titles"])}, {}


@sampler("reverse_words")
def _rev(r: random.Random, w: World) -> Sample:
    return {"text": r.choice(banks()["sentences"]).rstrip(".")}, {}


@sampler("is_palindrome")
def _pal(r: random.Random, w: World) -> Sample:
    b = banks()
    return {"text": r.choice(b["palindromes"] if r.random() < 0.6 else b["not_palindromes"])}, {}


@sampler("levenshtein_distance")
def _lev(r: random.Random, w: World) -> Sample:
    a, b = r.choice(banks()["word_pairs"])
    return {"a": a, "b": b}, {}


@sampler("caesar_cipher")
def _caesar(r: random.Random, w: World) -> Sample:
    shift = r.choice([1, 3, 5, 7, 13])
    msg = r.choice(banks()["secret_messages"])
    return {"text": msg, "shift": shift}, {}


@sampler("top_words")
def _top(r: random.Random, w: World) -> Sample:
    return {"text": text_blob(r, 2, 4), "n": r.choice([2, 3, 5])}, {}


@sampler("extract_emails")
def _emails(r: random.Random, w: World) -> Sample:
    b = banks()
    people = [person(r) for _ in range(r.randint(1, 3))]
    mails = [f"{p.split()[0].lower()}.{p.split()[1].lower()}@{r.choice(b['email_domains'])}" for p in people]
    text = " ".join(f"{r.choice(['Contact', 'Ping', 'CC', 'Write to'])} {p} at {m}." for p, m in zip(people, mails, strict=True))
    return {"text": text + " " + r.choice(b["sentences"])}, {}


@sampler("make_acronym")
def _acr(r: random.Random, w: World) -> Sample:
    return {"phrase": r.choice(banks()["phrases"])}, {}


# geometry -------------------------------------------------------------------------------------------------------

ROUND_THINGS = ["a round table top", "a pizza", "a garden pond", "a trampoline", "a clock face", "a drum skin",
                "a circular rug", "a bike wheel", "a fountain basin", "a dartboard"]
RECT_THINGS = ["a bedroom floor", "a vegetable bed", "a poster", "a solar panel", "a parking space", "a patio",
               "a desk top", "a tennis court", "a wall I'm painting", "a window pane"]
UNITS_LEN = ["m", "cm", "ft", "in"]


@sampler("circle_area")
def _carea(r: random.Random, w: World) -> Sample:
    return {"radius": num(r, 0.2, 30, r.choice([0, 1]))}, {"thing": r.choice(ROUND_THINGS), "u": r.choice(UNITS_LEN)}


@sampler("circle_circumference")
def _ccirc(r: random.Random, w: World) -> Sample:
    return {"radius": num(r, 0.2, 30, r.choice([0, 1]))}, {"thing": r.choice(ROUND_THINGS), "u": r.choice(UNITS_LEN)}


@sampler("rectangle_area")
def _rect(r: random.Random, w: World) -> Sample:
    return ({"width": num(r, 0.5, 40, 1), "height": num(r, 0.5, 40, 1)},
            {"thing": r.choice(RECT_THINGS), "u": r.choice(UNITS_LEN)})


@sampler("triangle_area")
def _tri(r: random.Random, w: World) -> Sample:
    a, b = num(r, 3, 20), num(r, 3, 20)
    c = num(r, abs(a - b) + 1, a + b - 1)
    return {"a": a, "b": b, "c": c}, {"thing": r.choice(["a triangular sail", "a gable end", "a corner shelf",
                                                         "a plot of land", "a flag", "a roof section"]),
                                      "u": r.choice(UNITS_LEN)}


@sampler("distance_2d")
def _dist(r: random.Random, w: World) -> Sample:
    return ({"x1": num(r, -20, 20), "y1": num(r, -20, 20), "x2": num(r, -20, 20), "y2": num(r, -20, 20)},
            {"what": r.choice(["two pins on my map grid", "two points in my plot", "two nodes in the layout",
                               "the robot's start and goal", "two stations on the floor plan"])})


@sampler("polygon_area")
def _poly(r: random.Random, w: World) -> Sample:
    shapes = [([0, 4, 4, 0], [0, 0, 3, 3]), ([0, 6, 3], [0, 0, 5]), ([0, 5, 7, 2], [0, 0, 4, 4]),
              ([1, 6, 8, 4, 0], [0, 0, 4, 7, 4]), ([0, 10, 10, 5, 0], [0, 0, 6, 9, 6])]
    xs, ys = r.choice(shapes)
    k = r.choice([1, 2, 3])
    return {"xs": [x * k for x in xs], "ys": [y * k for y in ys]}, {"thing": r.choice(
        ["my garden plot", "a field", "the room's floor plan", "a pond outline", "a parking lot", "a courtyard"])}


@sampler("sphere_volume")
def _sphere(r: random.Random, w: World) -> Sample:
    return {"radius": num(r, 0.5, 20, 1)}, {"thing": r.choice(["a ball", "a water tank", "a globe", "a balloon",
                                                               "a ball bearing", "a snow globe"]), "u": r.choice(["cm", "m", "in"])}


@sampler("cylinder_volume")
def _cyl(r: random.Random, w: World) -> Sample:
    return ({"radius": num(r, 0.5, 15, 1), "height": num(r, 1, 40, 1)},
            {"thing": r.choice(["a rain barrel", "a can", "a pipe section", "a candle", "a silo", "a coffee mug"]),
             "u": r.choice(["cm", "m", "in"])})


@sampler("cone_volume")
def _cone(r: random.Random, w: World) -> Sample:
    return ({"radius": num(r, 0.5, 15, 1), "height": num(r, 1, 30, 1)},
            {"thing": r.choice(["a traffic cone", "a funnel", "a pile of gravel", "an ice cream cone", "a sand heap"]),
             "u": r.choice(["cm", "m"])})


@sampler("hypotenuse")
def _hyp(r: random.Random, w: World) -> Sample:
    return {"a": num(r, 1, 30, r.choice([0, 1])), "b": num(r, 1, 30, r.choice([0, 1]))}, {"thing": r.choice(
        ["a ladder against a wall", "the diagonal of my screen", "a ramp", "a shortcut across the park",
         "a brace for the shelf"]), "u": r.choice(UNITS_LEN)}


@sampler("regular_polygon")
def _rpoly(r: random.Random, w: World) -> Sample:
    sides = r.choice([3, 5, 6, 8, 10, 12])
    names = {3: "triangle", 5: "pentagon", 6: "hexagon", 8: "octagon", 10: "decagon", 12: "dodecagon"}
    return {"sides": sides, "side_length": num(r, 1, 20, 1)}, {"shape": names[sides], "u": r.choice(UNITS_LEN)}


# finance --------------------------------------------------------------------------------------------------------

def pct(r: random.Random, lo: float, hi: float) -> float:
    return round(r.uniform(lo, hi) * 4) / 4


@sampler("compound_interest")
def _ci(r: random.Random, w: World) -> Sample:
    rate = pct(r, 1, 8)
    args = {"principal": r.choice([500, 1000, 2500, 5000, 10000, 20000]), "rate": round(rate / 100, 4),
            "years": r.choice([1, 2, 3, 5, 10, 15, 20])}
    comp = r.choice([1, 4, 12, 12])
    if comp != 12:
        args["compounds_per_year"] = comp
    return args, {"rate_pct": fmt(rate), "compounding": {1: "yearly", 4: "quarterly", 12: "monthly"}[comp],
                  "goal": r.choice(GOALS)}


GOALS = ["my emergency fund", "a house deposit", "my kid's college fund", "retirement", "a new car", "a sabbatical",
         "the wedding", "a round-the-world trip"]


@sampler("simple_interest")
def _si(r: random.Random, w: World) -> Sample:
    rate = pct(r, 1, 9)
    return ({"principal": r.choice([800, 1200, 3000, 7500, 15000]), "rate": round(rate / 100, 4),
             "years": r.choice([1, 2, 3, 4, 6])}, {"rate_pct": fmt(rate)})


@sampler("loan_payment")
def _loan(r: random.Random, w: World) -> Sample:
    rate = pct(r, 2, 9)
    months = r.choice([12, 24, 36, 48, 60, 120, 240, 360])
    return ({"principal": r.choice([5000, 12000, 18000, 25000, 150000, 320000]), "annual_rate": round(rate / 100, 4),
             "months": months}, {"rate_pct": fmt(rate), "years": fmt(months / 12),
                                 "purpose": r.choice(["a car", "a mortgage", "a home renovation", "a student loan",
                                                      "solar panels", "a small business"])})


@sampler("net_present_value")
def _npv(r: random.Random, w: World) -> Sample:
    rate = r.choice([5, 6, 8, 10, 12])
    inv = r.choice([1000, 5000, 10000, 20000])
    flows = [-inv] + [round(inv * r.uniform(0.15, 0.45)) for _ in range(r.randint(3, 6))]
    return {"rate": rate / 100, "cash_flows": flows}, {"rate_pct": fmt(rate), "invest": fmt(inv),
                                                       "returns": ", ".join(fmt(f) for f in flows[1:]),
                                                       "project": r.choice(["a coffee cart", "new machinery",
                                                                            "a rental flat", "a solar roof",
                                                                            "a software licence", "a delivery van"])}


@sampler("return_on_investment")
def _roi(r: random.Random, w: World) -> Sample:
    cost = r.choice([200, 1500, 4000, 10000, 25000])
    return {"cost": cost, "final_value": round(cost * r.uniform(0.6, 2.2), 2)}, {"asset": r.choice(
        ["index fund", "old guitar", "vintage camera", "stock position", "crypto experiment", "rental property",
         "comic book collection", "garden greenhouse"])}


@sampler("break_even_units")
def _be(r: random.Random, w: World) -> Sample:
    var = money(r, 1, 20)
    return ({"fixed_costs": r.choice([500, 1200, 5000, 20000]), "price_per_unit": round(var + r.uniform(2, 25), 2),
             "variable_cost_per_unit": var}, {"product": r.choice(banks()["products"])})


@sampler("percentage_change")
def _pchange(r: random.Random, w: World) -> Sample:
    old = num(r, 20, 5000, r.choice([0, 2]))
    return {"old_value": old, "new_value": round(old * r.uniform(0.5, 1.8), 2)}, {"what": r.choice(
        ["my rent", "our electricity bill", "website traffic", "the price of coffee beans", "my salary",
         "monthly active users", "the train fare", "our grocery bill", "the stock price"])}


@sampler("split_bill")
def _split(r: random.Random, w: World) -> Sample:
    args: dict[str, Any] = {"total": money(r, 30, 600), "people": r.randint(2, 9)}
    if r.random() < 0.7:
        args["tip_percent"] = r.choice([10, 12, 15, 18, 20])
    return args, {"meal": r.choice(["dinner", "the team lunch", "brunch", "the birthday meal", "the pub tab",
                                    "the taxi and dinner", "the cabin rental"])}


@sampler("add_sales_tax")
def _tax(r: random.Random, w: World) -> Sample:
    rate = r.choice([5, 7, 8.25, 10, 19, 20, 21, 23])
    return {"price": money(r, 5, 2000), "tax_rate": round(rate / 100, 4)}, {"rate_pct": fmt(rate),
                                                                           "item": r.choice(banks()["products"])}


@sampler("savings_goal")
def _goal(r: random.Random, w: World) -> Sample:
    rate = pct(r, 0, 5)
    return ({"target": r.choice([2000, 5000, 10000, 30000, 60000]), "annual_rate": round(rate / 100, 4),
             "years": r.choice([1, 2, 3, 5, 8])}, {"rate_pct": fmt(rate), "goal": r.choice(GOALS)})
