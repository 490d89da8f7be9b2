"""No helper process outlives the filter: datatrove's forkserver, its pool workers and its Manager die with it.

datatrove's LocalPipelineExecutor runs tasks in a `multiprocess` pool started through a forkserver, next to a Manager
process and a resource tracker. When the filter's main process is SIGKILLed alone (the OOM killer picks the biggest
process, not the group), nobody tells them: pool workers wait on a queue whose write end they hold themselves, the
forkserver and the Manager wait for requests, and the tracker waits for them all. They idle forever.

So every one of them gets the kernel's parent-death signal (PR_SET_PDEATHSIG, as llama-server gets in
generators/teachers/localserver.py): the Manager (forked from the main process) and the forkserver die with the main
process, the pool workers (forked from the forkserver) with the forkserver, and the resource tracker, whose pipe they
all held, then reads EOF and exits by itself.

And a failing task tells its story once: datatrove copies every task's log to stderr, tracebacks included, so a full
disk used to print one traceback per task (13 of them). Task logs now go to the task's log file only
(`.filter/logs/<phase>/logs/task_*.log`); the exception itself still reaches the main process, which prints one line
for what a person can fix (a full disk, a bad input) and the whole traceback for a bug.
"""

import ctypes
import signal
import threading
from typing import Any

PR_SET_PDEATHSIG = 1
_installed = False
_lock = threading.Lock()


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send `sig` to this process when the thread that forked it exits."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, sig)


class _Anchor:
    """multiprocess keeps after-fork hooks in a WeakValueDictionary: it needs an object that can be weakly referenced
    and stays alive for the life of the process."""


ANCHOR = _Anchor()


def _after_fork(_anchor: object) -> None:
    die_with_parent()


def quiet_task_logs() -> None:
    """Replace datatrove's per-task logger by one that writes the task's log file only (idempotent)."""
    import datatrove.executor.base as base
    from loguru import logger

    if getattr(base.add_task_logger, "crucible_quiet", False):
        return

    def add_task_logger(logging_dir, rank: int, local_rank: int = 0, node_rank: int = -1):
        logger.remove()
        logfile = logging_dir.open(f"logs/task_{rank:05d}.log", "w")
        logger.add(logfile, colorize=False, level="DEBUG",
                   format="{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <8} | {name}:{function}:{line} - {message}")
        logger.info(f"Launching pipeline for {rank=}")
        return logfile

    add_task_logger.crucible_quiet = True  # type: ignore[attr-defined]
    base.add_task_logger = add_task_logger


def install() -> None:
    """In the filter's main process, before datatrove starts any helper (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        import multiprocess
        from multiprocess import util

        quiet_task_logs()  # tasks run in this process when workers=1

        util.register_after_fork(ANCHOR, _after_fork)  # fork-context children: the Manager
        ctx: Any = multiprocess.get_context("forkserver")  # type: ignore[attr-defined]  (set at import time)
        # modules the forkserver imports when it starts; ours arms it and, through it, every worker it forks
        ctx.set_forkserver_preload(["__main__", "filters._forkserver_guard"])
        _installed = True
