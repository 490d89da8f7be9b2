"""Textbook-quality Python lessons (Phi-1 style): explanation + a typed module + exercises + pytest tests, verified.

Phi-1 showed that for small code models data quality beats quantity. A lesson is only kept when its module and its
tests actually pass together in the sandbox (`python3 -m pytest` inside bubblewrap), and the outcome is recorded in
`verification` so the filter stage can re-run it.

Two forms (generators/textbook_tutor.py): a plain document that claims no execution, or a tutoring conversation in
which the assistant writes the files and runs the tests with the persona's tools, the real output follows as a tool
message, and the closing reply states what that output shows.

Two sources, each saying what it is in lineage:
- procedural (`generators.textbook.procedural`): the lesson library in `generators/textbook_lessons/` (its text
  and tables in prompts/lessons/), dozens of lesson kinds (typed functions with docstrings, dataclasses,
  generators, parsing, algorithms, data structures); each draws a scenario that names its code, data and prose, an implementation variant, one of several
  explanations and exercises from a pool, so lessons of one kind are not near duplicates of each other (the
  filter's MinHash dedup would drop them). Expected test values come from a reference computation in the library,
  so the sandbox checks the lesson code against it. Kinds are dealt out evenly: each block of len(TEMPLATES)
  dealt tasks deals every kind once, in an order shuffled per block, so no kind is repeated more than the plan's
  size requires. Apart from the deal, `composed_share` of the procedural lessons are composed kinds (`ledger`):
  programs assembled from independent parts, so their function structures keep growing with the corpus.
- teacher (`generators.textbook`): a distilabel Task asks the teacher for the module and the tests in a fixed,
  parseable layout; unparseable output or failing tests are rejected with the reason. With a 135M teacher most of
  these fail; the procedural lessons carry the family.
"""

import hashlib
import random
import re
import string
from pathlib import Path
from typing import Any

from generators.grounded import as_persona, task_persona
from generators.teachers.cost import Estimate, estimate_tokens
from generators.teachers.distilabel_llm import PromptTask
from generators.teachers.pipelines import record_usage, run_pipeline
from generators.textbook_lessons import COMPOSED, TEMPLATES, Lesson
from generators.textbook_tutor import MODULE_PATH, TESTS_PATH, render_document, run_tutoring
from schemas import make_lineage, make_record

FAMILY = "textbook"
VERSION = "6"  # 3: lessons are plain documents or tutoring conversations that run their tests with tools;
# 4: composed lessons (kind `ledger`, composed_share of the procedural ones); 5: composed lessons compose their
# test files too (textbook_lessons/ledger_tests.py); 6: tutoring run/passed replies are lead + core
PROMPTS = Path(__file__).resolve().parent / "prompts"
LESSON_TEMPLATE = (PROMPTS / "textbook_lesson.txt").read_text(encoding="utf-8")
SYSTEM_TEMPLATE = (PROMPTS / "textbook_system.txt").read_text(encoding="utf-8")
TEACHER_TEMPLATE_HASH = hashlib.sha256((SYSTEM_TEMPLATE + LESSON_TEMPLATE).encode()).hexdigest()[:16]
MAX_NEW_TOKENS = 700
AUDIENCES = ("beginners", "intermediate Python programmers", "a student who knows loops but not classes",
             "someone coming from JavaScript")
ASKS = ("Teach me {topic}.", "Can you give me a short lesson on {topic}?", "I want to understand {topic} in Python.",
        "Explain {topic} with a small module and tests.", "How do I do {topic} properly in Python?",
        "Could you walk me through {topic}?", "I'm studying Python. What should I know about {topic}?",
        "Show me {topic}, with code I can run and tests.", "Write a mini-lesson: {topic}.",
        "What's a clean way to approach {topic}?", "Help me practise {topic} with an example and exercises.",
        "I keep getting stuck on {topic}. Can you explain it?")


