"""Executes the `aj` and `python-agent` tool sets for real, so a tool message in a record is what actually ran.

The workspace and every fleet host are separate sandbox work dirs whose files this runtime carries between calls
(collect=True), so state persists the way it would on a machine. Fleet hosts get the simulated service manager of
`sandbox/fleet_sim.py` (systemctl, df, uptime ...) copied into their work dir: its output comes from executing that script
against the host's state file, never from text made up here. Tools that only read or write the carried state
(read_file, write_file, list_agents) or have no effect (think, complete) answer in-process; lint and typecheck run
ruff / pyright on a private copy of the files (static analysis, nothing executes).

For throughput, `call_many` runs the sandbox jobs of many runtimes (one step each) through one `run_many` pool.
"""

import fnmatch
import inspect
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Parts of a tool's output that legitimately change between executions: pytest/pyright timings, the mtimes that
# `ls -l` prints for files the sandbox just wrote, and `date`. The fleet simulator needs none (logical clock).
MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
NONDETERMINISTIC = [
    r"in \d+(\.\d+)?s\b",
    r"\d+(\.\d+)?sec\b",
    rf"\b{MONTH} [ \d]\d (?:\d\d:\d\d|  ?\d{{4}}) ",
    rf"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) {MONTH} [ \d]\d \d\d:\d\d:\d\d [A-Z]+ \d{{4}}\b",
]

# What a record keeps of those parts: a typed placeholder instead of the value (sandbox.tools.steady). Two runs of the
# same plan then write identical tool messages, hence identical record ids, so exact dedup can match a regenerated
# record; the record's verification says what was replaced (`normalized`), and a replay compares after the same
# replacement. Each entry: (placeholder, regex); placeholders never match any regex here, so steady() is idempotent.
VOLATILE = [
    ("<duration>", r"(?<=\bin )\d+(?:\.\d+)?s\b"),  # pytest: "6 passed in 0.03s"
    ("<duration>", r"\b\d+(?:\.\d+)?sec\b"),  # the typecheck tool: "Completed in 0.5sec"
    ("<duration>", r"\b\d+m\d+\.\d+s\b"),  # time(1): "real 0m0.003s"
    ("<timestamp>", rf"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) {MONTH} [ \d]\d \d\d:\d\d:\d\d [A-Z]+ \d{{4}}\b"),  # date(1)
    ("<timestamp>", rf"\b{MONTH} [ \d]\d (?:\d\d:\d\d|  ?\d{{4}})(?= )"),  # ls -l mtimes of files just written
    ("<pid>", r"(?i)(?<=\bpid[=: ])\d+"),  # "pid 4242", "PID=17"
    ("<tmp>", r"/tmp/(?:tmp[A-Za-z0-9_]{6,}|tmp\.[A-Za-z0-9]{6,}|pytest-of-[^/\s]+/pytest-\d+)"),  # temp dirs
]
_VOLATILE = [(placeholder, re.compile(pattern)) for placeholder, pattern in VOLATILE]

AJ_TOOLS = ("bash", "remote_bash", "remote_bash_all", "list_agents", "think", "complete")
PYTHON_AGENT_TOOLS = ("execute_python", "read_file", "write_file", "run_tests", "lint", "typecheck",
                      "search_codebase", "shell")
REQUIRED = {
    "bash": ("command",), "remote_bash": ("host", "command"), "remote_bash_all": ("host_glob", "command"),
    "list_agents": (), "think": ("thought",), "complete": ("summary",), "execute_python": ("code",),
    "read_file": ("path",), "write_file": ("path", "content"), "run_tests": (), "lint": (), "typecheck": (),
    "search_codebase": ("pattern",), "shell": ("command",),
}
# The fleet simulator runs inside each host's work dir, reached through these PATH shims.
FLEET_SIM = (Path(__file__).with_name("fleet_sim.py")).read_bytes()
SHIMMED = ("systemctl", "service", "journalctl", "df", "free", "uptime", "hostname", "ps", "shutdown", "reboot",
           "poweroff", "ufw", "psql", "sudo")
SIM_EXTRAS = ("firewall", "databases")  # optional per-host state the simulator reads (agent entries of the same name)
JUNK_DIRS = ("__pycache__", ".pytest_cache", ".ruff_cache")
MAX_OUTPUT = 16_000  # characters of one tool message
WORKSPACE = "@workspace"  # state key of the local workspace next to the host names
# Sandbox runs are mostly process start-up and waiting on pipes, so a pool wider than the cores keeps them busy.
WORKERS = int(os.environ.get("CRUCIBLE_TOOL_WORKERS", 3 * (os.cpu_count() or 1)))


