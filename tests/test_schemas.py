"""The record contract, tool sets and persona cards: what validation accepts, what it rejects, and how it says so."""

import copy
import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from schemas import (
    FAMILIES,
    SCHEMA_VERSION,
    PersonaError,
    RecordInvalid,
    available_personas,
    load_persona,
    load_toolset,
    make_record,
    record_id,
    require_valid,
    validate_persona_data,
    validate_record,
)
from schemas.persona import read_card
from schemas.validate import validate_record_full_schema

REPO = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------------------------------------------
# valid records of every family, shaped like real data


def lineage(generator: str = "generators.tool_use") -> dict:
    return {
        "generator": generator,
        "generator_version": "1",
        "teacher": {"provider": "local", "model": "SmolLM2-135M-Instruct", "params": {"temperature": 0.7}},
        "prompt_template_hash": "3f2a9c",
        "seed": 7,
        "facets": {"topic": "logs", "difficulty": "easy"},
        "run_id": "run-20261122-0500",
        "created_at": "2026-11-22T05:00:00+00:00",
    }


def call(cid: str, name: str, **arguments) -> dict:
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": arguments}}


def tool_msg(cid: str, name: str, content: str) -> dict:
    return {"role": "tool", "tool_call_id": cid, "name": name, "content": content}


def identity_record() -> dict:
    messages = [
        {"role": "system", "content": "You are LanBot."},
        {"role": "user", "content": "Who made you?"},
        {"role": "assistant", "content": "Lance did. No committee was involved."},
    ]
    verification = {"checks": {"name": "LanBot", "creator": "Lance"}}
    return make_record("identity", "lanbot", messages, [], verification, lineage("generators.identity"))


def tool_use_record() -> dict:
    """aj tools: a think step, two parallel remote calls answered out of order, a fleet-wide call, then done."""
    messages = [
        {"role": "system", "content": "You are Marigold."},
        {"role": "user", "content": "Is nginx healthy on the web hosts?"},
        {
            "role": "assistant",
            "content": None,
            "reasoning": "List the hosts first, then check them.",
            "tool_calls": [
                call("call_1", "think", thought="Check both web hosts, then all of prod."),
                call("call_2", "list_agents", pattern="web*"),
            ],
        },
        tool_msg("call_2", "list_agents", "web01\nweb02\n"),
        tool_msg("call_1", "think", "ok"),
        {
            "role": "assistant",
            "content": "Checking both hosts at once.",
            "tool_calls": [
                call("call_3", "remote_bash", host="web01", command="systemctl is-active nginx"),
                call("call_4", "remote_bash", host="web02", command="systemctl is-active nginx"),
            ],
        },
        tool_msg("call_4", "remote_bash", "inactive\n[exit 3]"),
        tool_msg("call_3", "remote_bash", "active\n[exit 0]"),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                call("call_5", "remote_bash_all", host_glob="web0[1-2]", command="uptime"),
                call("call_6", "bash", command="date -u", timeout=5),
            ],
        },
        tool_msg("call_5", "remote_bash_all", "web01: up 3 days\nweb02: up 1 day\n"),
        tool_msg("call_6", "bash", "Sun Nov 22 05:00:00 UTC 2026\n"),
        {"role": "assistant", "content": None, "tool_calls": [call("call_7", "complete", summary="web02 nginx down.")]},
        tool_msg("call_7", "complete", "task marked complete"),
        {"role": "assistant", "content": "Dear reader, web01 thrives; web02's nginx has wilted (inactive)."},
    ]
    verification = {
        "environment": {
            "fleet": {
                "web01": {"files": {}, "services": {"nginx": "active"}},
                "web02": {"files": {}, "services": {"nginx": "inactive"}},
            },
            "workspace": {"files": {"notes.txt": "hi"}},
        },
        "nondeterministic": [r"up \d+ days?", r"\w{3} \w{3} \d+ [\d:]+ UTC \d{4}"],
        "task": "check nginx on the web hosts",
    }
    return make_record("tool_use", "marigold", messages, load_toolset("aj"), verification, lineage())


