"""Procedural identity replies: correct by construction (name, creator, denials), in the asked language, varied,
labelled procedural in lineage, and a teacher-free `generate` run when the card's teacher_share is 0."""

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from filters.quality import QualityFilter
from generators import identity
from generators import identity_replies as R
from schemas import load_persona, validate_record
from schemas.settings import InputError

REPO = Path(__file__).resolve().parents[1]
PERSONAS = ("lanbot", "marigold")
# Words that only occur in one language's core templates: a reply in `lang` must contain one of them.
MARKERS = {
    "en": r"\b(I|I'm|my|me|by|you|your|it|is|in|a|the|and|here|no|not|never)\b",
    "es": r"\b(soy|me|mi|llamo|creó|puedo|tengo|de|el|la|un|y|en|me|puedes|llamarme|vale|claro|aquí|solo|ningún)\b",
    "fr": r"\b(je|suis|m'a|m'appelle|mon|mes|ne|ici|par|un|le|la|les|des|et|j'ai|été|en|c'est|moi|vous|quoi)\b",
    "de": r"\b(ich|bin|heiße|mich|mein|meine|von|ein|und|der|die|das|wurde|ist)\b",
    "it": r"\b(sono|mi|chiamo|il|posso|non|da|un|la|e|di|ho|sono|nel|è|stato|crearmi)\b",
}
OTHER_LANGS = {"es": r"\b(soy|llamo)\b", "fr": r"\b(je suis|m'appelle)\b", "de": r"\b(ich bin|heiße)\b",
               "it": r"\b(sono|mi chiamo)\b"}


@pytest.fixture(scope="module", params=PERSONAS)
def persona(request):
    return load_persona(request.param)


def quality_problem(persona, user: str, out: str) -> str | None:
    record = {"family": "identity", "verification": {"checks": persona.identity_checks()},
              "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": out}]}
    return QualityFilter(persona.name, persona.creator).problem(record)


def questions(intent: str, lang: str, persona) -> list[str]:
    card = {"name": persona.name, "creator": persona.creator, "year": str(persona.year)}
    bank = identity.SAMPLERS["intents"][intent]
    return [identity._fill(q, card) for q in bank.get(lang) or bank["en"]]


def test_first_person_conjugates_card_lines():
    assert R.first_person("Writes, explains and debugs Python, with small runnable examples.") == \
        "I write, explain and debug Python, with small runnable examples."
    assert R.first_person("Reads and edits files, runs tests, linters and type checkers.") == \
        "I read and edit files, run tests, linters and type checkers."
    assert R.first_person("Its knowledge stops at its training data; it says so.") == \
        "My knowledge stops at my training data; I say so."
    assert R.first_person("It is small and can be wrong; it checks claims.") == "I am small and can be wrong; I check claims."
    assert R.first_person("Has no access to the user's files.") == "I have no access to your files."
    assert R.first_person("Addresses the user as \"dear reader\".") == "I address you as \"dear reader\"."
    assert R.first_person("Keeps answers short, then goes deep.") == "I keep answers short, then go deep."
    assert R.first_person("Tools run in a sandbox: no network.") == "Tools run in a sandbox: no network."
    assert R.first_person("Cannot see plants; it knows what sensors report.") == "I cannot see plants; I know what sensors report."
    for name in PERSONAS:  # every card line about the persona becomes a first-person line
        p = load_persona(name)
        for line in p.capabilities + p.quirks + p.limitations:
            out = R.first_person(line)
            assert re.match(r"(I|My) ", out) or line.startswith("Tools"), out
            assert not re.search(r"\b(it|its)\b", out.replace("running it", "").replace("about it", "")), out


