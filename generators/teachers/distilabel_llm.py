"""A distilabel LLM that sends its requests through our Teacher, so distilabel Tasks follow the same model-class
rules, usage parsing and error kinds as every other teacher call.

distilabel's own OpenAILLM/AnthropicLLM build their bodies themselves (`max_tokens` and `temperature` for every
model: a 400 on OpenAI's reasoning models) and turn every failure into an empty generation. This LLM is a small
picklable description of the teacher (its spec, the user's rules file, the reasoning effort); in distilabel's worker
process it resolves the Teacher again (keys come from the environment, never from the object) and calls
`Teacher.complete`. A failure that is not the task's (configuration, availability) is written to `stop_file`, the
first one wins, and `raise_if_stopped()` in the parent turns it back into the same exception after the pipeline, so
the runner leaves those tasks undone instead of rejecting them. Each answered request's usage (cached, cache-write
and reasoning tokens, OpenRouter's reported cost) goes to `usage_file`, which pipelines.record_usage prices in the
parent at the teacher's prices (prices=FILE and price= included) instead of the bare token counts.
"""

import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from distilabel.models.llms.base import AsyncLLM
from distilabel.models.llms.utils import prepare_output
from distilabel.steps.tasks import Task
from pydantic import PrivateAttr

from generators.teachers.wire import BatchPending, TeacherConfigError, TeacherUnsettled


class TeacherLLM(AsyncLLM):
    spec: str
    rules_file: str | None = None
    reasoning_effort: str | None = None
    stop_file: str | None = None
    usage_file: str | None = None
    timeout_s: float | None = None
    probe_timeout_s: float | None = None

    _teacher: Any = PrivateAttr(default=None)
    _reported: set[str] = PrivateAttr(default_factory=set)

    def load(self) -> None:
        super().load()
        from generators.teachers.teacher import resolve_teacher

        if self.spec.startswith("batch:"):  # batch=true: the same BatchTeacher, reading the same store
            from generators.teachers.batchteacher import resolve_worker

            teacher = resolve_worker(self.spec)
        else:
            teacher = resolve_teacher(self.spec)
        if self.rules_file:
            teacher.use_rules(Path(self.rules_file))
        teacher.reasoning_effort = self.reasoning_effort
        from generators.teachers.teacher import TeacherPool

        if isinstance(teacher, TeacherPool):  # several endpoints: the parent announces what this worker takes out
            teacher.quiet = True
            teacher.set_timeouts(self.timeout_s, self.probe_timeout_s)
        else:
            teacher.timeout_s = self.timeout_s or teacher.timeout_s
            teacher.probe_timeout_s = self.probe_timeout_s or teacher.probe_timeout_s
        self._teacher = teacher

    @property
    def model_name(self) -> str:
        return self.spec

    async def agenerate(self, input: Any, num_generations: int = 1, max_new_tokens: int = 512,  # type: ignore[override]
                        temperature: float = 0.7, top_p: float | None = None) -> Any:
        if self._teacher is None:
            self.load()
        teacher = self._teacher
        assert teacher is not None
        messages = [{"role": "user", "content": input}] if isinstance(input, str) else list(input)
        texts, prompt_tokens, completion_tokens = [], [], []
        for _ in range(max(1, num_generations)):
            try:
                reply = await asyncio.to_thread(teacher.complete, messages, max_new_tokens, temperature,
                                                None, None, None, top_p)
            except TeacherUnsettled as exc:
                self._record_out()
                self._record_stop(exc)
                raise
            self._record_out()
            self._record_usage(reply)
            texts.append(reply.text)
            prompt_tokens.append(reply.prompt_tokens)
            completion_tokens.append(reply.completion_tokens)
        return prepare_output(texts, input_tokens=prompt_tokens, output_tokens=completion_tokens)

    def _record_usage(self, reply: Any) -> None:
        """One line per answered request, with every usage detail: the parent prices them (record_usage)."""
        if not self.usage_file:
            return
        line = json.dumps({"prompt": reply.prompt_tokens, "completion": reply.completion_tokens,
                           "cached": reply.cached_tokens, "cache_write": reply.cache_write_tokens,
                           "reasoning": reply.reasoning_tokens, "provider_cost": reply.provider_cost_usd,
                           # one endpoint left of several resolves to a plain Teacher here: its spec names it
                           "endpoint": reply.endpoint or self._teacher.spec})
        self._append(line)

    def _record_out(self) -> None:
        """Endpoints this worker's teacher took out since the last call (several endpoints): the parent's teacher
        takes them out too (record_usage), so the next batch does not try them again."""
        out = getattr(self._teacher, "out", None)
        if not self.usage_file or not out:
            return
        for name, why in list(out.items()):
            if name not in self._reported:
                self._reported.add(name)
                self._append(json.dumps({"out": name, "why": why}))

    def _append(self, line: str) -> None:
        assert self.usage_file
        with open(self.usage_file, "a", encoding="utf-8") as f:  # one short write per line: whole lines
            f.write(line + "\n")

    def _record_stop(self, exc: TeacherUnsettled) -> None:
        if not self.stop_file:
            return
        try:  # "x": the first failure wins, atomically, across the worker's threads
            with open(self.stop_file, "x", encoding="utf-8") as f:
                f.write(f"{exc.kind}\t{exc.line}")
        except FileExistsError:
            pass

    def raise_if_stopped(self) -> None:
        """In the parent, after the pipeline: raise what stopped the teacher in the worker, if anything did."""
        if not self.stop_file:
            return
        path = Path(self.stop_file)
        try:
            kind, _, line = path.read_text(encoding="utf-8").partition("\t")
        except FileNotFoundError:
            return
        path.unlink(missing_ok=True)
        raise {"config": TeacherConfigError, "batch": BatchPending}.get(kind, TeacherUnsettled)(line)


class PromptTask(Task):
    """A Task over run_pipeline's rows: a `key` and a `prompt`, the chat messages sent as they are. Subclasses name
    their outputs and parse the reply (format_output)."""

    @property
    def inputs(self) -> list[str]:
        return ["key", "prompt"]

    def format_input(self, input: dict[str, Any]) -> list[dict[str, str]]:
        return input["prompt"]


def distilabel_llm(teacher: Any, generation_kwargs: dict[str, Any] | None = None) -> TeacherLLM:
    """A distilabel LLM bound to `teacher` (its rules file and reasoning effort too). Call it inside
    `teacher.session()` for the local teacher; `raise_if_stopped()` after the pipeline (run_pipeline does)."""
    spec = teacher.worker_spec()  # several endpoints: only those still in
    stem = Path(tempfile.gettempdir()) / f"crucible-teacher-{os.getpid()}-{os.urandom(6).hex()}"
    usage = f"{stem}.usage.jsonl"
    teacher.worker_usage.append(usage)  # record_usage reads it: cached/reasoning tokens, OpenRouter's own cost
    return TeacherLLM(spec=spec, rules_file=teacher.rules_file, reasoning_effort=teacher.reasoning_effort,
                      stop_file=f"{stem}.stop", usage_file=usage, generation_kwargs=dict(generation_kwargs or {}),
                      timeout_s=teacher.timeout_s, probe_timeout_s=teacher.probe_timeout_s)
