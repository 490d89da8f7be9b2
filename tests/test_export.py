"""Exports: nanochat's render_conversation rules (and its SFT task file), OpenAI fine-tuning rules, an HF parquet a
tools-aware chat template renders, and the training-render validation with the trainer's real tokenizer. The official
templates of five model families render every row in tests/test_chat_templates.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factory import __main__ as factory_cli
from factory.export import (
    chat_template,
    check_hf,
    check_nanochat,
    check_openai,
    export,
    read_clean,
    to_nanochat,
    to_openai,
    validate_for_training,
)
from schemas import make_record
from tests.stats_corpus import PERSONA, lineage, write_corpus

# A Hermes/Qwen-style tools template written for this test (not Crucible's own CHATML_TOOLS_TEMPLATE): tools as JSON
# in the system turn, calls as <tool_call> JSON, results as <tool_response> in a user turn, reasoning as <think>.
HERMES_STYLE = """\
{%- set sys = messages[0].content if messages[0].role == 'system' else '' -%}
{%- if tools -%}
<|im_start|>system
{{ sys }}{% if sys %}

{% endif %}# Tools
Call a function by answering with <tool_call></tool_call> tags around {"name": <name>, "arguments": <object>}.
<tools>
{%- for tool in tools %}
{{ tool | tojson }}
{%- endfor %}
</tools><|im_end|>
{% elif sys -%}
<|im_start|>system
{{ sys }}<|im_end|>
{% endif -%}
{%- for message in messages -%}
{%- if message.role == 'user' -%}
<|im_start|>user
{{ message.content }}<|im_end|>
{% elif message.role == 'assistant' -%}
<|im_start|>assistant
{% if message.reasoning_content %}<think>
{{ message.reasoning_content }}
</think>
{% endif -%}
{{ message.content if message.content is string else '' }}
{%- if message.tool_calls -%}
{%- for call in message.tool_calls %}
<tool_call>
{"name": {{ call.function.name | tojson }}, "arguments": {% if call.function.arguments is string %}{{ call.function.arguments }}{% else %}{{ call.function.arguments | tojson }}{% endif %}}
</tool_call>
{%- endfor -%}
{%- endif %}<|im_end|>
{% elif message.role == 'tool' -%}
{%- if loop.previtem is not defined or loop.previtem.role != 'tool' %}<|im_start|>user
{% endif -%}
<tool_response>
{{ message.content }}
</tool_response>
{% if loop.nextitem is not defined or loop.nextitem.role != 'tool' %}<|im_end|>
{% endif -%}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt %}<|im_start|>assistant
{% endif -%}
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    info = write_corpus(root, n=70, reports=False)
    return {**info, "root": root, "by_family": read_clean(info["corpus"])}


def _lines(path: Path) -> list:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _records(corpus) -> list[dict]:
    return [r for recs in corpus["by_family"].values() for r in recs]


def test_nanochat_carries_python_traces_and_skips_other_tools(corpus, tmp_path):
    result = export(corpus["by_family"], "nanochat", tmp_path / "nc.jsonl")
    convs = _lines(tmp_path / "nc.jsonl")
    assert convs and all(check_nanochat(c) == [] for c in convs)
    records = _records(corpus)
    tool_names = [{c["function"]["name"] for m in r["messages"] for c in m.get("tool_calls") or []} for r in records]
    python_only = sum(names == {"execute_python"} for names in tool_names)
    other = sum(bool(names - {"execute_python"}) for names in tool_names)
    assert python_only and other
    # every trace that only runs python is exported; traces with another tool are skipped and counted
    assert result["written"] == len(convs) == len(records) - other
    assert result["skipped"] == {"tool 'shell' has no nanochat form (only execute_python fits <|python_start|>)": other}
    assert result["dropped_fields"]["system message"] > 0 and result["dropped_fields"]["reasoning"] > 0
    assert all(m["role"] != "system" for c in convs for m in c)
    traces = [c for c in convs if isinstance(c[1]["content"], list)]
    assert len(traces) == python_only
    for trace in traces:  # each python call followed by what it printed, then the reply
        kinds = [p["type"] for p in trace[1]["content"]]
        assert kinds[-1] == "text" and kinds[:-1] == ["python", "python_output"] * (len(kinds) // 2)
    assert "print(sum(xs))" in traces[0][1]["content"][0]["text"]
    task = (tmp_path / "crucible_task.py").read_text()
    assert result["task"] == str(tmp_path / "crucible_task.py") and "class CrucibleConversations(Task)" in task
    assert "from tasks.common import Task" in task and result["nanochat_commit"] in task


def test_nanochat_keeps_the_system_message_or_skips_traces_on_request(corpus, tmp_path):
    result = export(corpus["by_family"], "nanochat", tmp_path / "k.jsonl", system="keep", tools="skip")
    convs = _lines(tmp_path / "k.jsonl")
    assert all(check_nanochat(c) == [] for c in convs)
    with_system = [c for c in convs if c[0]["role"] == "system"]
    assert with_system and all(c[1]["role"] == "user" for c in with_system)
    assert all(isinstance(m["content"], str) for c in convs for m in c)
    traced = sum(any(m.get("tool_calls") for m in r["messages"]) for r in _records(corpus))
    assert result["skipped"] == {"tool trace (tools=skip)": traced}


@pytest.mark.parametrize("conv, problem", [
    ([{"role": "user", "content": "hi"}], "at least 2"),
    ([{"role": "system", "content": "s"}, {"role": "assistant", "content": "hi"}], "followed by a user message"),
    ([{"role": "user", "content": "a"}, {"role": "system", "content": "s"}], "message 1 has role 'system'"),
    ([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}], "should be 'assistant'"),
    ([{"role": "user", "content": "a"}, {"role": "assistant", "content": None}], "content must be a string"),
    ([{"role": "user", "content": "a"}, {"role": "assistant"}], "missing 'content'"),
    ([{"role": "user", "content": "a"}, {"role": "assistant", "content": [{"type": "bash", "text": "ls"}]}],
     "part 0 must be"),
    ([{"role": "user", "content": [{"type": "text", "text": "a"}]}, {"role": "assistant", "content": "b"}],
     "message 0 content must be a string"),
    ({"messages": []}, "expected a list"),
])
def test_nanochat_checker_catches(conv, problem):
    assert any(problem in p for p in check_nanochat(conv)), check_nanochat(conv)


