"""The machinery of grounded traces, shared by tool_use and safety: scripts that yield assistant turns, real tool
execution between them, and the record that results.

A script is a Python generator that yields assistant turns (tool calls, some parallel, `think` where natural),
receives the real outputs from ToolRuntime, parses them, and finally returns the answer composed from what it
parsed. A parse that fails or disagrees with what the sampler planted rejects the task with the reason (so a script
can never paper over surprising output). `drive` runs many scripts in lockstep so each round's sandbox jobs go
through one `run_many` pool.
"""

import hashlib
import json
import random
import re
import tomllib
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.environments import sample_fleet, sample_workspace
from sandbox.tools import NONDETERMINISTIC, Runtime, ToolError, ToolRuntime, call_many, steady


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
    runtime: Runtime  # ToolRuntime, or sandbox.functions.FunctionRuntime for function_calling
    script: Script
    messages: list[dict]
    pending: Turn | Exchange | None = None
    final: str | None = None
    error: str | None = None
    calls: int = 0
    normalized: dict[str, int] = field(default_factory=dict)  # placeholders put into tool outputs (sandbox.tools.steady)


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
        content, replaced = steady(out)  # the script parsed the real output; the record keeps the steady one
        for placeholder, n in replaced.items():
            w.normalized[placeholder] = w.normalized.get(placeholder, 0) + n
        tool_msgs.append({"role": "tool", "tool_call_id": cid, "name": name, "content": content})
    w.messages += [msg, *tool_msgs]


def finish_record(w: Work, family: str, persona: Any, tools: list[dict], env: dict, run_id: str, generator: str,
                  thash: str | None, version: str, teacher: dict | None = None) -> dict:
    """A validated record, or a rejection carrying the reason (and the partial transcript as raw)."""
    from schemas import make_lineage, make_record, validate_record

    task = w.task
    if w.error is not None or w.final is None:
        return {"rejected": True, "task_id": task["task_id"], "reason": w.error or "script ended without an answer",
                "raw": {"messages": w.messages}}
    messages = [*w.messages, {"role": "assistant", "content": w.final}]
    lineage = make_lineage(generator, version, task["seed"], task.get("facets", {}) | w.task.get("observed", {}), run_id,
                           teacher, thash)
    # `normalized`: which volatile parts of the real outputs (timings, dates, pids, temp paths) the tool messages hold
    # as placeholders, and how many: what a replay must replace too before it compares
    verification = {"environment": env, "nondeterministic": list(NONDETERMINISTIC), "task": messages[1]["content"],
                    "normalized": dict(sorted(w.normalized.items()))}
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



def done(c: Ctx, summary: str) -> Turn:
    return Turn([("complete", {"summary": summary})])


def first_line(out: list[str] | None) -> str:
    """The first line of the first call's output (a state, as `systemctl is-active` prints it)."""
    assert out is not None
    return out[0].splitlines()[0].strip()


def last_line(out: list[str] | None) -> str:
    """The last line of the first call's output (the state a `... ; systemctl is-active` command ends with)."""
    assert out is not None
    return out[0].strip().splitlines()[-1]


def restart_and_check(host: str, unit: str,
                      reasoning: str) -> Generator[Turn | Exchange, list[str] | None, tuple[str, str]]:
    """Restart a unit on a fleet host, then ask `systemctl is-active`: returns what the restart printed and the state
    is-active answers."""
    restarted = yield Turn([("remote_bash", {"host": host, "command": f"sudo systemctl restart {unit}"})],
                           reasoning=reasoning)
    assert restarted is not None
    state = yield Turn([("remote_bash", {"host": host, "command": f"systemctl is-active {unit}"})])
    return restarted[0], first_line(state)



@dataclass
class Template:
    script: Callable[[Ctx], Script]
    toolset: str
    needs: str  # "workspace", "buggy", "fleet", "both"
    weight: float
    prompts: list[str] = field(default_factory=list)  # empty: the script writes c.user itself
    setup: Callable[[random.Random, dict, dict], None] | None = None  # plants scenario state into (env, facts)
    reads: Callable[[dict], list[str]] | None = None  # workspace paths the script needs (facts -> paths)


