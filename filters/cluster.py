"""The filter's phases on a cluster: Ray (a running cluster at `address=`) and Slurm (sbatch job arrays).

The phases and their datatrove executors are the ones the local run uses (filters/pipeline.py `build_phases`,
`build_executors`); this module only connects, checks that every worker can run the sandboxed checks, waits, and
turns a failed task into one line that says which phase, which task, what it raised and where its log is.

Ray: the driver (`python -m factory filter executor=ray address=...`) connects to the cluster and runs the phases in
order, each as datatrove's RayPipelineExecutor (one Ray actor per task). Crucible's own packages travel with the job
(`py_modules`), so workers run the driver's code; datatrove and the venv must be installed on every node, and the
corpus folder must be on a file system every node sees (as for any datatrove cluster run). Secrets are not shipped:
each node reads the judge's from its own environment (generators/teachers/connect.py), every node is checked for them
before any phase runs, and the command line Ray records for the job is scrubbed (scrubbed_entrypoint).

Slurm: with judge=, one short srun job first runs the same node check as Ray's preflight on every node of the partition
(slurm_preflight; filters/preflight.py), so a node without the judge's variables stops the run before any phase is
submitted. Then the whole chain is submitted at once (one job array per phase, each `afterok` the previous); the command
waits for it with the same progress bars (`--submit-only` returns after submitting). A task that fails leaves the later
arrays pending forever ("DependencyNeverSatisfied"): the wait cancels them and reports the failed task.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from datatrove.executor.ray import RayPipelineExecutor

from filters.preflight import JudgeCheck, answer, node_check, payload, verdict
from schemas.secrets import scrub_text
from schemas.settings import InputError

PACKAGES = ("filters", "schemas", "sandbox", "generators")  # what a filter task imports from Crucible
POLL_S = 2.0
CONNECT_TIMEOUT_S = 10.0
SLURM_GONE_GRACE_S = 10.0  # a finished array can leave the queue a moment before its last completion mark is seen


class ClusterTaskFailed(InputError):
    """A task of a cluster run failed: one line (phase, task, the exception, its log)."""


# ---------------------------------------------------------------------------------------------------------------------
# failures


ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Unavailable|Failed|Exit|Interrupt)\b.*)$")


def _error_line(lines: list[str]) -> str | None:
    """The last `SomeError: message` line (where a traceback ends), or None."""
    for line in reversed(lines):
        if match := ERROR_LINE.match(line.strip()):
            return match.group(1).removeprefix("builtins.")[:400]
    return None


def _exception_line(log: Path) -> str | None:
    """The last `SomeError: message` line of a task log (loguru writes the traceback there), or None."""
    if not log.is_file():
        return None
    return _error_line(log.read_text(encoding="utf-8", errors="replace").splitlines())


def task_failure(executor: str, phase: str, logs: Path, ranks: list[int], extra: str = "") -> ClusterTaskFailed:
    """The error for a phase whose `ranks` never finished: the first one whose log names an exception."""
    for rank in ranks:
        log = logs / "logs" / f"task_{rank:05d}.log"
        if (line := _exception_line(log)) is not None:
            return ClusterTaskFailed(f"executor={executor}: phase {phase}, task {rank} failed: {line} (log: {log})")
    where = f"{logs / 'logs'}{extra}"
    return ClusterTaskFailed(f"executor={executor}: phase {phase}: task(s) {', '.join(map(str, ranks[:8]))} did not "
                             f"finish and left no error in their logs (see {where})")


def incomplete(executor: Any) -> list[int]:
    """The ranks of a datatrove executor without a completion mark (whatever skip_completed says)."""
    return list(executor.get_incomplete_ranks(skip_completed=True))


# ---------------------------------------------------------------------------------------------------------------------
# Ray


_AT_FORK = False


def _default_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def pool_children_die_on_sigterm() -> None:
    """In a Ray worker: every process forked from here gets the default SIGTERM back (idempotent).

    datatrove's Ray actor runs its ranks in a fork-based `multiprocess` pool and ends it with Pool.terminate(), which
    SIGTERMs the pool's processes and joins them. A forked child inherits the Ray worker's own Python SIGTERM
    handler, which does not end it: a child idle on the task queue then never exits, and the actor (and the filter)
    hang forever after the phase's work is done - seen on the 2,000-record bench, near_buckets, 1 of 3 runs."""
    global _AT_FORK
    if not _AT_FORK:
        os.register_at_fork(after_in_child=_default_sigterm)
        _AT_FORK = True


class RayExecutor(RayPipelineExecutor):
    """datatrove's RayPipelineExecutor, whose pool children end on SIGTERM (see pool_children_die_on_sigterm)."""

    def __setstate__(self, state: dict) -> None:  # unpickled in the actor, before its pool forks
        vars(self).update(state)
        pool_children_die_on_sigterm()


