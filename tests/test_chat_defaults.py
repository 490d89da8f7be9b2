"""`just chat -p "who are you?"` on a small checkpoint with no settings: the persona answers, no tool call is made
(trainer/scripts/chat.py: under 100M parameters the tools are off by default, decoding greedy, 128 tokens).

The checkpoint is real: a tiny GPT trained (with the real optimizers) on two renders of "who are you?", one offering
the persona's tools and answered with a tool call, one offering none and answered "I'm LanBot.", then saved through
trainer.checkpoint and loaded by the chat script's own main(). So the default path's answer shows which way the chat
set itself up: with the tools the model calls one (the control below), without them it names itself.
"""

import io
from contextlib import redirect_stderr, redirect_stdout

import pytest
import torch

from schemas import load_persona
from trainer import checkpoint as ckpt
from trainer.gpt import GPT, model_config
from trainer.render import render
from trainer.scripts import chat
from trainer.tokenizer import Tokenizer

pytestmark = pytest.mark.slow  # trains a tiny model for ~10 s (more when the CPU is contended)

QUESTION = "who are you?"
ANSWER = "I'm LanBot, made by Lance."
CALL = {"id": "call_1", "type": "function", "function": {"name": "execute_python", "arguments": {"code": "print(1)"}}}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from tests.test_engine import overfit

    persona = load_persona("lanbot")
    system = {"role": "system", "content": persona.system_message()}
    with_tools = {"id": "a" * 32, "family": "tool_use", "persona": "lanbot", "tools": persona.tools(), "messages": [
        system, {"role": "user", "content": QUESTION}, {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "name": "execute_python", "content": "1\n"},
        {"role": "assistant", "content": "1"}]}
    without = {"id": "b" * 32, "family": "identity", "persona": "lanbot", "messages": [
        system, {"role": "user", "content": QUESTION}, {"role": "assistant", "content": ANSWER}]}
    texts = [system["content"], QUESTION, ANSWER, "print(1)", str(persona.tools())] * 3
    tok = Tokenizer.train(texts, 400)
    rows = [render(with_tools, tok), render(without, tok)]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        model = GPT(model_config("d2", tok.vocab_size, max(len(ids) for ids, _ in rows)))
        loss = overfit(model, rows, 150)
    finally:
        torch.set_num_threads(threads)
    assert loss < 0.05, f"tiny model failed to learn the two renders: loss {loss}"
    run = tmp_path_factory.mktemp("chat-ckpt")
    ckpt.save_checkpoint(run, 150, model, [], {"persona": "lanbot"}, None, tok)
    return run


def ask(run, *settings: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assert chat.main(["-p", QUESTION, f"ckpt={run}", *settings]) == 0
    return out.getvalue(), err.getvalue()


def test_the_default_names_the_persona_and_calls_no_tool(checkpoint):
    printed, header = ask(checkpoint)
    assert "-> " not in printed and "malformed tool call" not in printed, printed
    assert "LanBot" in printed, printed
    assert "tools: off (defaults under 100M parameters: tools=false" in header, header  # says why


def test_tools_on_when_asked_and_the_same_model_calls_one(checkpoint):
    """The control: the checkpoint does call a tool when the chat offers them, so the test above is not vacuous."""
    printed, header = ask(checkpoint, "tools=true")
    assert "-> execute_python" in printed, printed
    assert "tools: execute_python" in header, header
