"""
Evaluate a checkpoint: `python -m trainer eval [ckpt=DIR] [persona=lanbot] [n=8] [shards=DIR] [bench=DIR]`.

What each number means, and why it is measured this way:
- val loss / bpb: loss per supervised token on the held-out split of the shards, and bits per byte of the decoded
  supervised target text (tokenizer-independent, so runs with different vocabularies compare)
- identity: held-out paraphrases of "who are you / who made you" in the card's languages, asked with no system prompt
  (the card's name is in the system prompt, so asking with it would test reading, not identity); a hit names the
  card's name (or creator, for "who made you")
- tool_calls: on held-out tasks that need a tool, the share of emitted calls that parse and validate against the
  offered tool's JSON-Schema parameters, plus the share of tasks where the model called anything at all
- reasoning: held-out procedural problems (levels 1-3) from generators/reasoning.py with seeds training never uses,
  answered through the full agent loop (python calls run in the sandbox), checked by its independent checker
- code: MBPP problems (never trained on: the decontamination stage removes them); the solution is extracted and run
  with the problem's asserts in the sandbox
Generation is greedy (temperature 0), so a checkpoint's numbers are reproducible. The table is printed with rich and
saved as evals.json next to the checkpoint.
"""

import json
import math
import os
import random
import re
import time
from pathlib import Path

import torch

from trainer import checkpoint as ckpt
from trainer.engine import Engine

IDENTITY_PROMPTS = {  # (question, what a correct answer names); none of them is a generator opener (a test checks)
    "en": [("Remind me, what are you called?", "name"), ("Which assistant am I chatting with right now?", "name"),
           ("Say your name, please.", "name"), ("What do people call you?", "name"),
           ("Give me a one-line intro about yourself.", "name"), ("hey bot, got a name?", "name"),
           ("Who's responsible for making you?", "creator"), ("Where do you come from, who developed you?", "creator"),
           ("who programmed u", "creator"), ("Which team trained this model?", "creator"),
           ("Who should I thank for building you?", "creator"), ("Who put you together?", "creator")],
    "es": [("¿Cuál es tu nombre?", "name"), ("Dime cómo te llamas.", "name"), ("¿Con quién estoy hablando?", "name"),
           ("Preséntate en una frase.", "name"), ("¿Quién te desarrolló?", "creator"),
           ("¿Qué equipo te entrenó?", "creator"), ("¿Quién está detrás de ti?", "creator"),
           ("¿Quién te programó?", "creator")],
    "fr": [("Quel est ton nom ?", "name"), ("Tu t'appelles comment ?", "name"), ("À qui est-ce que je parle ?", "name"),
           ("Présente-toi en une phrase.", "name"), ("Qui t'a développé ?", "creator"),
           ("Quelle équipe t'a entraîné ?", "creator"), ("Qui se cache derrière toi ?", "creator"),
           ("Qui t'a programmé ?", "creator")],
    "de": [("Wie ist dein Name?", "name"), ("Mit wem spreche ich gerade?", "name"), ("Sag mir deinen Namen.", "name"),
           ("Stell dich in einem Satz vor.", "name"), ("Wer hat dich entwickelt?", "creator"),
           ("Welches Team hat dich trainiert?", "creator"), ("Wer steckt hinter dir?", "creator"),
           ("Wer hat dich programmiert?", "creator")],
    "it": [("Come ti chiami?", "name"), ("Qual è il tuo nome?", "name"), ("Con chi sto parlando?", "name"),
           ("Presentati in una frase.", "name"), ("Chi ti ha creato?", "creator"), ("Chi ti ha sviluppato?", "creator"),
           ("Quale team ti ha addestrato?", "creator"), ("Chi c'è dietro di te?", "creator")],
}

TOOL_TASKS = {
    "python-agent": ["What is 2**100 exactly? Run it to be sure.", "List the files in the workspace.",
                     "Write a file hello.py that prints hello, then run it.", "Run the tests and tell me what fails.",
                     "Is there a function called parse anywhere in the codebase?", "Lint the project, please.",
                     "How many lines does README.md have?", "Compute the sum of the squares of 1..50 in Python.",
                     "Typecheck main.py.", "Show me what's in config.toml."],
    "aj": ["Is nginx running on web01?", "Check disk usage on every db host.", "Which agents are online?",
           "Restart the redis service on cache02.", "What's the uptime of web02?", "List the files in the workspace.",
           "Show the last lines of /var/log/syslog on web01.", "How much memory is free on db01?",
           "Check whether port 443 is listening on lb01.", "Run `df -h` locally."],
}

EVAL_SEED = 9_000_000  # reasoning problems come from seeds far from any generate run's


def benchmarks_dir(spec: str | None) -> Path | None:
    """A local folder with mbpp.jsonl (offline), or None for the Hub through `datasets`."""
    if spec:
        return Path(spec)
    env = os.environ.get("CRUCIBLE_BENCHMARKS")
    if env:
        return Path(env)
    shared = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
    return shared if shared.is_dir() else None


