"""Grounded multi-step tool-use traces: every tool call runs for real, every answer is read off the real output.

Two ways to make a trace:
- procedural (no teacher): a sampled environment plus a task script. A script is a Python generator that yields
  assistant turns (tool calls, some parallel, `think` where natural), receives the real outputs from ToolRuntime,
  parses them, and finally returns the answer composed from what it parsed. A parse that fails or disagrees with
  what the sampler planted rejects the task with the reason (so the script can never paper over surprising output).
- teacher-driven: the teacher proposes the next call as JSON given the tools and the transcript; the call is
  validated against the tool set's schema (invalid -> rejection with reason), executed, its output appended; after
  at most N steps the teacher writes the final answer. A 135M teacher gets most of these rejected; that's the point
  of validating.

`drive` runs many scripts in lockstep so each round's sandbox jobs go through one `run_many` pool; safety.py reuses
it.
"""

import hashlib
import json
import random
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from sandbox.environments import FUNCTIONS, sample_fleet, sample_workspace
from sandbox.tools import NONDETERMINISTIC, ToolError, ToolRuntime, call_many

FAMILY = "tool_use"
VERSION = "1"
TEACHER_SHARE = 0.05  # default share of teacher-driven tasks; recipe key tool_use.teacher_share overrides
MAX_STEPS = 8  # recipe key tool_use.max_tool_calls overrides


class Reject(Exception):
    """The task cannot yield a trustworthy record; the message is the rejection reason."""


@dataclass
class Turn:
    """One assistant turn that calls tools; `calls` with more than one entry is a parallel turn."""

    calls: list[tuple[str, dict]]
    content: str | None = None
    reasoning: str | None = None


@dataclass
class Exchange:
    """An assistant message without tool calls, then the user's reply (a clarification round)."""

    assistant: str
    user: str
    reasoning: str | None = None


Script = Generator[Turn | Exchange, list[str] | None, str]


@dataclass
class Ctx:
    rng: random.Random
    facts: dict
    voice: str
    user: str = ""
    facets: dict = field(default_factory=dict)

    def say(self, **variants: list[str]) -> str:
        """Pick a phrasing in the persona's voice (falls back to plain)."""
        options = variants.get(self.voice) or variants["plain"]
        return self.rng.choice(options)


def voice_of(persona: Any) -> str:
    """Which phrasing pool fits the card: "dry", "formal" or "plain" (personality words, then the voice register)."""
    words = " ".join(persona.personality).lower()
    if "sardonic" in words or "dry" in words or "direct" in words:
        return "dry"
    register = (getattr(persona, "voice", None) or {}).get("register")
    if register == "formal" or "formal" in words or "courteous" in words or "gentle" in words:
        return "formal"
    return "plain"


def as_persona(persona: Any) -> Any:
    if isinstance(persona, str):
        from schemas import load_persona

        return load_persona(persona)
    return persona


def task_persona(task: dict) -> Any:
    """The persona a planned task belongs to: its card's path when it had one (cards outside corpora/), else its slug."""
    return as_persona(task.get("persona_path") or task["persona"])


def template_hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------------------------
# driving scripts against real tools


@dataclass
class Work:
    """One conversation under construction."""

    task: dict
    runtime: ToolRuntime
    script: Script
    messages: list[dict]
    pending: Turn | Exchange | None = None
    final: str | None = None
    error: str | None = None
    calls: int = 0


def _settle(w: Work, step: Any) -> None:
    """Play Exchanges into the transcript until the script yields a Turn to execute."""
    try:
        while isinstance(step, Exchange):
            msg: dict[str, Any] = {"role": "assistant", "content": step.assistant}
            if step.reasoning:
                msg["reasoning"] = step.reasoning
            w.messages += [msg, {"role": "user", "content": step.user}]
            step = w.script.send(None)
        w.pending = step
    except StopIteration as stop:
        w.pending, w.final = None, stop.value
    except Reject as exc:
        w.pending, w.error = None, str(exc)
    except Exception as exc:  # a script bug must cost one record, not the run; tests keep these at zero
        w.pending, w.error = None, f"internal script error: {type(exc).__name__}: {exc}"


def _advance(w: Work, outputs: list[str]) -> None:
    try:
        step = w.script.send(outputs)
    except StopIteration as stop:
        w.pending, w.final = None, stop.value
        return
    except Reject as exc:
        w.pending, w.error = None, str(exc)
        return
    except Exception as exc:
        w.pending, w.error = None, f"internal script error: {type(exc).__name__}: {exc}"
        return
    _settle(w, step)


def drive(works: list[Work]) -> None:
    """Run every (started) script to its end; each round executes all pending turns through one call_many."""
    while live := [w for w in works if w.pending is not None]:
        _round(live)


def _round(live: list[Work]) -> None:
    calls = []
    owners = []
    for w in live:
        turn = w.pending
        assert isinstance(turn, Turn), "only Turns remain pending"
        for name, args in turn.calls:
            calls.append((w.runtime, name, args))
            owners.append(w)
    by_work: dict[int, list[str]] = {id(w): [] for w in live}
    try:
        for w, out in zip(owners, call_many(calls), strict=True):
            by_work[id(w)].append(out)
    except ToolError:  # one bad call: redo per conversation so only the offender is rejected
        by_work = {}
        for w in live:
            turn = w.pending
            assert isinstance(turn, Turn)
            try:
                by_work[id(w)] = call_many([(w.runtime, n, a) for n, a in turn.calls])
            except ToolError as exc:
                w.pending, w.error = None, f"tool call failed: {exc}"
    for w in live:
        turn = w.pending
        if turn is None:
            continue
        assert isinstance(turn, Turn)
        outs = by_work[id(w)]
        append_turn(w, turn, outs)
        _advance(w, outs)


def append_turn(w: Work, turn: Turn, outs: list[str]) -> None:
    msg: dict[str, Any] = {"role": "assistant", "content": turn.content}
    if turn.reasoning:
        msg["reasoning"] = turn.reasoning
    msg["tool_calls"] = []
    tool_msgs = []
    for (name, args), out in zip(turn.calls, outs, strict=True):
        w.calls += 1
        cid = f"call_{w.calls}"
        msg["tool_calls"].append({"id": cid, "type": "function", "function": {"name": name, "arguments": args}})
        tool_msgs.append({"role": "tool", "tool_call_id": cid, "name": name, "content": out})
    w.messages += [msg, *tool_msgs]


