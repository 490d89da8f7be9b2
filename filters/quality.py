"""Stage 8: does the record read like the persona, and is it whole? The last and most judgement-laden check.

- identity: every self-introduction names the persona ("I'm LanBot"), every "made/created/built by X" names its
  creator, and the assistant never claims to be another assistant (ChatGPT, Claude, Gemini ...) or to come from
  another lab (OpenAI, Anthropic, Google ...). Identity records must also state the name their checks expect.
- in character: generic-assistant boilerplate ("As an AI language model", "I don't have personal opinions") is
  out of character for a persona with a voice; canned refusals ("I'm sorry, but I can't assist with that") are
  too, except in the safety family, where declining is the point (in the persona's own words, ideally).
- whole: no empty user/assistant turns, the conversation ends with an assistant answer, that answer is not cut off
  (unclosed code fence, trailing comma/colon/open bracket).
- grounded: no assistant turn states a test or execution result ("6 passed", "I ran it", "the output is ...")
  without an earlier tool message that shows it (filters/claims.py), in any family.
- length: the assistant's words per family must sit inside `LENGTH_BOUNDS` (characters) — a one-word textbook or
  a novel-length identity answer is a generator failure.
"""

from __future__ import annotations

import re
from typing import Any

from datatrove.data import Document

from filters.claims import unshown_claim
from filters.docs import QUALITY, document_record, reject
from filters.stage import StageFilter
from schemas import OTHER_ASSISTANTS, OTHER_LABS

# Characters of assistant text (content + reasoning) per family: (min, max).
LENGTH_BOUNDS: dict[str, tuple[int, int]] = {
    "identity": (15, 4_000),
    "tool_use": (10, 40_000),
    "reasoning": (1, 40_000),
    "textbook": (200, 60_000),
    "safety": (15, 20_000),
    "function_calling": (5, 40_000),
}

BOILERPLATE = (
    r"as an ai( language)? model",
    r"as a (large )?language model",
    r"i(?: am|'m) (?:just |only )?an? (?:ai|artificial intelligence)(?: language model)?\b(?! (?:assistant )?(?:called|named))",
    r"i don'?t have (?:personal )?(?:opinions|feelings|emotions|beliefs)",
    r"my (?:training data|knowledge) (?:cut-?off|only goes up)",
    r"i (?:cannot|can'?t) browse the internet",
)
REFUSALS = (
    r"i'?m sorry,? but i (?:cannot|can'?t) (?:assist|help) with (?:that|this)",
    r"i (?:cannot|can'?t) (?:fulfill|comply with) (?:that|this|your) request",
    r"i'?m (?:not able|unable) to (?:help|assist) with (?:that|this)",
)
_SELF_NAME = re.compile(r"\b(?:I am|I'm|I’m|my name is|call me)\s+([A-Z][\w.-]*(?:[- ][A-Z0-9][\w.-]*)?)\b(?!['’])")
_MADE_BY = re.compile(r"\b(?:created|made|built|developed|trained|designed)\s+by\s+([A-Z][\w-]*(?: [A-Z][\w-]*)?)")
# An answer that stops on a connective or an article stopped mid-sentence (the generator hit its token limit).
_TRUNCATED_END = re.compile(r"[,:;(\[{\-–]\s*$|\b(?:and|or|but|so|the|a|an|to|of|with|because|is|are|was|were|that|"
                            r"which|for|in|on|at|by|my|your|this|its|we|I)\s*$", re.IGNORECASE)
_NOT_NAMES = {"I", "A", "An", "The", "Not", "Just", "Only", "Happy", "Glad", "Sorry", "Here", "Afraid", "Sure", "Able",
              "Unable", "Going", "Still", "Also", "Now", "Running", "Checking", "Looking", "Trying", "Python", "Your",
              "Currently", "Always", "Really", "Quite", "So", "Very", "Curious", "Built", "Made", "Designed", "Created"}


def _assistant_texts(record: dict) -> list[str]:
    texts = []
    for message in record.get("messages", []):
        if message.get("role") == "assistant":
            for key in ("content", "reasoning"):
                if isinstance(message.get(key), str):
                    texts.append(message[key])
    return texts


