"""ToolRuntime executes both tool sets for real: state persists, globs fan out, errors read like real tools."""

import pytest

from sandbox import get_sandbox
from sandbox.tools import NONDETERMINISTIC, ToolError, ToolRuntime, call_many, normalize

SERVICES = {"nginx": {"description": "web server", "state": "failed", "enabled": True, "pid": 500,
                      "since": 1_794_999_000, "log": []}}
ENV = {
    "workspace": {"files": {"app/calc.py": "def add(a, b):\n    return a - b\n",
                            "tests/test_calc.py": "from app.calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
                            "notes.txt": "alpha\nbeta\ngamma\n"}},
    "fleet": {
        "webprod01": {"files": {"app/VERSION": "1.2.3\n"}, "services": SERVICES,
                      "agent": {"role": "web", "env": "prod", "os": "debian-12"}},
        "webprod02": {"files": {"app/VERSION": "1.2.4\n"}, "services": {},
                      "agent": {"role": "web", "env": "prod", "os": "debian-12"}},
        "prod-db01": {"files": {}, "services": {}, "agent": {"role": "db", "env": "prod", "status": "offline"}},
    },
}


@pytest.fixture(scope="module")
def sandbox():
    return get_sandbox("local")


def test_workspace_tools_run_for_real(sandbox):
    rt = ToolRuntime(ENV, sandbox=sandbox)
    assert rt.call("bash", {"command": "wc -l notes.txt"}) == "3 notes.txt"
    assert rt.call("shell", {"command": "echo hi > out.txt; cat out.txt"}) == "hi"
    assert rt.call("read_file", {"path": "out.txt"}) == "hi\n", "files written by a command persist"
    assert rt.call("execute_python", {"code": "print(open('notes.txt').read().split()[1])"}) == "beta"
    assert "exit code 3" in rt.call("bash", {"command": "exit 3"})
    assert rt.call("search_codebase", {"pattern": r"def add\("}) == "app/calc.py:1: def add(a, b):"
    assert "no such file" in rt.call("read_file", {"path": "missing.py"})
    assert "outside the workspace" in rt.call("read_file", {"path": "../etc/passwd"})
    first = rt.call("run_tests", {})
    assert "1 failed" in first and "[exit code 1]" in first
    assert rt.call("write_file", {"path": "app/calc.py", "content": "def add(a, b):\n    return a + b\n"}).startswith("wrote")
    assert "1 passed" in rt.call("run_tests", {"path": "tests"})
    assert "All checks passed!" in rt.call("lint", {"path": "app"})
    assert rt.files()["app/calc.py"].endswith("a + b\n")


def test_write_file_that_clashes_with_the_layout_answers_like_a_filesystem(sandbox):
    """A tuned model wrote `config`, then `config/settings.toml`: the sandbox's input check crashed a whole eval."""
    rt = ToolRuntime(ENV, sandbox=sandbox)
    assert "not a directory ('notes.txt' is a file)" in rt.call("write_file", {"path": "notes.txt/a.toml", "content": ""})
    assert "is a directory" in rt.call("write_file", {"path": "app", "content": "x"})
    assert rt.call("bash", {"command": "ls app"}) == "calc.py", "the refused writes changed nothing"


def test_fleet_state_persists_per_host(sandbox):
    rt = ToolRuntime(ENV, sandbox=sandbox)
    status = rt.call("remote_bash", {"host": "webprod01", "command": "systemctl status nginx"})
    assert "Active: failed" in status and "[exit code 3]" in status
    assert rt.call("remote_bash", {"host": "webprod01", "command": "sudo systemctl restart nginx"}) == "(no output)"
    assert rt.call("remote_bash", {"host": "webprod01", "command": "systemctl is-active nginx"}) == "active"
    # the other host is its own world
    assert "could not be found" in rt.call("remote_bash", {"host": "webprod02", "command": "systemctl status nginx"})
    assert rt.call("remote_bash", {"host": "webprod02", "command": "hostname; cat app/VERSION"}) == "webprod02\n1.2.4"
    assert "Use%" in rt.call("remote_bash", {"host": "webprod02", "command": "df -h"})


def test_remote_bash_all_globs_and_errors(sandbox):
    rt = ToolRuntime(ENV, sandbox=sandbox)
    out = rt.call("remote_bash_all", {"host_glob": "webprod*", "command": "cat app/VERSION"})
    assert out == "=== webprod01 ===\n1.2.3\n=== webprod02 ===\n1.2.4"
    out = rt.call("remote_bash_all", {"host_glob": "*", "command": "hostname"})
    assert "=== prod-db01 ===\nerror: agent 'prod-db01' is not connected" in out
    assert "no agents match" in rt.call("remote_bash_all", {"host_glob": "zz*", "command": "true"})
    assert "no agent named 'web09'" in rt.call("remote_bash", {"host": "web09", "command": "ls"})
    listing = rt.call("list_agents", {"pattern": "web*"})
    assert "webprod01" in listing and "prod-db01" not in listing and listing.endswith("2 agents")
    assert "offline" in rt.call("list_agents", {})
    assert rt.call("think", {"thought": "plan"}) == "Thought recorded."
    assert rt.call("complete", {"summary": "done"}) == "Task marked complete."


def test_shutdown_takes_a_host_offline(sandbox):
    rt = ToolRuntime(ENV, sandbox=sandbox)
    assert "power-off" in rt.call("remote_bash", {"host": "webprod02", "command": "sudo shutdown -h now"})
    assert "not connected" in rt.call("remote_bash", {"host": "webprod02", "command": "uptime"})


def test_bad_calls_raise_tool_error(sandbox):
    rt = ToolRuntime(ENV, sandbox=sandbox)
    with pytest.raises(ToolError, match="unknown tool"):
        rt.call("format_disk", {})
    with pytest.raises(ToolError, match="missing required argument 'host'"):
        rt.call("remote_bash", {"command": "ls"})
    with pytest.raises(ToolError, match="must be a string"):
        rt.call("bash", {"command": ["ls"]})


def test_deterministic_and_batched(sandbox):
    a, b = ToolRuntime(ENV, sandbox=sandbox), ToolRuntime(ENV, sandbox=sandbox)
    cmd = {"host": "webprod01", "command": "systemctl restart nginx; systemctl status nginx; uptime; free -h"}
    outs = call_many([(a, "remote_bash", cmd), (b, "remote_bash", cmd), (a, "run_tests", {})])
    assert outs[0] == outs[1], "same environment + same commands -> same text"
    assert normalize(outs[2], NONDETERMINISTIC) == normalize(ToolRuntime(ENV, sandbox=sandbox).call("run_tests", {}),
                                                             NONDETERMINISTIC)


def test_long_output_is_clipped_deterministically(sandbox):
    rt = ToolRuntime(ENV, sandbox=sandbox)
    out = rt.call("bash", {"command": "seq 1 20000"})
    assert len(out) < 16_100 and out.endswith("more characters not shown]")
    assert out == ToolRuntime(ENV, sandbox=sandbox).call("bash", {"command": "seq 1 20000"})