def reasoning_record() -> dict:
    messages = [
        {"role": "user", "content": "What is the sum of the squares of 1..10?"},
        {
            "role": "assistant",
            "content": "Let me compute it rather than trust my arithmetic.",
            "reasoning": "sum(i*i) for i in 1..10; n(n+1)(2n+1)/6 = 385.",
            "tool_calls": [call("py_1", "execute_python", code="print(sum(i * i for i in range(1, 11)))")],
        },
        tool_msg("py_1", "execute_python", "385\n"),
        {"role": "assistant", "content": "385.", "reasoning": "Matches the closed form."},
    ]
    verification = {
        "answer": "385",
        "checker": "numeric",
        "level": 2,
        "source": "procedural:sum_squares",
        "python_calls": ["py_1"],
    }
    return make_record(
        "reasoning",
        "lanbot",
        messages,
        load_toolset("python-agent"),
        verification,
        {**lineage("generators.reasoning"), "teacher": None, "prompt_template_hash": None},
    )


def textbook_record() -> dict:
    module = "def add(a: int, b: int) -> int:\n    return a + b\n"
    tests = "from lesson import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    messages = [
        {"role": "user", "content": "Teach me to write a typed function with a test."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                call("w1", "write_file", path="lesson.py", content=module),
                call("w2", "write_file", path="test_lesson.py", content=tests),
            ],
        },
        tool_msg("w1", "write_file", "wrote 46 bytes to lesson.py"),
        tool_msg("w2", "write_file", "wrote 71 bytes to test_lesson.py"),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [call("t1", "run_tests", path="test_lesson.py"), call("t2", "lint"), call("t3", "typecheck")],
        },
        tool_msg("t1", "run_tests", "1 passed in 0.01s\n[exit 0]"),
        tool_msg("t2", "lint", "All checks passed!\n[exit 0]"),
        tool_msg("t3", "typecheck", "0 errors, 0 warnings\n[exit 0]"),
        {"role": "assistant", "content": "Here is `add`, typed, with a passing test."},
    ]
    verification = {
        "module_path": "lesson.py",
        "module": module,
        "tests_path": "test_lesson.py",
        "tests": tests,
        "outcome": {"passed": 1, "failed": 0, "exit_code": 0},
    }
    return make_record(
        "textbook", "lanbot", messages, load_toolset("python-agent"), verification, lineage("generators.textbook")
    )


def safety_record() -> dict:
    messages = [
        {"role": "user", "content": "Shut down everything in prod."},
        {
            "role": "assistant",
            "content": "Before I touch anything, which hosts are in prod?",
            "tool_calls": [call("s1", "list_agents", pattern="prod-*")],
        },
        tool_msg("s1", "list_agents", "prod-db01\nprod-web01\n"),
        {"role": "assistant", "content": "That would stop prod-db01 and prod-web01. Please confirm the exact hosts."},
        {"role": "user", "content": "Only prod-web01."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [call("s2", "remote_bash", host="prod-web01", command="sudo shutdown -h now")],
        },
        tool_msg("s2", "remote_bash", "[exit 0]"),
        {"role": "assistant", "content": "prod-web01 is shutting down; prod-db01 untouched."},
    ]
    verification = {
        "environment": {"fleet": {"prod-db01": {}, "prod-web01": {}}},
        "nondeterministic": [],
        "task": "confirm targets before a fleet-wide shutdown",
    }
    return make_record("safety", "lanbot", messages, load_toolset("aj"), verification, lineage("generators.safety"))


def function_calling_record() -> dict:
    """Two parallel library calls (hand-written outputs: the schema checks shape, not execution)."""
    from sandbox.functions import tool

    messages = [
        {"role": "user", "content": "Convert 5 km to miles, and is 97 prime?"},
        {"role": "assistant", "content": None, "tool_calls": [
            call("f1", "convert_length", value=5, from_unit="km", to_unit="mi"), call("f2", "is_prime", n=97)]},
        tool_msg("f1", "convert_length", "3.10686"),
        tool_msg("f2", "is_prime", "true"),
        {"role": "assistant", "content": "5 km is 3.10686 miles, and 97 is prime."},
    ]
    verification = {"environment": {"workspace": {"files": {}}}, "nondeterministic": [], "task": messages[0]["content"],
                    "runtime": "sandbox.functions", "library_version": "1", "shape": "parallel"}
    tools = [tool("convert_length"), tool("is_prime"), tool("kv_get")]
    return make_record("function_calling", "lanbot", messages, tools, verification,
                       lineage("generators.function_calling"))


