"""The two shapes of a textbook record: a plain document, or a tutoring conversation that really runs its tests.

- document (Phi-1 style): the user's ask, then the lesson as one text: explanation, module, exercises, tests. It
  claims no execution; `verification` carries the module and tests and the filter's execution stage runs them.
- tutoring: the assistant explains and writes the module and the tests with the persona's own tools (`write_file`
  for python-agent, `bash` heredocs for aj), then calls `run_tests` (or `bash` running pytest); the real sandbox
  output follows as a tool message, and the closing reply states only what that output shows (`{passed}` and
  `{summary}` are parsed from it). A run that does not pass rejects the lesson with pytest's own last line. Tool
  messages keep volatile parts as placeholders (sandbox.tools.steady), counted in `verification.normalized`, so
  the execution filter's replay compares like with like.

The words live in generators/prompts/textbook_tutor.toml.
"""

import random
import re
from typing import Any

from generators.grounded import Ctx, Reject, Script, Turn, Work, _settle, drive, voice_of
from generators.phrasebook import Phrasebook
from sandbox.tools import NONDETERMINISTIC, ToolRuntime

MODULE_PATH, TESTS_PATH = "lesson.py", "test_lesson.py"
BOOK = Phrasebook("textbook_tutor.toml")
PYTEST_BASH = f"python3 -m pytest -q -p no:cacheprovider {TESTS_PATH}"
# pytest -q's last line when everything passed: "6 passed in 0.02s" (nothing failed, errored or was skipped)
ALL_PASSED = re.compile(r"^(\d+) passed in \S+$")


def render_document(lesson_text: str, module: str, tests: str, exercises: list[str]) -> str:
    """The lesson as one document: no chat claims, no execution result (the filter runs the tests)."""
    ex = "\n".join(f"{i}. {e}" for i, e in enumerate(exercises, 1))
    parts = [lesson_text.strip(), f"```python\n# {MODULE_PATH}\n{module.rstrip()}\n```"]
    if ex:
        parts.append(f"Exercises:\n{ex}")
    parts.append(f"Tests:\n\n```python\n# {TESTS_PATH}\n{tests.rstrip()}\n```")
    return "\n\n".join(parts)


def _write_call(toolset: str, path: str, content: str) -> tuple[str, dict]:
    if toolset == "python-agent":
        return "write_file", {"path": path, "content": content}
    if re.search(r"^EOF$", content, re.MULTILINE):
        raise Reject(f"{path} contains a line 'EOF', which would end the heredoc")
    return "bash", {"command": f"cat > {path} <<'EOF'\n{content.rstrip(chr(10))}\nEOF"}


def _run_call(toolset: str) -> tuple[str, dict]:
    if toolset == "python-agent":
        return "run_tests", {"path": TESTS_PATH}
    return "bash", {"command": PYTEST_BASH}


def lesson_script(c: Ctx, draft: dict, toolset: str, outcome: dict) -> Script:
    """Explain and write the files, run the tests, then say what the run showed; `outcome` receives the counts."""
    files = [(MODULE_PATH, draft["module"]), (TESTS_PATH, draft["tests"])]
    write = BOOK.pick(c, "lesson.write", module=MODULE_PATH, tests=TESTS_PATH)
    outs = yield Turn(calls=[_write_call(toolset, p, body) for p, body in files],
                      content=f"{draft['explanation'].strip()}\n\n{write}")
    for (path, body), out in zip(files, outs or [], strict=True):
        expected = f"wrote {len(body.encode())} bytes to {path}" if toolset == "python-agent" else "(no output)"
        if out != expected:
            raise Reject(f"writing {path} failed: {out[:160]!r}")
    outs = yield Turn(calls=[_run_call(toolset)], content=BOOK.led(c, "lesson.run", "lesson.run_lead", tests=TESTS_PATH))
    out = (outs or [""])[0]
    lines = [ln.strip() for ln in out.strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    m = ALL_PASSED.match(last)
    if not m or int(m.group(1)) == 0:
        raise Reject(f"tests failed in the sandbox: {last[:200]}")
    passed = int(m.group(1))
    outcome.update(passed=passed, failed=0, exit_code=0)
    summary = f"{passed} passed"
    reply = BOOK.led(c, "lesson.passed", "lesson.passed_lead", passed=passed, summary=summary)
    if draft["exercises"]:
        ex = "\n".join(f"{i}. {e}" for i, e in enumerate(draft["exercises"], 1))
        reply += f"\n\n{BOOK.pick(c, 'lesson.exercises')}\n{ex}"
    return reply


def run_tutoring(items: list[tuple[dict, dict]], persona: Any, sandbox: Any) -> list[dict]:
    """Run each (task, draft) as a tutoring conversation; per item, in order: {messages, tools, verification} or
    {"rejected": reason, "raw": ...}."""
    voice = voice_of(persona)
    toolset = persona.toolset
    offered = {t["function"]["name"]: t for t in persona.tools()}
    works: list[tuple[Work, dict]] = []
    for task, draft in items:
        c = Ctx(rng=random.Random(f"tutor:{task['seed']}"), facts={}, voice=voice)
        outcome: dict = {}
        script = lesson_script(c, draft, toolset, outcome)
        w = Work(task=task, runtime=ToolRuntime({"workspace": {"files": {}}}, sandbox=sandbox), script=script,
                 messages=[{"role": "user", "content": task["ask"].format(topic=draft["topic"])}])
        try:
            _settle(w, next(script))
        except Reject as exc:
            w.error = str(exc)
        works.append((w, outcome))
    drive([w for w, _ in works])
    out = []
    for (w, outcome), (_, draft) in zip(works, items, strict=True):
        if w.error is not None or w.final is None:
            out.append({"rejected": w.error or "script ended without an answer",
                        "raw": {"module": draft["module"], "tests": draft["tests"], "messages": w.messages}})
            continue
        used = sorted({c["function"]["name"] for m in w.messages for c in m.get("tool_calls") or []})
        verification = {"module_path": MODULE_PATH, "module": draft["module"], "tests_path": TESTS_PATH,
                        "tests": draft["tests"], "outcome": dict(outcome),
                        "environment": {"workspace": {"files": {}}}, "nondeterministic": list(NONDETERMINISTIC),
                        "normalized": dict(sorted(w.normalized.items()))}
        out.append({"messages": [*w.messages, {"role": "assistant", "content": w.final}],
                    "tools": [offered[name] for name in used], "verification": verification})
    return out
