"""Host side of the in-sandbox supervisor (_inner.py), shared by both backends so they report alike.

Both the bubblewrap and the E2B backend run the untrusted command under the same supervisor: same rlimits,
same exact exit status / signal, same straggler kill, same collect stream. This module builds its config and
input payload, and turns what it reported back into a Result.
"""

from __future__ import annotations

import marshal
from pathlib import Path

from sandbox.base import SANDBOX_ENV, Limits, Result, SandboxError

INNER_SOURCE = Path(__file__).with_name("_inner.py").read_text()
MIB = 1024 * 1024


def rlimits(limits: Limits) -> dict[str, list[int]]:
    mem = limits.memory_mb * MIB
    return {
        "RLIMIT_CPU": [limits.cpu_s, limits.cpu_s + 1],  # SIGXCPU at the soft limit, SIGKILL a second later
        "RLIMIT_AS": [mem, mem],
        "RLIMIT_FSIZE": [limits.file_size_mb * MIB] * 2,
        "RLIMIT_NOFILE": [limits.nofile] * 2,
        # Linux >= 5.14 counts this per user namespace, i.e. per bwrap sandbox; older kernels count every process
        # of the uid on the host, so parallel sandboxes (all uid 65534) share it (the pids cgroup stays per run)
        "RLIMIT_NPROC": [limits.nproc] * 2,
        "RLIMIT_CORE": [0, 0],  # no core files in the work dir (core_pattern may be a plain file name)
    }


def inner_argv(python: str, argv: list[str], limits: Limits, collect: bool, status_fd: int,
               env: dict[str, str] | None = None, kill_strays: bool = True) -> list[str]:
    cfg = {"argv": argv, "env": env or SANDBOX_ENV, "rlimits": rlimits(limits), "collect": collect,
           "status_fd": status_fd, "kill_strays": kill_strays}
    # marshal: a builtin the supervisor can load without importing json; plain str/int/list/dict only
    return [python, "-I", "-S", "-c", INNER_SOURCE, marshal.dumps(cfg).hex()]


def encode_files(data: dict[str, bytes]) -> bytes:
    parts = [b"%d %s\n%s" % (len(c), p.encode().hex().encode(), c) for p, c in data.items()]
    return b"".join(parts) + b"end\n"


def parse_status(raw: bytes, collect: bool) -> tuple[dict, dict[str, bytes], list[str]]:
    """Split the supervisor's status stream (see _inner.py) into a status dict, the collected files and notes.

    The stream comes out of the sandbox, so it is parsed defensively: anything malformed ends the parse with a
    note, never an exception."""
    status: dict = {}
    files: dict[str, bytes] = {}
    notes: list[str] = []
    pos, ended = 0, False
    while pos < len(raw):
        nl = raw.find(b"\n", pos)
        if nl < 0:
            notes.append("status stream cut short")
            break
        words = raw[pos:nl].decode("ascii", errors="replace").split(" ", 2)
        pos = nl + 1
        try:
            if words == ["started"]:
                status["started"] = True
            elif words[0] == "exit" and len(words) == 2:
                status.update(exit_code=int(words[1]), signal=None)
            elif words[0] == "signal" and len(words) == 2:
                status.update(exit_code=None, signal=int(words[1]))
            elif words[0] == "error" and len(words) == 2:
                status["error"] = bytes.fromhex(words[1]).decode("utf-8", errors="replace")
            elif words[0] == "file" and len(words) == 3:
                size, path = int(words[1]), bytes.fromhex(words[2]).decode("utf-8", errors="replace")
                if size < 0 or pos + size > len(raw):
                    notes.append(f"collect incomplete: {path} cut short")
                    break
                files[path] = raw[pos:pos + size]
                pos += size
            elif words[0] == "skip" and len(words) == 3:
                notes.append(f"not collected: {bytes.fromhex(words[1]).decode('utf-8', errors='replace')} "
                             f"({words[2]})")
            elif words == ["end"]:
                ended = True
            else:
                raise ValueError(words[0])
        except ValueError:
            notes.append("malformed status stream from the sandbox")
            break
    if collect and "exit_code" in status and not ended:
        notes.append("collect incomplete: the file stream ended early")
    return status, files, notes


def build_result(status: dict, stdout: bytes, stderr: bytes, *, timed_out: bool, truncated: bool, oom_kills: int,
                 wall_s: float, collect: bool, files: dict[str, bytes], notes: list[str]) -> Result:
    """The Result from the supervisor's report. Caller has checked that the sandbox started."""
    if "error" in status:
        raise SandboxError(f"sandbox could not set up the work dir: {status['error']}")
    err = stderr.decode("utf-8", errors="replace")
    if "exit_code" in status:
        exit_code, sig = status["exit_code"], status["signal"]
    else:  # the supervisor never reported: we killed the sandbox (timeout, flood) or the OOM killer did
        exit_code, sig = None, 9
        if not timed_out:
            notes.append("no exit status reported by the supervisor: the sandbox was killed")
    memory_exceeded = oom_kills > 0
    if oom_kills:
        notes.append(f"memory limit: {oom_kills} process(es) killed by the cgroup OOM killer")
    elif exit_code not in (None, 0) and "MemoryError" in err[-4000:]:
        # RLIMIT_AS makes an allocation fail; a Python program then dies with MemoryError. A heuristic: a C
        # program may crash or print its own message instead, which is reported as that exit, not as memory
        memory_exceeded = True
        notes.append("memory limit: MemoryError under RLIMIT_AS")
    return Result(stdout=stdout.decode("utf-8", errors="replace"), stderr=err, exit_code=exit_code, signal=sig,
                  timed_out=timed_out, memory_exceeded=memory_exceeded, output_truncated=truncated,
                  wall_s=round(wall_s, 4), files=files if collect else None, notes=notes)
