"""Lesson kinds, part 6: `ledger`, a program composed from independent parts (generators/textbook_lessons/__init__.py).

The other kinds vary their words around one to three code skeletons each, so at scale their function structures
repeat. A ledger lesson draws every part of its program on its own from prompts/lessons/ledger.toml (record type,
parsing and bad-line policy, optional threshold filter, totalling container, empty-input policy, result shape),
so the number of distinct programs is the product of the parts' sizes (thousands). This code only picks the parts,
fills them with one scene's names, and computes the expected totals independently of the composed program. The
test file is composed from the same lines by ledger_tests.py (where the data lives, which checks, in which form).
"""

import random
from typing import Any

from .base import Lesson, assemble, fill, lesson_scene, lesson_table
from .ledger_tests import compose_tests

PARTS = ("rep", "parse", "select", "aggregate", "empty", "output")
BAD_LINES = ("{name},{group}", "{name},{group},n/a", "{name},{group},", "{name_f},{group_f},{amount_f}")
HELPERS = {True: ("lenient_try", "lenient_check"), False: ("strict",)}


def _pick(rng: random.Random) -> dict[str, str]:
    """One variant of every part, then of the category cleaning."""
    picks = {part: rng.choice(sorted(lesson_table("ledger", part))) for part in PARTS}
    picks["clean"] = rng.choice(sorted(lesson_table("ledger", "clean")))
    return picks


def _reference(lines: list[str], clean: str, minimum: int) -> dict[str, int]:
    """Totals per group of the well-formed lines, written apart from the lesson's code."""
    totals: dict[str, int] = {}
    for line in lines:
        fields = line.split(",")
        if len(fields) == 3 and fields[2].strip().isdigit() and int(fields[2]) >= minimum:
            group = {"keep": fields[1], "strip": fields[1].strip(), "lower": fields[1].strip().lower()}[clean]
            totals[group] = totals.get(group, 0) + int(fields[2])
    return totals


def _shaped(totals: dict[str, int], output: str, limit: int | None) -> Any:
    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)
    return {"plain": totals, "sorted": dict(sorted(totals.items())), "ranked": ranked[:limit] if limit else ranked,
            "nlargest": ranked[:limit or 3], "top": ranked[0][0] if ranked else None}[output]


def _written(group: str, clean: str, rng: random.Random) -> str:
    """How an export might spell `group`, given what the cleaning step forgives."""
    if clean == "keep":
        return group
    padded = rng.choice(["{}", " {}", "{} ", " {} "])
    return padded.format(rng.choice([group, group.upper(), group.title()]) if clean == "lower" else group)


