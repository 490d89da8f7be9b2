"""Function calling that generalises: per-record tool lists from a library of real functions, every call executed.

Each record offers 2-12 tools drawn from sandbox/functions (198 functions in 26 domains, JSON Schemas generated
from their signatures), so a model learns to read names and parameters from the schema instead of memorising a
fixed tool set. The shapes, each a planned share of the family (SHAPES), follow what tool-calling benchmarks test:

- single: one call, the right tool among a few unrelated ones;     - choose: the right tool among near misses
- parallel: 2-4 independent calls in one assistant turn;           - sequential: a call whose arguments come from
- no_call: nothing offered fits (decline) or no tool is needed         an earlier call's real output (fc_chains.py)
- error_correct: a schema-valid call fails for real, is corrected  - multi_turn: 2-4 user turns reacting to answers

Planners are procedural: they sample arguments against a seeded world (generators/fc_world.py), phrase a request
that mentions every argument (generators/fc_phrasing.py), execute every call in the sandbox through
FunctionRuntime (batched across records by tool_use.drive), and write the answer from the parsed real output.
With a teacher (recipe `function_calling.teacher_share`), the teacher rewrites the user turns and final answers;
the calls are the planner's, executed for real, and a rewrite that drops a value the calls or outputs depend on
is rejected (fc_teacher.py).
"""

import random
import string
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import generators.fc_args_misc  # noqa: F401  (registers samplers)
import generators.fc_args_state  # noqa: F401  (registers samplers)
from generators.fc_args import SAMPLERS
from generators.fc_phrasing import (
    answer,
    is_error,
    knowledge,
    lower_first,
    parse_output,
    phrasebook,
    request,
    shared,
)
from generators.fc_world import SQL_SCHEMA, STATEFUL, World, banks, build_world
from generators.grounded import Exchange, Reject, Script, Turn, Work, _settle, as_persona, drive, task_persona, voice_of
from sandbox.functions import RUNTIME, FunctionRuntime, by_domain, library, tool
from sandbox.functions import VERSION as LIBRARY_VERSION

FAMILY = "function_calling"
VERSION = "2"  # 2: functions see their arguments in the canonical (sorted) order the record stores
SHAPES = {"single": 0.20, "choose": 0.15, "parallel": 0.15, "sequential": 0.15, "no_call": 0.10,
          "error_correct": 0.10, "multi_turn": 0.15}
TEACHER_SHARE = 0.0  # recipe key function_calling.teacher_share: share of records a teacher rephrases
MAX_TOOLS = 12