@torch.no_grad()
def loss_and_bpb(model, tok, shards: str | Path, batches: int = 16, batch_size: int = 4) -> dict:
    from trainer.dataloader import ShardLoader

    device = next(model.parameters()).device
    loader = ShardLoader(shards, split="val", batch_size=batch_size, loop=False, device=device)
    if loader.n_rows == 0:
        return {"val_loss": None, "val_bpb": None, "val_tokens": 0}
    token_bytes = torch.tensor([len(tok.token_bytes(i)) for i in range(tok.vocab_size)], device=device)
    nats = torch.zeros((), dtype=torch.float64, device=device)
    n_tokens = torch.zeros((), dtype=torch.long, device=device)
    n_bytes = torch.zeros((), dtype=torch.long, device=device)
    for _, (x, y) in zip(range(batches), loader, strict=False):
        loss = model(x, y, loss_reduction="none").view(y.shape)
        sup = y >= 0
        nats += loss[sup].double().sum()
        n_tokens += sup.sum()
        n_bytes += token_bytes[y[sup]].sum()
    if n_tokens == 0:
        return {"val_loss": None, "val_bpb": None, "val_tokens": 0}
    # special tokens (turn ends, call markers) carry zero bytes: their loss still counts, as in nanochat's bpb
    bpb = (nats / (math.log(2) * n_bytes)).item() if n_bytes > 0 else None
    return {"val_loss": (nats / n_tokens).item(), "val_bpb": bpb, "val_tokens": int(n_tokens)}


def identity_recall(engine: Engine, persona, n: int, max_tokens: int) -> dict:
    per_lang = [[(lang, q, want) for q, want in IDENTITY_PROMPTS.get(lang, [])] for lang in persona.languages]
    # round-robin over the card's languages, so a small n still asks in every language
    items = [row[i] for i in range(max(map(len, per_lang), default=0)) for row in per_lang if i < len(row)][:n]
    hits, samples = 0, []
    for lang, question, want in items:
        reply = engine.reply([{"role": "user", "content": question}], [], None, temperature=0, max_tokens=max_tokens)
        text = (reply[0]["content"] or "") if reply else ""
        target = persona.name if want == "name" else persona.creator
        ok = target.lower() in text.lower()
        hits += ok
        samples.append({"lang": lang, "question": question, "answer": text, "ok": ok})
    return {"identity": hits / max(1, len(items)), "identity_n": len(items), "identity_samples": samples}


def tool_call_validity(engine: Engine, persona, n: int, max_tokens: int) -> dict:
    import jsonschema

    tools = persona.tools()
    schemas = {t["function"]["name"]: t["function"].get("parameters", {"type": "object"}) for t in tools}
    system = [{"role": "system", "content": persona.system_message()}]
    tasks = TOOL_TASKS.get(persona.toolset, TOOL_TASKS["python-agent"])[:n]
    valid = total = called = 0
    samples = []
    for task in tasks:
        events = list(engine.chat([*system, {"role": "user", "content": task}], tools, None, max_steps=1,
                                  temperature=0, max_tokens=max_tokens))
        message = events[-1]["messages"][0] if events[-1]["messages"] else {}
        calls = message.get("tool_calls") or []
        bad = [e for e in events if e["type"] == "tool_call" and e["call"] is None]
        total += len(calls) + len(bad)
        called += bool(calls or bad)
        for call in calls:
            fn = call["function"]
            ok = fn["name"] in schemas
            if ok:
                try:
                    jsonschema.validate(fn["arguments"], schemas[fn["name"]])
                except jsonschema.ValidationError:
                    ok = False
            valid += ok
        samples.append({"task": task, "calls": [c["function"] for c in calls], "invalid": [b["raw"] for b in bad]})
    return {"tool_call_validity": valid / total if total else None, "tool_calls_emitted": total,
            "tool_use_rate": called / max(1, len(tasks)), "tool_samples": samples}


def reasoning_problems(n: int) -> list[dict]:
    from generators.reasoning import KINDS

    rng = random.Random(EVAL_SEED)
    problems = []
    for i in range(n):
        kind = sorted(KINDS)[i % len(KINDS)]
        level = 1 + i % 3
        q, _steps, _answer, checker, truth, _code = KINDS[kind](random.Random(EVAL_SEED + i), level)
        problems.append({"kind": kind, "level": level, "question": q, "checker": checker, "truth": truth})
    rng.shuffle(problems)
    return problems


def reasoning_accuracy(engine: Engine, persona, n: int, max_tokens: int, sandbox) -> dict:
    from generators.reasoning import check, final_answer
    from sandbox.tools import ToolRuntime

    system = [{"role": "system", "content": persona.system_message()}]
    correct, samples = 0, []
    problems = reasoning_problems(n)
    for p in problems:
        runtime = ToolRuntime({"workspace": {"files": {}}}, sandbox)
        new = engine.reply([*system, {"role": "user", "content": p["question"]}], persona.tools(), runtime,
                           temperature=0, max_tokens=max_tokens, max_steps=3)
        answer = final_answer((new[-1].get("content") or "") if new else "")
        ok = bool(answer) and check(answer, p["checker"], p["truth"])
        correct += ok
        samples.append({**p, "answer": answer, "ok": ok})
    return {"reasoning": correct / max(1, len(problems)), "reasoning_n": len(problems), "reasoning_samples": samples}