def _lines(rng: random.Random, scene: tuple, picks: dict[str, str], strict: bool) -> tuple[list[str], int]:
    """Export lines whose totals (all, and at or above the returned minimum) are pairwise distinct."""
    *_, name_f, group_f, amount_f, _unit, _fn, _parse_fn, names, groups = scene
    while True:
        chosen = rng.sample(groups, rng.randint(3, 4))
        lines = [f"{rng.choice(names)},{_written(rng.choice(chosen), picks['clean'], rng)},{rng.randint(1, 90)}"
                 for _ in range(rng.randint(6, 9))]
        if not strict:
            for bad in rng.sample(BAD_LINES, 2):
                lines.insert(rng.randint(0, len(lines)), bad.format(name=rng.choice(names), group=chosen[0],
                                                                    name_f=name_f, group_f=group_f, amount_f=amount_f))
        amounts = sorted(int(f[2]) for f in (x.split(",") for x in lines) if len(f) == 3 and f[2].isdigit())
        minimum = amounts[len(amounts) // 2]
        sets = [_reference(lines, picks["clean"], 0), _reference(lines, picks["clean"], minimum)]
        if all(len(set(t.values())) == len(t) >= 2 for t in sets):
            return lines, minimum


def _lesson_ledger(rng: random.Random) -> Lesson:
    _txt, scene = lesson_scene(rng, "ledger", "LEDGER_SCENES")
    what, rec, row_word, rows_word, name_f, group_f, amount_f, unit, fn, parse_fn, sample_names, groups = scene
    picks = _pick(rng)
    part = {name: lesson_table("ledger", name)[picks[name]] for name in PARTS}
    rep, parse, select, aggregate, empty, output = (part[name] for name in PARTS)
    names = {"what": what, "Rec": rec, "row_word": row_word, "rows_word": rows_word, "name_f": name_f,
             "group_f": group_f, "amount_f": amount_f, "unit": unit, "fn": fn, "parse_fn": parse_fn,
             "group_word": group_f, "rows_word_cap": rows_word.capitalize(), "what_cap": what[0].upper() + what[1:],
             "unit_cap": unit.capitalize(), "example": groups[0],
             "upper": groups[0].upper(), "title": groups[0].title()}
    def access(field: str, index: int) -> str:
        return rep["access"].format(var="r", field=field, index=index)

    def make(n: str, g: str, a: str) -> str:
        return rep["make"].format(n=n, g=lesson_table("ledger", "clean")[picks["clean"]].format(g=g), a=a, **names)

    code = {**names, "cat": access(group_f, 1), "amt": access(amount_f, 2), "source": select["source"]}
    loop = make("name", "group", "amount")
    body = parse["body"].format(make=make("parts[0]", "parts[1]", "parts[2]") if picks["parse"] == "comprehension"
                                else loop, **code)
    helper = ""
    if parse.get("helper"):
        helper = lesson_table("ledger", "helper")[rng.choice(HELPERS[not parse["strict"]])].format(make=loop, **code)
    body += select["body"].format(**code) + aggregate["body"].format(**code) + empty["body"].format(**code)
    body += output["body"]
    minimum_kind = "none" if picks["select"] == "none" else rng.choice(["required", "optional"])
    params = {"none": "", "required": ", minimum: int", "optional": ", minimum: int = 0"}[minimum_kind] + output["param"]
    imports = sorted({*rep["imports"], *aggregate["imports"], *output["imports"]}, key=lambda i: (i[0] != "i", i))
    module = _txt["module"].format(imports="\n" + "\n".join(imports) + "\n" if imports else "", record=rep["define"]
                                   .format(**names), helper=helper, params=params, ret=output["ret"], body=body.rstrip("\n"),
                                   doc=f"Total {amount_f} per {group_f} over the well-formed {rows_word}.", **names)

    lines, minimum = _lines(rng, scene, picks, parse["strict"])
    good = [x for x in lines if _reference([x], picks["clean"], 0)]
    bad = [x for x in lines if x not in good] or [b.format(name=sample_names[0], group=groups[0], name_f=name_f,
                                                            group_f=group_f, amount_f=amount_f) for b in BAD_LINES[:3]]
    limit = {"ranked": None, "nlargest": 3}.get(picks["output"])
    tests, test_data = compose_tests(
        rng, names, lines, minimum, output=picks["output"], minimum_kind=minimum_kind, strict=parse["strict"],
        raises_on_empty=empty["raises"] or picks["output"] == "top", match=parse.get("match"), bad_lines=bad,
        good_lines=good, reference=lambda src, low: _reference(src, picks["clean"], low),
        shaped=lambda totals, cut: _shaped(totals, picks["output"], cut if cut is not None else limit))
    clean_explain = lesson_table("ledger", "clean_explain")[picks["clean"]]
    explain = [fill(_txt["intro"], **names), fill(rep["explain"], **names), fill(parse["explain"], **names),
               fill(clean_explain, **names), fill(select["explain"], **names),
               fill(aggregate["explain"], **names), fill(empty["explain"], **names), fill(output["explain"], **names)]
    exercises = [x for p in part.values() for x in fill(p["exercise"], **names)]
    topic = rng.choice(fill(_txt["topic"], **names))
    return assemble(rng, "ledger", topic, module, tests, explain, exercises, **picks, minimum=minimum_kind,
                    tests=test_data)