TEACHER_TOPICS = [
    ("string reversal and palindromes", "`is_palindrome(text: str) -> bool`"),
    ("list comprehensions", "`squares_of_evens(numbers: list[int]) -> list[int]`"),
    ("dictionaries", "`invert(mapping: dict[str, int]) -> dict[int, str]`"),
    ("sets", "`unique_sorted(items: list[int]) -> list[int]`"),
    ("string formatting", "`format_price(amount: float) -> str` returning e.g. '$3.50'"),
    ("exceptions", "`safe_divide(a: float, b: float) -> float | None`"),
    ("recursion", "`factorial(n: int) -> int`"),
    ("sorting with keys", "`sort_by_length(words: list[str]) -> list[str]`"),
    ("enumerate and zip", "`pair_up(a: list[str], b: list[int]) -> list[tuple[str, int]]`"),
    ("while loops", "`count_digits(n: int) -> int`"),
]
TEMPLATE_HASH = hashlib.sha256("".join(sorted(TEMPLATES)).encode() + VERSION.encode()
                               + (PROMPTS / "textbook_tutor.toml").read_bytes()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------------------------
# Plan and estimate.

def plan(persona: Any, count: int, seed: int) -> list[dict]:
    """Mostly procedural lessons; `teacher_share` (recipe.textbook, default 0.15) of them asked of the teacher.
    `document_share` (default 0.3) of them are plain documents, the rest tutoring conversations that run the tests.
    `composed_share` (default 0.5) of the procedural ones are a composed kind (textbook_lessons.COMPOSED), drawn apart
    from the deal, which goes on dealing every kind evenly in the other slots."""
    settings = persona.family_settings.get(FAMILY, {})
    frac = float(settings.get("teacher_share", 0.15))
    documents = float(settings.get("document_share", 0.3))
    composed = float(settings.get("composed_share", 0.5))
    names = sorted(TEMPLATES)
    deals: dict[int, list[str]] = {}  # block -> the kinds in the order that block deals them
    tasks = []
    dealt = 0  # procedural tasks the deal has served
    for i in range(count):
        task_seed = int.from_bytes(hashlib.sha256(f"{FAMILY}:{seed}:{i}".encode()).digest()[:4], "big")
        rng = random.Random(task_seed)
        form = "document" if random.Random(f"form:{task_seed}").random() < documents else "tutoring"
        common = {"family": FAMILY, "persona": persona.slug, "seed": task_seed, "ask": rng.choice(ASKS),
                  "teacher_name": persona.name, "form": form,
                  "persona_path": str(persona.path) if getattr(persona, "path", None) else None}
        if rng.random() < frac:
            topic, hint = rng.choice(TEACHER_TOPICS)
            tasks.append({**common, "task_id": f"{FAMILY}-{seed}-{i:06d}-t", "procedural": False, "topic": topic,
                          "hint": hint, "audience": rng.choice(AUDIENCES)})
        elif random.Random(f"composed:{task_seed}").random() < composed:
            tasks.append({**common, "task_id": f"{FAMILY}-{seed}-{i:06d}-p", "procedural": True,
                          "template": random.Random(f"kind:{task_seed}").choice(COMPOSED)})
        else:
            block, slot = divmod(dealt, len(names))
            dealt += 1
            if block not in deals:
                deals[block] = random.Random(f"{FAMILY}:{seed}:deal:{block}").sample(names, len(names))
            tasks.append({**common, "task_id": f"{FAMILY}-{seed}-{i:06d}-p", "procedural": True,
                          "template": deals[block][slot]})
    return tasks


def _lesson_prompt(task: dict) -> list[dict[str, str]]:
    system = string.Template(SYSTEM_TEMPLATE).substitute(name=task["teacher_name"])
    user = string.Template(LESSON_TEMPLATE).substitute(topic=task["topic"], audience=task["audience"],
                                                      function_hint=task["hint"])
    return [{"role": "system", "content": system.strip()}, {"role": "user", "content": user.strip()}]


def estimate(tasks: list[dict]) -> Estimate:
    total = Estimate()
    for t in tasks:
        if not t.get("procedural"):
            prompt = sum(estimate_tokens(m["content"]) for m in _lesson_prompt(t))
            total = total + Estimate(1, prompt, MAX_NEW_TOKENS)
    return total


# ---------------------------------------------------------------------------------------------------------------
# The teacher task: format_input renders the prompt, format_output parses the fixed layout.

CODE_BLOCK = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL)