def shim(name: str) -> str:
    """A PATH entry for one simulated command; sudo just runs its arguments (the agent acts as root)."""
    if name == "sudo":
        return '#!/bin/sh\nwhile [ "${1#-}" != "$1" ]; do shift; done\nexec "$@"\n'
    return f'#!/bin/sh\nexec python3 -I "$FLEET_ROOT/.fleet/sim.py" {name} "$@"\n'


class Runtime:
    """What `call_many` drives: ToolRuntime here, FunctionRuntime (sandbox/functions) for the function library.
    Both run each call as sandbox jobs (`sandbox`, the local one unless given) of at most `wall_s` seconds."""

    def __init__(self, sandbox: Any, wall_s: float):
        if sandbox is None:
            from sandbox import get_sandbox

            sandbox = get_sandbox("local")
        self.sandbox = sandbox
        self.wall_s = wall_s

    def prepare(self, name: str, arguments: dict) -> "Step":
        raise NotImplementedError

    def absorb(self, target: str, res: Any) -> str:
        raise NotImplementedError

    def call(self, name: str, arguments: dict) -> str:
        return call_many([(self, name, arguments)])[0]


class ToolError(Exception):
    """An unknown tool or arguments that do not fit it: the call cannot be made at all."""


@dataclass
class Step:
    """One tool call prepared against a runtime: either answered already, or sandbox jobs plus how to finish."""

    text: str | None = None
    jobs: list[Any] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)  # state key each job runs against
    finish: Callable[[list[str]], str] | None = None


def _limits(wall_s: float = 20.0):
    from sandbox import Limits

    return Limits(wall_s=wall_s)


def _to_bytes(files: dict[str, str | bytes]) -> dict[str, bytes]:
    return {path: data if isinstance(data, bytes) else data.encode("utf-8") for path, data in files.items()}


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def format_result(res: Any) -> str:
    """What a terminal tool reports: stdout, then stderr, then the exit status when it is not a plain success."""
    out = res.stdout or ""
    err = res.stderr or ""
    if out and err and not out.endswith("\n"):
        out += "\n"
    text = (out + err).rstrip("\n")
    notes = []
    if res.timed_out:
        notes.append("[killed: time limit exceeded]")
    elif getattr(res, "memory_exceeded", False):
        notes.append("[killed: memory limit exceeded]")
    elif res.signal:
        notes.append(f"[killed by signal {res.signal}]")
    elif res.exit_code not in (0, None):
        notes.append(f"[exit code {res.exit_code}]")
    if getattr(res, "output_truncated", False):
        notes.append("[output truncated]")
    text = "\n".join([t for t in [clip(text), *notes] if t])
    return text or "(no output)"