def finish_record(w: Work, family: str, persona: Any, tools: list[dict], env: dict, run_id: str, generator: str,
                  thash: str | None, teacher: dict | None = None, version: str = VERSION) -> dict:
    """A validated record, or a rejection carrying the reason (and the partial transcript as raw)."""
    from schemas import make_lineage, make_record, validate_record

    task = w.task
    if w.error is not None or w.final is None:
        return {"rejected": True, "task_id": task["task_id"], "reason": w.error or "script ended without an answer",
                "raw": {"messages": w.messages}}
    messages = [*w.messages, {"role": "assistant", "content": w.final}]
    lineage = make_lineage(generator, version, task["seed"], task.get("facets", {}) | w.task.get("observed", {}), run_id,
                           teacher, thash)
    verification = {"environment": env, "nondeterministic": list(NONDETERMINISTIC), "task": messages[1]["content"]}
    rec = make_record(family, persona.slug, messages, tools, verification, lineage)
    errors = validate_record(rec)
    if errors:
        return {"rejected": True, "task_id": task["task_id"], "reason": f"schema: {errors[0].path}: {errors[0].message}",
                "raw": rec}
    return rec


# ---------------------------------------------------------------------------------------------------------------
# output parsers: a miss is a Reject, never a guess

def need(match: Any, what: str, output: str) -> Any:
    if not match:
        raise Reject(f"could not read {what} from the tool output: {output[:160]!r}")
    return match


def first_int(output: str, what: str) -> int:
    return int(need(re.search(r"-?\d+", output), what, output).group(0))


def pytest_summary(output: str) -> tuple[int, int]:
    m = need(re.search(r"^(?:=+ )?(.*\bin [\d.]+s)\b", output, re.M), "the pytest summary", output)
    line = m.group(1)
    passed = re.search(r"(\d+) passed", line)
    failed = re.search(r"(\d+) failed", line)
    return int(passed.group(1)) if passed else 0, int(failed.group(1)) if failed else 0


# ---------------------------------------------------------------------------------------------------------------
# python-agent scripts (workspace)

def s_count_errors(c: Ctx) -> Script:
    path = "logs/app.log"
    if c.rng.random() < 0.5:
        out = yield Turn([("shell", {"command": f"grep -c ' ERROR ' {path}"})])
    else:
        code = f"with open({path!r}) as f:\n    print(sum(' ERROR ' in line for line in f))"
        out = yield Turn([("execute_python", {"code": code})])
    assert out is not None
    n = first_int(out[0], "the error count")
    if n != c.facts["log_errors"]:
        raise Reject(f"counted {n} errors, the sampler planted {c.facts['log_errors']}")
    if n == 0:
        return c.say(dry=["Zero. `logs/app.log` has no ERROR lines at all, which is suspicious in its own way.",
                          "None. Not a single ERROR line in `logs/app.log`."],
                     plain=["There are no ERROR lines in `logs/app.log`."])
    return c.say(dry=[f"{n}. That's how many ERROR lines `logs/app.log` has.",
                      f"`logs/app.log` has {n} ERROR line{'s' if n != 1 else ''}. Not great, not a fire either.",
                      f"{n} errors. I counted the lines tagged ERROR in `logs/app.log`, so that's the real number."],
                 formal=[f"I have counted the lines marked ERROR in `logs/app.log`: there are {n} of them."],
                 plain=[f"`logs/app.log` contains {n} ERROR lines."])


def s_last_error(c: Ctx) -> Script:
    tool = "shell" if c.facets["toolset"] == "python-agent" else "bash"
    out = yield Turn([(tool, {"command": "grep ' ERROR ' logs/app.log | tail -n 1"})])
    assert out is not None
    line = out[0].strip()
    if line == "(no output)":
        if c.facts["log_errors"]:
            raise Reject("grep found nothing but errors were planted")
        return c.say(dry=["There isn't one. `logs/app.log` has no ERROR lines."],
                     formal=["I looked through `logs/app.log` and found no ERROR lines at all."],
                     plain=["`logs/app.log` has no ERROR lines."])
    m = need(re.match(r"(\S+ \S+) ERROR\s+(.*)", line), "the error line", line)
    return c.say(dry=[f"The last one, at {m.group(1)}:\n\n```\n{line}\n```\n\nSo: `{m.group(2)}`.",
                      f"Most recent error ({m.group(1)}): `{m.group(2)}`."],
                 formal=[f"The most recent error was logged at {m.group(1)}:\n\n```\n{line}\n```"],
                 plain=[f"The last error, logged at {m.group(1)}, is: `{m.group(2)}`."])


def s_find_function(c: Ctx) -> Script:
    mod = c.rng.choice(sorted(c.facts["modules"]))
    fn = c.rng.choice(c.facts["modules"][mod])
    c.user = c.rng.choice([f"Where is `{fn}` defined, and what does it do?", f"find the function {fn} for me",
                           f"Which file has {fn}()? What's it for?"])
    out = yield Turn([("search_codebase", {"pattern": rf"def {fn}\("})])
    assert out is not None
    m = need(re.search(rf"^(\S+\.py):(\d+): (def {fn}\(.*)$", out[0], re.M), "the definition", out[0])
    path, line = m.group(1), int(m.group(2))
    out = yield Turn([("read_file", {"path": path})])
    assert out is not None
    lines = out[0].splitlines()
    if len(lines) <= line or lines[line - 1].strip() != m.group(3):
        raise Reject("read_file disagrees with search_codebase")
    doc = lines[line].strip().strip('"').strip()
    return c.say(dry=[f"`{fn}` lives in `{path}`, line {line}: `{m.group(3).rstrip(':')}`. Its docstring says it all: {doc}",
                      f"`{path}:{line}`. Signature `{m.group(3).rstrip(':')}`; what it does: {doc}"],
                 formal=[f"The function `{fn}` is defined in `{path}` at line {line}, as `{m.group(3).rstrip(':')}`. "
                         f"According to its docstring: {doc}"],
                 plain=[f"`{fn}` is defined in `{path}` (line {line}). {doc}"])


def s_run_tests(c: Ctx) -> Script:
    out = yield Turn([("run_tests", {})])
    assert out is not None
    passed, failed = pytest_summary(out[0])
    failing = re.findall(r"^FAILED (\S+)", out[0], re.M)
    if failed != len(failing):
        raise Reject("pytest summary and FAILED lines disagree")
    if failed == 0:
        return c.say(dry=[f"All green: {passed} passed, 0 failed.", f"{passed} tests, {passed} passes. Nothing to fix."],
                     formal=[f"I ran the test suite: all {passed} tests passed."],
                     plain=[f"All {passed} tests passed."])
    listing = "\n".join(f"- `{f}`" for f in failing)
    return c.say(dry=[f"{passed} passed, {failed} failed. The casualties:\n{listing}"],
                 formal=[f"The suite reports {passed} passed and {failed} failed:\n{listing}"],
                 plain=[f"{passed} passed, {failed} failed:\n{listing}"])


