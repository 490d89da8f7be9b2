"""`python -m trainer <command> key=value ...`: dispatch to the trainer's flat scripts."""

import sys

from schemas.settings import dispatch

COMMANDS = {
    "tokenizer": ("trainer.scripts.tokenizer", "train the BPE tokenizer on a corpus"),
    "pack": ("trainer.scripts.pack", "render records and pack them into fixed-length shards"),
    "show": ("trainer.scripts.show", "print a record with its supervised tokens highlighted"),
    "train": ("trainer.scripts.train", "train a GPT (d4 on CPU ... d32 on GPUs)"),
    "eval": ("trainer.scripts.eval", "evaluate a checkpoint"),
    "chat": ("trainer.scripts.chat", "talk to a checkpoint or a tuned model with its tools working"),
    "finetune": ("trainer.scripts.finetune", "fine-tune an existing model (LoRA or full) and export HF + GGUF"),
    "export": ("trainer.hf_export", "make the GGUF files of an HF model folder"),
    "serve": ("trainer.scripts.serve", "serve a tuned model's GGUF with llama-server (OpenAI-compatible, tools)"),
}


def main(argv: list[str]) -> int:
    return dispatch("trainer", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
