"""The judge's teacher, made on the node that uses it, from that node's own environment.

The filter's LLM judge (filters/judge.py) runs inside the filter's workers: local processes, Ray workers on other
machines, Slurm array tasks. The rule for its secrets is the one a cluster admin expects: **secrets come from each
node's own environment; the driver never ships a key** - not in arguments, not in job metadata, not in the pickled
pipeline, not in the Ray job table. What the driver ships is a `JudgeConnection`: this module's code (Ray sends it
with the job's `py_modules`) plus the scrubbed spec and the price, nothing secret.

On each node the connection reads:
- `CRUCIBLE_JUDGE_SPEC`: the judge's full spec, credentials and all (`http://user:pw@host/v1?api_key=...@model`,
  `openai:gpt-4o-mini`); it must scrub to the spec the driver was given, so a node cannot silently judge with
  another model. `python -m factory filter` sets it in its own environment for executor=local (its workers inherit
  it); for executor=ray and executor=slurm the user exports it on every node (or in the job's environment).
- the provider's key variable (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, `OPENROUTER_API_KEY`; a compatible endpoint's
  `OPENAI_COMPATIBLE_API_KEY` is optional).
A node without either fails with one line naming the missing variable and the node (JudgeEnvError); on Ray and Slurm
every node is checked once before any phase runs (`check`, through filters/preflight.py node_check: filters/cluster.py
ray_preflight and slurm_preflight).

The one exception is `judge=local`: the driver's own llama-server, whose URL holds no secret, is the spec itself.
Its address is the driver's loopback, so only workers on the driver's machine reach it (a documented limitation).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any

from schemas.secrets import scrub_spec, scrub_text
from schemas.settings import UsageError

JUDGE_SPEC_ENV = "CRUCIBLE_JUDGE_SPEC"


class JudgeEnvError(UsageError):
    """This node cannot make the judge's teacher (a variable is missing): one line, naming it and the node."""


def node_name() -> str:
    return socket.gethostname()


@dataclass(frozen=True)
class JudgeConnection:
    """A picklable zero-argument callable returning the judge's teacher (filters/judge.py `connect`)."""

    spec: str  # scrubbed: what executor.json, verdicts and the funnel name
    prices: Any = None  # a generators.teachers.cost.Price (judge_price=, or the teacher's list price)
    local: bool = False  # the driver's own llama-server: `spec` is its URL, there is nothing secret to read

    def full_spec(self) -> str:
        """The spec with its credentials, from this node's environment."""
        full = os.environ.get(JUDGE_SPEC_ENV, "")
        if self.local and not full:
            return self.spec
        if not full:
            raise JudgeEnvError(f"judge {self.spec}: {JUDGE_SPEC_ENV} is not set on node {node_name()}: export the "
                                "judge's full spec there (secrets come from each node's own environment)")
        if scrub_spec(full) != self.spec:
            raise JudgeEnvError(f"judge {self.spec}: {JUDGE_SPEC_ENV} on node {node_name()} names another judge "
                                f"({scrub_spec(full)})")
        return full

    def __call__(self) -> Any:
        from generators.teachers.teacher import resolve_teacher

        full = self.full_spec()
        try:
            teacher = resolve_teacher(full)
        except UsageError as exc:  # e.g. "teacher openai:gpt-4o-mini needs OPENAI_API_KEY in the environment"
            raise JudgeEnvError(f"{scrub_text(str(exc))} of node {node_name()}") from None
        if self.prices is not None:
            teacher.prices = self.prices
        return teacher

    def check(self) -> str | None:
        """Run on a node before any work: None when the judge's teacher can be made here, else the one line why not.
        Nothing is sent to the teacher."""
        try:
            self()
        except UsageError as exc:
            return str(exc)
        return None
