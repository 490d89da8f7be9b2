# pyright: reportMissingImports=false
"""Crucible conversations as a nanochat SFT task (written by `python -m factory export format=nanochat`).

nanochat adds SFT data by listing Task objects in scripts/chat_sft.py (`train_tasks = [SmolTalk(...), ...]`); since
nanochat commit 950a1dc (2026-07-03) it has no generic JSONL task of its own. Checked against nanochat 92d63d4.

    cp crucible_task.py <nanochat>/tasks/crucible.py
    # scripts/chat_sft.py:
    from tasks.crucible import CrucibleConversations
    train_tasks = [
        ...,
        CrucibleConversations(filepath="/path/to/nanochat.jsonl"),   # list it twice for two epochs
    ]

Each line of the file is one conversation, a JSON array of messages in the shape nanochat's
`tokenizer.render_conversation` takes: an optional leading system message (nanochat merges it into the first user
turn), then user and assistant turns alternating; user content a string; assistant content a string or a list of
parts {"type": "text" | "python" | "python_output", "text": str}.
"""

import json

from tasks.common import Task


class CrucibleConversations(Task):
    """One JSONL file of conversations exported by Crucible."""

    def __init__(self, filepath, **kwargs):
        super().__init__(**kwargs)
        with open(filepath, encoding="utf-8") as f:
            self.conversations = [json.loads(line) for line in f if line.strip()]

    @property
    def eval_type(self):
        return "generative"

    def num_examples(self):
        return len(self.conversations)

    def get_example(self, index):
        return {"messages": self.conversations[index]}
