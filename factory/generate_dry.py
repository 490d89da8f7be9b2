"""`generate ... dry_run=true`: what a run would cost and what it would send, asking the provider nothing.

It estimates every family's teacher load from the planned tasks (completion at max_tokens plus the hidden-reasoning
headroom of the model's class: an upper bound), then builds one request under the teacher's model class, checks its
shape against the class's rules (generators/teachers/models.toml) and prints it with the endpoint, secrets masked.
A shape that breaks the rules is one line and exit 2, before anything is spent.
"""

import json
from types import ModuleType
from typing import Any

from factory.teacher_load import estimate_family, is_procedural, worst_case_cost
from generators.teachers import cost
from schemas.secrets import REDACTED, scrub_text

# The probe: a system prompt (the persona's), one user turn and a small JSON-schema answer, so the printed body shows
# how this model class gets the cap, sampling, reasoning effort, structured output and cache breakpoints.
PROBE_SCHEMA = {"type": "json_schema", "json_schema": {"name": "probe", "schema": {
    "type": "object", "additionalProperties": False, "required": ["answer"],
    "properties": {"answer": {"type": "string", "maxLength": 200}}}}}
PROBE_USER = "(the first task's prompt goes here; families render it when the run starts)"


def dry_run(persona: Any, modules: dict[str, ModuleType], shares: dict[str, int], opts: dict, teacher: Any) -> int:
    """Estimate the teacher load and cost of the whole run, then show and check the request shape."""
    total = cost.Estimate()
    print(f"dry run: persona={persona.slug} count={opts['count']} seed={opts['seed']} "
          f"teacher={teacher.spec if teacher else 'none'}")
    w = max([10] + [len(f) for f in shares])
    print(f"{'family':<{w}} {'records':>7} {'teacher':>7} {'requests':>8} {'prompt tok':>11} {'compl tok':>10}")
    for f, share in shares.items():
        tasks = modules[f].plan(persona, share, opts["seed"])
        est = estimate_family(modules[f], tasks) if teacher is not None else cost.Estimate()
        n_teacher = sum(not is_procedural(modules[f], t) for t in tasks)
        print(f"{f:<{w}} {share:>7} {n_teacher:>7} {est.requests:>8} {est.prompt_tokens:>11} {est.completion_tokens:>10}")
        total = total + est
    usd = worst_case_cost(teacher, total) if teacher is not None else 0.0
    price = "unknown price" if teacher is not None and teacher.prices is None else f"${usd:.4f}"
    headroom = teacher.worst_case_completion(0) if teacher is not None else 0
    print(f"total: {total.requests} requests, {total.prompt_tokens} prompt + {total.completion_tokens} completion "
          f"tokens (completion at max_tokens" + (f" + {headroom} reasoning headroom per request" if headroom else "")
          + f": an upper bound), {price} for one attempt per task; rejected tasks are replaced, so divide by the "
          "expected yield.")
    if opts["budget"] is not None and teacher is not None and teacher.prices is not None and usd > opts["budget"]:
        print(f"note: the estimate exceeds budget=${opts['budget']}; the run would stop there (resumable).")
    if teacher is None:
        return 0
    return show_request(teacher, persona)


def show_request(teacher: Any, persona: Any) -> int:
    from generators.teachers.wire import check_request

    cls = teacher.model_class
    price = teacher.prices
    print(f"model class: {cls.name} ({cls.source})")
    if price is not None:
        parts = [f"input ${price.input_per_mtok}", f"output ${price.output_per_mtok}"]
        if price.cached_input_per_mtok is not None:
            parts.insert(1, f"cached input ${price.cached_input_per_mtok}")
        if price.cache_write_per_mtok is not None:
            parts.insert(2, f"cache write ${price.cache_write_per_mtok}")
        dated = ", ".join(x for x in (price.as_of, price.source) if x)
        print(f"price per 1M tokens: {', '.join(parts)}" + (f" ({dated})" if dated else ""))
    messages = [{"role": "system", "content": persona.system_message()}, {"role": "user", "content": PROBE_USER}]
    body, notes = teacher.request(messages, max_tokens=512, temperature=0.7, response_format=PROBE_SCHEMA)
    problems = check_request(body, cls, teacher.provider)
    path = "/messages" if teacher.provider == "anthropic" else "/chat/completions"
    base = teacher.base_url or ("https://api.anthropic.com/v1" if teacher.provider == "anthropic" else "(local)")
    key = f"{teacher.key_var}={REDACTED}" if teacher.key_var else "no key"
    print(f"first request (shape probe): POST {scrub_text(base)}{path} ({key})")
    print(scrub_text(json.dumps(body, indent=2, ensure_ascii=False)))
    for note in notes:
        print(f"note: {note}")
    if problems:
        print(f"error: the request breaks the {cls.name} rules: {'; '.join(problems)}")
        return 2
    print(f"request shape: ok for {cls.name}")
    return 0
