"""The sandbox interface every backend implements: limits, results, jobs, errors and the checks of run()'s inputs."""


from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields

WORKDIR = "/sandbox"  # cwd inside a sandbox; `files` are written here, HOME points here too
SANDBOX_PATH = "/usr/bin:/bin:/usr/local/bin"  # /usr/bin first: `python3` is Debian's, the one with pytest
SANDBOX_ENV = {"PATH": SANDBOX_PATH, "HOME": WORKDIR, "LANG": "C.UTF-8"}  # the whole environment inside


class SandboxUnavailable(RuntimeError):
    """The backend cannot run untrusted code here (bwrap missing, no API key, namespaces disabled...)."""


class SandboxError(RuntimeError):
    """The sandbox machinery itself failed during a run (not the code it ran)."""


@dataclass(frozen=True)
class Limits:
    """Per-run resource limits. Sizes in MiB / bytes as named; every field must be positive."""

    wall_s: float = 10.0  # wall clock, sandbox start-up included; the whole sandbox is killed after it
    cpu_s: int = 10  # CPU seconds per process (RLIMIT_CPU)
    # address space per process (RLIMIT_AS) and, with cgroups, the sandbox's memory total. RLIMIT_AS counts
    # virtual memory: runtimes that reserve large address ranges up front (node, JVM, Go) need a higher value
    memory_mb: int = 1024
    file_size_mb: int = 64  # largest file a process may write (RLIMIT_FSIZE)
    nofile: int = 256  # open file descriptors per process (RLIMIT_NOFILE)
    nproc: int = 64  # processes/threads: cgroup pids.max when available, always RLIMIT_NPROC too
    stdout_bytes: int = 1 << 20  # captured stdout is cut here (output_truncated=True)
    stderr_bytes: int = 1 << 20
    tmpfs_mb: int = 64  # size of the work dir inside the sandbox (and, separately, of /tmp and /dev/shm)

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"Limits.{f.name} must be a positive number, got {value!r}")
            if f.name != "wall_s" and not isinstance(value, int):
                raise ValueError(f"Limits.{f.name} must be an integer, got {value!r}")


@dataclass
class Result:
    """What a run produced. stdout/stderr are decoded with invalid UTF-8 replaced and cut at the caps."""

    stdout: str
    stderr: str
    exit_code: int | None  # None when the process died of a signal or never reported (timeout)
    signal: int | None  # the signal that ended it (SIGKILL after a timeout or a kill for memory)
    timed_out: bool
    memory_exceeded: bool
    output_truncated: bool
    wall_s: float
    files: dict[str, bytes] | None = None  # the work dir after the run when collect=True
    notes: list[str] = field(default_factory=list)  # how limits were enforced, anything dropped or unusual

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.memory_exceeded


@dataclass(frozen=True)
class Job:
    files: Mapping[str, str | bytes]
    command: list[str] | str
    limits: Limits = field(default_factory=Limits)
    collect: bool = False


class Sandbox:
    """Backend interface; run_many is shared: a thread pool, because each run is a separate process or VM."""

    name = "abstract"

    def run(self, files: Mapping[str, str | bytes], command: list[str] | str, limits: Limits | None = None,
            collect: bool = False) -> Result:
        raise NotImplementedError

    def run_many(self, jobs: list[Job], workers: int | None = None) -> list[Result]:
        jobs = list(jobs)
        for i, job in enumerate(jobs):  # bad input fails the batch before anything runs, naming the job
            if not isinstance(job, Job):
                raise ValueError(f"run_many: jobs[{i}] is {type(job).__name__}, expected Job")
            try:
                check_inputs(job.files, job.command, job.limits)
            except ValueError as e:
                raise ValueError(f"run_many: jobs[{i}]: {e}") from e
        workers = (os.cpu_count() or 1) if workers is None else workers
        if workers < 1:
            raise ValueError(f"run_many: workers must be >= 1, got {workers}")
        if not jobs:
            return []
        with ThreadPoolExecutor(max_workers=min(workers, len(jobs)), thread_name_prefix=f"sandbox-{self.name}") as ex:
            return list(ex.map(lambda j: self.run(j.files, j.command, j.limits, collect=j.collect), jobs))


def check_inputs(files: Mapping[str, str | bytes], command: list[str] | str, limits: Limits | None
                 ) -> tuple[dict[str, bytes], list[str], Limits]:
    """Normalise and validate run() arguments for every backend: one clear ValueError per bad input."""
    limits = Limits() if limits is None else limits
    if not isinstance(limits, Limits):
        raise ValueError(f"limits must be a Limits, got {type(limits).__name__}")
    if isinstance(command, str):
        if not command.strip():
            raise ValueError("command is an empty string")
        argv = ["/bin/sh", "-c", command]
    elif isinstance(command, (list, tuple)):
        if not command or not all(isinstance(a, str) for a in command):
            raise ValueError(f"command must be a non-empty list of str, got {command!r}")
        argv = list(command)
    else:
        raise ValueError(f"command must be a list of str or a str, got {type(command).__name__}")
    if any("\0" in a for a in argv):
        raise ValueError("command contains a NUL byte")
    if not isinstance(files, Mapping):
        raise ValueError(f"files must be a dict of path -> str|bytes, got {type(files).__name__}")
    out: dict[str, bytes] = {}
    for path, content in files.items():
        if not isinstance(path, str) or not path or "\0" in path:
            raise ValueError(f"file path must be a non-empty str without NUL, got {path!r}")
        parts = path.split("/")
        if path.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"file path must be relative and normalised (no '/', '..', '.', '//'), got {path!r}")
        if isinstance(content, str):
            content = content.encode("utf-8")
        if not isinstance(content, (bytes, bytearray)):
            raise ValueError(f"file {path!r}: content must be str or bytes, got {type(content).__name__}")
        out[path] = bytes(content)
    for path in out:  # "a" cannot be both a file and the directory holding "a/b"
        parts = path.split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in out:
                raise ValueError(f"file path {path!r} needs {'/'.join(parts[:i])!r} as a directory, but it is a file")
    total = sum(len(c) for c in out.values())
    if total > limits.tmpfs_mb * 1024 * 1024:
        raise ValueError(f"files total {total} bytes, more than the work dir's tmpfs_mb={limits.tmpfs_mb}")
    return out, argv, limits
