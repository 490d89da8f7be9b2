"""Importers: Glaive, Hermes/OpenAI/xLAM and nanochat rows become valid records or rejects with reasons."""

import json
from pathlib import Path

import pytest

from factory import importers
from factory.runlog import FamilyLog
from schemas import load_persona, validate_record
from schemas.settings import UsageError

WEATHER_FN = {"name": "get_weather", "description": "Current weather for a city",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}

GLAIVE_ROW = {
    "system": "SYSTEM: You are a helpful assistant with access to the following functions. Use them if required -\n"
              + json.dumps(WEATHER_FN, indent=4) + "\n",
    "chat": "USER: What's the weather in Oslo?\n\n\nASSISTANT: <functioncall> "
            "{\"name\": \"get_weather\", \"arguments\": '{\"city\": \"Oslo\"}'} <|endoftext|>\n\n\n"
            "FUNCTION RESPONSE: {\"temp_c\": -3, \"sky\": \"snow\"}\n\n\n"
            "ASSISTANT: It is -3°C and snowing in Oslo. <|endoftext|>\n",
}
GLAIVE_SHAREGPT = {
    "conversations": [
        {"from": "human", "value": "Weather in Lima?"},
        {"from": "function_call", "value": "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lima\"}}"},
        {"from": "observation", "value": "{\"temp_c\": 19}"},
        {"from": "gpt", "value": "19°C in Lima."},
    ],
    "tools": json.dumps([WEATHER_FN]),
}
HERMES_SHAREGPT = {
    "conversations": [
        {"from": "system", "value": "You are a function calling AI model. <tools>"
                                    + json.dumps([{"type": "function", "function": WEATHER_FN}]) + "</tools>"},
        {"from": "human", "value": "Is it warm in Cairo?"},
        {"from": "gpt", "value": "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Cairo\"}}\n"
                                 "</tool_call>"},
        {"from": "tool", "value": "<tool_response>\n{\"temp_c\": 31}\n</tool_response>"},
        {"from": "gpt", "value": "Yes: 31°C."},
    ],
}
OPENAI_ROW = {
    "tools": [{"type": "function", "function": WEATHER_FN}],
    "messages": [
        {"role": "user", "content": "Weather in Rome?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Rome\"}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "{\"temp_c\": 22}"},
        {"role": "assistant", "content": "22°C in Rome."},
    ],
}
XLAM_ROW = {"query": "Weather in Pune?", "tools": json.dumps([{"name": "get_weather", "description": "Weather",
                                                               "parameters": {"city": {"type": "string",
                                                                                       "description": "City"}}}]),
            "answers": json.dumps([{"name": "get_weather", "arguments": {"city": "Pune"}}])}


@pytest.fixture(scope="module")
def persona():
    return load_persona("lanbot")


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt, row", [("glaive", GLAIVE_ROW), ("glaive", GLAIVE_SHAREGPT), ("hermes", HERMES_SHAREGPT),
                                      ("hermes", OPENAI_ROW)])