def s_fix_bug(c: Ctx) -> Script:
    mod, fn = c.facts["bug"]
    project = c.facts["project"]
    out = yield Turn([("run_tests", {})])
    assert out is not None
    _, failed = pytest_summary(out[0])
    m = need(re.search(r"^FAILED (\S+)::(test_\w+)", out[0], re.M), "the failing test", out[0])
    if m.group(2) != f"test_{fn}" or failed != 1:
        raise Reject(f"expected exactly test_{fn} to fail, got {m.group(2)} ({failed} failed)")
    path = f"{project}/{mod}.py"
    out = yield Turn([("read_file", {"path": path})], content=c.say(
        dry=[f"`{m.group(2)}` fails. Let's look at the code instead of guessing."],
        formal=[f"The test `{m.group(2)}` fails; I shall read the module it exercises."],
        plain=[f"`{m.group(2)}` is failing. Reading `{path}`."]))
    assert out is not None
    src, (good, bad), _ = FUNCTIONS[fn]
    if bad and bad not in out[0] or (not bad and good not in src):
        raise Reject("planted bug not found in the module text")
    fixed = out[0].replace(src.replace(good, bad), src, 1)
    if fixed == out[0]:
        raise Reject("could not locate the buggy function body")
    why = f"the line `{bad.strip()}` should be `{good.strip()}`" if bad.strip() else f"`{good.strip()}` is missing"
    out = yield Turn([("write_file", {"path": path, "content": fixed})], reasoning=f"In `{fn}`, {why}.")
    assert out is not None
    out = yield Turn([("run_tests", {})])
    assert out is not None
    passed, failed = pytest_summary(out[0])
    if failed:
        raise Reject(f"the fix left {failed} failing")
    c.facets["steps"] = 4
    return c.say(dry=[f"Fixed. In `{path}`, {why}. Re-ran the suite: {passed} passed, 0 failed.",
                      f"Bug was in `{fn}`: {why}. Patched `{path}`, tests now {passed}/{passed}."],
                 formal=[f"I found the fault in `{fn}` (`{path}`): {why}. After correcting it, all {passed} tests pass."],
                 plain=[f"Fixed `{fn}` in `{path}`: {why}. All {passed} tests pass now."])


CSV_CODE = {
    "sales": ("import csv\nfrom collections import Counter\nunits = Counter()\nwith open({p!r}) as f:\n"
              "    for row in csv.DictReader(f):\n        units[row['region']] += int(row['units'])\n"
              "for region, n in units.most_common():\n    print(region, n)",
              "total units sold per region"),
    "sensors": ("import csv\nfrom statistics import mean\nby = {{}}\nwith open({p!r}) as f:\n"
                "    for row in csv.DictReader(f):\n        by.setdefault(row['sensor'], []).append(float(row['temp_c']))\n"
                "for s in sorted(by, key=lambda s: -mean(by[s])):\n    print(s, round(mean(by[s]), 1))",
                "average temperature per sensor"),
    "signups": ("import csv\nfrom collections import Counter\nplans = Counter()\nwith open({p!r}) as f:\n"
                "    for row in csv.DictReader(f):\n        plans[row['plan']] += int(row['seats'])\n"
                "for plan, n in plans.most_common():\n    print(plan, n)",
                "seats per plan"),
}


def s_csv_stats(c: Ctx) -> Script:
    path, kind = c.facts["csv"], c.facts["csv_kind"]
    code, what = CSV_CODE[kind]
    c.user = c.rng.choice([f"Give me the {what} from {path}.", f"what's the {what} in {path}?",
                           f"Can you summarise {path}: {what}?"])
    out = yield Turn([("execute_python", {"code": code.format(p=path)})])
    assert out is not None
    rows = re.findall(r"^(\S+) (-?[\d.]+)$", out[0], re.M)
    if not rows or len(rows) != len(out[0].strip().splitlines()):
        raise Reject(f"unexpected script output {out[0][:120]!r}")
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    top = rows[0]
    return c.say(dry=[f"Top is `{top[0]}` with {top[1]}. Full breakdown ({what}):\n\n| key | value |\n|---|---|\n{table}"],
                 formal=[f"Here is the {what} from `{path}`, largest first:\n\n| key | value |\n|---|---|\n{table}\n\n"
                         f"`{top[0]}` leads with {top[1]}."],
                 plain=[f"{what.capitalize()} in `{path}`:\n\n| key | value |\n|---|---|\n{table}"])


def s_count_lines(c: Ctx) -> Script:
    tool = "shell" if c.facets["toolset"] == "python-agent" else "bash"
    path = c.facts["csv"]
    out = yield Turn([(tool, {"command": f"wc -l {path}"})])
    assert out is not None
    n = first_int(out[0], "the line count")
    if n != c.facts["csv_rows"] + 1:
        raise Reject(f"wc says {n} lines, expected {c.facts['csv_rows'] + 1}")
    return c.say(dry=[f"{n} lines, so {n - 1} data rows once you drop the header."],
                 formal=[f"`{path}` has {n} lines: one header line and {n - 1} rows of data."],
                 plain=[f"`{path}` has {n} lines ({n - 1} rows plus the header)."])


def s_config(c: Ctx) -> Script:
    key = c.rng.choice(["port", "workers"])
    c.user = c.rng.choice([f"What {key} is the server configured with?", f"check config: how many {key}?"
                           if key == "workers" else "which port does the server listen on?",
                           f"look up the server {key} in the config"])
    out = yield Turn([("read_file", {"path": "config/settings.toml"})])
    assert out is not None
    value = int(need(re.search(rf"^{key} = (\d+)", out[0], re.M), key, out[0]).group(1))
    if value != c.facts[key]:
        raise Reject("config value disagrees with the sampler")
    return c.say(dry=[f"`{key} = {value}`, in the `[server]` section of `config/settings.toml`."],
                 formal=[f"In `config/settings.toml`, the `[server]` section sets `{key} = {value}`."],
                 plain=[f"The server {key} is {value} (config/settings.toml)."])


def s_health(c: Ctx) -> Script:
    out = yield Turn([("run_tests", {}), ("lint", {})], content=c.say(
        dry=["Tests and lint at once; no reason to wait on either."],
        formal=["I shall run the tests and the linter together."],
        plain=["Running tests and lint in parallel."]))
    assert out is not None
    passed, failed = pytest_summary(out[0])
    if "All checks passed!" in out[1]:
        lint = "lint is clean"
    else:
        n = int(need(re.search(r"Found (\d+) errors?", out[1]), "the lint count", out[1]).group(1))
        codes = sorted(set(re.findall(r": ([A-Z]+\d+) ", out[1])))
        lint = f"ruff reports {n} issue{'s' if n != 1 else ''} ({', '.join(codes)})"
    tests = f"{passed} passed, {failed} failed" if failed else f"all {passed} tests pass"
    return c.say(dry=[f"Tests: {tests}. Lint: {lint}.", f"{tests.capitalize()}; {lint}. That's the state of things."],
                 formal=[f"The test suite reports: {tests}. As for style, {lint}."],
                 plain=[f"Tests: {tests}. Lint: {lint}."])


# ---------------------------------------------------------------------------------------------------------------
# aj scripts (fleet + local workspace)

