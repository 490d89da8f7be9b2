"""The procedural tool_use scripts for the `python-agent` tool set (a project workspace), one generator per task kind
(see generators.grounded for how a script talks to the real tools). Each asks what its template names, makes the
calls a careful agent would (several equivalent commands per task, drawn per record), and answers only from what the
real outputs say.

Variety by composition: `setup` functions give each workspace its own package modules (composed functions,
generators/tool_use_modules.py), log (name, services, messages), CSV (one of eight kinds, its columns and a metric to
compute) and config sections; the request is [pre] + ask + [post] and the
answer one of several phrasings per voice (generators/prompts/tool_use.toml), so two traces of one kind rarely
share their words (near dedup keeps them).
"""

import random
import re
from datetime import datetime, timedelta

from generators import tool_use_code as code_parts
from generators import tool_use_modules
from generators.grounded import Ctx, Reject, Script, Turn, first_int, gone, need, pytest_summary
from generators.phrasebook import Phrasebook

BOOK = Phrasebook("tool_use.toml")
LEVELS = ("ERROR", "WARNING")


def say(c: Ctx, key: str, /, **fill: object) -> str:
    return BOOK.pick(c, key, **fill)


def answer(c: Ctx, key: str, /, **fill: object) -> str:
    """The final answer: one phrasing of `key` after a short lead (common.answer_lead, often none)."""
    return BOOK.led(c, key, "common.answer_lead", **fill)


def ask(c: Ctx, kind: str, **fill: object) -> str:
    return BOOK.request(c, f"{kind}.ask", **fill)


def lead(c: Ctx, kind: str | None = None, **fill: object) -> str | None:
    """What the assistant says with its first call: often nothing, else a short line (its own kind's, or common)."""
    roll = c.rng.random()
    if roll < 0.75:
        return None
    if kind and BOOK.has(f"{kind}.lead") and roll < 0.88:
        return answer(c, f"{kind}.lead", **fill)
    return answer(c, "common.lead")


# ---------------------------------------------------------------------------------------------------------------
# setups: what makes one workspace unlike the next

def setup_log(rng: random.Random, env: dict, facts: dict) -> None:
    """Replace logs/app.log with a log of its own name and messages; facts count the lines per level."""
    bank = BOOK.data["logbank"]
    files = env["workspace"]["files"]
    del files["logs/app.log"]
    path = f"logs/{rng.choice(bank['names'])}.log"
    t = datetime(2026, rng.randint(1, 11), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59))
    share = rng.choice([0.03, 0.06, 0.1, 0.15])
    lines = []
    for _ in range(rng.randint(20, 90)):
        t += timedelta(seconds=rng.randint(1, 400))
        roll = rng.random()
        level = "ERROR" if roll < share else "WARNING" if roll < share + 0.12 else "DEBUG" if roll < share + 0.2 else "INFO"
        msg = rng.choice(bank[level]).format(svc=rng.choice(bank["services"]), n=rng.randint(2, 9999),
                                             small=rng.randint(1, 4), pct=rng.randint(70, 97), field=rng.choice(bank["fields"]))
        lines.append(f"{t:%Y-%m-%d %H:%M:%S} {level:<7} {msg}")
    files[path] = "\n".join(lines) + "\n"
    facts.update(log=path, log_lines=len(lines), log_counts={lv: sum(f" {lv} " in x for x in lines) for lv in LEVELS})


def _cell(rng: random.Random, kind: str, day: datetime) -> str:
    if kind == "date":
        return f"{day:%Y-%m-%d}"
    name, *args = kind.split(":")
    if name == "pick":
        return rng.choice(args[0].split("|"))
    lo, hi = int(args[0]), int(args[1])
    return str(rng.randint(lo, hi)) if name == "int" else f"{rng.uniform(lo, hi):.2f}"