def remove(facts: dict, *paths: str) -> None:
    """Record that a confirmed action deleted `paths` (files or folders): follow-ups must not ask about them."""
    facts.setdefault("removed", []).extend(p.rstrip("/") for p in paths)


def gone(facts: dict, path: str) -> bool:
    """Did an earlier action in this conversation delete `path` (or a folder it sits in)?"""
    return any(path == p or path.startswith(p + "/") for p in facts.get("removed", ()))


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
        extra = {"fleetapi": ("api",), "fleetctl": ("controller",)}.get(needs, ())
        fl, ff = sample_fleet(rng, web_min=2 if needs == "fleet2web" else 1, db=needs == "fleetdb", extra_roles=extra)
        env |= fl
        facts |= ff
        facts["services"] = {h: sorted(env["fleet"][h]["services"]) for h in ff["hosts"]}
        facts["env"] = {h: env["fleet"][h]["agent"]["env"] for h in ff["hosts"]}
    return env, facts


# ---------------------------------------------------------------------------------------------------------------
# follow-up turns: the user reacts to an answer and asks the next thing, in the same environment

FOLLOWUP_SHARE = 0.3  # share of procedural tasks with 1-3 follow-up requests; recipe key <family>.followup_share
FOLLOWUPS = tomllib.loads((Path(__file__).resolve().parent / "prompts" / "followups.toml").read_text(encoding="utf-8"))


def compatible(first: Template, other: Template) -> bool:
    """Can `other` run in the environment sampled for `first` (same tools, a world it needs, and any setup it needs
    already applied: `first`'s own, or one its setup declares in `provides`)?"""
    provided = {first.setup, *getattr(first.setup, "provides", ())} if first.setup is not None else set()
    if other.toolset != first.toolset or (other.setup is not None and other.setup not in provided):
        return False
    if other.needs == first.needs:
        return True
    workspace = ("workspace", "buggy")
    return (other.needs == "workspace" and first.needs in workspace) or (
        other.needs == "fleet" and first.needs.startswith("fleet"))


def plan_followups(rng: random.Random, first: str, templates: dict[str, Template], pool: dict[str, Template]
                   ) -> list[str]:
    options = sorted(n for n, t in pool.items() if n != first and compatible(templates[first], t))
    return rng.sample(options, min(len(options), rng.choice([1, 1, 2, 3]))) if options else []


def resume(sub: Script, step: Turn | Exchange) -> Generator[Turn | Exchange, list[str] | None, str]:
    """Drive a sub-script whose first step was already taken (its words had to be known before yielding it)."""
    while True:
        out = yield step
        try:
            step = sub.send(out)
        except StopIteration as stop:
            return stop.value


MAX_USER_TURNS = 4


def with_followups(c: Ctx, script: Script, steps: list[tuple[str, Template]]) -> Script:
    """The script, then each follow-up template's script after a user turn that reacts and asks again, up to
    MAX_USER_TURNS in all (a script's own clarification rounds count). A trace that ends on a question to the user
    (safety's `ask` outcome) gets no follow-up: the user must answer that first."""
    turns = 1
    step: Turn | Exchange | None = None
    try:
        step = next(script)
        while True:
            turns += isinstance(step, Exchange)
            step = script.send((yield step))
    except StopIteration as stop:
        answer = stop.value
    done = []
    for name, tpl in steps:
        if c.facets.get("outcome") == "ask" or turns >= MAX_USER_TURNS:
            break
        if tpl.reads is not None and any(gone(c.facts, p) for p in tpl.reads(c.facts)):
            continue  # what it would read was deleted by the confirmed action
        c.user = c.rng.choice(tpl.prompts) if tpl.prompts else ""
        sub = tpl.script(c)
        step: Turn | Exchange | None = None
        try:
            step = next(sub)
        except StopIteration as stop:
            value = stop.value
        parts = [c.rng.choice(FOLLOWUPS["reactions"]), c.rng.choice(FOLLOWUPS["bridges"]), c.user]
        text = " ".join(p for p in parts if p)
        yield Exchange(answer, text)
        turns += 1
        answer = (yield from resume(sub, step)) if step is not None else value
        done.append(name)
    if done:
        c.facets["followups"] = done
    return answer


