"""Step-by-step reasoning traces whose every step is computed, and whose answer is checked independently.

Problems come from reasoning-gym (tasks that run offline and whose metadata lets us decompose them) and from our
own procedural kinds (spell-and-count letters, column arithmetic, unit conversions, ordering and calendar logic) at
difficulty levels 1-10. The decomposition goes in the assistant's `reasoning` (the analysis channel), the answer in
`content` as a final `Answer: ...` line. The checker is independent of the trace: Python's own arithmetic for the
procedural kinds, reasoning-gym's `score_answer` for its tasks; a trace whose answer fails it is rejected. Some traces
run Python mid-reasoning (execute_python, or bash + python3 for the `aj` tool set) in the sandbox and continue from
the real output, which must agree with the computed answer.
"""

import math
import random
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generators.tool_use import as_persona, task_persona, template_hash, voice_of

FAMILY = "reasoning"
VERSION = "3"  # 3: thirty-odd closing leads per voice, on 35% of records (was 15, on 15%)
PYTHON_SHARE = 0.3
PHRASES = tomllib.loads((Path(__file__).resolve().parent / "prompts" / "reasoning_phrases.toml").read_text("utf-8"))
BANKS = PHRASES["banks"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
STORY_SHARE = 0.55  # arithmetic, units and weekday questions told as a small story rather than bare numbers


class Wrong(Exception):
    """The trace's answer failed its independent check."""


@dataclass
class Problem:
    """One computed problem: the question, the steps, the answer and how to check it, and the closing sentence."""

    question: str
    steps: list[str]
    answer: str
    checker: str
    truth: str
    code: str | None
    close: str


class Say:
    """Phrasings of one kind for one record: each key keeps the variant it first drew (one style per record), so a
    trace reads consistently while two traces of the same kind rarely share their wording."""

    def __init__(self, kind: str, rng: random.Random):
        self.table, self.rng, self.style = PHRASES[kind], rng, {}

    def __call__(self, key: str, **fill: Any) -> str:
        options = self.table[key]
        if key not in self.style:
            self.style[key] = self.rng.randrange(len(options))
        return options[self.style[key]].format(**fill)

    def any(self, key: str, **fill: Any) -> str:
        """A fresh draw (for one-off sentences such as the question or the closing)."""
        return self.rng.choice(self.table[key]).format(**fill)


def story(rng: random.Random) -> dict[str, str]:
    """The small world of a word problem: who, what, when, where."""
    ctx = PHRASES["context"]
    name, name2 = rng.sample(ctx["names"], 2)
    one, many, did, where = rng.choice(ctx["items"])
    span1, span2, span3 = rng.choice(ctx["spans"])
    return {"name": name, "name2": name2, "one": one, "many": many, "did": did, "where": where,
            "Where": where[:1].upper() + where[1:], "span1": span1, "span2": span2, "span3": span3}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _place(i: int) -> str:
    places = PHRASES["context"]["places"]
    return places[i] if i < len(places) else f"10^{i}"


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------------------------------------------
# procedural kinds: each returns a Problem

def k_letters(rng: random.Random, level: int) -> Problem:
    say = Say("letters", rng)
    pool = sorted(BANKS["words"], key=len)
    lo = min(len(pool) - 10, (level - 1) * len(pool) // 10)
    word = rng.choice(pool[lo:lo + max(10, len(pool) // 8)])
    letter = rng.choice(sorted(set(word))) if rng.random() < 0.85 else rng.choice("qzjxkv")
    q = say.any("ask", letter=letter, word=word)
    steps = [say("spell", word=word, spelled="-".join(word))]
    marks = []
    n = 0
    for i, ch in enumerate(word, 1):
        hit = ch == letter
        n += hit
        marks.append(f"{i}. {ch}{'  <- ' + letter + ' (#' + str(n) + ')' if hit else ''}")
    steps.append(say("walk", letter=letter) + "\n" + "\n".join(marks))
    close = say.any("close", word=word, letter=letter, answer=n, s="s" if n != 1 else "")
    return Problem(q, steps, str(n), "numeric", str(word.count(letter)), f"print({word!r}.count({letter!r}))", close)


def _column_add(nums: list[int], say: Say) -> tuple[list[str], int]:
    width = max(len(str(x)) for x in nums)
    digits = [str(x).zfill(width) for x in nums]
    carry, out, steps = 0, [], []
    for col in range(width - 1, -1, -1):
        column = [int(d[col]) for d in digits]
        total = sum(column) + carry
        place = width - col
        carry_in = say("carry_in", c=carry) if carry else ""
        steps.append(say("column", k=place, place=_place(place - 1), Place=_cap(_place(place - 1)),
                         terms=" + ".join(map(str, column)), carry_in=carry_in, total=total, digit=total % 10,
                         carry=total // 10))
        out.append(str(total % 10))
        carry = total // 10
    if carry:
        steps.append(say("leftover", c=carry))
        out.append(str(carry))
    return steps, int("".join(reversed(out)))


def k_add(rng: random.Random, level: int) -> Problem:
    say = Say("add", rng)
    digits = level + 1
    n_terms = 2 if level < 6 else 3
    nums = [rng.randint(10 ** (digits - 1), 10**digits - 1) for _ in range(n_terms)]
    expr = " + ".join(map(str, nums))
    ctx = story(rng)
    told = rng.random() < STORY_SHARE
    a, b, c = (nums + [0])[:3]
    q = say.any("story2" if n_terms == 2 else "story3", a=a, b=b, c=c, **ctx) if told else say.any("plain", expr=expr)
    total = sum(nums)
    if n_terms == 2 and rng.random() < 0.3:  # another method: add the place values separately
        parts, sums = [], []
        for i in range(digits - 1, -1, -1):
            pa, pb = (a // 10**i % 10) * 10**i, (b // 10**i % 10) * 10**i
            parts.append(f"{pa} + {pb} = {pa + pb}")
            sums.append(str(pa + pb))
        steps = [say("split", parts="; ".join(parts)), say("split_total", sums=" + ".join(sums), total=total)]
    else:
        col_steps, got = _column_add(nums, say)
        steps = [say("intro"), *col_steps, say("readback", total=got)]
        total = got
    close = say.any("close_story", total=total, **ctx) if told else say.any("close", total=total, expr=expr)
    return Problem(_cap(q), steps, str(total), "numeric", str(sum(nums)), f"print({expr})", close)


def k_sub(rng: random.Random, level: int) -> Problem:
    say = Say("sub", rng)
    digits = level + 1
    a = rng.randint(10 ** (digits - 1), 10**digits - 1)
    b = rng.randint(10 ** (digits - 2) if digits > 1 else 1, a)
    ctx = story(rng)
    told = rng.random() < STORY_SHARE
    q = say.any("story", a=a, b=b, **ctx) if told else say.any("plain", a=a, b=b)
    da, db = str(a), str(b).zfill(len(str(a)))
    borrow, out, steps = 0, [], [say("intro")]
    for col in range(len(da) - 1, -1, -1):
        top, bot = int(da[col]) - borrow, int(db[col])
        k = len(da) - col
        place = dict(k=k, place=_place(k - 1), Place=_cap(_place(k - 1)), top=top, bot=bot)
        if top < bot:
            steps.append(say("borrow", top10=top + 10, res=top + 10 - bot, **place))
            out.append(str(top + 10 - bot))
            borrow = 1
        else:
            steps.append(say("plain_col", res=top - bot, **place))
            out.append(str(top - bot))
            borrow = 0
    result = int("".join(reversed(out)))
    steps.append(say("readback", result=result))
    close = say.any("close_story", result=result, **ctx) if told else say.any("close", a=a, b=b, result=result)
    return Problem(_cap(q), steps, str(result), "numeric", str(a - b), f"print({a} - {b})", close)


def k_mul(rng: random.Random, level: int) -> Problem:
    say = Say("mul", rng)
    da, db = 1 + (level + 1) // 2, 1 + level // 3
    a = rng.randint(10 ** (da - 1), 10**da - 1)
    b = rng.randint(max(2, 10 ** (db - 1)), 10**db - 1)
    ctx = story(rng)
    told = rng.random() < STORY_SHARE
    q = say.any("story", a=a, b=b, **ctx) if told else say.any("plain", a=a, b=b)
    steps = [say("split", a=a, b=b)]
    partials = []
    for i, d in enumerate(reversed(str(b))):
        if d == "0":
            continue
        part = a * int(d) * 10**i
        partials.append(part)
        steps.append(say("partial", a=a, part=int(d) * 10**i, product=part))
    if len(partials) > 1:
        add = Say("add", rng)
        add_steps, total = _column_add(partials, add)
        steps += [say("sum_intro", partials=" + ".join(map(str, partials))), *add_steps, say("total", total=total)]
    else:
        total = partials[0]
    close = say.any("close_story", total=total, **ctx) if told else say.any("close", a=a, b=b, total=total)
    return Problem(_cap(q), steps, str(total), "numeric", str(a * b), f"print({a} * {b})", close)


def k_units(rng: random.Random, level: int) -> Problem:
    say = Say("units", rng)
    src, dst, factor, offset = rng.choice(BANKS["units"])
    value = rng.randint(1, 10 * level) + (rng.choice([0, 0.5, 0.25]) if level > 4 else 0)
    ctx = story(rng)
    shown = _fmt_num(value)
    q = say.any("story" if rng.random() < STORY_SHARE else "plain", value=shown, src=src, dst=dst, **ctx)
    product = value * factor
    result = round(product + offset, 2)
    steps = [say("rule", src=src, dst=dst, factor=factor, offset=f" + {_fmt_num(offset)}" if offset else ""),
             say("product", value=shown, factor=factor, product=f"{product:.6f}".rstrip("0").rstrip("."))]
    if offset:
        steps.append(say("add_offset", offset=_fmt_num(offset), sum=f"{product + offset:.6f}".rstrip("0").rstrip(".")))
    steps.append(say("rounded", result=_fmt_num(result)))
    close = say.any("close", value=shown, src=src, dst=dst, result=_fmt_num(result))
    code = f"print(round({value} * {factor} + {offset}, 2))"
    return Problem(_cap(q), steps, _fmt_num(result), "numeric", _fmt_num(round(value * factor + offset, 2)), code,
                   close)


def k_order(rng: random.Random, level: int) -> Problem:
    say = Say("order", rng)
    n = min(3 + level // 2, 8)
    people = rng.sample(PHRASES["context"]["names"], n)  # people[0] is the most (tallest, oldest ...)
    comp, most, least = rng.choice(BANKS["comparisons"])
    pairs = [(people[i], people[i + 1]) for i in range(n - 1)]
    rng.shuffle(pairs)
    facts = " ".join(f"{a} is {comp} than {b}." for a, b in pairs)
    ask_most = rng.random() < 0.5
    which = most if ask_most else least
    q = say.any("ask", facts=facts, which=which)
    steps = [say("intro")]
    chain = [people[0]]
    for i in range(1, n):
        steps.append(say("link", a=people[i - 1], b=people[i], comp=comp, chain=" > ".join(chain + [people[i]])))
        chain.append(people[i])
    answer = chain[0] if ask_most else chain[-1]
    steps.append(say("pick", which=which, end="front" if ask_most else "end", answer=answer))
    close = say.any("close", answer=answer, which=which)
    return Problem(q, steps, answer, "exact", people[0] if ask_most else people[-1], None, close)


def k_weekday(rng: random.Random, level: int) -> Problem:
    say = Say("weekday", rng)
    start = rng.randrange(7)
    offset = rng.randint(2, 10 * level * level)
    later = rng.random() < 0.7
    ctx = story(rng)
    kind = ("story_" if rng.random() < STORY_SHARE else "plain_") + ("later" if later else "before")
    q = say.any(kind, start=DAYS[start], offset=offset, **ctx)
    weeks, rem = divmod(offset, 7)
    idx = (start + rem) % 7 if later else (start - rem) % 7
    steps = [say("weeks", offset=offset, weeks=weeks, rem=rem),
             say("shift", rem=rem, s="s" if rem != 1 else "", s1="s" if rem == 1 else "", start=DAYS[start],
                 sign="+" if later else "-", end=DAYS[idx])]
    truth = DAYS[(start + (offset if later else -offset)) % 7]
    code = f"days = {DAYS!r}\nprint(days[({start} {'+' if later else '-'} {offset}) % 7])"
    close = say.any("close" if later else "close_before", end=DAYS[idx])
    return Problem(q, steps, DAYS[idx], "exact", truth, code, close)


KINDS = {"letters": k_letters, "add": k_add, "sub": k_sub, "mul": k_mul, "units": k_units, "order": k_order,
         "weekday": k_weekday}
PYTHON_KINDS = {"letters", "add", "mul", "units", "weekday"}


# ---------------------------------------------------------------------------------------------------------------
# reasoning-gym tasks, decomposed from their metadata and asked in our own words (the same problem: reasoning-gym's
# scorer checks the answer against its own entry); each returns (question, steps, answer, code, closing)

def _euclid(a: int, b: int, say: Say) -> tuple[list[str], int]:
    steps = []
    while b:
        steps.append(say("line", x=a, y=b, q=a // b, r=a % b))
        a, b = b, a % b
    return steps, a


def rg_chain_sum(e: dict, say: Say, ctx: dict) -> tuple:
    expr = e["metadata"]["expression"]
    terms = [int(t) for t in re.findall(r"-?\d+", expr.replace("- ", "-"))]
    steps, total = [], 0
    for t in terms:
        steps.append(say("step", total=total, t=t, new=total + t) if steps else say("start", t=t))
        total += t
    return say.any("ask", expr=expr), steps, str(total), f"print({expr})", say.any("close", total=total, expr=expr)


def rg_gcd(e: dict, say: Say, ctx: dict) -> tuple:
    a, b = e["metadata"]["numbers"]
    steps, g = _euclid(max(a, b), min(a, b), say)
    return (say.any("ask", a=a, b=b, **ctx), [say("intro"), *steps], str(g),
            f"import math\nprint(math.gcd({a}, {b}))", say.any("close", g=g))


def rg_lcm(e: dict, say: Say, ctx: dict) -> tuple:
    a, b = e["metadata"]["numbers"]
    steps, g = _euclid(max(a, b), min(a, b), say)
    lcm = a * b // g
    return (say.any("ask", a=a, b=b, **ctx),
            [say("intro"), *steps, say("gcd", g=g), say("product", a=a, b=b, p=a * b, g=g, l=lcm)], str(lcm),
            f"import math\nprint(math.lcm({a}, {b}))", say.any("close", l=lcm))


def rg_count_bits(e: dict, say: Say, ctx: dict) -> tuple:
    n = e["metadata"]["number"]
    b = bin(n)[2:]
    groups = " ".join(b[max(0, i - 4):i] for i in range(len(b), 0, -4)[::-1])
    total = b.count("1")
    steps = [say("binary", n=n, groups=groups),
             say("count", counts=" + ".join(str(g.count("1")) for g in groups.split()), total=total)]
    return (say.any("ask", n=n, **ctx), steps, str(total), f"print(bin({n}).count('1'))",
            say.any("close", n=n, total=total))


def rg_spell_backward(e: dict, say: Say, ctx: dict) -> tuple:
    w = e["metadata"]["word"]
    steps = [say("forward", spelled="-".join(w)), say("back", reversed="-".join(reversed(w)))]
    return say.any("ask", word=w), steps, w[::-1], f"print({w!r}[::-1])", say.any("close", word=w, answer=w[::-1])


def rg_prime_factorization(e: dict, say: Say, ctx: dict) -> tuple:
    n = e["metadata"]["number"]
    steps, factors, m, p = [say("intro")], [], n, 2
    while p * p <= m:
        while m % p == 0:
            steps.append(say("division", m=m, p=p, q=m // p))
            factors.append(p)
            m //= p
        p += 1
    if m > 1:
        factors.append(m)
        steps.append(say("prime", m=m))
    answer = " × ".join(map(str, factors))
    return say.any("ask", n=n, **ctx), steps, answer, None, say.any("close", n=n, answer=answer)


def rg_letter_counting(e: dict, say: Say, ctx: dict) -> tuple:
    letter, words = e["metadata"]["target_letter"], e["metadata"]["span"]
    counts = [(w, w.lower().count(letter)) for w in words]
    total = sum(c for _, c in counts)
    steps = [say("check", letter=letter), *(f"{w}: {c}" for w, c in counts),
             say("sum", terms=" + ".join(str(c) for _, c in counts), total=total)]
    return (say.any("ask", letter=letter, text=" ".join(words)), steps, str(total), None,
            say.any("close", letter=letter, total=total, s="s" if total != 1 else ""))


def rg_base_conversion(e: dict, say: Say, ctx: dict) -> tuple:
    m = e["metadata"]
    src, dst, rep = m["source_base"], m["target_base"], m["source_repr"]
    value = int(rep, src)
    terms = [f"{int(d, 36)}×{src}^{len(rep) - 1 - i}" for i, d in enumerate(rep)]
    steps = [say("expand", rep=rep, src=src, terms=" + ".join(terms), value=value)]
    ask = say.any("ask", src=src, dst=dst, rep=rep, **ctx)
    if dst == 10:
        return ask, steps, str(value), f"print(int({rep!r}, {src}))", say.any("close", rep=rep, src=src, dst=dst,
                                                                             out=value)
    digits, v = [], value
    while v:
        steps.append(say("divide", v=v, dst=dst, q=v // dst, r=v % dst))
        digits.append("0123456789abcdefghijklmnopqrstuvwxyz"[v % dst])
        v //= dst
    out = "".join(reversed(digits)) or "0"
    steps.append(say("read", out=out))
    return ask, steps, out, None, say.any("close", rep=rep, src=src, dst=dst, out=out)


def rg_word_sorting(e: dict, say: Say, ctx: dict) -> tuple:
    m = e["metadata"]
    desc = m.get("direction") == "descending"
    direction = "descending" if desc else "ascending"
    words = sorted(m["original_words"], reverse=desc)
    steps = [say("rule", direction=direction), say("order", list=", ".join(words))]
    return (_cap(say.any("ask", direction=direction, words=", ".join(m["original_words"]))), steps, ", ".join(words),
            f"print(', '.join(sorted({m['original_words']!r}, reverse={desc})))", say.any("close", direction=direction))


RG_TASKS = {"chain_sum": rg_chain_sum, "gcd": rg_gcd, "lcm": rg_lcm, "count_bits": rg_count_bits,
            "spell_backward": rg_spell_backward, "prime_factorization": rg_prime_factorization,
            "letter_counting": rg_letter_counting, "base_conversion": rg_base_conversion, "word_sorting": rg_word_sorting}
_RG_CACHE: dict[tuple[str, int], Any] = {}


def _rg_entry(task: str, seed: int) -> tuple[Any, dict]:
    import reasoning_gym

    key = (task, seed)
    if key not in _RG_CACHE:
        _RG_CACHE.clear() if len(_RG_CACHE) > 256 else None
        _RG_CACHE[key] = reasoning_gym.create_dataset(task, size=1, seed=seed)
    ds = _RG_CACHE[key]
    return ds, ds[0]


def _rg_level(task: str, entry: dict) -> int:
    biggest = max([len(x) for x in re.findall(r"\d+", entry["question"])] or [1])
    size = biggest + len(entry["metadata"].get("span", entry["metadata"].get("original_words", [])))
    return max(1, min(10, size // 2 + (2 if task in ("prime_factorization", "base_conversion", "lcm") else 0)))


# ---------------------------------------------------------------------------------------------------------------
# checking and assembling

def final_answer(content: str) -> str:
    m = re.search(r"Answer: (.+?)\**\s*$", content.strip())
    return m.group(1).strip() if m else ""


def check(answer: str, checker: str, truth: str) -> bool:
    """Independent check of a procedural answer against the ground truth computed another way."""
    if checker == "numeric":
        try:
            return math.isclose(float(answer), float(truth), rel_tol=1e-9, abs_tol=1e-9)
        except ValueError:
            return False
    if checker == "set":
        return {x.strip() for x in answer.split(",")} == {x.strip() for x in truth.split(",")}
    return answer.strip() == truth.strip()


def check_record(rec: dict) -> tuple[bool, str]:
    """Re-check a reasoning record's final answer from its verification block (what the filter stage can call)."""
    ver = rec["verification"]
    got = final_answer(rec["messages"][-1]["content"] or "")
    if not got:
        return False, "no 'Answer:' line in the final message"
    if ver["source"].startswith("reasoning_gym:"):
        task = ver["source"].split(":", 1)[1]
        ds, entry = _rg_entry(task, int(ver["rg_seed"]))
        score = ds.score_answer(got, entry)
        return (score == 1.0, f"reasoning_gym score {score} for {got!r}")
    ok = check(got, ver["checker"], ver["answer"])
    return ok, "matches" if ok else f"answer {got!r} != expected {ver['answer']!r}"


def _closing(rng: random.Random, voice: str, close: str, answer: str) -> str:
    """The visible answer: the problem's own closing sentence (sometimes after a short lead in the persona's voice),
    then the `Answer:` line the checker reads."""
    leads = PHRASES["lead"].get(voice) or PHRASES["lead"]["plain"]
    lead = f"{rng.choice(leads)} " if rng.random() < 0.35 else ""
    return f"{lead}{close}\n\nAnswer: {answer}"


def plan(persona: Any, count: int, seed: int) -> list[dict]:
    persona = as_persona(persona)
    settings = persona.family_settings.get(FAMILY, {})
    max_level = int(settings.get("max_level", 10))
    share = float(settings.get("python_share", PYTHON_SHARE))
    rng = random.Random(f"{FAMILY}:{persona.slug}:{seed}")
    sources = [f"procedural:{k}" for k in KINDS] + [f"reasoning_gym:{t}" for t in RG_TASKS]
    weights = [2.0] * len(KINDS) + [1.0] * len(RG_TASKS)
    tasks = []
    for i in range(count):
        src = rng.choices(sources, weights)[0]
        tasks.append({"task_id": f"{FAMILY}-{seed}-{i:06d}", "seed": rng.randrange(2**31), "source": src,
                      "level": rng.randint(1, max_level), "python": rng.random() < share, "persona": persona.slug,
                      "persona_path": str(persona.path) if getattr(persona, "path", None) else None})
    return tasks


def _python_call(toolset: str, code: str) -> tuple[str, dict]:
    if toolset == "python-agent":
        return "execute_python", {"code": code}
    return "bash", {"command": f"python3 - <<'EOF'\n{code}\nEOF"}


def _build(task: dict, persona: Any, voice: str) -> dict:
    """Everything but execution: question, steps, answer, truth/check, closing, the optional python call."""
    rng = random.Random(task["seed"])
    kind, name = task["source"].split(":", 1)
    if kind == "procedural":
        p = KINDS[name](rng, task["level"])
        level = task["level"]
        ok = check(p.answer, p.checker, p.truth)
        extra = {}
    else:
        rg_seed = task["seed"] % 1_000_000
        ds, entry = _rg_entry(name, rg_seed)
        q, steps, answer, code, close = RG_TASKS[name](entry, Say(name, rng), story(rng))
        p = Problem(q, steps, answer, "reasoning_gym", str(entry["answer"]), code, close)
        level = _rg_level(name, entry)
        ok = ds.score_answer(answer, entry) == 1.0
        extra = {"rg_seed": rg_seed}
    use_python = bool(task["python"] and p.code and (kind == "reasoning_gym" or name in PYTHON_KINDS))
    return {"question": p.question, "steps": p.steps, "answer": p.answer, "checker": p.checker, "truth": p.truth,
            "level": level, "ok": ok, "code": p.code if use_python else None, "extra": extra, "rng": rng,
            "close": p.close, "python": Say("python", rng)}


def run(tasks: list[dict], teacher: Any, sandbox: Any, run_id: str, persona: Any = None) -> list[dict]:
    """Procedural; teacher unused (the computed steps are the value). Python calls batch through run_many."""
    from sandbox.tools import ToolRuntime, call_many
    from schemas import make_lineage, make_record, validate_record

    del teacher
    if not tasks:
        return []
    persona = as_persona(persona) if persona is not None else task_persona(tasks[0])
    voice = voice_of(persona)
    all_tools = {t["function"]["name"]: t for t in persona.tools()}
    built: list[dict | None] = []
    results: dict[str, dict] = {}
    for task in tasks:
        try:
            b = _build(task, persona, voice)
        except Exception as exc:  # a generator bug or a reasoning-gym surprise costs one task, not the run
            results[task["task_id"]] = {"rejected": True, "task_id": task["task_id"],
                                        "reason": f"could not build problem: {type(exc).__name__}: {exc}", "raw": None}
            built.append(None)
            continue
        built.append(b)
    # one batched sandbox round for every python step
    pending = [(i, b) for i, b in enumerate(built) if b is not None and b["code"]]
    runtimes = [ToolRuntime({"workspace": {"files": {}}}, sandbox=sandbox) for _ in pending]
    calls = [(rt, *_python_call(persona.toolset, b["code"])) for rt, (_, b) in zip(runtimes, pending, strict=True)]
    outputs = dict(zip([i for i, _ in pending], call_many(calls), strict=True)) if calls else {}
    for i, (task, b) in enumerate(zip(tasks, built, strict=True)):
        if b is None:
            continue
        tid = task["task_id"]
        if not b["ok"]:
            results[tid] = {"rejected": True, "task_id": tid, "reason": f"wrong answer {b['answer']!r} "
                            f"(checker {b['checker']}, expected {b['truth']!r})", "raw": b["steps"]}
            continue
        messages: list[dict] = [{"role": "system", "content": persona.system_message()},
                                {"role": "user", "content": b["question"]}]
        python_calls: list[str] = []
        tools: list[dict] = []
        plan_text = "\n".join(b["steps"])
        if b["code"]:
            name, args = _python_call(persona.toolset, b["code"])
            out = outputs[i]
            if out.strip().splitlines()[-1:] != [b["answer"]] and not check(out.strip(), "numeric" if b["checker"] ==
                                                                            "numeric" else "exact", b["answer"]):
                results[tid] = {"rejected": True, "task_id": tid, "reason": f"python printed {out[:80]!r}, trace says "
                                f"{b['answer']!r}", "raw": b["steps"]}
                continue
            tools = [all_tools[name]]
            python_calls = ["call_1"]
            messages.append({"role": "assistant", "content": None, "reasoning": plan_text + "\n" + b["python"]("confirm"),
                             "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}]})
            messages.append({"role": "tool", "tool_call_id": "call_1", "name": name, "content": out})
            messages.append({"role": "assistant", "reasoning": b["python"]("agree", out=out.strip()),
                             "content": _closing(b["rng"], voice, b["close"], b["answer"])})
        else:
            messages.append({"role": "assistant", "reasoning": plan_text,
                             "content": _closing(b["rng"], voice, b["close"], b["answer"])})
        verification = {"answer": b["answer"], "checker": b["checker"], "level": b["level"], "source": task["source"],
                        "python_calls": python_calls, **b["extra"]}
        facets = {"source": task["source"], "level": b["level"], "python": bool(b["code"]), "voice": voice}
        lineage = make_lineage("generators.reasoning", VERSION, task["seed"], facets, run_id, None,
                               template_hash(task["source"], VERSION))
        rec = make_record(FAMILY, persona.slug, messages, tools, verification, lineage)
        ok, why = check_record(rec)
        errors = validate_record(rec)
        if not ok:
            results[tid] = {"rejected": True, "task_id": tid, "reason": f"final check failed: {why}", "raw": rec}
        elif errors:
            results[tid] = {"rejected": True, "task_id": tid, "reason": f"schema: {errors[0].path}: {errors[0].message}",
                            "raw": rec}
        else:
            results[tid] = rec
    return [results[t["task_id"]] for t in tasks]