@dataclass
class FC:
    """One record under construction: randomness, voice, the planned shape and what it decided so far."""

    r: random.Random
    voice: str
    shape: str
    focus: str
    world: World = field(default_factory=World)
    offered: list[str] = field(default_factory=list)
    user: str = ""
    facets: dict = field(default_factory=dict)

    # -- setup ---------------------------------------------------------------------------------------------------

    def setup(self, needed: list[str], offered: list[str]) -> None:
        """Plant the world the needed functions act on and fix the offered tool list (shuffled)."""
        lib = library()
        self.world = build_world(self.r, {lib[f].domain for f in needed})
        self.offered = list(dict.fromkeys(offered))
        self.r.shuffle(self.offered)

    def sample(self, name: str, differ_from: list[dict] | None = None) -> tuple[dict, dict]:
        for _ in range(12):
            args, slots = SAMPLERS[name](self.r, self.world)
            if not differ_from or args not in differ_from:
                return args, slots
        raise Reject(f"could not sample distinct arguments for {name}")

    # -- words ---------------------------------------------------------------------------------------------------

    def voiced(self, section: str) -> list[str]:
        table = shared()[section]
        return table.get(self.voice) or table["plain"]

    def request(self, name: str, args: dict, slots: dict, decorate: bool = True) -> str:
        text = request(self.r, name, args, slots)
        if text is None:
            raise Reject(f"no request phrasing of {name} mentions all of {sorted(args)}")
        if name in ("sql_select", "sql_execute") and self.shape != "error_correct":
            text += " " + self.r.choice(shared()["sql"]["hints"]).format(schema=SQL_SCHEMA)
        return self.decorate(library()[name].domain, text) if decorate else text

    def decorate(self, domain: str, text: str) -> str:
        s = shared()
        parts = []
        if self.r.random() < 0.45:
            pool = s["domain_openers"].get(domain) if self.r.random() < 0.6 else None
            parts.append(self.r.choice(pool or s["openers"]))
        parts.append(text)
        if self.r.random() < 0.25:
            parts.append(self.r.choice(s["closers"]))
        return " ".join(p for p in parts if p)

    def answer(self, name: str, args: dict, slots: dict, output: str, lead: bool = True) -> str:
        value = parse_output(output)
        if is_error(value):
            raise Reject(f"{name} failed unexpectedly: {output[:160]}")
        text = answer(self.r, name, args, slots, value)
        if text is None:
            raise Reject(f"no answer phrasing of {name} fits its output {output[:80]!r}")
        if lead and (opener := self.r.choice(self.voiced("answer_leads"))):
            text = f"{opener} {text}"
        return text

    def preamble(self, p: float = 0.3) -> str | None:
        return self.r.choice(self.voiced("call_preambles")) if self.r.random() < p else None

    # -- tool lists ----------------------------------------------------------------------------------------------

    def distractors(self, needed: list[str], total: int, same_domain: int = 0) -> list[str]:
        """`needed` plus other library functions up to `total`: `same_domain` near misses from the needed
        functions' domains, the rest from other domains."""
        lib, domains = library(), by_domain()
        used = {lib[f].domain for f in needed}
        out = list(dict.fromkeys(needed))
        near = [f for d in sorted(used) for f in domains[d] if f not in out]
        self.r.shuffle(near)
        out += near[:same_domain]
        far = [f for f in lib if lib[f].domain not in used]
        while len(out) < min(total, MAX_TOOLS):
            f = self.r.choice(far)
            if f not in out:
                out.append(f)
        return out


def call_turn(c: FC, calls: list[tuple[str, dict]], content: str | None = None) -> Turn:
    return Turn(calls, content=content)


# ---------------------------------------------------------------------------------------------------------------
# shapes


def s_single(c: FC) -> Script:
    fn = c.focus
    c.setup([fn], c.distractors([fn], c.r.randint(2, 5)))
    args, slots = c.sample(fn)
    c.user = c.request(fn, args, slots)
    out = yield call_turn(c, [(fn, args)], c.preamble())
    assert out is not None
    return c.answer(fn, args, slots, out[0])


def s_choose(c: FC) -> Script:
    fn = c.focus
    domain_size = len(by_domain()[library()[fn].domain])
    near = min(domain_size - 1, c.r.randint(2, 5))
    c.setup([fn], c.distractors([fn], c.r.randint(max(4, near + 1), MAX_TOOLS), same_domain=near))
    args, slots = c.sample(fn)
    c.user = c.request(fn, args, slots)
    out = yield call_turn(c, [(fn, args)], c.preamble(0.2))
    assert out is not None
    return c.answer(fn, args, slots, out[0])


def parallel_functions(c: FC, k: int) -> list[str]:
    """k functions for one parallel turn: the focus repeated, its domain, or a mix; at most one mutating call."""
    lib, domains = library(), by_domain()
    fn = c.focus
    mode = c.r.choice(["same", "domain", "mixed"])
    if mode == "same" and lib[fn].tool["function"]["parameters"]["required"] and lib[fn].domain not in STATEFUL:
        return [fn] * k
    pool = [f for f in domains[lib[fn].domain] if f != fn] if mode == "domain" else [f for f in lib if f != fn]
    out = [fn]
    for f in c.r.sample(pool, len(pool)):
        if len(out) == k:
            break
        if lib[f].mutates or f in out or (lib[f].domain in {lib[x].domain for x in out} and lib[f].mutates):
            continue
        out.append(f)
    while len(out) < k:
        f = c.r.choice([f for f in lib if not lib[f].mutates and f not in out])
        out.append(f)
    return sorted(out, key=lambda f: lib[f].mutates)  # calls run in order: reads see the state before the write


