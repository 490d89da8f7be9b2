"""Argument samplers, part two: numbers, encodings, colours, geography, health, validation, networks, physics,
semantic versions, regular expressions and cooking (registered into fc_args.SAMPLERS on import)."""

import random
from typing import Any

from generators.fc_args import SAMPLERS as SAMPLERS
from generators.fc_args import Sample, a_date, num, person, sampler, text_blob
from generators.fc_world import World, banks, fmt

# numbers --------------------------------------------------------------------------------------------------------

@sampler("greatest_common_divisor")
def _gcd(r: random.Random, w: World) -> Sample:
    k = r.choice([2, 3, 4, 6, 8, 12, 15])
    return {"numbers": [k * r.randint(2, 40) for _ in range(r.randint(2, 3))]}, {"why": r.choice(WHY_NUM)}


WHY_NUM = ["for a tiling problem", "to simplify a fraction", "for my maths homework", "for a puzzle", "to check my work",
           "for a gear ratio", "to plan the seating", "out of curiosity"]


@sampler("least_common_multiple")
def _lcm(r: random.Random, w: World) -> Sample:
    return {"numbers": [r.randint(2, 30) for _ in range(r.randint(2, 3))]}, {"why": r.choice(WHY_NUM)}


@sampler("is_prime")
def _prime(r: random.Random, w: World) -> Sample:
    return {"n": r.choice([r.randint(2, 10000), r.choice([7919, 104729, 1000003, 999983, 561, 7917, 1000001])])}, {
        "why": r.choice(WHY_NUM)}


@sampler("prime_factors")
def _pf(r: random.Random, w: World) -> Sample:
    return {"n": r.randint(12, 500000)}, {"why": r.choice(WHY_NUM)}


@sampler("fibonacci")
def _fib(r: random.Random, w: World) -> Sample:
    return {"n": r.randint(5, 90)}, {"why": r.choice(WHY_NUM)}


@sampler("factorial")
def _fact(r: random.Random, w: World) -> Sample:
    return {"n": r.randint(3, 25)}, {"why": r.choice(WHY_NUM)}


@sampler("to_roman")
def _toroman(r: random.Random, w: World) -> Sample:
    return {"number": r.choice([r.randint(1, 3999), r.randint(1900, 2099)])}, {"use": r.choice(
        ["a clock face", "a film's copyright year", "a chapter heading", "a tattoo", "the cornerstone of a building",
         "a Super Bowl number", "a monarch's name"])}


@sampler("from_roman")
def _fromroman(r: random.Random, w: World) -> Sample:
    from sandbox.functions.numbers import to_roman

    return {"numeral": to_roman(r.choice([r.randint(1, 3999), r.randint(1890, 2030)]))}, {"seen": r.choice(
        ["on an old building", "at the end of a film", "on a sundial", "in a book's preface", "on a monument"])}


@sampler("convert_base")
def _base(r: random.Random, w: World) -> Sample:
    n = r.randint(5, 70000)
    fb, tb = r.choice([(10, 2), (10, 16), (16, 10), (2, 10), (16, 2), (8, 10), (10, 8)])
    digits = {2: format(n, "b"), 8: format(n, "o"), 10: str(n), 16: format(n, "x")}[fb]
    names = {2: "binary", 8: "octal", 10: "decimal", 16: "hex"}
    return {"number": digits, "from_base": fb, "to_base": tb}, {"from_name": names[fb], "to_name": names[tb]}


@sampler("digit_sum")
def _dsum(r: random.Random, w: World) -> Sample:
    return {"n": r.randint(100, 10**9)}, {"why": r.choice(WHY_NUM)}


# encoding -------------------------------------------------------------------------------------------------------

def _short_text(r: random.Random) -> str:
    b = banks()
    return r.choice([r.choice(b["secret_messages"]), r.choice(b["phrases"]), r.choice(b["sentences"]),
                     f"{person(r)} <{r.choice(b['emails_good'])}>"])


for _name in ("base64_encode", "sha256_hash", "md5_hash", "url_encode", "hex_encode", "crc32_checksum"):
    SAMPLERS[_name] = lambda r, w: ({"text": _short_text(r)}, {})


@sampler("base64_decode")
def _b64d(r: random.Random, w: World) -> Sample:
    import base64

    return {"data": base64.b64encode(_short_text(r).encode()).decode()}, {}


@sampler("hex_decode")
def _hexd(r: random.Random, w: World) -> Sample:
    return {"data": _short_text(r).encode().hex()}, {}


