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

import json
import re
from pathlib import Path
from typing import Any

from generators import tool_use_scripts as s
from generators import tool_use_workspace as ws
from generators.grounded import (
    Reject,
    Template,
    Turn,
    Work,
    append_turn,
    as_persona,
    build_work,
    finish_record,
    plan_tasks,
    run_procedural,
    task_persona,
    template_hash,
    voice_of,
)
from sandbox.tools import ToolError

FAMILY = "tool_use"
VERSION = "8"  # 2: follow-up user turns on a share of records; 3: python-agent traces composed per record;
# 4: same conversations, new lineage.prompt_template_hash (the fleet scripts share grounded.restart_and_check);
# 5: composed Python (generators/tool_use_code.py: csv_stats, count, line count, probe and pinned test) checked
# against a reference; wider leads and an answer lead (prompts/tool_use.toml); 6: pinned tests compare True/False/None
# with `is` (ruff E712 rejected them), no bare "{n} lines." answer (quality: too short); 7: the workspace's package
# modules composed per record (generators/tool_use_modules.py: fix_bug, add_test, find_function ... read them);
# follow-ups skip files an earlier confirmed action deleted; 8: no body iterates a set (its printed dict's order
# changed with the sandbox's hash seed: 6 of 5,875 records failed re-execution at count=20000)
TEACHER_SHARE = 0.05  # default share of teacher-driven tasks; recipe key tool_use.teacher_share overrides
MAX_STEPS = 8  # recipe key tool_use.max_tool_calls overrides
PROMPTS = Path(__file__).resolve().parent / "prompts"


TEMPLATES: dict[str, Template] = {
    "count_errors": Template(ws.s_count_errors, "python-agent", "workspace", 1.0, setup=ws.setup_all, reads=ws.reads_log),
    "last_error": Template(ws.s_last_error, "python-agent", "workspace", 1.0, setup=ws.setup_all, reads=ws.reads_log),
    "find_function": Template(ws.s_find_function, "python-agent", "workspace", 1.5, setup=ws.setup_all),
    "run_tests": Template(ws.s_run_tests, "python-agent", "workspace", 1.0, setup=ws.setup_all),
    "fix_bug": Template(ws.s_fix_bug, "python-agent", "buggy", 2.0, setup=ws.setup_all),
    "csv_stats": Template(ws.s_csv_stats, "python-agent", "workspace", 1.5, setup=ws.setup_all),
    "count_lines": Template(ws.s_count_lines, "python-agent", "workspace", 0.7, setup=ws.setup_all),
    "config": Template(ws.s_config, "python-agent", "workspace", 0.7, setup=ws.setup_all),
    "health": Template(ws.s_health, "python-agent", "workspace", 1.0, setup=ws.setup_all),
    "add_test": Template(ws.s_add_test, "python-agent", "workspace", 1.2, setup=ws.setup_all),
    "service": Template(s.s_service, "aj", "fleet", 2.0),
    "disk_all": Template(s.s_disk_all, "aj", "fleet", 1.5),
    "failed_units": Template(s.s_failed_units, "aj", "fleet", 1.0,
                             ["Any failed services anywhere?", "check the whole fleet for failed units",
                              "Is anything broken across the hosts?"]),
    "list_role": Template(s.s_list_role, "aj", "fleet", 0.8),
    "versions": Template(s.s_versions, "aj", "fleet", 1.0),
    "host_log": Template(s.s_host_log, "aj", "fleet", 1.0),
    "unknown_host": Template(s.s_unknown_host, "aj", "fleet", 0.7),
    "load_all": Template(s.s_load_all, "aj", "fleet", 0.8),
    "fix_failed": Template(s.s_fix_failed, "aj", "fleet", 1.2),
    "local_errors": Template(s.s_local_errors, "aj", "workspace", 0.5,
                             ["How many errors in logs/app.log here?", "count errors in the local app log"]),
}



# ---------------------------------------------------------------------------------------------------------------
# the generator protocol

def plan(persona: Any, count: int, seed: int, teacher_share: float | None = None) -> list[dict]:
    """Deterministic tasks: a template per task (weighted), a per-task seed, procedural or teacher mode."""
    persona = as_persona(persona)
    share = persona.family_settings.get(FAMILY, {}).get("teacher_share", TEACHER_SHARE)
    return plan_tasks(persona, count, seed, FAMILY, TEMPLATES, float(share if teacher_share is None else teacher_share),
                      TEMPLATES)


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
    done = dict(zip([t["task_id"] for t in procedural], run_procedural(procedural, persona, sandbox, run_id, FAMILY,
                                                                        TEMPLATES, "generators.tool_use", VERSION),
                    strict=True))
    if taught:
        done |= dict(zip([t["task_id"] for t in taught], run_teacher(taught, teacher, sandbox, run_id, persona),
                         strict=True))
    return [done[t["task_id"]] for t in tasks]


# ---------------------------------------------------------------------------------------------------------------
# teacher-driven traces

AGENT_PROMPT = (PROMPTS / "tool_use_agent.txt").read_text(encoding="utf-8").rstrip("\n")
# The instructions and the tool schemas (the same for every step of every task with these tools) go first, as the
# system turn, so providers can cache them: Anthropic's cache_control breakpoint sits on the system prompt and
# OpenAI caches a request's longest repeated prefix. The task and the growing transcript follow as the user turn.
AGENT_SYSTEM, _, _rest = AGENT_PROMPT.partition("Task: $task")
AGENT_TURN = "Task: $task" + _rest
AGENT_SYSTEM = AGENT_SYSTEM.rstrip("\n")
assert _rest and "$tools" in AGENT_SYSTEM, "prompts/tool_use_agent.txt: the tools must come before 'Task: $task'"


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
            system = StrTemplate(AGENT_SYSTEM).safe_substitute(tools=tool_text)
            prompt = StrTemplate(AGENT_TURN).safe_substitute(task=question, transcript=_render_transcript(w.messages))
            try:
                text, _ = teacher.chat([{"role": "system", "content": system}, {"role": "user", "content": prompt}],
                                       max_tokens=300, temperature=0.4,
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
        results.append(finish_record(w, family, persona, tools, env, run_id, "generators.tool_use:teacher", thash, VERSION,
                                     teacher=teacher.lineage()))
    return results