VALID = {
    "function_calling": function_calling_record,
    "identity": identity_record,
    "tool_use": tool_use_record,
    "reasoning": reasoning_record,
    "textbook": textbook_record,
    "safety": safety_record,
}


def rehash(rec: dict) -> dict:
    rec["id"] = record_id(rec)
    return rec


def errors(rec) -> list[tuple[str, str]]:
    return [(e.path, e.message) for e in validate_record(rec)]


def test_function_calling_shape_must_match_the_conversation():
    rec = function_calling_record()
    rec["verification"]["shape"] = "no_call"
    assert errors(rec) == [("$.verification.shape", "shape 'no_call' needs no tool calls")]
    rec["verification"]["shape"] = "sequential"
    assert errors(rec) == [("$.verification.shape", "shape 'sequential' needs tool calls in two or more assistant turns")]
    rec["verification"]["shape"] = "juggling"
    assert errors(rec)[0][0] == "$.verification.shape"


@pytest.mark.parametrize("family", FAMILIES)
def test_valid_records_of_every_family(family):
    rec = VALID[family]()
    assert rec["schema_version"] == SCHEMA_VERSION and rec["verdicts"] == {}
    assert errors(rec) == []
    assert validate_record_full_schema(rec) == [], "the split validators and record.schema.json disagree"
    # What the filter adds keeps the record valid, and the id ignores it.
    rec["verdicts"] = {
        "schema": {"passed": True, "reason": "ok"},
        "quality": {"passed": True, "reason": "ok", "score": 0.8},
    }
    assert errors(rec) == []


def test_record_survives_a_json_round_trip_with_the_same_id():
    rec = tool_use_record()
    again = json.loads(json.dumps(rec))
    assert record_id(again) == rec["id"] and errors(again) == []


def test_id_is_a_content_hash_of_family_messages_tools():
    a, b = identity_record(), identity_record()
    b["lineage"]["seed"] = 99
    b["persona"] = "marigold"
    assert a["id"] == b["id"], "lineage and persona must not change the id"
    b["messages"][2]["content"] += "!"
    assert record_id(b) != a["id"]
    assert len(a["id"]) == 32 and int(a["id"], 16) >= 0


def test_user_and_assistant_may_alternate_over_several_turns():
    rec = identity_record()
    rec["messages"] += [
        {"role": "user", "content": "¿Y en español?"},
        {"role": "assistant", "content": "Me hizo Lance."},
    ]
    assert errors(rehash(rec)) == []


# ---------------------------------------------------------------------------------------------------------------
# rejections: one per violation kind, each with its exact path and message


def test_missing_field():
    rec = identity_record()
    del rec["lineage"]
    assert errors(rec) == [("$.lineage", "required field missing")]
    rec = reasoning_record()
    del rec["verification"]["answer"]
    assert errors(rec) == [("$.verification.answer", "required field missing")]
    rec = identity_record()
    del rec["messages"][1]["content"]
    assert errors(rehash(rec)) == [("$.messages[1].content", "required field missing")]


def test_unexpected_field():
    rec = identity_record()
    rec["messages"][1]["name"] = "bob"
    assert errors(rehash(rec)) == [("$.messages[1].name", "unexpected field")]


def test_wrong_role():
    rec = identity_record()
    rec["messages"][1]["role"] = "bot"
    assert errors(rehash(rec)) == [("$.messages[1].role", "'bot' is not one of system, user, assistant, tool")]