def test_nanochat_skips_what_does_not_fit():
    lin = lineage(0, "tests")
    mid_system = make_record("identity", PERSONA, [{"role": "user", "content": "a"}, {"role": "system", "content": "s"},
                                                   {"role": "assistant", "content": "b"}], [], {}, lin)
    trailing = make_record("identity", PERSONA, [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                                                 {"role": "user", "content": "c"}], [], {}, lin)
    assert to_nanochat(mid_system) == (None, "system message inside the conversation")
    assert to_nanochat(trailing) == (None, "conversation ends with a user message")


def test_openai_follows_fine_tuning_rules(corpus, tmp_path):
    result = export(corpus["by_family"], "openai", tmp_path / "oa.jsonl")
    examples = _lines(tmp_path / "oa.jsonl")
    total = sum(len(v) for v in corpus["by_family"].values())
    assert result["written"] == len(examples) == total and result["skipped"] == {}
    assert all(check_openai(e) == [] for e in examples)
    traced = [e for e in examples if any(m.get("tool_calls") for m in e["messages"])]
    assert traced and all("tools" in e for e in traced)
    call = next(m for m in traced[0]["messages"] if m.get("tool_calls"))["tool_calls"][0]
    assert isinstance(call["function"]["arguments"], str)
    assert "print(sum(xs))" in json.loads(call["function"]["arguments"])["code"]
    assert not any("reasoning" in m for e in examples for m in e["messages"])


