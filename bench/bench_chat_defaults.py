"""
What `just chat -p` prints for a checkpoint under each candidate default: a fixed set of prompts (bench/chat_prompts.toml:
identity, small Python, a command to run, chit-chat) answered through the chat script's own functions (the settings
it resolves, stream_turn's printed text), counted per candidate.

Per answer: on-topic (the prompt's regex matches what a person sees: the reply, the tool calls and their real
output), names the persona (identity prompts), well-formed / malformed tool calls, a tool call where none belongs
(identity, chit-chat), the expected call (commands: a call matching the prompt's `call` regex), looping (a run of 6 words printed 3
times or more: greedy decoding's failure), ended on its own (not cut at max_tokens), and good: on-topic, not looping,
no malformed call and no call where none belongs.
Candidates that sample are asked with several seeds; greedy ones once. `candidates=default` asks with no settings at
all: whatever the chat resolves for this checkpoint.

    .venv/bin/python bench/bench_chat_defaults.py [ckpt=DIR] [seeds=2] [candidates=NAME,...]
        [out=bench/results/chat_defaults.json]
"""

import io
import json
import re
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# name -> the chat settings a person would type (`just chat -p "..." tools=false temperature=0`)
CANDIDATES = {
    "on-t0.6": ["tools=true", "temperature=0.6", "max_tokens=512"],  # the chat's default before 2026-12-05
    "off-t0.6": ["tools=false", "temperature=0.6", "max_tokens=512"],
    "on-t0": ["tools=true", "temperature=0", "max_tokens=512"],
    "off-t0": ["tools=false", "temperature=0", "max_tokens=512"],
    "off-t0.3": ["tools=false", "temperature=0.3", "max_tokens=512"],
    "off-t0-max128": ["tools=false", "temperature=0", "max_tokens=128"],
}


class Recorder:
    """Wraps the engine: the chat script streams the same events, and the bench keeps them to count calls."""

    def __init__(self, engine):
        self.engine, self.events = engine, []

    def chat(self, *args, **kwargs):
        for event in self.engine.chat(*args, **kwargs):
            self.events.append(event)
            yield event


def score(prompt: dict, printed: str, events: list[dict], persona_name: str) -> dict:
    calls = [e for e in events if e["type"] == "tool_call"]
    shown = [f"{e['call']['function']['name']}({json.dumps(e['call']['function']['arguments'], ensure_ascii=False)})"
             for e in calls if e["call"] is not None]
    done = next((e for e in events if e["type"] == "done"), {})
    kind = prompt["kind"]
    expected = kind == "command" and any(re.search(prompt["call"], c, re.I) for c in shown)
    on_topic = bool(re.search(prompt["on_topic"], printed, re.I | re.S)) or expected
    loops = looping(printed)
    unwanted = kind in ("identity", "chat") and bool(calls)
    return {"on_topic": on_topic, "loops": loops,
            "good": on_topic and not loops and len(shown) == len(calls) and not unwanted,
            "calls_ok": len(shown), "calls_bad": len(calls) - len(shown), "calls": shown,
            "names_persona": persona_name.lower() in printed.lower(), "unwanted_call": unwanted,
            "expected_call": expected, "ended": done.get("reason") == "stop", "chars": len(printed)}


def looping(text: str, words: int = 6, times: int = 3) -> bool:
    """The answer repeats itself: some run of `words` words occurs `times` times or more (greedy decoding's failure)."""
    tokens = text.split()
    runs: dict[tuple[str, ...], int] = {}
    for i in range(len(tokens) - words + 1):
        key = tuple(tokens[i:i + words])
        runs[key] = runs.get(key, 0) + 1
        if runs[key] >= times:
            return True
    return False


