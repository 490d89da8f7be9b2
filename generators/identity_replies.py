"""Procedural persona replies for identity conversations, composed from the persona card (no teacher, no model).

Why: a 135M local teacher writes identity replies that are mostly wrong ("I'm Lance, the AI assistant you see in
the Starblade"), so most of them were rejected. But an identity answer can be computed: name, creator, year,
capabilities, limitations, tools, languages, how the model was made ([model]) and the persona's voice are all on
the card. This module answers each user turn from the card, by the turn's intent (planned with the conversation in
generators/identity.py: name, creator, size, training data, tools, a challenge ...):

- the reply carries the part that answers that intent, and says "I don't know" where the card is silent (the exact
  parameter count, why the creator chose the name, training data a card does not describe);
- a fact is given once per conversation: every placeholder of a reply part is a fact ({name}, {creator}, {year},
  {tools} ...) and a part whose facts an earlier reply already gave is not used unless the user asks for them again;
- variety comes from many phrasings per part, optional voice openers and asides, and card lines chosen by question.

The phrasings are data: generators/prompts/identity_replies/<lang>.toml (en, es, fr, de, it) and
generators/prompts/identity_concepts.toml (card lines -> translated statements: a non-English reply states a card
detail only through a translated concept the card line mentions; untranslatable card prose is never pasted into a
non-English reply). Records written this way say so in their lineage (facets.writer = "procedural", teacher = null).
"""

import hashlib
import random
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from schemas import load_persona

LANGS = ("en", "es", "fr", "de", "it")
PROMPTS = Path(__file__).resolve().parent / "prompts"
_SOURCES = [PROMPTS / "identity_replies" / f"{lang}.toml" for lang in LANGS] + [PROMPTS / "identity_concepts.toml"]
TABLES = {lang: tomllib.loads(path.read_text(encoding="utf-8")) for lang, path in zip(LANGS, _SOURCES, strict=False)}
CONCEPTS = tomllib.loads(_SOURCES[-1].read_text(encoding="utf-8"))
TEMPLATE_HASH = hashlib.sha256(b"".join(p.read_bytes() for p in _SOURCES)).hexdigest()[:16]
MODEL_MAKERS: dict[str, str] = CONCEPTS["model_makers"]
MAKERS: list[str] = CONCEPTS["makers"]["names"]

# Placeholders that state a card fact, and the fact each one states.
FACTS = {"name": "name", "creator": "creator", "Creator": "creator", "year": "year", "tools": "tools",
         "langs": "langs", "skills": "skills", "Skills": "skills", "traits": "traits", "parameters": "parameters",
         "base": "origin"}
# The facts each intent asks for: only these may be said again.
ASKS: dict[str, set[str]] = {
    "greeting": {"name"}, "name": {"name"}, "name_why": {"name", "creator"}, "creator": {"creator"},
    "creator_who": {"creator", "year"}, "big_lab": {"creator"}, "year": {"year", "creator"},
    "size": {"size", "parameters"}, "why_small": {"why_small"}, "training_data": {"data"},
    "training_method": {"origin", "creator"}, "capabilities": {"skills"}, "tools": {"tools"}, "languages": {"langs"},
    "limitations": set(), "internet": {"limit:internet"}, "memory": {"limit:memory"}, "feelings": {"limit:feelings"},
    "personality": {"traits"}, "opinions": {"traits"}, "off_topic": {"limit:internet"},
    "challenge": {"name", "creator"}, "comparison": {"name", "skills"},
}
NAME_BEARING = {"greeting", "name", "challenge", "comparison"}  # intents whose answer names the persona
AGAIN = {"name": "name", "creator": "creator", "year": "year", "tools": "tools", "languages": "langs"}

# ---------------------------------------------------------------------------------------------------------------
# Third person (card) -> first person (reply).

_FP = TABLES["en"]["first_person"]
VERBS: set[str] = set(_FP["verbs"])
IRREGULAR: dict[str, str] = _FP["irregular"]