def parse_lesson(text: str | None) -> dict[str, Any]:
    """{explanation, module, tests, exercises} from the teacher's reply, or {"failure": reason}."""
    if not text or not text.strip():
        return {"failure": "empty reply"}
    blocks = CODE_BLOCK.findall(text)
    if len(blocks) < 2:
        return {"failure": f"unparseable: expected 2 python code blocks (lesson.py, test_lesson.py), found {len(blocks)}"}
    module = next((b for b in blocks if "def test_" not in b), None)
    tests = next((b for b in blocks if "def test_" in b), None)
    if module is None or tests is None:
        return {"failure": "unparseable: need one module block and one block with test_ functions"}
    if "lesson" not in tests:
        tests = "from lesson import *\n\n" + tests
    explanation = CODE_BLOCK.sub("", text.split("Exercises:")[0]).replace("Explanation:", "").strip()
    exercises = [line.split(".", 1)[1].strip() for line in text.split("Exercises:", 1)[-1].splitlines()
                 if re.match(r"\s*\d+\.\s+\S", line)] if "Exercises:" in text else []
    if not explanation:
        return {"failure": "unparseable: no explanation before the code"}
    return {"explanation": explanation, "module": module.strip() + "\n", "tests": tests.strip() + "\n",
            "exercises": exercises, "failure": None}


class TextbookLesson(PromptTask):
    """Asks the teacher for one lesson (explanation, lesson.py, test_lesson.py, exercises) and parses it."""

    @property
    def outputs(self) -> list[str]:
        return ["explanation", "module", "tests", "exercises", "failure", "raw_reply", "prompt_tokens",
                "completion_tokens"]

    def format_output(self, output: str | None, input: dict[str, Any] | None = None) -> dict[str, Any]:
        parsed = parse_lesson(output)
        return {"explanation": parsed.get("explanation"), "module": parsed.get("module"),
                "tests": parsed.get("tests"), "exercises": parsed.get("exercises"), "failure": parsed["failure"],
                "raw_reply": output}


# ---------------------------------------------------------------------------------------------------------------
# Verification and records.

def _outcome(stdout: str, exit_code: int | None) -> dict[str, int]:
    def grab(word: str) -> int:
        m = re.search(rf"(\d+) {word}", stdout)
        return int(m.group(1)) if m else 0

    return {"passed": grab("passed"), "failed": grab("failed") + grab("error"), "exit_code": -1 if exit_code is None
            else int(exit_code)}


def verify(lessons: list[tuple[str, str]], sandbox: Any) -> list[tuple[dict[str, int], str]]:
    """Run each (module, tests) pair with pytest in the sandbox; (outcome, output tail) per lesson, order kept."""
    from sandbox import Job, Limits

    jobs = [Job(files={MODULE_PATH: module, TESTS_PATH: tests},
                command=["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", TESTS_PATH],
                limits=Limits(wall_s=30.0)) for module, tests in lessons]
    out = []
    for res in sandbox.run_many(jobs):
        text = (res.stdout or "") + (res.stderr or "")
        outcome = _outcome(res.stdout or "", res.exit_code)
        if res.timed_out:
            text = "timed out\n" + text
        out.append((outcome, text[-1500:]))
    return out