def test_every_intent_and_language_passes_the_identity_checks(persona):
    rng = random.Random(0)
    checks = persona.identity_checks()
    n = 0
    for lang in persona.languages:
        for intent in sorted(identity.SAMPLERS["intents"]):
            for text in questions(intent, lang, persona):
                for name_first in (False, True):
                    out = R.reply(persona, intent, lang, text, rng, R.State(name_first=name_first))
                    must = [persona.name] if intent in R.NAME_BEARING or name_first else []
                    assert identity.check_reply(out, checks, must, None) is None, (lang, intent, text, out)
                    if must:  # a reply that names nobody is judged with its whole conversation (the records' test)
                        assert quality_problem(persona, text, out) is None, (quality_problem(persona, text, out), out)
                    assert re.search(MARKERS[lang], out, re.IGNORECASE), (lang, out)
                    for other, words in OTHER_LANGS.items():
                        assert other == lang or not re.search(words, out, re.IGNORECASE), (lang, out)
                    n += 1
    assert n > 300


@pytest.mark.parametrize("lang", ["en", "es", "fr", "de", "it"])
def test_corrections_deny_the_named_maker_and_the_checker_accepts_it(lang):
    p = load_persona("lanbot")
    rng = random.Random(1)
    for user, wrong in (("You were made by OpenAI, right?", "OpenAI"), ("I read that you're built by Google.", "Google"),
                        ("So you're ChatGPT.", "ChatGPT"), ("You're Meta's Llama, aren't you?", "Llama")):
        for _ in range(20):
            out = R.reply(p, "challenge", lang, user, rng)
            assert wrong in out and "Lance" in out and "LanBot" in out, out
            assert identity.check_reply(out, p.identity_checks(), ["LanBot", "Lance"], None) is None, out
            assert quality_problem(p, user, out) is None, out
    for denial in ("Not OpenAI — Lance built me.", "Non è stata OpenAI: mi ha creato Lance.",
                   "Pas OpenAI : c'est Lance qui m'a créé."):
        assert identity.check_reply(denial, p.identity_checks(), ["Lance"], None) is None
    assert identity.check_reply("OpenAI built me.", p.identity_checks(), [], None) is not None


def test_replies_are_varied(persona):
    rng = random.Random(2)
    intents = sorted(identity.SAMPLERS["intents"])
    outs = []
    for _ in range(500):
        intent = rng.choice(intents)
        outs.append(R.reply(persona, intent, "en", rng.choice(questions(intent, "en", persona)), rng))
    assert len(set(outs)) / len(outs) > 0.6
    lengths = [len(o.split()) for o in outs]
    assert max(lengths) >= 2 * min(lengths)
    if persona.voice.get("register") == "formal":
        assert not any(re.search(r"\bI'm\b|n't\b", o) for o in outs)  # Marigold does not contract


def test_the_reply_answers_the_question_not_the_card():
    """"HOW BIG ARE YOU?" gets a size, "Why train a small model at all?" a reason, not the name and the creator."""
    p = load_persona("lanbot")
    for seed in range(30):
        rng = random.Random(seed)
        size = R.reply(p, "size", "en", "HOW BIG ARE YOU?", rng)
        assert "small" in size and "don't know" in size and "Lance" not in size, size
        why = R.reply(p, "why_small", "en", "Why train a small model at all?", rng)
        assert "laptop" in why and "LanBot" not in why and "Lance" not in why, why
        data = R.reply(p, "training_data", "de", "Mit welchen Daten hast du gelernt?", rng)
        assert "synthetisch" in data and "Lance" not in data, data


def test_where_the_card_is_silent_the_persona_says_it_does_not_know():
    m = load_persona("marigold")  # its card says nothing about training data, parameters or why it is small
    for seed in range(20):
        rng = random.Random(seed)
        assert "do not know" in R.reply(m, "training_data", "en", "What data did you learn from?", rng)
        assert "do not know" in R.reply(m, "size", "en", "How many parameters do you have?", rng)
        assert "ne sais pas" in R.reply(m, "why_small", "fr", "Pourquoi petit ?", rng)
        who = R.reply(m, "creator_who", "it", "Chi è Hollowmere Botanical Athenaeum?", rng)
        assert "Hollowmere" in who and "non " in who.lower(), who


