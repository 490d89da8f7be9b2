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
from typing import Any

from generators.tool_use import as_persona, task_persona, template_hash, voice_of

FAMILY = "reasoning"
VERSION = "1"
PYTHON_SHARE = 0.3

WORDS = ["cat", "sun", "tree", "moon", "apple", "river", "banana", "letter", "coffee", "balloon", "mississippi",
         "strawberry", "bookkeeper", "committee", "assessment", "parallel", "necessary", "occurrence", "programming",
         "possession", "successful", "tennessee", "cinnamon", "pepper", "address", "embarrass", "millennium",
         "accommodate", "questionnaire", "aardvark", "bubble", "giraffe", "hippopotamus", "kangaroo", "lollipop",
         "mammal", "noon", "papaya", "raspberry", "sassafras", "teeth", "umbrella", "vacuum", "woodpecker",
         "xylophone", "yellow", "zucchini", "abracadabra", "onomatopoeia", "referee", "barrel", "cocoon", "dessert",
         "eleven", "grammar", "horror", "llama", "mirror", "puppet", "success", "tomorrow", "beekeeper", "lullaby",
         "peppermint", "karaoke", "spaghetti", "broccoli", "avocado", "pineapple", "marshmallow", "butterfly",
         "chocolate", "elephant", "evergreen", "independence", "interference", "anniversary", "bureaucracy",
         "caterpillar", "dictionary", "engineering", "photosynthesis", "refrigerator", "subsequently", "typewriter",
         "unnecessary", "volleyball", "wheelbarrow", "assassination", "possessiveness", "sleeplessness", "bookshelf"]
NAMES = ["Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kai", "Lena", "Mateo",
         "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tara"]
ORDER = [("taller", "tallest", "shortest"), ("older", "oldest", "youngest"), ("faster", "fastest", "slowest"),
         ("heavier", "heaviest", "lightest")]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# (from, to, factor, offset): to = from * factor + offset
UNITS = [("kilometres", "miles", 0.621371, 0.0), ("miles", "kilometres", 1.609344, 0.0), ("kilograms", "pounds", 2.204623, 0.0),
         ("pounds", "kilograms", 0.453592, 0.0), ("degrees Celsius", "degrees Fahrenheit", 1.8, 32.0),
         ("litres", "US gallons", 0.264172, 0.0), ("inches", "centimetres", 2.54, 0.0), ("feet", "metres", 0.3048, 0.0),
         ("hours", "seconds", 3600.0, 0.0), ("MiB", "KiB", 1024.0, 0.0), ("metres per second", "kilometres per hour", 3.6, 0.0)]


class Wrong(Exception):
    """The trace's answer failed its independent check."""


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------------------------------------------
# procedural kinds: each returns (question, steps, answer, checker, truth, python_code)

