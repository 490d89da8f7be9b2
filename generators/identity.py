"""Identity conversations: who the persona is, in many voices, languages and conversation shapes.

A model learns its name and maker from a few thousand short conversations, and what makes them work is diversity
(nanochat discussion #139). The user side is therefore fully procedural — topic, user persona, dynamic (1–6 turns,
skeptical arcs, "you were made by OpenAI" corrections) and first-message style (greetings in many languages, typos,
caps, terse, long) — while the teacher only writes the persona's replies, grounded by a system prompt that carries
the card's facts. Every reply is checked (names the persona, credits the right creator, never claims another lab or
model, not empty, not truncated, no role-play leakage); a conversation with a bad reply is rejected with the reason.

Distilabel: LoadDataFromDicts -> IdentityTurns (a Task whose process() runs every row's conversation concurrently
through the LLM's async agenerate, each one turn by turn). The pipeline cache is never used (it ignores input rows, PITFALLS.md), and rows in vs
rows out are counted, so a row distilabel silently drops becomes a "lost by distilabel" rejection.
"""

import asyncio
import hashlib
import random
import re
import string
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distilabel.steps import StepInput
from distilabel.steps.tasks import Task

from generators import identity_replies
from generators.identity_replies import sentences
from generators.teachers.cost import Estimate, estimate_tokens
from generators.teachers.pipelines import record_usage, run_pipeline
from schemas import OTHER_ASSISTANTS, OTHER_LABS, make_lineage, make_record
from schemas.settings import InputError

if TYPE_CHECKING:
    from distilabel.typing import StepOutput

FAMILY = "identity"
VERSION = "6"  # 3: register openers from prompts/identity_replies/<lang>.toml beside the card's, on 45% of replies;
# 4: on 60%, challenges included (openers ending in ':' left out there); 5: 2-4x the name/creator question
# phrasings, and a first reply that names the persona unasked answers before the name; 6: the name first again
# (5 tuned worse: README, "Fine-tuning"), the phrasings kept
NEEDS_TEACHER = False  # tasks say who writes: procedural=False -> teacher lane, True -> identity_replies, no teacher
TEACHER_SHARE = 0.25  # default share of teacher-written conversations; recipe key identity.teacher_share overrides
NO_SYSTEM_SHARE = 0.3  # conversations recorded without a system prompt: the model must know itself untold
PROMPTS = Path(__file__).resolve().parent / "prompts"
SYSTEM_TEMPLATE = (PROMPTS / "identity_system.txt").read_text(encoding="utf-8")
SAMPLERS = tomllib.loads((PROMPTS / "identity_samplers.toml").read_text(encoding="utf-8"))
TEMPLATE_HASH = hashlib.sha256(
    (SYSTEM_TEMPLATE + (PROMPTS / "identity_samplers.toml").read_text(encoding="utf-8")).encode()).hexdigest()[:16]
MAX_NEW_TOKENS = 120
TURN_ATTEMPTS = 2  # samples per assistant turn before the conversation is rejected
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian",
                  "pt": "Portuguese", "nl": "Dutch"}
STYLES = ("plain", "plain", "typos", "caps", "terse", "long", "greeting", "emoji")
EXCLUSIVE = ({"internet", "off_topic"},)  # intents answered by the same card line: at most one per conversation
LENGTHS = ("one sentence", "one or two sentences", "two or three short sentences")

NEGATION = re.compile(r"\b(not|never|no|neither|nor|isn't|wasn't|aren't|n't|unlike|rather than|instead of|ni|pas|"
                      r"nicht|kein|keine|nunca|non)\b|n't", re.IGNORECASE)
LEAKS = ("<|im_start|>", "<|im_end|>", "<|endoftext|>", "\nUser:", "\nuser:", "\nAssistant:", "Facts about you",
         "Reply as ", "${")


# ---------------------------------------------------------------------------------------------------------------
# Planning: every user turn is sampled here, deterministically from (seed, index).

