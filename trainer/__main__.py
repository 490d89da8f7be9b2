"""`python -m trainer <command> key=value ...`: dispatch to the trainer's flat scripts."""

import importlib
import os
import sys
import warnings

from factory.cli import UsageError, fail

COMMANDS = {
    "tokenizer": ("trainer.tokenizer", "train the BPE tokenizer on a corpus"),
    "pack": ("trainer.pack", "render records and pack them into fixed-length shards"),
    "show": ("trainer.render", "print a record with its supervised tokens highlighted"),
    "train": ("trainer.train", "train a GPT (d4 on CPU ... d32 on GPUs)"),
    "eval": ("trainer.evals", "evaluate a checkpoint"),
    "chat": ("trainer.chat", "talk to a checkpoint with its tools working"),
}

# distilabel's pydantic models trip a harmless pydantic warning on import; it would drown every command's output.
warnings.filterwarnings("ignore", message="The 'default' attribute with value None")
os.environ.setdefault("PYTHONWARNINGS", "ignore:The 'default' attribute with value None")  # distilabel's workers


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print("usage: python -m trainer <command> [key=value ...]\n")
        for name, (_, what) in COMMANDS.items():
            print(f"  {name:<10} {what}")
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        return fail(f"unknown command {name!r}; one of: {', '.join(COMMANDS)}")
    module = importlib.import_module(COMMANDS[name][0])
    try:
        return int(module.main(rest) or 0)
    except UsageError as exc:
        return fail(str(exc))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