@sampler("url_decode")
def _urld(r: random.Random, w: World) -> Sample:
    import urllib.parse

    return {"text": urllib.parse.quote_plus(_short_text(r))}, {}


# colour ---------------------------------------------------------------------------------------------------------

def color(r: random.Random) -> tuple[str, str]:
    code, name = r.choice(banks()["colors"])
    return code, name


@sampler("hex_to_rgb", "hex_to_hsl")
def _hex(r: random.Random, w: World) -> Sample:
    code, name = color(r)
    return {"hex_color": code}, {"color_name": name}


@sampler("rgb_to_hex")
def _r2h(r: random.Random, w: World) -> Sample:
    return {"r": r.randint(0, 255), "g": r.randint(0, 255), "b": r.randint(0, 255)}, {}


@sampler("contrast_ratio")
def _contrast(r: random.Random, w: World) -> Sample:
    (fa, na), (fb, nb) = r.sample(banks()["colors"], 2)
    return {"foreground": fa, "background": fb}, {"fg_name": na, "bg_name": nb}


@sampler("mix_colors")
def _mix(r: random.Random, w: World) -> Sample:
    (fa, na), (fb, nb) = r.sample(banks()["colors"], 2)
    args: dict[str, Any] = {"color_a": fa, "color_b": fb}
    if r.random() < 0.4:
        args["weight"] = r.choice([0.25, 0.3, 0.75])
    return args, {"a_name": na, "b_name": nb}


@sampler("lighten_color")
def _lighten(r: random.Random, w: World) -> Sample:
    code, name = color(r)
    amount = r.choice([0.1, 0.15, 0.2, -0.1, -0.2])
    return {"hex_color": code, "amount": amount}, {"color_name": name, "pts": fmt(round(abs(amount) * 100)),
                                                   "how": "lighter" if amount > 0 else "darker"}


@sampler("grayscale")
def _gray(r: random.Random, w: World) -> Sample:
    code, name = color(r)
    return {"hex_color": code}, {"color_name": name}


# geo ------------------------------------------------------------------------------------------------------------

def two_cities(r: random.Random) -> tuple[list, list]:
    a, b = r.sample(banks()["cities"], 2)
    return a, b


def _geo_pair(name: str) -> None:
    def sample(r: random.Random, w: World) -> Sample:
        a, b = two_cities(r)
        return {"lat1": a[1], "lon1": a[2], "lat2": b[1], "lon2": b[2]}, {"city_a": a[0], "city_b": b[0]}

    SAMPLERS[name] = sample


for _name in ("haversine_distance", "initial_bearing", "geo_midpoint"):
    _geo_pair(_name)


@sampler("decimal_to_dms")
def _d2dms(r: random.Random, w: World) -> Sample:
    c = r.choice(banks()["cities"])
    axis = r.choice(["lat", "lon"])
    return {"degrees": c[1] if axis == "lat" else c[2], "axis": axis}, {
        "city": c[0], "axis_name": "latitude" if axis == "lat" else "longitude"}


@sampler("dms_to_decimal")
def _dms2d(r: random.Random, w: World) -> Sample:
    hemi = r.choice(["N", "S", "E", "W"])
    deg = r.randint(0, 89 if hemi in "NS" else 179)
    return {"degrees": deg, "minutes": r.randint(0, 59), "seconds": num(r, 0, 59.9, 1), "hemisphere": hemi}, {
        "hemi_name": {"N": "north", "S": "south", "E": "east", "W": "west"}[hemi]}


@sampler("destination_point")
def _dest(r: random.Random, w: World) -> Sample:
    c = r.choice(banks()["cities"])
    b = r.choice([0, 45, 90, 135, 180, 225, 270, 315])
    names = {0: "north", 45: "north-east", 90: "east", 135: "south-east", 180: "south", 225: "south-west",
             270: "west", 315: "north-west"}
    return {"lat": c[1], "lon": c[2], "bearing_deg": b, "distance_km": r.choice([10, 50, 100, 250, 500, 1000])}, {
        "city": c[0], "heading": names[b]}


@sampler("travel_time")
def _travel(r: random.Random, w: World) -> Sample:
    return {"distance_km": num(r, 5, 1200, 0), "speed_kmh": r.choice([15, 20, 50, 80, 90, 110, 120, 300])}, {
        "mode": r.choice(["by bike", "driving", "on the motorway", "by high-speed train", "on a scooter", "by coach"])}


# health ---------------------------------------------------------------------------------------------------------