def main(argv: list[str]) -> int:
    import torch

    from schemas import load_persona
    from schemas.settings import parse_kv, parse_settings
    from schemas.storage import write_json_atomic
    from trainer import checkpoint as ckpt
    from trainer.engine import Engine
    from trainer.scripts import chat

    settings, _ = parse_kv(argv)
    from schemas.settings import InputError

    try:
        path = ckpt.find_checkpoint(settings.get("ckpt"), ROOT / "checkpoints")
    except InputError as exc:  # `just bench` runs every bench: without a checkpoint there is nothing to ask
        print(f"no checkpoint to ask: {exc}")
        return 0 if not settings.get("ckpt") else 2
    seeds = int(settings.get("seeds", "2"))
    names = settings["candidates"].split(",") if settings.get("candidates") else list(CANDIDATES)
    if unknown := [n for n in names if n not in CANDIDATES and n != "default"]:
        raise SystemExit(f"error: unknown candidate {unknown[0]!r}; known: default, {', '.join(CANDIDATES)}")
    prompts = tomllib.loads((ROOT / "bench" / "chat_prompts.toml").read_text())["prompt"]
    if settings.get("prompts"):  # a subset (index list) for a quick look
        prompts = [prompts[int(i)] for i in settings["prompts"].split(",")]
    torch.set_num_threads(1)
    model, meta = ckpt.load_model(path, "cpu")
    tok = ckpt.load_tokenizer(path)
    persona = load_persona(meta.get("persona") or "lanbot")
    system = [{"role": "system", "content": persona.system_message()}]
    rows, summary = [], {}
    for name in names:
        chat_settings, _ = parse_settings(CANDIDATES.get(name, []), chat.KNOWN)
        tools, runtime, gen, _why = chat.checkpoint_setup(persona, chat_settings, model)
        sampled = gen["temperature"] > 0
        t0 = time.time()
        answers = []
        for seed in range(seeds if sampled else 1):
            for i, prompt in enumerate(prompts):
                tools, runtime, gen, _why = chat.checkpoint_setup(persona, chat_settings, model)  # a fresh sandbox
                recorder, out = Recorder(Engine(model, tok)), io.StringIO()
                chat.stream_turn(recorder, [*system, {"role": "user", "content": prompt["text"]}], tools, runtime,
                                 {**gen, "seed": seed}, out=out)
                row = {"candidate": name, "prompt": i, "kind": prompt["kind"], "text": prompt["text"], "seed": seed,
                       "printed": out.getvalue(), **score(prompt, out.getvalue(), recorder.events, persona.name)}
                answers.append(row)
        rows += answers
        summary[name] = summarize(answers, gen, bool(tools), round(time.time() - t0, 1))
        print_summary(name, summary[name])
    out_path = Path(settings.get("out", ROOT / "bench" / "results" / "chat_defaults.json"))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out_path, {"checkpoint": str(path), "params": model.num_params(), "step": meta.get("step"),
                                 "seeds": seeds, "summary": summary, "answers": rows})
    print(f"-> {out_path}")
    return 0


def summarize(answers: list[dict], gen: dict, tools: bool, seconds: float) -> dict:
    def count(kind: str | None, key: str) -> list[int]:
        group = [a for a in answers if kind is None or a["kind"] == kind]
        return [sum(1 for a in group if a[key]), len(group)]

    kinds = ("identity", "python", "command", "chat")
    return {"tools": tools, "temperature": gen["temperature"], "max_tokens": gen["max_tokens"], "seconds": seconds,
            "good": count(None, "good"), **{f"{k}_good": count(k, "good") for k in kinds},
            "on_topic": count(None, "on_topic"), **{f"{k}_on_topic": count(k, "on_topic") for k in kinds},
            "identity_names_persona": count("identity", "names_persona"),
            "command_expected_call": count("command", "expected_call"), "loops": count(None, "loops"),
            "ended": count(None, "ended"), "unwanted_call": count(None, "unwanted_call"),
            "calls_ok": sum(a["calls_ok"] for a in answers), "calls_bad": sum(a["calls_bad"] for a in answers),
            "mean_chars": round(sum(a["chars"] for a in answers) / max(1, len(answers)))}


def print_summary(name: str, s: dict) -> None:
    def frac(pair: list[int]) -> str:
        return f"{pair[0]}/{pair[1]}"

    print(f"{name:14} good {frac(s['good']):>5} (identity {frac(s['identity_good'])}, python {frac(s['python_good'])}, "
          f"command {frac(s['command_good'])}, chat {frac(s['chat_good'])})  on-topic {frac(s['on_topic']):>5}  "
          f"names it {frac(s['identity_names_persona']):>5}  expected call {frac(s['command_expected_call'])}  "
          f"calls ok/bad {s['calls_ok']}/{s['calls_bad']}  unwanted call {frac(s['unwanted_call'])}  "
          f"loops {frac(s['loops'])}  ended {frac(s['ended'])}  {s['mean_chars']} chars  {s['seconds']:.0f}s", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