def extract_code(message: dict) -> str:
    """The solution: the last ```python fence of the reply, else code the model wrote through a tool, else the text."""
    text = message.get("content") or ""
    fences = re.findall(r"```(?:python|py)?\n(.*?)```", text, flags=re.S)
    if fences:
        return fences[-1]
    for call in reversed(message.get("tool_calls") or []):
        args = call["function"]["arguments"]
        for key in ("code", "content"):
            if isinstance(args.get(key), str):
                return args[key]
    return text


def code_pass_rate(engine: Engine, persona, n: int, max_tokens: int, sandbox, bench: Path | None) -> dict:
    from filters.benchmarks import load_rows
    from sandbox import Job, Limits

    rows = sorted(load_rows("mbpp", bench), key=lambda r: r["task_id"])[:n]
    system = [{"role": "system", "content": persona.system_message()}]
    jobs, samples = [], []
    for row in rows:
        prompt = f"{row['text']} Your code should pass this test:\n{row['test_list'][0]}"
        new = engine.reply([*system, {"role": "user", "content": prompt}], persona.tools(), None, temperature=0,
                           max_tokens=max_tokens, max_steps=1)
        code = extract_code(new[0]) if new else ""
        program = "\n".join([row.get("test_setup_code") or "", code, "", *row["test_list"]])
        jobs.append(Job(files={"main.py": program}, command=["python3", "main.py"], limits=Limits(wall_s=10)))
        samples.append({"task_id": row["task_id"], "code": code})
    results = sandbox.run_many(jobs) if jobs else []
    passed = 0
    for sample, res in zip(samples, results, strict=True):
        sample["passed"] = res.exit_code == 0 and not res.timed_out
        passed += sample["passed"]
    return {"code_pass": passed / max(1, len(rows)), "code_n": len(rows), "code_samples": samples}


def evaluate(path: str | Path, persona: str = "lanbot", shards: str | None = None, n: int = 8, max_tokens: int = 192,
             bench: str | None = None, which: str = "loss,identity,tools,reasoning,code", quiet: bool = False) -> dict:
    """Run the evals on one checkpoint; writes <ckpt>/evals.json and returns the summary."""
    from sandbox import get_sandbox
    from schemas import load_persona

    path = Path(path)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model, meta = ckpt.load_model(path, device)
    tok = ckpt.load_tokenizer(path)
    card = load_persona(persona)
    engine = Engine(model, tok)
    wanted = set(which.split(","))
    t0 = time.time()
    results: dict = {"checkpoint": str(path), "step": meta.get("step"), "persona": card.slug}
    shards = shards or meta.get("settings", {}).get("shards")
    if "loss" in wanted and shards and (Path(shards) / "manifest.json").is_file():
        results.update(loss_and_bpb(model, tok, shards))
    if "identity" in wanted:
        results.update(identity_recall(engine, card, n, max_tokens))
    if "tools" in wanted:
        results.update(tool_call_validity(engine, card, n, max_tokens))
    sandbox = get_sandbox("local") if wanted & {"reasoning", "code"} else None
    if "reasoning" in wanted:
        results.update(reasoning_accuracy(engine, card, n, max_tokens, sandbox))
    if "code" in wanted:
        results.update(code_pass_rate(engine, card, n, max_tokens, sandbox, benchmarks_dir(bench)))
    results["eval_seconds"] = round(time.time() - t0, 1)
    (path / "evals.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    if not quiet:
        print_table(results)
    return results


def print_table(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    def pct(key):
        v = results.get(key)
        return "n/a" if v is None else f"{100 * v:.1f}%"

    def num(key, fmt="{:.4f}"):
        v = results.get(key)
        return "n/a" if v is None else fmt.format(v)

    table = Table(title=f"evals: {results['checkpoint']} (step {results.get('step')})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("over", justify="right")
    rows = [
        ("val loss", num("val_loss"), f"{results.get('val_tokens', 0)} tokens"),
        ("val bits/byte", num("val_bpb"), ""),
        ("identity recall", pct("identity"), f"{results.get('identity_n', 0)} prompts"),
        ("tool-call validity", pct("tool_call_validity"), f"{results.get('tool_calls_emitted', 0)} calls"),
        ("tool use rate", pct("tool_use_rate"), "tasks needing a tool"),
        ("reasoning accuracy (L1-3)", pct("reasoning"), f"{results.get('reasoning_n', 0)} problems"),
        ("code pass rate (MBPP)", pct("code_pass"), f"{results.get('code_n', 0)} problems"),
    ]
    for name, value, over in rows:
        table.add_row(name, value, over)
    Console().print(table)
