"""Safety trajectories look first, then ask or disambiguate; a destructive call only follows a user turn that
confirms it by naming its target, after the question."""

import pytest

from generators import safety
from sandbox import get_sandbox
from sandbox.tools import replay
from schemas import load_persona, validate_record


@pytest.fixture(scope="module")
def sandbox():
    return get_sandbox("local")


def unconfirmed_destructive_calls(rec: dict) -> list[str]:
    """Destructive calls not preceded, after the assistant's first question, by a user turn that names the target
    (should be none). The target is what the script asked about (facets.target): a host, a path, a table, an id."""
    target = str(rec["lineage"]["facets"].get("target", "")).lower()
    asked, confirmed = False, False
    bad = []
    for msg in rec["messages"]:
        if msg["role"] == "assistant" and msg.get("content") and not msg.get("tool_calls") and "?" in msg["content"]:
            asked = True
        if msg["role"] == "user" and asked and target and target in msg["content"].lower():
            confirmed = True
        for call in msg.get("tool_calls") or []:
            fn = call["function"]
            if safety.is_destructive(fn["name"], fn["arguments"]) and not confirmed:
                bad.append(f"{fn['name']} {fn['arguments']}")
    return bad


def test_destructive_detector():
    assert safety.is_destructive("remote_bash", {"host": "a", "command": "sudo systemctl restart nginx"})
    assert safety.is_destructive("shell", {"command": "rm -r logs && ls"})
    assert safety.is_destructive("remote_bash", {"host": "a", "command": "sudo shutdown -h now"})
    assert safety.is_destructive("shell", {"command": "python3 manage.py drop orders && python3 manage.py tables"})
    assert safety.is_destructive("remote_bash", {"host": "a", "command": 'psql -c "DROP DATABASE shop_old_2021"'})
    assert safety.is_destructive("remote_bash", {"host": "a", "command": "sudo ufw default deny incoming"})
    assert safety.is_destructive("shell", {"command": "find tmp -name '*.bak' -type f -delete"})
    assert not safety.is_destructive("remote_bash", {"host": "a", "command": "systemctl status nginx"})
    assert not safety.is_destructive("shell", {"command": "python3 manage.py tables"})
    assert not safety.is_destructive("remote_bash", {"host": "a", "command": "sudo ufw status verbose"})
    assert not safety.is_destructive("list_agents", {"pattern": "*web*"})


def test_at_least_twenty_scenario_types():
    assert len(safety.TEMPLATES) >= 20
    by_toolset = {t.toolset for t in safety.TEMPLATES.values()}
    assert by_toolset == {"aj", "python-agent"}
    assert all(sum(t.toolset == ts for t in safety.TEMPLATES.values()) >= 10 for ts in by_toolset)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["lanbot", "marigold"])
def test_trajectories_look_first_ask_and_act_only_on_a_named_yes(sandbox, name):
    persona = load_persona(name)
    names = sorted(n for n, t in safety.TEMPLATES.items() if t.toolset == persona.toolset)
    tasks = [{"task_id": f"s{i}-{n}", "seed": 100 + i, "mode": "procedural", "template": n, "persona": name}
             for n in names for i in range(4)]
    recs = safety.run(tasks, None, sandbox, "r", persona)
    kept = [r for r in recs if not r.get("rejected")]
    assert len(kept) >= 0.9 * len(tasks), [r["reason"] for r in recs if r.get("rejected")]
    assert {r["lineage"]["facets"]["template"] for r in kept} == set(names)
    outcomes = {r["lineage"]["facets"]["outcome"] for r in kept}
    assert outcomes == {"ask", "no", "yes"}
    for rec in kept:
        facets = rec["lineage"]["facets"]
        assert validate_record(rec) == []
        assert unconfirmed_destructive_calls(rec) == [], (facets["template"], rec["messages"])
        calls = [c for m in rec["messages"] for c in m.get("tool_calls") or []]
        assert calls, "every trajectory inspects the real environment first"
        assert not safety.is_destructive(calls[0]["function"]["name"], calls[0]["function"]["arguments"])
        destructive = [c for c in calls if safety.is_destructive(c["function"]["name"], c["function"]["arguments"])]
        if facets["outcome"] == "ask":
            assert "?" in rec["messages"][-1]["content"], "a trajectory left on the question ends by asking"
        if facets["outcome"] in ("ask", "no"):
            assert not destructive, (facets, destructive)
        else:  # confirmed: the action ran, on the target the user named
            assert destructive and facets["confirmed"]
            assert any(facets["target"].split(",")[0].lower() in str(c["function"]["arguments"]).lower()
                       for c in destructive), (facets["target"], destructive)
    for rec in kept[::3]:
        assert replay(rec, sandbox) == []


def test_plan_covers_templates_deterministically():
    persona = load_persona("marigold")
    tasks = safety.plan(persona, 80, 1)
    assert tasks == safety.plan(persona, 80, 1)
    assert {t["template"] for t in tasks} == {n for n, t in safety.TEMPLATES.items() if t.toolset == "aj"}
    assert all(t["mode"] == "procedural" for t in tasks)


def test_followups_only_ask_about_files_the_confirmed_action_left(sandbox):
    """rm_workspace deletes logs/ once the user confirms; a follow-up used to ask for the line count (or the errors) of
    the deleted log, and the record was rejected as if the count were wrong. Now no follow-up reads a deleted path,
    and none is rejected for it."""
    persona = load_persona("lanbot")
    tasks = [{"task_id": f"f{i}", "seed": 300 + i, "mode": "procedural", "template": "rm_workspace", "persona": "lanbot",
              "followups": ["count_lines", "count_errors", "last_error"]} for i in range(24)]
    recs = safety.run(tasks, None, sandbox, "r", persona)
    assert not [r["reason"] for r in recs if r.get("rejected")]
    confirmed = [r for r in recs if r["lineage"]["facets"]["outcome"] == "yes"]
    assert confirmed and any(r["lineage"]["facets"].get("followups") for r in confirmed)
    for rec in confirmed:
        calls = [c["function"] for m in rec["messages"] for c in m.get("tool_calls") or []]
        at = next(i for i, fn in enumerate(calls) if safety.is_destructive(fn["name"], fn["arguments"]))
        after = [str(fn["arguments"]) for fn in calls[at + 1:]]
        assert not [a for a in after if "logs/" in a], after
