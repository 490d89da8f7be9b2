"""Runs many records' tests inside ONE sandbox, paying pytest's start-up once instead of once per record.

Shipped as a file into the sandbox by filters.execution (it never runs on the host). Two modes, in this order:
- shared sessions: groups of records run in one forked pytest session, kept apart by the `Isolation` plugin (each
  record's own modules, sys.path head, cwd and freshly rewritten files). A pass there is final.
- one record per forked child (pytest imported once in this parent, ~2 ms per fork): every record that did not pass
  in a shared session — failed, errored, or its session died or hung — runs again alone, and that run decides. So a
  batchmate can never make a record fail, and failure reasons come from a plain pytest run of the record alone.
Each child gets its own process group, killed when it ends or times out. The sandbox around the whole batch provides
everything else (no network, no host files, limits). What a shared session cannot rule out is a record that
deliberately rigs pytest itself to pass later batchmates; generated lessons are not adversaries of that kind, and
`group=1` in the manifest turns sharing off.

Input: manifest.json = {"timeout": s, "args": [pytest args], "group": n, "records": [{"files": {path: text},
"tests": path}]}. Output: one line `@@RESULTS@@ <json list>` of {"exit_code", "timed_out", "output"}, in order.
"""

import contextlib
import json
import os
import shutil
import signal
import sys
import time

OUTPUT_LIMIT = 4000