def base_form(word: str) -> str | None:
    """The first-person form of a third-person singular verb ("debugs" -> "debug"), None when not a known verb."""
    low = word.lower()
    if low in IRREGULAR:
        return IRREGULAR[low]
    if not low.endswith("s") or len(low) < 3:
        return None
    if low.endswith("ies"):
        stem = low[:-3] + "y"
    elif low.endswith(("sses", "ches", "shes", "xes", "zes", "oes")):
        stem = low[:-2]
    else:
        stem = low[:-1]
    return stem if stem in VERBS else None


def first_person(line: str) -> str:
    """A card line about the persona ("Writes, explains and debugs Python"; "It has no memory") in the first person.

    Conjugates a leading verb and every verb after a connector once the persona is the actor (", runs tests";
    "and reports"; "; it says"), turns it/its/the user into I/my/you, keeps the line's own spacing and punctuation,
    and leaves lines that are not about the persona's actions ("Tools run in a sandbox") as they are.
    """
    text = re.sub(r"\bthe user's\b", "your", line.strip())
    text = re.sub(r"\bthe user\b", "you", text)
    text = re.sub(r"\bits\b", "my", re.sub(r"\bIts\b", "My", text))
    words = list(re.finditer(r"[A-Za-z][\w'-]*", text))
    out: list[str] = []
    pos, actor, subject = 0, False, False
    for i, m in enumerate(words):
        tok, gap = m.group(), text[pos:m.start()]
        sep = gap.strip()
        prev = sep[-1:] if sep else (words[i - 1].group().lower() if i else "")
        adjacent = i + 1 < len(words) and not text[m.end():words[i + 1].start()].strip()
        verb = base_form(tok)
        new = tok
        if tok.lower() == "it" and adjacent and base_form(words[i + 1].group()):
            new, actor = "I", True
        elif verb and subject:
            new = verb
        elif verb and (i == 0 or prev in (":", ";")):
            new, actor = f"I {verb}", True
        elif verb and actor and prev in (",", "and", "or", "then", "but"):
            new = verb
        subject = new == "I"
        out += [gap, new]
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?)" else text + "."


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?。！？])\s+|\n+", text) if s.strip()]


# ---------------------------------------------------------------------------------------------------------------
# One reply.

@dataclass
class State:
    """What one conversation has said so far: facts, card lines, and sentences (asides are never reused)."""

    said: set[str] = field(default_factory=set)
    sentences: set[str] = field(default_factory=set)
    turn: int = 0
    name_first: bool = False  # no planned turn asks for the name: the first reply names the persona anyway
    planned: list[str] = field(default_factory=list)  # every intent of the conversation, in order


@dataclass
class Ctx:
    persona: Any
    lang: str
    fill: dict[str, str]
    rng: random.Random
    state: State
    asked: set[str]

    @property
    def en(self) -> bool:
        return self.lang == "en"

    def part(self, slot: str) -> str:
        """A phrasing of `slot` whose facts are new or asked for; marks them said."""
        options = TABLES[self.lang]["parts"][slot]
        fresh = [t for t in options if not (self.facts_of(t) & self.state.said) - self.asked
                 and not {x.strip() for x in sentences(t.format(**self.fill))} & self.state.sentences]
        pool = fresh or sorted(options, key=lambda t: len((self.facts_of(t) & self.state.said) - self.asked))[:1]
        text = self.rng.choice(pool)
        self.state.said |= self.facts_of(text)
        return text.format(**self.fill)

    @staticmethod
    def facts_of(template: str) -> set[str]:
        return {FACTS[k] for k in re.findall(r"\{(\w+)\}", template) if k in FACTS}

    def line(self, lines: list[str]) -> str:
        """One of the card's (English) lines in the first person, preferring one not said yet; "" when none."""
        if not lines:
            return ""
        fresh = [x for x in lines if f"line:{x}" not in self.state.said]
        chosen = self.rng.choice(fresh or lines)
        self.state.said.add(f"line:{chosen}")
        return _sentence(first_person(chosen))

    def concept(self, table: str, key: str | None = None, lines: list[str] | None = None) -> str:
        """A translated statement of a card concept (only when a card line mentions it), not said before."""
        lines = lines if lines is not None else _card_lines(self.persona)
        found = [k for k, c in CONCEPTS[table].items() if (key is None or k == key) and self.lang in c
                 and any(re.search(c["pattern"], x, re.IGNORECASE) for x in lines)]
        fresh = [k for k in found if f"{table}:{k}" not in self.state.said]
        if not found:
            return ""
        k = self.rng.choice(fresh or found)
        self.state.said.add(f"{table}:{k}")
        return CONCEPTS[table][k][self.lang]


