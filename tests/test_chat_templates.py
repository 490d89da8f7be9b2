"""Every row of the `hf` export and of the published dataset renders through the official chat templates of five
tool-capable families - Qwen2.5-7B-Instruct, Qwen3-0.6B, Llama-3.1-8B-Instruct, Mistral-Nemo-Instruct-2407 and
Hermes-3-Llama-3.1-8B - with transformers' `apply_chat_template`, and every tool call comes back out of the rendered
text with the record's name and argument object.

Templates: `vendor/llama.cpp/models/templates/` of the llama-cpp-python 0.3.36 sdist that install.sh downloads
(tests/chat_templates.py reads them from ~/.cache/crucible/build; they are not copied into this repository).
Rows: the hand-built test corpus (parallel calls, reasoning, null content next to tool calls, system prompts) plus
real procedural tool-use traces of both personas' tool sets, executed in the sandbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from factory.export import check_hf, export, to_hf
from factory.publish import main as publish_main
from schemas.storage import encode_row, read_clean, row_schema
from tests.chat_templates import TEMPLATES, parse_calls, render, source_hint, template_source
from tests.stats_corpus import PERSONA, write_corpus

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(template_source(TEMPLATES["Qwen3-0.6B"][0]) is None, reason=source_hint())]
# how each family marks a tool output in the text
OUTPUT_MARK = {"hermes": "<tool_response>", "llama3": "<|start_header_id|>ipython<|end_header_id|>",
               "mistral": "[TOOL_RESULTS]"}


def real_traces() -> list[dict]:
    """One procedural trace per tool_use template of both tool sets (python-agent and aj), really executed."""
    from generators import tool_use
    from sandbox import get_sandbox
    from schemas import load_persona

    out: list[dict] = []
    for name in ("lanbot", "marigold"):
        persona = load_persona(name)
        tasks = [{"task_id": f"t-{i}", "seed": 7 + i, "mode": "procedural", "template": t, "persona": persona.slug}
                 for i, (t, tpl) in enumerate(sorted(tool_use.TEMPLATES.items())) if tpl.toolset == persona.toolset]
        out += [r for r in tool_use.run(tasks, None, get_sandbox("local"), "templates-test", persona)
                if not r.get("rejected")]
    assert out
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path_factory.mktemp("corpora")
    info = write_corpus(root, n=140)
    traces = real_traces()
    table = pa.Table.from_pylist([encode_row(r) for r in traces], schema=row_schema())
    pq.write_table(table, info["corpus"] / "clean" / "tool_use" / "00001.parquet")
    records = {r["id"]: r for recs in read_clean(info["corpus"]).values() for r in recs}
    assert sum(any(len(m.get("tool_calls") or []) > 1 for m in r["messages"]) for r in records.values()) > 0
    return {"root": root, "corpus": info["corpus"], "records": records, "real": len(traces)}


def expected_calls(record: dict) -> list[dict]:
    return [{"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
            for m in record["messages"] for c in m.get("tool_calls") or []]


def check_rows(rows: list[dict], records: dict[str, dict]) -> dict[str, int]:
    """Render every row with every family; returns rendered rows per family. Fails on the first row that does not
    render or whose calls do not come back."""
    rendered = dict.fromkeys(TEMPLATES, 0)
    for row in rows:
        assert check_hf(row) == [], (row["id"], check_hf(row))
        record = records[row["id"]]
        want = expected_calls(record)
        outputs = sum(m["role"] == "tool" for m in record["messages"])
        for family, (_, style) in TEMPLATES.items():
            try:
                text = render(family, row["messages"], row["tools"])
            except Exception as exc:  # the template refused the row: that is the failure this test exists for
                pytest.fail(f"{family} cannot render {record['family']} row {row['id']}: {exc}")
            got = parse_calls(style, text)
            assert [{"name": c["name"], "arguments": c["arguments"]} for c in got] == want, (family, row["id"])
            assert text.count(OUTPUT_MARK[style]) == outputs, (family, row["id"])
            if style == "mistral":  # the ids Mistral checks, still pairing each output with its call
                ids = [c["id"] for c in got]
                assert all(len(i) == 9 and i.isalnum() for i in ids) and len(set(ids)) == len(ids)
            rendered[family] += 1
    return rendered


def test_every_row_of_the_hf_export_renders_in_five_families(corpus, tmp_path):
    from datasets import load_dataset

    export(read_clean(corpus["corpus"]), "hf", tmp_path / "hf")
    ds = load_dataset("parquet", data_files=str(tmp_path / "hf" / "data.parquet"), split="train",
                      cache_dir=str(tmp_path / "cache"))
    rows = ds.to_list()
    assert len(rows) == len(corpus["records"])
    rendered = check_rows(rows, corpus["records"])
    assert set(rendered.values()) == {len(corpus["records"])}
    assert sum(bool(expected_calls(corpus["records"][r["id"]])) for r in rows) > corpus["real"]


def test_every_row_of_the_published_dataset_renders_in_five_families(corpus, tmp_path):
    from datasets import load_dataset

    out = tmp_path / "hub"
    assert publish_main([f"persona={PERSONA}", f"root={corpus['root']}", "repo=someone/lanbot-corpus",
                         "dry_run=true", f"out={out}"]) == 0
    ds = load_dataset(str(out), "all", split="train", cache_dir=str(tmp_path / "cache"))
    rows = ds.to_list()
    assert len(rows) == len(corpus["records"])  # every clean record is published
    rendered = check_rows(rows, corpus["records"])
    assert set(rendered.values()) == {len(corpus["records"])}


def test_parallel_calls_render_where_the_family_supports_them(corpus):
    """calls=parallel keeps a turn's calls together: Qwen, Hermes and Mistral render it; Llama-3.1 refuses it."""
    parallel = [r for r in corpus["records"].values() if any(len(m.get("tool_calls") or []) > 1 for m in r["messages"])]
    for record in parallel[:5]:
        row = to_hf(record, calls="parallel")
        for family, (_, style) in TEMPLATES.items():
            if family.startswith("Llama"):
                with pytest.raises(Exception, match="only supports single tool-calls"):
                    render(family, row["messages"], row["tools"])
                continue
            got = parse_calls(style, render(family, row["messages"], row["tools"]))
            assert [{"name": c["name"], "arguments": c["arguments"]} for c in got] == expected_calls(record)