def write_files(workdir: str, files: dict) -> None:
    for rel, text in files.items():
        path = os.path.join(workdir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def fork_and_wait(workdir: str, child, timeout: float) -> tuple:
    """Run child() -> exit code in a forked process group with output to a log; (exit_code, timed_out, output)."""
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
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 (the process ends with os._exit)
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
            code = int(child())
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
    exit_code = None if timed_out or status is None else os.waitstatus_to_exitcode(status)
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            output = f.read()
    except OSError:
        output = ""
    return exit_code, timed_out, output


def run_one(index: int, record: dict, timeout: float, args: list) -> dict:
    workdir = os.path.abspath(f"r{index:05d}")
    write_files(workdir, record["files"])

    def child() -> int:
        sys.path[:0] = [workdir]
        import pytest

        return int(pytest.main([*args, record["tests"]]))

    exit_code, timed_out, output = fork_and_wait(workdir, child, timeout)
    shutil.rmtree(workdir, ignore_errors=True)
    return {"exit_code": exit_code, "timed_out": timed_out, "output": output[-OUTPUT_LIMIT:]}


class Isolation:
    """A pytest plugin that lets records share one session without seeing each other's modules.

    Every record lives in its own directory and imports its own `lesson`: before a record's test file is collected
    and before each of its tests runs, the modules of other records leave `sys.modules`, the record's own come back,
    its directory heads `sys.path`, it becomes the cwd, and its files are rewritten from the manifest (so an earlier
    record cannot swap them). Outcomes are tallied per record directory.
    """

    def __init__(self, root: str, records: dict):
        self.root = root
        self.records = records  # dir name -> record
        self.snapshots: dict = {}
        self.tally = {name: {"collected": 0, "passed": 0, "failed": 0, "errors": 0, "lines": []} for name in records}
        sys.path.insert(0, root)

    def _dir(self, path) -> str | None:
        rel = os.path.relpath(str(path), self.root)
        name = rel.split(os.sep)[0]
        return name if name in self.records else None

    def _enter(self, name: str) -> None:
        prefix = self.root + os.sep
        for mod_name, module in list(sys.modules.items()):
            if (getattr(module, "__file__", None) or "").startswith(prefix):
                del sys.modules[mod_name]
        sys.modules.update(self.snapshots.get(name, {}))
        workdir = os.path.join(self.root, name)
        write_files(workdir, self.records[name]["files"])
        sys.path[0] = workdir
        os.chdir(workdir)

    def _snapshot(self, name: str) -> None:
        prefix = os.path.join(self.root, name) + os.sep
        self.snapshots[name] = {k: m for k, m in sys.modules.items()
                                if (getattr(m, "__file__", None) or "").startswith(prefix)}

    def _line(self, name: str, report, kind: str) -> None:
        crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
        message = getattr(crash, "message", None) or str(getattr(report, "longrepr", "") or "").strip()
        nodeid = report.nodeid.split("/", 1)[-1]
        self.tally[name]["lines"].append(f"{kind} {nodeid} - {message.splitlines()[0] if message else ''}")

    def pytest_make_collect_report(self, collector):
        name = self._dir(collector.path) if type(collector).__name__ == "Module" else None
        if name:
            self._enter(name)
        outcome = yield
        if name:
            self._snapshot(name)
            report = outcome.get_result()
            if report.failed:
                self.tally[name]["errors"] += 1
                self._line(name, report, "ERROR")

    def pytest_itemcollected(self, item):
        name = self._dir(item.path)
        if name:
            self.tally[name]["collected"] += 1

    def pytest_runtest_protocol(self, item, nextitem):
        name = self._dir(item.path)
        if name:
            self._enter(name)
        yield

    def pytest_runtest_logreport(self, report):
        name = self._dir(os.path.join(self.root, report.nodeid.split("::")[0]))
        if not name:
            return
        tally = self.tally[name]
        if report.when == "call":
            if report.passed:
                tally["passed"] += 1
            elif report.failed:
                tally["failed"] += 1
                self._line(name, report, "FAILED")
        elif report.failed:
            tally["errors"] += 1
            self._line(name, report, "ERROR")

    def results(self) -> dict:
        out = {}
        for name, t in self.tally.items():
            bad = t["failed"] + t["errors"]
            code = 5 if t["collected"] == 0 and not bad else (1 if bad else 0)
            summary = (f"{t['failed']} failed, {t['passed']} passed" + (f", {t['errors']} errors" if t["errors"] else "")
                       if t["collected"] or bad else "no tests ran")
            out[name] = {"exit_code": code, "timed_out": False,
                         "output": "\n".join([*t["lines"], f"==== {summary} (shared session) ===="])[-OUTPUT_LIMIT:]}
        return out


def run_group(indices: list, records: list, timeout: float, args: list):
    """All `indices` in one pytest session (see Isolation); None if the session died or hung."""
    import pytest

    root = os.path.abspath(f"g{indices[0]:05d}")
    members = {f"r{i:05d}": records[i] for i in indices}
    for name, record in members.items():
        write_files(os.path.join(root, name), record["files"])
    results_path = os.path.join(root, ".results.json")
    Isolation.pytest_make_collect_report = pytest.hookimpl(hookwrapper=True)(Isolation.pytest_make_collect_report)
    Isolation.pytest_runtest_protocol = pytest.hookimpl(hookwrapper=True)(Isolation.pytest_runtest_protocol)

    def child() -> int:
        plugin = Isolation(root, members)
        targets = [f"{name}/{record['tests']}" for name, record in members.items()]
        pytest.main([*args, "--import-mode=importlib", "--continue-on-collection-errors", *targets], plugins=[plugin])
        with open(results_path, "w", encoding="utf-8") as f:
            json.dump(plugin.results(), f)
        return 0

    exit_code, timed_out, _ = fork_and_wait(root, child, timeout)
    try:
        with open(results_path, encoding="utf-8") as f:
            results = json.load(f) if exit_code == 0 and not timed_out else None
    except (OSError, ValueError):
        results = None
    shutil.rmtree(root, ignore_errors=True)
    return None if results is None else [results[f"r{i:05d}"] for i in indices]


def main() -> None:
    with open("manifest.json", encoding="utf-8") as f:
        manifest = json.load(f)
    import pytest  # noqa: F401  (imported once here; every fork inherits it)

    records, timeout, args = manifest["records"], manifest["timeout"], manifest["args"]
    group = int(manifest.get("group", 1))
    results: list = [None] * len(records)
    for start in range(0, len(records), group) if group > 1 else ():
        indices = list(range(start, min(start + group, len(records))))
        shared = run_group(indices, records, timeout * 2, args)
        for i, result in zip(indices, shared or [], strict=False):
            # Passing in a shared session is final; a failure is confirmed alone, so a batchmate cannot cause it.
            if result["exit_code"] == 0:
                results[i] = result
    for i, record in enumerate(records):
        if results[i] is None:
            results[i] = run_one(i, record, timeout, args)
    print("@@RESULTS@@ " + json.dumps(results))


if __name__ == "__main__":
    main()