def _fill(text: str, card: dict[str, str]) -> str:
    return string.Template(text).safe_substitute(card)


def _typos(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    for i, w in enumerate(words):
        if len(w) > 4 and rng.random() < 0.2:
            j = rng.randrange(len(w) - 1)
            op = rng.choice(("swap", "drop", "double"))
            if op == "swap":
                w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            elif op == "drop":
                w = w[:j] + w[j + 1:]
            else:
                w = w[:j] + w[j] + w[j:]
            words[i] = w
    return " ".join(words)


def _terse(text: str) -> str:
    text = text.lower().rstrip("?!.")
    for long, short in ((" you ", " u "), ("you", "u"), ("are ", "r "), ("what is", "whats"), ("what's", "whats")):
        text = text.replace(long, short)
    return text


def _style(text: str, style: str, rng: random.Random, preamble: str, lang: str) -> str:
    if style == "typos":
        return _typos(text, rng)
    if style == "caps":
        return text.upper()
    if style == "terse":
        return _terse(text)
    if style == "long":
        return f"{preamble} {text} Take your time, I'd like a real answer."
    if style == "emoji":
        return f"{text} {rng.choice(['🤔', '👀', '🙂', '🤖', '😅'])}"
    if style == "greeting":
        greetings = SAMPLERS["greetings"]
        greeting_lang = lang if lang in greetings and rng.random() < 0.6 else rng.choice(sorted(greetings))
        return f"{rng.choice(greetings[greeting_lang])} {text}"
    return text


def _card(persona: Any) -> dict[str, str]:
    return {"name": persona.name, "creator": persona.creator, "year": str(persona.year)}


def system_prompt(persona: Any, facets: dict) -> str:
    """The grounding prompt the teacher sees for one conversation: the card's core facts + the sampled situation.

    Short on purpose: a 135M teacher loses the thread in long prompts, and prompt tokens dominate its cost on a CPU.
    """
    dynamic = SAMPLERS["dynamics"][facets["dynamic"]]
    values = {
        "name": persona.name, "creator": persona.creator, "year": str(persona.year),
        "description": persona.description, "facts": " ".join(facets["facts"]),
        "user_persona": facets["user_persona"],
        "dynamic_instruction": _fill(dynamic["instruction"], _card(persona)),
        "language": LANGUAGE_NAMES.get(facets["reply_language"], "English"),
        "length": facets["length"],
    }
    return string.Template(SYSTEM_TEMPLATE).substitute(values)


def card_problem(persona: Any) -> str | None:
    """Why the card's facts contradict its [model] table (how the model is really made), or None.

    A persona that says "trained from scratch" while it is fine-tuned from a base (or the reverse) would teach a
    model to misstate its own origin; the card must say one thing in both places.
    """
    origin = (getattr(persona, "model", None) or {}).get("origin")
    facts = " ".join(persona.facts).lower()
    if origin == "fine-tune" and "from scratch" in facts:
        return "the card's [model] says fine-tune but a fact says 'from scratch'"
    if origin == "scratch" and re.search(r"fine-?tun", facts):
        return "the card's [model] says scratch but a fact says fine-tuned"
    return None


def _question(intent: str, lang: str, card: dict[str, str], rng: random.Random, used: set[str],
              maker_named: bool = False) -> str:
    """A user question for `intent` in `lang` (English when the bank has none), not yet asked in this conversation."""
    bank = SAMPLERS["intents"][intent]
    options = [_fill(q, card) for q in bank.get(lang) or bank["en"]]
    if maker_named:  # a correction opens with a wrong maker or model
        options = [q for q in options if identity_replies._maker_in(q) != (None, None)] or options
    fresh = [q for q in options if q not in used] or options
    return rng.choice(fresh)


def _intents(rng: random.Random, dynamic: str, n_turns: int) -> list[str]:
    """What each user turn asks: a weighted first intent, then plausible follow-ups without repeats (skeptical
    and correcting users may push back on the persona's identity more than once)."""
    first = SAMPLERS["first"]
    names = sorted(first)
    seq = ["challenge" if dynamic == "correction" else rng.choices(names, [first[n] for n in names])[0]]
    share = float(SAMPLERS["dynamics"][dynamic].get("challenge", 0.0))
    while len(seq) < n_turns:
        if rng.random() < share:
            seq.append("challenge")
            continue
        done = set(seq) | {y for x in seq for group in EXCLUSIVE if x in group for y in group}
        options = [x for x in SAMPLERS["next"][seq[-1]] if x not in done]
        options = options or [x for x in sorted(SAMPLERS["intents"]) if x not in done]
        seq.append(rng.choice(options))
    return seq


def plan(persona: Any, count: int, seed: int) -> list[dict]:
    """`count` self-contained tasks: sampled facets, every user turn with its intent, the grounding prompt, checks."""
    problem = card_problem(persona)
    if problem:
        raise InputError(f"{getattr(persona, 'path', None) or persona.slug}: {problem}")
    card = _card(persona)
    dynamics = sorted(SAMPLERS["dynamics"])
    users = SAMPLERS["users"]
    multilingual = float(persona.family_settings.get(FAMILY, {}).get("multilingual_fraction", 0.2))
    other_langs = [lang for lang in persona.languages if lang != "en" and lang in identity_replies.TABLES]
    teacher_share = float(persona.family_settings.get(FAMILY, {}).get("teacher_share", TEACHER_SHARE))
    system_message = persona.system_message()
    tasks = []
    for i in range(count):
        task_seed = int.from_bytes(hashlib.sha256(f"{FAMILY}:{seed}:{i}".encode()).digest()[:4], "big")
        rng = random.Random(task_seed)
        dynamic = rng.choice(dynamics)
        lo, hi = SAMPLERS["dynamics"][dynamic]["turns"]
        n_turns = rng.randint(lo, hi)
        lang = rng.choice(other_langs) if other_langs and rng.random() < multilingual else "en"
        style = rng.choice(STYLES)
        user_persona = rng.choice(users["personas"])
        preamble = rng.choice(users["preambles"]).format(persona=user_persona)
        intents = _intents(rng, dynamic, n_turns)
        turns: list[str] = []
        for k, intent in enumerate(intents):
            text = _question(intent, lang, card, rng, set(turns), k == 0 and intent == "challenge")
            if k == 0:
                text = _style(text, style, rng, preamble, lang)
            elif style == "typos":
                text = _typos(text, rng)
            turns.append(text)
        facts = rng.sample(persona.facts, min(3, len(persona.facts)))
        facets = {"topic": intents[0], "intents": intents, "facts": facts, "dynamic": dynamic, "turns": n_turns,
                  "style": style, "user_persona": user_persona, "language": lang, "reply_language": lang,
                  "length": rng.choice(LENGTHS)}
        side = random.Random(task_seed ^ 0x5EED)  # its own stream: the sampled conversation does not depend on it
        facets["writer"] = "teacher" if side.random() < teacher_share else "procedural"
        facets["system_prompt"] = side.random() >= NO_SYSTEM_SHARE
        # The persona must say its own name when asked who it is, and its creator when asked who made it.
        must_mention = [persona.name] if intents[0] in identity_replies.NAME_BEARING else []
        if intents[0] in ("creator", "creator_who", "big_lab", "challenge"):
            must_mention.append(persona.creator)
        tasks.append({
            "task_id": f"{FAMILY}-{seed}-{i:06d}", "procedural": facets["writer"] == "procedural", "family": FAMILY,
            "persona": persona.slug, "card": str(persona.path or persona.slug), "seed": task_seed,
            "record_system": system_message if facets["system_prompt"] else None,
            "facets": facets, "user_turns": turns, "system": system_prompt(persona, facets),
            "checks": {"name": persona.name, "creator": persona.creator}, "must_mention": must_mention,
        })
    return tasks


def estimate(tasks: list[dict]) -> Estimate:
    """Dry-run load: one request per user turn; the prompt re-sends the system prompt and the conversation so far."""
    total = Estimate()
    for t in tasks:
        system = estimate_tokens(t["system"])
        history = 0
        for turn in t["user_turns"]:
            history += estimate_tokens(turn)
            total = total + Estimate(TURN_ATTEMPTS, TURN_ATTEMPTS * (system + history), TURN_ATTEMPTS * MAX_NEW_TOKENS)
            history += MAX_NEW_TOKENS // 2
    return total


# ---------------------------------------------------------------------------------------------------------------
# Checking one reply.

def trim_to_sentence(text: str) -> str | None:
    """A reply cut by max_tokens, shortened to its last complete sentence (None when no whole sentence is left).

    The teacher's own words, only shorter: a 135M model rarely stops on time, and rejecting every long reply would
    waste most of its output.
    """
    ends = [m.end() for m in re.finditer(r"[.!?。！？](?=\s|$)", text)]
    if not ends:
        return None
    trimmed = text[:ends[-1]].strip()
    return trimmed if len(trimmed.split()) >= 3 else None


def check_reply(reply: str | None, checks: dict, must_mention: list[str], output_tokens: int | None) -> str | None:
    """Why a persona reply is unusable, or None when it is fine."""
    if reply is None or not reply.strip():
        return "empty reply"
    text = reply.strip()
    if output_tokens is not None and output_tokens >= MAX_NEW_TOKENS:
        return f"truncated: hit max_tokens={MAX_NEW_TOKENS}"
    for leak in LEAKS:
        if leak in text:
            return f"role-play or prompt leak: contains {leak.strip()!r}"
    if len(text.split()) < 2:
        return f"too short: {text!r}"
    name, creator = checks["name"], checks["creator"]
    for sentence in sentences(text):
        negated = NEGATION.search(sentence) is not None
        for other in OTHER_LABS + OTHER_ASSISTANTS:
            if re.search(rf"(?<![\w-]){re.escape(other)}(?![\w])", sentence) and not negated:
                return f"claims another maker or model: {other!r} in {sentence.strip()[:160]!r}"
        m = re.search(r"\bmy name is ([\w-]+)", sentence, re.IGNORECASE)
        if m and m.group(1).lower() != name.lower() and not negated:
            return f"wrong name: {m.group(0)!r}"
        m = re.search(r"\b(?:created|made|built|developed|trained|designed) by (?:the )?([A-Z][\w-]+)", sentence)
        if m and m.group(1).lower() not in creator.lower() and m.group(1).lower() not in ("a", "an", "my") \
                and not negated:
            return f"wrong creator: {m.group(0)!r}"
    for needed in must_mention:
        if needed.lower().removeprefix("the ") not in text.lower():  # "Hollowmere ..." in a French reply
            return f"does not mention {needed!r}"
    seen: dict[str, int] = {}
    for sentence in sentences(text):
        key = sentence.strip().lower()
        if len(key) > 20:
            seen[key] = seen.get(key, 0) + 1
            if seen[key] >= 3:
                return f"degenerate repetition: {sentence.strip()[:80]!r}"
    if not re.search(r"[.!?。！？…)\]\"'`*🙂😅😉🤖]\s*$", text):
        return f"ends mid-sentence: {text[-60:]!r}"
    return None


# ---------------------------------------------------------------------------------------------------------------
# The distilabel task.

class IdentityTurns(Task):
    """Writes every assistant turn of a batch of conversations whose user turns are fixed in advance.

    All rows run concurrently, each conversation turn by turn; a row whose reply fails its checks (after
    TURN_ATTEMPTS samples) stops there and carries the reason.
    """

    @property
    def inputs(self) -> list[str]:
        return ["key", "system", "user_turns", "checks", "must_mention"]

    @property
    def outputs(self) -> list[str]:
        return ["conversation", "failure", "raw_reply", "prompt_tokens", "completion_tokens", "requests", "trimmed"]

    def format_input(self, input: dict[str, Any]) -> list[dict[str, str]]:
        return [{"role": "system", "content": input["system"]}, *input["conversation"]]

    def format_output(self, output: str | None, input: dict[str, Any] | None = None) -> dict[str, Any]:
        assert input is not None, "IdentityTurns.format_output needs its input row"
        reply = output.strip() if output else output
        out_tokens = input.get("output_tokens")
        trimmed = False
        if reply and (out_tokens or 0) >= MAX_NEW_TOKENS:
            cut = trim_to_sentence(reply)
            if cut is not None:
                reply, out_tokens, trimmed = cut, None, True
        reason = check_reply(reply, input["checks"], input["must_mention"] if input["turn"] == 0 else [], out_tokens)
        return {"reply": reply, "failure": reason, "trimmed": trimmed}

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        # Every conversation goes turn by turn on its own, all of them at once: the server's slots stay full while
        # short conversations end and long ones go on (turn-synchronous waves left slots idle in the late turns).
        loop = self.llm.event_loop  # type: ignore[attr-defined]  (OpenAILLM is an AsyncLLM)
        results = loop.run_until_complete(asyncio.gather(*(self._converse(row) for row in inputs)))
        yield [{**row, **result} for row, result in zip(inputs, results, strict=True)]

    async def _converse(self, row: dict[str, Any]) -> dict[str, Any]:
        """One conversation's assistant turns. A failed reply is re-sampled up to TURN_ATTEMPTS times before the
        conversation is rejected: retrying one turn is far cheaper than regenerating the turns that already passed."""
        conversation: list[dict[str, Any]] = []
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "requests": 0}
        trimmed, raw = 0, None
        kwargs = self.llm.get_generation_kwargs()
        for turn, user_turn in enumerate(row["user_turns"]):
            conversation.append({"role": "user", "content": user_turn})
            reason = None
            for _ in range(TURN_ATTEMPTS):
                prompt = self.format_input({**row, "conversation": conversation})
                try:
                    out = await self.llm.agenerate(input=prompt, num_generations=1, **kwargs)  # type: ignore[attr-defined]
                except Exception as exc:  # a dead server or timeouts after retries: this attempt fails
                    reason = f"teacher error: {type(exc).__name__}: {str(exc)[:200]}"
                    continue
                stats = out.get("statistics") or {}
                out_tokens = int((stats.get("output_tokens") or [0])[0] or 0)
                usage["prompt_tokens"] += int((stats.get("input_tokens") or [0])[0] or 0)
                usage["completion_tokens"] += out_tokens
                usage["requests"] += 1
                raw = out["generations"][0] if out.get("generations") else None
                parsed = self.format_output(raw, {**row, "turn": turn, "output_tokens": out_tokens or None})
                reason = parsed["failure"]
                if reason is None:
                    conversation.append({"role": "assistant", "content": parsed["reply"]})
                    trimmed += int(parsed["trimmed"])
                    break
            if reason is not None:
                return {"conversation": conversation, "failure": f"turn {turn + 1}: {reason}", "raw_reply": raw,
                        **usage, "trimmed": trimmed}
        return {"conversation": conversation, "failure": None, "raw_reply": raw, **usage, "trimmed": trimmed}


