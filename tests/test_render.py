"""The renderer: exactly the assistant's output is supervised; prompts and parsing agree with training renders."""

import json

import pytest

from tests.trainer_data import AJ_TOOLS, CODE, identity_record, injection_record, small_tokenizer, tool_use_record
from trainer.render import CLOSE, OPEN, parse_assistant, render, render_prompt, show_plain, spans


def supervised_and_not(ids, mask, tok):
    """Decode the supervised and the unsupervised tokens separately, each stretch as one string."""
    runs = spans(ids, mask, tok)
    sup = [text for text, m, _ in runs if m]
    unsup = [text for text, m, _ in runs if not m]
    return "".join(sup), "".join(unsup)


def test_multi_turn_parallel_calls_reasoning_system_tools():
    tok = small_tokenizer()
    rec = tool_use_record()
    ids, mask = render(rec, tok)
    assert len(ids) == len(mask) and set(mask) == {0, 1}
    call_a = '{"name":"remote_bash","arguments":{"host":"web01","command":"systemctl is-active nginx"}}'
    call_b = call_a.replace("web01", "web02")
    sup, unsup = supervised_and_not(ids, mask, tok)
    expected_sup = (
        "<|reasoning_start|>Two hosts: ask both at once.<|reasoning_end|>Checking both."
        f"<|tool_call_start|>{call_a}<|tool_call_end|><|tool_call_start|>{call_b}<|tool_call_end|><|assistant_end|>"
        "web01 is up; web02's nginx has failed.<|assistant_end|>"
        f"Here:\n{CODE}<|assistant_end|>"
    )
    assert sup == expected_sup
    tools = (
        "bash(command: string) Run a shell command in the workspace.\n"
        "remote_bash(host: string, command: string) Run a shell command on one fleet host."
    )
    expected_unsup = (
        "<|bos|><|system_start|>You are LanBot, made by Lance.<|system_end|>"
        f"<|tools_start|>{tools}<|tools_end|>"
        "<|user_start|>Is nginx up on web01 and web02?<|user_end|><|assistant_start|>"
        '<|tool_output_start|>{"name":"remote_bash","id":"call_a"}\nactive\n<|tool_output_end|>'
        '<|tool_output_start|>{"name":"remote_bash","id":"call_b"}\nfailed\n<|tool_output_end|>'
        "<|assistant_start|><|user_start|>Show me the code for the area.<|user_end|><|assistant_start|>"
    )
    assert unsup == expected_unsup
    # and in order: the whole render is exactly the plain view with the brackets removed
    plain = show_plain(ids, mask, tok)
    assert plain.replace(OPEN, "").replace(CLOSE, "") == tok.decode(ids)
    assert plain.count(OPEN) == 3 and plain.startswith("<|bos|><|system_start|>")
    assert f"<|assistant_start|>{OPEN}<|reasoning_start|>" in plain
    assert f"<|assistant_end|>{CLOSE}<|tool_output_start|>" in plain


def test_every_special_token_is_masked_right():
    tok = small_tokenizer()
    ids, mask = render(tool_use_record(), tok)
    supervised = {"<|reasoning_start|>", "<|reasoning_end|>", "<|tool_call_start|>", "<|tool_call_end|>",
                  "<|assistant_end|>"}
    for t, m in zip(ids, mask, strict=True):
        name = tok.special_name(t)
        if name is not None:
            assert m == (name in supervised), name
    assert sum(t == tok.special("<|bos|>") for t in ids) == 1


def test_literal_special_text_in_content_stays_text():
    tok = small_tokenizer()
    ids, mask = render(injection_record(), tok)
    names = [tok.special_name(t) for t in ids if tok.is_special(t)]
    assert names == ["<|bos|>", "<|user_start|>", "<|user_end|>", "<|assistant_start|>", "<|assistant_end|>"]
    assert tok.decode(ids).count("<|assistant_end|>") == 3


