"""`python -m factory <command> key=value ...`: the one entry point behind the Justfile's factory recipes.

Each command lives in its own module exposing `main(argv: list[str]) -> int`; this file only dispatches, so a
command's import cost (distilabel, datatrove, polars) is paid only when that command runs.
"""

import sys

from schemas.settings import dispatch

COMMANDS = {
    "generate": ("factory.generate", "generate records with a teacher and procedural generators"),
    "import": ("factory.importers", "import open tool-use data (glaive, hermes, nanochat) as records"),
    "filter": ("factory.filter", "dedup, decontaminate, lint, typecheck, execute, check quality"),
    "stats": ("factory.stats", "terminal dashboard and reports/stats.html"),
    "export": ("factory.export", "export clean records for nanochat / OpenAI / HF chat templates"),
    "publish": ("factory.publish", "publish a curated corpus to the Hugging Face Hub"),
    "screenshot": ("factory.screenshot", "the dashboard as a PNG, painted by headless Chromium"),
    "demo": ("factory.demo", "the closed loop: generate, filter, stats, pack, train, eval"),
}


def main(argv: list[str]) -> int:
    return dispatch("factory", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
