"""No claimed execution without the tool message that shows it (part of the quality stage, any family).

A model trained on "Running the tests: 6 passed." with no run in the transcript learns to report executions it never
made. So an assistant turn (content or reasoning) that states a test or execution result must come after a tool
message that shows it:

- a count of test results ("6 passed", "2 failed", "all 6 tests pass") needs an earlier tool message containing
  that count with the same word ("6 passed"); "0 failed" needs a run that shows passes and no failures;
- any other execution claim ("I ran it", "the output is ...", "the script printed ...", "pytest reports ...",
  "exit code 1") needs at least one earlier tool message.

`unshown_claim(record)` gives the reason for the first offending turn, or None. The quality filter rejects on it;
bench/bench_claims.py counts hits on freshly generated records of every family.
"""

from __future__ import annotations

import re

# "6 passed", "3 tests passed", "2 failed": a count as a test runner prints it (lower case, and not "3 failed logins")
_COUNT = re.compile(r"\b(\d+)\s+(?:tests?\s+|cases?\s+)?(passed|failed)\b(?!\s+(?!in\b|and\b|but\b|so\b|with\b)[a-z])")
_SUMMARY_PASSED = re.compile(r"\b\d+ passed\b")
_SUMMARY_FAILED = re.compile(r"\b\d+ failed\b")
# "all 6 tests pass", "all six tests passed"
_ALL_PASS = re.compile(r"\ball\s+(\d+)\s+(?:of\s+(?:the|them|my|these)\s+)?(?:tests?|cases?)\s+(?:now\s+)?pass(?:ed|es)?\b",
                       re.IGNORECASE)
CLAIMS = (
    # past tense only: "I ran it", "I've run the tests"; "while I run that" announces a call, it claims nothing
    r"\b(?:I(?:'ve|\s+have)\s+(?:just\s+|already\s+)?(?:run|executed)|I\s+(?:just\s+|already\s+)?(?:ran|executed))\s+"
    r"(?:it|this|them|that|the\s+(?:tests?|code|script|program|command|module|snippet|suite))\b",
    r"\b(?:after|on|when)\s+running\s+(?:it|this|them|the\s+(?:tests?|code|script|program|command))\b",
    r"\brunning\s+`?(?:python3?|pytest)\b[^\n]{0,80}?(?:gives|gave|prints|printed|shows|showed|reports|reported|:)",
    r"\bthe\s+(?:output|result of running|test run|run)\s+(?:is|was|shows|showed|reads|says|reports)\b",
    r"\b(?:it|the\s+(?:code|script|program|snippet|function call))\s+(?:printed|prints|outputs|output|returned)\s",
    r"\b(?:pytest|the\s+tests?)\s+(?:says|said|reports|reported|shows|showed|confirms|confirmed)\b",
    r"\bexit(?:ed)?\s+(?:with\s+)?(?:code|status)\s+\d+\b",
)
_CLAIMS = [re.compile(p, re.IGNORECASE) for p in CLAIMS]


def _texts(message: dict) -> list[str]:
    return [message[k] for k in ("content", "reasoning") if isinstance(message.get(k), str)]


def unshown_claim(record: dict) -> str | None:
    """The first assistant claim of an execution result that no earlier tool message shows, as a reason; else None."""
    shown: list[str] = []  # tool outputs so far
    for i, message in enumerate(record.get("messages") or []):
        role = message.get("role")
        if role == "tool":
            shown.append(str(message.get("content") or ""))
            continue
        if role != "assistant":
            continue
        for text in _texts(message):
            for m in [*_COUNT.finditer(text), *_ALL_PASS.finditer(text)]:
                n = m.group(1)
                word = m.group(2).lower() if m.re is _COUNT else "passed"
                if n == "0" and word == "failed" and any(
                        _SUMMARY_PASSED.search(out) and not _SUMMARY_FAILED.search(out) for out in shown):
                    continue  # pytest leaves out zero counts: "6 passed" shows that 0 failed
                if not any(re.search(rf"\b{n} {word}\b", out) for out in shown):
                    return (f"claims an execution result no tool message shows: {m.group(0)!r} at $.messages[{i}]"
                            + ("" if shown else " (no tool was called before it)"))
            if shown:
                continue
            for pattern in _CLAIMS:
                if m := pattern.search(text):
                    return f"claims an execution no tool message shows: {m.group(0)!r} at $.messages[{i}]"
    return None