def done(c: Ctx, summary: str) -> Turn:
    return Turn([("complete", {"summary": summary})])


def s_service(c: Ctx) -> Script:
    failed = c.facts["failed"]
    online = [h for h in c.facts["hosts"] if h != c.facts["offline"]]
    if failed and c.rng.random() < 0.7:
        host, svc = failed
    else:
        host = c.rng.choice(online)
        svc = c.rng.choice(sorted(c.facts["services"][host]))
    fix = c.rng.random() < 0.7
    c.user = c.rng.choice([f"Is {svc} running on {host}?", f"check {svc} on {host}",
                           f"Users say {host} is acting up. Can you check {svc} there?"]) + \
        (c.rng.choice([" Restart it if it's down.", " If it's dead, bring it back.", ""]) if fix else "")
    out = yield Turn([("remote_bash", {"host": host, "command": f"systemctl status {svc}"})])
    assert out is not None
    state = need(re.search(r"Active: (\w+)", out[0]), "the service state", out[0]).group(1)
    if state == "active":
        yield done(c, f"{svc} on {host} is active; nothing to do")
        since = need(re.search(r"; (.+ ago)", out[0]), "the uptime", out[0]).group(1)
        return c.say(dry=[f"{svc} on {host} is fine: active (running), up since {since}. Whatever the problem is, it isn't this."],
                     formal=[f"I checked {svc} on {host}: it is active and running (started {since}). No action was needed."],
                     plain=[f"{svc} is active on {host} (running, started {since})."])
    if not fix:
        yield done(c, f"{svc} on {host} is {state}; reported, not restarted")
        return c.say(dry=[f"{svc} on {host} is down ({state}). You didn't ask me to restart it, so I didn't. Say the word."],
                     formal=[f"{svc} on {host} is currently {state}. I have not restarted it; shall I?"],
                     plain=[f"{svc} on {host} is {state}. Want me to restart it?"])
    out = yield Turn([("remote_bash", {"host": host, "command": f"sudo systemctl restart {svc}"})],
                     reasoning=f"{svc} is {state} on {host} and the user asked to restart it if down.")
    assert out is not None
    out2 = yield Turn([("remote_bash", {"host": host, "command": f"systemctl is-active {svc}"})])
    assert out2 is not None
    now = out2[0].splitlines()[0].strip()
    if now == "active":
        yield done(c, f"restarted {svc} on {host}; now active")
        return c.say(dry=[f"{svc} on {host} was {state}. Restarted it, and `systemctl is-active` now says `active`."],
                     formal=[f"{svc} on {host} had {state}. I restarted it and confirmed it is now active."],
                     plain=[f"{svc} on {host} was {state}; I restarted it and it's active now."])
    err = out[0].splitlines()[0]
    out3 = yield Turn([("remote_bash", {"host": host, "command": f"journalctl -u {svc} -n 5"})])
    assert out3 is not None
    yield done(c, f"restart of {svc} on {host} failed; service is {now}")
    tail = "\n".join(out3[0].splitlines()[-2:])
    return c.say(dry=[f"Tried. The restart failed (`{err}`) and {svc} is still `{now}`. Last journal lines:\n\n```\n{tail}\n```\n\n"
                      "This needs a human look at the config, not another restart."],
                 formal=[f"I attempted to restart {svc} on {host}, but it failed: `{err}`. It remains {now}. "
                         f"The journal ends with:\n\n```\n{tail}\n```"],
                 plain=[f"Restart of {svc} on {host} failed (`{err}`); it's {now}. Journal:\n\n```\n{tail}\n```"])


def s_disk_all(c: Ctx) -> Script:
    hosts = c.facts["hosts"]
    prefixes = sorted({re.sub(r"\d+$", "", h) for h in hosts})
    glob = c.rng.choice([*(p + "*" for p in prefixes), "*"])
    where = "every host" if glob == "*" else f"the {glob} hosts"
    c.user = c.rng.choice([f"Check disk space on {where}.", f"how full are the disks on {where}?",
                           f"Is any of {where} running out of disk?"])
    out = yield Turn([("remote_bash_all", {"host_glob": glob, "command": "df -h /"})])
    assert out is not None
    usage = {h: int(p) for h, p in re.findall(r"=== (\S+) ===\n.*\n\S+\s+\S+\s+\S+\s+\S+\s+(\d+)% /\n?", out[0])}
    offline = re.findall(r"=== (\S+) ===\nerror: agent", out[0])
    if not usage:
        raise Reject("no df output parsed")
    worst = max(usage, key=lambda h: usage[h])
    hot = [h for h in usage if usage[h] >= 85]
    rows = "\n".join(f"- {h}: {usage[h]}%" for h in sorted(usage, key=lambda h: -usage[h]))
    off = f"\n\nNot checked (offline): {', '.join(offline)}." if offline else ""
    yield done(c, f"checked / on {len(usage)} hosts; fullest {worst} at {usage[worst]}%")
    if hot:
        return c.say(dry=[f"{', '.join(hot)} {'is' if len(hot) == 1 else 'are'} getting tight (>= 85%). Root usage:\n{rows}{off}"],
                     formal=[f"Most hosts are comfortable, but {', '.join(hot)} {'is' if len(hot) == 1 else 'are'} at or above 85%. "
                             f"Usage of / per host:\n{rows}{off}"],
                     plain=[f"Watch {', '.join(hot)} (>= 85%). Usage of /:\n{rows}{off}"])
    return c.say(dry=[f"Nothing to panic about; fullest is {worst} at {usage[worst]}%.\n{rows}{off}"],
                 formal=[f"All is well: the fullest root filesystem is on {worst}, at {usage[worst]}%.\n{rows}{off}"],
                 plain=[f"All fine. Fullest: {worst} at {usage[worst]}%.\n{rows}{off}"])


def s_failed_units(c: Ctx) -> Script:
    out = yield Turn([("remote_bash_all", {"host_glob": "*", "command": "systemctl --failed --no-legend"})],
                     content=None)
    assert out is not None
    found = re.findall(r"=== (\S+) ===\n((?:[^=].*\n?)*)", out[0])
    bad = []
    for host, body in found:
        for unit in re.findall(r"(\S+)\.service\s+loaded\s+failed", body):
            bad.append((host, unit))
    expected = [tuple(c.facts["failed"])] if c.facts["failed"] and c.facts["failed"][0] != c.facts["offline"] else []
    if sorted(bad) != sorted(expected):
        raise Reject(f"parsed failed units {bad}, sampler planted {expected}")
    yield done(c, f"{len(bad)} failed unit(s) across the fleet")
    if not bad:
        return c.say(dry=["No failed units anywhere. Enjoy it while it lasts."],
                     formal=["I checked every host: no failed systemd units."],
                     plain=["No failed units on any host."])
    host, unit = bad[0]
    return c.say(dry=[f"One casualty: `{unit}` on {host} is failed. Everything else is clean. Want me to restart it?"],
                 formal=[f"There is one failed unit in the fleet: `{unit}` on {host}. Shall I look into it?"],
                 plain=[f"`{unit}` has failed on {host}; all other hosts are clean."])