def s_parallel(c: FC) -> Script:
    k = c.r.choice([2, 2, 3, 3, 4])
    fns = parallel_functions(c, k)
    c.setup(fns, c.distractors(fns, c.r.randint(len(set(fns)) + 1, MAX_TOOLS)))
    samples: list[tuple[dict, dict]] = []
    for f in fns:
        samples.append(c.sample(f, differ_from=[a for g, (a, _) in zip(fns, samples, strict=False) if g == f]))
    asks = [c.request(f, a, s, decorate=False) for f, (a, s) in zip(fns, samples, strict=True)]
    c.user = combine_requests(c, asks)
    pre = c.r.choice(c.voiced("parallel_preambles")).format(n=k) if c.r.random() < 0.4 else None
    outs = yield call_turn(c, [(f, a) for f, (a, _) in zip(fns, samples, strict=True)], pre)
    assert outs is not None
    answers = [c.answer(f, a, s, o, lead=False) for f, (a, s), o in zip(fns, samples, outs, strict=True)]
    c.facets["parallel"] = k
    return combine_answers(c, answers)


def combine_requests(c: FC, asks: list[str]) -> str:
    s = shared()["parallel"]
    style = c.r.random()
    if style < 0.35:
        body = "\n".join(f"{i}. {a}" for i, a in enumerate(asks, 1))
    elif style < 0.7:
        body = "\n".join(f"- {a}" for a in asks)
    else:
        body = asks[0] + "".join(" " + c.r.choice(s["joiners"]) + lower_first(a) for a in asks[1:])
    intro = c.r.choice(s["intros"])
    return f"{intro}\n{body}" if intro and style < 0.7 else (f"{intro} {body}" if intro else body)


def combine_answers(c: FC, answers: list[str]) -> str:
    text = "\n".join(f"{i}. {a}" for i, a in enumerate(answers, 1)) if c.r.random() < 0.6 else "\n\n".join(answers)
    lead = c.r.choice(c.voiced("answer_leads"))
    return f"{lead}\n{text}" if lead else text


def s_multi_turn(c: FC) -> Script:
    lib, domains = library(), by_domain()
    n_user = c.r.choice([2, 2, 3, 3, 4])
    thanks_last = n_user > 2 and c.r.random() < 0.3 or n_user == 2 and c.r.random() < 0.1
    n_calls = n_user - (1 if thanks_last else 0)
    fns = [c.focus]
    kinds = ["first"]
    while len(fns) < n_calls:
        roll = c.r.random()
        prev = fns[-1]
        if roll < 0.35 and lib[prev].tool["function"]["parameters"]["required"] and lib[prev].domain not in STATEFUL:
            fns.append(prev)
            kinds.append("again")
            continue
        same = [f for f in domains[lib[prev].domain] if f not in fns]
        pool = same if roll < 0.65 and same else [f for f in lib if f not in fns]
        fns.append(c.r.choice(pool))
        kinds.append("next")
    fns, kinds = mutations_last(fns, kinds)
    while len(fns) + thanks_last < 2:  # dropping a second write to one domain can leave a single turn
        fns.append(c.r.choice([f for f in lib if not lib[f].mutates and f not in fns]))
        kinds.append("next")
    c.setup(fns, c.distractors(fns, c.r.randint(len(set(fns)) + 1, MAX_TOOLS)))
    previous: dict[str, list[dict]] = {}
    last = ""
    for i, (fn, kind) in enumerate(zip(fns, kinds, strict=True)):
        args, slots = c.sample(fn, differ_from=previous.get(fn))
        previous.setdefault(fn, []).append(args)
        if i == 0:
            c.user = c.request(fn, args, slots)
        else:
            yield Exchange(last, followup(c, fn, args, slots, kind))
        out = yield call_turn(c, [(fn, args)], c.preamble(0.15))
        assert out is not None
        last = c.answer(fn, args, slots, out[0])
    c.facets["user_turns"] = n_user
    if thanks_last:
        yield Exchange(last, c.r.choice(shared()["followup"]["thanks"]))
        return c.r.choice(c.voiced("closing_replies"))
    return last


