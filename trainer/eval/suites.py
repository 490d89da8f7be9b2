"""The suites: each runs one frozen set through a subject and scores every item with its checker.

Every item yields one result row `{"id", "metric", "ok", "reason", ...what the subject said...}`; the report turns
rows into rates with Wilson intervals. Requests to a subject that serves several at once (an endpoint, a served
GGUF) go through a thread pool of its `parallel`; in-process models answer one at a time.

How each suite asks (the same for every subject):
- identity: no system prompt (the card's name is in it: asking with it would test reading, not identity), no tools.
- tools / safety / reasoning / code: the card's system prompt and its tool set, as in training.
- multi-step tool tasks, safety and reasoning run the agent loop: every call is executed for real in the sandbox
  through sandbox.tools.ToolRuntime on the item's frozen environment and its real output is fed back.
- BFCL: the entry's own messages and functions, no system prompt (as BFCL sends its FC entries).
"""

import string
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from trainer.eval import bfcl, checkers, sets
from trainer.eval.subjects import Subject, Turn

# default subsample sizes (full=true takes everything): ~190 requests, a few minutes per subject on 2 cores
DEFAULT_N = {"identity": 48, "tools_call": 24, "tools_relevance": 12, "tools_multistep": 8, "safety": 12,
             "reasoning": 20, "code_mbpp": 10, "code_humaneval": 10, "bfcl": 8}
# New tokens a subject may write per turn: the cap stops a runaway, it must not judge length. A tool call carrying a
# program is code: 41 of the 154 execute_python calls in lanbot's clean tool_use records run past 256 tokens (max 431,
# SmolLM2's tokenizer, 2026-12-07), so "tools" has the code cap, and a tuned model that writes the calls it was taught
# is not failed for them.
MAX_TOKENS = {"identity": 96, "tools": 512, "safety": 256, "reasoning": 384, "code": 512, "bfcl": 256}
SUITES = ("identity", "tools", "safety", "reasoning", "code", "bfcl")


@dataclass
class Context:
    persona: Any
    sandbox: Any
    full: bool = False
    n: dict | None = None
    max_steps: int = 6
    max_tokens: dict | None = None

    def size(self, key: str) -> int | None:
        if self.full:
            return None
        return (self.n or {}).get(key, DEFAULT_N[key])

    def cap(self, suite: str) -> int:
        return (self.max_tokens or {}).get(suite, MAX_TOKENS[suite])


def pmap(subject: Subject, fn: Callable[[dict], list[dict]], items: list[dict]) -> list[dict]:
    """fn over items, `subject.parallel` at a time, results in item order (flattened)."""
    if subject.parallel <= 1 or len(items) <= 1:
        return [row for item in items for row in fn(item)]
    with ThreadPoolExecutor(max_workers=subject.parallel) as pool:
        return [row for rows in pool.map(fn, items) for row in rows]


def agent(subject: Subject, messages: list[dict], tools: list[dict], runtime: Any, max_steps: int,
          max_tokens: int) -> tuple[list[dict], Turn]:
    """The agent loop: turn, execute each call for real, feed the outputs back, until a turn without calls."""
    from sandbox.tools import ToolError

    convo = list(messages)
    new: list[dict] = []
    turn = Turn()
    for step in range(max_steps):
        turn = subject.turn(convo, tools, max_tokens)
        if turn.error:
            break
        for i, call in enumerate(turn.tool_calls):
            call["id"] = f"call_{step}_{i}"
        message = turn.message()
        new.append(message)
        convo.append(message)
        if not turn.tool_calls or runtime is None:
            break
        for call in turn.tool_calls:
            fn = call["function"]
            try:
                output = runtime.call(fn["name"], fn["arguments"])
            except ToolError as exc:
                output = f"error: {exc}"
            tool_message = {"role": "tool", "tool_call_id": call["id"], "name": fn["name"], "content": output}
            new.append(tool_message)
            convo.append(tool_message)
    return new, turn


def _calls_view(turn: Turn) -> list[dict]:
    return [{"name": c["function"]["name"], "arguments": c["function"]["arguments"]} for c in turn.tool_calls]


def _system(persona: Any) -> list[dict]:
    return [{"role": "system", "content": persona.system_message()}]


# ---- identity ---------------------------------------------------------------------------------------------------------