def test_unknown_tool():
    rec = tool_use_record()
    rec["messages"][5]["tool_calls"][1]["function"]["name"] = "rm_everything"
    rec["messages"][6]["name"] = "rm_everything"
    assert errors(rehash(rec)) == [
        (
            "$.messages[5].tool_calls[1].function.name",
            "unknown tool 'rm_everything' (offered: bash, complete, list_agents, remote_bash, remote_bash_all, think)",
        )
    ]
    rec = identity_record()  # no tools offered at all
    rec["messages"][2] = {"role": "assistant", "content": None, "tool_calls": [call("c1", "bash", command="ls")]}
    rec["messages"] += [tool_msg("c1", "bash", "x"), {"role": "assistant", "content": "done"}]
    assert errors(rehash(rec)) == [("$.messages[2].tool_calls[0].function.name", "unknown tool 'bash' (offered: none)")]


def test_bad_arguments():
    rec = tool_use_record()
    rec["messages"][8]["tool_calls"][1]["function"]["arguments"] = {"cmd": "date -u", "timeout": "5"}
    assert errors(rehash(rec)) == [
        ("$.messages[8].tool_calls[1].function.arguments.cmd", "unexpected field"),
        ("$.messages[8].tool_calls[1].function.arguments.command", "required field missing"),
        ("$.messages[8].tool_calls[1].function.arguments.timeout", "expected integer, got string"),
    ]
    rec = tool_use_record()
    rec["messages"][5]["tool_calls"][0]["function"]["arguments"]["host"] = "web01; rm -rf /"
    assert errors(rehash(rec)) == [
        (
            "$.messages[5].tool_calls[0].function.arguments.host",
            "'web01; rm -rf /' does not match ^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$",
        )
    ]


def test_arguments_must_be_an_object_not_a_json_string():
    rec = reasoning_record()
    rec["messages"][1]["tool_calls"][0]["function"]["arguments"] = '{"code": "print(1)"}'
    assert errors(rehash(rec)) == [("$.messages[1].tool_calls[0].function.arguments", "expected object, got string")]


def test_unanswered_tool_call():
    rec = tool_use_record()
    del rec["messages"][7]  # call_3's answer
    assert errors(rehash(rec)) == [
        (
            "$.messages[5].tool_calls[0].id",
            "tool_call 'call_3' is never answered before the assistant turn $.messages[7]",
        )
    ]
    rec = reasoning_record()
    rec["messages"] = rec["messages"][:2]
    assert errors(rehash(rec)) == [
        ("$.messages[1].tool_calls[0].id", "tool_call 'py_1' is never answered before the end of the conversation")
    ]


def test_unknown_tool_call_id():
    rec = tool_use_record()
    rec["messages"][6]["tool_call_id"] = "call_99"
    assert errors(rehash(rec)) == [
        ("$.messages[6].tool_call_id", "tool_call_id 'call_99' answers no open call (open: call_3, call_4)"),
        (
            "$.messages[5].tool_calls[1].id",
            "tool_call 'call_4' is never answered before the assistant turn $.messages[8]",
        ),
    ]


def test_tool_message_answering_twice():
    rec = reasoning_record()
    rec["messages"].insert(3, tool_msg("py_1", "execute_python", "385\n"))
    assert errors(rehash(rec)) == [("$.messages[3].tool_call_id", "tool_call_id 'py_1' was already answered")]


def test_tool_message_in_wrong_place():
    rec = identity_record()
    rec["messages"].insert(2, tool_msg("c1", "bash", "hello"))
    assert errors(rehash(rec)) == [
        ("$.messages[2]", "a tool message must directly follow an assistant turn with tool_calls that are still open")
    ]


def test_tool_message_name_must_match_the_call():
    rec = reasoning_record()
    rec["messages"][2]["name"] = "shell"
    assert errors(rehash(rec)) == [
        ("$.messages[2].name", "name 'shell' does not match the call's function 'execute_python'")
    ]


def test_duplicate_tool_call_id():
    rec = tool_use_record()
    rec["messages"][5]["tool_calls"][1]["id"] = "call_1"
    rec["messages"][6]["tool_call_id"] = "call_1"
    got = errors(rehash(rec))
    assert got[0] == (
        "$.messages[5].tool_calls[1].id",
        "duplicate tool_call id 'call_1' (first used at $.messages[2].tool_calls[0])",
    )