def mutations_last(fns: list[str], kinds: list[str]) -> tuple[list[str], list[str]]:
    """Keep at most one state-changing call per domain and put it after that domain's reads, so every later call
    sees the state its arguments were sampled from."""
    lib = library()
    seen: set[str] = set()
    out = []
    for f, k in zip(fns, kinds, strict=True):
        if lib[f].mutates and lib[f].domain in seen:
            continue
        if lib[f].mutates:
            seen.add(lib[f].domain)
        out.append((f, k))
    reads = [x for x in out if not lib[x[0]].mutates]
    writes = [x for x in out if lib[x[0]].mutates]
    ordered = reads + writes
    if ordered[0][1] != "first":
        ordered[0] = (ordered[0][0], "first")
    fixed = [(f, "next" if k == "first" and i else k) for i, (f, k) in enumerate(ordered)]
    fixed = [(f, "next" if k == "again" and (i == 0 or fixed[i - 1][0] != f) else k) for i, (f, k) in enumerate(fixed)]
    return [f for f, _ in fixed], [k for _, k in fixed]


def followup(c: FC, fn: str, args: dict, slots: dict, kind: str) -> str:
    f = shared()["followup"]
    reaction = c.r.choice(f["reactions"]) if c.r.random() < 0.7 else ""
    text = c.request(fn, args, slots, decorate=False)
    if kind == "again":
        text = c.r.choice(["And ", "Now ", "Same again: ", "One more: ", "OK, and "]) + lower_first(text)
    else:
        lead = c.r.choice(f["next"])
        text = f"{lead} {text}" if lead else text
    return f"{reaction} {text}".strip()


# no call ---------------------------------------------------------------------------------------------------------

def areas(c: FC) -> tuple[str, str]:
    lib = library()
    words = shared()["domain_words"]
    domains = list(dict.fromkeys(lib[f].domain for f in c.offered))
    from generators.fc_phrasing import human_list

    return human_list([words[d] for d in domains]), human_list([f"`{f}`" for f in c.offered])


def s_no_call(c: FC) -> Script:
    kind = c.focus
    lib = library()
    c.facets["no_call"] = kind
    if kind == "missing":
        target = c.r.choice(list(lib))
        domain = lib[target].domain
        others = [f for f in lib if lib[f].domain != domain]
        c.setup([], c.r.sample(others, c.r.randint(2, 8)))
        c.world = build_world(c.r, {domain})
        args, slots = SAMPLERS[target](c.r, c.world)
        c.world = World()  # nothing is executed, so nothing is planted
        c.user = c.request(target, args, slots)
        area, tools = areas(c)
        words = shared()["domain_words"][domain]
        final = c.r.choice(shared()["nocall"]["missing"]).format(domain_words=words, tools=tools, areas=area)
        c.facets["wanted_domain"] = domain
    elif kind == "impossible":
        c.setup([], c.r.sample(list(lib), c.r.randint(2, 8)))
        b = banks()
        c.user = c.decorate("", c.r.choice(shared()["nocall"]["impossible"]).format(
            city=c.r.choice(b["cities"])[0], name=c.r.choice(b["first_names"])))
        area, tools = areas(c)
        final = c.r.choice(shared()["nocall"]["decline"]).format(areas=area, tools=tools,
                                                                need=c.r.choice(shared()["nocall"]["needs"]))
    elif kind == "capability":
        c.setup([], c.r.sample(list(lib), c.r.randint(2, 8)))
        c.user = c.r.choice(shared()["nocall"]["capability_asks"])
        area, tools = areas(c)
        final = c.r.choice(shared()["nocall"]["capability_answers"]).format(areas=area, tools=tools)
    else:  # knowledge: answered directly, tools offered but not needed
        c.setup([], c.r.sample(list(lib), c.r.randint(2, 8)))
        k = knowledge()
        small = c.r.random() < 0.2
        q, a = c.r.choice(k["smalltalk"] if small else k["qa"] + k["more"])
        c.user = c.decorate("", q) if c.r.random() < 0.5 else q
        final = a
        if not small and c.r.random() < 0.6:
            final = f"{a} {c.r.choice(c.voiced('direct_tails'))}"
    return final
    yield  # never reached: it makes this shape a generator like the others, one that ends before any call


