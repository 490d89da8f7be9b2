"""`python -m factory <command> key=value ...`: the one entry point behind the Justfile's factory recipes.

Each command lives in its own module exposing `main(argv: list[str]) -> int`; this file only dispatches, so a
command's import cost (distilabel, datatrove, polars) is paid only when that command runs.
"""

import importlib
import os
import sys
import warnings

from factory.cli import UsageError, fail

COMMANDS = {
    "generate": ("factory.generate", "generate records with a teacher and procedural generators"),
    "import": ("factory.importers", "import open tool-use data (glaive, hermes, nanochat) as records"),
    "filter": ("filters.pipeline", "dedup, decontaminate, lint, typecheck, execute, check quality"),
    "stats": ("factory.stats", "terminal dashboard and reports/stats.html"),
    "export": ("factory.export", "export clean records for nanochat / OpenAI / HF chat templates"),
    "publish": ("factory.publish", "publish a curated corpus to the Hugging Face Hub"),
    "demo": ("factory.demo", "the closed loop: generate, filter, stats, pack, train, eval"),
}

# distilabel's pydantic models trip a harmless pydantic warning on import; it would drown every command's output.
warnings.filterwarnings("ignore", message="The 'default' attribute with value None")
os.environ.setdefault("PYTHONWARNINGS", "ignore:The 'default' attribute with value None")  # distilabel's workers


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print("usage: python -m factory <command> [key=value ...]\n")
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