def test_wrong_id_hash():
    rec = identity_record()
    good = rec["id"]
    rec["id"] = "0" * 32
    assert errors(rec) == [("$.id", f"id {'0' * 32} is not the content hash of family+messages+tools ({good})")]
    rec = identity_record()
    rec["messages"][2]["content"] = "Someone else made me."  # edited after hashing
    assert [p for p, _ in errors(rec)] == ["$.id"]


def test_wrong_schema_version():
    rec = identity_record()
    rec["schema_version"] = "crucible.record/2"
    assert errors(rec) == [
        ("$.schema_version", "unsupported schema_version 'crucible.record/2' (expected 'crucible.record/1')")
    ]
    del rec["schema_version"]
    assert errors(rec) == [("$.schema_version", "required field missing")]


def test_bad_family():
    rec = identity_record()
    rec["family"] = "poetry"
    assert errors(rec) == [("$.family", "'poetry' is not one of " + ", ".join(FAMILIES))]


def test_empty_assistant_turn():
    for content in ("", "   ", None):
        rec = identity_record()
        rec["messages"][2] = {"role": "assistant", "content": content, "reasoning": "thinking only"}
        assert errors(rehash(rec)) == [("$.messages[2]", "empty assistant turn: no content and no tool_calls")]
    rec = identity_record()
    rec["messages"][2] = {"role": "assistant", "content": None, "tool_calls": []}
    assert errors(rehash(rec)) == [("$.messages[2].tool_calls", "needs at least 1 item, got 0")]


def test_illegal_role_orders():
    rec = identity_record()
    rec["messages"].append({"role": "system", "content": "late system prompt"})
    rec["messages"].append({"role": "assistant", "content": "hm"})
    assert errors(rehash(rec)) == [
        ("$.messages[3].role", "a system message is allowed only as the first message"),
    ]
    rec = identity_record()
    rec["messages"].insert(1, {"role": "assistant", "content": "I speak first."})
    assert ("$.messages[1].role", "an assistant message before any user message") in errors(rehash(rec))
    rec = identity_record()
    rec["messages"].insert(2, {"role": "user", "content": "hello?"})
    assert errors(rehash(rec)) == [("$.messages[2].role", "two user messages in a row")]
    rec = identity_record()
    rec["messages"].append({"role": "assistant", "content": "Also, hi."})
    assert errors(rehash(rec)) == [
        ("$.messages[3].role", "two assistant turns in a row without tool calls between them")
    ]
    rec = identity_record()
    rec["messages"].append({"role": "user", "content": "and?"})
    assert errors(rehash(rec)) == [("$.messages[3]", "the conversation must end with an assistant message, not 'user'")]


def test_family_specific_verification():
    rec = reasoning_record()
    rec["verification"]["level"] = 11
    rec["verification"]["source"] = "made-up"
    assert errors(rec) == [
        ("$.verification.level", "11 is greater than the maximum of 10"),
        ("$.verification.source", "'made-up' does not match ^(reasoning_gym|procedural):.+$"),
    ]
    rec = reasoning_record()
    rec["verification"]["python_calls"] = ["py_1", "py_2"]
    assert errors(rec) == [("$.verification.python_calls[1]", "no tool_call with id 'py_2' in messages")]
    rec = tool_use_record()
    rec["verification"]["nondeterministic"].append("(unclosed")
    assert [p for p, _ in errors(rec)] == ["$.verification.nondeterministic[2]"]
    rec = tool_use_record()
    rec["verification"]["environment"]["workspace"]["files"]["a.py"] = 3
    assert errors(rec) == [('$.verification.environment.workspace.files["a.py"]', "expected string, got integer")]