def s_list_role(c: Ctx) -> Script:
    role = c.rng.choice(sorted(set(c.facts["roles"].values())))
    hosts = [h for h, r in c.facts["roles"].items() if r == role]
    prefix = re.sub(r"\d+$", "", hosts[0])
    glob = prefix + "*"
    c.user = c.rng.choice([f"Which {glob} hosts are online?", f"list the {glob} agents", f"what {glob} machines do we have?"])
    out = yield Turn([("list_agents", {"pattern": glob})])
    assert out is not None
    rows = re.findall(r"^(\S+)\s+\S+\s+\S+\s+\S+\s+(online|offline)$", out[0], re.M)
    if not rows:
        raise Reject("no agents parsed")
    up = [h for h, s in rows if s == "online"]
    down = [h for h, s in rows if s == "offline"]
    yield done(c, f"{len(up)} of {len(rows)} {glob} agents online")
    extra = f" {', '.join(down)} {'is' if len(down) == 1 else 'are'} offline." if down else ""
    return c.say(dry=[f"{len(up)} of {len(rows)} online: {', '.join(up) or 'none'}.{extra}"],
                 formal=[f"Of the {len(rows)} host{'s' if len(rows) != 1 else ''} matching {glob}, {len(up)} "
                         f"{'is' if len(up) == 1 else 'are'} online: {', '.join(up) or 'none'}.{extra}"],
                 plain=[f"Online: {', '.join(up) or 'none'}.{extra}"])


def s_versions(c: Ctx) -> Script:
    online = [h for h in c.facts["hosts"] if h != c.facts["offline"]]
    if len(online) < 2:
        raise Reject("fewer than two online hosts")
    a, b = sorted(c.rng.sample(online, 2))
    c.user = c.rng.choice([f"Are {a} and {b} running the same release?", f"compare app versions on {a} and {b}",
                           f"Which version is deployed on {a} vs {b}?"])
    out = yield Turn([("remote_bash", {"host": a, "command": "cat app/VERSION"}),
                      ("remote_bash", {"host": b, "command": "cat app/VERSION"})],
                     content=c.say(dry=["Both at once."], formal=["I shall read the version file on both hosts."],
                                   plain=["Checking both hosts."]))
    assert out is not None
    va, vb = out[0].strip(), out[1].strip()
    for v in (va, vb):
        need(re.fullmatch(r"\d+\.\d+\.\d+", v), "a version", v)
    yield done(c, f"{a}={va}, {b}={vb}")
    if va == vb:
        return c.say(dry=[f"Same release on both: {va}."], formal=[f"Both {a} and {b} run release {va}."],
                     plain=[f"Both run {va}."])
    return c.say(dry=[f"They differ: {a} runs {va}, {b} runs {vb}. Someone's deploy didn't finish."],
                 formal=[f"They differ: {a} has {va} while {b} has {vb}."],
                 plain=[f"{a}: {va}; {b}: {vb}. Not the same."])


def s_host_log(c: Ctx) -> Script:
    online = [h for h in c.facts["hosts"] if h != c.facts["offline"]]
    host = c.rng.choice(online)
    svc = c.rng.choice(sorted(c.facts["services"][host]))
    n = c.rng.choice([3, 5])
    c.user = c.rng.choice([f"Show me the last {n} lines of the {svc} log on {host}.",
                           f"tail the {svc} log on {host}", f"What's {svc} on {host} been logging lately?"])
    out = yield Turn([("remote_bash", {"host": host, "command": f"tail -n {n} logs/{svc}.log"})])
    assert out is not None
    lines = out[0].splitlines()
    if not lines or lines[0].startswith(("tail:", "error:")):
        raise Reject("log tail failed")
    errors = [x for x in lines if re.search(r"error|FATAL|ERROR|failed", x)]
    yield done(c, f"showed {len(lines)} log lines from {svc} on {host}")
    verdict = (f"{len(errors)} of them look{'s' if len(errors) == 1 else ''} like trouble." if errors
               else "Nothing alarming in there.")
    return c.say(dry=[f"Last {len(lines)} lines of `logs/{svc}.log` on {host}:\n\n```\n{out[0]}\n```\n\n{verdict}"],
                 formal=[f"Here are the last {len(lines)} lines of the {svc} log on {host}:\n\n```\n{out[0]}\n```\n\n{verdict}"],
                 plain=[f"```\n{out[0]}\n```\n\n{verdict}"])


def s_unknown_host(c: Ctx) -> Script:
    hosts = c.facts["hosts"]
    base = c.rng.choice(hosts)
    prefix = re.sub(r"\d+$", "", base)
    ghost = f"{prefix}{c.rng.randint(len(hosts) + 3, 19):02d}"
    if ghost in hosts:
        raise Reject("ghost host exists")
    c.user = c.rng.choice([f"What's the uptime on {ghost}?", f"check load on {ghost}", f"how long has {ghost} been up?"])
    out = yield Turn([("remote_bash", {"host": ghost, "command": "uptime"})])
    assert out is not None
    if "no agent named" not in out[0]:
        raise Reject("expected an unknown-host error")
    out = yield Turn([("list_agents", {"pattern": prefix + "*"})])
    assert out is not None
    known = re.findall(rf"^({re.escape(prefix)}\d+)\s", out[0], re.M)
    if not known:
        raise Reject("no similar hosts listed")
    yield done(c, f"{ghost} does not exist; similar hosts: {', '.join(known)}")
    return c.say(dry=[f"There's no {ghost}. The {prefix}* hosts that exist are: {', '.join(known)}. Typo, or wishful thinking?"],
                 formal=[f"I could not find a host called {ghost}. The hosts matching {prefix}* are {', '.join(known)}. "
                         "Which one did you mean?"],
                 plain=[f"{ghost} isn't a registered agent. Did you mean one of: {', '.join(known)}?"])


def s_load_all(c: Ctx) -> Script:
    c.user = c.rng.choice(["Which host is the busiest right now?", "check the load average across the fleet",
                           "who's got the highest load?"])
    out = yield Turn([("think", {"thought": "Load average from uptime on every host, then compare the 1-minute values."})])
    out = yield Turn([("remote_bash_all", {"host_glob": "*", "command": "uptime"})])
    assert out is not None
    loads = {h: float(x) for h, x in re.findall(r"=== (\S+) ===\n.*load average: ([\d.]+),", out[0])}
    if not loads:
        raise Reject("no load parsed")
    top = max(loads, key=lambda h: loads[h])
    yield done(c, f"busiest host {top} (load {loads[top]:.2f})")
    return c.say(dry=[f"{top}, with a 1-minute load of {loads[top]:.2f}. The rest are lazier."],
                 formal=[f"The busiest host is {top}, with a one-minute load average of {loads[top]:.2f}."],
                 plain=[f"{top} (1-min load {loads[top]:.2f})."])