@contextmanager
def scrubbed_entrypoint() -> Iterator[None]:
    """While ray.init runs, Ray records this process's command line as the job's entrypoint in the cluster's job table
    (the dashboard's Jobs page, `ray list jobs`). It reads it through ray._private.utils.get_entrypoint_name, looked
    up at call time; Ray 2.60 offers no public way to set it. So for the length of ray.init that function answers
    with the command line scrubbed (schemas/secrets.py: URL userinfo, secret query values, secret env values), and a
    judge URL with credentials typed on the command line never reaches the cluster. A Ray without that function
    cannot be scrubbed this way: then a command line that holds a secret is refused (one line) instead of leaked."""
    import ray._private.utils as ray_utils

    original = getattr(ray_utils, "get_entrypoint_name", None)
    if original is None:
        line = " ".join(sys.argv)
        if scrub_text(line) != line:
            raise InputError("executor=ray: this command line holds a credential and this Ray version would record it "
                             "in the cluster's job table; give judge= without it (each node's CRUCIBLE_JUDGE_SPEC "
                             "has the full spec)")
        yield
        return
    ray_utils.get_entrypoint_name = lambda: scrub_text(original())
    try:
        yield
    finally:
        ray_utils.get_entrypoint_name = original


def ray_connect(address: str) -> None:
    """Connect this process to the Ray cluster at `address` ("auto": the one running on this machine), shipping
    Crucible's packages with the job so every worker runs this code."""
    import ray

    import filters

    root = Path(filters.__file__).resolve().parent.parent
    modules = [str(root / name) for name in PACKAGES]
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if host and port.isdigit():  # ray.init retries an unreachable head for minutes: fail fast on a dead address
        try:
            socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
        except OSError as e:
            raise InputError(f"executor=ray: no Ray cluster at address={address} ({e.strerror or e}); start one "
                             "with `ray start --head` or pass address=<host>:<port>") from None
    try:
        with scrubbed_entrypoint():
            ray.init(address=address, runtime_env={"py_modules": modules, "excludes": ["__pycache__"]},
                     log_to_driver=True, logging_level=logging.WARNING)
    except ConnectionError as e:
        raise InputError(f"executor=ray: no Ray cluster at address={address} ({str(e).splitlines()[0][:200]}); start "
                         "one with `ray start --head` or pass address=<host>:<port>") from None


def ray_preflight(sandbox: str, judge_check: JudgeCheck | None = None) -> int:
    """Every alive node with CPUs must be able to start the sandbox (bubblewrap for sandbox=local), and with judge=
    make the judge's teacher from its own environment, before any phase runs: a node without either would fail only
    after the earlier phases had run. One small task per node (filters/preflight.py node_check, which Slurm's
    preflight runs too). Returns the number of nodes checked."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0]
    if not nodes:
        raise InputError("executor=ray: the cluster has no alive node with CPUs")
    check: Any = ray.remote(num_cpus=0)(node_check)  # Any: Ray's stubs mistype a two-argument remote call
    refs = [check.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False))
            .remote(sandbox, judge_check) for n in nodes]
    results = ray.get(refs)
    return verdict("ray", sandbox, [(n["NodeManagerAddress"], sandbox_error, judge_error)
                                    for n, (sandbox_error, judge_error) in zip(nodes, results, strict=True)])


def ray_run_phase(executor: Any, phase: str, logs: Path) -> None:
    """One phase on the cluster; datatrove only warns when tasks fail, so the completion marks decide here."""
    executor.run()
    if missing := incomplete(executor):
        raise task_failure("ray", phase, logs, missing)


# ---------------------------------------------------------------------------------------------------------------------
# Slurm


def _slurm_command(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise InputError(f"executor=slurm needs Slurm's `{name}` on PATH (run the filter from a Slurm login node)")
    return path


SLURM_USABLE = {"idle", "mix", "alloc", "comp", "plnd"}  # sinfo's compact states of a node that takes new jobs
PREFLIGHT_TIME = "5"  # minutes: the preflight job's time limit


def slurm_nodes(partition: str) -> list[str]:
    """The nodes of `partition` that take new jobs (not down, drained, failing, reserved or unresponsive)."""
    out = subprocess.run([_slurm_command("sinfo"), "-h", "-N", "-p", partition, "-o", "%N|%t"],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise InputError(f"executor=slurm: sinfo -p {partition} failed: {_last_line(out.stderr)}")
    nodes: list[str] = []
    for line in out.stdout.splitlines():
        node, _, state = line.strip().partition("|")
        if "*" not in state and state.rstrip("~#!%$@^-+") in SLURM_USABLE and node not in nodes:
            nodes.append(node)
    return nodes


def _last_line(text: str) -> str:
    """What a failed Slurm command said last: a Python exception's line if any, else its last line not from srun's
    own bookkeeping (`srun: error: <node>: task 0: Exited with exit code 1`), scrubbed."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    own = [line for line in lines if not line.startswith("srun: error:") and not line.startswith("+ ")]
    line = _error_line(lines) or (own or lines or ["no output"])[-1]
    return scrub_text(line)[:400]