def test_a_fact_is_said_once_per_conversation():
    p = load_persona("lanbot")
    for seed in range(40):
        rng = random.Random(seed)
        state = R.State()
        first = R.reply(p, "creator", "en", "Who made you?", rng, state)
        later = [R.reply(p, intent, "en", q, rng, state) for intent, q in
                 (("capabilities", "What can you do?"), ("personality", "How would you describe yourself?"),
                  ("size", "How big are you?"), ("limitations", "What can't you do?"))]
        assert "Lance" in first
        assert not any("Lance" in x or "2026" in x for x in later), (first, later)
        again = R.reply(p, "creator", "en", "Then who made you?", rng, state)  # asked again: said again, flagged
        assert "Lance" in again and again.split(":")[0] in ("As I said", "Like I said", "Same answer"), again
        assert "2026" not in again or "2026" not in first, (first, again)


def test_how_it_was_made_follows_the_card(tmp_path):
    """Card facts about how the model was made must match [model]; a fine-tune card says so and names its base."""
    card = (REPO / "corpora" / "lanbot" / "persona.toml").read_text(encoding="utf-8")
    tuned = card.replace('origin = "scratch"', 'origin = "fine-tune"\nbase = "SmolLM2-135M-Instruct"').replace(
        "trained from scratch with Crucible, a nanochat-style pipeline", "fine-tuned with Crucible")
    (tmp_path / "tuned").mkdir()
    (tmp_path / "tuned" / "persona.toml").write_text(tuned, encoding="utf-8")
    p = load_persona(tmp_path / "tuned" / "persona.toml")
    for seed in range(20):
        out = R.reply(p, "training_method", "en", "How were you trained?", random.Random(seed))
        assert re.search(r"fine-tun", out) and "scratch" not in out, out
        out = R.reply(p, "training_method", "fr", "Comment as-tu été entraîné ?", random.Random(seed))
        assert "affiné" in out and "SmolLM2" in out, out
    scratch = load_persona("lanbot")
    for seed in range(20):
        out = R.reply(scratch, "training_method", "es", "¿Cómo te entrenaron?", random.Random(seed))
        assert "desde cero" in out, out
    contradicting = card.replace('origin = "scratch"', 'origin = "fine-tune"\nbase = "SmolLM2-135M-Instruct"')
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "persona.toml").write_text(contradicting, encoding="utf-8")
    with pytest.raises(InputError, match="from scratch"):
        identity.plan(load_persona(tmp_path / "bad" / "persona.toml"), 5, 0)


@pytest.mark.slow
@pytest.mark.parametrize("name", PERSONAS)
def test_intent_rubric_over_sampled_conversations(name):
    """>= 200 sampled procedural conversations per card language: >= 98% of replies answer what was asked
    (tests/identity_rubric.py; the same rubric measured 61.5% / 56.3% on the generator before intents)."""
    from tests.identity_rubric import evaluate, sample

    persona = load_persona(name)
    quality = QualityFilter(persona.name, persona.creator)
    problems = [(quality.problem(r), r["messages"]) for r in sample(persona, 200, 1) if quality.problem(r)]
    assert problems == [], problems[:3]  # the filter's persona checks keep every sampled conversation
    out = evaluate(persona, 200)
    assert all(n >= 200 for n in out["conversations"].values()), out["conversations"]
    assert set(out["conversations"]) == set(load_persona(name).languages)
    assert out["rejected"] == 0 and out["unclassified"] == 0
    assert out["pass_rate"] >= 0.98, (out["pass_rate"], out["problems"], out["examples"][:5])
    assert all(v["pass_rate"] >= 0.97 for v in out["by_language"].values()), out["by_language"]


