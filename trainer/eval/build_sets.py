"""One-off builder of the frozen held-out sets: `python -m trainer.eval.build_sets` (rewrites sets/*.jsonl).

The eval never runs this: it reads the committed JSONL, so a change to a generator, a sampler or this script cannot
move a score. Rerunning it is a deliberate new version of the sets (bump SETS_VERSION; sets/README.md says how each
set was made). Phrasings come from sets/source/*.toml (written for the eval, used by no generator); environments are
sampled once here with fixed seeds from sandbox.environments and frozen into sets/environments.json; every accepted
answer is computed from those frozen environments, never written by a model.
"""

import gzip
import hashlib
import json
import random
import string
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox.environments import sample_fleet, sample_workspace

HERE = Path(__file__).resolve().parent
SETS = HERE / "sets"
SOURCE = SETS / "source"
SETS_VERSION = "1"
SEED = 13_013  # far from any generate seed; each environment gets SEED + its index


def _dump(name: str, rows: list[dict]) -> None:
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
    (SETS / name).write_text(text, encoding="utf-8")


def _other_names() -> tuple[list[str], list[str]]:
    from schemas import OTHER_ASSISTANTS, OTHER_LABS

    # one spelling per assistant family is enough for prompts; the checker uses the full lists
    others = [a for a in OTHER_ASSISTANTS if a not in ("GPT-3", "GPT-3.5", "LLaMA", "Mixtral", "Phi-3", "Bard")]
    labs = [lab for lab in OTHER_LABS if lab not in ("HuggingFace", "Facebook", "DeepMind")]
    return others, labs


# ---- identity -------------------------------------------------------------------------------------------------

def build_identity() -> list[dict]:
    src = tomllib.loads((SOURCE / "identity.toml").read_text(encoding="utf-8"))
    others, labs = _other_names()
    rng = random.Random(SEED)
    rows: list[dict] = []
    for lang, block in src.items():
        def fill(text: str) -> str:
            return string.Template(text).safe_substitute(other=rng.choice(others), lab=rng.choice(labs))

        singles = [("name", ["name"], q) for q in block["name"]] + [("creator", ["creator"], q) for q in block["creator"]]
        singles += [("both", ["name", "creator"], q) for q in block["both"]]
        singles += [("challenge", ["name"], q) for q in block["challenge_name"]]
        singles += [("challenge", ["creator"], q) for q in block["challenge_maker"]]
        for kind, expect, question in singles:
            rows.append({"lang": lang, "kind": kind, "expect": expect,
                         "messages": [{"role": "user", "content": fill(question)}]})
        for turn in block["multi"]:
            # the earlier turns are context written for the set (the pressure ones replay the card's own answer)
            rows.append({"lang": lang, "kind": "multi", "expect": list(turn["expect"]),
                         "messages": [{"role": "user", "content": fill(turn["user"])},
                                      {"role": "assistant", "content": fill(turn["assistant"])},
                                      {"role": "user", "content": fill(turn["followup"])}]})
    for i, row in enumerate(rows):
        row["id"] = f"identity-{i:04d}"
    return rows


# ---- tool use ---------------------------------------------------------------------------------------------------

def _path(p: str) -> dict:
    return {"any_of": [p, f"./{p}"]}


def _opt_any_of(values: list[str]) -> dict:
    return {"any_of": values, "optional": True}


def _shell_like(toolset: str, contains: list[str]) -> list[list[dict]]:
    """Alternatives that run a command or code whose real output must contain `contains`."""
    if toolset == "python-agent":
        return [[{"name": "shell", "args": {"command": {"free": True}}, "output_has": contains}],
                [{"name": "execute_python", "args": {"code": {"free": True}}, "output_has": contains}]]
    return [[{"name": "bash", "args": {"command": {"free": True}, "timeout": {"free": True, "optional": True}},
              "output_has": contains}]]


def _workspace_envs(n: int) -> list[tuple[str, dict, dict]]:
    envs = []
    for i in range(n):
        env, facts = sample_workspace(random.Random(SEED + i), buggy=i % 2 == 1)
        envs.append((f"ws-{i:02d}", env, facts))
    return envs


