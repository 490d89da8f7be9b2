"""`python -m trainer eval [ckpt=DIR] [persona=] [n=8] [which=loss,identity,tools,reasoning,code]`: evaluate a
checkpoint (trainer/evals.py says what each eval measures)."""

from schemas.settings import parse_settings
from trainer import checkpoint as ckpt
from trainer.evals import evaluate


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    settings, _ = parse_settings(argv, ("ckpt", "persona", "shards", "n", "max_tokens", "bench", "which"))
    path = ckpt.find_checkpoint(settings.get("ckpt"))
    meta = ckpt.read_meta(path)
    evaluate(path, persona=settings.get("persona") or meta.get("persona", "lanbot"), shards=settings.get("shards"),
             n=settings.integer("n", 8, low=1), max_tokens=settings.integer("max_tokens", 192, low=1),
             bench=settings.get("bench"), which=settings.get("which", "loss,identity,tools,reasoning,code"))
    return 0
