"""Persona cards and tool sets: who the model is (corpora/<persona>/persona.toml) and which tools it is offered.

Generators never hard-code a persona: they read a card through load_persona and a tool set through load_toolset,
so a second card with a different character, language mix and tool set is all it takes to grow a different model.
"""

import copy
import json
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.record import FAMILIES
from schemas.settings import InputError
from schemas.storage import corpora_root
from schemas.validate import HERE, validate_persona_data, validate_tools

TOOLSETS = ("aj", "python-agent")
_OTHERS = tomllib.loads((HERE / "other_assistants.toml").read_text(encoding="utf-8"))
OTHER_ASSISTANTS: tuple[str, ...] = tuple(_OTHERS["assistants"])  # never "I am ...", whatever the card says
OTHER_LABS: tuple[str, ...] = tuple(_OTHERS["labs"])  # never "made by ...", unless the card's creator


class PersonaError(InputError):
    """A persona that cannot be found or a card that does not parse/validate; the message is one line."""


@dataclass(frozen=True)
class Persona:
    slug: str  # the folder name under corpora/, the `persona` field of every record
    name: str
    creator: str
    year: int
    description: str
    personality: list[str]
    quirks: list[str]
    capabilities: list[str]
    limitations: list[str]
    facts: list[str]
    toolset: str
    languages: list[str]
    system_prompt: str  # a string.Template; see system_message()
    families: dict[str, float]  # the default mixture over all five families (missing ones are 0.0)
    family_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None
    voice: dict[str, Any] = field(default_factory=dict)  # optional [voice] table: register, traits, openers, asides
    model: dict[str, Any] = field(default_factory=dict)  # optional [model] table: how the trained model is made

    def tools(self) -> list[dict]:
        return load_toolset(self.toolset)

    def template_values(self) -> dict[str, str]:
        return {
            "name": self.name,
            "creator": self.creator,
            "year": str(self.year),
            "description": self.description,
            "personality": ", ".join(self.personality),
            "quirks": _bullets(self.quirks),
            "capabilities": _bullets(self.capabilities),
            "limitations": _bullets(self.limitations),
            "facts": _bullets(self.facts),
            "languages": ", ".join(self.languages),
            "toolset": self.toolset,
            "tools": ", ".join(t["function"]["name"] for t in self.tools()),
        }

    def identity_checks(self) -> dict[str, str]:
        """What an identity record's verification must pin: {"checks": persona.identity_checks()}."""
        return {"name": self.name, "creator": self.creator}

    def system_message(self) -> str:
        """The system prompt with the card's fields filled in: what generators put in the system message."""
        return string.Template(self.system_prompt).substitute(self.template_values())


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {x}" for x in items)


def available_personas(root: Path | None = None) -> list[str]:
    root = root or corpora_root()
    return sorted(p.parent.name for p in root.glob("*/persona.toml"))


def _resolve(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    candidate = Path(text)
    looks_like_path = isinstance(name_or_path, Path) or "/" in text or text.endswith(".toml")
    if looks_like_path or candidate.exists():
        card = candidate / "persona.toml" if candidate.is_dir() else candidate
        if not card.is_file():
            raise PersonaError(f"no persona card at {card}")
        return card
    root = corpora_root()
    card = root / text / "persona.toml"
    if not card.is_file():
        names = ", ".join(available_personas(root)) or "none"
        raise PersonaError(f"unknown persona {text!r} (available in {root}: {names})")
    return card


def read_card(card: Path) -> dict:
    """Parse a persona.toml, turning TOML syntax errors into a one-line PersonaError."""
    try:
        return tomllib.loads(card.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PersonaError(f"{card}: invalid TOML: {exc}") from None


def load_persona(name_or_path: str | Path) -> Persona:
    """Load and validate a card by name (corpora/<name>/persona.toml, or $CRUCIBLE_CORPORA) or by path."""
    card = _resolve(name_or_path)
    data = read_card(card)
    errors = validate_persona_data(data)
    if errors:
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise PersonaError(f"{card}: {errors[0]}{more}")
    recipe = data["recipe"]
    return Persona(
        slug=card.resolve().parent.name,
        name=data["name"],
        creator=data["creator"],
        year=data["year"],
        description=data["description"].strip(),
        personality=list(data["personality"]),
        quirks=list(data["quirks"]),
        capabilities=list(data["capabilities"]),
        limitations=list(data["limitations"]),
        facts=list(data["facts"]),
        toolset=data["toolset"],
        languages=list(data["languages"]),
        system_prompt=data["system_prompt"].strip(),
        families={f: float(recipe["families"].get(f, 0.0)) for f in FAMILIES},
        family_settings={f: dict(recipe[f]) for f in FAMILIES if f in recipe},
        path=card,
        voice=dict(data.get("voice", {})),
        model=dict(data.get("model", {})),
    )


_TOOLSET_CACHE: dict[str, list[dict]] = {}


def load_toolset(name: str) -> list[dict]:
    """The OpenAI function definitions of a tool set ("aj" or "python-agent"); a fresh copy each call."""
    if name not in TOOLSETS:
        raise ValueError(f"unknown toolset {name!r} (available: {', '.join(TOOLSETS)})")
    if name not in _TOOLSET_CACHE:
        path = HERE / "tools" / f"{name}.json"
        tools = json.loads(path.read_text(encoding="utf-8"))
        errors, _ = validate_tools(tools, "$")
        assert not errors, f"{path}: {errors[0]}"
        _TOOLSET_CACHE[name] = tools
    return copy.deepcopy(_TOOLSET_CACHE[name])