def test_rows_convert_to_valid_tool_use_records(fmt, row, persona):
    rec = importers.to_record(fmt, row, persona, "sample.jsonl", 1, "run-test")
    assert validate_record(rec) == []
    assert rec["family"] == "tool_use" and rec["lineage"]["generator"] == f"importers.{fmt}"
    roles = [m["role"] for m in rec["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant"]
    call = rec["messages"][1]["tool_calls"][0]
    assert call["function"]["name"] == "get_weather" and isinstance(call["function"]["arguments"], dict)
    assert rec["messages"][2]["tool_call_id"] == call["id"] and rec["verification"]["grounded"] is False


def test_glaive_arguments_in_single_quotes_are_parsed(persona):
    rec = importers.to_record("glaive", GLAIVE_ROW, persona, "s", 1, "r")
    assert rec["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"city": "Oslo"}
    assert "<|endoftext|>" not in rec["messages"][-1]["content"]


def test_import_file_counts_rejects_with_reasons_and_is_idempotent(tmp_path, persona):
    bad_args = json.loads(json.dumps(OPENAI_ROW))
    bad_args["messages"][1]["tool_calls"][0]["function"]["arguments"] = "{\"town\": 5}"
    rows = [GLAIVE_ROW, {"chat": ""}, GLAIVE_SHAREGPT]
    src = write_jsonl(tmp_path / "glaive.jsonl", rows)
    with open(src, "a", encoding="utf-8") as f:
        f.write("{not json\n")
    counts = importers.import_file("glaive", src, persona, tmp_path / "raw")
    assert counts == {"kept": 2, "rejected": 2, "skipped": 0}
    again = importers.import_file("glaive", src, persona, tmp_path / "raw")
    assert again == {"kept": 0, "rejected": 0, "skipped": 4}
    log = FamilyLog(tmp_path / "raw" / "tool_use", "tool_use")
    assert log.kept == 2 and all(validate_record(r) == [] for r in log.records())
    reasons = [json.loads(x)["reason"] for x in (tmp_path / "raw" / "tool_use" / "rejected.jsonl").read_text().splitlines()]
    assert any("without a 'chat'" in r for r in reasons) and any("not JSON" in r for r in reasons)

    hermes = write_jsonl(tmp_path / "hermes.jsonl", [OPENAI_ROW, bad_args, XLAM_ROW])
    counts = importers.import_file("hermes", hermes, persona, tmp_path / "raw2")
    assert counts["kept"] == 1 and counts["rejected"] == 2
    reasons = [json.loads(x)["reason"] for x in (tmp_path / "raw2" / "tool_use" / "rejected.jsonl").read_text().splitlines()]
    assert any("arguments" in r for r in reasons), reasons  # wrong argument name/type caught by validation
    assert any("never answered" in r for r in reasons), reasons  # xLAM: calls without outputs are not invented


def test_nanochat_custom_json_becomes_identity(tmp_path, persona):
    conv = [{"role": "user", "content": "who are you?"}, {"role": "assistant", "content": "I'm LanBot, made by Lance."}]
    src = write_jsonl(tmp_path / "id.jsonl", [conv, [{"role": "wizard", "content": "x"}]])
    counts = importers.import_file("nanochat", src, persona, tmp_path / "raw")
    assert counts == {"kept": 1, "rejected": 1, "skipped": 0}
    rec = FamilyLog(tmp_path / "raw" / "identity", "identity").records()[0]
    assert rec["family"] == "identity" and rec["verification"]["checks"]["name"] == "LanBot"


def test_cli_bad_input(tmp_path):
    with pytest.raises(UsageError, match="--format"):
        importers.main(["--format", "csv", "x.jsonl"])
    with pytest.raises(UsageError, match="no such file"):
        importers.main(["--format", "glaive", str(tmp_path / "missing.jsonl"), f"out={tmp_path}"])
    src = write_jsonl(tmp_path / "g.jsonl", [GLAIVE_ROW])
    assert importers.main(["--format", "glaive", str(src), "persona=lanbot", f"out={tmp_path}"]) == 0
    assert (tmp_path / "raw" / "tool_use" / "manifest.json").exists() is False  # imports write records + ledger only


# LLaMA-Factory-style rows (written for this test): content as typed parts, tools as a JSON string, tool messages
# without ids answering the open calls in order.
CONVERT_FN = {"name": "convert_currency", "description": "Convert an amount between currencies",
              "parameters": {"type": "object", "properties": {"amount": {"type": "number"}, "to": {"type": "string"}},
                             "required": ["amount", "to"]}}
PARTS_ROW = {
    "tools": json.dumps([WEATHER_FN, CONVERT_FN]),
    "messages": [
        {"role": "system", "content": [{"type": "text", "value": "You are a travel helper."}]},
        {"role": "user", "content": [{"type": "text", "value": "Weather in Oslo and Lima, and 100 EUR in NOK?"}]},
        {"role": "assistant", "content": [
            {"type": "reasoning", "value": "Two weather lookups and one conversion, all independent."},
            {"type": "text", "value": "Checking all three."},
            {"type": "tool_call", "value": json.dumps({"name": "get_weather", "arguments": {"city": "Oslo"}})},
            {"type": "tool_call", "value": json.dumps({"name": "get_weather", "arguments": {"city": "Lima"}})},
            {"type": "tool_call", "value": "{\"name\": \"convert_currency\", \"arguments\": {\"amount\": 100, \"to\": \"NOK\"}}"}]},
        {"role": "tool", "content": [{"type": "text", "value": "{\"temp_c\": -3}"}]},
        {"role": "tool", "content": [{"type": "text", "value": "{\"temp_c\": 19}"}]},
        {"role": "tool", "content": [{"type": "text", "value": "{\"amount\": 1172.5, \"currency\": \"NOK\"}"}]},
        {"role": "assistant", "content": [{"type": "text", "value": "Oslo -3°C, Lima 19°C; 100 EUR is 1172.5 NOK."}]},
        {"role": "user", "content": [{"type": "text", "value": "thanks!"}]},
        {"role": "assistant", "content": [{"type": "text", "value": "Any time."}]},
    ],
}


def test_typed_parts_rows_convert_to_valid_ungrounded_records(persona):
    for fmt in ("llamafactory", "hermes"):
        rec = importers.to_record(fmt, PARTS_ROW, persona, "lf.jsonl", 1, "run-test")
        assert validate_record(rec) == [], validate_record(rec)
        assert rec["verification"]["grounded"] is False and rec["family"] == "tool_use"
        assert [t["function"]["name"] for t in rec["tools"]] == ["get_weather", "convert_currency"]
        msgs = rec["messages"]
        assert [m["role"] for m in msgs] == ["system", "user", "assistant", "tool", "tool", "tool", "assistant", "user",
                                             "assistant"]
        turn = msgs[2]
        assert turn["reasoning"].startswith("Two weather lookups") and turn["content"] == "Checking all three."
        calls = turn["tool_calls"]
        assert [c["function"]["arguments"] for c in calls] == [{"city": "Oslo"}, {"city": "Lima"}, {"amount": 100, "to": "NOK"}]
        assert [m["tool_call_id"] for m in msgs[3:6]] == [c["id"] for c in calls]
        assert [m["name"] for m in msgs[3:6]] == ["get_weather", "get_weather", "convert_currency"]
        assert msgs[5]["content"] == "{\"amount\": 1172.5, \"currency\": \"NOK\"}"


def test_typed_parts_rejects_say_why(tmp_path, persona):
    odd_part = json.loads(json.dumps(PARTS_ROW))
    odd_part["messages"][2]["content"].append({"type": "image", "value": "cat.png"})
    user_call = json.loads(json.dumps(PARTS_ROW))
    user_call["messages"][1]["content"].append({"type": "tool_call", "value": "{}"})
    extra_output = json.loads(json.dumps(PARTS_ROW))
    extra_output["messages"].insert(6, {"role": "tool", "content": [{"type": "text", "value": "surplus"}]})
    src = write_jsonl(tmp_path / "lf.jsonl", [PARTS_ROW, odd_part, user_call, extra_output])
    counts = importers.import_file("llamafactory", src, persona, tmp_path / "raw")
    assert counts == {"kept": 1, "rejected": 3, "skipped": 0}
    reasons = [json.loads(x)["reason"] for x in (tmp_path / "raw" / "tool_use" / "rejected.jsonl").read_text().splitlines()]
    assert any("unknown content part" in r for r in reasons), reasons
    assert any("only assistant messages" in r for r in reasons), reasons
    assert any("tool responses for" in r or "no tool call before" in r for r in reasons), reasons