def test_no_tools_no_system_and_null_content():
    tok = small_tokenizer()
    ids, _ = render(identity_record(1), tok)
    assert "<|tools_start|>" not in tok.decode(ids) and "<|system_start|>" not in tok.decode(ids)
    rec = {"messages": [
        {"role": "user", "content": "ls"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "bash", "arguments": '{"command": "ls"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "a.py\n"},  # no name: taken from the call it answers
    ], "tools": AJ_TOOLS[:1]}
    ids, mask = render(rec, tok)
    sup, unsup = supervised_and_not(ids, mask, tok)
    assert sup == '<|tool_call_start|>{"name":"bash","arguments":{"command":"ls"}}<|tool_call_end|><|assistant_end|>'
    assert '<|tool_output_start|>{"name":"bash","id":"c1"}\na.py\n<|tool_output_end|>' in unsup


def test_plain_text_document_all_supervised_but_bos():
    tok = small_tokenizer()
    ids, mask = render({"id": "x", "text": CODE}, tok)
    assert ids[0] == tok.bos and mask == [0] + [1] * (len(ids) - 1)
    assert tok.decode(ids[1:]) == CODE


@pytest.mark.parametrize("bad, match", [
    ({"messages": [{"role": "robot", "content": "hi"}]}, "role must be one of"),
    ({"messages": [{"role": "user", "content": 3}]}, "content must be a string"),
    ({"messages": [{"role": "assistant", "content": "", "tool_calls": [{"function": {"arguments": {}}}]}]},
     "function.name"),
    ({"messages": [{"role": "assistant", "content": "", "tool_calls": [
        {"function": {"name": "bash", "arguments": "{nope"}}]}]}, "not valid JSON"),
    ({"messages": "hello"}, "messages must be a list"),
    ({"messages": [{"role": "assistant", "content": "", "tool_calls": ["ls"]}]}, "function.name"),
    ({"messages": [{"role": "assistant", "content": "", "tool_calls": {"a": 1}}]}, "tool_calls must be a list"),
    ({"messages": [{"role": "assistant", "content": "", "reasoning": ["x"]}]}, "reasoning must be a string"),
])
def test_bad_records_fail_with_one_clear_line(bad, match):
    with pytest.raises(ValueError, match=match) as info:
        render({"id": "r1", **bad}, small_tokenizer())
    assert "\n" not in str(info.value) and "r1" in str(info.value)


def test_render_prompt_is_the_training_prefix():
    tok = small_tokenizer()
    rec = tool_use_record()
    ids, mask = render(rec, tok)
    # cut before the second assistant message: the prompt must equal the training render up to its assistant_start
    prompt = render_prompt(rec["messages"][:5], rec["tools"], tok)
    assert prompt[-1] == tok.special("<|assistant_start|>")
    assert ids[: len(prompt)] == prompt
    assert mask[len(prompt)] == 1 and mask[len(prompt) - 1] == 0


def test_parse_assistant_round_trips_a_rendered_turn():
    tok = small_tokenizer()
    rec = tool_use_record()
    ids, _ = render(rec, tok)
    prompt = render_prompt(rec["messages"][:2], rec["tools"], tok)
    generated = ids[len(prompt):]  # the model's ideal continuation (and what follows; parsing stops at its end)
    for out in (generated, tok.decode(generated)):
        msg = parse_assistant(out, tok)
        want = rec["messages"][2]
        assert msg["complete"] and msg["invalid_calls"] == []
        assert msg["content"] == want["content"] and msg["reasoning"] == want["reasoning"]
        assert [c["function"] for c in msg["tool_calls"]] == [c["function"] for c in want["tool_calls"]]
        assert [c["id"] for c in msg["tool_calls"]] == ["call_0", "call_1"]


def test_parse_assistant_reports_invalid_and_cut_calls():
    text = ('hi<|tool_call_start|>{"name": "bash"<|tool_call_end|>'
            '<|tool_call_start|>{"arguments": {}}<|tool_call_end|>'
            '<|tool_call_start|>{"name": "bash", "arguments": {"command": "ls"}}<|tool_call_end|>'
            '<|tool_call_start|>{"name": "ba')
    msg = parse_assistant(text)
    assert msg["content"] == "hi" and msg["reasoning"] is None and not msg["complete"]
    assert [c["function"]["name"] for c in msg["tool_calls"]] == ["bash"]
    assert [e["error"].split(":")[0] for e in msg["invalid_calls"]] == [
        "not JSON", 'needs a string "name"', "tool call not closed by <|tool_call_end|>"]


def test_show_cli_plain(tmp_path, capsys):
    from trainer.scripts.show import main

    tok = small_tokenizer()
    tok.save(tmp_path / "tok")
    path = tmp_path / "recs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [identity_record(0), tool_use_record()]) + "\n")
    assert main([str(path), "n=2", f"tokenizer={tmp_path / 'tok'}", "plain=true"]) == 0
    out = capsys.readouterr().out
    assert out.count("# ") >= 2 and f"{OPEN}<|reasoning_start|>" in out
    assert f"{OPEN}I'm LanBot, Lance built me. <|assistant_end|>{CLOSE}" in out


def test_tools_text_signatures():
    from trainer.render import tools_text

    tools = [{"type": "function", "function": {
        "name": "search", "description": "Find text.",
        "parameters": {"type": "object", "required": ["pattern"], "properties": {
            "pattern": {"type": "string", "description": "A regex."},
            "mode": {"enum": ["fast", "exact"]},
            "paths": {"type": "array", "items": {"type": "string"}},
            "limit": {"type": ["integer", "null"]}}}}},
        {"type": "function", "function": {"name": "noop"}}]
    assert tools_text(tools) == (
        'search(pattern: string, mode?: "fast"|"exact", paths?: string[], limit?: integer|null) Find text.\n'
        "  pattern: A regex.\n"
        "noop()"
    )