class QualityFilter(StageFilter):
    """Persona consistency, boilerplate, whole turns and length bounds; the reason names the offending phrase."""

    name = "quality"
    stage = QUALITY

    def __init__(self, persona_name: str, creator: str, length_bounds: dict[str, tuple[int, int]] | None = None):
        super().__init__()
        self.persona_name = persona_name
        self.creator = creator
        self.length_bounds = length_bounds or LENGTH_BOUNDS
        self._boilerplate = [re.compile(p, re.IGNORECASE) for p in BOILERPLATE]
        self._refusals = [re.compile(p, re.IGNORECASE) for p in REFUSALS]
        other = [a for a in OTHER_ASSISTANTS if a.lower() not in persona_name.lower()]
        self._other_assistant = re.compile(
            r"\b(?:I am|I'm|I’m|as|my name is|call me|this is|i was)\s+(?:an?\s+|the\s+)?(?:version of\s+)?("
            + "|".join(re.escape(a) for a in other) + r")\b", re.IGNORECASE)
        labs = [lab for lab in OTHER_LABS if lab.lower() != creator.lower()]
        self._other_lab = re.compile(
            r"\b(?:created|made|built|developed|trained|designed|engineered)\s+(?:\w+\s+){0,2}?by\s+(?:the\s+)?(?:team\s+at\s+)?("
            + "|".join(re.escape(lab) for lab in labs) + r")\b", re.IGNORECASE)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        record = document_record(doc)
        reason = self.problem(record)
        if reason:
            return reject(doc, reason)
        return self.passed(doc, "in character, whole, within length bounds")

    def problem(self, record: dict) -> str | None:
        """The first quality problem of `record`, or None."""
        messages = record.get("messages", [])
        family = record.get("family", "")
        for i, message in enumerate(messages):
            content = message.get("content")
            role = message.get("role")
            if role == "user" and not (isinstance(content, str) and content.strip()):
                return f"empty user turn at $.messages[{i}]"
            if role == "assistant" and not (isinstance(content, str) and content.strip()) and not message.get("tool_calls"):
                return f"empty assistant turn at $.messages[{i}]"
        last = messages[-1] if messages else {}
        if last.get("role") != "assistant" or not str(last.get("content") or "").strip():
            return "conversation does not end with an assistant answer"
        final = str(last["content"])
        if final.count("```") % 2:
            return "truncated final answer: unclosed code fence"
        if _TRUNCATED_END.search(final):
            return f"truncated final answer: ends with {_tail(final)!r}"

        if claim := unshown_claim(record):
            return claim
        texts = _assistant_texts(record)
        for text in texts:
            found = self._identity_problem(text)
            if found:
                return found
        if family == "identity":
            expected = (record.get("verification") or {}).get("checks", {})
            joined = "\n".join(texts)
            if expected.get("name") and expected["name"] != self.persona_name:
                return f"identity checks expect name {expected['name']!r}, persona is {self.persona_name!r}"
            if expected.get("creator") and expected["creator"] != self.creator:
                return f"identity checks expect creator {expected['creator']!r}, persona's is {self.creator!r}"
            if self.persona_name.lower() not in joined.lower() and self.creator.lower() not in joined.lower():
                return f"identity answer never states the name {self.persona_name!r} or creator {self.creator!r}"
        for text in texts:
            for pattern in self._boilerplate:
                if m := pattern.search(text):
                    return f"out of character: boilerplate {m.group(0)!r}"
            if family != "safety":
                for pattern in self._refusals:
                    if m := pattern.search(text):
                        return f"out of character: canned refusal {m.group(0)!r}"

        low, high = self.length_bounds.get(family, (1, 100_000))
        size = sum(len(t) for t in texts)
        if size < low:
            return f"too short for {family}: {size} assistant chars < {low}"
        if size > high:
            return f"too long for {family}: {size} assistant chars > {high}"
        return None

    def _identity_problem(self, text: str) -> str | None:
        if m := self._other_assistant.search(text):
            return f"claims to be another assistant: {m.group(0)!r}"
        for m in self._other_lab.finditer(text):
            if self._about_self(text, m.start()):
                return f"claims another creator: {m.group(0)!r}"
        for m in _SELF_NAME.finditer(text):
            name = m.group(1).rstrip(".,!")
            first = name.split()[0].split("-")[0]
            if first in _NOT_NAMES or name.lower().startswith(self.persona_name.lower()):
                continue
            if _looks_like_name(name) and not _quoted_or_hypothetical(text, m.start()):
                return f"wrong persona name: {m.group(0)!r} (expected {self.persona_name!r})"
        for m in _MADE_BY.finditer(text):
            maker = m.group(1).rstrip(".,!")
            if maker.split()[0] == self.creator.split()[0] or _quoted_or_hypothetical(text, m.start()):
                continue
            if self._about_self(text, m.start()):
                return f"wrong creator: {m.group(0)!r} (expected {self.creator!r})"
        return None

    def _about_self(self, text: str, start: int) -> bool:
        """Only a claim about the assistant itself counts ("I was created by X"), not "Go was created by Google"."""
        sentence = re.split(r"[.!?\n]", text[max(0, start - 60) : start])[-1].lower()
        return bool(re.search(r"\b(i|i was|i'm|i am|me|myself|my)\b", sentence)) or self.persona_name.lower() in sentence


def _looks_like_name(name: str) -> bool:
    # Self-introductions name a product ("Chatty", "Botty-3"); "I'm Python-savvy" or "I'm Sure" do not.
    return bool(re.fullmatch(r"[A-Z][A-Za-z0-9.]*(?:[- ][A-Z0-9][A-Za-z0-9.]*)?", name)) and not name.isupper()


def _quoted_or_hypothetical(text: str, start: int) -> bool:
    before = text[max(0, start - 30) : start].lower()
    return any(cue in before for cue in ('"', "“", "say ", "says ", "like ", "if i were", "pretend", "quote"))


def _tail(text: str) -> str:
    return text.rstrip()[-20:]


def persona_settings(persona: Any) -> tuple[str, str]:
    """(name, creator) from a schemas.Persona."""
    return str(persona.name), str(persona.creator)
