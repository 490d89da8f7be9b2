"""Runs many records' tests inside ONE sandbox: pytest is imported once, then each record runs in a forked child.

Shipped as a file into the sandbox by filters.execution (it never runs on the host). Starting pytest costs ~0.2-0.5 s
of imports; a fork of an interpreter that already imported it costs ~2 ms, which is what makes the execution stage
fast. Isolation between the records of one batch: each record's files are written fresh just before its child
starts (an earlier record cannot plant files for a later one), each child gets its own process group, killed when
it ends or times out (no lingering helpers), and a fresh copy of the interpreter state (fork). The sandbox around
the whole batch still provides everything else (no network, no host files, limits).

Input: manifest.json = {"timeout": seconds, "args": [pytest args], "records": [{"files": {path: text}, "tests": path}]}.
Output: one line `@@RESULTS@@ <json list>` of {"exit_code", "timed_out", "output"}, in manifest order.
"""

import contextlib
import json
import os
import shutil
import signal
import sys
import time

OUTPUT_LIMIT = 4000


def run_one(index: int, record: dict, timeout: float, args: list) -> dict:
    workdir = os.path.abspath(f"r{index:05d}")
    for rel, text in record["files"].items():
        path = os.path.join(workdir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    log = os.path.join(workdir, ".pytest-output")
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setpgid(0, 0)
            os.chdir(workdir)
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            sys.path[:0] = [workdir]
            import pytest

            code = int(pytest.main([*args, record["tests"]]))
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.002)
    else:
        status = None
    timed_out = status is None
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    if timed_out:
        os.waitpid(pid, 0)
    exit_code = None if timed_out or status is None else (os.waitstatus_to_exitcode(status))
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            output = f.read()
    except OSError:
        output = ""
    shutil.rmtree(workdir, ignore_errors=True)
    return {"exit_code": exit_code, "timed_out": timed_out, "output": output[-OUTPUT_LIMIT:]}


def main() -> None:
    with open("manifest.json", encoding="utf-8") as f:
        manifest = json.load(f)
    import pytest  # noqa: F401  (imported once here; every fork inherits it)

    results = [run_one(i, record, manifest["timeout"], manifest["args"]) for i, record in enumerate(manifest["records"])]
    print("@@RESULTS@@ " + json.dumps(results))


if __name__ == "__main__":
    main()