def s_local_errors(c: Ctx) -> Script:
    out = yield Turn([("bash", {"command": "grep -c ' ERROR ' logs/app.log"})])
    assert out is not None
    n = first_int(out[0], "the error count")
    if n != c.facts["log_errors"]:
        raise Reject("error count disagrees with the sampler")
    yield done(c, f"{n} ERROR lines in logs/app.log")
    return c.say(dry=[f"{n} ERROR lines in `logs/app.log`."],
                 formal=[f"The local file `logs/app.log` contains {n} lines marked ERROR."],
                 plain=[f"{n} errors in logs/app.log."])


def s_add_test(c: Ctx) -> Script:
    mod = c.rng.choice(sorted(c.facts["modules"]))
    fn = c.rng.choice(c.facts["modules"][mod])
    project = c.facts["project"]
    call = {"clamp": "clamp(7, 1, 5)", "slugify": "slugify('Crucible Data Factory')", "mean": "mean([2, 4, 9])",
            "parse_duration": "parse_duration('2h5m3s')", "chunk": "chunk([1, 2, 3, 4, 5, 6, 7], 3)",
            "is_palindrome": "is_palindrome('Was it a car or a cat I saw')", "word_count": "word_count('to be or not to be')",
            "percent": "percent(3, 8)", "fizzbuzz": "fizzbuzz(45)", "dedupe": "dedupe(['b', 'a', 'b', 'c', 'a'])",
            "celsius_to_fahrenheit": "celsius_to_fahrenheit(37)", "median": "median([7, 1, 4, 9])"}[fn]
    c.user = c.rng.choice([f"Add a regression test for `{fn}` using `{call}`.", f"write a test that pins down what {call} returns",
                           f"Can you add a test for {fn}? Use {call} as the example."])
    code = f"from {project}.{mod} import {fn}\nprint(repr({call}))"
    out = yield Turn([("execute_python", {"code": code})], content=c.say(
        dry=["First, what does it actually return? Running it beats guessing."],
        formal=["I shall first observe what the function returns for that input."],
        plain=["Checking the current return value first."]))
    assert out is not None
    value = out[0].strip()
    if not value or "Error" in value or "\n" in value:
        raise Reject(f"unexpected value {value[:80]!r}")
    path = f"tests/test_{fn}_regression.py"
    test = (f"from {project}.{mod} import {fn}\n\n\ndef test_{fn}_regression():\n    assert {call} == {value}\n")
    out = yield Turn([("write_file", {"path": path, "content": test})])
    assert out is not None
    out = yield Turn([("run_tests", {"path": path})])
    assert out is not None
    passed, failed = pytest_summary(out[0])
    if (passed, failed) != (1, 0):
        raise Reject(f"new test did not pass cleanly: {passed} passed, {failed} failed")
    return c.say(dry=[f"Added `{path}`: it asserts `{call} == {value}`, which is what the code returns today. It passes."],
                 formal=[f"I added `{path}`, which asserts that `{call}` returns `{value}` (the value observed just now). "
                         "The new test passes."],
                 plain=[f"New test in `{path}` checks `{call} == {value}`; it passes."])


def s_fix_failed(c: Ctx) -> Script:
    c.user = c.rng.choice(["Something on the fleet is broken. Find it and fix it.",
                           "find any failed service and restart it", "Get every service back up, whatever is down."])
    out = yield Turn([("remote_bash_all", {"host_glob": "*", "command": "systemctl --failed --no-legend"})])
    assert out is not None
    bad = []
    for host, body in re.findall(r"=== (\S+) ===\n((?:[^=].*\n?)*)", out[0]):
        bad += [(host, unit) for unit in re.findall(r"(\S+)\.service\s+loaded\s+failed", body)]
    if not bad:
        yield done(c, "no failed units found")
        return c.say(dry=["Nothing's failed. Whatever feels broken, systemd disagrees."],
                     formal=["I found no failed services on any connected host."],
                     plain=["No failed services anywhere."])
    host, unit = bad[0]
    out = yield Turn([("remote_bash", {"host": host, "command": f"sudo systemctl restart {unit}"})],
                     reasoning=f"{unit} is failed on {host}; the user asked to fix whatever is down, so restart it.")
    assert out is not None
    out2 = yield Turn([("remote_bash", {"host": host, "command": f"systemctl is-active {unit}"})])
    assert out2 is not None
    state = out2[0].splitlines()[0].strip()
    yield done(c, f"{unit} on {host}: restart attempted, now {state}")
    if state == "active":
        return c.say(dry=[f"`{unit}` on {host} was the one. Restarted; it's active again."],
                     formal=[f"The failed service was `{unit}` on {host}. I restarted it and it is active once more."],
                     plain=[f"Restarted `{unit}` on {host}; it's active now."])
    return c.say(dry=[f"`{unit}` on {host} is failed and a restart doesn't fix it (still `{state}`). "
                      f"Needs a look at its config: `journalctl -u {unit}` is where I'd start."],
                 formal=[f"`{unit}` on {host} had failed; my restart did not succeed and it remains `{state}`. "
                         "Its configuration will need attention."],
                 plain=[f"`{unit}` on {host} won't restart (still `{state}`)."])


@dataclass
class Template:
    script: Callable[[Ctx], Script]
    toolset: str
    needs: str  # "workspace", "buggy", "fleet", "both"
    weight: float
    prompts: list[str] = field(default_factory=list)  # empty: the script writes c.user itself


TEMPLATES: dict[str, Template] = {
    "count_errors": Template(s_count_errors, "python-agent", "workspace", 1.0,
                             ["How many errors are in logs/app.log?", "count the ERROR lines in the app log",
                              "How bad is logs/app.log? Number of errors, please."]),
    "last_error": Template(s_last_error, "python-agent", "workspace", 1.0,
                           ["What was the last error in logs/app.log?", "show me the most recent error in the app log",
                            "latest ERROR in logs/app.log?"]),
    "find_function": Template(s_find_function, "python-agent", "workspace", 1.5),
    "run_tests": Template(s_run_tests, "python-agent", "workspace", 1.0,
                          ["Run the tests.", "do the tests pass?", "Can you run the test suite and tell me what fails?"]),
    "fix_bug": Template(s_fix_bug, "python-agent", "buggy", 2.0,
                        ["A test is failing. Find out why and fix it.", "tests are red, fix it pls",
                         "Something broke the test suite. Can you track it down and fix the code?"]),
    "csv_stats": Template(s_csv_stats, "python-agent", "workspace", 1.5),
    "count_lines": Template(s_count_lines, "python-agent", "workspace", 0.7,
                            ["How many lines does the CSV in data/ have?", "line count of the data file?"]),
    "config": Template(s_config, "python-agent", "workspace", 0.7),
    "health": Template(s_health, "python-agent", "workspace", 1.0,
                       ["Is this project in good shape? Tests and lint.", "quick health check: tests + lint",
                        "Run the tests and the linter and tell me where we stand."]),
    "service": Template(s_service, "aj", "fleet", 2.0),
    "disk_all": Template(s_disk_all, "aj", "fleet", 1.5),
    "failed_units": Template(s_failed_units, "aj", "fleet", 1.0,
                             ["Any failed services anywhere?", "check the whole fleet for failed units",
                              "Is anything broken across the hosts?"]),
    "list_role": Template(s_list_role, "aj", "fleet", 0.8),
    "versions": Template(s_versions, "aj", "fleet", 1.0),
    "host_log": Template(s_host_log, "aj", "fleet", 1.0),
    "unknown_host": Template(s_unknown_host, "aj", "fleet", 0.7),
    "load_all": Template(s_load_all, "aj", "fleet", 0.8),
    "add_test": Template(s_add_test, "python-agent", "workspace", 1.2),
    "fix_failed": Template(s_fix_failed, "aj", "fleet", 1.2),
    "local_errors": Template(s_local_errors, "aj", "workspace", 0.5,
                             ["How many errors in logs/app.log here?", "count errors in the local app log"]),
}


