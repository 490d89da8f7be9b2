"""The official chat templates of five tool-capable model families, as llama.cpp vendors them, and what it takes to
render with them through transformers and read the tool calls back out of the text.

Source: `vendor/llama.cpp/models/templates/` of the llama-cpp-python 0.3.36 sdist that install.sh downloads to build
the local teacher's server (generators.teachers.localserver: ~/.cache/crucible/build/). The templates are read from
the unpacked tree, or straight from the .tar.gz, never copied into this repository. Without either the tests that
need them skip, naming the command that fetches the sdist.

The tokenizer is built here (a three-token WordLevel model wrapped in `PreTrainedTokenizerFast`) so the rendering is
transformers' own `apply_chat_template` - its sandboxed Jinja environment, its `tojson`, its message preprocessing -
without downloading a model. Only the vocabulary is fake; `bos_token`/`eos_token` are what the templates print.
"""

from __future__ import annotations

import json
import re
import tarfile
from functools import cache
from typing import Any

from generators.teachers.localserver import CACHE, LLAMA_CPP_PYTHON

SDIST = f"llama_cpp_python-{LLAMA_CPP_PYTHON}"
TEMPLATE_DIR = f"{SDIST}/vendor/llama.cpp/models/templates"
# family -> (file in TEMPLATE_DIR, how its tool calls look in the rendered text)
TEMPLATES = {
    "Qwen2.5-7B-Instruct": ("Qwen-Qwen2.5-7B-Instruct.jinja", "hermes"),
    "Qwen3-0.6B": ("Qwen-Qwen3-0.6B.jinja", "hermes"),
    "Llama-3.1-8B-Instruct": ("meta-llama-Llama-3.1-8B-Instruct.jinja", "llama3"),
    "Mistral-Nemo-Instruct-2407": ("mistralai-Mistral-Nemo-Instruct-2407.jinja", "mistral"),
    "Hermes-3-Llama-3.1-8B": ("NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", "hermes"),
}
SPECIAL = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}


def source_hint() -> str:
    return (f"needs the llama-cpp-python {LLAMA_CPP_PYTHON} sdist in {CACHE / 'build'} "
            "(./install.sh, or `python -m generators.teachers.localserver build`)")


def template_source(filename: str) -> str | None:
    """The template text from the unpacked sdist, else from the tarball; None when neither is there."""
    unpacked = CACHE / "build" / TEMPLATE_DIR / filename
    if unpacked.is_file():
        return unpacked.read_text(encoding="utf-8")
    tarball = CACHE / "build" / f"{SDIST}.tar.gz"
    if tarball.is_file():
        with tarfile.open(tarball) as tar:
            member = tar.extractfile(f"{TEMPLATE_DIR}/{filename}")
            return member.read().decode("utf-8") if member else None
    return None


@cache
def tokenizer(family: str) -> Any:
    """A transformers fast tokenizer whose chat_template is the family's official one."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    text = template_source(TEMPLATES[family][0])
    assert text is not None, source_hint()
    core = Tokenizer(models.WordLevel({"<unk>": 0, "<s>": 1, "</s>": 2}, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, **SPECIAL)
    tok.chat_template = text
    return tok


def render(family: str, messages: list[dict], tools: list[dict]) -> str:
    """transformers' apply_chat_template, as a user would call it on an exported row.

    Hermes-3's vendored template is its `tool_use` variant, which iterates `tools` unconditionally: a real Hermes-3
    tokenizer switches to its plain ChatML `default` template when no tools are passed, so here a row without tools
    goes through the tool_use template with an empty list instead of None."""
    offered: list[dict] | None = tools or None
    if family.startswith("Hermes") and not tools:
        offered = []
    return tokenizer(family).apply_chat_template(messages, tools=offered, tokenize=False)


_DECODER = json.JSONDecoder()


def _json_at(text: str, start: int) -> Any:
    return _DECODER.raw_decode(text, start)[0]


def parse_calls(style: str, text: str) -> list[dict]:
    """Every tool call in a rendered conversation, in order, as {"name", "arguments"} (and "id" for Mistral)."""
    calls: list[dict] = []
    if style == "hermes":  # only inside assistant turns: the system prompt shows the format with placeholders
        for turn in re.findall(r"<\|im_start\|>assistant(.*?)<\|im_end\|>", text, re.S):
            for m in re.finditer(r"<tool_call>\s*", turn):
                obj = _json_at(turn, m.end())
                calls.append({"name": obj["name"], "arguments": obj["arguments"]})
    elif style == "llama3":
        for m in re.finditer(r"<\|start_header_id\|>assistant<\|end_header_id\|>\n\n(?=\{\"name\": )", text):
            obj = _json_at(text, m.end())
            calls.append({"name": obj["name"], "arguments": obj["parameters"]})
    elif style == "mistral":
        for m in re.finditer(r"\[TOOL_CALLS\]", text):
            for obj in _json_at(text, m.end()):
                calls.append({"name": obj["name"], "arguments": obj["arguments"], "id": obj["id"]})
    else:
        raise ValueError(style)
    return calls
