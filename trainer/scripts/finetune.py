"""`python -m trainer finetune base=local persona=lanbot [method=lora|full] [key=value ...]`: tune an existing model.

The loop and what every setting means are in trainer/finetune.py; this script turns `key=value` settings into its
Settings. Under torchrun (`just finetune` starts it when there are several GPUs) every rank runs this same script.
"""

from dataclasses import fields

import trainer.finetune
from schemas.settings import UsageError, fill_fields, help_asked, parse_settings
from trainer.finetune import Settings, finetune


def settings_from_argv(argv: list[str]) -> Settings:
    known = [f.name for f in fields(Settings)]
    kv, _ = parse_settings(argv, known)
    s = fill_fields(Settings(), kv)
    for key in ("seq_len", "batch", "grad_accum"):
        if getattr(s, key) < 1:
            raise UsageError(f"{key} must be >= 1")
    if s.epochs <= 0:
        raise UsageError("epochs must be > 0")
    return s


def main(argv: list[str]) -> int:
    if not help_asked(argv, trainer.finetune.__doc__):
        finetune(settings_from_argv(argv))
    return 0