def _fleet_envs(n: int) -> list[tuple[str, dict, dict]]:
    envs = []
    for i in range(n):
        env, facts = sample_fleet(random.Random(SEED + 100 + i), min_hosts=4, max_hosts=7, web_min=2, db=True)
        env["workspace"] = {"files": {"notes.txt": "local scratch space\n"}}
        envs.append((f"fleet-{i:02d}", env, facts))
    return envs


def _adder(items: list[dict], toolset: str) -> Callable[..., None]:
    """add(kind, env_id, text, accepted=None, answer=None): appends one item of this tool set to items."""
    def add(kind: str, env_id: str, text: str, accepted: list | None = None, answer: dict | None = None) -> None:
        item: dict[str, Any] = {"toolset": toolset, "kind": kind, "env": env_id,
                                "messages": [{"role": "user", "content": text}]}
        if accepted is not None:
            item["accepted"] = accepted
        if answer is not None:
            item["answer"] = answer
        items.append(item)

    return add


def _python_agent_items(src: dict, envs: list[tuple[str, dict, dict]], rng: random.Random) -> list[dict]:
    items: list[dict] = []
    call, multi = src["call"], src["multistep"]
    add = _adder(items, "python-agent")

    for env_id, env, facts in envs:
        files = env["workspace"]["files"]
        name = facts["project"]
        mods = sorted(facts["modules"])
        mod = rng.choice(mods)
        modfile, testfile = f"{name}/{mod}.py", f"tests/test_{mod}.py"
        path = rng.choice(["README.md", "config/settings.toml", facts["csv"], modfile])
        marker = next(line for line in files[path].splitlines() if line.strip())
        add("call", env_id, rng.choice(call["read_file"]).format(path=path),
            [[{"name": "read_file", "args": {"path": _path(path)}}], *_shell_like("python-agent", [marker])])
        add("call", env_id, rng.choice(call["run_tests_all"]),
            [[{"name": "run_tests", "args": {"path": _opt_any_of([".", "tests", "tests/", "./tests"])}}],
             [{"name": "shell", "args": {"command": {"free": True}}, "output_has_any": [" passed", " failed"]}]])
        add("call", env_id, rng.choice(call["run_tests_file"]).format(path=testfile),
            [[{"name": "run_tests", "args": {"path": _path(testfile)}}],
             [{"name": "shell", "args": {"command": {"contains": testfile}}, "output_has_any": [" passed", " failed"]}]])
        target = rng.choice([modfile, testfile])
        tool = rng.choice(["lint", "typecheck"])
        add("call", env_id, rng.choice(call[tool]).format(path=target),
            [[{"name": tool, "args": {"path": _path(target)}}]])
        fn = rng.choice(facts["modules"][mod])
        add("call", env_id, rng.choice(call["search"]).format(fn=fn),
            [[{"name": "search_codebase",
               "args": {"pattern": {"regex_hits": {"match": [f"def {fn}("], "miss": ["def unrelated_helper("]}},
                        "path": {"free": True, "optional": True}}}],
             *_shell_like("python-agent", [modfile])])
        note = rng.choice(["remember the milk", "ship it on friday", "call the plumber", "rotate the api keys"])
        newpath = rng.choice(["notes/todo.txt", "TODO.txt", "docs/note.md"])
        add("call", env_id, rng.choice(call["write_file"]).format(path=newpath, text=note),
            [[{"name": "write_file", "args": {"path": _path(newpath), "content": {"text": note}}}]])
        a, b = rng.randint(3, 9), rng.randint(40, 120)
        expr, value = rng.choice([(f"{a}**{b}", a**b), (f"the sum of the squares of 1 to {b}",
                                                          sum(k * k for k in range(1, b + 1))),
                                  (f"{b} factorial", _factorial(b))])
        add("call", env_id, rng.choice(call["compute"]).format(expr=expr),
            [[{"name": "execute_python", "args": {"code": {"free": True}}, "output_has": [str(value)]}],
             [{"name": "shell", "args": {"command": {"free": True}}, "output_has": [str(value)]}]])
        lpath = rng.choice(["logs/app.log", facts["csv"]])
        lines = files[lpath].count("\n")
        add("call", env_id, rng.choice(call["count_lines"]).format(path=lpath),
            _shell_like("python-agent", [str(lines)]))
        add("call", env_id, rng.choice(call["list_files"]),
            [*_shell_like("python-agent", [modfile.split("/")[-1], "settings.toml"])])
        pa, pb = rng.sample(["README.md", "config/settings.toml", modfile, testfile], 2)
        add("call", env_id, rng.choice(call["parallel_read"]).format(a=pa, b=pb),
            [[{"name": "read_file", "args": {"path": _path(pa)}}, {"name": "read_file", "args": {"path": _path(pb)}}]])
        # multi-step: the answer is read off real tool output
        if facts["bug"]:
            add("multistep", env_id, rng.choice(multi["bug"]), answer={"words": [facts["bug"][1]]})
        else:
            kind = rng.choice(["log_errors", "port", "workers", "csv_rows"])
            value = {"log_errors": facts["log_errors"], "port": facts["port"], "workers": facts["workers"],
                     "csv_rows": facts["csv_rows"]}[kind]
            add("multistep", env_id, rng.choice(multi[kind]).format(csv=facts["csv"]), answer={"number": value})
    return items


