"""`python -m trainer serve model=DIR|FILE.gguf [alias=] [port=] [parallel=] [threads=] [ctx=]`: serve a tuned model.

The fine-tune's GGUF (its Q8_0, else f16; or any .gguf given) through the project's llama-server on loopback:
OpenAI-compatible (`/v1/chat/completions`), `--jinja` so the GGUF's own chat template renders requests and llama.cpp
parses the `<tool_call>` blocks into OpenAI `tool_calls`. It prints the spec to hand to `just eval model=` or to a
later run as `teacher=http://127.0.0.1:PORT/v1@ALIAS`, and runs until Ctrl-C.
"""

import contextlib
from collections.abc import Iterator
from pathlib import Path

from schemas.settings import UsageError, parse_settings


def resolve_gguf(model: str) -> Path:
    from trainer.hf_export import best_gguf

    path = Path(model)
    if not path.exists():
        raise UsageError(f"model={model}: no such file or folder")
    return best_gguf(path)


@contextlib.contextmanager
def served(model: str | Path, alias: str | None = None, parallel: int = 2, threads: int | None = None,
           ctx_per_slot: int = 4096, port: int | None = None) -> Iterator[str]:
    """A running llama-server for this GGUF (or fine-tune folder); yields its base URL (http://127.0.0.1:P/v1)."""
    from generators.teachers.localserver import LocalServer, LocalServerError

    gguf = resolve_gguf(str(model))
    try:
        server = LocalServer(parallel=parallel, threads=threads, ctx_per_slot=ctx_per_slot, model=gguf,
                             alias=alias or gguf.stem, port=port)
        server.start()
    except LocalServerError as exc:
        raise UsageError(str(exc)) from None
    try:
        yield server.base_url
    finally:
        server.stop()


def main(argv: list[str]) -> int:
    from generators.teachers.localserver import until_interrupted

    settings, _ = parse_settings(argv, ("model", "alias", "port", "parallel", "threads", "ctx"))
    if "model" not in settings:
        raise UsageError("need model=<a fine-tune folder or a .gguf file>")
    gguf = resolve_gguf(settings["model"])
    alias = settings.get("alias") or gguf.stem
    with served(gguf, alias, settings.integer("parallel", 2, low=1), settings.integer("threads", 0, low=0) or None,
                settings.integer("ctx", 4096, low=256), settings.integer("port", 0, low=0) or None) as url:
        print(f"serving {gguf} at {url} (OpenAI-compatible, tool calls parsed)\n"
              f"  eval:    just eval model={url}@{alias}\n  teacher: teacher={url}@{alias}\nCtrl-C to stop",
              flush=True)
        until_interrupted()
    return 0
