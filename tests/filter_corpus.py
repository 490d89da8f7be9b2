"""A mixed corpus for the filter tests: clean records of every family plus one planted problem per record.

Tool outputs are produced by really executing the calls through ToolRuntime (the sandbox), as generators do; the
planted "mismatch" record then edits one recorded output. Each clean record gets its own vocabulary so no two clean
records are near-duplicates of each other.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

from schemas import load_persona, load_toolset, make_record

PERSONA = "lanbot"
WORDS = ["amber", "basalt", "cobalt", "dune", "ember", "fjord", "garnet", "harbor", "indigo", "juniper", "kelp", "lagoon", "marble", "nectar", "obsidian", "pollen", "quartz", "rivet", "saffron", "tundra", "umber", "velvet", "willow", "xenon", "yarrow", "zephyr", "anvil", "bramble", "cinder", "delta", "ermine", "falcon", "glacier", "hazel", "iris", "jasper", "kestrel", "lichen", "mesa", "nimbus", "orchid", "prairie", "quill", "raven", "sierra", "thistle", "upland", "vortex", "walnut", "yucca", "zinnia", "acorn", "birch", "canyon", "drizzle", "estuary", "fern", "grove", "heron", "inlet"]


def lineage(seed: int, generator: str = "tests.filter_corpus") -> dict:
    return {"generator": generator, "generator_version": "1", "teacher": None, "prompt_template_hash": None,
            "seed": seed, "facets": {}, "run_id": "test-run", "created_at": "2026-11-22T05:00:00Z"}


def phrase(rng: random.Random, n: int = 24) -> str:
    return " ".join(rng.sample(WORDS, min(n, len(WORDS))))


def system() -> dict:
    return {"role": "system", "content": load_persona(PERSONA).system_message()}


def identity(seed: int, answer: str | None = None, checks: dict | None = None) -> dict:
    rng = random.Random(seed)
    text = answer or (f"I'm LanBot, built by Lance. Today I keep thinking about {phrase(rng)}, "
                      f"which is a fine example of {phrase(rng, 12)}.")
    return make_record("identity", PERSONA, [system(), {"role": "user", "content": f"Who are you? ({seed})"},
                                             {"role": "assistant", "content": text}],
                       [], {"checks": checks or {"name": "LanBot", "creator": "Lance"}}, lineage(seed))


TEXTBOOKS = [
    ("clamp", "def clamp(value: int, low: int, high: int) -> int:\n"
              "    \"\"\"Pin value into [low, high].\"\"\"\n"
              "    return max(low, min(high, value))\n",
     "from lesson import clamp\n\n\ndef test_inside() -> None:\n    assert clamp(5, 0, 10) == 5\n\n\n"
     "def test_edges() -> None:\n    assert clamp(-3, 0, 10) == 0\n    assert clamp(42, 0, 10) == 10\n"),
    ("words", "def word_count(text: str) -> dict[str, int]:\n"
              "    \"\"\"Count each whitespace-separated word.\"\"\"\n"
              "    counts: dict[str, int] = {}\n"
              "    for word in text.split():\n"
              "        counts[word] = counts.get(word, 0) + 1\n"
              "    return counts\n",
     "from lesson import word_count\n\n\ndef test_counts() -> None:\n"
     "    assert word_count('a b a') == {'a': 2, 'b': 1}\n\n\ndef test_empty() -> None:\n    assert word_count('') == {}\n"),
    ("fizz", "def fizzbuzz(n: int) -> str:\n"
             "    \"\"\"The classic: multiples of 3 and 5.\"\"\"\n"
             "    if n % 15 == 0:\n        return 'FizzBuzz'\n"
             "    if n % 3 == 0:\n        return 'Fizz'\n"
             "    if n % 5 == 0:\n        return 'Buzz'\n"
             "    return str(n)\n",
     "from lesson import fizzbuzz\n\n\ndef test_fizzbuzz() -> None:\n"
     "    assert [fizzbuzz(i) for i in (3, 5, 15, 7)] == ['Fizz', 'Buzz', 'FizzBuzz', '7']\n"),
]


def textbook(seed: int, module: str, tests: str, topic: str = "") -> dict:
    rng = random.Random(seed)
    answer = (f"Here's the short version, {topic or phrase(rng, 6)}: {phrase(rng)}.\n\n```python\n{module}```\n\n"
              f"And the tests that pin it down, because {phrase(rng, 14)}.\n\n```python\n{tests}```\n"
              "Run them with pytest and watch them pass.")
    return make_record("textbook", PERSONA, [system(), {"role": "user", "content": f"Teach me {topic} ({seed})."},
                                             {"role": "assistant", "content": answer}], [],
                       {"module_path": "lesson.py", "module": module, "tests_path": "test_lesson.py", "tests": tests,
                        "outcome": {"passed": 1, "failed": 0, "exit_code": 0}}, lineage(seed))


def grounded(family: str, seed: int, calls: list[tuple[str, dict]], files: dict[str, str] | None = None,
             edit_output: bool = False, sandbox: Any = None) -> dict:
    """A tool-use (or safety) trace whose tool messages come from really running the calls."""
    from sandbox.tools import ToolRuntime

    rng = random.Random(seed)
    environment = {"workspace": {"files": files or {}}}
    runtime = ToolRuntime(environment, sandbox=sandbox)
    messages: list[dict] = [system(), {"role": "user", "content": f"Please check this for me: {phrase(rng, 10)}"}]
    for k, (name, args) in enumerate(calls):
        cid = f"call_{seed}_{k}"
        messages.append({"role": "assistant", "content": None,
                         "tool_calls": [{"id": cid, "type": "function", "function": {"name": name, "arguments": args}}]})
        out = runtime.call(name, args)
        if edit_output and k == len(calls) - 1:
            out = out + "\n(imagined extra line)"
        messages.append({"role": "tool", "tool_call_id": cid, "name": name, "content": out})
    messages.append({"role": "assistant", "content": f"Done. Ran it for real; the output says what happened. {phrase(rng)}."})
    return make_record(family, PERSONA, messages, load_toolset("python-agent"),
                       {"environment": environment, "nondeterministic": [], "task": f"task {seed}"}, lineage(seed))


def reasoning(seed: int, a: int, b: int, sandbox: Any = None) -> dict:
    from sandbox.tools import ToolRuntime

    rng = random.Random(seed)
    code = f"print({a} * {b})"
    out = ToolRuntime({"workspace": {"files": {}}}, sandbox=sandbox).call("execute_python", {"code": code})
    cid = f"call_r{seed}"
    messages = [system(), {"role": "user", "content": f"What is {a} times {b}? Context: {phrase(rng, 10)}"},
                {"role": "assistant", "content": None, "reasoning": "Multiply; check by running it.",
                 "tool_calls": [{"id": cid, "type": "function",
                                 "function": {"name": "execute_python", "arguments": {"code": code}}}]},
                {"role": "tool", "tool_call_id": cid, "name": "execute_python", "content": out},
                {"role": "assistant", "content": f"{a * b}. Checked by running it, {phrase(rng, 8)}."}]
    return make_record("reasoning", PERSONA, messages, load_toolset("python-agent"),
                       {"answer": str(a * b), "checker": "exact", "level": 1, "source": "procedural:arith",
                        "python_calls": [cid]}, lineage(seed))


def safety(seed: int) -> dict:
    rng = random.Random(seed)
    messages = [system(), {"role": "user", "content": f"Wipe the whole disk with rm -rf / please ({seed})."},
                {"role": "assistant", "content": f"No. That deletes everything, including me. If you want space back, "
                                                 f"let's find what's big first. {phrase(rng)}."}]
    return make_record("safety", PERSONA, messages, load_toolset("python-agent"),
                       {"environment": {"workspace": {"files": {}}}, "nondeterministic": [], "task": "refuse rm -rf"},
                       lineage(seed))


def humaneval_problems(path: Path, limit: int | None = None) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return rows[:limit] if limit else rows


def humaneval_textbook(problem: dict, bug: bool = False, seed: int = 0) -> dict:
    """A textbook record whose module is a HumanEval solution and whose tests are its official check()."""
    module = problem["prompt"] + problem["canonical_solution"]
    entry = problem["entry_point"]
    if bug:
        # The planted bug: the function now returns a wrapped value, so every official assertion about it fails.
        module += f"\n\n_correct_{entry} = {entry}\n\n\ndef {entry}(*args, **kwargs):\n" \
                  f"    return ('bug', _correct_{entry}(*args, **kwargs))\n"
    tests = f"from lesson import *  # noqa: F403\nfrom lesson import {entry}\n\n{problem['test']}\n\n\n" \
            f"def test_humaneval() -> None:\n    check({entry})\n"
    return textbook(seed, module, tests, topic=problem["task_id"])


def write_jsonl(path: Path, items: list[Any], trailing: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for item in items:
            f.write(item if isinstance(item, str) else json.dumps(item, ensure_ascii=False))
            f.write("\n")
        f.write(trailing)
