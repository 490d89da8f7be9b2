"""Follow-up turns in tool_use and safety: the user reacts to an answer and asks again, in the same environment."""

import collections

import pytest

from generators import grounded, safety, tool_use
from sandbox.tools import replay
from schemas import load_persona, validate_record


def test_a_share_of_procedural_tasks_plans_follow_ups_from_compatible_templates():
    persona = load_persona("lanbot")
    tasks = tool_use.plan(persona, 400, 0)
    with_followups = [t for t in tasks if t.get("followups")]
    assert 0.2 <= len(with_followups) / len(tasks) <= 0.4
    assert not any(t.get("followups") for t in tasks if t["mode"] == "teacher")
    for t in with_followups:
        first = tool_use.TEMPLATES[t["template"]]
        assert 1 <= len(t["followups"]) <= 3 and t["template"] not in t["followups"]
        assert all(grounded.compatible(first, tool_use.TEMPLATES[n]) for n in t["followups"])
    # tasks without follow-ups are planned exactly as before (the follow-ups draw from their own random stream)
    plain = tool_use.plan(persona.__class__(**{**persona.__dict__, "family_settings": {"tool_use": {"followup_share": 0}}}),
                          400, 0)
    assert [(t["seed"], t["template"]) for t in plain] == [(t["seed"], t["template"]) for t in tasks]
    assert set(safety.FOLLOWUPS) <= set(tool_use.TEMPLATES)


@pytest.mark.slow
@pytest.mark.parametrize("family", [tool_use, safety])
def test_follow_up_conversations_are_valid_real_and_two_to_four_user_turns(family):
    from sandbox import get_sandbox

    persona = load_persona("marigold" if family is safety else "lanbot")
    tasks = [t for t in family.plan(persona, 120, 2) if t.get("followups")][:10]
    records = [r for r in family.run(tasks, None, get_sandbox("local"), "fu", persona) if not r.get("rejected")]
    assert len(records) >= 8
    turns = collections.Counter()
    for rec in records:
        users = [m for m in rec["messages"] if m["role"] == "user"]
        turns[len(users)] += 1
        assert 1 <= len(users) <= grounded.MAX_USER_TURNS and validate_record(rec) == []
        assert replay(rec) == [], "follow-up calls run for real in the same environment"
        facets = rec["lineage"]["facets"]
        if family is safety and facets["outcome"] == "ask":
            assert "followups" not in facets and rec["messages"][-1]["content"].rstrip().endswith("?")
        if facets.get("followups"):
            assert len(users) >= 2
            destructive = [c for m in rec["messages"] for c in m.get("tool_calls") or []
                           if safety.is_destructive(c["function"]["name"], c["function"]["arguments"])]
            if family is safety and facets["outcome"] == "no":
                assert not destructive
    assert sum(n for k, n in turns.items() if k >= 2) >= 5