def run(tasks: list[dict], teacher: Any, sandbox: Any, run_id: str, persona: Any = None) -> list[dict]:
    """One result per task, in order: a verified lesson record or a rejection with the reason."""
    drafts: dict[int, dict] = {}
    results: list[dict | None] = [None] * len(tasks)

    def reject(i: int, reason: str, raw: Any = None) -> None:
        results[i] = {"rejected": True, "task_id": tasks[i]["task_id"], "reason": reason, "raw": raw}

    for i, t in enumerate(tasks):
        if t.get("procedural"):
            lesson: Lesson = TEMPLATES[t["template"]](random.Random(t["seed"]))
            drafts[i] = {"topic": lesson.topic, "explanation": lesson.explanation, "module": lesson.module,
                         "tests": lesson.tests, "exercises": lesson.exercises, "facets": lesson.facets}
    teacher_idx = [i for i, t in enumerate(tasks) if not t.get("procedural")]
    if teacher_idx and teacher is None:
        for i in teacher_idx:
            reject(i, "no teacher: this lesson is written by the teacher")
    elif teacher_idx:
        rows = [{"key": tasks[i]["task_id"], "prompt": _lesson_prompt(tasks[i])} for i in teacher_idx]
        kwargs = {"max_new_tokens": MAX_NEW_TOKENS, "temperature": 0.4, "top_p": 0.95}
        from generators.teachers.distilabel_llm import distilabel_llm

        out_rows = run_pipeline(rows, distilabel_llm(teacher, kwargs), "crucible-textbook", TextbookLesson)
        by_key = {r["key"]: r for r in out_rows}
        usage = [0, 0]
        for r in out_rows:
            meta = r.get("distilabel_metadata") or {}
            stats = next((v for k, v in meta.items() if k.startswith("statistics_") and v), {})
            usage[0] += int(stats.get("input_tokens") or 0)
            usage[1] += int(stats.get("output_tokens") or 0)
        record_usage(teacher, usage[0], usage[1], len(out_rows))
        for i in teacher_idx:
            row = by_key.get(tasks[i]["task_id"])
            if row is None:
                reject(i, f"lost by distilabel: row missing ({len(out_rows)} of {len(rows)} rows came back)")
            elif row.get("failure") or not row.get("module"):
                reject(i, row.get("failure") or "no module in the reply", row.get("raw_reply"))
            else:
                drafts[i] = {"topic": tasks[i]["topic"], "explanation": row["explanation"], "module": row["module"],
                             "tests": row["tests"], "exercises": row.get("exercises") or [],
                             "facets": {"topic": tasks[i]["topic"], "audience": tasks[i]["audience"]}}
    documents = sorted(i for i in drafts if tasks[i].get("form", "document") == "document")
    tutoring = sorted(i for i in drafts if i not in documents)
    built: dict[int, dict] = {}
    outcomes = verify([(drafts[i]["module"], drafts[i]["tests"]) for i in documents], sandbox) if documents else []
    for i, (outcome, tail) in zip(documents, outcomes, strict=True):
        d = drafts[i]
        if outcome["exit_code"] != 0 or outcome["failed"] or not outcome["passed"]:
            reject(i, f"tests failed in the sandbox: {outcome['passed']} passed, {outcome['failed']} failed, "
                      f"exit {outcome['exit_code']}: {tail.strip().splitlines()[-1][:200] if tail.strip() else ''}",
                   {"module": d["module"], "tests": d["tests"], "output": tail})
            continue
        text = render_document(d["explanation"], d["module"], d["tests"], d["exercises"])
        built[i] = {"messages": [{"role": "user", "content": tasks[i]["ask"].format(topic=d["topic"])},
                                 {"role": "assistant", "content": text}], "tools": [],
                    "verification": {"module_path": MODULE_PATH, "module": d["module"], "tests_path": TESTS_PATH,
                                     "tests": d["tests"], "outcome": outcome}}
    if tutoring:
        who = as_persona(persona) if persona is not None else task_persona(tasks[tutoring[0]])
        for i, res in zip(tutoring, run_tutoring([(tasks[i], drafts[i]) for i in tutoring], who, sandbox),
                          strict=True):
            if "rejected" in res:
                reject(i, res["rejected"], res["raw"])
            else:
                built[i] = res
    for i, b in built.items():
        d, t = drafts[i], tasks[i]
        procedural = bool(t.get("procedural"))
        lineage_teacher = None if procedural or teacher is None else {**teacher.lineage(), "params": {
            **teacher.lineage().get("params", {}), "max_new_tokens": MAX_NEW_TOKENS, "temperature": 0.4}}
        facets = {**d["facets"], "form": t.get("form", "document"), "task_id": t["task_id"]}
        lineage = make_lineage("generators.textbook.procedural" if procedural else "generators.textbook", VERSION,
                               t["seed"], facets, run_id, lineage_teacher,
                               TEMPLATE_HASH if procedural else TEACHER_TEMPLATE_HASH)
        results[i] = make_record(FAMILY, t["persona"], b["messages"], b["tools"], b["verification"], lineage)
    assert all(r is not None for r in results), "textbook.run left a task without a result"
    return [r for r in results if r is not None]
