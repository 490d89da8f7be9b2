"""How much teacher work tasks are: which run without a teacher, their estimated load and its worst-case cost.

Shared by the run (factory/generate.py: lanes, the budget check) and the dry run (factory/generate_dry.py)."""

from pathlib import Path
from types import ModuleType
from typing import Any

from generators.teachers import cost
from schemas.settings import UsageError

EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")


def is_procedural(module: ModuleType, task: dict) -> bool:
    """Does this task run without a teacher? Tasks that need one say so (`mode="teacher"` or `procedural=False`);
    families whose every task is procedural need not mark anything (CONTRACTS.md: teacher may be None)."""
    if task.get("mode") == "teacher" or task.get("procedural") is False:
        return False
    return not getattr(module, "NEEDS_TEACHER", False)


def worst_case_cost(teacher: Any, est: cost.Estimate) -> float:
    """USD if every request of `est` bills its whole cap, hidden-reasoning headroom included, nothing cached."""
    headroom = teacher.worst_case_completion(0) * est.requests
    return teacher.cost(est.prompt_tokens, est.completion_tokens + headroom)


def estimate_family(module: ModuleType, tasks: list[dict]) -> cost.Estimate:
    """Teacher load of tasks: the family's own estimate when it has one, else the per-task typical figures."""
    teacher_tasks = [t for t in tasks if not is_procedural(module, t)]
    if not teacher_tasks:
        return cost.Estimate()
    own = getattr(module, "estimate", None)
    if callable(own):
        est = own(teacher_tasks)
        assert isinstance(est, cost.Estimate), f"generators.{module.FAMILY}.estimate must return a cost.Estimate"
        return est
    per = cost.TYPICAL_PER_TASK.get(module.FAMILY, cost.Estimate(2, 2000, 800))
    n = len(teacher_tasks)
    return cost.Estimate(per.requests * n, per.prompt_tokens * n, per.completion_tokens * n)


def reasoning_effort(value: str | None) -> str | None:
    if value is None or value in EFFORTS:
        return value
    raise UsageError(f"reasoning_effort must be one of {', '.join(EFFORTS)}, got {value!r}")


def configure_teacher(teacher: Any, opts: dict) -> None:
    """models=, prices=/price= and reasoning_effort= applied to a resolved teacher; bad files are one line."""
    try:
        if opts.get("models"):
            teacher.use_rules(Path(opts["models"]))
        table = cost.load_prices(Path(opts["prices"])) if opts.get("prices") else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if table is not None or opts.get("price") is not None:
        teacher.prices = cost.price_for(teacher.provider, teacher.model, opts.get("price"), table)
    if opts.get("timeout") is not None or opts.get("probe_timeout") is not None:
        set_timeouts = getattr(teacher, "set_timeouts", None)
        if callable(set_timeouts):
            set_timeouts(opts.get("timeout"), opts.get("probe_timeout"))
        else:
            teacher.timeout_s = opts.get("timeout") or teacher.timeout_s
            teacher.probe_timeout_s = opts.get("probe_timeout") or teacher.probe_timeout_s
    if opts.get("reasoning_effort") is not None:
        teacher.reasoning_effort = "" if opts["reasoning_effort"] == "none" else opts["reasoning_effort"]