# ---------------------------------------------------------------------------------------------------------------
# the generator protocol

def script_for(shape: str):
    from generators import fc_chains, fc_errors

    return {"single": s_single, "choose": s_choose, "parallel": s_parallel, "multi_turn": s_multi_turn,
            "no_call": s_no_call, "sequential": fc_chains.s_sequential, "error_correct": fc_errors.s_error}[shape]


def quotas(count: int, shares: dict[str, float]) -> dict[str, int]:
    """Largest-remainder split of count over shares (exact totals, so the family hits its shape targets)."""
    total = sum(shares.values())
    raw = {k: count * v / total for k, v in shares.items()}
    out = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[: count - sum(out.values())]:
        out[k] += 1
    return out


def focus_pools(rng: random.Random) -> dict[str, list[str]]:
    """What each shape cycles through, shuffled once per plan so every function and chain gets its turn."""
    from generators import fc_chains, fc_errors

    lib = list(library())
    pools = {"calls": rng.sample(lib, len(lib)), "sequential": rng.sample(sorted(fc_chains.CHAINS), len(fc_chains.CHAINS)),
             "error_correct": rng.sample(sorted(fc_errors.MISTAKES), len(fc_errors.MISTAKES)),
             "no_call": ["missing", "impossible", "knowledge", "missing", "impossible", "capability", "missing",
                         "impossible", "knowledge"]}
    return pools


def plan(persona: Any, count: int, seed: int) -> list[dict]:
    """Deterministic tasks with exact shape quotas (shuffled), each naming its focus function, chain or kind."""
    persona = as_persona(persona)
    settings = persona.family_settings.get(FAMILY, {})
    share = float(settings.get("teacher_share", TEACHER_SHARE))
    shares = {k: float(settings.get(f"share_{k}", v)) for k, v in SHAPES.items()}
    rng = random.Random(f"{FAMILY}:{persona.slug}:{seed}")
    shapes = [s for s, n in quotas(count, shares).items() for _ in range(n)]
    rng.shuffle(shapes)
    pools = focus_pools(rng)
    cursor = {k: 0 for k in pools}
    tasks = []
    for i, shape in enumerate(shapes):
        pool = "calls" if shape in ("single", "choose", "parallel", "multi_turn") else shape
        focus = pools[pool][cursor[pool] % len(pools[pool])]
        cursor[pool] += 1
        tasks.append({"task_id": f"{FAMILY}-{seed}-{i:06d}", "seed": rng.randrange(2**31), "shape": shape,
                      "focus": focus, "mode": "teacher" if rng.random() < share else "procedural",
                      "persona": persona.slug,
                      "persona_path": str(persona.path) if getattr(persona, "path", None) else None})
    return tasks


def system_message(persona: Any, offered: list[str]) -> str:
    values = persona.template_values() | {"tools": ", ".join(offered)}
    return string.Template(persona.system_prompt).safe_substitute(values)


def build(task: dict, persona: Any, sandbox: Any, voice: str) -> tuple[Work | None, FC, dict | None]:
    """Start a task's script: it plants the world, fixes the tools and the user's words before its first call."""
    c = FC(r=random.Random(task["seed"]), voice=voice, shape=task["shape"], focus=task["focus"],
           facets={"shape": task["shape"], "focus": task["focus"], "voice": voice})
    script = script_for(task["shape"])(c)
    final = None
    try:
        first = next(script)
    except StopIteration as stop:
        first, final = None, stop.value
    except Reject as exc:
        return None, c, {"rejected": True, "task_id": task["task_id"], "reason": str(exc), "raw": None}
    except Exception as exc:  # a planner bug costs one record, not the run; tests keep these at zero
        return None, c, {"rejected": True, "task_id": task["task_id"],
                         "reason": f"internal planner error: {type(exc).__name__}: {exc}", "raw": None}
    env = c.world.environment()
    w = Work(task=task, runtime=FunctionRuntime(env, sandbox=sandbox), script=script,
             messages=[{"role": "system", "content": system_message(persona, c.offered)},
                       {"role": "user", "content": c.user}])
    w.final = final
    if first is not None:
        _settle(w, first)
    return w, c, None


