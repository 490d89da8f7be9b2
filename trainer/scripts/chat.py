"""
Talk to a trained model with its tools working: `python -m trainer chat [-p "..."] [ckpt=DIR|model=...] [persona=NAME]`.

`model=` talks to a tuned model instead of a Crucible checkpoint: a fine-tune folder or .gguf (served for the chat by
the project's llama-server, as `just serve` does) or a running OpenAI-compatible endpoint `http://host:port/v1@name`;
the same agent loop runs over HTTP (trainer/chat_endpoint.py), tools executed in the sandbox.

Interactive by default (`just chat`): each turn streams the reply; tool calls run for real through the engine's agent
loop (the persona's tool set against a sandboxed workspace, or a simulated fleet for `aj`), and their real output is
shown dimmed. `-p "..."` answers one prompt and exits. The system prompt is the persona card's, as in training.
Commands in interactive mode: /clear (new conversation), /quit.

Settings: ckpt (a step dir or run dir; default the newest checkpoint under checkpoints/), persona (default the one the
checkpoint was trained for), temperature (0.6), top_k (50), max_tokens (512 per turn), max_steps (8 turns with
tool calls per answer), tools (true), seed (0), fleet_seed (0, which simulated fleet `aj` runs against). A checkpoint
under 100M parameters (d4, d8: what a CPU trains) defaults to tools=false temperature=0 max_tokens=128 instead: measured,
a 5M model offered tools calls one for "who are you?" (README, "Talking to the model"); `tools=auto` means the default.
"""

import json
import random
import sys

from schemas.settings import UsageError, as_bool, help_asked, parse_settings

KNOWN = {"ckpt", "model", "persona", "temperature", "top_k", "max_tokens", "max_steps", "tools", "seed", "fleet_seed"}


def split_prompt(argv: list[str]) -> tuple[str | None, list[str]]:
    """Pull `-p TEXT` / `--prompt TEXT` out before key=value parsing (a prompt may well contain '=')."""
    rest, prompt, i = [], None, 0
    while i < len(argv):
        if argv[i] in ("-p", "--prompt"):
            if i + 1 >= len(argv):
                raise UsageError("-p needs a prompt")
            prompt, i = argv[i + 1], i + 2
            continue
        rest.append(argv[i])
        i += 1
    return prompt, rest


def tools_for(persona, settings, default: bool = True) -> tuple[list[dict], object | None]:
    """The persona's tools and the sandboxed runtime that executes them, or none when tools are off (`tools=false`,
    or `tools=auto` / unset with `default` false)."""
    value = settings.get("tools", "auto").strip().lower()
    if not (default if value == "auto" else as_bool(value)):
        return [], None
    from sandbox.tools import ToolRuntime

    return persona.tools(), ToolRuntime(environment_for(persona.toolset, settings.integer("fleet_seed", 0)))


def environment_for(toolset: str, fleet_seed: int) -> dict:
    """A workspace for python-agent; for aj also a simulated fleet to run remote commands against."""
    if toolset == "aj":
        from sandbox.environments import sample_fleet

        fleet_env, _ = sample_fleet(random.Random(fleet_seed))
        return {"workspace": {"files": {}}, **fleet_env}
    return {"workspace": {"files": {}}}


# The defaults for a Crucible checkpoint depend on its size. Under SMALL_PARAMS parameters (everything a CPU trains: d4
# is 5M, d8 29M) measured on the demo's d4 with bench/bench_chat_defaults.py (20 prompts, README "Talking to the
# model"): with the tools offered it called one for "who are you?" and chit-chat (20 of 20 such answers) and named
# itself on 0 of 12 identity prompts; without them 7/12 at temperature 0.6 and 6/6 greedy, whose repeats max_tokens=128
# cuts short. Bigger checkpoints (not measured here) keep the sampling defaults and their tools.
SMALL_PARAMS = 100_000_000
SMALL = {"tools": False, "temperature": 0.0, "max_tokens": 128}
LARGE = {"tools": True, "temperature": 0.6, "max_tokens": 512}


def checkpoint_defaults(params: int) -> tuple[dict, str]:
    """The defaults for a checkpoint of `params` parameters and, for a small one, the header's note on them."""
    if params >= SMALL_PARAMS:
        return LARGE, ""
    return SMALL, (f"defaults under {SMALL_PARAMS / 1e6:.0f}M parameters: tools=false temperature=0 "
                   f"max_tokens={SMALL['max_tokens']}")


def checkpoint_setup(persona, settings, model) -> tuple[list[dict], object | None, dict, str]:
    """What `chat` runs a Crucible checkpoint with: (tools, runtime, sampling settings, the header's note on the
    defaults when a small model's tools were left to them)."""
    base, note = checkpoint_defaults(model.num_params())
    tools, runtime = tools_for(persona, settings, default=base["tools"])
    gen = dict(temperature=settings.number("temperature", base["temperature"], low=0),
               top_k=settings.integer("top_k", 50, low=1),
               max_tokens=settings.integer("max_tokens", base["max_tokens"], low=1),
               max_steps=settings.integer("max_steps", 8, low=1), seed=settings.integer("seed", 0))
    return tools, runtime, gen, note if settings.get("tools", "auto").strip().lower() == "auto" else ""