def test_bad_tools_and_lineage():
    rec = tool_use_record()
    rec["tools"].append(copy.deepcopy(rec["tools"][0]))
    assert errors(rehash(rec)) == [("$.tools[6].function.name", "duplicate tool name 'bash'")]
    rec = tool_use_record()
    rec["tools"][4]["function"]["parameters"]["properties"]["thought"]["type"] = "strnig"
    assert [p for p, _ in errors(rehash(rec))] == ["$.tools[4].function.parameters"]
    rec = identity_record()
    rec["lineage"]["created_at"] = "yesterday"
    rec["lineage"]["teacher"] = {"provider": "openai"}
    assert errors(rec) == [
        (
            "$.lineage.created_at",
            "'yesterday' does not match ^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$",
        ),
        ("$.lineage.teacher.model", "required field missing"),
        ("$.lineage.teacher.params", "required field missing"),
    ]
    rec = identity_record()
    rec["lineage"]["created_at"] = "2026-13-45T99:00:00Z"  # right shape, impossible date
    assert errors(rec) == [("$.lineage.created_at", "not a valid ISO-8601 time: '2026-13-45T99:00:00Z'")]


def test_not_an_object_and_require_valid():
    assert errors([1, 2]) == [("$", "record must be a JSON object, got array")]
    rec = identity_record()
    assert require_valid(rec) is rec
    rec["family"] = "poetry"
    with pytest.raises(RecordInvalid, match=r"\$\.family: 'poetry' is not one of"):
        require_valid(rec)


def test_full_schema_also_rejects_shape_errors():
    """record.schema.json on its own (for external tools) catches what the split validators catch at shape level."""
    for mutate in (
        lambda r: r.pop("lineage"),
        lambda r: r["messages"][1].__setitem__("role", "bot"),
        lambda r: r.__setitem__("family", "poetry"),
        lambda r: r["messages"][2].__setitem__("tool_calls", [{"id": "x", "type": "function"}]),
        lambda r: r["verification"].pop("checks"),
    ):
        rec = identity_record()
        mutate(rec)
        assert validate_record(rec) and validate_record_full_schema(rec)


# ---------------------------------------------------------------------------------------------------------------
# tool sets


def test_toolsets():
    names = {
        "aj": ["bash", "remote_bash", "remote_bash_all", "list_agents", "think", "complete"],
        "python-agent": [
            "execute_python",
            "read_file",
            "write_file",
            "run_tests",
            "lint",
            "typecheck",
            "search_codebase",
            "shell",
        ],
    }
    for toolset, expected in names.items():
        tools = load_toolset(toolset)
        assert [t["function"]["name"] for t in tools] == expected
        for t in tools:
            params = t["function"]["parameters"]
            assert params["additionalProperties"] is False, f"{toolset}.{t['function']['name']} accepts garbage"
            assert set(params.get("required", [])) <= set(params["properties"])
    aj = {t["function"]["name"]: t["function"]["parameters"] for t in load_toolset("aj")}
    assert aj["remote_bash"]["required"] == ["host", "command"]
    assert aj["remote_bash_all"]["required"] == ["host_glob", "command"]
    tools = load_toolset("aj")
    tools.clear()
    assert len(load_toolset("aj")) == 6, "callers must get a copy, not the cached list"
    with pytest.raises(ValueError, match=r"unknown toolset 'zsh' \(available: aj, python-agent\)"):
        load_toolset("zsh")


# ---------------------------------------------------------------------------------------------------------------
# persona cards


def test_both_personas_load_and_differ():
    lan, mari = load_persona("lanbot"), load_persona("marigold")
    assert {"lanbot", "marigold"} <= set(available_personas())
    assert (lan.slug, lan.name, lan.creator, lan.year, lan.toolset) == (
        "lanbot",
        "LanBot",
        "Lance",
        2026,
        "python-agent",
    )
    assert "slightly sardonic" in lan.description and "corporate-speak" in lan.description
    assert (mari.name, mari.toolset) == ("Marigold", "aj") and mari.languages != lan.languages
    for p in (lan, mari):
        assert set(p.families) == set(FAMILIES) and abs(sum(p.families.values()) - 1) < 1e-9
        assert len(p.facts) >= 5 and p.quirks and p.capabilities and p.limitations
        system = p.system_message()
        assert p.name in system and p.creator in system and "$" not in system
        assert all(t["function"]["name"] in system for t in p.tools())
        assert validate_persona_data(read_card(p.path)) == [] if p.path else False
    assert lan.identity_checks() == identity_record()["verification"]["checks"]
    assert mari.families["textbook"] == 0.0 and lan.family_settings["tool_use"]["teacher_share"] == 0.05
    assert load_persona(REPO / "corpora" / "marigold" / "persona.toml").name == "Marigold"
    assert load_persona(REPO / "corpora" / "lanbot").name == "LanBot"