def setup_csv(rng: random.Random, env: dict, facts: dict) -> None:
    """A CSV of one of the kinds in tool_use.toml, with a name of its own; facts say which columns to group and sum."""
    files = env["workspace"]["files"]
    for old in [p for p in files if p.startswith("data/") and p.endswith(".csv")]:
        del files[old]
    kinds = BOOK.data["csv"]
    kind = rng.choice(sorted(kinds))
    columns = kinds[kind]["columns"]
    path = f"data/{kind}_{rng.choice(['2025', '2026', 'q1', 'q3', 'latest', 'export', 'raw'])}.csv"
    day = datetime(2026, rng.randint(1, 10), 1)
    rows = [",".join(_cell(rng, k, day + timedelta(days=i // 3)) for _, k in columns) for i in range(rng.randint(8, 40))]
    files[path] = ",".join(n for n, _ in columns) + "\n" + "\n".join(rows) + "\n"
    groups = [n for n, k in columns if k.startswith("pick:")]
    values = [n for n, k in columns if k.startswith(("int:", "money:"))]
    facts.update(csv=path, csv_kind=kind, csv_rows=len(rows), csv_groups=groups, csv_values=values,
                 csv_text=files[path])


def setup_config(rng: random.Random, env: dict, facts: dict) -> None:
    """More sections in config/settings.toml; facts list every (section, key, value)."""
    sections = {"cache": ["ttl_s", "max_items"], "mail": ["port_smtp", "retries"], "auth": ["session_ttl", "max_attempts"],
                "queue": ["prefetch", "retries"], "limits": ["rps", "burst"], "storage": ["chunk_kb", "replicas"]}
    files = env["workspace"]["files"]
    text = files["config/settings.toml"]
    for name in rng.sample(sorted(sections), rng.randint(1, 3)):
        text += f"\n[{name}]\n" + "".join(f"{k} = {rng.randint(1, 900)}\n" for k in rng.sample(sections[name], 2))
    files["config/settings.toml"] = text
    entries, section = [], ""
    for line in text.splitlines():
        if m := re.match(r"^\[(\w+)\]$", line):
            section = m.group(1)
        elif m := re.match(r"^(\w+) = (\d+)$", line):
            entries.append((section, m.group(1), int(m.group(2))))
    facts["config"] = entries


def setup_all(rng: random.Random, env: dict, facts: dict) -> None:
    tool_use_modules.setup_modules(rng, env, facts)
    setup_log(rng, env, facts)
    setup_csv(rng, env, facts)
    setup_config(rng, env, facts)


# ---------------------------------------------------------------------------------------------------------------
# scripts

def reads_log(facts: dict) -> list[str]:
    return [facts["log"]]


def s_count_errors(c: Ctx) -> Script:
    log, level = c.facts["log"], c.rng.choice(LEVELS)
    c.user = ask(c, "count_errors", level=level, log=log)
    how = c.rng.randrange(4)
    if how == 0:
        call = ("shell", {"command": f"grep -c ' {level} ' {log}"})
    elif how == 1:
        call = ("shell", {"command": f"awk '$3 == \"{level}\"' {log} | wc -l"})
    else:  # a composed program (generators/tool_use_code.py)
        call = ("execute_python", {"code": code_parts.count_program(c.rng, log, level)[0]})
    out = yield Turn([call], content=lead(c))
    assert out is not None
    n = first_int(out[0], "the count")
    if n != c.facts["log_counts"][level]:
        raise Reject(f"counted {n} {level} lines, the sampler planted {c.facts['log_counts'][level]}")
    if n == 0:
        return answer(c, "count_errors.zero", log=log, level=level)
    return answer(c, "count_errors.some", n=n, log=log, level=level, s="s" if n != 1 else "")


def s_last_error(c: Ctx) -> Script:
    log, level = c.facts["log"], c.rng.choice(LEVELS)
    c.user = ask(c, "last_error", level=level, log=log)
    cmd = c.rng.choice([f"grep ' {level} ' {log} | tail -n 1", f"tac {log} | grep -m 1 ' {level} '"])
    out = yield Turn([("shell", {"command": cmd})], content=lead(c))
    assert out is not None
    line = out[0].strip()
    if line in ("(no output)", "[exit code 1]") or line.startswith("[exit code"):
        if c.facts["log_counts"][level]:
            raise Reject("grep found nothing but lines were planted")
        return answer(c, "last_error.none", log=log, level=level)
    m = need(re.match(rf"(\S+ \S+) {level}\s+(.*)", line), "the log line", line)
    return answer(c, "last_error.found", when=m.group(1), line=line, msg=m.group(2), level=level)


def s_find_function(c: Ctx) -> Script:
    mod = c.rng.choice(sorted(c.facts["modules"]))
    fn = c.rng.choice(c.facts["modules"][mod])
    c.user = ask(c, "find_function", fn=fn)
    pattern = c.rng.choice([rf"def {fn}\(", rf"^def {fn}\b"])
    out = yield Turn([("search_codebase", {"pattern": pattern})], content=lead(c))
    assert out is not None
    m = need(re.search(rf"^(\S+\.py):(\d+): (def {fn}\(.*)$", out[0], re.M), "the definition", out[0])
    path, line = m.group(1), int(m.group(2))
    out = yield Turn([("read_file", {"path": path})])
    assert out is not None
    lines = out[0].splitlines()
    if len(lines) <= line or lines[line - 1].strip() != m.group(3):
        raise Reject("read_file disagrees with search_codebase")
    doc = lines[line].strip().strip('"').strip()
    return answer(c, "find_function.answer", fn=fn, path=path, line=line, sig=m.group(3).rstrip(":"), doc=doc)


def s_run_tests(c: Ctx) -> Script:
    mod = c.rng.choice(sorted(c.facts["modules"]))
    one = c.rng.random() < 0.4
    c.user = ask(c, "run_tests_one" if one else "run_tests", path=f"tests/test_{mod}.py", mod=mod)
    out = yield Turn([("run_tests", {"path": f"tests/test_{mod}.py"} if one else {})], content=lead(c))
    assert out is not None
    passed, failed = pytest_summary(out[0])
    failing = re.findall(r"^FAILED (\S+)", out[0], re.M)
    if failed != len(failing):
        raise Reject("pytest summary and FAILED lines disagree")
    if failed == 0:
        return answer(c, "run_tests.green", passed=passed)
    return answer(c, "run_tests.red", passed=passed, failed=failed, listing="\n".join(f"- `{f}`" for f in failing))


def s_fix_bug(c: Ctx) -> Script:
    mod, fn = c.facts["bug"]
    project = c.facts["project"]
    c.user = ask(c, "fix_bug")
    out = yield Turn([("run_tests", {})], content=lead(c))
    assert out is not None
    _, failed = pytest_summary(out[0])
    m = need(re.search(r"^FAILED (\S+)::(test_\w+)", out[0], re.M), "the failing test", out[0])
    if m.group(2) != f"test_{fn}" or failed != 1:
        raise Reject(f"expected exactly test_{fn} to fail, got {m.group(2)} ({failed} failed)")
    path = f"{project}/{mod}.py"
    out = yield Turn([("read_file", {"path": path})], content=say(c, "fix_bug.reading", test=m.group(2), path=path))
    assert out is not None
    spec = c.facts["functions"][fn]
    if spec["buggy"] not in out[0]:
        raise Reject("planted bug not found in the module text")
    fixed = out[0].replace(spec["buggy"], spec["src"], 1)
    why = tool_use_modules.why(spec)
    thought = c.rng.choice([f"In `{fn}`, {why}.", f"The test expects the documented behaviour; {why}.",
                            f"Compare with the docstring of `{fn}`: {why}.", f"That explains `{m.group(2)}`: {why}."])
    out = yield Turn([("write_file", {"path": path, "content": fixed})], reasoning=thought)
    assert out is not None
    out = yield Turn([("run_tests", {"path": m.group(1)} if c.rng.random() < 0.4 else {})])
    assert out is not None
    passed, failed = pytest_summary(out[0])
    if failed:
        raise Reject(f"the fix left {failed} failing")
    c.facets["steps"] = 4
    return answer(c, "fix_bug.done", path=path, why=why, passed=passed, fn=fn)


def csv_reference(text: str, g: str, v: str, agg: str) -> dict[str, float]:
    """`agg` of column `v` per value of column `g` of the planted CSV, computed apart from the traced program."""
    lines = text.splitlines()
    header = lines[0].split(",")
    by: dict[str, list[float]] = {}
    for line in lines[1:]:
        cells = dict(zip(header, line.split(","), strict=True))
        by.setdefault(cells[g], []).append(float(cells[v]))
    reduce = {"sum": sum, "mean": lambda x: sum(x) / len(x), "max": max, "count": len}[agg]
    return {k: float(reduce(vals)) for k, vals in by.items()}


AGGS = {"sum": ("total {v} per {g}", "sum(vals)"), "mean": ("average {v} per {g}", "round(sum(vals) / len(vals), 2)"),
        "max": ("largest {v} per {g}", "max(vals)"), "count": ("number of rows per {g}", "len(vals)")}


def s_csv_stats(c: Ctx) -> Script:
    path, groups, values = c.facts["csv"], c.facts["csv_groups"], c.facts["csv_values"]
    g, v, agg = c.rng.choice(groups), c.rng.choice(values), c.rng.choice(sorted(AGGS))
    what, expr = AGGS[agg]
    what = what.format(v=v.replace("_", " "), g=g)
    c.user = ask(c, "csv_stats", what=what, path=path)
    code, parts = code_parts.csv_program(c.rng, path, g, v, agg)
    c.facets["program"] = parts["layout"]
    out = yield Turn([("execute_python", {"code": code})], content=lead(c))
    assert out is not None
    rows = re.findall(r"^(\S+) (-?[\d.]+)$", out[0], re.M)
    if not rows or len(rows) != len(out[0].strip().splitlines()):
        raise Reject(f"unexpected script output {out[0][:120]!r}")
    expected = csv_reference(c.facts["csv_text"], g, v, agg)
    if {k for k, _ in rows} != set(expected) or any(abs(float(x) - expected[k]) > 0.011 for k, x in rows):
        raise Reject(f"the program's {agg} of {v} per {g} disagrees with the reference {expected}")
    table = f"| {g} | {agg} |\n|---|---|\n" + "\n".join(f"| {k} | {x} |" for k, x in rows)
    return answer(c, "csv_stats.answer", top=rows[0][0], topv=rows[0][1], what=what, what_cap=what[:1].upper() + what[1:],
               table=table, path=path)


def s_count_lines(c: Ctx) -> Script:
    mod = c.rng.choice(sorted(c.facts["modules"]))
    files = [(c.facts["csv"], c.facts["csv_rows"] + 1), (c.facts["log"], c.facts["log_lines"]),
             (f"{c.facts['project']}/{mod}.py", None), ("README.md", None)]
    # as a follow-up, only a file the conversation's earlier action left in place (safety rm_workspace deletes logs/)
    path, expected = c.rng.choice([(p, n) for p, n in files if not gone(c.facts, p)])
    c.user = ask(c, "count_lines", path=path)
    call = c.rng.choice([("shell", {"command": f"wc -l {path}"}),
                         ("execute_python", {"code": code_parts.lines_program(c.rng, path)[0]})])
    out = yield Turn([call], content=lead(c))
    assert out is not None
    n = first_int(out[0], "the line count")
    if expected is not None and n != expected:
        raise Reject(f"counted {n} lines, expected {expected}")
    extra = f": one header and {n - 1} rows" if path.endswith(".csv") else ""
    return answer(c, "count_lines.answer", n=n, path=path, extra=extra)


def s_config(c: Ctx) -> Script:
    path = "config/settings.toml"
    section, key, value = c.rng.choice(c.facts["config"])
    c.user = ask(c, "config", key=key, section=section, path=path)
    call = c.rng.choice([("read_file", {"path": path}), ("shell", {"command": f"grep -n '^{key} = ' {path}"}),
                         ("search_codebase", {"pattern": f"^{key} = ", "path": "config"})])
    out = yield Turn([call], content=lead(c))
    assert out is not None
    found = [int(x) for x in re.findall(rf"(?:^|:\s?){key} = (\d+)$", out[0], re.M)]
    if value not in found:
        raise Reject("config value disagrees with the sampler")
    return answer(c, "config.answer", key=key, value=value, section=section, path=path)


def _lint_summary(text: str) -> str:
    if "All checks passed!" in text:
        return "lint is clean"
    n = int(need(re.search(r"Found (\d+) errors?", text), "the lint count", text).group(1))
    codes = sorted(set(re.findall(r": ([A-Z]+\d+) ", text)))
    return f"ruff reports {n} issue{'s' if n != 1 else ''} ({', '.join(codes)})"


def _types_summary(text: str) -> str:
    m = need(re.search(r"(\d+) errors?, (\d+) warnings?", text), "the pyright summary", text)
    n = int(m.group(1))
    return "pyright finds no type errors" if n == 0 else f"pyright reports {n} type error{'s' if n != 1 else ''}"


def s_health(c: Ctx) -> Script:
    checks = c.rng.choice([("tests", "lint"), ("tests", "types"), ("lint", "types"), ("tests", "lint", "types")])
    mod = c.rng.choice(sorted(c.facts["modules"])) if c.rng.random() < 0.5 else None
    what = " + ".join({"tests": "tests", "lint": "lint", "types": "type checks"}[x] for x in checks)
    c.user = ask(c, "health", checks=what + (f" for {mod}" if mod else ""))
    src, test = (f"{c.facts['project']}/{mod}.py", f"tests/test_{mod}.py") if mod else ("", "")
    tool = {"tests": ("run_tests", {"path": test} if mod else {}), "lint": ("lint", {"path": src} if mod else {}),
            "types": ("typecheck", {"path": src} if mod else {})}
    out = yield Turn([tool[x] for x in checks], content=say(c, "health.lead") if c.rng.random() < 0.4 else None)
    assert out is not None
    parts = []
    for name, text in zip(checks, out, strict=True):
        if name == "tests":
            passed, failed = pytest_summary(text)
            parts.append(f"{passed} passed, {failed} failed" if failed else f"all {passed} tests pass")
        else:
            parts.append(_lint_summary(text) if name == "lint" else _types_summary(text))
    summary = "; ".join(parts)
    return answer(c, "health.answer", summary=summary, summary_cap=summary[:1].upper() + summary[1:])


def s_add_test(c: Ctx) -> Script:
    mod = c.rng.choice(sorted(c.facts["modules"]))
    fn = c.rng.choice(c.facts["modules"][mod])
    project = c.facts["project"]
    call = c.rng.choice(c.facts["functions"][fn]["calls"])
    c.user = ask(c, "add_test", fn=fn, call=call)
    code = code_parts.probe_program(c.rng, f"{project}.{mod}", fn, call)
    out = yield Turn([("execute_python", {"code": code})], content=say(c, "add_test.observe") if c.rng.random() < 0.6 else None)
    assert out is not None
    value = out[0].strip().splitlines()[-1] if out[0].strip() else ""
    if not value or "Error" in out[0]:
        raise Reject(f"unexpected value {value[:80]!r}")
    name = c.rng.choice([f"test_{fn}_regression", f"test_{fn}_pinned", f"test_{fn}_example"])
    path = f"tests/{name}.py"
    test = code_parts.pin_test(c.rng, f"{project}.{mod}", fn, call, value, name)
    out = yield Turn([("write_file", {"path": path, "content": test})])
    assert out is not None
    out = yield Turn([("run_tests", {"path": path})])
    assert out is not None
    passed, failed = pytest_summary(out[0])
    if (passed, failed) != (1, 0):
        raise Reject(f"new test did not pass cleanly: {passed} passed, {failed} failed")
    return answer(c, "add_test.done", path=path, call=call, value=value)
