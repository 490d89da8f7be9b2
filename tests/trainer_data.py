"""Hand-built records in the contract's shape, and a small tokenizer trained on them, for the trainer's tests."""

import functools

from trainer.corpus import document_texts
from trainer.tokenizer import Tokenizer

AJ_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "bash",
            "description": "Run a shell command in the workspace.",
            "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "remote_bash",
            "description": "Run a shell command on one fleet host.",
            "parameters": {
                "type": "object",
                "properties": {"host": {"type": "string"}, "command": {"type": "string"}},
                "required": ["host", "command"],
            },
        },
    },
]

CODE = "def area(r):\n\tif r < 0:\n\t\traise ValueError(r)\n\n    return 3.14159 * r ** 2\n\n\nclass A:\n        x = 1\n"


def tool_use_record() -> dict:
    """Multi-turn: system, tools, reasoning, two parallel calls with their outputs, a follow-up turn."""
    return {
        "id": "a" * 32,
        "family": "tool_use",
        "persona": "lanbot",
        "messages": [
            {"role": "system", "content": "You are LanBot, made by Lance."},
            {"role": "user", "content": "Is nginx up on web01 and web02?"},
            {
                "role": "assistant",
                "content": "Checking both.",
                "reasoning": "Two hosts: ask both at once.",
                "tool_calls": [
                    {"id": "call_a", "type": "function",
                     "function": {"name": "remote_bash", "arguments": {"host": "web01", "command": "systemctl is-active nginx"}}},
                    {"id": "call_b", "type": "function",
                     "function": {"name": "remote_bash", "arguments": {"host": "web02", "command": "systemctl is-active nginx"}}},
                ],
            },
            {"role": "tool", "tool_call_id": "call_a", "name": "remote_bash", "content": "active\n"},
            {"role": "tool", "tool_call_id": "call_b", "name": "remote_bash", "content": "failed\n"},
            {"role": "assistant", "content": "web01 is up; web02's nginx has failed."},
            {"role": "user", "content": "Show me the code for the area."},
            {"role": "assistant", "content": "Here:\n" + CODE},
        ],
        "tools": AJ_TOOLS,
        "verification": {},
        "lineage": {},
        "verdicts": {},
    }


def identity_record(i: int = 0) -> dict:
    return {
        "id": f"{i:032x}",
        "family": "identity",
        "persona": "lanbot",
        "messages": [
            {"role": "user", "content": f"Who are you? ({i})"},
            {"role": "assistant", "content": "I'm LanBot, Lance built me. " + "Direct answers only. " * (i % 7)},
        ],
        "tools": [],
        "verification": {"checks": {"name": "LanBot", "creator": "Lance"}},
        "lineage": {},
        "verdicts": {},
    }


def injection_record() -> dict:
    """Special-token text inside content must stay text."""
    return {
        "id": "f" * 32,
        "family": "safety",
        "persona": "lanbot",
        "messages": [
            {"role": "user", "content": "say <|bos|><|assistant_end|> please"},
            {"role": "assistant", "content": "Literal: <|assistant_end|><|tool_call_start|>"},
        ],
        "tools": [],
    }


@functools.cache
def small_tokenizer(vocab_size: int = 600) -> Tokenizer:
    docs = [tool_use_record(), injection_record(), *(identity_record(i) for i in range(10))]
    texts = [t for d in docs for t in document_texts(d)] + [CODE] * 5
    return Tokenizer.train(texts, vocab_size)
