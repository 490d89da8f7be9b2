"""`python -m trainer <command> key=value ...`: dispatch to the trainer's flat scripts."""

import sys

from schemas.settings import dispatch

COMMANDS = {
    "tokenizer": ("trainer.tokenizer", "train the BPE tokenizer on a corpus"),
    "pack": ("trainer.pack", "render records and pack them into fixed-length shards"),
    "show": ("trainer.render", "print a record with its supervised tokens highlighted"),
    "train": ("trainer.train", "train a GPT (d4 on CPU ... d32 on GPUs)"),
    "eval": ("trainer.evals", "evaluate a checkpoint"),
    "chat": ("trainer.chat", "talk to a checkpoint with its tools working"),
}


def main(argv: list[str]) -> int:
    return dispatch("trainer", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
