"""`python -m trainer train d4 persona=lanbot [steps=] [resume=] [init=CKPT]`: train a GPT on packed shards.

The loop and what every setting means are in trainer/train.py; this script turns `key=value` settings into its
Settings (the model may also be the first positional argument: `d4`, `d20`, `edge`, `dN`).
"""

from dataclasses import fields

import trainer.train
from schemas.settings import UsageError, fill_fields, help_asked, parse_settings
from trainer.train import Settings, train


def settings_from_argv(argv: list[str]) -> Settings:
    known = [f.name for f in fields(Settings) if f.name != "given"]
    kv, rest = parse_settings(argv, [*known, "config"], positional=1)
    if rest:
        if rest[0].startswith("-"):
            raise UsageError(f"unexpected argument {rest[0]!r}")
        kv.setdefault("model", rest[0])
    if "config" in kv:  # `just train config=d20`
        kv.setdefault("model", kv.pop("config"))
    s = fill_fields(Settings(), kv)
    for key in kv:  # 0 means "the model's default" for most of these; below 0 means nothing
        value = getattr(s, key)
        if isinstance(value, int | float) and not isinstance(value, bool) and (value < 0 or value != value):
            raise UsageError(f"{key} must be >= 0, got {kv[key]!r}")
    if s.log_every < 1:
        raise UsageError(f"log_every must be >= 1, got {s.log_every}")
    if not 0 <= s.warmdown <= 1:
        raise UsageError(f"warmdown is a fraction of the steps (0 ... 1), got {s.warmdown}")
    if not (s.model == "edge" or (s.model.startswith("d") and s.model[1:].isdigit())):
        raise UsageError(f"model must be dN (d4 ... d32) or edge, got {s.model!r}")
    s.given = tuple(sorted(kv))
    return s


def main(argv: list[str]) -> int:
    if not help_asked(argv, trainer.train.__doc__):
        train(settings_from_argv(argv))
    return 0