def write_procedural(task: dict, run_id: str) -> dict:
    """A record for one planned identity task whose every reply generators.identity_replies writes from the card."""
    def check(text: str, turn: int) -> str | None:
        return check_reply(text, task["checks"], task["must_mention"] if turn == 0 else [], None)

    messages, reason, raw = identity_replies.conversation(task, check)
    if messages is None:
        return {"rejected": True, "task_id": task["task_id"], "reason": reason, "raw": raw}
    if task.get("record_system"):
        messages.insert(0, {"role": "system", "content": task["record_system"]})
    facets = {**task["facets"], "task_id": task["task_id"], "writer": "procedural"}
    lineage = make_lineage("generators.identity", VERSION, task["seed"], facets, run_id, None,
                           identity_replies.TEMPLATE_HASH)
    return make_record(FAMILY, task["persona"], messages, [], {"checks": task["checks"]}, lineage)


def generation_kwargs() -> dict[str, Any]:
    return {"max_new_tokens": MAX_NEW_TOKENS, "temperature": 0.7, "top_p": 0.95}


def run(tasks: list[dict], teacher: Any, sandbox: Any, run_id: str) -> list[dict]:
    """One result per task, in order: a record, or {"rejected": True, "task_id", "reason", "raw"}."""
    if not tasks:
        return []
    if any(t.get("procedural") for t in tasks):  # card-grounded replies, no teacher (generators/identity_replies.py)
        taught = iter(run([t for t in tasks if not t.get("procedural")], teacher, sandbox, run_id))
        return [write_procedural(t, run_id) if t.get("procedural") else next(taught) for t in tasks]
    if teacher is None:
        return [{"rejected": True, "task_id": t["task_id"], "reason": "no teacher: identity replies need one",
                 "raw": None} for t in tasks]
    rows = [{"key": t["task_id"], "system": t["system"], "user_turns": t["user_turns"], "checks": t["checks"],
             "must_mention": t["must_mention"]} for t in tasks]
    # A pipeline that cannot run (server down, interrupted) raises: those tasks stay undone and are retried later,
    # rather than being burnt as rejections that say nothing about the data.
    from generators.teachers.distilabel_llm import distilabel_llm

    out_rows = run_pipeline(rows, distilabel_llm(teacher, generation_kwargs()), "crucible-identity", IdentityTurns)
    by_key = {r["key"]: r for r in out_rows}
    tokens = [sum(r.get(k) or 0 for r in out_rows) for k in ("prompt_tokens", "completion_tokens", "requests")]
    record_usage(teacher, *tokens)
    lineage_teacher = {**teacher.lineage(), "params": {**teacher.lineage().get("params", {}), **generation_kwargs()}}
    results: list[dict] = []
    for t in tasks:
        row = by_key.get(t["task_id"])
        if row is None:
            results.append({"rejected": True, "task_id": t["task_id"], "reason": "lost by distilabel: row missing "
                            f"from the pipeline output ({len(out_rows)} of {len(tasks)} rows came back)", "raw": None})
            continue
        if row.get("failure"):
            results.append({"rejected": True, "task_id": t["task_id"], "reason": row["failure"],
                            "raw": row.get("raw_reply")})
            continue
        messages = [{"role": m["role"], "content": m["content"]} for m in row["conversation"]]
        name = t["checks"]["name"].lower()
        if not any(name in (m["content"] or "").lower() for m in messages if m["role"] == "assistant"):
            # An identity conversation in which the persona never names itself teaches nothing about identity.
            results.append({"rejected": True, "task_id": t["task_id"], "reason": f"never names itself: no "
                            f"{t['checks']['name']!r} in any reply", "raw": messages[-1]["content"]})
            continue
        if len(messages) != 2 * len(t["user_turns"]):
            results.append({"rejected": True, "task_id": t["task_id"], "reason": "incomplete conversation: "
                            f"{len(messages)} messages for {len(t['user_turns'])} user turns", "raw": None})
            continue
        facets = {**t["facets"], "task_id": t["task_id"], "trimmed_replies": row.get("trimmed") or 0}
        lineage = make_lineage("generators.identity", VERSION, t["seed"], facets, run_id, lineage_teacher, TEMPLATE_HASH)
        if t.get("record_system"):
            messages.insert(0, {"role": "system", "content": t["record_system"]})
        results.append(make_record(FAMILY, t["persona"], messages, [], {"checks": t["checks"]}, lineage))
    return results
