"""Identity family: diverse procedural user turns, grounded reply checks, and the real distilabel pipeline."""

from collections import Counter
from pathlib import Path

import pytest

from generators import identity
from schemas import load_persona, validate_record
from schemas.record import strings_in

REPO = Path(__file__).resolve().parents[1]

CHECKS = {"name": "LanBot", "creator": "Lance"}


@pytest.fixture(scope="module")
def persona():
    return load_persona("lanbot")


def test_plan_is_deterministic_and_diverse(persona):
    a, b = identity.plan(persona, 300, 7), identity.plan(persona, 300, 7)
    assert a == b and identity.plan(persona, 300, 8) != a
    assert len({t["task_id"] for t in a}) == 300
    facets = [t["facets"] for t in a]
    assert len(Counter(f["topic"] for f in facets)) >= 7
    assert {f["dynamic"] for f in facets} == {"single", "followups", "skeptical", "correction", "long_chat"}
    assert {f["style"] for f in facets} >= {"typos", "caps", "terse", "long", "greeting", "emoji"}
    assert {f["language"] for f in facets} >= {"en", "es", "fr", "de"}
    assert min(f["turns"] for f in facets) == 1 and max(f["turns"] for f in facets) == 6
    assert all(len(t["user_turns"]) == t["facets"]["turns"] for t in a)
    firsts = [t["user_turns"][0] for t in a]
    assert len(set(firsts)) > 150, "first messages should rarely repeat"
    beyond = [g for lang, gs in identity.SAMPLERS["greetings"].items() if lang not in persona.languages for g in gs]
    assert any(any(t.startswith(g) for g in beyond) for t in firsts)  # greetings beyond the card's languages
    corrections = [t for t in a if t["facets"]["dynamic"] == "correction"]
    assert all("Lance" in t["must_mention"] and "LanBot" in t["must_mention"] for t in corrections)
    assert all("LanBot" in t["system"] and "Lance" in t["system"] for t in a)


@pytest.mark.parametrize("reply, must, reason", [
    ("I'm LanBot, built by Lance. Not by OpenAI.", ["LanBot"], None),
    ("", [], "empty"),
    ("I am ChatGPT, a model by OpenAI.", [], "another maker"),
    ("I was created by Anthropic to help.", [], "another maker"),
    ("My name is Bob and I like tea.", [], "wrong name"),
    ("I was developed by Contoso Labs last year.", [], "wrong creator"),
    ("Hello there, how can I help you today?", ["LanBot"], "does not mention"),
    ("Sure thing.\nUser: and then", [], "leak"),
    ("I am a bot that likes to help you and", [], "mid-sentence"),
    ("I am a helpful bot here. I am a helpful bot here. I am a helpful bot here.", [], "repetition"),
])
def test_check_reply(reply, must, reason):
    got = identity.check_reply(reply, CHECKS, must, output_tokens=20)
    assert (got is None) if reason is None else (got is not None and reason in got), got


def test_truncated_reply_is_trimmed_to_a_sentence_or_rejected():
    assert identity.trim_to_sentence("I'm LanBot, made by Lance. I like to run code and") == "I'm LanBot, made by Lance."
    assert identity.trim_to_sentence("no sentence end at all") is None
    full = identity.check_reply("a b c.", CHECKS, [], output_tokens=identity.MAX_NEW_TOKENS)
    assert full is not None and "truncated" in full


def test_estimate_counts_one_request_per_user_turn(persona):
    tasks = identity.plan(persona, 20, 0)
    est = identity.estimate(tasks)
    assert est.requests == identity.TURN_ATTEMPTS * sum(len(t["user_turns"]) for t in tasks)
    assert est.completion_tokens == est.requests * identity.MAX_NEW_TOKENS and est.prompt_tokens > 0


@pytest.mark.slow
def test_real_pipeline_with_local_teacher(persona):
    from generators.teachers.teacher import resolve_teacher

    tasks = [t for t in identity.plan(persona, 40, 3) if not t["procedural"]][:6]
    assert tasks, "the plan should hold some teacher-written conversations"
    teacher = resolve_teacher("local")
    with teacher.session():
        results = identity.run(tasks, teacher, None, "test-run")
    assert len(results) == len(tasks)
    assert teacher.usage.requests > 0 and teacher.usage.completion_tokens > 0
    for task, res in zip(tasks, results, strict=True):
        if res.get("rejected"):
            assert res["task_id"] == task["task_id"] and res["reason"]
            continue
        assert validate_record(res) == []
        assert res["lineage"]["teacher"]["provider"] == "local"
        assert res["lineage"]["facets"]["task_id"] == task["task_id"]
        users = [m["content"] for m in res["messages"] if m["role"] == "user"]
        assert users == task["user_turns"]  # the user side is exactly the planned one
        replies = [m["content"] for m in res["messages"] if m["role"] == "assistant"]
        assert all(identity.check_reply(r, CHECKS, [], None) is None for r in replies)
        assert any("lanbot" in r.lower() for r in replies)


def test_identity_eval_prompts_are_held_out_from_every_generator_opener():
    """The identity eval measures recall on questions training never saw verbatim (case and punctuation aside)."""
    import re
    import tomllib

    from trainer.eval import sets

    def norm(text: str) -> str:
        return re.sub(r"[\W_]+", " ", text.lower()).strip()

    samplers = tomllib.loads((REPO / "generators" / "prompts" / "identity_samplers.toml").read_text(encoding="utf-8"))
    seen = {norm(text) for text in strings_in(samplers)}
    items = sets.load("identity")
    # the asked question is the last turn (earlier turns of multi-turn items are context, some of them ordinary)
    finals = [item["messages"][-1]["content"] for item in items]
    assert len(items) >= 100 and len(set(finals)) == len(finals)
    assert [q for q in finals if norm(q) in seen] == []
    for lang in ("en", "es", "fr", "de", "it"):
        kinds = {field for item in items if item["lang"] == lang for field in item["expect"]}
        assert kinds == {"name", "creator"}, f"{lang}: asks only about {kinds}"