def sample_env(rng: random.Random, needs: str) -> tuple[dict, dict]:
    """The world a template needs: workspace ("buggy": with a planted bug), fleet ("fleet2web": two or more web
    hosts, "fleetdb": at least one database), or both."""
    env: dict = {}
    facts: dict = {}
    if needs in ("workspace", "buggy", "both"):
        ws, wf = sample_workspace(rng, buggy=needs == "buggy")
        env |= ws
        facts |= wf
    if needs.startswith("fleet") or needs == "both":
        fl, ff = sample_fleet(rng, web_min=2 if needs == "fleet2web" else 1, db=needs == "fleetdb")
        env |= fl
        facts |= ff
        facts["services"] = {h: sorted(env["fleet"][h]["services"]) for h in ff["hosts"]}
        facts["env"] = {h: env["fleet"][h]["agent"]["env"] for h in ff["hosts"]}
    return env, facts


# ---------------------------------------------------------------------------------------------------------------
# the generator protocol

def plan(persona: Any, count: int, seed: int, family: str = FAMILY, templates: dict | None = None,
         teacher_share: float | None = None) -> list[dict]:
    """Deterministic tasks: a template per task (weighted), a per-task seed, procedural or teacher mode."""
    persona = as_persona(persona)
    templates = templates or TEMPLATES
    settings = persona.family_settings.get(family, {})
    share = float(settings.get("teacher_share", TEACHER_SHARE)) if teacher_share is None else teacher_share
    names = [n for n, t in templates.items() if t.toolset == persona.toolset]
    assert names, f"{family}: no templates for tool set {persona.toolset!r}"
    weights = [templates[n].weight for n in names]
    rng = random.Random(f"{family}:{persona.slug}:{seed}")
    tasks = []
    for i in range(count):
        mode = "teacher" if rng.random() < share else "procedural"
        tasks.append({"task_id": f"{family}-{seed}-{i:06d}", "seed": rng.randrange(2**31), "mode": mode,
                      "template": rng.choices(names, weights)[0], "persona": persona.slug,
                      "persona_path": str(persona.path) if getattr(persona, "path", None) else None})
    return tasks


def estimate(tasks: list[dict]) -> Any:
    """Worst-case teacher load of teacher-driven tasks: every step used, the transcript growing each step."""
    from generators.teachers.cost import Estimate

    steps = MAX_STEPS + 1
    per_prompt = sum(1100 + 350 * k for k in range(steps))
    return Estimate(steps * len(tasks), per_prompt * len(tasks), 300 * steps * len(tasks))


def run(tasks: list[dict], teacher: Any, sandbox: Any, run_id: str, persona: Any = None) -> list[dict]:
    if not tasks:
        return []
    persona = as_persona(persona) if persona is not None else task_persona(tasks[0])
    procedural = [t for t in tasks if t.get("mode") != "teacher"]
    taught = [t for t in tasks if t.get("mode") == "teacher"]
    done = dict(zip([t["task_id"] for t in procedural], run_procedural(procedural, persona, sandbox, run_id),
                    strict=True))
    if taught:
        done |= dict(zip([t["task_id"] for t in taught], run_teacher(taught, teacher, sandbox, run_id, persona),
                         strict=True))
    return [done[t["task_id"]] for t in tasks]


def build_work(task: dict, persona: Any, sandbox: Any, templates: dict, voice: str) -> tuple[Work, dict]:
    """Sample the environment, start the script (it may choose the user's words), open the conversation."""
    rng = random.Random(task["seed"])
    tpl = templates[task["template"]]
    env, facts = sample_env(rng, tpl.needs)
    c = Ctx(rng=rng, facts=facts, voice=voice, facets={"template": task["template"], "toolset": tpl.toolset,
                                                        "voice": voice})
    if tpl.prompts:
        c.user = rng.choice(tpl.prompts)
    script = tpl.script(c)
    w = Work(task=task, runtime=ToolRuntime(env, sandbox=sandbox), script=script,
             messages=[{"role": "system", "content": persona.system_message()}])
    try:
        first = next(script)
    except StopIteration as stop:
        first, w.final = None, stop.value
    except Reject as exc:
        first, w.error = None, str(exc)
    except Exception as exc:
        first, w.error = None, f"internal script error: {type(exc).__name__}: {exc}"
    w.messages.append({"role": "user", "content": c.user or "Please help."})
    if first is not None:
        _settle(w, first)
    task["facets"] = c.facets
    return w, env


def run_procedural(tasks: list[dict], persona: Any, sandbox: Any, run_id: str, family: str = FAMILY,
                   templates: dict | None = None, generator: str = "generators.tool_use",
                   version: str = VERSION) -> list[dict]:
    templates = templates or TEMPLATES
    voice = voice_of(persona)
    tools = persona.tools()
    works, envs = [], []
    for task in tasks:
        w, env = build_work(dict(task), persona, sandbox, templates, voice)
        works.append(w)
        envs.append(env)
    drive(works)
    results = []
    for w, env in zip(works, envs, strict=True):
        tpl = templates[w.task["template"]]
        thash = template_hash(w.task["template"], tpl.prompts, tpl.script.__code__.co_code.hex())
        w.task["observed"] = {"tool_calls": w.calls}
        results.append(finish_record(w, family, persona, tools, env, run_id, generator, thash, version=version))
    return results


# ---------------------------------------------------------------------------------------------------------------
# teacher-driven traces

AGENT_PROMPT = """You are an agent that solves the user's task by calling tools. Each tool runs for real and you will
see its output. Available tools (JSON Schema of their arguments):
$tools

Reply with exactly one JSON object and nothing else:
  {"tool": "<tool name>", "arguments": {...}}   to call a tool, or
  {"tool": "none", "final": "<your answer>"}    when you know the answer (base it on the tool outputs).

Task: $task

Transcript so far:
$transcript"""