def slurm_preflight(executor: Any, judge_check: JudgeCheck) -> int:
    """Before any phase is submitted: one short job (srun, one task on every node of the partition that takes jobs)
    runs filters/preflight.py node_check under the phases' own launch script (their venv or env_command, sbatch's
    --export=ALL), so each node is checked with the environment its array tasks will have. A node that cannot make
    the judge stops the run with Ray's one line (the variable and the node). The sandbox is not checked here: a
    node without it still fails in the checks phase. Returns the number of nodes checked."""
    partition = executor.partition
    nodes = slurm_nodes(partition)
    if not nodes:
        raise InputError(f"executor=slurm: partition={partition} has no node that takes jobs (sinfo -p {partition})")
    script = executor.get_launch_file_contents({}, f"python -m filters.preflight {payload(None, judge_check)}")
    argv = [_slurm_command("srun"), "--export=ALL", f"--partition={partition}",
            *([f"--qos={executor.qos}"] if executor.qos else []),
            f"--job-name={executor.job_name.rsplit('-', 1)[0]}-preflight", f"--nodes={len(nodes)}",
            f"--nodelist={','.join(nodes)}", "--ntasks-per-node=1", "--cpus-per-task=1",
            f"--mem-per-cpu={executor.mem_per_cpu_gb}G", f"--time={PREFLIGHT_TIME}", "bash", "-c", script]
    out = subprocess.run(argv, capture_output=True, text=True, check=False)
    answers = [a for line in out.stdout.splitlines() if (a := answer(line.strip())) is not None]
    if len(answers) < len(nodes):
        raise InputError(f"executor=slurm: the preflight job (srun, one task on each of {len(nodes)} node(s) of "
                         f"partition={partition}) answered from {len(answers)}: {_last_line(out.stderr)}")
    return verdict("slurm", None, answers)


def slurm_queue(job_ids: list[str]) -> dict[str, str]:
    """Job id (array tasks folded into their array) -> the reason squeue gives, for those still queued or running."""
    if not job_ids:
        return {}
    out = subprocess.run([_slurm_command("squeue"), "-h", "-j", ",".join(job_ids), "-o", "%i|%T|%r"],
                         capture_output=True, text=True, check=False)
    queued: dict[str, str] = {}
    for line in out.stdout.splitlines():
        parts = line.strip().split("|")
        if len(parts) == 3:
            queued[parts[0].split("_")[0]] = f"{parts[1]} {parts[2]}".strip()
    return queued


def slurm_cancel(job_names: list[str]) -> list[str]:
    """Cancel this run's remaining jobs: its arrays and datatrove's stats-merging jobs, which share the phase's job
    name (scancel takes one name, squeue a list). Returns the job ids cancelled."""
    out = subprocess.run([_slurm_command("squeue"), "-h", "--me", f"--name={','.join(job_names)}", "-o", "%F"],
                         capture_output=True, text=True, check=False)
    ids = sorted(set(out.stdout.split()))
    if ids:
        subprocess.run([_slurm_command("scancel"), *ids], capture_output=True, check=False)
    return ids


def slurm_submit(executors: list[Any]) -> list[str]:
    """Submit the whole chain (datatrove submits each dependency first); job ids per phase, "" where nothing was left
    to run (a resumed run whose phase had finished)."""
    _slurm_command("sbatch")
    executors[-1].run()
    return ["" if ex.job_id in (None, -1) else str(ex.job_id) for ex in executors]


def slurm_wait(phases: list[Any], executors: list[Any], job_ids: list[str], logs: Path,
               update: Any = None, poll_s: float = POLL_S) -> None:
    """Wait until the last phase has finished, calling `update(phase_index, tasks_done)` as marks appear; on a failed
    task cancel the rest of the run and raise. Ctrl-C stops waiting, not the jobs (they are said to go on)."""
    gone_since: dict[int, float] = {}
    try:
        while True:
            queued = slurm_queue([j for j in job_ids if j])
            for i, (phase, ex) in enumerate(zip(phases, executors, strict=True)):
                missing = incomplete(ex)
                if update is not None:
                    update(i, phase.tasks - len(missing))
                if not missing:
                    continue
                if job_ids[i] and job_ids[i] in queued and "DependencyNeverSatisfied" not in queued[job_ids[i]]:
                    break  # this phase is pending or running: later phases are waiting for it
                first = gone_since.setdefault(i, time.monotonic())
                if time.monotonic() - first < SLURM_GONE_GRACE_S:
                    break
                slurm_cancel(sorted({ex.job_name for ex in executors}))
                raise task_failure("slurm", phase.name, logs / phase.name, missing,
                                   f" and the Slurm logs in {ex.slurm_logs_folder}")
            else:
                return
            time.sleep(poll_s)
    except KeyboardInterrupt:
        ids = " ".join(j for j in job_ids if j)
        raise InputError(f"stopped waiting; the Slurm jobs go on and their last phase publishes clean/ "
                         f"(`scancel {ids}` stops them)") from None
