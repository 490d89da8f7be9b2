"""Phrasings drawn per record from a TOML file: the words of procedural traces (tool_use, safety), kept as data.

A part is a list of templates, or a table of lists by voice (dry / formal / plain, see generators.grounded.voice_of);
`{name}` placeholders are filled by the script. A user request is composed from independent pieces,
[pre] + ask + [post] (the file's [common] pre/post lists), so two requests of one kind rarely read alike.
"""

import tomllib
from pathlib import Path
from typing import Any

from generators.grounded import Ctx

PROMPTS = Path(__file__).resolve().parent / "prompts"


class Phrasebook:
    def __init__(self, name: str):
        self.data: dict[str, Any] = tomllib.loads((PROMPTS / name).read_text(encoding="utf-8"))

    def has(self, key: str) -> bool:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    def pick(self, c: Ctx, key: str, /, **fill: Any) -> str:
        """One phrasing of `key` ("section.part"), in the persona's voice when the part has voices."""
        node: Any = self.data
        for part in key.split("."):
            node = node[part]
        if isinstance(node, dict):
            node = node.get(c.voice) or node["plain"]
        return c.rng.choice(node).format(**fill)

    def led(self, c: Ctx, key: str, lead_key: str, /, **fill: Any) -> str:
        """A phrasing of `key` after one of `lead_key` (a short lead sentence, or "" for none), drawn apart so the
        openings of one reply kind vary as the product of the two lists. After a lead ending in a comma the core
        goes on in lower case ("Having written both files, let me ...")."""
        lead = self.pick(c, lead_key, **fill)
        text = self.pick(c, key, **fill)
        if not lead:
            return text
        first = text.split(" ", 1)[0]
        if lead.endswith(",") and first != "I" and first[:1].isupper() and first[1:].islower():
            text = text[:1].lower() + text[1:]
        return f"{lead}\n\n{text}" if text.startswith(("|", "```", "-")) else f"{lead} {text}"

    def request(self, c: Ctx, key: str, /, **fill: Any) -> str:
        """The user's request: an optional lead-in, the ask, an optional tail."""
        common = self.data["common"]
        pre, post = c.rng.choice(common["pre"]), c.rng.choice(common["post"])
        text = self.pick(c, key, **fill)
        first = text.split(" ", 1)[0]
        if pre and not pre.rstrip().endswith((".", "!", "?")) and first[:1].isupper() and first[1:].islower():
            text = text[:1].lower() + text[1:]  # "Quick one: restart ..." but "On-call here. Restart ..."
        return f"{pre}{text}{post}"