def clip(text: str, limit: int = MAX_OUTPUT) -> str:
    """Keep a tool message trainable: long outputs are cut (deterministically) with a note, as agent tools do."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} more characters not shown]"


class ToolRuntime(Runtime):
    """The tools of one conversation, with the environment's files as mutable state."""

    def __init__(self, environment: dict, sandbox: Any = None, wall_s: float = 20.0):
        super().__init__(sandbox, wall_s)
        self.state: dict[str, dict[str, bytes]] = {}
        if "workspace" in environment:
            self.state[WORKSPACE] = _to_bytes(environment["workspace"].get("files", {}))
        self.agents: dict[str, dict] = {}
        for host, spec in sorted(environment.get("fleet", {}).items()):
            agent = dict(spec.get("agent", {}))
            self.agents[host] = agent
            files = _to_bytes(spec.get("files", {}))
            sim_state = {"hostname": host, "clock": agent.get("clock", 1_795_000_000),
                         "boot": agent.get("boot", 1_794_000_000), "load": agent.get("load", [0.12, 0.08, 0.05]),
                         "mem": agent.get("mem", {"total_mb": 7936, "used_mb": 2311}),
                         "disks": agent.get("disks", [{"fs": "/dev/sda1", "size_gb": 80, "used_gb": 31, "mount": "/"}]),
                         "services": spec.get("services", {}), "power": "on",
                         **{k: agent[k] for k in SIM_EXTRAS if k in agent}}
            files[".fleet/state.json"] = json.dumps(sim_state, indent=1, sort_keys=True).encode()
            files[".fleet/sim.py"] = FLEET_SIM
            for name in SHIMMED:
                files[f".fleet/bin/{name}"] = shim(name).encode()
            self.state[host] = files

    # -- the public interface -----------------------------------------------------------------------------------

    def files(self, target: str = WORKSPACE) -> dict[str, str]:
        """The current files of the workspace (or a host) as text: what a verifier inspects after a trace."""
        return {p: _text(b) for p, b in sorted(self.state.get(target, {}).items())}

    def online(self, host: str) -> bool:
        return self.agents.get(host, {}).get("status", "online") == "online"

    # -- preparing one call -------------------------------------------------------------------------------------

    def prepare(self, name: str, arguments: dict) -> Step:
        if name not in REQUIRED:
            raise ToolError(f"unknown tool {name!r}")
        if not isinstance(arguments, dict):
            raise ToolError(f"{name}: arguments must be an object, got {type(arguments).__name__}")
        for key in REQUIRED[name]:
            if key not in arguments:
                raise ToolError(f"{name}: missing required argument {key!r}")
        handler = getattr(self, f"_{name}")
        accepted = inspect.signature(handler).parameters
        for key, value in arguments.items():
            if key not in accepted:  # a model inventing parameters gets an error message back, not a crash
                raise ToolError(f"{name}: unknown argument {key!r} (accepts {', '.join(accepted) or 'none'})")
            if key != "timeout" and not isinstance(value, str):
                raise ToolError(f"{name}: argument {key!r} must be a string, got {type(value).__name__}")
        return handler(**arguments)

    def _job(self, target: str, command: Any, wall_s: float | None = None) -> Any:
        from sandbox import Job

        files: dict[str, str | bytes] = dict(self.state[target])
        return Job(files=files, command=command, limits=_limits(wall_s or self.wall_s), collect=True)

    def _shell_step(self, target: str, command: Any, wall_s: float | None = None) -> Step:
        return Step(jobs=[self._job(target, command, wall_s)], targets=[target], finish=lambda outs: outs[0])

    def _need_workspace(self) -> Step | None:
        return None if WORKSPACE in self.state else Step(text="error: no workspace is attached to this session")

    # aj ----------------------------------------------------------------------------------------------------------

    def _bash(self, command: str, timeout: Any = None) -> Step:
        if (missing := self._need_workspace()) is not None:
            return missing
        wall = float(timeout) if isinstance(timeout, int | float) and timeout > 0 else None
        return self._shell_step(WORKSPACE, command, min(wall or self.wall_s, 60.0))

    def _host_command(self, command: str) -> list[str]:
        prefix = ('FLEET_ROOT="$(pwd)"; export FLEET_ROOT; chmod +x .fleet/bin/* 2>/dev/null; '
                  'PATH="$FLEET_ROOT/.fleet/bin:$PATH"; export PATH; exec /bin/sh -c "$1"')
        return ["/bin/sh", "-c", prefix, "sh", command]

    def _host_error(self, host: str) -> str | None:
        if host not in self.agents:
            return (f"error: no agent named '{host}' is registered "
                    "(use list_agents to see the available hosts)")
        if not self.online(host):
            return f"error: agent '{host}' is not connected (last heartbeat lost); the command was not run"
        return None

    def _remote_bash(self, host: str, command: str) -> Step:
        if (err := self._host_error(host)) is not None:
            return Step(text=err)
        return self._shell_step(host, self._host_command(command))

    def _remote_bash_all(self, host_glob: str, command: str) -> Step:
        hosts = [h for h in self.agents if fnmatch.fnmatchcase(h, host_glob)]
        if not hosts:
            return Step(text=f"error: no agents match '{host_glob}'")
        live = [h for h in hosts if self.online(h)]

        def finish(outs: list[str]) -> str:
            by_host = dict(zip(live, outs, strict=True))
            parts = []
            for h in hosts:
                body = by_host[h] if h in by_host else self._host_error(h)
                parts.append(f"=== {h} ===\n{body}")
            return "\n".join(parts)

        return Step(jobs=[self._job(h, self._host_command(command)) for h in live], targets=live, finish=finish)

    def _list_agents(self, pattern: str = "*") -> Step:
        hosts = [h for h in self.agents if fnmatch.fnmatchcase(h, pattern)]
        if not self.agents:
            return Step(text="no agents are registered")
        if not hosts:
            return Step(text=f"no agents match '{pattern}'")
        lines = [f"{'HOST':<16} {'ROLE':<10} {'ENV':<8} {'OS':<12} STATUS"]
        for h in hosts:
            a = self.agents[h]
            status = "online" if self.online(h) else "offline"
            lines.append(f"{h:<16} {a.get('role', '-'):<10} {a.get('env', '-'):<8} {a.get('os', '-'):<12} {status}")
        lines.append(f"{len(hosts)} agent{'s' if len(hosts) != 1 else ''}")
        return Step(text="\n".join(lines))

    def _think(self, thought: str) -> Step:
        return Step(text="Thought recorded.")

    def _complete(self, summary: str) -> Step:
        return Step(text="Task marked complete.")

    # python-agent ------------------------------------------------------------------------------------------------

    def _execute_python(self, code: str) -> Step:
        if (missing := self._need_workspace()) is not None:
            return missing
        return self._shell_step(WORKSPACE, ["python3", "-B", "-c", code])

    def _shell(self, command: str) -> Step:
        return self._bash(command)

    def _run_tests(self, path: str = "") -> Step:
        if (missing := self._need_workspace()) is not None:
            return missing
        argv = ["python3", "-B", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--color=no"]
        return self._shell_step(WORKSPACE, argv + ([path] if path else []), 60.0)

    def _inside(self, path: str) -> str | None:
        norm = posixpath.normpath(path.removeprefix("./"))
        if norm.startswith(("/", "..")) or norm == ".":
            return None
        return norm

    def _layout_clash(self, norm: str) -> str | None:
        """Why `norm` cannot be written as a file in the workspace (a real filesystem's refusal), or None.

        A model may write `config` and then `config/settings.toml`: the sandbox's input check would reject that
        layout for the whole batch, so the call answers with the error a shell would give instead."""
        if "\0" in norm:
            return "path contains a NUL byte"
        files = self.state[WORKSPACE]
        parts = norm.split("/")
        for i in range(1, len(parts)):
            if (parent := "/".join(parts[:i])) in files:
                return f"not a directory ({parent!r} is a file)"
        if self._is_dir(norm):
            return "is a directory"
        return None

    def _is_dir(self, norm: str) -> bool:
        return any(p.startswith(norm + "/") for p in self.state[WORKSPACE])

    def _read_file(self, path: str) -> Step:
        if (missing := self._need_workspace()) is not None:
            return missing
        norm = self._inside(path)
        files = self.state[WORKSPACE]
        if norm is None:
            return Step(text=f"error: {path}: path is outside the workspace")
        if norm not in files:
            if self._is_dir(norm):
                return Step(text=f"error: {path}: is a directory")
            return Step(text=f"error: {path}: no such file")
        return Step(text=clip(_text(files[norm])))

    def _write_file(self, path: str, content: str) -> Step:
        if (missing := self._need_workspace()) is not None:
            return missing
        norm = self._inside(path)
        if norm is None:
            return Step(text=f"error: {path}: path is outside the workspace")
        if (clash := self._layout_clash(norm)) is not None:
            return Step(text=f"error: {path}: {clash}")
        data = content.encode("utf-8")
        self.state[WORKSPACE] = {**self.state[WORKSPACE], norm: data}
        return Step(text=f"wrote {len(data)} bytes to {norm}")

    def _search_codebase(self, pattern: str, path: str = "") -> Step:
        if (missing := self._need_workspace()) is not None:
            return missing
        try:
            rx = re.compile(pattern)
        except re.error as exc:
            return Step(text=f"error: bad pattern {pattern!r}: {exc}")
        prefix = self._inside(path) if path else ""
        if prefix is None:
            return Step(text=f"error: {path}: path is outside the workspace")
        hits = []
        for p, data in sorted(self.state[WORKSPACE].items()):
            if prefix and p != prefix and not p.startswith(prefix + "/"):
                continue
            for n, line in enumerate(_text(data).splitlines(), 1):
                if rx.search(line):
                    hits.append(f"{p}:{n}: {line.strip()}")
        if not hits:
            return Step(text=f"no matches for {pattern!r}")
        more = f"\n... {len(hits) - 200} more matches" if len(hits) > 200 else ""
        return Step(text="\n".join(hits[:200]) + more)

    def _static(self, argv: list[str], path: str) -> Step:
        """ruff / pyright over a private copy of the workspace; their cwd makes the paths they print relative."""
        if (missing := self._need_workspace()) is not None:
            return missing
        target = self._inside(path) if path else "."
        if target is None:
            return Step(text=f"error: {path}: path is outside the workspace")
        with tempfile.TemporaryDirectory(prefix="crucible-lint-") as tmp:
            for p, data in self.state[WORKSPACE].items():
                dest = os.path.join(tmp, p)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "wb") as f:
                    f.write(data)
            env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp, "NO_COLOR": "1"}
            proc = subprocess.run(argv + [target], cwd=tmp, capture_output=True, text=True, timeout=120, env=env)
            out = (proc.stdout + proc.stderr).replace(os.path.realpath(tmp) + "/", "").replace(tmp + "/", "")
        text = out.rstrip("\n") or "(no output)"
        return Step(text=text if proc.returncode == 0 else f"{text}\n[exit code {proc.returncode}]")

    def _lint(self, path: str = "") -> Step:
        ruff = shutil.which("ruff", path=os.path.dirname(sys.executable)) or "ruff"
        return self._static([ruff, "check", "--no-cache", "--output-format", "concise"], path)

    def _typecheck(self, path: str = "") -> Step:
        pyright = shutil.which("pyright", path=os.path.dirname(sys.executable)) or "pyright"
        return self._static([pyright], path)

    # -- absorbing results --------------------------------------------------------------------------------------

    def absorb(self, target: str, res: Any) -> str:
        if res.files is not None:
            files = {p: d for p, d in res.files.items() if not any(part in JUNK_DIRS for part in p.split("/"))}
            self.state[target] = files
            if target != WORKSPACE and ".fleet/state.json" in files:
                power = json.loads(files[".fleet/state.json"]).get("power", "on")
                if power in ("off", "unreachable"):
                    self.agents[target] = {**self.agents[target], "status": "offline"}
        return format_result(res)


