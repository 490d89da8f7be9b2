"""The E2B backend: each run gets its own fresh E2B cloud sandbox (a Firecracker microVM), killed afterwards.

For machines without bubblewrap, or to keep untrusted code off the host altogether. The command runs under the
same supervisor as the local backend (_inner.py, uploaded with the files), so rlimits, exact exit status /
signal, straggler kill and collect=True behave the same; the wall clock is the SDK's command timeout plus the
sandbox's own lifetime timeout as a backstop. Internet access is switched off at creation. Only the files and
the fixed SANDBOX_ENV go in: no host environment variable is ever forwarded.
"""

from __future__ import annotations

import math
import os
import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox._protocol import INNER_SOURCE, build_result, encode_files, inner_argv, parse_status
from sandbox.base import SANDBOX_ENV, Limits, Result, Sandbox, SandboxError, SandboxUnavailable, check_inputs

E2B_WORKDIR = "/home/user/work"  # the template's unprivileged user owns /home/user
E2B_ENV = {**SANDBOX_ENV, "HOME": E2B_WORKDIR}
STAGE = "/tmp/.crucible"  # supervisor, its input and its status stream live here, outside the work dir
LIFETIME_SLACK_S = 60  # the VM dies on its own this long after the command's deadline, even if we crash


@dataclass
class E2BPlan:
    """Everything one run sends to E2B."""

    create: dict[str, Any]  # Sandbox.create kwargs
    uploads: dict[str, bytes]  # path in the VM -> bytes
    command: str  # the shell line commands.run executes
    cmd_timeout: float
    limits: Limits
    collect: bool


class E2BSandbox(Sandbox):
    name = "e2b"

    def __init__(self, api_key: str | None = None, template: str | None = None):
        self.api_key = api_key or os.environ.get("E2B_API_KEY")
        if not self.api_key:
            raise SandboxUnavailable("E2B_API_KEY is not set: create a key at https://e2b.dev and export it")
        try:
            import e2b  # noqa: F401  (checked here so get_sandbox fails early, imported again where used)
        except ImportError as e:
            raise SandboxUnavailable(f"the e2b SDK is not installed ({e}): pip install e2b") from e
        self.template = template

    def plan(self, files: Mapping[str, str | bytes], command: list[str] | str, limits: Limits | None = None,
             collect: bool = False) -> E2BPlan:
        """Everything a run sends to E2B, built offline: creation kwargs, uploads and the shell command line."""
        data, argv, limits = check_inputs(files, command, limits)
        create = {"api_key": self.api_key, "allow_internet_access": False, "envs": {},
                  "timeout": math.ceil(limits.wall_s) + LIFETIME_SLACK_S}
        if self.template:
            create["template"] = self.template
        uploads = {f"{STAGE}/inner.py": INNER_SOURCE.encode(), f"{STAGE}/input": encode_files(data)}
        # reuse the supervisor as-is: it reads the config from argv (not -c here: the source is a file)
        inner = inner_argv("python3", argv, limits, collect, status_fd=3, env=E2B_ENV, kill_strays=False)
        inner[3:5] = [f"{STAGE}/inner.py"]
        shell = (f"mkdir -p {E2B_WORKDIR} && cd {E2B_WORKDIR} && exec {shlex.join(inner)} "
                 f"< {STAGE}/input 3> {STAGE}/status")
        return E2BPlan(create=create, uploads=uploads, command=shell, cmd_timeout=limits.wall_s, limits=limits,
                       collect=collect)

    def run(self, files: Mapping[str, str | bytes], command: list[str] | str, limits: Limits | None = None,
            collect: bool = False) -> Result:
        from e2b import CommandExitException, TimeoutException
        from e2b import Sandbox as E2B

        plan = self.plan(files, command, limits, collect)
        out, err = _Capped(plan.limits.stdout_bytes), _Capped(plan.limits.stderr_bytes)
        start = time.monotonic()
        timed_out = False
        try:
            sbx = E2B.create(**plan.create)
        except Exception as e:  # noqa: BLE001  (auth, quota, network: one clear line, the cause chained)
            raise SandboxError(f"e2b: could not create a sandbox: {type(e).__name__}: {e}") from e
        try:
            sbx.files.write_files([{"path": p, "data": d} for p, d in plan.uploads.items()])
            try:
                sbx.commands.run(plan.command, envs=E2B_ENV, timeout=plan.cmd_timeout, on_stdout=out.add,
                                 on_stderr=err.add, retain_output=False)
            except CommandExitException:
                pass  # the supervisor exits non-zero only if it broke; the real status is in the status file
            except TimeoutException:
                timed_out = True
            wall = time.monotonic() - start
            try:
                raw = sbx.files.read(f"{STAGE}/status", format="bytes")
            except Exception as e:  # noqa: BLE001  (any SDK failure here means: no report)
                raw = b""
                err.add(f"\nsandbox: could not read the status file: {e}\n")
        finally:
            sbx.kill()
        return result_from(bytes(raw), out, err, timed_out=timed_out, wall_s=wall, collect=collect)


class _Capped:
    """Collects streamed output up to a byte cap (the SDK hands us text chunks)."""

    def __init__(self, cap: int):
        self.cap, self.buf, self.truncated = cap, bytearray(), False

    def add(self, chunk: str) -> None:
        data = chunk.encode("utf-8", errors="replace")
        room = self.cap - len(self.buf)
        if len(data) > room:
            self.truncated = True
        if room > 0:
            self.buf += data[:room]


def result_from(raw: bytes, out: _Capped, err: _Capped, *, timed_out: bool, wall_s: float, collect: bool) -> Result:
    status, files, notes = parse_status(raw, collect)
    if not status.get("started") and not timed_out:
        raise SandboxError(f"e2b sandbox: supervisor did not start: {bytes(err.buf).decode(errors='replace')[:300]}")
    return build_result(status, bytes(out.buf), bytes(err.buf), timed_out=timed_out,
                        truncated=out.truncated or err.truncated, oom_kills=0, wall_s=wall_s, collect=collect,
                        files=files, notes=["e2b: one microVM per run, internet off, rlimits by the supervisor"] + notes)
