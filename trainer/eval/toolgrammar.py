"""llama-server's tool-call grammar, for a model generating in process (xgrammar), so `hf:DIR` scores like a served GGUF.

Why: a GGUF served by llama-server with `--jinja` and `tools=` has its `<tool_call>` output shaped by a lazy grammar,
so a served model's schema-valid rate is model + grammar (93% vs 55% for the model's own text, n=60, issue 12). The
same weights evaluated in process through transformers `generate` had no such constraint, so the two numbers could
never agree. This module builds the same constraint with xgrammar's structural tags and hands `generate` its
transformers logits processor.

What llama.cpp builds for a Hermes template (common/chat-auto-parser-generator.cpp + chat-peg-parser.cpp, the
vendored 0.3.36 tree; JSON tool format, one `<tool_call>` block per call, parallel calls on because the template
renders several) and what is mirrored here:
  - lazy: text before the first `<tool_call>` is not constrained at all (the grammar starts at the trigger word);
  - from the trigger on, the rest of the turn is one or more calls separated by whitespace, then the end of the turn:
        <tool_call> ws {"name": "<an offered tool>", "arguments": <that tool's parameters schema>} ws </tool_call>
    the name key first, then arguments (llama.cpp's parameter order), JSON whitespace free but bounded as llama.cpp's
    JSON grammar bounds it (a newline or two and up to 20 spaces), no keys a schema does not declare (llama.cpp's
    default when `additionalProperties` is absent, xgrammar's strict mode);
  - no tools offered -> no grammar (`processor` returns None), so the output is the model's own text.
"""

import json
from typing import Any

TRIGGER = "<tool_call>"
CLOSE = "</tool_call>"
MAX_WHITESPACE = 22  # llama.cpp's JSON `space ::= | " " | "\n"{1,2} [ \t]{0,20}`


def call_schema(tools: list[dict]) -> dict:
    """The JSON inside one `<tool_call>` block: an offered tool's name, then arguments valid for its schema."""
    alternatives = []
    for tool in tools:
        fn = tool.get("function", tool)
        alternatives.append({"type": "object", "additionalProperties": False, "required": ["name", "arguments"],
                             "properties": {"name": {"const": fn["name"]},
                                            "arguments": fn.get("parameters") or {"type": "object", "properties": {}}}})
    return alternatives[0] if len(alternatives) == 1 else {"anyOf": alternatives}


def structural_tag(tools: list[dict]) -> Any:
    """The xgrammar structural tag for `tools`: free text until `<tool_call>`, then only calls until the end."""
    from xgrammar.structural_tag import (
        ConstStringFormat,
        DispatchFormat,
        JSONSchemaFormat,
        RegexFormat,
        SequenceFormat,
        StarFormat,
        StructuralTag,
    )

    ws = RegexFormat(pattern=f"[ \\t\\n]{{0,{MAX_WHITESPACE}}}")
    body = JSONSchemaFormat(json_schema=call_schema(tools), max_whitespace_cnt=MAX_WHITESPACE)
    call = SequenceFormat(elements=[ws, body, ws, ConstStringFormat(value=CLOSE)])  # what follows a trigger
    more = StarFormat(content=SequenceFormat(elements=[ws, ConstStringFormat(value=TRIGGER), call]))
    # loop=False: once the first call starts, the dispatch is done and nothing but calls and whitespace may follow
    return StructuralTag(format=DispatchFormat(rules=[(TRIGGER, SequenceFormat(elements=[call, more, ws]))],
                                               loop=False))


class ToolCallGrammar:
    """One per loaded model: the tokenizer's xgrammar view, compiled grammars cached per tool list."""

    def __init__(self, tok: Any, vocab_size: int, stop_ids: list[int]):
        try:
            import xgrammar as xgr
        except ImportError:
            from schemas.settings import UsageError

            raise UsageError("hf: subjects decode under the tool-call grammar, which needs xgrammar (install.sh "
                             "installs it); hf-raw:DIR scores the model without it") from None
        self.xgr = xgr
        info = xgr.TokenizerInfo.from_huggingface(tok, vocab_size=vocab_size, stop_token_ids=stop_ids)
        self.compiler = xgr.GrammarCompiler(info)
        self.compiled: dict[str, Any] = {}
        from importlib.metadata import version

        self.version = version("xgrammar")  # recorded in the report's subject row

    def compile(self, tools: list[dict]) -> Any:
        """The compiled grammar for this tool list; raises ValueError when xgrammar cannot build it (a schema it does
        not support): the caller reports it as the turn's error, as a server would fail the request."""
        key = json.dumps(tools, sort_keys=True)
        if key not in self.compiled:
            try:
                self.compiled[key] = self.compiler.compile_structural_tag(structural_tag(tools))
            except (RuntimeError, ValueError, self.xgr.InvalidJSONError, self.xgr.InvalidStructuralTagError) as exc:
                raise ValueError(f"tool grammar: {type(exc).__name__}: {str(exc)[:200]}") from None
        return self.compiled[key]

    def processor(self, tools: list[dict] | None) -> Any:
        """A fresh transformers logits processor for one `generate` call (xgrammar's holds per-call matcher state),
        or None when no tools are offered."""
        if not tools:
            return None
        from xgrammar.contrib.hf import LogitsProcessor

        return LogitsProcessor(self.compile(tools))