def test_unknown_persona_names_the_available_ones():
    with pytest.raises(PersonaError, match=r"unknown persona 'nobody' \(available in .*: .*lanbot.*marigold"):
        load_persona("nobody")
    with pytest.raises(PersonaError, match="no persona card at"):
        load_persona("/nonexistent/persona.toml")


def write_card(tmp_path: Path, text: str, name: str = "tester") -> Path:
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "persona.toml").write_text(text, encoding="utf-8")
    return folder / "persona.toml"


LANBOT_TEXT = (REPO / "corpora" / "lanbot" / "persona.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('toolset = "python-agent"', 'toolset = "zsh"', r"\$\.toolset: 'zsh' is not one of aj, python-agent"),
        ('creator = "Lance"\n', "", r"\$\.creator: required field missing"),
        ("year = 2026", 'year = "2026"', r"\$\.year: expected integer, got string"),
        ("safety = 0.05", "safety = 0.5", r"\$\.recipe\.families: weights must sum to 1, got 1\.45"),
        ("${tools}", "${toolz}", r"\$\.system_prompt: unknown placeholder\(s\) toolz"),
        ("identity = 0.15", "identty = 0.15", r"\$\.recipe\.families\.identty: unexpected field"),
        ('languages = ["en"', 'languages = ["English"', r"\$\.languages\[0\]: 'English' does not match"),
        ('name = "LanBot"', "name = ", r"invalid TOML: "),
    ],
)
def test_malformed_persona_cards(tmp_path, old, new, expected):
    assert old in LANBOT_TEXT
    card = write_card(tmp_path, LANBOT_TEXT.replace(old, new, 1))
    with pytest.raises(PersonaError, match=expected) as info:
        load_persona(card)
    assert "\n" not in str(info.value), "errors are one line"


def test_crucible_corpora_env_var(tmp_path, monkeypatch):
    write_card(tmp_path, LANBOT_TEXT.replace('name = "LanBot"', 'name = "Zed"'), name="zed")
    monkeypatch.setenv("CRUCIBLE_CORPORA", str(tmp_path))
    assert load_persona("zed").name == "Zed" and load_persona("zed").slug == "zed"
    assert available_personas() == ["zed"]


# ---------------------------------------------------------------------------------------------------------------
# the CLI, run as a user runs it


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "schemas", *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )


def test_cli_jsonl(tmp_path):
    bad = identity_record()
    bad["messages"][1]["role"] = "bot"
    truncated = '{"schema_version": "crucible.record/1", "id": '
    lines = [
        json.dumps(identity_record()),
        truncated,
        json.dumps(rehash(bad)),
        json.dumps(tool_use_record(), ensure_ascii=False),
    ]
    path = tmp_path / "part-0000.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = cli("validate", str(path))
    assert res.returncode == 1, res.stderr
    assert res.stdout.splitlines() == [
        f"{path}:2: $: not valid JSON: Expecting value at column {len(truncated) + 1}",
        f"{path}:3: $.messages[1].role: 'bot' is not one of system, user, assistant, tool",
        "4 items in 1 file: 2 invalid, 2 errors",
    ]
    good = tmp_path / "raw" / "mixed" / "part-0001.jsonl.gz"
    good.parent.mkdir(parents=True)
    good.write_bytes(gzip.compress("".join(json.dumps(VALID[f]()) + "\n" for f in FAMILIES).encode()))
    (tmp_path / "raw" / "manifest.json").write_text("{}")  # not a record file: folders skip it
    # Nor is the factory's bookkeeping beside the records: the commit ledger, rejections (invalid by design).
    (tmp_path / "raw" / "mixed" / "_ledger.jsonl").write_text('{"batch": "b1", "kept": []}\n')
    (tmp_path / "raw" / "mixed" / "rejected.jsonl").write_text('{"reason": "schema: bad"}\n')
    (tmp_path / "raw" / "rejected" / "schema").mkdir(parents=True)
    (tmp_path / "raw" / "rejected" / "schema" / "000.jsonl").write_text('{"id": "x"}\n')
    res = cli(
        "validate",
        str(tmp_path / "raw"),
        str(REPO / "corpora" / "lanbot" / "persona.toml"),
        str(REPO / "corpora" / "marigold" / "persona.toml"),
    )
    want = f"{len(FAMILIES) + 2} items in 3 files: all valid"
    assert (res.returncode, res.stdout.strip()) == (0, want), res.stdout + res.stderr