def _traced_example() -> dict:
    return {"messages": [
        {"role": "user", "content": "run it"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "shell", "arguments": "{\"command\": \"ls\"}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "a.txt"},
        {"role": "assistant", "content": "one file"}],
        "tools": [{"type": "function", "function": {"name": "shell", "parameters": {"type": "object", "properties": {}}}}]}


@pytest.mark.parametrize("mutate, problem", [
    (lambda e: e["messages"].pop(2), "were not answered"),
    (lambda e: e["messages"][1]["tool_calls"][0]["function"].update(arguments={"command": "ls"}), "must be a JSON string"),
    (lambda e: e["messages"][1]["tool_calls"][0]["function"].update(arguments="{oops"), "not valid JSON"),
    (lambda e: e["messages"][1]["tool_calls"][0]["function"].update(name="bash"), "is not in tools"),
    (lambda e: e["messages"][3].update(reasoning="x"), "unknown key 'reasoning'"),
    (lambda e: e["messages"][3].update(content=None), "may be null only with tool_calls"),
    (lambda e: e["messages"][2].update(tool_call_id="c9"), "does not answer a pending tool call"),
    (lambda e: e.update(messages=[{"role": "user", "content": "hi"}]), "no assistant message"),
    (lambda e: e["messages"][0].update(role="human"), "must be one of"),
])
def test_openai_checker_catches(mutate, problem):
    example = _traced_example()
    assert check_openai(example) == []
    mutate(example)
    assert any(problem in p for p in check_openai(example)), check_openai(example)


def test_hf_parquet_renders_through_a_tools_aware_template(corpus, tmp_path):
    from datasets import load_dataset

    export(corpus["by_family"], "hf", tmp_path / "hf")
    ds = load_dataset("parquet", data_files=str(tmp_path / "hf" / "data.parquet"), split="train",
                      cache_dir=str(tmp_path / "cache"))
    originals = {r["id"]: r for recs in corpus["by_family"].values() for r in recs}
    assert ds.num_rows == len(originals)
    template = chat_template(HERMES_STYLE)
    rendered_calls = 0
    for row in ds.to_list():
        assert check_hf(row) == []
        tools = row["tools"]
        assert all(None not in m.values() for m in row["messages"])  # no null keys: the datasets Json columns
        text = template.render(messages=row["messages"], tools=tools or None, add_generation_prompt=False)
        record = originals[row["id"]]
        for m in record["messages"]:
            if m.get("content"):
                assert m["content"] in text
            if m.get("reasoning"):
                assert f"<think>\n{m['reasoning']}\n</think>" in text
        calls = [c for m in record["messages"] for c in m.get("tool_calls") or []]
        blocks = [b.split("\n</tool_call>")[0] for b in text.split("<tool_call>\n")[1:]]
        # every call comes back out of the rendered text as the record's name and arguments object
        assert [json.loads(b) for b in blocks] == [{"name": c["function"]["name"],
                                                    "arguments": c["function"]["arguments"]} for c in calls]
        assert all(c["function"]["name"] in {t["function"]["name"] for t in tools} for c in calls)
        rendered_calls += len(calls)
        if tools:
            assert text.count("<tool_response>") == sum(m["role"] == "tool" for m in record["messages"])
            assert '"name": "execute_python"' in text.split("</tools>")[0]
    assert rendered_calls > 0


def test_training_validation_with_the_trainer_tokenizer(corpus):
    from trainer.render import render
    from trainer.tokenizer import Tokenizer

    records = [r for recs in corpus["by_family"].values() for r in recs]
    tok = Tokenizer.train([json.dumps(r["messages"]) for r in records], vocab_size=300)
    tok_dir = Path(corpus["root"]) / "tok"
    tok.save(tok_dir)
    report = validate_for_training(records, 100_000, tok_dir)
    assert report["failed"] == 0 and report["checked"] == len(records) and report["method"].startswith("trainer.render")
    assert report["max_tokens"] == max(len(render(r, tok)[0]) for r in records)
    nothing_to_learn = make_record("identity", PERSONA, [{"role": "user", "content": "hello?"}], [], {}, lineage(1, "t"))
    short = validate_for_training([*records[:3], nothing_to_learn], 40, tok_dir)
    reasons = {f["reason"] for f in short["failures"]}
    assert "no supervised tokens" in reasons and any("> context 40" in r for r in reasons)


def test_template_fallback_validation(corpus):
    records = [r for recs in corpus["by_family"].values() for r in recs]
    report = validate_for_training(records, 2048, None)
    assert report["failed"] == 0 and "ChatML" in report["method"]
    assert validate_for_training(records, 10, None)["failed"] == len(records)


def test_cli(corpus, capsys, tmp_path):
    assert factory_cli.main(["export", "format=openai", f"persona={PERSONA}", f"root={corpus['root']}",
                             f"out={tmp_path / 'x.jsonl'}"]) == 0
    assert "openai:" in capsys.readouterr().out and (tmp_path / "x.jsonl").is_file()
    assert factory_cli.main(["export", "format=xml", f"persona={PERSONA}", f"root={corpus['root']}"]) == 2
    assert "need format= one of nanochat, openai, hf" in capsys.readouterr().err
    assert factory_cli.main(["export", "format=openai", "persona=lanbot", "tools=python",
                             f"root={corpus['root']}"]) == 2
    assert factory_cli.main(["export", "format=openai", "persona=lanbot", "calls=split",
                             f"root={corpus['root']}"]) == 2
    assert factory_cli.main(["export", "format=nanochat", f"persona={PERSONA}", f"root={corpus['root']}",
                             f"out={tmp_path / 'nc'}"]) == 0
    printed = capsys.readouterr().out
    assert "nanochat task:" in printed and "scripts/chat_sft.py" in printed and (tmp_path / "nc" / "crucible_task.py").is_file()
    assert factory_cli.main(["export", "format=hf", "persona=ghost", f"root={corpus['root']}"]) == 2


def test_to_openai_keeps_tool_call_order():
    rec = make_record("tool_use", PERSONA, [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "shell", "arguments": {"command": "ls"}}},
            {"id": "b", "type": "function", "function": {"name": "shell", "arguments": {"command": "pwd"}}}]},
        {"role": "tool", "tool_call_id": "b", "name": "shell", "content": "/w"},
        {"role": "tool", "tool_call_id": "a", "name": "shell", "content": "x"},
        {"role": "assistant", "content": "done"}],
        [{"type": "function", "function": {"name": "shell", "description": "d",
                                           "parameters": {"type": "object", "properties": {}}}}], {}, lineage(0, "t"))
    example = to_openai(rec)
    assert check_openai(example) == []
    assert [c["id"] for c in example["messages"][1]["tool_calls"]] == ["a", "b"]