def k_letters(rng: random.Random, level: int) -> tuple:
    pool = sorted(WORDS, key=len)
    lo = min(len(pool) - 10, (level - 1) * len(pool) // 10)
    word = rng.choice(pool[lo:lo + max(10, len(pool) // 8)])
    letter = rng.choice(sorted(set(word))) if rng.random() < 0.85 else rng.choice("qzjxkv")
    q = rng.choice([f"How many times does the letter '{letter}' appear in \"{word}\"?",
                    f"Count the letter {letter} in the word {word}.", f"how many {letter}'s are in {word}?"])
    steps = [f"Spell the word out letter by letter: {'-'.join(word)}."]
    marks = []
    n = 0
    for i, ch in enumerate(word, 1):
        hit = ch == letter
        n += hit
        marks.append(f"{i}. {ch}{'  <- ' + letter + ' (#' + str(n) + ')' if hit else ''}")
    steps.append("Go through them one at a time and mark each '" + letter + "':\n" + "\n".join(marks))
    steps.append(f"That makes {n} occurrence{'s' if n != 1 else ''} of '{letter}'.")
    code = f"print({word!r}.count({letter!r}))"
    return q, steps, str(n), "numeric", str(word.count(letter)), code


def _column_add(nums: list[int]) -> tuple[list[str], int]:
    width = max(len(str(x)) for x in nums)
    digits = [str(x).zfill(width) for x in nums]
    carry, out, steps = 0, [], []
    for col in range(width - 1, -1, -1):
        column = [int(d[col]) for d in digits]
        total = sum(column) + carry
        place = width - col
        steps.append(f"Column {place} from the right: {' + '.join(map(str, column))}"
                     f"{f' + carry {carry}' if carry else ''} = {total} -> write {total % 10}, carry {total // 10}.")
        out.append(str(total % 10))
        carry = total // 10
    if carry:
        steps.append(f"Leftover carry {carry} goes in front.")
        out.append(str(carry))
    return steps, int("".join(reversed(out)))


def k_add(rng: random.Random, level: int) -> tuple:
    digits = level + 1
    n_terms = 2 if level < 6 else 3
    nums = [rng.randint(10 ** (digits - 1), 10**digits - 1) for _ in range(n_terms)]
    expr = " + ".join(map(str, nums))
    q = rng.choice([f"What is {expr}?", f"Compute {expr}.", f"{expr} = ?", f"add these up: {expr}"])
    col_steps, total = _column_add(nums)
    steps = ["Line the numbers up by place value and add column by column, right to left, carrying as needed.",
             *col_steps, f"Reading the digits back: {total}."]
    return q, steps, str(total), "numeric", str(sum(nums)), f"print({expr})"


def k_sub(rng: random.Random, level: int) -> tuple:
    digits = level + 1
    a = rng.randint(10 ** (digits - 1), 10**digits - 1)
    b = rng.randint(10 ** (digits - 2) if digits > 1 else 1, a)
    q = rng.choice([f"What is {a} - {b}?", f"Compute {a} minus {b}.", f"{a} - {b} = ?"])
    da, db = str(a), str(b).zfill(len(str(a)))
    borrow, out, steps = 0, [], ["Subtract column by column from the right, borrowing when the top digit is too small."]
    for col in range(len(da) - 1, -1, -1):
        top, bot = int(da[col]) - borrow, int(db[col])
        if top < bot:
            steps.append(f"Column {len(da) - col}: {top} < {bot}, borrow 1 -> {top + 10} - {bot} = {top + 10 - bot}.")
            out.append(str(top + 10 - bot))
            borrow = 1
        else:
            steps.append(f"Column {len(da) - col}: {top} - {bot} = {top - bot}.")
            out.append(str(top - bot))
            borrow = 0
    result = int("".join(reversed(out)))
    steps.append(f"Reading the digits back (dropping leading zeros): {result}.")
    return q, steps, str(result), "numeric", str(a - b), f"print({a} - {b})"


def k_mul(rng: random.Random, level: int) -> tuple:
    da, db = 1 + (level + 1) // 2, 1 + level // 3
    a = rng.randint(10 ** (da - 1), 10**da - 1)
    b = rng.randint(max(2, 10 ** (db - 1)), 10**db - 1)
    q = rng.choice([f"What is {a} × {b}?", f"Compute {a} * {b}.", f"multiply {a} by {b}"])
    steps = [f"Split {b} by place value and multiply {a} by each part."]
    partials = []
    for i, d in enumerate(reversed(str(b))):
        if d == "0":
            continue
        part = a * int(d) * 10**i
        partials.append(part)
        steps.append(f"{a} × {int(d) * 10 ** i} = {part}.")
    if len(partials) > 1:
        add_steps, total = _column_add(partials)
        steps += [f"Now add the partial products {' + '.join(map(str, partials))}:", *add_steps, f"Total: {total}."]
    else:
        total = partials[0]
    return q, steps, str(total), "numeric", str(a * b), f"print({a} * {b})"


def k_units(rng: random.Random, level: int) -> tuple:
    src, dst, factor, offset = rng.choice(UNITS)
    value = rng.randint(1, 10 * level) + (rng.choice([0, 0.5, 0.25]) if level > 4 else 0)
    q = rng.choice([f"Convert {_fmt_num(value)} {src} to {dst} (two decimals).", f"How many {dst} is {_fmt_num(value)} {src}? Two decimals, please.",
                    f"{_fmt_num(value)} {src} in {dst}? Round to two decimals."])
    product = value * factor
    result = round(product + offset, 2)
    steps = [f"The conversion is {dst} = {src} × {factor}" + (f" + {_fmt_num(offset)}." if offset else "."),
             f"{_fmt_num(value)} × {factor} = {product:.6f}".rstrip("0").rstrip(".") + "."]
    if offset:
        steps.append(f"Add {_fmt_num(offset)}: {product + offset:.6f}".rstrip("0").rstrip(".") + ".")
    steps.append(f"Rounded to two decimals: {_fmt_num(result)}.")
    code = f"print(round({value} * {factor} + {offset}, 2))"
    return q, steps, _fmt_num(result), "numeric", _fmt_num(round(value * factor + offset, 2)), code


def k_order(rng: random.Random, level: int) -> tuple:
    n = min(3 + level // 2, 8)
    people = rng.sample(NAMES, n)  # people[0] is the most (tallest, oldest ...)
    comp, most, least = rng.choice(ORDER)
    pairs = [(people[i], people[i + 1]) for i in range(n - 1)]
    rng.shuffle(pairs)
    facts = " ".join(f"{a} is {comp} than {b}." for a, b in pairs)
    ask_most = rng.random() < 0.5
    q = f"{facts} Who is the {most if ask_most else least}?"
    steps = ["Each statement links two people; chain them into one ordering."]
    chain = [people[0]]
    for i in range(1, n):
        steps.append(f"{people[i - 1]} is {comp} than {people[i]}, so {people[i]} comes next: {' > '.join(chain + [people[i]])}.")
        chain.append(people[i])
    answer = chain[0] if ask_most else chain[-1]
    steps.append(f"The {most if ask_most else least} is at the {'front' if ask_most else 'end'} of the chain: {answer}.")
    return q, steps, answer, "exact", people[0] if ask_most else people[-1], None


def k_weekday(rng: random.Random, level: int) -> tuple:
    start = rng.randrange(7)
    offset = rng.randint(2, 10 * level * level)
    later = rng.random() < 0.7
    q = (f"Today is {DAYS[start]}. What day of the week will it be in {offset} days?" if later
         else f"Today is {DAYS[start]}. What day of the week was it {offset} days ago?")
    weeks, rem = divmod(offset, 7)
    idx = (start + rem) % 7 if later else (start - rem) % 7
    steps = [f"Whole weeks don't change the weekday: {offset} = 7 × {weeks} + {rem}.",
             f"So only {rem} day{'s' if rem != 1 else ''} matter{'s' if rem == 1 else ''}: "
             f"{DAYS[start]} {'+' if later else '-'} {rem} -> {DAYS[idx]}."]
    truth = DAYS[(start + (offset if later else -offset)) % 7]
    code = f"days = {DAYS!r}\nprint(days[({start} {'+' if later else '-'} {offset}) % 7])"
    return q, steps, DAYS[idx], "exact", truth, code


KINDS = {"letters": k_letters, "add": k_add, "sub": k_sub, "mul": k_mul, "units": k_units, "order": k_order,
         "weekday": k_weekday}
PYTHON_KINDS = {"letters", "add", "mul", "units", "weekday"}


# ---------------------------------------------------------------------------------------------------------------
# reasoning-gym tasks, decomposed from their metadata; checked by reasoning-gym's own scorer

def _euclid(a: int, b: int) -> tuple[list[str], int]:
    steps = []
    while b:
        steps.append(f"{a} = {b} × {a // b} + {a % b}")
        a, b = b, a % b
    return steps, a


def rg_chain_sum(e: dict) -> tuple[list[str], str, str | None]:
    terms = [int(t) for t in re.findall(r"-?\d+", e["metadata"]["expression"].replace("- ", "-"))]
    steps, total = [], 0
    for t in terms:
        steps.append(f"{total} + ({t}) = {total + t}" if steps else f"Start with {t}.")
        total += t
    return steps, str(total), f"print({e['metadata']['expression']})"


def rg_gcd(e: dict) -> tuple[list[str], str, str | None]:
    a, b = e["metadata"]["numbers"]
    steps, g = _euclid(max(a, b), min(a, b))
    return ["Euclid's algorithm: divide, keep the remainder, repeat until it is 0.", *steps,
            f"The last non-zero remainder is {g}."], str(g), f"import math\nprint(math.gcd({a}, {b}))"


def rg_lcm(e: dict) -> tuple[list[str], str, str | None]:
    a, b = e["metadata"]["numbers"]
    steps, g = _euclid(max(a, b), min(a, b))
    return ["lcm(a, b) = a × b / gcd(a, b). First the gcd by Euclid:", *steps, f"gcd = {g}.",
            f"{a} × {b} = {a * b}; {a * b} / {g} = {a * b // g}."], str(a * b // g), \
        f"import math\nprint(math.lcm({a}, {b}))"


def rg_count_bits(e: dict) -> tuple[list[str], str, str | None]:
    n = e["metadata"]["number"]
    b = bin(n)[2:]
    groups = " ".join(b[max(0, i - 4):i] for i in range(len(b), 0, -4)[::-1])
    return [f"Write {n} in binary: {groups}.", "Count the 1s group by group: "
            + " + ".join(str(g.count('1')) for g in groups.split()) + f" = {b.count('1')}."], str(b.count("1")), \
        f"print(bin({n}).count('1'))"


def rg_spell_backward(e: dict) -> tuple[list[str], str, str | None]:
    w = e["metadata"]["word"]
    return [f"Spell it forwards: {'-'.join(w)}.", f"Now read from the last letter to the first: {'-'.join(reversed(w))}."], \
        w[::-1], f"print({w!r}[::-1])"


def rg_prime_factorization(e: dict) -> tuple[list[str], str, str | None]:
    n = e["metadata"]["number"]
    steps, factors, m, p = [], [], n, 2
    while p * p <= m:
        while m % p == 0:
            steps.append(f"{m} ÷ {p} = {m // p}")
            factors.append(p)
            m //= p
        p += 1
    if m > 1:
        factors.append(m)
        steps.append(f"{m} has no divisor up to its square root, so it is prime.")
    return ["Trial division by the smallest primes first.", *steps], " × ".join(map(str, factors)), None


def rg_letter_counting(e: dict) -> tuple[list[str], str, str | None]:
    letter, words = e["metadata"]["target_letter"], e["metadata"]["span"]
    counts = [(w, w.lower().count(letter)) for w in words]
    total = sum(c for _, c in counts)
    return [f"Check each word for '{letter}':", *(f"{w}: {c}" for w, c in counts),
            f"Sum: {' + '.join(str(c) for _, c in counts)} = {total}."], str(total), None


def rg_base_conversion(e: dict) -> tuple[list[str], str, str | None]:
    m = e["metadata"]
    src, dst, rep = m["source_base"], m["target_base"], m["source_repr"]
    value = int(rep, src)
    terms = [f"{int(d, 36)}×{src}^{len(rep) - 1 - i}" for i, d in enumerate(rep)]
    steps = [f"Expand {rep} (base {src}) by place value: {' + '.join(terms)} = {value}."]
    if dst == 10:
        return steps, str(value), f"print(int({rep!r}, {src}))"
    digits, v = [], value
    while v:
        steps.append(f"{v} ÷ {dst} = {v // dst} remainder {v % dst}")
        digits.append("0123456789abcdefghijklmnopqrstuvwxyz"[v % dst])
        v //= dst
    out = "".join(reversed(digits)) or "0"
    steps.append(f"Read the remainders bottom-up: {out}.")
    return steps, out, None


def rg_word_sorting(e: dict) -> tuple[list[str], str, str | None]:
    m = e["metadata"]
    desc = m.get("direction") == "descending"
    words = sorted(m["original_words"], reverse=desc)
    return [f"Sort by ASCII/Unicode code points ({'descending' if desc else 'ascending'}); uppercase letters come before "
            "lowercase ones in ascending order.", "Order: " + ", ".join(words)], ", ".join(words), \
        f"print(', '.join(sorted({m['original_words']!r}, reverse={desc})))"


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


def _closing(rng: random.Random, voice: str, answer: str) -> str:
    lead = {"dry": ["Worked it through step by step.", "No guessing; counted it out.", "Done the boring way, which is the right way."],
            "formal": ["I have worked through it step by step.", "Having checked each step carefully:"],
            "plain": ["Step by step:", "Worked it out."]}
    return f"{rng.choice(lead.get(voice) or lead['plain'])}\n\nAnswer: {answer}"


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
    """Everything but execution: question, steps, answer, truth/check, the optional python call."""
    rng = random.Random(task["seed"])
    kind, name = task["source"].split(":", 1)
    if kind == "procedural":
        q, steps, answer, checker, truth, code = KINDS[name](rng, task["level"])
        level = task["level"]
        ok = check(answer, checker, truth)
        extra = {}
    else:
        rg_seed = task["seed"] % 1_000_000
        ds, entry = _rg_entry(name, rg_seed)
        steps, answer, code = RG_TASKS[name](entry)
        q, checker, truth, level = entry["question"], "reasoning_gym", str(entry["answer"]), _rg_level(name, entry)
        ok = ds.score_answer(answer, entry) == 1.0
        extra = {"rg_seed": rg_seed}
    use_python = bool(task["python"] and code and (kind == "reasoning_gym" or name in PYTHON_KINDS))
    return {"question": q, "steps": steps, "answer": answer, "checker": checker, "truth": truth, "level": level,
            "ok": ok, "code": code if use_python else None, "extra": extra, "rng": rng}


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
            messages.append({"role": "assistant", "content": None, "reasoning": plan_text + "\nLet me confirm this by running it.",
                             "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}]})
            messages.append({"role": "tool", "tool_call_id": "call_1", "name": name, "content": out})
            messages.append({"role": "assistant", "reasoning": f"Python printed {out.strip()}, which agrees with the steps.",
                             "content": _closing(b["rng"], voice, b["answer"])})
        else:
            messages.append({"role": "assistant", "reasoning": plan_text, "content": _closing(b["rng"], voice, b["answer"])})
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