def test_cli_parquet_struct_and_json_string_columns(tmp_path):
    recs = [VALID[f]() for f in FAMILIES]
    broken = tool_use_record()
    broken["messages"][6]["tool_call_id"] = "call_99"
    recs.append(rehash(broken))
    nested = ("messages", "tools", "verification", "lineage", "verdicts")
    # 1) every nested column as a JSON string
    as_strings = [{k: json.dumps(v) if k in nested else v for k, v in r.items()} for r in recs]
    pq.write_table(pa.Table.from_pylist(as_strings), tmp_path / "strings.parquet")
    # 2) messages as a real list<struct> column (Arrow unifies the message shapes, adding nulls); rest as strings
    as_structs = [{**row, "messages": r["messages"]} for row, r in zip(as_strings, recs, strict=True)]
    table = pa.Table.from_pylist(as_structs)
    assert pa.types.is_list(table.schema.field("messages").type)
    pq.write_table(table, tmp_path / "structs.parquet")
    res = cli("validate", str(tmp_path / "strings.parquet"), str(tmp_path / "structs.parquet"))
    assert res.returncode == 1, res.stderr
    out = res.stdout.splitlines()
    for name in ("strings", "structs"):
        assert (
            f"{tmp_path / name}.parquet:{len(recs)}: $.messages[6].tool_call_id: tool_call_id 'call_99' answers no open "
            "call (open: call_3, call_4)" in out
        )
    assert out[-1] == f"{2 * len(recs)} items in 2 files: 2 invalid, 4 errors"


def test_cli_persona_and_usage_errors(tmp_path):
    card = write_card(tmp_path, LANBOT_TEXT.replace("safety = 0.05", "safety = 0.5"))
    res = cli("validate", str(card))
    assert res.returncode == 1
    assert res.stdout.splitlines()[0] == f"{card}: $.recipe.families: weights must sum to 1, got 1.45"
    res = cli("validate", str(tmp_path / "missing.jsonl"))
    assert res.returncode == 2 and res.stderr.strip() == f"error: no such file: {tmp_path / 'missing.jsonl'}"
    res = cli()
    assert res.returncode == 2 and "usage:" in res.stdout
    (tmp_path / "x.csv").write_text("a,b\n")
    res = cli("validate", str(tmp_path / "x.csv"))
    assert res.returncode == 2 and res.stderr.strip().endswith(
        "x.csv: unsupported file type (expected .jsonl, .jsonl.gz, .parquet or .toml)"
    )
    (tmp_path / "empty").mkdir()
    res = cli("validate", str(tmp_path / "empty"))
    assert res.returncode == 2 and "no .jsonl, .jsonl.gz or .parquet files under" in res.stderr


def test_no_input_crashes_the_validator():
    """Every node of real records replaced by each wrong JSON type: validation reports, it never raises."""

    def nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        yield path
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in children:
            yield from nodes(child, (*path, key))

    checked = 0
    for build in (tool_use_record, reasoning_record):
        rec = build()
        for path in list(nodes(rec))[1:]:
            parent = rec
            for key in path[:-1]:
                parent = parent[key]
            original = parent[path[-1]]
            for junk in (None, "x", [], {}):
                parent[path[-1]] = junk
                assert isinstance(validate_record(rec), list)
                checked += 1
            parent[path[-1]] = original  # restore in place: cheaper than a deep copy per case
    assert checked > 500
