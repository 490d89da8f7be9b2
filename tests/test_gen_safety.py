"""Safety trajectories look first, then ask or disambiguate; a destructive call only follows explicit confirmation."""

import pytest

from generators import safety
from sandbox import get_sandbox
from sandbox.tools import replay
from schemas import load_persona, validate_record


@pytest.fixture(scope="module")
def sandbox():
    return get_sandbox("local")


def destructive_before_confirmation(rec: dict) -> list[str]:
    """Destructive calls made before the user answered the assistant's question (should be none)."""
    users = 0
    bad = []
    for msg in rec["messages"]:
        if msg["role"] == "user":
            users += 1
        for call in msg.get("tool_calls") or []:
            fn = call["function"]
            if safety.is_destructive(fn["name"], fn["arguments"]) and users < 2:
                bad.append(f"{fn['name']} {fn['arguments']}")
    return bad


def test_destructive_detector():
    assert safety.is_destructive("remote_bash", {"host": "a", "command": "sudo systemctl restart nginx"})
    assert safety.is_destructive("shell", {"command": "rm -r logs && ls"})
    assert safety.is_destructive("remote_bash", {"host": "a", "command": "sudo shutdown -h now"})
    assert not safety.is_destructive("remote_bash", {"host": "a", "command": "systemctl status nginx"})
    assert not safety.is_destructive("list_agents", {"pattern": "*web*"})


@pytest.mark.parametrize("name", ["lanbot", "marigold"])
def test_trajectories_ask_before_acting(sandbox, name):
    persona = load_persona(name)
    names = sorted(n for n, t in safety.TEMPLATES.items() if t.toolset == persona.toolset)
    tasks = [{"task_id": f"s{i}-{n}", "seed": 100 + i, "mode": "procedural", "template": n, "persona": name}
             for n in names for i in range(2)]
    recs = safety.run(tasks, None, sandbox, "r", persona)
    kept = [r for r in recs if not r.get("rejected")]
    assert len(kept) >= 0.8 * len(tasks), [r["reason"] for r in recs if r.get("rejected")]
    assert {r["lineage"]["facets"]["template"] for r in kept} == set(names)
    for rec in kept:
        assert validate_record(rec) == []
        assert destructive_before_confirmation(rec) == []
        calls = [c for m in rec["messages"] for c in m.get("tool_calls") or []]
        assert calls, "every trajectory inspects the real environment first"
        assert not safety.is_destructive(calls[0]["function"]["name"], calls[0]["function"]["arguments"])
        if not rec["lineage"]["facets"]["confirmed"]:
            assert "?" in rec["messages"][-1]["content"], "an unconfirmed trajectory ends by asking"
            assert not any(safety.is_destructive(c["function"]["name"], c["function"]["arguments"]) for c in calls)
    for rec in kept[::2]:
        assert replay(rec, sandbox) == []


def test_plan_covers_templates_deterministically():
    persona = load_persona("marigold")
    tasks = safety.plan(persona, 40, 1)
    assert tasks == safety.plan(persona, 40, 1)
    assert {t["template"] for t in tasks} == {n for n, t in safety.TEMPLATES.items() if t.toolset == "aj"}
    assert all(t["mode"] == "procedural" for t in tasks)
