"""The check every cluster node passes before any phase of the filter runs, and the verdict over all nodes.

One check for both engines (filters/cluster.py): Ray runs `node_check` as one small task per node (`ray_preflight`),
Slurm as one task per node of one short `srun` job (`slurm_preflight`, which starts this module on each node:
`python -m filters.preflight <payload>`). A node answers (why the sandboxed checks cannot run there, why the judge
cannot be made there), each None when it can; `verdict` turns the answers into the run's one-line error.
"""

from __future__ import annotations

import base64
import json
import pickle
import socket
import sys
from collections.abc import Callable

from schemas.settings import InputError

JudgeCheck = Callable[[], str | None]
MARK = "crucible-preflight "  # the line a Slurm task answers with (its other output is the launch script's)


def node_check(sandbox: str | None, judge_check: JudgeCheck | None = None) -> tuple[str | None, str | None]:
    """Runs on a node: (why `sandbox` cannot start there, why the judge cannot be made there), each None when it can;
    sandbox=None skips the sandbox. The judge's check reads this node's own environment
    (generators/teachers/connect.py JudgeConnection.check)."""
    from sandbox import SandboxUnavailable, get_sandbox

    sandbox_error = None
    if sandbox is not None:
        try:
            get_sandbox(sandbox)
        except SandboxUnavailable as e:
            sandbox_error = str(e)
    return sandbox_error, judge_check() if judge_check is not None else None


def verdict(executor: str, sandbox: str | None, answers: list[tuple[str, str | None, str | None]]) -> int:
    """(node, sandbox error, judge error) per node -> the number of nodes checked, or the one-line InputError."""
    problems = [f"{node}: {err}" for node, err, _ in answers if err]
    if problems:
        raise InputError(f"executor={executor}: sandbox={sandbox} cannot run the checks on {len(problems)} of "
                         f"{len(answers)} node(s) - {'; '.join(problems)}")
    problems = [err for _, _, err in answers if err]
    if problems:  # each line names its variable and its node already
        raise InputError(f"executor={executor}: the judge cannot run on {len(problems)} of {len(answers)} node(s) - "
                         f"{'; '.join(problems)}")
    return len(answers)


def payload(sandbox: str | None, judge_check: JudgeCheck | None) -> str:
    """What a Slurm task gets on its command line: the check's arguments, pickled (the judge's scrubbed spec and
    price only: its secrets are read on the node)."""
    return base64.urlsafe_b64encode(pickle.dumps((sandbox, judge_check))).decode()


def answer(text: str) -> tuple[str, str | None, str | None] | None:
    """A task's answer line -> (node, sandbox error, judge error); None for any other line."""
    if not text.startswith(MARK):
        return None
    item = json.loads(text.removeprefix(MARK))
    return item["node"], item["sandbox"], item["judge"]


def main(argv: list[str]) -> int:
    """On a Slurm node: check it and print the one answer line."""
    sandbox, judge_check = pickle.loads(base64.urlsafe_b64decode(argv[1]))
    sandbox_error, judge_error = node_check(sandbox, judge_check)
    print(MARK + json.dumps({"node": socket.gethostname(), "sandbox": sandbox_error, "judge": judge_error}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
