"""Executes library calls inside the sandbox, with the conversation's state carried from call to call.

Like sandbox/tools.py's ToolRuntime (and driven by the same `call_many`, so a batch of conversations shares one
`run_many` pool per wave): the state is the work dir's files, every call is one sandbox job that gets those files
plus the runner and the called function's module, and the files it leaves behind (minus the library) are the
state the next call sees. Arguments are checked against the generated schema before anything runs; a call that
does not fit raises ToolError, as ToolRuntime does, and a function that raises answers `{"error": ...}`.
"""

import json
from typing import Any

import jsonschema

from sandbox.functions.catalog import library, sandbox_files
from sandbox.tools import Runtime, Step, ToolError, clip, format_result, replay_in

RUNTIME = "sandbox.functions"  # verification.runtime of records made with this runtime
WORKSPACE = "@workspace"
COMMAND = ["python3", "-I", "-B", ".fnlib/run.py"]
_VALIDATORS: dict[str, jsonschema.Draft202012Validator] = {}


def _validator(name: str) -> jsonschema.Draft202012Validator:
    if name not in _VALIDATORS:
        _VALIDATORS[name] = jsonschema.Draft202012Validator(library()[name].tool["function"]["parameters"])
    return _VALIDATORS[name]


def _bytes(files: dict[str, Any]) -> dict[str, bytes]:
    return {p: d if isinstance(d, bytes) else str(d).encode("utf-8") for p, d in files.items()}


class FunctionRuntime(Runtime):
    """The library functions of one conversation, with its files (kv store, db, calendar, user files) as state."""

    def __init__(self, environment: dict, sandbox: Any = None, wall_s: float = 15.0):
        super().__init__(sandbox, wall_s)
        self.state: dict[str, bytes] = _bytes((environment.get("workspace") or {}).get("files") or {})

    def files(self) -> dict[str, str]:
        return {p: d.decode("utf-8", errors="replace") for p, d in sorted(self.state.items())}

    def prepare(self, name: str, arguments: dict) -> Step:
        from sandbox import Job, Limits

        fn = library().get(name)
        if fn is None:
            raise ToolError(f"unknown function {name!r}")
        if not isinstance(arguments, dict):
            raise ToolError(f"{name}: arguments must be an object, got {type(arguments).__name__}")
        errors = sorted(_validator(name).iter_errors(arguments), key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].path) or "arguments"
            raise ToolError(f"{name}: invalid arguments: {where}: {errors[0].message[:160]}")
        # keys sorted: a record stores its arguments as canonical JSON, so the function must see them in that order
        # (scale_recipe answered in the planner's order and its replay, from the record, in sorted order)
        call = json.dumps({"domain": fn.domain, "name": name, "arguments": arguments}, ensure_ascii=False,
                          sort_keys=True)
        files = {**self.state, **sandbox_files(fn.domain), ".fncall.json": call.encode("utf-8")}
        job = Job(files=files, command=COMMAND, limits=Limits(wall_s=self.wall_s), collect=True)
        return Step(jobs=[job], targets=[WORKSPACE], finish=lambda outs: outs[0])

    def absorb(self, target: str, res: Any) -> str:
        if res.files is not None:
            self.state = {p: d for p, d in res.files.items()
                          if not p.startswith(".fnlib/") and p != ".fncall.json" and "__pycache__" not in p}
        if res.ok:
            return clip(res.stdout)
        return json.dumps({"error": f"the call did not complete: {format_result(res)[-300:]}"}, ensure_ascii=False)


def replay(record: dict, sandbox: Any = None) -> list[tuple[str, str, str]]:
    """Re-execute a function_calling record's calls in order from its recorded environment.

    Returns (tool_call_id, recorded, replayed) for every call whose output differs; empty means the tool messages
    are exactly what the calls produce. Calls of one assistant turn run in order, as they did when recorded.
    """
    return replay_in(FunctionRuntime(record["verification"]["environment"], sandbox=sandbox), record)
