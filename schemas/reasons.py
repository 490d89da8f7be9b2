"""Rejection reasons grouped into kinds: the one rule the filter's funnel, `stats`, the page and the card all use.

A filter writes a precise reason per record ("near duplicate of 3fa9… (cluster 7)", "ruff F401: `os` imported but
unused at lesson.py line 1", "out of character: boilerplate 'As an AI'"). Counting those verbatim gives one row per
record, so every "top reasons" column shows kinds instead. The kind is what comes before the first ": " (a reason's
own label), with locations, ids, numbers and quoted text folded; a one-word label ("contaminated", "schema", "teacher")
keeps the first word of its detail too, because "contaminated" alone would hide which benchmark leaked.

Grouping a group returns it unchanged, so the filter can group when it counts and `stats` can group funnel.json's
already-grouped reasons again (and older funnel.json files with raw reasons) without splitting or merging rows.
Earlier the filter cut a reason at its first " of ", which turned "out of character: ..." into "out".
"""

import re

MAX_CHARS = 90

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
_CALL_ID = re.compile(r"\bcall[_-][\w-]+")
# hex ids (also digit-folded ones) need a digit so that words like "deadbeef"-free prose survives
_HEX = re.compile(r"\b(?=[0-9a-fN]*[0-9N])[0-9a-fN]{8,}\b")
_INDEX = re.compile(r"\[\d+\]")
_NUMBER = re.compile(r"(?<![\w<])\d+(\.\d+)?")
_AT = re.compile(r" at (\$|line |\S+\.\w+\b|\S+:\d).*$")  # " at $.messages[3]", " at lesson.py line 4"
# "near duplicate of <id> (cluster <n>)" -> "near duplicate", "tool output mismatch for call <id> (shell)" -> ...
_OF_ID = re.compile(r" (of|for call|for) <id>.*$")
_PAREN = re.compile(r"\s*\([^()]*\)\s*$")


def _fold(text: str) -> str:
    text = _QUOTED.sub("'…'", text)
    text = _CALL_ID.sub("<id>", text)
    text = _HEX.sub("<id>", text)
    text = _INDEX.sub("[N]", text)
    return _NUMBER.sub("<n>", text)


def reason_group(reason: str) -> str:
    """The kind of a rejection reason: "out of character: boilerplate 'As an AI'" -> "out of character",
    "near duplicate of 3fa9… (cluster 7)" -> "near duplicate", "contaminated: humaneval HumanEval/0 ..." ->
    "contaminated: humaneval", "ruff F401: ... at lesson.py line 1" -> "ruff F401"."""
    lines = reason.strip().splitlines()
    text = lines[0].strip() if lines else ""
    if not text:
        return "(no reason given)"
    head, sep, detail = text.partition(": ")
    if head.startswith("$"):  # a schema error: the path and what is wrong there
        group = text
    elif " " in head.strip() or not sep:
        group = head
    else:  # a one-word label: keep the first word of what it says
        first = detail.split()[0].rstrip(":") if detail.split() else ""
        group = f"{head}: {first}" if first else head
    group = _fold(group)
    group = _AT.sub("", group)
    group = _OF_ID.sub("", group)
    while _PAREN.search(group) and _PAREN.sub("", group):
        group = _PAREN.sub("", group)
    return group.strip()[:MAX_CHARS] or "(no reason given)"