def call_many(calls: Sequence[tuple[Runtime, str, dict]]) -> list[str]:
    """Run many tool calls, batching every sandbox job of a wave into one `run_many`.

    A wave holds at most one call per runtime, so two calls of the same conversation (a parallel turn) still run in
    the order given and each sees the other's effects. Raises ToolError for the first unusable call.
    """
    outputs: list[str | None] = [None] * len(calls)
    remaining = list(range(len(calls)))
    while remaining:
        wave: list[int] = []
        later: list[int] = []
        seen: set[int] = set()
        for i in remaining:
            (later if id(calls[i][0]) in seen else wave).append(i)
            seen.add(id(calls[i][0]))
        steps = {i: calls[i][0].prepare(calls[i][1], calls[i][2]) for i in wave}
        jobs = [(i, t, job) for i in wave for t, job in zip(steps[i].targets, steps[i].jobs, strict=True)]
        results = calls[wave[0]][0].sandbox.run_many([job for _, _, job in jobs], workers=WORKERS) if jobs else []
        texts: dict[int, list[str]] = {i: [] for i in wave}
        for (i, target, _), res in zip(jobs, results, strict=True):
            texts[i].append(calls[i][0].absorb(target, res))
        for i in wave:
            step = steps[i]
            outputs[i] = step.text if step.finish is None else step.finish(texts[i])
        remaining = later
    assert all(o is not None for o in outputs), "every call must produce an output"
    return [o or "" for o in outputs]


