"""The sampled Python project's modules and their tests, composed per workspace (data: prompts/tool_use_modules.toml).

sandbox.environments.sample_workspace plants a project from one fixed pool of twelve functions, so the scripts that
read, repair and rewrite its modules (tool_use fix_bug and add_test, safety delete_failing_test) kept writing the same
few function structures. `setup_modules` replaces the package modules and their tests: every function is one kind's
implementation (a body of prompts/tool_use_modules.toml) under a drawn name and docstring, with its annotations all
kept, dropped, or kept on the parameters or the return only, an optional guard first, and its last expression
returned directly or through a local. A buggy workspace's planted bug is its body's own (one line changed or
dropped). Nothing here decides an answer: the traces run the tests in the sandbox and read the failure off pytest's
output; tests/test_tool_use_modules.py checks that every body passes its tests and every planted bug fails them.

facts["functions"][name]: the correct source `src`, the planted `buggy` one, the `good` and `bad` lines that differ
and the `calls` add_test probes; facts["modules"] and facts["bug"] name the composed functions.
"""

import random
import re
import textwrap
import tomllib
from pathlib import Path

KINDS: dict[str, dict] = tomllib.loads(
    (Path(__file__).resolve().parent / "prompts" / "tool_use_modules.toml").read_text(encoding="utf-8"))["kinds"]
ANNOTATIONS = ("all", "none", "returns", "params")
LOCALS = ("result", "answer", "value_out")
_PARAM = re.compile(r"^(\w+): [^=]+?(?: = (.+))?$")


def _signature(name: str, params: list[str], returns: str, mode: str) -> str:
    if mode in ("none", "returns"):
        params = [_PARAM.sub(lambda m: m.group(1) + (f"={m.group(2)}" if m.group(2) else ""), p) for p in params]
    return f"def {name}({', '.join(params)}){f' -> {returns}' if mode in ('all', 'returns') else ''}:"


def _via_local(body: str, var: str) -> str:
    """`return <expr>` as the body's last line becomes `<var> = <expr>` then `return <var>`."""
    lines = body.rstrip("\n").split("\n")
    m = re.match(r"return (.+)$", lines[-1])
    if not m or m.group(1).isidentifier():
        return body
    return "\n".join([*lines[:-1], f"{var} = {m.group(1)}", f"return {var}"]) + "\n"


def _changed(good: str, bad: str) -> tuple[list[str], list[str]]:
    """The lines only the correct source has, and those only the buggy one has (stripped)."""
    g, b = good.splitlines(), bad.splitlines()
    return [x.strip() for x in g if x not in b], [x.strip() for x in b if x not in g]


def draw_form(rng: random.Random, kind: str) -> dict:
    """Which body, annotations, guard, local and docstring a function of `kind` gets."""
    k = KINDS[kind]
    return {"body": rng.randrange(len(k["bodies"])), "annotations": rng.choice(ANNOTATIONS),
            "guard": rng.randrange(len(k["guards"])) if k.get("guards") and rng.random() < 0.5 else None,
            "local": rng.random() < 0.5, "doc": rng.randrange(len(k["docs"]))}


def build(kind: str, name: str, form: dict) -> dict:
    """The function of `kind` named `name` in `form`: its correct and buggy source, imports, tests and probe calls."""
    k = KINDS[kind]
    body = k["bodies"][form["body"]]
    code = body["code"].lstrip("\n")
    old, new = body["bug"]
    assert old in code, f"{kind}: bug text {old!r} not in its body"
    var = next(v for v in LOCALS if not re.search(rf"\b{v}\b", code))
    guard = k["guards"][form["guard"]] if form["guard"] is not None else None

    def assemble(text: str) -> str:
        if form["local"]:
            text = _via_local(text, var)
        if guard:
            text = guard.rstrip("\n") + "\n" + text
        head = _signature(name, k["params"], k["returns"], form["annotations"]) + f'\n    """{k["docs"][form["doc"]]}"""\n'
        return head + textwrap.indent(text, "    ")

    src, buggy = assemble(code), assemble(code.replace(old, new, 1))
    good, bad = _changed(src, buggy)
    return {"kind": kind, "name": name, "src": src, "buggy": buggy, "good": good, "bad": bad,
            "imports": body.get("imports", []), "tests": [t.replace("{fn}", name) for t in k["tests"]],
            "calls": [x.replace("{fn}", name) for x in k["calls"]], "form": form}


def compose(rng: random.Random, kind: str, name: str) -> dict:
    return build(kind, name, draw_form(rng, kind))


def why(spec: dict) -> str:
    """What the fix changes, in words: `the line `bad` should be `good``, or which lines were missing."""
    good, bad = spec["good"], spec["bad"]
    if len(good) == 1 and len(bad) == 1:
        return f"the line `{bad[0]}` should be `{good[0]}`"
    if not bad:
        return f"`{good[0]}` is missing" if len(good) == 1 else \
            "the lines " + " and ".join(f"`{x}`" for x in good) + " are missing"
    return "the lines " + " and ".join(f"`{x}`" for x in bad) + " should read " + " and ".join(f"`{x}`" for x in good)


def module_text(mod: str, project: str, specs: list[dict], bug: str | None = None) -> str:
    """The module: docstring, the sorted imports its functions need, then the functions (`bug` names the buggy one)."""
    imports = sorted({i for s in specs for i in s["imports"]}, key=lambda i: (i.startswith("from "), i))
    head = f'"""{mod.capitalize()} helpers of {project}."""\n\n'
    if imports:
        head += "\n".join(imports) + "\n\n"
    funcs = [s["buggy"] if s["name"] == bug else s["src"] for s in specs]
    return head + "\n" + "\n\n".join(funcs)


def tests_text(mod: str, project: str, specs: list[dict]) -> str:
    tests = ["def test_" + s["name"] + "():\n" + "".join(f"    {t}\n" for t in s["tests"]) for s in specs]
    return f"from {project}.{mod} import {', '.join(s['name'] for s in specs)}\n\n\n" + "\n\n".join(tests)


def setup_modules(rng: random.Random, env: dict, facts: dict) -> None:
    """Replace the workspace's package modules and tests with composed ones (same module names and sizes); a buggy
    workspace keeps its bug in the same module and position."""
    files, project = env["workspace"]["files"], facts["project"]
    old_bug = facts.get("bug")
    kinds = rng.sample(sorted(KINDS), sum(len(fns) for fns in facts["modules"].values()))
    modules: dict[str, list[str]] = {}
    functions: dict[str, dict] = {}
    bug = None
    for mod, old in facts["modules"].items():
        specs = []
        for old_fn in old:
            kind = kinds.pop()
            name = rng.choice(KINDS[kind]["names"])
            spec = compose(rng, kind, name)
            specs.append(spec)
            functions[name] = spec
            if old_bug == (mod, old_fn):
                bug = (mod, name)
        modules[mod] = [s["name"] for s in specs]
        files[f"{project}/{mod}.py"] = module_text(mod, project, specs, bug[1] if bug and bug[0] == mod else None)
        files[f"tests/test_{mod}.py"] = tests_text(mod, project, specs)
    facts.update(modules=modules, bug=bug, functions=functions)
