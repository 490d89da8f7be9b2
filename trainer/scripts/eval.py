"""`python -m trainer eval model=A [model=B ...] [persona=lanbot] [suites=identity,tools,safety,reasoning,code,bfcl]
[full=false] [n=48 | n=identity:100,bfcl:20] [max_tokens=tools:512,...] [out=reports/eval.json] [corpus=DIR] [threads=N] [parallel=4]
[chat_template=FILE.jinja] [shards=DIR]`

Every model= is a subject, scored on the same frozen held-out items (trainer/eval/ says what each suite measures):
  ckpt:DIR | DIR with a checkpoint     a Crucible d4/d20 checkpoint, in process
  hf:DIR   | DIR with config.json      an HF folder, in process (its own chat template; <tool_call> JSON parsed),
                                       a started call shaped by the tool schemas as llama-server shapes it (xgrammar)
  hf-raw:DIR                           the same, the model's own text (no grammar), like gguf-raw:
  gguf:FILE | FILE.gguf | local        a GGUF served by the project's llama-server (local = the shipped SmolLM2)
  gguf-raw:FILE | local-raw            the same, but llama.cpp's tool-call grammar does not shape the calls
  http://host:port/v1@model            any OpenAI-compatible endpoint
  openai:M | anthropic:M | openrouter:M   a provider (needs its key)
  label=SPEC                           any of the above under a short column name (model=base=local)
One table (rows = metrics with n, columns = subjects, Wilson 95% intervals) and reports/eval.json; `ckpt=DIR` still
works as model=ckpt:DIR. Default sizes are a fixed-seed subsample (usable on 2 cores); full=true runs every item.
threads= sets the served GGUF's llama.cpp threads; chat_template= overrides the GGUF's embedded template.
max_tokens= caps the new tokens of one turn per suite (defaults: trainer/eval/suites.py MAX_TOKENS; the report
records the caps used).
"""

from schemas.settings import UsageError, help_asked, parse_settings
from trainer.eval.suites import DEFAULT_N, MAX_TOKENS, SUITES

KNOWN = ("persona", "suites", "full", "n", "max_tokens", "out", "corpus", "threads", "parallel", "chat_template",
         "shards", "ckpt")


def parse_counts(name: str, value: str | None, keys: dict[str, int], low: int = 0) -> dict[str, int] | None:
    """n=12 sets every key; n=identity:100,bfcl:20 sets named ones (keys of `keys`). Likewise max_tokens=."""
    if not value:
        return None
    if value.isdigit() and int(value) >= low:
        return dict.fromkeys(keys, int(value))
    counts = {}
    for part in value.split(","):
        key, _, number = part.partition(":")
        if key not in keys or not number.isdigit() or int(number) < low:
            raise UsageError(f"{name}={value}: expected an integer >= {low} or key:count pairs with keys "
                             f"{', '.join(keys)}")
        counts[key] = int(number)
    return counts


def main(argv: list[str]) -> int:
    if help_asked(argv, __doc__):
        return 0
    models = [a.split("=", 1)[1] for a in argv if a.startswith("model=")]
    settings, _ = parse_settings([a for a in argv if not a.startswith("model=")], KNOWN)
    if settings.get("ckpt"):
        models.insert(0, f"ckpt:{settings['ckpt']}")
    if not models:
        from trainer import checkpoint as ckpt

        try:
            models = [f"ckpt:{ckpt.find_checkpoint(None)}"]
        except AssertionError:
            raise UsageError("no model= given and no checkpoint under checkpoints/: "
                             "e.g. just eval model=local model=checkpoints/lanbot/d4") from None
    suites = tuple(s for s in settings.get("suites", ",".join(SUITES)).split(",") if s)
    threads = settings.integer("threads", 0, low=0) or None
    from trainer.eval import evaluate

    evaluate(models, persona=settings.get("persona", "lanbot"), suites=suites, full=settings.flag("full"),
             n=parse_counts("n", settings.get("n"), DEFAULT_N),
             max_tokens=parse_counts("max_tokens", settings.get("max_tokens"), MAX_TOKENS, low=1), out=settings.get("out"), corpus=settings.get("corpus"),
             threads=threads, parallel=settings.integer("parallel", 4, low=1),
             chat_template=settings.get("chat_template"), shards=settings.get("shards"))
    return 0
