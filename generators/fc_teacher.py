"""Teacher-rephrased function_calling records: the teacher rewrites the words, the planner's calls stay real.

A planned conversation is built and executed exactly as in the procedural lane (every call ran in the sandbox).
The teacher then rewrites each user turn and each assistant answer that carries no tool call. A rewrite must keep
every literal of the original (numbers, `code`, "quotes", paths and names the calls used): the calls' arguments
come from the user's words and the answers from the tool outputs, so a rewrite that drops or changes one would
make the record claim something that did not happen. Such a rewrite rejects the record, with the literal named.
"""

import re
import string
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

from generators.fc_world import DATA
from generators.grounded import Reject
from schemas.record import strings_in

_LITERAL = re.compile(r"`[^`]+`|\"[^\"]+\"|-?\d+(?:[.,:]\d+)*|[\w.+-]+@[\w.-]+|[\w-]+/[\w./-]+")


@cache
def prompts() -> dict[str, str]:
    return tomllib.loads((DATA / "teacher.toml").read_text(encoding="utf-8"))


def literals(text: str) -> list[str]:
    """What a rewrite must keep verbatim: numbers, quoted and code spans, e-mail addresses and paths."""
    return sorted(set(_LITERAL.findall(text)))


def argument_words(messages: list[dict]) -> list[str]:
    """Every string and number the conversation's calls pass (a user rewrite must keep those it mentions)."""
    return [v for m in messages for call in m.get("tool_calls") or [] for v in strings_in(call["function"]["arguments"])
            if len(v) > 1]


def rewrite(teacher: Any, kind: str, text: str, persona: Any, keep: list[str] | None = None) -> str:
    from generators.teachers.teacher import TeacherError

    prompt = string.Template(prompts()[kind]).safe_substitute(text=text, name=persona.name,
                                                              personality="; ".join(persona.personality[:3]))
    try:
        reply = teacher.complete([{"role": "user", "content": prompt}], max_tokens=400, temperature=0.7)
    except TeacherError as exc:
        raise Reject(f"teacher request failed: {exc}") from None
    except Exception as exc:  # no session, a client bug: one rejection, not a dead run
        raise Reject(f"teacher request failed: {type(exc).__name__}: {str(exc)[:160]}") from None
    new = (reply.text or "").strip().strip('"').strip()
    if not new:
        raise Reject(f"teacher returned an empty {kind} rewrite")
    lost = [x for x in literals(text) + [k for k in keep or [] if k in text] if x not in new]
    if lost:
        raise Reject(f"teacher's {kind} rewrite dropped {lost[0]!r} (of {len(lost)} literal(s))")
    return new


def _one(item: tuple[Any, Any], teacher: Any, persona: Any, run_id: str, record: Callable[..., dict]) -> dict:
    w, c = item
    if w.error is None and w.final is not None:
        try:
            messages = [dict(m) for m in w.messages]
            keep = argument_words(messages)
            for m in messages[1:]:
                if m["role"] == "user":
                    m["content"] = rewrite(teacher, "user", m["content"], persona, keep)
                elif m["role"] == "assistant" and not m.get("tool_calls") and m.get("content"):
                    m["content"] = rewrite(teacher, "answer", m["content"], persona)
            w.final = rewrite(teacher, "answer", w.final, persona)
            w.messages = messages
            c.facets["rephrased"] = True
        except Reject as exc:
            w.error = str(exc)
    return record(w, c, persona, run_id, teacher=teacher.lineage(), generator="generators.function_calling:teacher")


def rephrase(items: list[tuple[Any, Any]], teacher: Any, persona: Any, run_id: str,
             record: Callable[..., dict]) -> list[dict]:
    """Records (or rejections) for executed conversations whose words the teacher rewrites, in order; `record` is
    function_calling.record (passed in, so this module does not import its caller)."""
    if teacher is None:
        return [{"rejected": True, "task_id": w.task["task_id"], "reason": "teacher task but no teacher given",
                 "raw": None} for w, _ in items]
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda it: _one(it, teacher, persona, run_id, record), items))