def _factorial(n: int) -> int:
    out = 1
    for k in range(2, n + 1):
        out *= k
    return out


def _aj_items(src: dict, envs: list[tuple[str, dict, dict]], rng: random.Random) -> list[dict]:
    items: list[dict] = []
    call, multi = src["call"], src["multistep"]
    add = _adder(items, "aj")

    def on_host(host: str, contains: list[str], any_of: bool = False) -> list[list[dict]]:
        key = "output_has_any" if any_of else "output_has"
        return [[{"name": "remote_bash", "args": {"host": {"any_of": [host]}, "command": {"free": True}},
                  key: contains}]]

    for env_id, env, facts in envs:
        fleet = env["fleet"]
        online = [h for h in facts["hosts"] if fleet[h]["agent"]["status"] == "online"]
        host = rng.choice(online)
        svc = rng.choice(sorted(fleet[host]["services"]))
        state = fleet[host]["services"][svc]["state"]
        add("call", env_id, rng.choice(call["service_status"]).format(svc=svc, host=host),
            on_host(host, [state]))
        envname = rng.choice(sorted({fleet[h]["agent"]["env"] for h in online}))
        members = sorted(h for h in facts["hosts"] if fleet[h]["agent"]["env"] == envname)
        add("call", env_id, rng.choice(call["disk_all"]).format(env=envname),
            [[{"name": "remote_bash_all", "args": {"host_glob": {"glob_covers": {"hosts": facts["hosts"],
                                                                                  "want": members}},
                                                    "command": {"free": True}}}],
             [{"name": "remote_bash", "args": {"host": {"any_of": [h]}, "command": {"free": True}}}
              for h in members if fleet[h]["agent"]["status"] == "online"]])
        add("call", env_id, rng.choice(call["list_agents"]),
            [[{"name": "list_agents", "args": {"pattern": {"any_of": ["*"], "optional": True}}}]])
        log_svc = rng.choice(sorted(fleet[host]["services"]))
        last = fleet[host]["files"][f"logs/{log_svc}.log"].strip().splitlines()[-1]
        add("call", env_id, rng.choice(call["tail_log"]).format(svc=log_svc, host=host), on_host(host, [last[-30:]]))
        add("call", env_id, rng.choice(call["uptime"]).format(host=host), on_host(host, [" up "]))
        version = fleet[host]["files"]["app/VERSION"].strip()
        add("call", env_id, rng.choice(call["version"]).format(host=host), on_host(host, [version]))
        local = rng.choice(call["local"])
        add("call", env_id, local, _shell_like("aj", ["Linux" if "uname" in local else "/"]))
        if len(online) >= 2:
            h1, h2 = sorted(rng.sample(online, 2))
            common = sorted(set(fleet[h1]["services"]) & set(fleet[h2]["services"]))
            if common:
                s = rng.choice(common)
                add("call", env_id, call["parallel_status"][0].format(svc=s, h1=h1, h2=h2),
                    [[{"name": "remote_bash", "args": {"host": {"any_of": [h]}, "command": {"free": True}}}
                      for h in (h1, h2)],
                     [{"name": "remote_bash_all", "args": {"host_glob": {"glob_covers": {"hosts": facts["hosts"],
                                                                                          "want": [h1, h2]}},
                                                           "command": {"free": True}}}]])
        if facts["failed"]:
            fh, fs = facts["failed"]
            add("multistep", env_id, rng.choice(multi["failed_service"]), answer={"words": [fs, fh]})
        elif facts["offline"]:
            add("multistep", env_id, multi["offline"][0], answer={"words": [facts["offline"]]})
        else:
            role = rng.choice(sorted(set(facts["roles"].values())))
            count = sum(r == role for r in facts["roles"].values())
            add("multistep", env_id, multi["count_role"][0].format(role=role), answer={"number": count})
        vhost = rng.choice(online)
        add("multistep", env_id, multi["version"][0].format(host=vhost),
            answer={"words": [fleet[vhost]["files"]["app/VERSION"].strip()]})
    return items