def _card_lines(persona: Any) -> list[str]:
    return [*persona.facts, *persona.limitations, persona.description]


def _listing(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {TABLES[lang]['and']} {items[-1]}"


def _maker_in(text: str) -> tuple[str | None, str | None]:
    """(model, maker) the user names, if any: "So you're ChatGPT." -> ("ChatGPT", "OpenAI")."""
    for model, maker in MODEL_MAKERS.items():
        if re.search(rf"(?<![\w-]){re.escape(model)}(?![\w])", text, re.IGNORECASE):
            return model, maker
    for maker in MAKERS:
        if re.search(rf"(?<![\w-]){re.escape(maker)}(?![\w])", text, re.IGNORECASE):
            return None, maker
    return None, None


def _matching(lines: list[str], pattern: str) -> list[str]:
    return [x for x in lines if re.search(pattern, x, re.IGNORECASE)]


def _limit(c: Ctx, key: str) -> str:
    """The card's limitation about `key` (internet, memory, feelings), in the reply language; "" when none."""
    if c.en:
        return c.line(_matching(c.persona.limitations, CONCEPTS["limits"][key]["pattern"]))
    return c.concept("limits", key, c.persona.limitations)


def answer(intent: str, c: Ctx, user_text: str) -> list[str]:
    """The parts that answer `intent`, in order (the reply's core; openers and asides are added around it)."""
    p = c.persona
    model_card = getattr(p, "model", None) or {}
    if intent == "greeting":
        fitting = [f["lines"] for f in TABLES[c.lang].get("smalltalk_fit", [])
                   if re.search(f["pattern"], user_text, re.IGNORECASE)]
        if fitting:
            c.state.said.add("name")
            return [c.rng.choice(fitting[0]).format(**c.fill)]
        return [c.part("smalltalk")]
    if intent in ("name", "name_why", "creator", "creator_who", "year"):
        return [c.part(intent)]
    if intent == "big_lab":
        return [c.part("deny_lab")]
    if intent == "size":
        out = [c.part("size_small")]
        out.append(c.part("size_params") if model_card.get("parameters") else c.part("size_unknown"))
        return out
    if intent == "why_small":
        line = (c.line(_matching(p.facts, CONCEPTS["origin"]["why_small"]["pattern"])) if c.en
                else c.concept("origin", "why_small", p.facts))
        return [line or c.part("why_small_unknown")]
    if intent == "training_data":
        line = (c.line(_matching(p.facts, CONCEPTS["origin"]["synthetic"]["pattern"])) if c.en
                else c.concept("origin", "synthetic", p.facts))
        c.state.said.add("data")
        return [line or c.part("data_unknown")]
    if intent == "training_method":
        origin = model_card.get("origin")
        slot = {"scratch": "origin_scratch", "fine-tune": "origin_finetune"}.get(str(origin), "origin_unknown")
        pattern = {"scratch": r"from scratch", "fine-tune": r"fine-tun"}.get(str(origin))
        fact = _matching(p.facts, pattern) if (pattern and c.en and c.rng.random() < 0.5) else []
        c.state.said.add("origin")
        return [c.line(fact) or c.part(slot)]
    if intent == "capabilities":
        if c.en and c.rng.random() < 0.6:
            line = c.line(p.capabilities)
            if line:
                return [line]
        return [c.part("help")]
    if intent == "tools":
        return [c.part("tools")]
    if intent == "languages":
        return [c.part("langs")]
    if intent == "limitations":
        # a limitation that a later turn asks about on its own (internet, memory ...) is left for that turn
        later = {k for k in ("internet", "memory", "feelings") if k in c.state.planned} | (
            {"internet"} if "off_topic" in c.state.planned else set())
        keep = [x for x in p.limitations if not any(re.search(CONCEPTS["limits"][k]["pattern"], x, re.IGNORECASE)
                                                    for k in later)] or p.limitations
        line = c.line(keep) if c.en else c.concept("limits", None, keep)
        return [line or c.part("limit_unknown")]
    if intent in ("internet", "memory", "feelings"):
        return [_limit(c, intent) or c.part("limit_unknown")]
    if intent == "personality":
        if c.en and c.rng.random() < 0.5:
            line = c.line(p.quirks)
            if line:
                return [line]
        return [c.part("traits") if c.fill["traits"] else c.line(p.quirks) or c.part("limit_unknown")]
    if intent == "opinions":
        out = [c.part("opinion")]
        quirk = c.line(p.quirks) if c.en else ""
        out.append(quirk or (c.part("traits") if c.fill["traits"] else ""))
        return out
    if intent == "off_topic":
        return [c.part("off_topic"), _limit(c, "internet") or c.part("limit_unknown")]
    model, maker = _maker_in(user_text)
    if intent == "challenge":
        out = []
        if model:
            out.append(c.part("deny_model"))
        named_maker = bool(maker and re.search(re.escape(maker), user_text, re.IGNORECASE))
        if maker and (not model or named_maker or c.rng.random() < 0.6):
            out.append(c.part("deny_maker"))
        if not out:
            return [c.part("skeptical")]
        creator = c.fill["creator"].lower()
        if not any(creator in x.lower() for x in out):
            out.append(c.part("creator"))
        if not any(p.name in x for x in out):
            out.append(c.part("name"))
        return out
    if intent == "comparison":
        out = [c.part("deny_model")] if model else [c.part("name")]
        out.append(c.part("compare"))
        return out
    raise ValueError(f"unknown identity intent {intent!r}")


def _fill(persona: Any, lang: str, rng: random.Random, user_text: str) -> dict[str, str]:
    table = TABLES[lang]
    voice = getattr(persona, "voice", {}) or {}
    register = voice.get("register", "casual")
    creator = persona.creator if lang == "en" else re.sub(r"^the ", "", persona.creator)
    skills = [c[lang] for c in CONCEPTS["skills"].values()
              if lang in c and any(re.search(c["pattern"], x, re.IGNORECASE) for x in persona.capabilities)]
    skills = rng.sample(skills, min(len(skills), rng.randint(2, 3))) if skills else ["questions about myself"]
    skill_list = _listing(skills, lang)
    model, maker = _maker_in(user_text)
    model_card = getattr(persona, "model", None) or {}
    return {"name": persona.name, "creator": creator, "Creator": creator[:1].upper() + creator[1:],
            "year": str(persona.year), "maker": maker or "", "model": model or "",
            "skills": skill_list, "Skills": skill_list[:1].upper() + skill_list[1:],
            "tools": _listing([t["function"]["name"] for t in persona.tools()], lang),
            "traits": voice.get("traits", {}).get(lang, ""),
            "langs": _listing([table["language_names"].get(str(x), str(x)) for x in persona.languages], lang),
            "base": str(model_card.get("base", "")), "parameters": str(model_card.get("parameters", "")),
            **table["address"][register]}


def reply(persona: Any, intent: str, language: str, user_text: str, rng: random.Random,
          state: State | None = None) -> str:
    """The persona's reply to `user_text`, which asks `intent`, written in `language`; `state` carries what the
    conversation already said (a fresh one: a first reply)."""
    lang = language if language in TABLES else "en"
    state = state if state is not None else State()
    voice = getattr(persona, "voice", {}) or {}
    c = Ctx(persona, lang, _fill(persona, lang, rng, user_text), rng, state, ASKS[intent])
    parts: list[str] = []
    again = AGAIN.get(intent)
    again = again if again and again in state.said else None
    card_openers = voice.get("openers", {}).get(lang, [])
    general = TABLES[lang].get("openers", {}).get(voice.get("register", "casual"), [])
    openers = [o for o in (*card_openers, *general) if o not in state.sentences
               and not (intent == "challenge" and o.endswith(":"))]  # "So: openAI ..." would lower a maker's name
    if openers and not again and intent != "greeting" and rng.random() < 0.6:
        parts.append(rng.choice(openers))
    if state.turn == 0 and state.name_first and intent not in NAME_BEARING:
        parts.append(c.part("self"))  # name first: answer-first replies measured worse (README, "Fine-tuning")
    if again:
        parts.append(rng.choice(TABLES[lang]["parts"]["again"]))
    parts += [x for x in answer(intent, c, user_text) if x]
    asides = [a for a in voice.get("asides", {}).get(lang, []) if a not in state.sentences]
    if asides and rng.random() < 0.2:
        parts.append(rng.choice(asides))
    elif (intent in ("greeting", "capabilities", "off_topic") and rng.random() < 0.35) or len(" ".join(parts)) < 24:
        parts.append(c.part("offer"))  # a bare "I'm LanBot." is too thin a reply on its own
    text = _join(parts, persona, c.fill["creator"], lang)
    state.sentences |= {s.strip() for s in sentences(text)} | set(parts)
    state.turn += 1
    register = voice.get("register", "casual")
    return _formal(text) if lang == "en" and register == "formal" else text


def _join(parts: list[str], persona: Any, creator: str, lang: str) -> str:
    """Parts as one reply; after an opener ending in ':' the next part continues the sentence (lowercase start)."""
    out = [parts[0]] if parts else []
    for part in parts[1:]:
        if out[-1].endswith(":") and lang != "de":  # "Version courte : je suis ..." (not "Je")
            first = part.split(" ", 1)[0].rstrip(",.")
            if first not in {"I", "I'm", "I'd", "I've", "I'll", *persona.name.split(), *creator.split()} \
                    and not first[:1].isdigit():
                part = part[:1].lower() + part[1:]
        out.append(part)
    return " ".join(out)


def _formal(text: str) -> str:
    for short, full in TABLES["en"]["contractions"].items():
        text = re.sub(rf"(?<![\w']){re.escape(short)}(?![\w'])", full, text)
    return text


# ---------------------------------------------------------------------------------------------------------------
# A whole procedural conversation (generators.identity.run turns it into a record for tasks with procedural=True).

@lru_cache(maxsize=8)
def _persona(card: str) -> Any:
    return load_persona(card)


def conversation(task: dict, check: Callable[[str, int], str | None]) -> tuple[list[dict] | None, str, str]:
    """Every reply of one planned identity conversation, each checked with `check(text, turn)` like a teacher's
    would be. Returns (messages, "", "") or, when a reply fails its check, (None, reason, the reply)."""
    persona = _persona(task.get("card") or task["persona"])
    facets = task["facets"]
    rng = random.Random(task["seed"] ^ 0x1D3A7)
    intents = facets["intents"]
    state = State(name_first=not (set(intents) & NAME_BEARING), planned=list(intents))
    messages: list[dict] = []
    for turn, (user_text, intent) in enumerate(zip(task["user_turns"], intents, strict=True)):
        text = reply(persona, intent, facets["reply_language"], user_text, rng, state)
        reason = check(text, turn)
        if reason:
            return None, f"procedural turn {turn + 1}: {reason}", text
        messages += [{"role": "user", "content": user_text}, {"role": "assistant", "content": text}]
    return messages, "", ""
