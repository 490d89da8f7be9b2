"""Named fault points: the places where a crash matters most (between the steps of a commit or a publish), so the
fault-injection tests can kill a real run exactly there instead of hoping a timer lands in a window of microseconds.

    CRUCIBLE_FAULT=filter.publish.move        SIGKILL this process the 1st time it passes that point
    CRUCIBLE_FAULT=generate.commit.part:3     ... the 3rd time
    CRUCIBLE_FAULT=train.checkpoint.renamed:1:group   SIGKILL the whole process group (a power cut, `kill -9 -PGID`)

Unset (every normal run), `point()` is one dictionary lookup. The kill is a real SIGKILL: no `finally`, no atexit,
nothing flushed, exactly what the OOM killer does.
"""

import os
import signal
import threading

ENV = "CRUCIBLE_FAULT"
_seen: dict[str, int] = {}
_lock = threading.Lock()


def point(name: str) -> None:
    """Die here if CRUCIBLE_FAULT names this point (and this is the n-th pass)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    target, *rest = spec.split(":")
    if target != name:
        return
    group = rest[-1:] == ["group"]  # `name`, `name:n`, `name:group` and `name:n:group` all mean what they say
    nth = int(rest[0]) if rest and rest[0] != "group" else 1
    with _lock:
        _seen[name] = _seen.get(name, 0) + 1
        hit = _seen[name] == nth
    if hit:
        if group:
            os.killpg(os.getpgrp(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)