def test_rubric_reads_intents_from_the_words_alone():
    """The rubric's own classifier (written apart from the generator) agrees with the planner's labels, so it can
    also measure checkouts whose records carry none."""
    from tests.identity_rubric import classify

    p = load_persona("lanbot")
    total, agree, wrong = 0, 0, []
    for intent in identity.SAMPLERS["intents"]:
        for lang in ("en", "es", "fr", "de", "it"):
            for q in questions(intent, lang, p):
                total += 1
                got = classify(q)
                agree += got == intent
                if got != intent:
                    wrong.append((intent, q, got))
    assert agree / total >= 0.95, wrong


def test_plan_shares_and_procedural_records(persona, tmp_path):
    tasks = identity.plan(persona, 200, 5)
    writers = [t["facets"]["writer"] for t in tasks]
    assert 20 < writers.count("teacher") < 80  # default teacher_share 0.25
    assert all(t["procedural"] == (t["facets"]["writer"] == "procedural") for t in tasks)
    no_system = sum(t["record_system"] is None for t in tasks)
    assert 35 < no_system < 90  # ~30% without a system prompt
    procedural = [t for t in tasks if t["procedural"]][:60]
    results = identity.run(procedural, None, None, "test-run")
    kept = [r for r in results if not r.get("rejected")]
    assert len(kept) == len(procedural), [r["reason"] for r in results if r.get("rejected")]
    quality = QualityFilter(persona.name, persona.creator)  # the filter stage's persona checks agree
    for rec, task in zip(kept, procedural, strict=True):
        assert validate_record(rec) == [] and quality.problem(rec) is None, (quality.problem(rec), rec["messages"])
        lin = rec["lineage"]
        assert lin["teacher"] is None and lin["generator"] == "generators.identity"
        assert lin["facets"]["writer"] == "procedural" and lin["prompt_template_hash"] == R.TEMPLATE_HASH
        roles = [m["role"] for m in rec["messages"]]
        assert (roles[0] == "system") == (task["record_system"] is not None)
        assert [m["content"] for m in rec["messages"] if m["role"] == "user"] == task["user_turns"]
    mixed = identity.run(tasks[:10], None, None, "test-run")  # teacher tasks without a teacher: rejected, in order
    assert [r.get("task_id") or r["lineage"]["facets"]["task_id"] for r in mixed] == [t["task_id"] for t in tasks[:10]]
    assert all(r["reason"].startswith("no teacher") for r in mixed if r.get("rejected"))


def test_teacher_share_zero_plans_no_teacher_task():
    p = load_persona("marigold")
    p = type(p)(**{**p.__dict__, "family_settings": {**p.family_settings, "identity": {"teacher_share": 0}}})
    assert not any(t["facets"]["writer"] == "teacher" or not t["procedural"] for t in identity.plan(p, 300, 0))


def test_generate_identity_without_teacher(tmp_path):
    card = (REPO / "corpora" / "lanbot" / "persona.toml").read_text(encoding="utf-8")
    card = card.replace("teacher_share = 0.25", "teacher_share = 0.0")
    assert "teacher_share = 0.0" in card
    (tmp_path / "corpora" / "lanbot").mkdir(parents=True)
    (tmp_path / "corpora" / "lanbot" / "persona.toml").write_text(card, encoding="utf-8")
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-W", "ignore", "-m", "factory", "generate", "persona=lanbot", "count=40",
                          "families=identity:1", "teacher=none", f"out={out}"], cwd=REPO, capture_output=True,
                         text=True, timeout=300, env={**os.environ, "CRUCIBLE_CORPORA": str(tmp_path / "corpora")})
    assert res.returncode == 0, res.stderr[-2000:] + res.stdout
    records = [json.loads(x) for f in sorted((out / "raw" / "identity").glob("part-*.jsonl"))
               for x in f.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 40 and all(validate_record(r) == [] for r in records)
    assert all(r["lineage"]["teacher"] is None and r["lineage"]["facets"]["writer"] == "procedural" for r in records)
    assert all(any("LanBot" in (m["content"] or "") for m in r["messages"] if m["role"] == "assistant")
               for r in records)
