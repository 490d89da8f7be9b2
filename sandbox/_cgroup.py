"""Per-run cgroups for the local sandbox: one cap on processes and memory for the *whole* sandbox.

Why: rlimits are per process (RLIMIT_AS) or per uid (RLIMIT_NPROC), so a sandbox can dodge them by forking;
a cgroup bounds the sum, counts tmpfs pages as memory, tells us whether the OOM killer fired, and lists every
process left so none survives the run. Machines differ: pure cgroup v2 (pids+memory delegated to us), cgroup
v1 hierarchies (this project's dev box: hybrid, v1 pids+memory writable by root), or nothing usable (rootless,
containers). `detect()` tries them in that order with a real trial cgroup and says why it fell back.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

RUN_PREFIX = "crucible-run-"
_counter = itertools.count()


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _stat_value(path: Path, key: str) -> int:
    """`key N` from a flat-keyed cgroup file (memory.events, memory.oom_control, pids.events); 0 if absent."""
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _mounts() -> list[tuple[str, str, list[str]]]:
    out = []
    for line in Path("/proc/mounts").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] in ("cgroup", "cgroup2"):
            out.append((parts[1], parts[2], parts[3].split(",")))
    return out


def _own_paths() -> dict[str, str]:
    """controller (or "" for the v2 hierarchy) -> this process's cgroup path, from /proc/self/cgroup."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, ctrls, path = line.split(":", 2)
        for c in ctrls.split(",") if ctrls else [""]:
            paths[c] = path
    return paths


@dataclass
class RunCgroup:
    """The cgroup(s) of one run: one dir on v2, one per controller (pids, memory) on v1."""

    version: int
    pids_dir: Path
    memory_dir: Path

    @property
    def dirs(self) -> list[Path]:
        return [self.pids_dir] if self.pids_dir == self.memory_dir else [self.pids_dir, self.memory_dir]

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def oom_kills(self) -> int:
        if self.version == 2:
            return _stat_value(self.memory_dir / "memory.events", "oom_kill")
        return _stat_value(self.memory_dir / "memory.oom_control", "oom_kill")

    def pids_max_hits(self) -> int:
        return _stat_value(self.pids_dir / "pids.events", "max")

    def pids(self) -> list[int]:
        out: set[int] = set()
        for d in self.dirs:
            with contextlib.suppress(OSError):
                out.update(int(p) for p in (d / "cgroup.procs").read_text().split())
        return sorted(out)

    def kill(self) -> None:
        """SIGKILL everything in the cgroup, until it is empty (v1 has no cgroup.kill, so loop over pids)."""
        kill_file = self.pids_dir / "cgroup.kill"
        if self.version == 2 and kill_file.exists():
            _write(kill_file, "1")
        deadline = time.monotonic() + 5
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def remove(self) -> list[str]:
        """rmdir the run's cgroup(s); returns problems (a dir that would not go), to be reported, not hidden."""
        problems = []
        for d in self.dirs:
            for attempt in range(200):  # a killed process leaves the cgroup a moment after it is reaped
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as e:
                    if attempt == 199:
                        problems.append(f"cgroup {d} not removed: {e.strerror}; pids left: {self.pids()}")
                    time.sleep(0.005)
        return problems


class Cgroups:
    """Creates per-run cgroups under a base cgroup found once by detect()."""

    def __init__(self, version: int, pids_base: Path, memory_base: Path):
        self.version, self.pids_base, self.memory_base = version, pids_base, memory_base

    def create(self, nproc: int, memory_bytes: int) -> RunCgroup:
        name = f"{RUN_PREFIX}{os.getpid()}-{next(_counter)}"
        run = RunCgroup(self.version, self.pids_base / name, self.memory_base / name)
        for d in run.dirs:
            d.mkdir()
        try:
            _write(run.pids_dir / "pids.max", str(nproc))
            if self.version == 2:
                _write(run.memory_dir / "memory.max", str(memory_bytes))
                if (run.memory_dir / "memory.swap.max").exists():
                    _write(run.memory_dir / "memory.swap.max", "0")
            else:
                _write(run.memory_dir / "memory.limit_in_bytes", str(memory_bytes))
                memsw = run.memory_dir / "memory.memsw.limit_in_bytes"
                if memsw.exists():  # only with swap accounting; keeps the sandbox from swapping past the cap
                    _write(memsw, str(memory_bytes))
        except OSError:
            run.remove()
            raise
        return run

    def sweep_stale(self) -> None:
        """Remove empty run cgroups left by crashed launchers (their pid no longer exists)."""
        for base in {self.pids_base, self.memory_base}:
            for d in base.glob(f"{RUN_PREFIX}*"):
                pid = d.name.removeprefix(RUN_PREFIX).split("-")[0]
                if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                    with contextlib.suppress(OSError):
                        d.rmdir()


def _try_v2(mount: str) -> Cgroups:
    root = Path(mount)
    needed = {"pids", "memory"}
    if not needed <= set((root / "cgroup.controllers").read_text().split()):
        raise OSError("cgroup v2 lacks the pids/memory controllers (bound to v1 hierarchies?)")
    # the (namespace) root may hold processes and still delegate controllers, deeper cgroups may not (no internal
    # processes rule): run cgroups go directly under it
    enabled = set((root / "cgroup.subtree_control").read_text().split())
    if not needed <= enabled:
        _write(root / "cgroup.subtree_control", " ".join(f"+{c}" for c in sorted(needed)))
    return Cgroups(2, root, root)


def _try_v1(mounts: list[tuple[str, str, list[str]]], own: dict[str, str]) -> Cgroups:
    bases = {}
    for ctrl in ("pids", "memory"):
        mount = next((m for m, kind, opts in mounts if kind == "cgroup" and ctrl in opts), None)
        if mount is None or ctrl not in own:
            raise OSError(f"no cgroup v1 {ctrl} hierarchy mounted")
        # run cgroups nest directly under our own cgroup: the sandbox stays inside whatever limits bound the
        # launcher, and no long-lived dir of ours is left behind to stop that cgroup's owner from removing it
        base = Path(mount) / own[ctrl].lstrip("/")
        if not os.access(base, os.W_OK):
            raise OSError(f"cgroup {base} is not writable")
        bases[ctrl] = base
    return Cgroups(1, bases["pids"], bases["memory"])


def detect() -> tuple[Cgroups | None, str]:
    """The usable cgroup setup and a one-line description (or why none: then rlimits are all we have)."""
    if os.geteuid() != 0:
        return None, "no per-run cgroup (launcher is not root): pids/memory bounded by rlimits only"
    try:
        mounts, own = _mounts(), _own_paths()
    except OSError as e:
        return None, f"no per-run cgroup ({e}): pids/memory bounded by rlimits only"
    errors = []
    attempts = []
    v2 = next((m for m, kind, _ in mounts if kind == "cgroup2"), None)
    if v2 is not None and "" in own:
        attempts.append(("v2", lambda: _try_v2(v2)))
    attempts.append(("v1", lambda: _try_v1(mounts, own)))
    for label, attempt in attempts:
        try:
            cg = attempt()
            cg.sweep_stale()
            trial = cg.create(8, 64 << 20)  # prove we can create, limit and remove before relying on it
            problems = trial.remove()
            if problems:
                raise OSError(problems[0])
            return cg, f"per-run cgroup {label} at {cg.pids_base} (pids.max, memory limit, oom detection)"
        except OSError as e:
            errors.append(f"{label}: {e}")
    return None, f"no per-run cgroup ({'; '.join(errors)}): pids/memory bounded by rlimits only"
