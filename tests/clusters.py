"""Real clusters on this machine for the filter's cluster tests and bench/bench_filter_engines.py.

`ray_head`: `ray start --head --block` on a free port (2 CPUs), stopped by SIGTERM to that process (Ray then stops
every process it started); leftovers of the tree are killed by pid.
`slurm_cluster`: munged, slurmctld and slurmd with a minimal slurm.conf (one node: this host, CPUs=2, one partition)
all under a private folder and free ports, so the machine's own Slurm or munge (if any) is never touched. Raises
ClusterUnavailable, with the reason, when the daemons cannot start (no Slurm installed, not root, ...).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


class ClusterUnavailable(RuntimeError):
    """The cluster could not be started here; the message says why."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc), children first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, wait_s: float = 30.0) -> None:
    """Stop a daemon we started and everything below it, by pid."""
    tree = _descendants(proc.pid)
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    deadline = time.monotonic() + 10
    for pid in tree:
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _wait_for(check, what: str, timeout_s: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-1500:] if log is not None and log.is_file() else ""
    raise ClusterUnavailable(f"{what} did not come up within {timeout_s:.0f}s{': ' + tail if tail else ''}")


# ---------------------------------------------------------------------------------------------------------------------
# Ray


@contextmanager
def ray_head(cpus: int = 2, hide_bwrap: bool = False, env: dict[str, str] | None = None) -> Iterator[str]:
    """A Ray head on this machine; yields its address (host:port). `hide_bwrap`: the head runs in its own mount
    namespace where /usr/bin/bwrap is /dev/null - a real node without bubblewrap (needs root)."""
    ray = VENV_BIN / "ray"
    if not ray.exists():
        raise ClusterUnavailable(f"no {ray}: pip install ray")
    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix="cr-ray-", dir="/tmp"))  # Ray's socket paths must stay short
    log = scratch / "head.log"
    argv = [str(ray), "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
            f"--num-cpus={cpus}", "--num-gpus=0", "--include-dashboard=false", "--disable-usage-stats",
            f"--temp-dir={scratch}"]
    if hide_bwrap:
        if os.geteuid() != 0 or shutil.which("unshare") is None:
            raise ClusterUnavailable("hiding bwrap needs root and unshare")
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                'mount --bind /dev/null "$(command -v bwrap || echo /usr/bin/bwrap)" && exec "$@"', "sh", *argv]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **(env or {})})
    try:
        _wait_for(lambda: proc.poll() is not None or "Ray runtime started" in log.read_text(errors="replace"),
                  "ray head", 120, log)
        if proc.poll() is not None:
            raise ClusterUnavailable(f"ray start exited {proc.returncode}: {log.read_text(errors='replace')[-1500:]}")
        yield f"127.0.0.1:{port}"
    finally:
        _stop(proc)
        shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------------
# Slurm

SLURM_CONF = """\
ClusterName=crucible
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge.sock
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
InactiveLimit=0
MinJobAge=30
KillWait=5
Waittime=0
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName={partition} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


@contextmanager
def slurm_cluster(cpus: int = 2, partition: str = "crucible") -> Iterator[dict[str, str]]:
    """munged + slurmctld + slurmd for one node (this host); yields the environment a client needs (SLURM_CONF)."""
    missing = [d for d in ("munged", "slurmctld", "slurmd", "sbatch", "squeue") if shutil.which(d) is None]
    if missing:
        raise ClusterUnavailable(f"Slurm is not installed ({', '.join(missing)} missing: apt-get install slurm-wlm "
                                 "munge)")
    if os.geteuid() != 0:
        raise ClusterUnavailable("the single-node Slurm test runs its daemons as root (SlurmUser=root)")
    root = Path(tempfile.mkdtemp(prefix="cr-slurm-", dir="/tmp"))
    for sub in ("state", "spool", "log"):
        (root / sub).mkdir()
    key = root / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    memory_mb = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.8)
    conf = root / "slurm.conf"
    conf.write_text(SLURM_CONF.format(host=socket.gethostname().split(".")[0], ctld_port=free_port(),
                                      slurmd_port=free_port(), root=root, cpus=cpus, memory_mb=memory_mb,
                                      partition=partition))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    procs: list[subprocess.Popen] = []

    def start(argv: list[str], name: str) -> None:
        with (root / "log" / f"{name}.out").open("wb") as out:
            procs.append(subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                          start_new_session=True))

    try:
        start(["munged", "-F", "-f", f"--socket={root}/munge.sock", f"--key-file={key}",
               f"--pid-file={root}/munged.pid", f"--seed-file={root}/munged.seed",
               f"--log-file={root}/log/munged.log"], "munged")
        _wait_for(lambda: (root / "munge.sock").exists() or procs[0].poll() is not None, "munged", 20)
        start(["slurmctld", "-D", "-i"], "slurmctld")
        start(["slurmd", "-D"], "slurmd")

        def idle() -> bool:
            if any(p.poll() is not None for p in procs):
                dead = [p.args[0] for p in procs if p.poll() is not None]  # type: ignore[index]
                raise ClusterUnavailable(f"{', '.join(map(str, dead))} exited: "
                                         + " | ".join((root / "log" / f"{n}.out").read_text(errors="replace")[-600:]
                                                      for n in ("munged", "slurmctld", "slurmd")))
            out = subprocess.run(["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True, check=False)
            return out.stdout.strip() == "idle"

        _wait_for(idle, "slurm node (sinfo: idle)", 60, root / "log" / "slurmctld.log")
        yield {"SLURM_CONF": str(conf), "partition": partition, "root": str(root)}
    finally:
        # job steps (slurmstepd) leave slurmd's process tree: cancel every job of this private cluster first
        if len(procs) == 3 and all(p.poll() is None for p in procs):
            subprocess.run(["scancel", "--full", f"--user={os.geteuid()}"], env=env, capture_output=True, check=False)
            with suppress(ClusterUnavailable):
                _wait_for(lambda: not subprocess.run(["squeue", "-h"], env=env, capture_output=True, text=True,
                                                     check=False).stdout.strip(), "empty slurm queue", 30)
        for proc in reversed(procs):  # slurmd, slurmctld, munged
            _stop(proc)
        shutil.rmtree(root, ignore_errors=True)