def record(w: Work, c: FC, persona: Any, run_id: str, teacher: dict | None = None,
           generator: str = "generators.function_calling") -> dict:
    """A validated record from a finished script, or a rejection with its reason."""
    from schemas import make_lineage, make_record, validate_record

    task = w.task
    if w.error is not None or w.final is None:
        return {"rejected": True, "task_id": task["task_id"], "reason": w.error or "planner ended without an answer",
                "raw": {"messages": w.messages}}
    messages = [*w.messages, {"role": "assistant", "content": w.final}]
    lib = library()
    called = [tc["function"]["name"] for m in messages for tc in m.get("tool_calls") or []]
    per_turn = [len(m["tool_calls"]) for m in messages if m.get("tool_calls")]
    facets = c.facets | {
        "functions_called": called, "domains_offered": sorted({lib[f].domain for f in c.offered}),
        "domains_used": sorted({lib[f].domain for f in called}), "tools_offered": len(c.offered),
        "tool_calls": len(called), "max_parallel": max(per_turn, default=0),
        "user_turns": sum(m["role"] == "user" for m in messages)}
    lineage = make_lineage(generator, VERSION, task["seed"], facets, run_id, teacher, template_hash())
    verification = {"environment": c.world.environment(), "nondeterministic": [], "task": messages[1]["content"],
                    "runtime": RUNTIME, "library_version": LIBRARY_VERSION, "shape": c.shape}
    rec = make_record(FAMILY, persona.slug, messages, [tool(f) for f in c.offered], verification, lineage)
    errors = validate_record(rec)
    if errors:
        return {"rejected": True, "task_id": task["task_id"], "reason": f"schema: {errors[0].path}: {errors[0].message}",
                "raw": rec}
    return rec


@cache
def template_hash() -> str:
    """One hash over every phrasing file: records say which wording data made them."""
    import hashlib
    import json

    from generators.fc_world import DATA

    parts = sorted((p.name, p.read_text(encoding="utf-8")) for p in DATA.glob("*.toml"))
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def run(tasks: list[dict], teacher: Any, sandbox: Any, run_id: str, persona: Any = None) -> list[dict]:
    if not tasks:
        return []
    persona = as_persona(persona) if persona is not None else task_persona(tasks[0])
    voice = voice_of(persona)
    results: dict[str, dict] = {}
    works: list[tuple[Work, FC]] = []
    for task in tasks:
        w, c, rejected = build(dict(task), persona, sandbox, voice)
        if rejected is not None:
            results[task["task_id"]] = rejected
        else:
            assert w is not None
            works.append((w, c))
    drive([w for w, _ in works])
    taught = [(w, c) for w, c in works if w.task.get("mode") == "teacher"]
    for w, c in works:
        if w.task.get("mode") != "teacher":
            results[w.task["task_id"]] = record(w, c, persona, run_id)
    if taught:
        from generators import fc_teacher

        for (w, _), rec in zip(taught, fc_teacher.rephrase(taught, teacher, persona, run_id, record), strict=True):
            results[w.task["task_id"]] = rec
    return [results[t["task_id"]] for t in tasks]


def estimate(tasks: list[dict]) -> Any:
    """Teacher load of rephrased tasks: one request per user turn and per final answer (short prompts)."""
    from generators.teachers.cost import Estimate

    n = sum(t.get("mode") == "teacher" for t in tasks)
    return Estimate(3 * n, 700 * 3 * n, 200 * 3 * n)


def check_phrasebook() -> list[str]:
    """Data gaps: library functions without request/answer phrasings (the tests keep this empty)."""
    book = phrasebook()
    gaps = []
    for name in library():
        entry = book.get(name, {})
        if not any(k.startswith("ask") for k in entry):
            gaps.append(f"{name}: no ask")
        if not any(k.startswith("say") for k in entry):
            gaps.append(f"{name}: no say")
    return gaps


__all__ = ["FAMILY", "VERSION", "SHAPES", "plan", "run", "estimate", "quotas"]