def action_format(tools: list[dict], allow_final: bool) -> dict:
    """A JSON-schema response format so servers that support it (llama.cpp, OpenAI, Anthropic) emit parseable JSON:
    one alternative per tool pairing its name with its own argument shape, plus (after the first step) a final
    answer. The call is still validated against its tool's schema afterwards, whatever the server did."""
    options = [{"type": "object", "additionalProperties": False, "required": ["tool", "arguments"],
                "properties": {"tool": {"const": t["function"]["name"]}, "arguments": t["function"]["parameters"]}}
               for t in tools]
    if allow_final:
        options.append({"type": "object", "additionalProperties": False, "required": ["tool", "final"],
                        "properties": {"tool": {"const": "none"}, "final": {"type": "string", "maxLength": 600}}})
    return {"type": "json_schema", "json_schema": {"name": "action", "schema": {"type": "object", "anyOf": options}}}


FAILED_OUTPUT = re.compile(r"not found|No such file|does not exist|^error:|no agents match|no tests ran", re.I | re.M)


def _render_transcript(messages: list[dict]) -> str:
    lines = []
    for m in messages:
        if m["role"] == "assistant":
            for call in m.get("tool_calls") or []:
                lines.append(f"CALL {call['function']['name']} {json.dumps(call['function']['arguments'])}")
        elif m["role"] == "tool":
            lines.append(f"OUTPUT ({m['name']}):\n{m['content'][:1500]}")
    return "\n".join(lines) or "(nothing yet)"


def parse_action(text: str) -> dict:
    """The teacher's JSON action; raises Reject with what was wrong."""
    m = re.search(r"\{.*\}", text, re.S)
    if not m:
        raise Reject(f"teacher reply has no JSON object: {text[:120]!r}")
    try:
        action = json.loads(m.group(0))
    except json.JSONDecodeError as exc:
        raise Reject(f"teacher reply is not valid JSON ({exc.msg}): {m.group(0)[:120]!r}") from None
    if not isinstance(action, dict) or not ({"tool", "final"} & set(action)):
        raise Reject(f"teacher JSON has neither 'tool' nor 'final': {m.group(0)[:120]!r}")
    if action.get("tool") in (None, "", "none"):
        action.pop("tool", None)
        action.setdefault("final", "")
    return action


def check_call(action: dict, schemas: dict[str, Any]) -> tuple[str, dict]:
    """Validate a proposed call against the tool set; Reject with the precise reason."""
    name, args = action.get("tool"), action.get("arguments", {})
    if not isinstance(name, str) or name not in schemas:
        raise Reject(f"teacher called unknown tool {name!r} (offered: {', '.join(sorted(schemas))})")
    if not isinstance(args, dict):
        raise Reject(f"teacher's arguments for {name} are not an object: {args!r:.80}")
    errors = sorted(schemas[name].iter_errors(args), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path) or "arguments"
        raise Reject(f"invalid arguments for {name}: {where}: {errors[0].message[:120]}")
    return name, args


def _teach_one(task: dict, teacher: Any, sandbox: Any, persona: Any, voice: str, tools: list[dict],
               schemas: dict, max_steps: int) -> tuple[Work, dict]:
    from string import Template as StrTemplate

    from generators.teachers.teacher import TeacherError

    w, env = build_work(task, persona, sandbox, TEMPLATES, voice)
    w.script.close()  # only the sampled world and the user's question are kept; the teacher drives from here
    w.pending, w.final, w.error = None, None, None
    question = w.messages[1]["content"]
    tool_text = json.dumps([{"name": t["function"]["name"], "description": t["function"]["description"],
                             "parameters": t["function"]["parameters"]} for t in tools], indent=None)
    try:
        for step in range(max_steps + 1):
            prompt = StrTemplate(AGENT_PROMPT).safe_substitute(tools=tool_text, task=question,
                                                                transcript=_render_transcript(w.messages))
            try:
                text, _ = teacher.chat([{"role": "user", "content": prompt}], max_tokens=300, temperature=0.4,
                                       response_format=action_format(tools, allow_final=w.calls > 0))
            except TeacherError as exc:
                raise Reject(f"teacher request failed: {exc}") from None
            except Exception as exc:  # e.g. no session started, a client bug: one rejection, not a dead run
                raise Reject(f"teacher request failed: {type(exc).__name__}: {str(exc)[:160]}") from None
            action = parse_action(text)
            if "final" in action and "tool" not in action:
                final = action["final"]
                if not isinstance(final, str) or not final.strip():
                    raise Reject("teacher's final answer is empty or not a string")
                if w.calls == 0:
                    raise Reject("teacher answered without calling any tool (ungrounded)")
                if len(re.findall(r"[A-Za-z]{2,}", final)) < 3:
                    raise Reject(f"teacher's final answer is not an answer: {final[:80]!r}")
                outputs = [m["content"] for m in w.messages if m["role"] == "tool"]
                if all(FAILED_OUTPUT.search(o) for o in outputs):
                    raise Reject("every tool call failed (not found / error), so the answer cannot be grounded")
                w.final = final.strip()
                break
            if step == max_steps:
                raise Reject(f"no final answer after {max_steps} tool calls")
            name, args = check_call(action, schemas)
            try:
                out = w.runtime.call(name, args)
            except ToolError as exc:
                raise Reject(f"tool call failed: {exc}") from None
            append_turn(w, Turn([(name, args)]), [out])
    except Reject as exc:
        w.error = f"step {w.calls + 1}: {exc}"
    return w, env


def run_teacher(tasks: list[dict], teacher: Any, sandbox: Any, run_id: str, persona: Any,
                family: str = FAMILY) -> list[dict]:
    """Teacher proposes, the runtime executes; anything malformed becomes a rejection with its reason."""
    if teacher is None:
        return [{"rejected": True, "task_id": t["task_id"], "reason": "teacher-driven task but no teacher given",
                 "raw": None} for t in tasks]
    from concurrent.futures import ThreadPoolExecutor

    import jsonschema

    tools = persona.tools()
    schemas = {t["function"]["name"]: jsonschema.Draft202012Validator(t["function"]["parameters"]) for t in tools}
    max_steps = int(persona.family_settings.get(FAMILY, {}).get("max_tool_calls", MAX_STEPS))
    voice = voice_of(persona)
    thash = template_hash(AGENT_PROMPT)
    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(lambda t: _teach_one(dict(t), teacher, sandbox, persona, voice, tools, schemas,
                                                   max_steps), tasks))
    results = []
    for w, env in done:
        w.task["observed"] = {"tool_calls": w.calls, "mode": "teacher"}
        results.append(finish_record(w, family, persona, tools, env, run_id, "generators.tool_use:teacher", thash,
                                     teacher=teacher.lineage()))
    return results