# ---------------------------------------------------------------------------------------------------------------
# planning and running templates

def plan_tasks(persona: Any, count: int, seed: int, family: str, templates: dict[str, Template],
               share: float, followup_pool: dict[str, Template] | None = None) -> list[dict]:
    """Deterministic tasks: a template per task (weighted), a per-task seed, teacher mode for `share` of them, and
    for a share of the procedural ones (recipe `followup_share`) 1-3 follow-up templates from `followup_pool`,
    drawn from their own random stream so the other tasks stay as they were."""
    persona = as_persona(persona)
    names = [n for n, t in templates.items() if t.toolset == persona.toolset]
    assert names, f"{family}: no templates for tool set {persona.toolset!r}"
    weights = [templates[n].weight for n in names]
    rng = random.Random(f"{family}:{persona.slug}:{seed}")
    follow_rng = random.Random(f"{family}:{persona.slug}:{seed}:followups")
    follow_share = float(persona.family_settings.get(family, {}).get("followup_share", FOLLOWUP_SHARE))
    tasks = []
    for i in range(count):
        mode = "teacher" if rng.random() < share else "procedural"
        task = {"task_id": f"{family}-{seed}-{i:06d}", "seed": rng.randrange(2**31), "mode": mode,
                "template": rng.choices(names, weights)[0], "persona": persona.slug,
                "persona_path": str(persona.path) if getattr(persona, "path", None) else None}
        wants = followup_pool and mode == "procedural" and follow_rng.random() < follow_share
        if wants and (steps := plan_followups(follow_rng, task["template"], templates, followup_pool or {})):
            task["followups"] = steps
        tasks.append(task)
    return tasks


def build_work(task: dict, persona: Any, sandbox: Any, templates: dict, voice: str,
               followup_pool: dict[str, Template] | None = None) -> tuple[Work, dict]:
    """Sample the environment, start the script (it may choose the user's words), open the conversation."""
    rng = random.Random(task["seed"])
    tpl = templates[task["template"]]
    env, facts = sample_env(rng, tpl.needs)
    if tpl.setup is not None:
        tpl.setup(rng, env, facts)
    c = Ctx(rng=rng, facts=facts, voice=voice, facets={"template": task["template"], "toolset": tpl.toolset,
                                                        "voice": voice})
    if tpl.prompts:
        c.user = rng.choice(tpl.prompts)
    script = tpl.script(c)
    if task.get("followups"):
        pool = followup_pool or templates
        script = with_followups(c, script, [(n, pool[n]) for n in task["followups"]])
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


def run_procedural(tasks: list[dict], persona: Any, sandbox: Any, run_id: str, family: str,
                   templates: dict[str, Template], generator: str, version: str,
                   followup_pool: dict[str, Template] | None = None) -> list[dict]:
    voice = voice_of(persona)
    tools = persona.tools()
    works, envs = [], []
    for task in tasks:
        w, env = build_work(dict(task), persona, sandbox, templates, voice, followup_pool)
        works.append(w)
        envs.append(env)
    drive(works)
    results = []
    for w, env in zip(works, envs, strict=True):
        tpl = templates[w.task["template"]]
        thash = template_hash(w.task["template"], tpl.prompts, tpl.script.__code__.co_code.hex())
        w.task["observed"] = {"tool_calls": w.calls, "user_turns": sum(m["role"] == "user" for m in w.messages)}
        results.append(finish_record(w, family, persona, tools, env, run_id, generator, thash, version))
    return results