def steady(text: str) -> tuple[str, dict[str, int]]:
    """A tool output with its volatile parts (VOLATILE) replaced by placeholders, and how many of each."""
    counts: dict[str, int] = {}
    for placeholder, pattern in _VOLATILE:
        text, n = pattern.subn(placeholder, text)
        if n:
            counts[placeholder] = counts.get(placeholder, 0) + n
    return text, counts


def normalize(text: str, patterns: list[str]) -> str:
    """Replace the volatile parts and the declared nondeterministic pieces so two executions of the same call compare
    equal (a recorded output already holds the placeholders; a fresh one gets them here)."""
    text, _ = steady(text)
    for pattern in patterns:
        text = re.sub(pattern, "<nondeterministic>", text)
    return text


def replay(record: dict, sandbox: Any = None) -> list[tuple[str, str, str]]:
    """Re-execute every assistant tool call of a grounded record in a fresh runtime.

    Returns (tool_call_id, recorded, replayed) for each call whose normalised outputs differ; empty means the trace
    is reproducible. Calls of one assistant turn run in order, as they did when the trace was made.
    """
    return replay_in(ToolRuntime(record["verification"]["environment"], sandbox=sandbox), record)


def replay_in(rt: Runtime, record: dict) -> list[tuple[str, str, str]]:
    """`replay` in a runtime made from the record's environment: (tool_call_id, recorded, replayed) for each call
    whose output, normalised with the record's nondeterministic patterns, differs from the recorded one."""
    recorded = {m["tool_call_id"]: m["content"] for m in record["messages"] if m["role"] == "tool"}
    patterns = list(record["verification"].get("nondeterministic") or [])
    diffs = []
    for msg in record["messages"]:
        calls = msg.get("tool_calls") or []
        if msg["role"] != "assistant" or not calls:
            continue
        outs = call_many([(rt, c["function"]["name"], c["function"]["arguments"]) for c in calls])
        for call, out in zip(calls, outs, strict=True):
            want = recorded.get(call["id"], "")
            if normalize(out, patterns) != normalize(want, patterns):
                diffs.append((call["id"], want, out))
    return diffs