def test_the_check_catches_the_old_row_shape(corpus):
    """Rows as the export wrote them before (arguments as JSON strings, content null next to calls, null keys,
    call_N ids): the same check fails in each of the ways the issue reported."""
    import json

    record = next(r for r in corpus["records"].values() if r["lineage"]["run_id"] == "templates-test")
    old = []
    for m in record["messages"]:
        calls = [{"id": f"call_{i}", "type": "function", "function": {
            "name": c["function"]["name"], "arguments": json.dumps(c["function"]["arguments"])}}
            for i, c in enumerate(m.get("tool_calls") or [])] or None
        old.append({"role": m["role"], "content": m.get("content"), "reasoning_content": m.get("reasoning"),
                    "tool_calls": calls, "tool_call_id": m.get("tool_call_id"), "name": m.get("name")})
    tools = record["tools"]
    qwen25 = parse_calls("hermes", render("Qwen2.5-7B-Instruct", old, tools))
    assert qwen25 and all(isinstance(c["arguments"], str) for c in qwen25)  # double-encoded
    for family, message in (("Qwen3-0.6B", "content"), ("Mistral-Nemo-Instruct-2407", "length 9")):
        with pytest.raises(Exception, match=message):  # content null next to a call; call_N ids
            render(family, old, tools)


def test_templates_are_read_from_the_sdist():
    for filename, _ in TEMPLATES.values():
        text = template_source(filename)
        assert text and "{%" in text, filename
    assert Path(__file__).with_name("chat_templates.py").read_text().count(".jinja") == len(TEMPLATES)