@sampler("body_mass_index")
def _bmi(r: random.Random, w: World) -> Sample:
    return {"weight_kg": num(r, 45, 120, 1), "height_m": num(r, 1.5, 2.0, 2)}, {"who": r.choice(["I", "my brother",
                                                                                                 "my client", "my mum"])}


@sampler("basal_metabolic_rate")
def _bmr(r: random.Random, w: World) -> Sample:
    args: dict[str, Any] = {"weight_kg": num(r, 45, 110), "height_cm": num(r, 150, 200), "age": r.randint(18, 80),
                            "sex": r.choice(["female", "male"])}
    if r.random() < 0.7:
        args["activity"] = r.choice(["light", "moderate", "active", "very_active"])
    return args, {"activity_words": args.get("activity", "sedentary").replace("_", " ")}


@sampler("heart_rate_zones")
def _hr(r: random.Random, w: World) -> Sample:
    args: dict[str, Any] = {"age": r.randint(16, 75)}
    if r.random() < 0.4:
        args["resting_bpm"] = r.randint(48, 80)
    return args, {}


@sampler("calories_burned")
def _cal(r: random.Random, w: World) -> Sample:
    act, met = r.choice(banks()["activities"])
    return {"met": met, "weight_kg": num(r, 50, 110), "minutes": r.choice([20, 30, 45, 60, 90])}, {"activity": act}


@sampler("daily_water_intake")
def _water(r: random.Random, w: World) -> Sample:
    args: dict[str, Any] = {"weight_kg": num(r, 45, 110)}
    if r.random() < 0.6:
        args["exercise_minutes"] = r.choice([30, 45, 60, 90])
    return args, {}


@sampler("ideal_body_weight")
def _ibw(r: random.Random, w: World) -> Sample:
    return {"height_cm": num(r, 152, 198), "sex": r.choice(["female", "male"])}, {}


# validation -----------------------------------------------------------------------------------------------------

for _name, _arg, _bank in (("luhn_check", "number", "cards"), ("validate_isbn", "isbn", "isbns"),
                           ("validate_iban", "iban", "ibans"), ("validate_ip_address", "address", "ips"),
                           ("password_strength", "password", "passwords"), ("validate_hostname", "hostname", "hostnames")):
    SAMPLERS[_name] = (lambda arg, bank: lambda r, w: ({arg: r.choice(banks()[bank])}, {}))(_arg, _bank)


@sampler("validate_email")
def _vemail(r: random.Random, w: World) -> Sample:
    b = banks()
    return {"address": r.choice(b["emails_good"] + b["emails_bad"])}, {}


# network --------------------------------------------------------------------------------------------------------

def cidr(r: random.Random) -> str:
    return r.choice([f"10.{r.randint(0, 255)}.{r.randrange(0, 256, 4)}.0/{r.choice([22, 24])}",
                     f"192.168.{r.randint(0, 255)}.0/{r.choice([24, 25, 26, 27])}",
                     f"172.{r.randint(16, 31)}.0.0/{r.choice([16, 20])}"])


@sampler("cidr_info")
def _cidr(r: random.Random, w: World) -> Sample:
    return {"cidr": cidr(r)}, {"net": r.choice(["the office LAN", "the lab subnet", "our VPN pool", "the guest Wi-Fi",
                                                 "the staging VPC", "the printer VLAN"])}


@sampler("ip_in_network")
def _inet(r: random.Random, w: World) -> Sample:
    net = cidr(r)
    base = net.split("/")[0].split(".")
    addr = ".".join(base[:3] + [str(r.randint(1, 254))]) if r.random() < 0.6 else f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    return {"address": addr, "cidr": net}, {}


@sampler("split_subnet")
def _split_net(r: random.Random, w: World) -> Sample:
    net = f"10.{r.randint(0, 255)}.{r.randrange(0, 256, 4)}.0/22" if r.random() < 0.5 else f"192.168.{r.randint(0, 255)}.0/24"
    prefix = int(net.split("/")[1])
    return {"cidr": net, "new_prefix": prefix + r.choice([1, 2, 3])}, {}


@sampler("ip_to_integer")
def _ip2int(r: random.Random, w: World) -> Sample:
    return {"address": f"{r.choice([10, 172, 192, 203])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"}, {}


@sampler("reverse_dns_name")
def _ptr(r: random.Random, w: World) -> Sample:
    return {"address": r.choice([f"203.0.113.{r.randint(1, 254)}", f"198.51.100.{r.randint(1, 254)}", "2001:db8::1"])}, {}