def stream_turn(engine, messages, tools, runtime, settings, out=None) -> list[dict]:
    """Print one answer as it is generated; returns the new messages (assistant and tool) for the history."""
    return print_events(engine.chat(messages, tools, runtime, **settings), out)


def print_events(events, out=None) -> list[dict]:
    """Show an agent loop's events as they arrive (the engine's streamed channels, or an endpoint's whole replies);
    returns the new messages (assistant and tool) for the history."""
    out = out or sys.stdout
    dim, reset = ("\033[2m", "\033[0m") if out.isatty() else ("", "")
    new: list[dict] = []
    channel = None
    for event in events:
        kind = event["type"]
        if kind == "reasoning":  # an endpoint's reasoning, whole
            out.write(f"(thinking) {dim}{event['text']}{reset}\n")
        elif kind == "text":
            if event.get("channel") == "call":
                continue  # shown parsed, below
            if event.get("channel") != channel:
                channel = event.get("channel")
                if channel == "reasoning":
                    out.write("(thinking) ")
            out.write(f"{dim}{event['text']}{reset}" if channel == "reasoning" else event["text"])
        elif kind == "tool_call":
            if event["call"] is None:
                out.write(f"\n{dim}[malformed tool call: {event['error']}]{reset}\n")
            else:
                fn = event["call"]["function"]
                out.write(f"\n{dim}-> {fn['name']}({json.dumps(fn['arguments'], ensure_ascii=False)}){reset}\n")
        elif kind == "tool_output":
            text = event["message"]["content"]
            shown = text if len(text) < 2000 else text[:2000] + f"... [{len(text) - 2000} more chars]"
            out.write(f"{dim}{shown}{reset}\n")
            channel = None
        elif kind == "done":
            new = event["messages"]
            if event["reason"] != "stop":
                out.write(f"\n{dim}[{event['reason']}]{reset}")
        out.flush()
    out.write("\n")
    return new


def main(argv: list[str]) -> int:
    if help_asked(argv, __doc__):
        return 0
    prompt, rest = split_prompt(argv)
    settings, _ = parse_settings(rest, KNOWN, usage='chat [-p "..."] [key=value ...]')
    if settings.get("model"):
        return chat_model(prompt, settings)
    import torch

    from schemas import load_persona
    from trainer import checkpoint as ckpt
    from trainer.engine import Engine

    try:
        path = ckpt.find_checkpoint(settings.get("ckpt"))
    except AssertionError as exc:
        raise UsageError(str(exc)) from None
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model, meta = ckpt.load_model(path, device)
    tok = ckpt.load_tokenizer(path)
    persona = load_persona(settings.get("persona") or meta.get("persona") or "lanbot")
    tools, runtime, gen, why = checkpoint_setup(persona, settings, model)
    engine = Engine(model, tok)
    system = [{"role": "system", "content": persona.system_message()}]
    print(f"[{persona.name} | {path} | step {meta.get('step')} | {model.num_params() / 1e6:.1f}M params | "
          f"tools: {', '.join(t['function']['name'] for t in tools) or 'off'}{f' ({why})' if why else ''}]",
          file=sys.stderr)
    return converse(prompt, persona.name, gen, lambda msgs: stream_turn(engine, [*system, *msgs], tools, runtime, gen))


def converse(prompt: str | None, name: str, gen: dict, answer) -> int:
    """One answer to `-p`, or the interactive loop (/clear, /quit); `answer(history)` shows a reply and returns the
    messages it added."""
    if prompt is not None:
        answer([{"role": "user", "content": prompt}])
        return 0
    history: list[dict] = []
    while True:
        try:
            line = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line in ("/quit", "/exit"):
            return 0
        if line == "/clear":
            history = []
        if not line or line == "/clear":
            continue
        history.append({"role": "user", "content": line})
        sys.stdout.write(f"{name.lower()}> ")
        history += answer(history)
        gen["seed"] += 1  # a fresh sample each turn, still reproducible from the start seed


def chat_model(prompt: str | None, settings) -> int:
    """`model=`: a fine-tune folder / .gguf (served here for the chat) or an http://host:port/v1@name endpoint."""
    import contextlib

    from schemas import load_persona
    from trainer.chat_endpoint import agent_loop

    spec = settings["model"]
    persona = load_persona(settings.get("persona") or "lanbot")
    tools, runtime = tools_for(persona, settings)
    gen = dict(temperature=settings.number("temperature", 0.6, low=0), max_tokens=settings.integer("max_tokens", 512, low=1),
               max_steps=settings.integer("max_steps", 8, low=1), seed=settings.integer("seed", 0))
    with contextlib.ExitStack() as stack:
        if spec.startswith(("http://", "https://")):
            url, _, name = spec.rpartition("@")
            if not url:
                raise UsageError(f"model={spec}: an endpoint is http://host:port/v1@model-name")
        else:
            from trainer.scripts.serve import served

            print(f"[starting llama-server for {spec} ...]", file=sys.stderr)
            name = "tuned"
            url = stack.enter_context(served(spec, alias=name, parallel=1))
        system = [{"role": "system", "content": persona.system_message()}]
        print(f"[{persona.name} | {spec} | tools: {', '.join(t['function']['name'] for t in tools) or 'off'}]",
              file=sys.stderr)
        return converse(prompt, persona.name, gen,
                        lambda msgs: print_events(agent_loop(url, name, [*system, *msgs], tools, runtime, **gen)))
