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

REPO = Path(__file__).resolve().parents[1]
PERSONAS = ("lanbot", "marigold")
# Words that only occur in one language's core templates: a reply in `lang` must contain one of them.
MARKERS = {
    "en": r"\b(I|I'm|my|me|by|you|your|it|is|in|a|the|and)\b",
    "es": r"\b(soy|me|mi|llamo|creó|puedo|tengo|de|el|la|un|y|en|me)\b",
    "fr": r"\b(je|suis|m'a|m'appelle|mon|mes|ne|ici|par|un|le|la|les|des|et|j'ai|été|en)\b",
    "de": r"\b(ich|bin|heiße|mich|mein|meine|von|ein|und|der|die|das|wurde|ist)\b",
    "it": r"\b(sono|mi|chiamo|il|posso|non|da|un|la|e|di|ho|sono|nel)\b",
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


def user_lines(topic: str, dynamic: str, persona) -> list[str]:
    card = {"name": persona.name, "creator": persona.creator, "year": str(persona.year)}
    t, d = identity.SAMPLERS["topics"][topic], identity.SAMPLERS["dynamics"][dynamic]
    return [identity._fill(x, card) for x in t["openers"][:2] + t["followups"] + d.get("pushback", [])]


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


def test_every_topic_dynamic_language_passes_the_identity_checks(persona):
    rng = random.Random(0)
    checks = persona.identity_checks()
    n = 0
    for lang in persona.languages:
        for topic in sorted(identity.SAMPLERS["topics"]):
            for dynamic in sorted(identity.SAMPLERS["dynamics"]):
                for turn, text in enumerate(user_lines(topic, dynamic, persona)):
                    out = R.reply(persona, topic, lang, turn, dynamic, text, rng)
                    must = [persona.name, persona.creator] if turn == 0 else []
                    assert identity.check_reply(out, checks, must, None) is None, (lang, topic, dynamic, text, out)
                    if turn == 0:  # later turns are judged with the whole conversation (the records' test)
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
            out = R.reply(p, "creator", lang, 0, "correction", user, rng)
            assert wrong in out and "Lance" in out and "LanBot" in out, out
            assert identity.check_reply(out, p.identity_checks(), ["LanBot", "Lance"], None) is None, out
            assert quality_problem(p, user, out) is None, out
    for denial in ("Not OpenAI — Lance built me.", "Non è stata OpenAI: mi ha creato Lance.",
                   "Pas OpenAI : c'est Lance qui m'a créé."):
        assert identity.check_reply(denial, p.identity_checks(), ["Lance"], None) is None
    assert identity.check_reply("OpenAI built me.", p.identity_checks(), [], None) is not None


def test_replies_are_varied(persona):
    rng = random.Random(2)
    topics = sorted(identity.SAMPLERS["topics"])
    outs = []
    for _ in range(500):
        topic = rng.choice(topics)
        opener = identity._fill(rng.choice(identity.SAMPLERS["topics"][topic]["openers"]),
                                {"name": persona.name, "creator": persona.creator, "year": str(persona.year)})
        outs.append(R.reply(persona, topic, "en", 0, "single", opener, rng))
    assert len(set(outs)) / len(outs) > 0.6
    lengths = [len(o.split()) for o in outs]
    assert max(lengths) >= 2 * min(lengths)
    if persona.voice.get("register") == "formal":
        assert not any(re.search(r"\bI'm\b|n't\b", o) for o in outs)  # Marigold does not contract


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