def build_tools() -> tuple[list[dict], dict]:
    src = tomllib.loads((SOURCE / "tasks.toml").read_text(encoding="utf-8"))
    rng = random.Random(SEED + 1)
    ws, fleets = _workspace_envs(12), _fleet_envs(12)
    items = _python_agent_items(src["python-agent"], ws, rng) + _aj_items(src["aj"], fleets, rng)
    for toolset, envs in (("python-agent", ws), ("aj", fleets)):
        for k, prompt in enumerate(src["relevance"]["prompts"]):
            items.append({"toolset": toolset, "kind": "relevance", "env": envs[k % len(envs)][0],
                          "messages": [{"role": "user", "content": prompt}]})
    for i, item in enumerate(items):
        item["id"] = f"tools-{i:04d}"
    environments = {env_id: env for env_id, env, _ in ws + fleets}
    return items, environments


def build_safety(environments: dict) -> list[dict]:
    src = tomllib.loads((SOURCE / "tasks.toml").read_text(encoding="utf-8"))["safety"]
    rng = random.Random(SEED + 2)
    rows = []
    ws = sorted(e for e in environments if e.startswith("ws-"))
    fleets = sorted(e for e in environments if e.startswith("fleet-"))
    for toolset, env_ids in (("python-agent", ws), ("aj", fleets)):
        for k, prompt in enumerate(src[toolset]):
            env_id = env_ids[k % len(env_ids)]
            env = environments[env_id]
            values: dict[str, str] = {}
            if toolset == "python-agent":
                files = sorted(env["workspace"]["files"])
                pkg = next(f for f in files if f.endswith("/__init__.py")).split("/")[0]
                module = rng.choice([f for f in files if f.startswith(pkg + "/") and not f.endswith("__init__.py")])
                values = {"pkg": pkg, "module": module}
            else:
                hosts = sorted(env["fleet"])
                h1, h2 = rng.sample(hosts, 2)
                values = {"host": h1, "host2": h2, "svc": rng.choice(sorted(env["fleet"][h1]["services"]))}
            rows.append({"id": f"safety-{len(rows):04d}", "toolset": toolset, "env": env_id,
                         "messages": [{"role": "user", "content": prompt.format(**values)}]})
    return rows


# ---- reasoning --------------------------------------------------------------------------------------------------

BANDS = ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10))
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _digits(rng: random.Random, n: int) -> int:
    return rng.randint(10 ** (n - 1), 10**n - 1)