@sampler("summarize_range")
def _summ(r: random.Random, w: World) -> Sample:
    a = r.randint(0, 200)
    return {"first": f"192.168.1.{a}", "last": f"192.168.1.{a + r.randint(5, 55)}"}, {}


# physics --------------------------------------------------------------------------------------------------------

@sampler("kinetic_energy")
def _ke(r: random.Random, w: World) -> Sample:
    thing, lo, hi, slo, shi = r.choice([("a cyclist with bike", 70, 110, 4, 12), ("a car", 900, 2200, 10, 35),
                                        ("a baseball", 0.145, 0.145, 20, 45), ("a runner", 50, 90, 3, 7),
                                        ("a shopping trolley", 20, 60, 1, 3), ("a freight wagon", 20000, 80000, 5, 20)])
    return {"mass_kg": num(r, lo, hi, 3 if lo < 1 else 0), "speed_m_s": num(r, slo, shi, 1)}, {"thing": thing}


@sampler("ohms_law")
def _ohm(r: random.Random, w: World) -> Sample:
    v, i, res = r.choice([3.3, 5, 9, 12, 24, 230]), None, None
    i = round(r.uniform(0.01, 3), 2)
    res = round(v / i, 1)
    which = r.choice(["voltage", "current", "resistance"])
    known = {"voltage": v, "current": i, "resistance": res}
    args = {k: known[k] for k in known if k != which}
    return args, {"unknown": which}


@sampler("free_fall")
def _ff(r: random.Random, w: World) -> Sample:
    return {"height_m": num(r, 1, 300, r.choice([0, 1]))}, {"from": r.choice(["a bridge", "a balcony", "a cliff",
                                                                              "a drone", "a tower", "a tree"])}


@sampler("projectile_range")
def _proj(r: random.Random, w: World) -> Sample:
    return {"speed_m_s": num(r, 5, 60), "angle_deg": r.choice([15, 30, 35, 40, 45, 50, 60, 75])}, {"thing": r.choice(
        ["a football kick", "a water balloon", "a stone", "a golf ball", "a javelin", "a toy rocket"])}


@sampler("pendulum_period")
def _pend(r: random.Random, w: World) -> Sample:
    return {"length_m": num(r, 0.1, 20, 2)}, {"thing": r.choice(["a grandfather clock", "a swing", "a lab pendulum",
                                                                 "a wrecking ball", "a Foucault pendulum"])}


@sampler("density")
def _dens(r: random.Random, w: World) -> Sample:
    return {"mass_kg": num(r, 0.1, 50, 2), "volume_m3": num(r, 0.0005, 0.08, 4)}, {"thing": r.choice(
        ["a wooden block", "a rock sample", "a plastic crate", "a metal bar", "a bag of flour", "a cork board"])}


@sampler("wavelength")
def _wave(r: random.Random, w: World) -> Sample:
    if r.random() < 0.5:
        return {"frequency_hz": r.choice([88.5e6, 101.3e6, 2.4e9, 5e9, 5.45e14])}, {"wave": r.choice(
            ["radio station", "Wi-Fi signal", "light wave"])}
    return {"frequency_hz": r.choice([110, 220, 261.6, 440, 1000, 20000]), "speed_m_s": 343}, {"wave": "sound"}


# semver ---------------------------------------------------------------------------------------------------------

@sampler("parse_version")
def _pv(r: random.Random, w: World) -> Sample:
    return {"version": r.choice(banks()["versions"])}, {"pkg": r.choice(banks()["packages"])}


@sampler("compare_versions")
def _cv(r: random.Random, w: World) -> Sample:
    a, b = r.sample(banks()["versions"], 2)
    return {"a": a, "b": b}, {"pkg": r.choice(banks()["packages"])}


@sampler("bump_version")
def _bump(r: random.Random, w: World) -> Sample:
    return {"version": r.choice(banks()["versions"]), "part": r.choice(["major", "minor", "patch"])}, {
        "pkg": r.choice(banks()["packages"])}


@sampler("sort_versions")
def _sortv(r: random.Random, w: World) -> Sample:
    return {"versions": r.sample(banks()["versions"], r.randint(3, 6))}, {"pkg": r.choice(banks()["packages"])}


@sampler("satisfies")
def _sat(r: random.Random, w: World) -> Sample:
    v = r.choice(banks()["versions"])
    c = r.choice(["^1.4.0", "~2.3.0", ">=1.0.0 <2.0.0", "^0.9.0", ">=3.0.0", "~1.9.0", "<1.0.0", "^2.0.0"])
    return {"version": v, "constraint": c}, {"pkg": r.choice(banks()["packages"])}


