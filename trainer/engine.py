"""
Inference: KV-cached sampling, streamed, with the agent loop of seed 000 built in.

    engine = Engine(model, tok)
    for event in engine.chat(messages, tools, runtime=ToolRuntime(env), max_steps=8):
        ...   # {"type": "text", "channel": "content"|"reasoning"|"call", "text": ...}, tool_call, tool_output, done

The loop, in the token format trainer/render.py trains on: the prompt ends with <|assistant_start|>; the model
writes (reasoning, words, <|tool_call_start|>{json}<|tool_call_end|> blocks) up to <|assistant_end|>. Each call is
executed through the caller's ToolRuntime (the real sandbox, or the simulated fleet) as soon as its end marker
appears; after <|assistant_end|> the real outputs go back in <|tool_output_start|>...<|tool_output_end|> blocks,
followed by a fresh <|assistant_start|>, and the model continues - until a turn without calls, or max_steps turns.
The KV cache is kept across all of it: only new tokens are ever fed through the model.

Hook for tests and prompting: `force=[ids]` makes the first assistant turn start with these tokens exactly as if the
model had sampled them (they are fed, streamed and parsed like sampled ones; execution of any call in them is real).
"""

from collections.abc import Iterator

import torch

from trainer.gpt import GPT, KVCache
from trainer.render import parse_assistant, render_prompt, tool_output_header


