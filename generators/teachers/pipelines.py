"""Running one distilabel Task over a batch of rows, safely: the glue every teacher-driven family shares.

distilabel 1.5.3's cache ignores the rows of LoadDataFromDicts (stale results for new inputs) and has known silent
row-loss bugs (PITFALLS.md). So each call gets a throwaway cache folder and a pipeline name keyed on the rows,
runs with use_cache=False, and callers compare rows in vs rows out themselves. Token usage comes back in the rows
(distilabel's LLM runs in a worker process, out of reach of the teacher's in-process counters) and is folded into
the teacher's Usage here.
"""

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from generators.teachers.cost import add_usage


class PipelineStopped(RuntimeError):
    """distilabel stopped the pipeline early: Ctrl-C (its SIGINT handler swallows the signal) or a crashed step."""


def run_pipeline(rows: list[dict], llm: Any, name_prefix: str, task_cls: Any,
                 batch_size: int | None = None) -> list[dict]:
    """LoadDataFromDicts >> task_cls(llm) over `rows` (each with a unique "key"); returns the output rows.

    `batch_size` rows go to the LLM at once (its concurrency); default: all of them.

    Raises when the pipeline stopped early (Ctrl-C, a crashed step): callers leave those tasks undone rather than
    reject them, because nothing was learned about the data.
    """
    from datasets import disable_progress_bars
    from distilabel.pipeline import Pipeline
    from distilabel.steps import LoadDataFromDicts

    disable_progress_bars()

    os.environ.setdefault("DISTILABEL_LOG_LEVEL", "WARNING")
    digest = hashlib.sha256(repr([r["key"] for r in rows]).encode()).hexdigest()[:12]
    cache = tempfile.mkdtemp(prefix="crucible-distilabel-")
    try:
        with Pipeline(name=f"{name_prefix}-{digest}", cache_dir=cache) as pipeline:
            size = batch_size or len(rows)
            load = LoadDataFromDicts(data=rows, batch_size=size)
            task = task_cls(llm=llm, input_batch_size=size, add_raw_input=False, add_raw_output=False)
            load >> task  # type: ignore[operator]
        distiset = pipeline.run(use_cache=False)
        check = getattr(llm, "raise_if_stopped", None)
        if callable(check):  # the teacher failed in the worker for a reason that is not the tasks'
            check()
        if getattr(pipeline, "_stop_called", False):
            raise PipelineStopped("distilabel pipeline stopped before finishing (interrupted, or a step crashed)")
        return list(distiset["default"]["train"].to_list())
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def record_usage(teacher: Any, prompt_tokens: int, completion_tokens: int, requests: int) -> None:
    """Add tokens counted inside a pipeline to the teacher's Usage (and dollars at the teacher's price).

    When the pipeline's LLM wrote its per-request usage file (generators/teachers/distilabel_llm.py), that file is
    the account instead of the caller's counts: it has the cached and reasoning tokens and OpenRouter's own cost."""
    files = list(getattr(teacher, "worker_usage", None) or [])
    if not files:
        add_usage(teacher.usage, prompt_tokens, completion_tokens, requests,
                  teacher.cost(prompt_tokens, completion_tokens))
        return
    del teacher.worker_usage[:len(files)]
    from generators.teachers.wire import Reply

    for path in files:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            continue
        Path(path).unlink(missing_ok=True)
        for line in lines:
            u = json.loads(line)
            if "out" in u:  # the worker took an endpoint out (several endpoints): so does the parent's teacher
                teacher.take_out(u["out"], u["why"])
                continue
            reply = Reply("", [], u["prompt"], u["completion"], None, u["cached"], u["cache_write"], u["reasoning"],
                          u["provider_cost"], endpoint=u.get("endpoint"))
            reply.cost_usd = teacher.reply_cost(reply)
            teacher.count_reply(reply)