def _problem(kind: str, level: int, rng: random.Random, src: dict) -> tuple[str, str, str]:
    """(question, answer, checker) for one kind at one level; the answer is computed here, in plain Python."""
    t = rng.choice(src[kind])
    if kind in ("add", "sub", "mul"):
        digits = 1 + (level + 1) // 2 if kind == "mul" else 1 + level
        a, b = _digits(rng, digits), _digits(rng, max(1, digits - rng.randint(0, 1)))
        if kind == "sub" and b > a:
            a, b = b, a
        value = a + b if kind == "add" else a - b if kind == "sub" else a * b
        return t.format(a=a, b=b), str(value), "number"
    if kind == "pens":
        boxes, each = rng.randint(2, 3 + 3 * level), rng.randint(3, 4 + 4 * level)
        taken = rng.randint(1, boxes * each - 1)
        return t.format(boxes=boxes, each=each, taken=taken), str(boxes * each - taken), "number"
    if kind == "weekday":
        start, n = rng.randrange(7), rng.randint(1, 10 * level * level)
        return t.format(day=DAYS[start], n=n), DAYS[(start + n) % 7], "word"
    if kind == "sequence":
        first = rng.randint(1, 9 * level)
        if level <= 4:
            step = rng.randint(2, 3 + 2 * level)
            terms = [first + step * i for i in range(5)]
            nxt = first + step * 5
        else:
            ratio = rng.randint(2, 1 + level // 2)
            terms = [first * ratio**i for i in range(4)]
            nxt = first * ratio**4
        return t.format(terms=", ".join(map(str, terms))), str(nxt), "number"
    if kind == "gcd":
        g = rng.randint(2, 3 * level + 3)
        a, b = g * rng.randint(2, 4 * level + 2), g * rng.randint(2, 4 * level + 2)
        import math

        return t.format(a=a, b=b), str(math.gcd(a, b)), "number"
    if kind == "binary":
        a = rng.randint(2 ** (level + 1), 2 ** (level + 3))
        return t.format(a=a), bin(a)[2:], "exact"
    if kind == "sort":
        nums = [rng.randint(-10 * level, 20 * level) for _ in range(3 + level)]
        return t.format(nums=", ".join(map(str, nums))), ", ".join(map(str, sorted(nums))), "list"
    # count_char
    alphabet = "abcde"[: 2 + min(3, level // 2)]
    s = "".join(rng.choice(alphabet) for _ in range(4 + 3 * level))
    ch = rng.choice(alphabet)
    return t.format(ch=ch, s=s), str(s.count(ch)), "number"


def build_reasoning() -> list[dict]:
    src = tomllib.loads((SOURCE / "tasks.toml").read_text(encoding="utf-8"))["reasoning"]
    kinds = ["add", "sub", "mul", "pens", "weekday", "sequence", "gcd", "binary", "sort", "count_char"]
    rng = random.Random(SEED + 3)
    rows = []
    for lo, hi in BANDS:
        for k in range(24):
            level = lo + k % (hi - lo + 1)
            kind = kinds[k % len(kinds)]
            question, answer, checker = _problem(kind, level, rng, src)
            rows.append({"id": f"reasoning-{len(rows):04d}", "level": level, "band": f"L{lo}-{hi}", "kind": kind,
                         "question": f"{question} {src['suffix']}", "answer": answer, "checker": checker})
    return rows


# ---- code ---------------------------------------------------------------------------------------------------------

def build_code() -> list[dict]:
    """MBPP's test split (task ids 11-510) and all of HumanEval, by id, from the copies shipped in filters/; the
    sha256 of each problem's text pins the exact version the eval expects."""
    data = Path(__file__).resolve().parents[2] / "filters" / "benchmark_data"
    rows = []
    with gzip.open(data / "mbpp.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if 11 <= int(r["task_id"]) <= 510:
                rows.append({"id": f"mbpp/{r['task_id']}", "benchmark": "mbpp", "task_id": r["task_id"],
                             "sha256": hashlib.sha256(r["text"].encode()).hexdigest()[:16]})
    with gzip.open(data / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            rows.append({"id": r["task_id"], "benchmark": "humaneval", "task_id": r["task_id"],
                         "sha256": hashlib.sha256(r["prompt"].encode()).hexdigest()[:16]})
    return rows


def main(argv: list[str]) -> int:
    identity = build_identity()
    tools, environments = build_tools()
    safety = build_safety(environments)
    reasoning = build_reasoning()
    code = build_code()
    _dump("identity.jsonl", identity)
    _dump("tools.jsonl", tools)
    _dump("safety.jsonl", safety)
    _dump("reasoning.jsonl", reasoning)
    _dump("code.jsonl", code)
    (SETS / "environments.json").write_text(json.dumps(environments, ensure_ascii=False, sort_keys=True) + "\n",
                                            encoding="utf-8")
    counts = {"identity": len(identity), "tools": len(tools), "safety": len(safety), "reasoning": len(reasoning),
              "code": len(code), "environments": len(environments)}
    print(json.dumps({"version": SETS_VERSION, **counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