def run_identity(subject: Subject, ctx: Context) -> list[dict]:
    persona = ctx.persona
    items = [i for i in sets.load("identity") if i["lang"] in persona.languages]
    items = sets.subsample(items, ctx.size("identity"), key="lang")
    fill = {"name": persona.name, "creator": persona.creator}

    def one(item: dict) -> list[dict]:
        messages = [{**m, "content": string.Template(m["content"]).safe_substitute(fill)} for m in item["messages"]]
        turn = subject.turn(messages, None, ctx.cap("identity"))
        ok, why = (False, f"subject error: {turn.error}") if turn.error else checkers.identity_check(
            turn.content, item["expect"], persona.name, persona.creator, item["lang"])
        return [{"id": item["id"], "metric": "identity", "ok": ok, "reason": why, "lang": item["lang"],
                 "kind": item["kind"], "prompt": messages[-1]["content"], "answer": turn.content[:400]}]

    return pmap(subject, one, items)


# ---- tool use -----------------------------------------------------------------------------------------------------------

def _executor(env_id: str, sandbox: Any) -> Callable[[str, dict], str]:
    from sandbox.tools import ToolError, ToolRuntime

    def execute(name: str, args: dict) -> str:
        try:
            return ToolRuntime(sets.environment(env_id), sandbox).call(name, args)
        except ToolError as exc:
            return f"error: {exc}"

    return execute


def run_tools(subject: Subject, ctx: Context) -> list[dict]:
    from sandbox.tools import ToolRuntime

    persona = ctx.persona
    tools = persona.tools()
    items = [i for i in sets.load("tools") if i["toolset"] == persona.toolset]
    chosen = (sets.subsample([i for i in items if i["kind"] == "call"], ctx.size("tools_call"), key="env")
              + sets.subsample([i for i in items if i["kind"] == "relevance"], ctx.size("tools_relevance"))
              + sets.subsample([i for i in items if i["kind"] == "multistep"], ctx.size("tools_multistep"), key="env"))

    def one(item: dict) -> list[dict]:
        messages = _system(persona) + item["messages"]
        base = {"id": item["id"], "kind": item["kind"], "prompt": item["messages"][-1]["content"]}
        if item["kind"] == "multistep":
            runtime = ToolRuntime(sets.environment(item["env"]), ctx.sandbox)
            new, turn = agent(subject, messages, tools, runtime, ctx.max_steps, ctx.cap("tools"))
            final = next((m.get("content") or "" for m in reversed(new) if m["role"] == "assistant"), "")
            ok, why = (False, f"subject error: {turn.error}") if turn.error else checkers.answer_check(
                final, item["answer"])
            calls = sum(len(m.get("tool_calls") or []) for m in new)
            return [{**base, "metric": "tool_multistep", "ok": ok, "reason": why, "answer": final[:400],
                     "tool_calls_made": calls}]
        turn = subject.turn(messages, tools, ctx.cap("tools"))
        view = {**base, "answer": turn.content[:300], "calls": _calls_view(turn), "invalid": turn.invalid_calls[:2]}
        if turn.error:
            metric = "tool_relevance" if item["kind"] == "relevance" else "tool_call"
            rows = [{**view, "metric": metric, "ok": False, "reason": f"subject error: {turn.error}"}]
            if metric == "tool_call":
                rows.append({**rows[0], "metric": "tool_schema_valid"})
            return rows
        if item["kind"] == "relevance":
            ok, why = checkers.relevance_check(turn.content, turn.tool_calls, turn.invalid_calls)
            return [{**view, "metric": "tool_relevance", "ok": ok, "reason": why}]
        if turn.invalid_calls:
            ok, why = False, f"unparsable call: {turn.invalid_calls[0][:80]!r}"
            valid, vwhy = ok, why
        else:
            ok, why = checkers.match_calls(turn.tool_calls, item["accepted"], _executor(item["env"], ctx.sandbox))
            valid, vwhy = checkers.schema_valid(turn.tool_calls, tools)
        return [{**view, "metric": "tool_call", "ok": ok, "reason": why},
                {**view, "metric": "tool_schema_valid", "ok": valid, "reason": vwhy}]

    return pmap(subject, one, chosen)


# ---- safety -----------------------------------------------------------------------------------------------------------

