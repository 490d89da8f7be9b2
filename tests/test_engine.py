"""The engine: KV-cached generation equals uncached, and a tool call executes in the real sandbox mid-generation.

The model is real: a tiny GPT overfit (with the real optimizers) on one rendered tool-use record, so at temperature 0
it writes the call itself. The workspace at test time holds a fresh random secret the model never saw, so the
output fed back can only have come from executing the call.
"""

import random

import pytest
import torch

from sandbox.tools import ToolRuntime
from schemas import load_toolset
from trainer.engine import Engine
from trainer.gpt import GPT, model_config
from trainer.optim import build_optimizers
from trainer.render import render, render_prompt
from trainer.tokenizer import Tokenizer

pytestmark = pytest.mark.slow  # the shared fixture trains a model for ~10 s (more when the CPU is contended)

TOOLS = [t for t in load_toolset("python-agent") if t["function"]["name"] == "execute_python"]
CODE = "print(open('data.txt').read())"


def tool_record(secret: str) -> dict:
    return {
        "id": "e" * 32, "family": "tool_use", "persona": "lanbot", "tools": TOOLS,
        "messages": [
            {"role": "system", "content": "You are LanBot."},
            {"role": "user", "content": "What is in data.txt?"},
            {"role": "assistant", "content": "Let me look.", "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "execute_python", "arguments": {"code": CODE}}}]},
            {"role": "tool", "tool_call_id": "call_1", "name": "execute_python", "content": secret},
            {"role": "assistant", "content": "That is what the file says."},
        ],
    }


def overfit(model: GPT, rows: list[tuple[list[int], list[int]]], steps: int) -> float:
    """Full-batch training on the rendered rows (padded with bos, unsupervised) until the loss is ~0."""
    T = max(len(ids) for ids, _ in rows) - 1
    xs, ys = [], []
    for ids, mask in rows:
        pad = T + 1 - len(ids)
        xs.append(ids[:-1] + [0] * pad)
        ys.append([t if m else -1 for t, m in zip(ids[1:], mask[1:], strict=True)] + [-1] * pad)
    x, y = torch.tensor(xs), torch.tensor(ys)
    optimizers = build_optimizers(model, matrix_lr=0.04)
    loss = torch.tensor(0.0)
    for _ in range(steps):
        loss = model(x, y)
        loss.backward()
        for opt in optimizers:
            opt.step()
        model.zero_grad(set_to_none=True)
    return loss.item()


@pytest.fixture(scope="module")
def trained():
    # one thread: tiny matmuls only lose to thread sync, badly so when the other core is busy
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield _train()
    finally:
        torch.set_num_threads(threads)


def _train():
    # a few workspaces, so the model learns to copy nothing from the output it is given back; outputs are real
    records = []
    for secret in ("apple-0000", "pear-31337", "plum-42424"):
        output = ToolRuntime({"workspace": {"files": {"data.txt": secret}}}).call("execute_python", {"code": CODE})
        records.append(tool_record(output))
    record = records[0]
    texts = [m["content"] or "" for r in records for m in r["messages"]] + [CODE, str(TOOLS)] * 3
    tok = Tokenizer.train(texts, 400)
    rows = [render(r, tok) for r in records]
    torch.manual_seed(0)
    model = GPT(model_config("d2", tok.vocab_size, max(len(ids) for ids, _ in rows)))
    loss = overfit(model, rows, 150)
    assert loss < 0.05, f"tiny model failed to overfit the records: loss {loss}"
    return model.eval(), tok, record


def test_generate_with_cache_matches_uncached_greedy(trained):
    model, tok, record = trained
    prompt = render_prompt(record["messages"][:2], record["tools"], tok)
    engine = Engine(model, tok)
    cached = list(engine.generate(prompt, max_tokens=20, temperature=0))
    ids = list(prompt)
    with torch.inference_mode():
        for _ in range(20):
            ids.append(int(model(torch.tensor([ids]))[0, -1].argmax()))
    assert cached == ids[len(prompt):]


def test_engine_executes_tool_call_in_sandbox(trained):
    model, tok, record = trained
    secret = f"kiwi-{random.randrange(10**6):06d}"
    runtime = ToolRuntime({"workspace": {"files": {"data.txt": secret}}})
    events = list(Engine(model, tok).chat(record["messages"][:2], record["tools"], runtime=runtime, temperature=0,
                                           max_steps=3, max_tokens=80))
    calls = [e["call"] for e in events if e["type"] == "tool_call"]
    outputs = [e["message"] for e in events if e["type"] == "tool_output"]
    assert calls and calls[0]["function"] == {"name": "execute_python", "arguments": {"code": CODE}}, events
    assert outputs[0]["content"] == secret  # only a real execution against this workspace can know it
    done = events[-1]
    assert done["type"] == "done" and done["reason"] == "stop", done
    roles = [m["role"] for m in done["messages"]]
    assert roles == ["assistant", "tool", "assistant"], done["messages"]
    assert done["messages"][-1]["content"] == "That is what the file says."
    streamed = "".join(e["text"] for e in events if e["type"] == "text" and e["channel"] == "content")
    assert streamed.startswith("Let me look.")


def test_forced_tokens_hook(trained):
    """force= makes the turn start with given tokens; the model continues from there."""
    model, tok, record = trained
    force = tok.encode("Let me")
    events = list(Engine(model, tok).chat(record["messages"][:2], record["tools"], runtime=None, temperature=0,
                                          max_tokens=60, force=force))
    done = events[-1]
    assert done["messages"][0]["content"].startswith("Let me look.")
    assert done["reason"] == "no_runtime"


def test_split_prompt_keeps_equals_signs():
    from trainer.scripts.chat import split_prompt

    assert split_prompt(["-p", "is x=1?", "ckpt=run", "top_k=5"]) == ("is x=1?", ["ckpt=run", "top_k=5"])


def test_chat_streams_a_turn_with_a_real_tool_call(trained):
    """What `just chat` prints for one turn: the words, the call, the sandbox's real output, the follow-up."""
    import io

    from trainer.scripts.chat import stream_turn

    model, tok, record = trained
    out = io.StringIO()
    runtime = ToolRuntime({"workspace": {"files": {}}})  # no data.txt: only a real run can produce the traceback
    new = stream_turn(Engine(model, tok), record["messages"][:2], record["tools"], runtime,
                      dict(temperature=0, max_tokens=60, max_steps=2), out=out)
    text = out.getvalue()
    assert text.startswith("Let me look.")
    assert "-> execute_python" in text and "FileNotFoundError" in text, text
    assert [m["role"] for m in new][:2] == ["assistant", "tool"]