class Engine:
    def __init__(self, model: GPT, tok, max_len: int = 32768):
        self.model = model.eval()
        self.tok = tok
        self.device = next(model.parameters()).device
        self.max_len = max_len  # hard cap on a conversation's tokens; the cache grows up to it
        self.dtype = torch.bfloat16 if self.device.type == "cuda" else torch.float32
        sp = tok.special
        self.assistant_start, self.assistant_end = sp("<|assistant_start|>"), sp("<|assistant_end|>")
        self.call_start, self.call_end = sp("<|tool_call_start|>"), sp("<|tool_call_end|>")
        self.reason_start, self.reason_end = sp("<|reasoning_start|>"), sp("<|reasoning_end|>")
        self.bos = tok.bos

    def _autocast(self):
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return torch.autocast("cpu", enabled=False)

    def _cache(self, expected: int) -> KVCache:
        return KVCache(self.model.config, 1, min(expected, self.max_len), self.device, self.dtype, limit=self.max_len)

    @torch.inference_mode()
    def _feed(self, cache: KVCache, ids: list[int]) -> torch.Tensor:
        """Run new tokens through the model on top of the cache; the logits of the last one."""
        assert ids, "nothing to feed"
        x = torch.tensor([ids], dtype=torch.long, device=self.device)
        with self._autocast():
            logits = self.model(x, kv_cache=cache)
        return logits[0, -1].float()

    def _sample(self, logits: torch.Tensor, temperature: float, top_k: int | None, gen: torch.Generator) -> int:
        if temperature <= 0:
            return int(logits.argmax())
        logits = logits / temperature
        if top_k is not None and 0 < top_k < logits.size(-1):
            kth = torch.topk(logits, top_k).values[-1]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        probs = torch.softmax(logits, dim=-1)
        return int(torch.multinomial(probs.cpu(), 1, generator=gen))

    @torch.inference_mode()
    def generate(self, ids: list[int], max_tokens: int = 256, temperature: float = 0.8, top_k: int | None = 50,
                 seed: int = 0, stop: tuple[int, ...] = ()) -> Iterator[int]:
        """Plain streaming continuation of `ids` (no tool execution): yields sampled ids, stops after a stop id."""
        cache = self._cache(len(ids) + max_tokens)
        gen = torch.Generator().manual_seed(seed)
        logits = self._feed(cache, ids)
        for _ in range(max_tokens):
            if cache.pos >= self.max_len:
                return
            t = self._sample(logits, temperature, top_k, gen)
            yield t
            if t in stop:
                return
            logits = self._feed(cache, [t])

    def chat(self, messages: list[dict], tools: list[dict] | None = None, runtime=None, max_steps: int = 8,
             max_tokens: int = 512, temperature: float = 0.6, top_k: int | None = 50, seed: int = 0,
             force: list[int] | None = None) -> Iterator[dict]:
        """
        The agent loop, streamed as events:
          {"type": "text", "channel": "content"|"reasoning"|"call", "text": str}
          {"type": "tool_call", "call": {...record tool_call...}}
          {"type": "tool_output", "message": {...record tool message...}}
          {"type": "done", "messages": [new assistant and tool messages, record-shaped], "reason": str}
        Without a runtime, calls are parsed and reported but not executed, and the loop ends after the first turn.
        """
        with torch.inference_mode():
            yield from self._chat(messages, tools or [], runtime, max_steps, max_tokens, temperature, top_k, seed,
                                  list(force or []))

    def _chat(self, messages, tools, runtime, max_steps, max_tokens, temperature, top_k, seed, force):
        tok = self.tok
        prompt = render_prompt(messages, tools, tok)
        if len(prompt) >= self.max_len:
            yield {"type": "done", "messages": [], "reason": "context_full"}
            return
        cache = self._cache(len(prompt) + max_tokens)
        gen = torch.Generator().manual_seed(seed)
        logits = self._feed(cache, prompt)
        new_messages: list[dict] = []
        reason = "max_steps"
        for _turn in range(max_steps):
            turn_ids: list[int] = []
            channel = "content"
            pending: list[int] = []  # text ids not yet streamed (a multi-byte character may be cut)
            call_ids: list[int] = []  # ids of the current call block
            outputs: list[dict] = []
            ended = False
            for _ in range(max_tokens):
                if cache.pos >= self.max_len:
                    break
                t = force.pop(0) if force else self._sample(logits, temperature, top_k, gen)
                turn_ids.append(t)
                if tok.is_special(t):
                    if pending:
                        yield {"type": "text", "channel": channel, "text": tok.decode(pending)}
                        pending = []
                    if t == self.reason_start:
                        channel = "reasoning"
                    elif t == self.reason_end:
                        channel = "content"
                    elif t == self.call_start:
                        channel, call_ids = "call", []
                    elif t == self.call_end and channel == "call":
                        channel = "content"
                        parsed = parse_assistant([self.call_start, *call_ids, self.call_end], tok)
                        for call in parsed["tool_calls"]:
                            call["id"] = f"call_{len(new_messages)}_{len(outputs)}"
                            yield {"type": "tool_call", "call": call}
                            outputs.append(self._execute(runtime, call))
                        for bad in parsed["invalid_calls"]:
                            yield {"type": "tool_call", "call": None, "error": bad["error"], "raw": bad["raw"]}
                    elif t == self.assistant_end:
                        ended = True
                        break
                else:
                    if channel == "call":
                        call_ids.append(t)
                    pending.append(t)
                    text = tok.decode(pending)
                    if not text.endswith("\ufffd"):
                        yield {"type": "text", "channel": channel, "text": text}
                        pending = []
                logits = self._feed(cache, [t])
            if pending:
                yield {"type": "text", "channel": channel, "text": tok.decode(pending)}
            if channel == "call":  # the turn ran out inside a call: report it like any other malformed call
                yield {"type": "tool_call", "call": None, "error": "tool call not closed by <|tool_call_end|>",
                       "raw": tok.decode(call_ids)}
            message = parse_assistant(turn_ids, tok)
            for call, out in zip(message["tool_calls"], outputs, strict=False):
                call["id"] = out["tool_call_id"]
            assistant = {"role": "assistant", "content": message["content"] or None}
            if message["reasoning"]:
                assistant["reasoning"] = message["reasoning"]
            if message["tool_calls"]:
                assistant["tool_calls"] = message["tool_calls"]
            new_messages.append(assistant)
            if not ended:
                reason = "max_tokens" if cache.pos < self.max_len else "context_full"
                break
            if not outputs or runtime is None:
                reason = "stop" if not outputs else "no_runtime"
                break
            # the real outputs, exactly as the renderer lays out tool messages, then the next assistant turn
            feed: list[int] = [self.assistant_end]  # sampled but not yet fed: the loop stopped on it
            for out in outputs:
                new_messages.append(out)
                yield {"type": "tool_output", "message": out}
                feed += [tok.special("<|tool_output_start|>"), *tok.encode(tool_output_header(out) + out["content"]),
                         tok.special("<|tool_output_end|>")]
            feed.append(self.assistant_start)
            if cache.pos + len(feed) >= self.max_len:
                reason = "context_full"
                break
            logits = self._feed(cache, feed)
        yield {"type": "done", "messages": new_messages, "reason": reason}

    def _execute(self, runtime, call: dict) -> dict:
        """Run one call through the runtime; a call the runtime refuses gets the refusal as its output (as in training)."""
        from sandbox.tools import ToolError

        fn = call["function"]
        if runtime is None:
            content = "error: no tool runtime attached"
        else:
            try:
                content = runtime.call(fn["name"], fn["arguments"])
            except ToolError as exc:
                content = f"error: {exc}"
        return {"role": "tool", "tool_call_id": call["id"], "name": fn["name"], "content": content}

    def reply(self, messages: list[dict], tools: list[dict] | None = None, runtime=None, **kwargs) -> list[dict]:
        """Non-streaming: the new messages of one agent loop (for evals)."""
        done = [e for e in self.chat(messages, tools, runtime, **kwargs) if e["type"] == "done"]
        return done[-1]["messages"]