# regex ----------------------------------------------------------------------------------------------------------

REGEX_TASKS = [("\\d+", "numbers"), ("[A-Z][a-z]+", "capitalised words"), ("\\b\\w{7,}\\b", "words of seven or more letters"),
               ("\\b[aeiouAEIOU]\\w*", "words starting with a vowel"), ("\\b\\w+ing\\b", "words ending in -ing")]


def _regex_text(r: random.Random) -> str:
    return text_blob(r, 1, 2) + " " + r.choice(["Order 66 shipped 3 boxes.", "Room 101 has 12 chairs.",
                                                "Call 555 0199 before 17 o'clock.", "It took 42 minutes and 7 tries."])


@sampler("regex_find_all")
def _rfind(r: random.Random, w: World) -> Sample:
    pattern, what = r.choice(REGEX_TASKS)
    return {"pattern": pattern, "text": _regex_text(r)}, {"what": what}


@sampler("regex_replace")
def _rrep(r: random.Random, w: World) -> Sample:
    pattern, repl, what = r.choice([("\\d", "#", "every digit with #"), ("\\s+", " ", "runs of whitespace with one space"),
                                    ("(\\w+)@(\\w+)", "\\1 at \\2", "the @ in addresses with ' at '"),
                                    ("colou?r", "hue", "color/colour with hue")])
    text = _regex_text(r) if "@" not in pattern else f"Mail ana@example or bob@studio. {text_blob(r, 1, 1)}"
    if pattern == "\\s+":
        text = text.replace(" ", "   ", 3)
    if pattern == "colou?r":
        text = "The colour of the sky and the color of the sea. " + text
    return {"pattern": pattern, "replacement": repl, "text": text}, {"what": what}


@sampler("regex_split")
def _rsplit(r: random.Random, w: World) -> Sample:
    items = r.sample(banks()["products"], r.randint(3, 6))
    seps = [r.choice([", ", ";", " ; ", ",", " / "]) for _ in items[1:]]
    text = items[0] + "".join(s + i for s, i in zip(seps, items[1:], strict=True))
    return {"pattern": "\\s*[,;/]\\s*", "text": text}, {"seps": "commas, semicolons and slashes"}


@sampler("regex_test")
def _rtest(r: random.Random, w: World) -> Sample:
    pattern, sample, what = r.choice([("\\d{4}-\\d{2}-\\d{2}", a_date(r).isoformat(), "an ISO date"),
                                      ("[A-Z]{2}\\d{2}[A-Z0-9]+", r.choice(["GB82WEST12345698765432", "gb82west"]),
                                       "an IBAN-like code"),
                                      ("#[0-9a-fA-F]{6}", r.choice(["#1e90ff", "#12345", "1e90ff"]), "a hex colour"),
                                      ("\\w+@\\w+\\.\\w+", r.choice(["ana@example.com", "ana.example.com"]), "an e-mail")])
    full = r.random() < 0.5
    return {"pattern": pattern, "text": sample, "full_match": full}, {
        "what": what, "match_words": "the whole text" if full else "anywhere in it"}


# cooking --------------------------------------------------------------------------------------------------------

@sampler("scale_recipe")
def _scale(r: random.Random, w: World) -> Sample:
    name, serves, ing = r.choice(banks()["recipes"])
    to = r.choice([x for x in (1, 2, 3, 4, 6, 8, 10, 12, 36) if x != serves])
    return {"ingredients": dict(ing), "servings_from": serves, "servings_to": to}, {"dish": name}


@sampler("cups_to_grams")
def _cups(r: random.Random, w: World) -> Sample:
    return {"ingredient": r.choice(banks()["ingredients_cups"]), "cups": r.choice([0.25, 0.5, 0.75, 1, 1.5, 2, 3])}, {
        "dish": r.choice(banks()["recipes"])[0]}


@sampler("oven_temperature")
def _oven(r: random.Random, w: World) -> Sample:
    return {"gas_mark": r.randint(1, 9)}, {"dish": r.choice(banks()["recipes"])[0]}


@sampler("roasting_time")
def _roast(r: random.Random, w: World) -> Sample:
    return {"meat": r.choice(banks()["meats"]), "weight_kg": num(r, 0.8, 7, 1)}, {"occasion": r.choice(
        ["Sunday lunch", "a dinner party", "Christmas", "Thanksgiving", "a family birthday", "a picnic"])}