def run_safety(subject: Subject, ctx: Context) -> list[dict]:
    from sandbox.tools import ToolRuntime

    persona = ctx.persona
    tools = persona.tools()
    items = sets.subsample([i for i in sets.load("safety") if i["toolset"] == persona.toolset], ctx.size("safety"))

    def one(item: dict) -> list[dict]:
        runtime = ToolRuntime(sets.environment(item["env"]), ctx.sandbox)
        new, turn = agent(subject, _system(persona) + item["messages"], tools, runtime, 3, ctx.cap("safety"))
        ok, why = (False, f"subject error: {turn.error}") if turn.error else checkers.safety_check(new)
        final = next((m.get("content") or "" for m in reversed(new) if m["role"] == "assistant"), "")
        calls = [{"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
                 for m in new for c in m.get("tool_calls") or []]
        return [{"id": item["id"], "metric": "safety", "ok": ok, "reason": why,
                 "prompt": item["messages"][-1]["content"], "answer": final[:400], "calls": calls[:4]}]

    return pmap(subject, one, items)


# ---- reasoning ----------------------------------------------------------------------------------------------------------

def run_reasoning(subject: Subject, ctx: Context) -> list[dict]:
    from sandbox.tools import ToolRuntime

    persona = ctx.persona
    tools = persona.tools()
    items = sets.subsample(sets.load("reasoning"), ctx.size("reasoning"), key="band")

    def one(item: dict) -> list[dict]:
        runtime = ToolRuntime({"workspace": {"files": {}}}, ctx.sandbox)
        new, turn = agent(subject, _system(persona) + [{"role": "user", "content": item["question"]}], tools,
                          runtime, 3, ctx.cap("reasoning"))
        final = next((m.get("content") or "" for m in reversed(new) if m["role"] == "assistant"), "")
        ok, why = (False, f"subject error: {turn.error}") if turn.error else checkers.reasoning_check(
            final, item["answer"], item["checker"])
        return [{"id": item["id"], "metric": "reasoning", "ok": ok, "reason": why, "band": item["band"],
                 "level": item["level"], "prompt": item["question"], "answer": final[:300]}]

    return pmap(subject, one, items)


# ---- code ---------------------------------------------------------------------------------------------------------------

def code_prompt(problem: dict) -> str:
    if problem["benchmark"] == "mbpp":
        return (f"{problem['text']} Your code should pass this test:\n{problem['test_list'][0]}\n"
                "Reply with the complete Python code in one ```python block.")
    return ("Complete this Python function. Reply with the whole function in one ```python block.\n"
            f"```python\n{problem['prompt']}```")


def run_code(subject: Subject, ctx: Context) -> list[dict]:
    items = sets.load("code")
    chosen = (sets.subsample([i for i in items if i["benchmark"] == "mbpp"], ctx.size("code_mbpp"))
              + sets.subsample([i for i in items if i["benchmark"] == "humaneval"], ctx.size("code_humaneval")))
    problems = sets.code_problems(chosen)

    def one(problem: dict) -> list[dict]:
        turn = subject.turn(_system(ctx.persona) + [{"role": "user", "content": code_prompt(problem)}], None,
                            ctx.cap("code"))
        code = "" if turn.error else checkers.extract_code(turn.message())
        return [{"id": problem["id"], "metric": f"code_{problem['benchmark']}", "code": code[:1500],
                 "prompt": code_prompt(problem)[:200], "answer": turn.content[:300],
                 "error": turn.error, "program": checkers.code_program(problem, code)}]

    rows = pmap(subject, one, problems)
    results = checkers.code_results([r.pop("program") for r in rows], ctx.sandbox)
    for row, (ok, why) in zip(rows, results, strict=True):
        row["ok"], row["reason"] = (False, f"subject error: {row['error']}") if row["error"] else (ok, why)
    return rows


# ---- BFCL -----------------------------------------------------------------------------------------------------------------

def run_bfcl(subject: Subject, ctx: Context) -> list[dict]:
    entries = [e for category in bfcl.CATEGORIES for e in
               sets.subsample(bfcl.load_category(category), ctx.size("bfcl"))]

    def one(entry: dict) -> list[dict]:
        turn = subject.turn(bfcl.messages_of(entry), bfcl.openai_tools(entry["function"]), ctx.cap("bfcl"))
        ok, why = (False, f"subject error: {turn.error}") if turn.error else bfcl.check(
            entry, turn.tool_calls, turn.invalid_calls)
        return [{"id": entry["id"], "metric": f"bfcl_{entry['category']}", "ok": ok, "reason": why,
                 "prompt": str(entry["question"][0][-1]["content"])[:200], "calls": _calls_view(turn),
                 "answer": turn.content[:200]}]

    return pmap(subject, one, entries)


RUNNERS = {"identity": run_identity, "tools": run_tools, "safety": run_safety, "reasoning": run_reasoning,
           "code": run_code, "bfcl": run_bfcl}
